// Vendors misbehaving: each failure lands on its own (invitation, target) pairs with the
// right status and code, the rest of the request is unaffected, and retries happen only
// where the vendor said it did not process the call.

#include "tests/e2e/support/harness.hpp"
#include "tests/e2e/support/merged_reply.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace igw;
using namespace igw::e2e;
using namespace std::chrono_literals;
using emulator::fault;
using emulator::fault_kind;
using emulator::vendor;

namespace {

const result_entry& find(const merged_reply& reply, std::uint64_t index, const std::string& target)
{
    for (const auto& r : reply.results)
        if (r.index == index && r.target == target)
            return r;
    throw std::runtime_error("no result for " + std::to_string(index) + "/" + target);
}

} // namespace

BOOST_AUTO_TEST_SUITE(faults)

BOOST_AUTO_TEST_CASE(partial_failure_is_a_207_with_each_failure_on_its_own_items)
{
    emulator::server emulators;
    config_variant variant;
    variant.request_timeout = "5s";
    variant.timeouts["gorules"] = "300ms";
    gateway gw(emulators, {.variant = variant, .env = {}});

    // Anthropic refuses bob only; WarpStream drops the connection of its (single) batch
    // call; GoRules answers long after the target's 300 ms timeout.
    emulators.inject(vendor::anthropic, fault{.kind = fault_kind::reject_email, .email = "bob@example.com"});
    emulators.inject(vendor::warpstream, fault{.kind = fault_kind::drop_connection});
    emulators.inject(vendor::gorules, fault{.kind = fault_kind::delay, .delay = 2s});

    const auto started = std::chrono::steady_clock::now();
    const auto reply = post_invite(gw.port(),
                                   invite_body({{"alice@example.com", "developer"}, {"bob@example.com", "member"}}));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error);
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
    // A bound, not a speed test: the slow vendor must not hold the reply to the deadline.
    BOOST_TEST(elapsed < 5s);

    const merged_reply merged = parse_merged_reply(reply.body);
    BOOST_TEST_REQUIRE(merged.results.size() == 10u);

    const result_entry& rejected = find(merged, 1, "anthropic");
    BOOST_TEST(rejected.status == "failed");
    BOOST_TEST(rejected.error_code.value_or("") == "upstream_rejected");
    BOOST_TEST(rejected.error_message.value_or("") == "cannot invite bob@example.com: address rejected");
    BOOST_TEST(rejected.upstream_status.value_or(0) == 400u);
    BOOST_TEST(find(merged, 0, "anthropic").status == "invited");

    for (std::uint64_t i : {0u, 1u}) {
        BOOST_TEST_CONTEXT("invitation " << i)
        {
            const result_entry& dropped = find(merged, i, "warpstream");
            BOOST_TEST(dropped.status == "unknown");
            BOOST_TEST(dropped.error_code.value_or("") == "upstream_error");
            BOOST_TEST(dropped.error_message.value_or("").find("closed the connection") != std::string::npos,
                       dropped.error_message.value_or(""));
            BOOST_TEST(!dropped.upstream_status);

            const result_entry& slow = find(merged, i, "gorules");
            BOOST_TEST(slow.status == "unknown");
            BOOST_TEST(slow.error_code.value_or("") == "upstream_timeout");
            BOOST_TEST(!slow.upstream_status);

            BOOST_TEST(find(merged, i, "clickhouse").status == "invited");
            BOOST_TEST(find(merged, i, "atomicwork").status == "invited");
        }
    }
    BOOST_TEST(merged.invited == 5u);
    BOOST_TEST(merged.failed == 1u);
    BOOST_TEST(merged.unknown == 4u);
    // A dropped or timed-out call may have been acted on: it is never repeated.
    BOOST_TEST(emulators.requests(vendor::warpstream).size() == 1u);
    BOOST_TEST(emulators.requests(vendor::anthropic).size() == 2u);
}

