// The Retry-After parser (RFC 9110 §10.2.3): delay-seconds and the three HTTP-date forms,
// value by value at a fixed time, then against the clock the fan-out uses. The retries it
// drives over HTTP are tested in tests/e2e/retry_after_test.cpp.

#include "gateway/dispatch/retry_after.hpp"

#include "tests/support/http_date.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace dispatch = igw::dispatch;
using namespace std::chrono_literals;
using dispatch::max_retry_after;
using igw::test::imf_fixdate;

namespace {

// The delay in seconds, or -1 for nothing usable.
long long seconds(std::optional<std::chrono::seconds> parsed) { return parsed ? parsed->count() : -1; }

// Sun, 06 Nov 1994 08:49:37 GMT, the RFC's example.
const std::chrono::system_clock::time_point rfc_example = std::chrono::sys_days(std::chrono::year(1994) / 11 / 6) + 8h +
                                                          49min + 37s;

// The delay `value` asks for at `now`, or -1 for nothing usable.
long long seconds(std::string_view value, std::chrono::system_clock::time_point now = rfc_example)
{
    return seconds(dispatch::parse_retry_after(value, now));
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
    for (const char* value : {"",
                              "   ",
                              "-1",
                              "+5",
                              "1.5",
                              "5s",
                              "12 34",
                              "0x10",
                              "soon",
                              "Sun, 06 Nov 1994",
                              "Sun, 06 Nov 1994 08:49:37 UTC",
                              "sun, 06 nov 1994 08:49:37 gmt",
                              "Sun, 6 Nov 1994 08:49:37 GMT",
                              "Sun, 31 Feb 1994 08:49:37 GMT",
                              "Sun, 06 Nov 1994 24:00:00 GMT",
                              "Sun, 06 Nov 1994 08:61:00 GMT",
                              "Sun, 06 Nov 1994 08:49:37 GMT trailing",
                              "Sunday, 06-Nov-1994 08:49:37 GMT",
                              "Sun Nov 6 08:49:37 1994",
                              "Funday, 06-Nov-94 08:49:37 GMT"})
        BOOST_TEST(seconds(value) == -1, "[" << value << "]");
}

BOOST_AUTO_TEST_SUITE_END()

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
