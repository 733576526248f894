// How render_calls splits a request into calls: per-vendor batch limits, a target's
// lower `batch_size`, grouping by mapped role for vendors whose roles are per call,
// invitation order, and that every (invitation, target) is accounted for exactly once.

#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/reply_mapper.hpp"

#include "tests/mapping/support/mapping_support.hpp"

#include <boost/test/unit_test.hpp>

#include <simdjson.h>

#include "tests/support/paths.hpp"
#include <map>
#include <set>
#include <string>

namespace mapping = igw::mapping;
namespace emulator = igw::emulator;
using namespace igw::mapping::test;

namespace {

const std::string batch_override_path = ::igw::test::test_data_dir() + "/mapping/configs/batch_override.yaml";
const char* const role_names[] = {"admin", "developer", "member", "billing"};

// 25 invitations cycling through every canonical role: 7 admins, 6 of each other role.
std::string request_json(std::size_t count = 25, std::string_view extra = "")
{
    std::string json = R"({"invitations":[)";
    for (std::size_t i = 0; i < count; ++i) {
        json += i ? "," : "";
        json += R"({"email":"user)" + std::to_string(i) + R"(@example.com","role":")" + role_names[i % 4] + R"("})";
    }
    return json + "]" + std::string(extra) + "}";
}

std::vector<const mapping::upstream_call*> calls_to(const mapping::dispatch_plan& plan, std::string_view target)
{
    std::vector<const mapping::upstream_call*> out;
    for (const auto& call : plan.calls)
        if (call.target->name == target)
            out.push_back(&call);
    return out;
}

std::vector<std::uint32_t> items(const mapping::dispatch_plan& plan, const mapping::upstream_call& call)
{
    const auto span = plan.items_of(call);
    return {span.begin(), span.end()};
}

// The emails a rendered body carries, in order, read back with simdjson.
std::vector<std::string> body_emails(std::string_view body, std::string_view provider)
{
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    BOOST_TEST_REQUIRE(!parser.parse(body).get(doc), "unparsable body " << body);
    std::vector<std::string> emails;
    // Arrays are copied out of their simdjson_result first: iterating `.value()` of a
    // temporary result would iterate a dangling reference.
    if (provider == "warpstream") {
        const simdjson::dom::array invitations = doc["invitations"].get_array().value();
        for (simdjson::dom::element invitation : invitations)
            emails.emplace_back(invitation["email"].get_string().value());
    } else if (provider == "gorules" || provider == "atomicwork") {
        const simdjson::dom::array list = doc["emails"].get_array().value();
        for (simdjson::dom::element email : list)
            emails.emplace_back(email.get_string().value());
    } else {
        emails.emplace_back(doc["email"].get_string().value());
    }
    return emails;
}

// What must hold for any request and config: every (invitation, selected target)
// is in exactly one call or in `immediate`, never both; calls respect max_items and
// list their items in invitation order; a body carries exactly its call's emails; a
// call of a role-grouped vendor holds one mapped role; unsupported roles make no call.
void check_invariants(const mapping::compiled_config& config, const igw::canonical::invite_request& request,
                      const mapping::dispatch_plan& plan)
{
    const auto& route = config.mappings.routes[0];
    std::map<std::pair<std::uint32_t, std::uint32_t>, int> seen;
    for (const auto& call : plan.calls) {
        const mapping::target_plan& target = *call.target;
        BOOST_TEST(route.targets[call.target_index] == &target);
        BOOST_TEST(call.item_count >= 1u);
        BOOST_TEST(call.item_count <= target.max_items);
        const auto list = items(plan, call);
        for (std::size_t i = 1; i < list.size(); ++i)
            BOOST_TEST(list[i - 1] < list[i]);
        std::vector<std::string> expected;
        for (std::uint32_t item : list) {
            ++seen[{item, call.target_index}];
            expected.push_back(request.invitations[item].email);
            BOOST_TEST(target.role_supported(request.invitations[item].role));
            if (target.provider->group_by_role)
                BOOST_TEST((target.roles[request.invitations[item].role] ==
                            target.roles[request.invitations[list.front()].role]));
        }
        BOOST_TEST(body_emails(plan.body_of(call), target.provider->name) == expected,
                   boost::test_tools::per_element());
    }
    for (const auto& result : plan.immediate) {
        ++seen[{result.invitation, result.target}];
        BOOST_TEST(result.status == mapping::item_status::failed);
        BOOST_TEST(result.error == mapping::error_code::role_not_supported);
        BOOST_TEST(!route.targets[result.target]->role_supported(request.invitations[result.invitation].role));
    }
    for (std::uint32_t invitation = 0; invitation < request.invitations.size(); ++invitation)
        for (std::uint32_t target : request.targets)
            BOOST_TEST(seen[std::make_pair(invitation, target)] == 1,
                       "invitation " << invitation << " target " << target);
    BOOST_TEST(seen.size() == request.invitations.size() * request.targets.size());
}

std::vector<std::uint32_t> sizes(const mapping::dispatch_plan& plan, std::string_view target)
{
    std::vector<std::uint32_t> out;
    for (const auto* call : calls_to(plan, target))
        out.push_back(call->item_count);
    return out;
}

std::vector<std::uint32_t> with_role(std::initializer_list<unsigned> roles, std::size_t count = 25)
{
    std::vector<std::uint32_t> out;
    for (std::uint32_t i = 0; i < count; ++i)
        for (unsigned role : roles)
            if (i % 4 == role)
                out.push_back(i);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(batching)

BOOST_AUTO_TEST_CASE(twenty_five_mixed_invitations_on_the_shipped_config)
{
    const auto config = load(shipped_config_path(), golden_env());
    const auto request = parse_request(*config, request_json());
    mapping::dispatch_plan plan;
    mapping::render_calls(request, config->mappings.routes[0], config->config.roles, plan);
    check_invariants(*config, request, plan);

    // Anthropic: one call per invitation but the 7 admins.
    const auto anthropic = calls_to(plan, "anthropic");
    BOOST_TEST_REQUIRE(anthropic.size() == 18u);
    std::vector<std::uint32_t> anthropic_items;
    for (const auto* call : anthropic)
        anthropic_items.push_back(items(plan, *call).front());
    BOOST_TEST(anthropic_items == with_role({1, 2, 3}), boost::test_tools::per_element());

    // ClickHouse: one per invitation but the 6 billing ones.
    BOOST_TEST(calls_to(plan, "clickhouse").size() == 19u);

    // WarpStream: everything supported (not billing) in one call of 19, in order.
    const auto warpstream = calls_to(plan, "warpstream");
    BOOST_TEST_REQUIRE(warpstream.size() == 1u);
    BOOST_TEST(items(plan, *warpstream[0]) == with_role({0, 1, 2}), boost::test_tools::per_element());

    // GoRules: no role, at most 10 a call: 10, 10, 5 in invitation order.
    BOOST_TEST(sizes(plan, "gorules") == (std::vector<std::uint32_t>{10, 10, 5}), boost::test_tools::per_element());
    const auto gorules = calls_to(plan, "gorules");
    BOOST_TEST(items(plan, *gorules[0]).front() == 0u);
    BOOST_TEST(items(plan, *gorules[1]).front() == 10u);
    BOOST_TEST(items(plan, *gorules[2]).back() == 24u);

    // Atomicwork: four distinct role sets, one call each, every group in invitation order.
    const auto atomicwork = calls_to(plan, "atomicwork");
    BOOST_TEST_REQUIRE(atomicwork.size() == 4u);
    for (unsigned role = 0; role < 4; ++role)
        BOOST_TEST(items(plan, *atomicwork[role]) == with_role({role}), boost::test_tools::per_element());
    BOOST_TEST(plan.body_of(*atomicwork[0]).find(R"("org_roles":[11])") != std::string_view::npos);
    BOOST_TEST(plan.body_of(*atomicwork[3]).find(R"("org_roles":[14])") != std::string_view::npos);

    // 7 admins on anthropic, 6 billing on clickhouse and on warpstream.
    BOOST_TEST(plan.immediate.size() == 19u);
}

BOOST_AUTO_TEST_CASE(target_batch_size_lowers_the_provider_limit_and_shared_role_ids_share_calls)
{
    const auto config = load(batch_override_path, golden_env());
    BOOST_TEST(config->mappings.targets[0].max_items == 1u); // batch_size 5 cannot raise 1
    BOOST_TEST(config->mappings.targets[2].max_items == 7u);
    BOOST_TEST(config->mappings.targets[4].max_items == 4u);
    const auto request = parse_request(*config, request_json());
    mapping::dispatch_plan plan;
    mapping::render_calls(request, config->mappings.routes[0], config->config.roles, plan);
    check_invariants(*config, request, plan);

    BOOST_TEST(calls_to(plan, "anthropic").size() == 18u);
    // 19 supported invitations in calls of at most 7.
    BOOST_TEST(sizes(plan, "warpstream") == (std::vector<std::uint32_t>{7, 7, 5}), boost::test_tools::per_element());
    BOOST_TEST(items(plan, *calls_to(plan, "warpstream")[1]).front() == with_role({0, 1, 2})[7]);

    // admin (7), developer+member sharing role id 12 (12), billing (6); each split by 4.
    const auto atomicwork = calls_to(plan, "atomicwork");
    BOOST_TEST(sizes(plan, "atomicwork") == (std::vector<std::uint32_t>{4, 3, 4, 4, 4, 4, 2}),
               boost::test_tools::per_element());
    std::vector<std::uint32_t> shared;
    for (std::size_t i = 2; i < 5; ++i)
        for (std::uint32_t item : items(plan, *atomicwork[i]))
            shared.push_back(item);
    BOOST_TEST(shared == with_role({1, 2}), boost::test_tools::per_element());
    for (std::size_t i = 2; i < 5; ++i)
        BOOST_TEST(plan.body_of(*atomicwork[i]).find(R"("org_roles":[12])") != std::string_view::npos);
}

BOOST_AUTO_TEST_CASE(lowered_batches_are_accepted_by_an_account_with_that_limit)
{
    emulator::options options;
    options.creds = test_credentials();
    options.warpstream_max_batch = 7;
    emulator::server server(options);
    const auto config = load(batch_override_path, emulator_env(server));
    const auto request = parse_request(*config, request_json(), 0);
    mapping::dispatch_plan plan;
    mapping::render_calls(request, config->mappings.routes[0], config->config.roles, plan);
    mapping::reply_mapper mapper;
    std::vector<mapping::item_result> results;
    for (const auto& call : plan.calls) {
        if (call.target->name != "warpstream" && call.target->name != "atomicwork" && call.target->name != "gorules")
            continue;
        auto response = send_call(server, plan, call);
        BOOST_TEST_REQUIRE(response.ok(), response.error);
        BOOST_TEST(response.status == 200u, call.target->name << ": " << response.body);
        mapper.map_reply(request, plan, call, response.status, response.body, results);
    }
    BOOST_TEST(results.size() == 19u + 25u + 25u);
    for (const auto& r : results)
        BOOST_TEST(r.status == mapping::item_status::invited);
}

BOOST_AUTO_TEST_CASE(rendering_again_into_the_same_plan_starts_afresh)
{
    const auto config = load(shipped_config_path(), golden_env());
    const auto big = parse_request(*config, request_json());
    const auto small = parse_request(*config, request_json(2, R"(,"targets":["gorules"])"));
    mapping::dispatch_plan plan;
    mapping::render_calls(big, config->mappings.routes[0], config->config.roles, plan);
    mapping::render_calls(small, config->mappings.routes[0], config->config.roles, plan);
    BOOST_TEST_REQUIRE(plan.calls.size() == 1u);
    BOOST_TEST(plan.immediate.empty());
    BOOST_TEST(plan.body_of(plan.calls[0]) == R"({"emails":["user0@example.com","user1@example.com"]})");
    check_invariants(*config, small, plan);
}

BOOST_AUTO_TEST_CASE(a_role_unsupported_everywhere_makes_no_call)
{
    const auto config = load(shipped_config_path(), golden_env());
    const auto request = parse_request(
        *config,
        R"({"invitations":[{"email":"b@example.com","role":"billing"}],"targets":["clickhouse","warpstream"]})");
    mapping::dispatch_plan plan;
    mapping::render_calls(request, config->mappings.routes[0], config->config.roles, plan);
    BOOST_TEST(plan.calls.empty());
    BOOST_TEST(plan.bodies.empty());
    BOOST_TEST_REQUIRE(plan.immediate.size() == 2u);
    BOOST_TEST(plan.immediate[0].target == 1u);
    BOOST_TEST(plan.immediate[1].target == 2u);
    BOOST_TEST(plan.immediate[1].message == "role billing has no mapping on target warpstream");
}

BOOST_AUTO_TEST_SUITE_END()
