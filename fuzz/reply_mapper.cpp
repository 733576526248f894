// Arbitrary vendor bytes and HTTP status as the reply to each call the shipped config
// makes: whatever a vendor sends, every item of the call gets exactly one result. The
// same bytes are also read as a page of the target's listing (its lookup, for reconcile)
// where it has one.

#include "gateway/mapping/reply_mapper.hpp"
#include "gateway/mapping/compiled_config.hpp"
#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/lookup_page.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace igw;

void require(bool condition)
{
    if (!condition)
        std::abort();
}

// The shipped config's variables, every one set (loopback URLs: nothing is sent).
std::optional<std::string> environment(std::string_view name)
{
    static const std::map<std::string, std::string, std::less<>> env{
        {"INVITEGW_CLIENT_KEY", "fuzz-client-key-0123456789"},
        {"ANTHROPIC_BASE_URL", "http://127.0.0.1:9"},
        {"ANTHROPIC_ADMIN_KEY", "fuzz-secret"},
        {"CLICKHOUSE_BASE_URL", "http://127.0.0.1:9"},
        {"CLICKHOUSE_ORG_ID", "7c4a8d09-ca37-4d5a-b1e8-0a3f2f5e1d11"},
        {"CLICKHOUSE_KEY_ID", "fuzz-key-id"},
        {"CLICKHOUSE_KEY_SECRET", "fuzz-key-secret"},
        {"WARPSTREAM_BASE_URL", "http://127.0.0.1:9"},
        {"WARPSTREAM_API_KEY", "fuzz-secret"},
        {"GORULES_BASE_URL", "http://127.0.0.1:9"},
        {"GORULES_TOKEN", "fuzz-secret"},
        {"ATOMICWORK_BASE_URL", "http://127.0.0.1:9"},
        {"ATOMICWORK_API_KEY", "fuzz-secret"},
        {"ATOMICWORK_WORKSPACE_ID", "42"},
    };
    if (auto it = env.find(name); it != env.end())
        return it->second;
    return std::nullopt;
}

struct rendered {
    canonical::invite_request request;
    mapping::dispatch_plan plan;
};

struct fixture {
    std::shared_ptr<const mapping::compiled_config> loaded;
    // One invitation, and a batch of three with different roles (batched and grouped calls).
    std::vector<std::unique_ptr<rendered>> requests;
    struct call_ref {
        const rendered* r;
        const mapping::upstream_call* call;
    };
    std::vector<call_ref> calls;
};

fixture* f = nullptr;

std::uint32_t role(const mapping::compiled_config& c, std::string_view name)
{
    const auto& roles = c.config.roles;
    return static_cast<std::uint32_t>(std::find(roles.begin(), roles.end(), name) - roles.begin());
}

// Statuses that take distinct paths, picked by the input's second byte when below their count.
constexpr unsigned interesting_statuses[] = {200, 201, 202, 204, 207, 400, 401, 403,
                                             404, 409, 422, 429, 500, 502, 503, 504};

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    f = new fixture;
    f->loaded = mapping::load_compiled_config(INVITEGW_SOURCE_DIR "/config/gateway.yaml", environment);
    const mapping::route_plan& route = f->loaded->mappings.routes.at(0);

    auto add = [&](std::vector<canonical::invitation> invitations) {
        auto r = std::make_unique<rendered>();
        r->request.invitations = std::move(invitations);
        for (std::uint32_t t = 0; t < route.targets.size(); ++t)
            r->request.targets.push_back(t);
        mapping::render_calls(r->request, route, f->loaded->config.roles, r->plan);
        for (const auto& call : r->plan.calls)
            f->calls.push_back({r.get(), &call});
        f->requests.push_back(std::move(r));
    };
    const auto& c = *f->loaded;
    add({{.email = "jane.doe@example.com", .role = role(c, "developer"), .ref = "crm-8812"}});
    add({{.email = "a@example.com", .role = role(c, "member"), .ref = std::nullopt},
         {.email = "b@example.com", .role = role(c, "developer"), .ref = "r"},
         {.email = "c@example.com", .role = role(c, "billing"), .ref = std::nullopt}});
    require(!f->calls.empty());
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 3)
        return 0;
    static mapping::reply_mapper mapper; // reused across inputs, as each worker thread does
    static std::vector<mapping::item_result> out;

    const fixture::call_ref& pick = f->calls[data[0] % f->calls.size()];
    const unsigned raw = static_cast<unsigned>(data[1]) << 8 | data[2];
    const unsigned status = data[1] < std::size(interesting_statuses) ? interesting_statuses[data[1]] : raw % 1000;
    std::string body(reinterpret_cast<const char*>(data + 3), size - 3);

    out.clear();
    mapper.map_reply(pick.r->request, pick.r->plan, *pick.call, status, body, out);

    require(out.size() == pick.call->item_count);
    const auto items = pick.r->plan.items_of(*pick.call);
    for (std::size_t i = 0; i < out.size(); ++i) {
        require(std::find(items.begin(), items.end(), out[i].invitation) != items.end());
        require(out[i].target == pick.call->target_index);
        require((out[i].status == mapping::item_status::invited) == (out[i].error == mapping::error_code::none));
    }

    if (const auto& lookup = pick.call->target->provider->lookup) {
        static mapping::lookup_reader reader;
        static mapping::lookup_page page;
        const std::string_view page_body(reinterpret_cast<const char*>(data + 3), size - 3);
        if (reader.read(*lookup, page_body, page).empty()) {
            for (const auto& listed : page.invitations)
                require(std::none_of(listed.email.begin(), listed.email.end(),
                                     [](char c) { return c >= 'A' && c <= 'Z'; }));
            require(!page.next_cursor || !page.next_cursor->empty());
        }
    }
    return 0;
}
