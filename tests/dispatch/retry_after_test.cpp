// Retry-After against the clock the fan-out uses. The forms of the header are covered
// value by value in tests/e2e/retry_after_test.cpp, beside the retries over HTTP.

#include "gateway/dispatch/retry_after.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <ctime>
#include <optional>
#include <string>

namespace dispatch = igw::dispatch;
using namespace std::chrono_literals;

namespace {

std::string imf_fixdate(std::chrono::system_clock::time_point at)
{
    const std::time_t t = std::chrono::system_clock::to_time_t(at);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char text[64];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return text;
}

// The delay in seconds, or -1 for nothing usable.
long long seconds(std::optional<std::chrono::seconds> parsed) { return parsed ? parsed->count() : -1; }

} // namespace

BOOST_AUTO_TEST_SUITE(retry_after_now)

BOOST_AUTO_TEST_CASE(a_date_is_counted_from_the_current_time)
{
    const auto asked = dispatch::parse_retry_after(imf_fixdate(std::chrono::system_clock::now() + 120s));
    BOOST_TEST_REQUIRE(asked.has_value());
    // Whole seconds, rounded up, from a clock that moved on while the test ran.
    BOOST_TEST(asked->count() >= 118);
    BOOST_TEST(asked->count() <= 121);
    BOOST_TEST(seconds(dispatch::parse_retry_after(imf_fixdate(std::chrono::system_clock::now() - 3600s))) == 0);
}

BOOST_AUTO_TEST_CASE(delay_seconds_do_not_depend_on_the_time)
{
    BOOST_TEST(seconds(dispatch::parse_retry_after("30")) == 30);
    BOOST_TEST(seconds(dispatch::parse_retry_after("30", std::chrono::system_clock::time_point{})) == 30);
    BOOST_TEST(seconds(dispatch::parse_retry_after("soon")) == -1);
}

BOOST_AUTO_TEST_SUITE_END()
