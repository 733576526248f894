// Many invitations in one request: every vendor call is made, batched as each vendor
// requires, every (invitation, target) pair is answered in order, and connections are
// pooled rather than opened per call.

#include "tests/e2e/support/harness.hpp"
#include "tests/e2e/support/merged_reply.hpp"

#include <boost/test/unit_test.hpp>

#include <simdjson.h>

#include <map>
#include <set>

using namespace igw;
using namespace igw::e2e;
using emulator::vendor;

namespace {

const std::vector<std::string> roles{"admin", "developer", "member", "billing"};

// Which canonical roles each shipped target does not support.
bool unsupported(const std::string& target, const std::string& role)
{
    return (target == "anthropic" && role == "admin") || (target == "clickhouse" && role == "billing") ||
           (target == "warpstream" && role == "billing");
}

std::string email_of(std::size_t i) { return "user" + std::to_string(i) + "@example.com"; }

// The emails one recorded vendor request carries.
std::vector<std::string> emails_in(vendor v, const std::string& body)
{
    simdjson::dom::parser parser;
    simdjson::dom::element root = parser.parse(body);
    std::vector<std::string> emails;
    switch (v) {
    case vendor::anthropic:
    case vendor::clickhouse: emails.emplace_back(root["email"].get_string().value()); break;
    case vendor::warpstream:
        for (simdjson::dom::element item : root["invitations"].get_array())
            emails.emplace_back(item["email"].get_string().value());
        break;
    case vendor::gorules:
    case vendor::atomicwork:
        for (simdjson::dom::element email : root["emails"].get_array())
            emails.emplace_back(email.get_string().value());
        break;
    }
    return emails;
}

} // namespace

BOOST_AUTO_TEST_SUITE(load)

BOOST_AUTO_TEST_CASE(two_hundred_invitations_with_mixed_roles_across_five_targets)
{
    constexpr std::size_t n = 200;
    emulator::server emulators;
    gateway gw(emulators);

    std::vector<invitation_spec> invitations;
    for (std::size_t i = 0; i < n; ++i)
        invitations.push_back({email_of(i), roles[i % roles.size()], "ref-" + std::to_string(i)});
    const auto reply = post_invite(gw.port(), invite_body(invitations));
    BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error);
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body.substr(0, 500));
    const merged_reply merged = parse_merged_reply(reply.body);

    // Expected calls per vendor, from the shipped config's role maps and batch limits.
    std::map<std::string, std::set<std::string>> expected_emails;
    std::size_t unsupported_pairs = 0;
    std::map<std::string, std::size_t> per_atomicwork_role;
    for (std::size_t i = 0; i < n; ++i)
        for (const auto& target : route_order) {
            if (unsupported(target, invitations[i].role)) {
                ++unsupported_pairs;
                continue;
            }
            expected_emails[target].insert(email_of(i));
            if (target == "atomicwork")
                ++per_atomicwork_role[invitations[i].role];
        }
    std::size_t atomicwork_calls = 0;
    for (const auto& [role, count] : per_atomicwork_role)
        atomicwork_calls += (count + 99) / 100;
    const std::map<vendor, std::size_t> expected_calls{
        {vendor::anthropic, expected_emails["anthropic"].size()},   // one per invitation
        {vendor::clickhouse, expected_emails["clickhouse"].size()}, // one per invitation
        {vendor::warpstream, (expected_emails["warpstream"].size() + 99) / 100},
        {vendor::gorules, (n + 9) / 10},
        {vendor::atomicwork, atomicwork_calls}, // one per role group per <= 100
    };
    BOOST_TEST(expected_calls.at(vendor::anthropic) == 150u);
    BOOST_TEST(expected_calls.at(vendor::warpstream) == 2u);
    BOOST_TEST(expected_calls.at(vendor::gorules) == 20u);
    BOOST_TEST(expected_calls.at(vendor::atomicwork) == 4u);

    const std::map<std::string, unsigned> max_in_flight{
        {"anthropic", 8}, {"clickhouse", 8}, {"warpstream", 4}, {"gorules", 4}, {"atomicwork", 4}};
    for (vendor v : emulator::all_vendors) {
        const std::string name(emulator::name(v));
        BOOST_TEST_CONTEXT(name)
        {
            const auto calls = emulators.requests(v);
            BOOST_TEST(calls.size() == expected_calls.at(v));
            std::multiset<std::string> received;
            for (const auto& call : calls) {
                BOOST_TEST(call.status == 200u, call.body.substr(0, 300));
                for (auto& email : emails_in(v, call.body))
                    received.insert(std::move(email));
            }
            // Every supported pair sent exactly once.
            BOOST_TEST(received.size() == expected_emails[name].size());
            BOOST_TEST((std::set<std::string>(received.begin(), received.end()) == expected_emails[name]));
            // Pooled: never more connections than the target's limit, far fewer than calls.
            const std::size_t connections = emulators.connections_accepted(v);
            BOOST_TEST(connections >= 1u);
            BOOST_TEST(connections <= max_in_flight.at(name));
        }
    }

    // One result per (invitation, target), ordered by index then route order.
    BOOST_TEST(merged.invitations == n);
    BOOST_TEST(merged.targets == 5u);
    BOOST_TEST_REQUIRE(merged.results.size() == n * 5);
    std::size_t invited = 0, failed = 0, unknown = 0;
    for (std::size_t k = 0; k < merged.results.size(); ++k) {
        const result_entry& r = merged.results[k];
        const std::size_t i = k / 5;
        const std::string& target = route_order[k % 5];
        BOOST_TEST_CONTEXT("result " << k)
        {
            BOOST_TEST(r.index == i);
            BOOST_TEST(r.target == target);
            BOOST_TEST(r.email == email_of(i));
            BOOST_TEST(r.ref.value_or("") == "ref-" + std::to_string(i));
            if (unsupported(target, invitations[i].role)) {
                BOOST_TEST(r.status == "failed");
                BOOST_TEST(r.error_code.value_or("") == "role_not_supported");
                BOOST_TEST(!r.upstream_status);
            } else {
                BOOST_TEST(r.status == "invited");
                BOOST_TEST(r.upstream_status.value_or(0) == 200u);
            }
        }
        invited += r.status == "invited";
        failed += r.status == "failed";
        unknown += r.status == "unknown";
    }
    BOOST_TEST(unsupported_pairs == 150u);
    BOOST_TEST(merged.invited == invited);
    BOOST_TEST(merged.failed == failed);
    BOOST_TEST(merged.unknown == unknown);
    BOOST_TEST(merged.invited == n * 5 - unsupported_pairs);
    BOOST_TEST(merged.failed == unsupported_pairs);
    BOOST_TEST(merged.unknown == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
