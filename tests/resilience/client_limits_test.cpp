// A client's own rate with times passed in: the burst, the refusal and its Retry-After,
// what the RateLimit fields report, the clients kept apart, and a changed rate starting
// afresh. Over HTTP (the 429 and the headers) in tests/e2e/scoped_keys_test.cpp.

#include "gateway/resilience/client_limits.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace igw;
using namespace std::chrono_literals;
using limits_clock = resilience::clock;

namespace {

const limits_clock::time_point t0 = limits_clock::time_point{} + 1000h;
const config::rate_config five_a_second{5, 1000ms, 5};

} // namespace

BOOST_AUTO_TEST_SUITE(client_limits)

BOOST_AUTO_TEST_CASE(a_burst_then_one_request_per_interval)
{
    resilience::client_limits limits;
    for (unsigned i = 0; i < 5; ++i) {
        const auto got = limits.admit("app", five_a_second, t0 + 1ms * i);
        BOOST_TEST_REQUIRE(got.admitted, i);
        BOOST_TEST(got.remaining == 4 - i);
        BOOST_TEST(got.reset.count() == 1); // at most a second's worth taken
    }
    const auto sixth = limits.admit("app", five_a_second, t0 + 5ms);
    BOOST_TEST(!sixth.admitted);
    BOOST_TEST(sixth.remaining == 0u);
    BOOST_TEST(sixth.retry_after.count() == 1); // 195 ms, rounded up
    // One interval (200 ms) after the first request, one more fits; not before.
    BOOST_TEST(!limits.admit("app", five_a_second, t0 + 199ms).admitted);
    const auto later = limits.admit("app", five_a_second, t0 + 200ms);
    BOOST_TEST(later.admitted);
    BOOST_TEST(later.remaining == 0u);
    // After a quiet second the whole burst is back.
    const auto rested = limits.admit("app", five_a_second, t0 + 1200ms);
    BOOST_TEST(rested.admitted);
    BOOST_TEST(rested.remaining == 4u);
}

BOOST_AUTO_TEST_CASE(retry_after_is_the_wait_for_the_next_slot_rounded_up)
{
    resilience::client_limits limits;
    const config::rate_config slow{1, 60'000ms, 1};
    BOOST_TEST(limits.admit("app", slow, t0).admitted);
    const auto refused = limits.admit("app", slow, t0 + 500ms);
    BOOST_TEST(!refused.admitted);
    BOOST_TEST(refused.retry_after.count() == 60); // 59.5 s
    BOOST_TEST(refused.reset.count() == 60);
    // Refusals take nothing: the slot is where it was.
    BOOST_TEST(limits.admit("app", slow, t0 + 60s).admitted);
}

BOOST_AUTO_TEST_CASE(clients_have_their_own_limits_and_a_new_rate_starts_afresh)
{
    resilience::client_limits limits;
    const config::rate_config one{1, 1000ms, 1};
    BOOST_TEST(limits.admit("a", one, t0).admitted);
    BOOST_TEST(!limits.admit("a", one, t0).admitted);
    BOOST_TEST(limits.admit("b", one, t0).admitted);
    // The same rate again (a reload that kept it): still refused.
    BOOST_TEST(!limits.admit("a", config::rate_config{1, 1000ms, 1}, t0).admitted);
    // A changed rate: a full budget.
    const auto fresh = limits.admit("a", config::rate_config{2, 1000ms, 2}, t0);
    BOOST_TEST(fresh.admitted);
    BOOST_TEST(fresh.remaining == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
