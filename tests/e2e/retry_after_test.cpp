// Retry-After (RFC 9110 §10.2.3): the gateway honouring it against a rate-limiting vendor.
// A vendor asking for longer than the gateway waits between attempts (10 s) gets no retry,
// and the client learns the vendor's delay. The parser's own cases are in
// tests/dispatch/retry_after_test.cpp.

#include "tests/e2e/support/harness.hpp"
#include "tests/e2e/support/merged_reply.hpp"
#include "tests/support/http_date.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace igw;
using namespace igw::e2e;
using namespace std::chrono_literals;
using emulator::fault;
using emulator::fault_kind;
using emulator::vendor;
using igw::test::imf_fixdate;

BOOST_AUTO_TEST_SUITE(retry_after)

BOOST_AUTO_TEST_CASE(a_429_asking_for_120_seconds_is_not_retried_and_says_when_to_come_back)
{
    emulator::server emulators;
    gateway gw(emulators); // request_timeout 30s: waiting 120 s is out of the question anyway
    for (int i = 0; i < 3; ++i)
        emulators.inject(vendor::anthropic, fault{.kind = fault_kind::status, .status = 429, .retry_after = "120"});

    const auto reply = post_invite(
        gw.port(), invite_body({{"busy@example.com", "member"}}, std::vector<std::string>{"anthropic"}));
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
    const merged_reply merged = parse_merged_reply(reply.body);
    BOOST_TEST_REQUIRE(merged.results.size() == 1u);
    BOOST_TEST(merged.results[0].status == "failed");
    BOOST_TEST(merged.results[0].error_code.value_or("") == "rate_limited");
    BOOST_TEST(merged.results[0].upstream_status.value_or(0) == 429u);
    BOOST_TEST(merged.results[0].error_message.value_or("") == "rate limited by target anthropic: retry after 120 s");
    BOOST_TEST(emulators.requests(vendor::anthropic).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_429_with_a_far_http_date_is_not_retried)
{
    emulator::server emulators;
    config_variant variant;
    variant.request_timeout = "200s"; // the deadline would allow the wait: the ceiling must stop it
    gateway gw(emulators, {.variant = variant, .env = {}});
    const std::string date = imf_fixdate(std::chrono::system_clock::now() + 150s);
    for (int i = 0; i < 3; ++i)
        emulators.inject(vendor::gorules, fault{.kind = fault_kind::status, .status = 429, .retry_after = date});

    const auto reply = post_invite(gw.port(),
                                   invite_body({{"busy@example.com", "member"}}, std::vector<std::string>{"gorules"}));
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
    const merged_reply merged = parse_merged_reply(reply.body);
    BOOST_TEST_REQUIRE(merged.results.size() == 1u);
    BOOST_TEST(merged.results[0].status == "failed");
    BOOST_TEST(merged.results[0].error_code.value_or("") == "rate_limited");
    const std::string message = merged.results[0].error_message.value_or("");
    BOOST_TEST(message.starts_with("rate limited by target gorules: retry after 1"), message);
    BOOST_TEST(message.ends_with(" s"), message);
    BOOST_TEST(emulators.requests(vendor::gorules).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_huge_retry_after_is_not_retried)
{
    emulator::server emulators;
    gateway gw(emulators);
    for (int i = 0; i < 3; ++i)
        emulators.inject(vendor::gorules,
                         fault{.kind = fault_kind::status, .status = 429, .retry_after = "99999999999999999999"});
    const auto reply = post_invite(gw.port(),
                                   invite_body({{"busy@example.com", "member"}}, std::vector<std::string>{"gorules"}));
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
    BOOST_TEST(parse_merged_reply(reply.body).results.at(0).error_code.value_or("") == "rate_limited");
    BOOST_TEST(emulators.requests(vendor::gorules).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_503_with_a_date_already_past_is_retried_at_once)
{
    emulator::server emulators;
    gateway gw(emulators);
    emulators.inject(vendor::gorules,
                     fault{.kind = fault_kind::status, .status = 503, .retry_after = "Thu, 01 Jan 1970 00:00:00 GMT"});
    const auto started = std::chrono::steady_clock::now();
    const auto reply = post_invite(gw.port(),
                                   invite_body({{"later@example.com", "member"}}, std::vector<std::string>{"gorules"}));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
    BOOST_TEST(emulators.requests(vendor::gorules).size() == 2u);
    // Shown, not asserted: speed is for benchmarks.
    BOOST_TEST_MESSAGE("retried after a past date in "
                       << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms");
}

BOOST_AUTO_TEST_SUITE_END()
