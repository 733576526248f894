// Graceful shutdown with invitations in flight: each is answered with its full merged
// reply before the server's threads end.

#include "tests/e2e/support/harness.hpp"
#include "tests/e2e/support/merged_reply.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <thread>

using namespace igw;
using namespace igw::e2e;
using namespace std::chrono_literals;
using emulator::fault;
using emulator::fault_kind;
using emulator::vendor;

BOOST_AUTO_TEST_SUITE(graceful_shutdown)

BOOST_AUTO_TEST_CASE(stop_with_grace_answers_every_request_in_flight)
{
    constexpr std::size_t in_flight = 3;
    emulator::server emulators;
    config_variant variant;
    variant.shutdown_grace = "5s";
    gateway gw(emulators, {.variant = variant, .env = {}});
    emulators.inject(vendor::anthropic, fault{.kind = fault_kind::delay, .delay = 300ms, .times = in_flight});

    std::vector<std::future<emulator::test_response>> replies;
    for (std::size_t i = 0; i < in_flight; ++i)
        replies.push_back(std::async(std::launch::async, [&gw, i] {
            return post_invite(gw.port(), invite_body({{"late" + std::to_string(i) + "@example.com", "member"}},
                                                      std::vector<std::string>{"anthropic", "gorules"}));
        }));

    // In flight: every request has reached the (slow) vendor. Bounded wait.
    const auto limit = std::chrono::steady_clock::now() + 5s;
    while (emulators.connections_accepted(vendor::anthropic) < in_flight && std::chrono::steady_clock::now() < limit)
        std::this_thread::sleep_for(1ms);
    BOOST_TEST_REQUIRE(emulators.connections_accepted(vendor::anthropic) == in_flight);
    // None has been answered yet: the vendor is still holding them.
    BOOST_TEST(emulators.requests(vendor::anthropic).empty());

    gw.front().stop(5s);
    BOOST_TEST(!gw.front().ready());
    for (std::size_t i = 0; i < in_flight; ++i) {
        BOOST_TEST_CONTEXT("request " << i)
        {
            BOOST_TEST_REQUIRE((replies[i].wait_for(10s) == std::future_status::ready));
            const emulator::test_response reply = replies[i].get();
            BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error);
            BOOST_TEST(reply.status == 200u, reply.body);
            BOOST_TEST(!reply.keep_alive); // the server is closing
            const merged_reply merged = parse_merged_reply(reply.body);
            BOOST_TEST_REQUIRE(merged.results.size() == 2u);
            BOOST_TEST(merged.results[0].target == "anthropic");
            BOOST_TEST(merged.results[0].status == "invited");
            BOOST_TEST(merged.results[0].email == "late" + std::to_string(i) + "@example.com");
            BOOST_TEST(merged.results[1].target == "gorules");
            BOOST_TEST(merged.results[1].status == "invited");
        }
    }
    // wait() returns once the workers are done; the destructor joining proves nothing hangs.
    auto waited = std::async(std::launch::async, [&gw] { gw.front().wait(); });
    BOOST_TEST((waited.wait_for(10s) == std::future_status::ready));
    BOOST_TEST(emulators.requests(vendor::anthropic).size() == in_flight);
}

BOOST_AUTO_TEST_CASE(past_the_grace_period_calls_are_cut_and_the_client_still_gets_the_merged_reply)
{
    emulator::server emulators;
    config_variant variant;
    variant.shutdown_grace = "5s";
    gateway gw(emulators, {.variant = variant, .env = {}});
    // Far longer than the grace period below: only cancellation can end this call.
    emulators.inject(vendor::anthropic, fault{.kind = fault_kind::delay, .delay = 3s});

    auto reply = std::async(std::launch::async, [&gw] {
        return post_invite(gw.port(), invite_body({{"stuck@example.com", "member"}},
                                                  std::vector<std::string>{"anthropic", "gorules"}));
    });
    const auto limit = std::chrono::steady_clock::now() + 5s;
    while ((emulators.connections_accepted(vendor::anthropic) < 1 || emulators.requests(vendor::gorules).empty()) &&
           std::chrono::steady_clock::now() < limit)
        std::this_thread::sleep_for(1ms);
    BOOST_TEST_REQUIRE(emulators.connections_accepted(vendor::anthropic) == 1u);

    gw.front().stop(100ms);
    auto waited = std::async(std::launch::async, [&gw] { gw.front().wait(); });
    // wait() returns without waiting for the vendor's 3 s reply.
    BOOST_TEST_REQUIRE((waited.wait_for(2500ms) == std::future_status::ready));
    BOOST_TEST_REQUIRE((reply.wait_for(2500ms) == std::future_status::ready));
    const emulator::test_response cut = reply.get();
    BOOST_TEST_REQUIRE(cut.ok(), cut.error);
    // The call that finished is reported as it is; the one cut off is `unknown`, code
    // `interrupted`: never a success for an invitation whose outcome nobody knows.
    BOOST_TEST(cut.status == 207u, cut.body);
    BOOST_TEST(!cut.keep_alive);
    const auto merged = parse_merged_reply(cut.body);
    BOOST_TEST_REQUIRE(merged.results.size() == 2u);
    BOOST_TEST(merged.results[0].target == "anthropic");
    BOOST_TEST(merged.results[0].status == "unknown");
    BOOST_TEST(merged.results[0].error_code.value_or("") == "interrupted");
    BOOST_TEST(merged.results[1].target == "gorules");
    BOOST_TEST(merged.results[1].status == "invited");
    BOOST_TEST(emulators.requests(vendor::anthropic).empty());
}

BOOST_AUTO_TEST_SUITE_END()
