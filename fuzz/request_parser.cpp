// Arbitrary bytes as the body of POST /v1/invitations: the parser must answer every
// body with either a valid request or a problem, and what it accepts must hold the
// promises the rest of the pipeline relies on.

#include "gateway/canonical/request_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

namespace {

using namespace igw::canonical;

void require(bool condition)
{
    if (!condition)
        std::abort();
}

struct state {
    std::vector<std::string> roles{"admin", "developer", "member", "billing"};
    std::vector<std::string> targets{"anthropic", "clickhouse", "warpstream", "gorules", "atomicwork"};
    // Small limits, so that inputs the fuzzer can reach cross them.
    validation_context context{roles, targets, 8, 4096};
    request_parser parser; // reused across inputs, as each worker thread does
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static state s;
    std::string body(reinterpret_cast<const char*>(data), size);
    auto result = s.parser.parse(body, s.context);
    require(body == std::string_view(reinterpret_cast<const char*>(data), size)); // contents unchanged

    if (const problem* p = std::get_if<problem>(&result)) {
        require(p->status >= 400 && p->status < 500);
        require(p->errors.size() <= max_listed_errors);
        std::string json;
        p->write_json(json);
        require(!json.empty());
        return 0;
    }
    const invite_request& request = std::get<invite_request>(result);
    require(!request.invitations.empty() && request.invitations.size() <= s.context.max_invitations);
    require(!request.targets.empty() && request.targets.size() <= s.targets.size());
    for (std::size_t i = 0; i < request.targets.size(); ++i) {
        require(request.targets[i] < s.targets.size());
        require(i == 0 || request.targets[i - 1] < request.targets[i]); // route order, no duplicates
    }
    for (const invitation& inv : request.invitations) {
        require(inv.role < s.roles.size());
        require(!inv.email.empty() && inv.email.size() <= 254);
        for (char c : inv.email)
            require(!(c >= 'A' && c <= 'Z'));
        require(!inv.ref || inv.ref->size() <= max_ref_bytes);
    }
    return 0;
}