BOOST_AUTO_TEST_CASE(rate_limits_and_unavailability_are_retried_server_errors_are_not)
{
    emulator::server emulators;
    gateway gw(emulators);
    emulators.inject(vendor::anthropic, fault{.kind = fault_kind::status, .status = 429, .retry_after = "1"});
    emulators.inject(vendor::clickhouse, fault{.kind = fault_kind::status, .status = 500});
    emulators.inject(vendor::gorules, fault{.kind = fault_kind::status, .status = 503, .retry_after = "1"});
    // Without Retry-After a 503 says nothing about when to come back: not retried.
    emulators.inject(vendor::atomicwork, fault{.kind = fault_kind::status, .status = 503});

    const auto reply = post_invite(
        gw.port(), invite_body({{"carol@example.com", "developer"}},
                               std::vector<std::string>{"anthropic", "clickhouse", "gorules", "atomicwork"}));
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
    const merged_reply merged = parse_merged_reply(reply.body);
    BOOST_TEST_REQUIRE(merged.results.size() == 4u);

    const result_entry& anthropic = find(merged, 0, "anthropic");
    BOOST_TEST(anthropic.status == "invited");
    BOOST_TEST(anthropic.upstream_status.value_or(0) == 200u);
    const auto anthropic_calls = emulators.requests(vendor::anthropic);
    BOOST_TEST_REQUIRE(anthropic_calls.size() == 2u);
    BOOST_TEST(anthropic_calls[0].status == 429u);
    BOOST_TEST(anthropic_calls[1].status == 200u);
    BOOST_TEST(anthropic_calls[0].body == anthropic_calls[1].body);

    const result_entry& clickhouse = find(merged, 0, "clickhouse");
    BOOST_TEST(clickhouse.status == "unknown");
    BOOST_TEST(clickhouse.error_code.value_or("") == "upstream_error");
    BOOST_TEST(clickhouse.upstream_status.value_or(0) == 500u);
    BOOST_TEST(clickhouse.error_message.value_or("") == "injected failure");
    BOOST_TEST(emulators.requests(vendor::clickhouse).size() == 1u);

    const result_entry& gorules = find(merged, 0, "gorules");
    BOOST_TEST(gorules.status == "invited");
    BOOST_TEST(emulators.requests(vendor::gorules).size() == 2u);

    const result_entry& atomicwork = find(merged, 0, "atomicwork");
    BOOST_TEST(atomicwork.status == "failed");
    BOOST_TEST(atomicwork.error_code.value_or("") == "upstream_error");
    BOOST_TEST(atomicwork.upstream_status.value_or(0) == 503u);
    BOOST_TEST(emulators.requests(vendor::atomicwork).size() == 1u);

    BOOST_TEST(emulators.requests(vendor::warpstream).empty()); // not selected
    BOOST_TEST(merged.targets == 4u);
    BOOST_TEST(merged.invited == 2u);
    BOOST_TEST(merged.failed == 1u);
    BOOST_TEST(merged.unknown == 1u);
}

BOOST_AUTO_TEST_CASE(a_dead_target_fails_unreachable_and_the_others_are_unaffected)
{
    emulator::server emulators;
    const std::uint16_t dead = closed_port();
    gateway gw(emulators,
               {.variant = std::nullopt, .env = {{"WARPSTREAM_BASE_URL", "http://127.0.0.1:" + std::to_string(dead)}}});

    const auto reply = post_invite(gw.port(),
                                   invite_body({{"dan@example.com", "admin"}, {"erin@example.com", "member"}}));
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
    const merged_reply merged = parse_merged_reply(reply.body);
    BOOST_TEST_REQUIRE(merged.results.size() == 10u);
    for (const result_entry& r : merged.results) {
        BOOST_TEST_CONTEXT(r.index << "/" << r.target)
        {
            if (r.target == "warpstream") {
                BOOST_TEST(r.status == "failed");
                BOOST_TEST(r.error_code.value_or("") == "upstream_unreachable");
                BOOST_TEST(r.error_message.value_or("").find("could not reach target warpstream") != std::string::npos,
                           r.error_message.value_or(""));
                BOOST_TEST(!r.upstream_status);
            } else if (r.target == "anthropic" && r.index == 0) {
                BOOST_TEST(r.error_code.value_or("") == "role_not_supported"); // admin
            } else {
                BOOST_TEST(r.status == "invited");
            }
        }
    }
    BOOST_TEST(merged.invited == 7u);
    BOOST_TEST(merged.failed == 3u);
    BOOST_TEST(merged.unknown == 0u);
    BOOST_TEST(emulators.requests(vendor::warpstream).empty());
}

BOOST_AUTO_TEST_SUITE_END()
