// Retry-After (RFC 9110 §10.2.3): the parser on its own, then the gateway honouring it
// against a rate-limiting vendor. A vendor asking for longer than the gateway waits
// between attempts (10 s) gets no retry, and the client learns the vendor's delay.

#include "gateway/dispatch/retry_after.hpp"
#include "tests/e2e/support/harness.hpp"
#include "tests/e2e/support/merged_reply.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <ctime>

using namespace igw;
using namespace igw::e2e;
using namespace std::chrono_literals;
using dispatch::max_retry_after;
using dispatch::parse_retry_after;
using emulator::fault;
using emulator::fault_kind;
using emulator::vendor;

namespace {

// Sun, 06 Nov 1994 08:49:37 GMT, the RFC's example.
const std::chrono::system_clock::time_point rfc_example = std::chrono::sys_days(std::chrono::year(1994) / 11 / 6) +
                                                          8h + 49min + 37s;

// The delay in seconds, or -1 for nothing usable.
long long seconds(std::string_view value, std::chrono::system_clock::time_point now = rfc_example)
{
    const auto parsed = parse_retry_after(value, now);
    return parsed ? static_cast<long long>(parsed->count()) : -1;
}

// `at` as an IMF-fixdate, the form servers send.
std::string imf_fixdate(std::chrono::system_clock::time_point at)
{
    const std::time_t t = std::chrono::system_clock::to_time_t(at);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char text[64];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return text;
}

} // namespace

BOOST_AUTO_TEST_SUITE(retry_after)

BOOST_AUTO_TEST_CASE(delay_seconds)
{
    BOOST_TEST(seconds("0") == 0);
    BOOST_TEST(seconds("7") == 7);
    BOOST_TEST(seconds("120") == 120);
    BOOST_TEST(seconds(" 120\t") == 120); // optional whitespace around the value
    BOOST_TEST(seconds("0007") == 7);
}

BOOST_AUTO_TEST_CASE(huge_numbers_saturate_instead_of_being_ignored)
{
    BOOST_TEST(seconds("2147483647") == max_retry_after.count());
    BOOST_TEST(seconds("2147483648") == max_retry_after.count());
    BOOST_TEST(seconds("99999999999999999999999999999999") == max_retry_after.count());
}

BOOST_AUTO_TEST_CASE(http_dates_in_all_three_forms)
{
    const auto now = rfc_example - 120s;
    BOOST_TEST(seconds("Sun, 06 Nov 1994 08:49:37 GMT", now) == 120);  // IMF-fixdate
    BOOST_TEST(seconds("Sunday, 06-Nov-94 08:49:37 GMT", now) == 120); // RFC 850
    BOOST_TEST(seconds("Sun Nov  6 08:49:37 1994", now) == 120);       // asctime
    BOOST_TEST(seconds("Sun Nov 16 08:49:37 1994", now) == 120 + 10 * 86400);
    BOOST_TEST(seconds("Thu, 01 Jan 2065 00:00:00 GMT", now) > 0);
    // A fraction of a second still to go is a second to wait.
    BOOST_TEST(seconds("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example - 1ms) == 1);
}

BOOST_AUTO_TEST_CASE(dates_in_the_past_are_no_wait)
{
    BOOST_TEST(seconds("Sun, 06 Nov 1994 08:49:37 GMT") == 0); // exactly now
    BOOST_TEST(seconds("Sun, 06 Nov 1994 08:49:36 GMT") == 0);
    BOOST_TEST(seconds("Sat, 01 Jan 1994 00:00:00 GMT") == 0);
    BOOST_TEST(seconds("Thu, 01 Jan 1970 00:00:00 GMT") == 0);
}

BOOST_AUTO_TEST_CASE(rfc850_two_digit_years_are_never_more_than_50_years_ahead)
{
    const auto in_2030 = std::chrono::sys_days(std::chrono::year(2030) / 1 / 1) + 0s;
    // "79" in 2030 is 2079 (49 years ahead), "81" is 1981 (the past).
    BOOST_TEST(seconds("Sunday, 01-Jan-79 00:00:00 GMT", in_2030) > 0);
    BOOST_TEST(seconds("Thursday, 01-Jan-81 00:00:00 GMT", in_2030) == 0);
}

BOOST_AUTO_TEST_CASE(garbage_is_nothing_usable)
{
    for (const char* value : {"", "   ", "-1", "+5", "1.5", "5s", "12 34", "0x10", "soon", "Sun, 06 Nov 1994",
                              "Sun, 06 Nov 1994 08:49:37 UTC", "sun, 06 nov 1994 08:49:37 gmt",
                              "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 31 Feb 1994 08:49:37 GMT",
                              "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:61:00 GMT",
                              "Sun, 06 Nov 1994 08:49:37 GMT trailing", "Sunday, 06-Nov-1994 08:49:37 GMT",
                              "Sun Nov 6 08:49:37 1994", "Funday, 06-Nov-94 08:49:37 GMT"})
        BOOST_TEST(seconds(value) == -1, "[" << value << "]");
}

BOOST_AUTO_TEST_CASE(a_429_asking_for_120_seconds_is_not_retried_and_says_when_to_come_back)
{
    emulator::server emulators;
    gateway gw(emulators); // request_timeout 30s: waiting 120 s is out of the question anyway
    for (int i = 0; i < 3; ++i)
        emulators.inject(vendor::anthropic, fault{.kind = fault_kind::status, .status = 429, .retry_after = "120"});

    const auto reply =
        post_invite(gw.port(), invite_body({{"busy@example.com", "member"}}, std::vector<std::string>{"anthropic"}));
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

    const auto reply =
        post_invite(gw.port(), invite_body({{"busy@example.com", "member"}}, std::vector<std::string>{"gorules"}));
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
    const auto reply =
        post_invite(gw.port(), invite_body({{"busy@example.com", "member"}}, std::vector<std::string>{"gorules"}));
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
    BOOST_TEST(parse_merged_reply(reply.body).results.at(0).error_code.value_or("") == "rate_limited");
    BOOST_TEST(emulators.requests(vendor::gorules).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_503_with_a_date_already_past_is_retried_at_once)
{
    emulator::server emulators;
    gateway gw(emulators);
    emulators.inject(vendor::gorules, fault{.kind = fault_kind::status, .status = 503,
                                            .retry_after = "Thu, 01 Jan 1970 00:00:00 GMT"});
    const auto started = std::chrono::steady_clock::now();
    const auto reply =
        post_invite(gw.port(), invite_body({{"later@example.com", "member"}}, std::vector<std::string>{"gorules"}));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
    BOOST_TEST(emulators.requests(vendor::gorules).size() == 2u);
    // Shown, not asserted: speed is for benchmarks.
    BOOST_TEST_MESSAGE("retried after a past date in "
                       << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms");
}

BOOST_AUTO_TEST_SUITE_END()
