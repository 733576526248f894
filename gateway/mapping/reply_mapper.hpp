#pragma once
// Turning one upstream reply into per-item results (docs/api.md "Error codes"), following the
// provider's reply plan. One reply_mapper per thread: it reuses its JSON parser.

#include "gateway/canonical/invite_request.hpp"
#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/item_result.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace igw::mapping {

struct outcome; // gateway/mapping/outcome.hpp

class reply_mapper {
public:
    reply_mapper();
    ~reply_mapper();
    reply_mapper(reply_mapper&&) noexcept;
    reply_mapper& operator=(reply_mapper&&) noexcept;

    // Appends one result per item of `call` to `out`. `body` may gain capacity (the
    // JSON parser needs padding after the data); its contents are unchanged.
    void map_reply(const canonical::invite_request& request, const dispatch_plan& plan, const upstream_call& call,
                   unsigned status, std::string& body, std::vector<item_result>& out);

private:
    struct state;
    std::unique_ptr<state> state_;
};

// For a call that got no usable HTTP reply (unreachable, timed out, connection lost):
// appends the same outcome for every item of `call`.
void fail_call(const dispatch_plan& plan, const upstream_call& call, item_status status, error_code code,
               unsigned upstream_status, std::string_view message, std::vector<item_result>& out);
// The same for an outcome decided by the rules of outcome.hpp.
void fail_call(const dispatch_plan& plan, const upstream_call& call, const outcome& decided, unsigned upstream_status,
               std::vector<item_result>& out);

} // namespace igw::mapping
