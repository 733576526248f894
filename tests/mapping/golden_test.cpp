// The shipped config and the five shipped provider mappings, end to end: what each
// canonical request turns into is pinned byte for byte in tests/mapping/golden/*.txt
// (reviewed against shared/vendors/*.md), and the very same calls are then sent to the
// strict vendor emulators, which must accept every one of them.

#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/reply_mapper.hpp"

#include "tests/mapping/support/mapping_support.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

namespace mapping = igw::mapping;
namespace emulator = igw::emulator;
using namespace igw::mapping::test;

namespace {

struct golden_fixture {
    emulator::server server{[] {
        emulator::options o;
        o.creds = test_credentials();
        return o;
    }()};
    std::shared_ptr<const mapping::compiled_config> fixed = load(shipped_config_path(), golden_env());
    env_map live_env = emulator_env(server);
    std::shared_ptr<const mapping::compiled_config> live = load(shipped_config_path(), live_env);

    // Renders `request_json` with fixed URLs and compares it with golden/<name>.txt;
    // then renders it for the emulator, sends every call and maps every reply.
    void run(const std::string& name, const std::string& request_json)
    {
        const auto request = parse_request(*fixed, request_json);
        mapping::dispatch_plan plan;
        mapping::render_calls(request, fixed->mappings.routes[0], fixed->config.roles, plan);
        check_golden(name, describe(*fixed, request_json, plan));

        const auto live_request = parse_request(*live, request_json);
        mapping::dispatch_plan live_plan;
        mapping::render_calls(live_request, live->mappings.routes[0], live->config.roles, live_plan);
        // Only where the calls go differs: same calls, same items, same bytes.
        BOOST_TEST_REQUIRE(live_plan.calls.size() == plan.calls.size());
        BOOST_TEST(live_plan.items == plan.items, boost::test_tools::per_element());
        BOOST_TEST(live_plan.bodies == plan.bodies);
        BOOST_TEST(live_plan.immediate.size() == plan.immediate.size());

        server.reset();
        mapping::reply_mapper mapper;
        std::vector<mapping::item_result> results;
        for (const auto& call : live_plan.calls) {
            BOOST_TEST_CONTEXT("call to " << call.target->name << ": " << live_plan.body_of(call))
            {
                emulator::test_response response = send_call(server, live_plan, call);
                BOOST_TEST_REQUIRE(response.ok(), response.error);
                BOOST_TEST(response.status == 200u, response.status << " " << response.body);
                const std::size_t before = results.size();
                mapper.map_reply(live_request, live_plan, call, response.status, response.body, results);
                BOOST_TEST(results.size() - before == call.item_count);
                for (std::size_t i = before; i < results.size(); ++i) {
                    const auto& r = results[i];
                    BOOST_TEST(r.status == mapping::item_status::invited, r.message);
                    BOOST_TEST(r.upstream_status == 200u);
                    const std::string provider = call.target->provider->name;
                    if (provider == "anthropic" || provider == "gorules") {
                        BOOST_TEST(!r.invitation_id.empty());
                        BOOST_TEST(!r.expires_at.empty());
                        BOOST_TEST(r.vendor_status == "pending");
                    } else if (provider == "clickhouse") {
                        BOOST_TEST(r.invitation_id.size() == 36u); // a uuid
                        BOOST_TEST(!r.expires_at.empty());
                    } else {
                        BOOST_TEST(r.invitation_id.empty()); // the reply is {}
                    }
                }
            }
        }
        // Each call reached the emulator once, and every item was answered once.
        BOOST_TEST(server.requests().size() == live_plan.calls.size());
        std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
        for (const auto& r : results)
            BOOST_TEST(seen.emplace(r.invitation, r.target).second);
        for (const auto& r : live_plan.immediate)
            BOOST_TEST(seen.emplace(r.invitation, r.target).second);
        BOOST_TEST(seen.size() == live_request.invitations.size() * live_request.targets.size());
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(golden, golden_fixture)

BOOST_AUTO_TEST_CASE(one_invitation_to_every_target)
{
    run("one_invitation", R"({"invitations":[{"email":"  Jane.Doe@Example.COM ","role":"developer"}]})");
}

BOOST_AUTO_TEST_CASE(mixed_roles_with_unsupported_ones)
{
    // admin has no mapping on anthropic, billing none on clickhouse and warpstream.
    run("mixed_roles", R"({"invitations":[)"
                       R"({"email":"ada@example.com","role":"admin"},)"
                       R"({"email":"bob@example.com","role":"member"},)"
                       R"({"email":"cy@example.com","role":"billing"}]})");
}

BOOST_AUTO_TEST_CASE(send_email_false_reaches_the_vendors_that_take_it)
{
    run("send_email_false", R"({"invitations":[{"email":"dev@example.com","role":"developer"},)"
                            R"({"email":"ops@example.com","role":"developer"}],)"
                            R"("targets":["atomicwork","warpstream"],"send_email":false})");
}

BOOST_AUTO_TEST_CASE(a_ref_is_not_sent_to_vendors_that_do_not_take_one)
{
    run("ref", R"({"invitations":[{"email":"dee@example.com","role":"member","ref":"crm-8812"}]})");
}

BOOST_AUTO_TEST_CASE(a_subset_of_targets_in_route_order)
{
    // Named out of order: calls still follow the route's order.
    run("subset", R"({"invitations":[{"email":"eve@example.com","role":"admin"},)"
                  R"({"email":"fay@example.com","role":"developer"}],"targets":["gorules","clickhouse"]})");
}

BOOST_AUTO_TEST_CASE(without_a_workspace_the_optional_header_is_left_out)
{
    env_map vars = golden_env();
    vars["ATOMICWORK_WORKSPACE_ID"] = "";
    const auto config = load(shipped_config_path(), vars);
    const auto& target = config->mappings.targets.at(4);
    BOOST_TEST(target.name == "atomicwork");
    for (const auto& header : target.headers)
        BOOST_TEST(header.name != "X-Workspace-Id");
    const auto& with = fixed->mappings.targets.at(4);
    BOOST_TEST(std::count_if(with.headers.begin(), with.headers.end(),
                             [](const auto& h) { return h.name == "X-Workspace-Id" && h.value == "42"; }) == 1);
}

BOOST_AUTO_TEST_CASE(a_base_url_path_prefix_is_kept)
{
    // docs/api.md "8. Configuration": http://127.0.0.1:9000/anthropic
    env_map vars = golden_env();
    vars["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:9000/anthropic/";
    const auto config = load(shipped_config_path(), vars);
    const auto& target = config->mappings.targets.at(0);
    BOOST_TEST(target.target == "/anthropic/v1/organizations/invites");
    BOOST_TEST(target.host_header == "127.0.0.1:9000");
    BOOST_TEST(!target.tls);
    BOOST_TEST(target.url() == "http://127.0.0.1:9000/anthropic/v1/organizations/invites");
}

BOOST_AUTO_TEST_SUITE_END()
