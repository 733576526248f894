#include "gateway/webhook/backoff.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

namespace webhook = igw::webhook;
using namespace std::chrono_literals;
using webhook::next_attempt;

namespace {

const webhook::wall_clock::time_point first = webhook::wall_clock::time_point(1'700'000'000s);
constexpr double almost_one = 0.999999;

// The wait next_attempt() gives after `failed_attempt` failed at `now`, in milliseconds;
// -1 when it gives up.
long long wait_ms(unsigned failed_attempt, webhook::wall_clock::time_point now, double uniform)
{
    const auto at = next_attempt(failed_attempt, first, now, uniform);
    return at ? std::chrono::duration_cast<std::chrono::milliseconds>(*at - now).count() : -1;
}

} // namespace

BOOST_AUTO_TEST_CASE(the_wait_is_a_uniform_share_of_a_ceiling_that_doubles_from_five_seconds)
{
    BOOST_TEST(wait_ms(1, first, 0.0) == 0);
    BOOST_TEST(wait_ms(1, first, 0.5) == 2'500);
    BOOST_TEST(wait_ms(1, first, almost_one) < 5'000);
    BOOST_TEST(wait_ms(1, first, almost_one) >= 4'999);
    BOOST_TEST(wait_ms(2, first + 10s, 0.5) == 5'000);
    BOOST_TEST(wait_ms(3, first + 20s, 0.5) == 10'000);
    BOOST_TEST(wait_ms(10, first + 1h, 0.5) == 1'280'000); // 5 s * 2^9 / 2
}

BOOST_AUTO_TEST_CASE(no_single_wait_exceeds_an_hour_however_many_attempts_failed)
{
    BOOST_TEST(wait_ms(11, first + 1h, 0.5) == 1'800'000); // 5 s * 2^10 = 85 min, capped
    BOOST_TEST(wait_ms(11, first + 1h, almost_one) < 3'600'000);
    BOOST_TEST(wait_ms(64, first + 2h, 0.5) == 1'800'000);
    BOOST_TEST(wait_ms(5'000, first + 2h, 0.5) == 1'800'000); // 2^4999 is inf in a double
    BOOST_TEST(wait_ms(std::numeric_limits<unsigned>::max(), first + 2h, 0.5) == 1'800'000);
}

BOOST_AUTO_TEST_CASE(random_numbers_outside_zero_to_one_are_clamped)
{
    BOOST_TEST(wait_ms(1, first, -3.0) == 0);
    BOOST_TEST(wait_ms(1, first, std::nan("")) == 0);
    BOOST_TEST(wait_ms(1, first, 7.0) == 5'000);
    BOOST_TEST(wait_ms(0, first, 0.5) == 2'500); // attempt 0 counts as the first
}

BOOST_AUTO_TEST_CASE(the_delivery_is_given_up_24_hours_after_its_first_attempt)
{
    BOOST_TEST(wait_ms(30, first + 24h, 0.0) == -1);
    BOOST_TEST(wait_ms(30, first + 25h, 0.5) == -1);
    BOOST_TEST(wait_ms(1, first + 24h + 1ms, 0.0) == -1);
    // Just before: the wait is cut short so that the last attempt lands on the deadline.
    BOOST_TEST(wait_ms(30, first + 24h - 10min, almost_one) == 600'000);
    BOOST_TEST(wait_ms(30, first + 24h - 10min, 0.1) == 360'000);
}

BOOST_AUTO_TEST_CASE(a_receiver_that_never_answers_is_tried_about_thirty_times_over_a_day)
{
    // The longest waits (uniform just under 1), attempt after attempt, as a delivery
    // that keeps failing sees them: increasing, capped, ending at the deadline.
    webhook::wall_clock::time_point now = first;
    unsigned attempts = 1;
    std::chrono::milliseconds previous_wait{0};
    while (const auto at = next_attempt(attempts, first, now, almost_one)) {
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*at - now);
        BOOST_TEST(wait <= 1h);
        BOOST_TEST((wait >= previous_wait || *at == first + 24h));
        previous_wait = wait;
        now = *at;
        ++attempts;
        BOOST_TEST_REQUIRE(attempts < 100u);
    }
    BOOST_TEST((now == first + 24h));
    // 10 attempts to reach the cap (about 85 min in all), then about one an hour.
    BOOST_TEST(attempts >= 30u);
    BOOST_TEST(attempts <= 36u);
}
