#include "benchmarks/load/schedule.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>
#include <vector>

using namespace igw::load;
using namespace std::chrono_literals;

namespace {

// A deterministic stand-in for the network: `connections` connections that each take
// `service` to answer, fed by a request_source the way runner.cpp's connections are (a
// free connection takes the next request and waits for its due time if it is early).
// Returns each measured request's latency, in request order.
std::vector<nanoseconds> simulate(request_source& source, unsigned connections, nanoseconds service)
{
    std::vector<nanoseconds> free_at(connections, 0ns);
    std::vector<std::pair<std::uint64_t, nanoseconds>> latencies;
    for (int guard = 0; guard < 1'000'000; ++guard) {
        auto earliest = std::min_element(free_at.begin(), free_at.end());
        const nanoseconds now = *earliest;
        const auto slot = source.next(now);
        if (!slot) {
            *earliest = nanoseconds::max(); // this connection is done
            if (std::all_of(free_at.begin(), free_at.end(), [](nanoseconds t) { return t == nanoseconds::max(); }))
                break;
            continue;
        }
        const nanoseconds sent = source.fixed_rate() ? std::max(now, slot->due) : now;
        const nanoseconds done = sent + service;
        if (slot->measured)
            latencies.emplace_back(slot->index, request_latency(source.fixed_rate(), slot->due, sent, done));
        *earliest = done;
    }
    std::sort(latencies.begin(), latencies.end());
    std::vector<nanoseconds> out;
    for (const auto& [index, latency] : latencies)
        out.push_back(latency);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(load_schedule)

BOOST_AUTO_TEST_CASE(requests_are_due_at_index_over_rate_without_drift)
{
    request_source source({.rate = 3, .duration = 10s});
    BOOST_TEST(source.due_time(0).count() == 0);
    BOOST_TEST(source.due_time(1).count() == 333'333'333);
    BOOST_TEST(source.due_time(3).count() == 1'000'000'000);
    BOOST_TEST(source.due_time(3'000'000).count() == 1'000'000'000'000'000);
}

BOOST_AUTO_TEST_CASE(fixed_rate_hands_out_exactly_the_requests_due_before_the_end)
{
    request_source source({.rate = 1000, .warmup = 100ms, .duration = 250ms});
    std::uint64_t measured = 0, total = 0;
    while (const auto slot = source.next(0ns)) {
        BOOST_TEST_REQUIRE(slot->index == total);
        BOOST_TEST_REQUIRE(slot->due == std::chrono::milliseconds(total));
        BOOST_TEST_REQUIRE(slot->measured == (slot->due >= 100ms));
        measured += slot->measured;
        ++total;
        BOOST_TEST_REQUIRE(total <= 1000u);
    }
    BOOST_TEST(total == 350u);
    BOOST_TEST(measured == 250u);
    BOOST_TEST(source.unsent() == 0u);
}

BOOST_AUTO_TEST_CASE(lanes_share_the_global_schedule)
{
    std::set<std::uint64_t> seen;
    for (unsigned lane = 0; lane < 3; ++lane) {
        request_source source({.rate = 100, .duration = 1s}, lane, 3);
        while (const auto slot = source.next(0ns)) {
            BOOST_TEST_REQUIRE(slot->index % 3 == lane);
            BOOST_TEST_REQUIRE(slot->due == std::chrono::milliseconds(10 * slot->index));
            BOOST_TEST_REQUIRE(seen.insert(slot->index).second);
        }
        BOOST_TEST(source.unsent() == 0u);
    }
    BOOST_TEST(seen.size() == 100u);
    BOOST_TEST(*seen.rbegin() == 99u);
}

BOOST_AUTO_TEST_CASE(max_requests_caps_both_modes)
{
    request_source fixed({.rate = 1e6, .duration = 10s, .max_requests = 7});
    request_source fast({.rate = 0, .duration = 10s, .max_requests = 7});
    int n_fixed = 0, n_fast = 0;
    while (fixed.next(0ns) && n_fixed < 100)
        ++n_fixed;
    while (fast.next(0ns) && n_fast < 100)
        ++n_fast;
    BOOST_TEST(n_fixed == 7);
    BOOST_TEST(n_fast == 7);
}

BOOST_AUTO_TEST_CASE(queueing_delay_counts_when_the_server_is_too_slow)
{
    // 100 requests/s into one connection that needs 20 ms per request: request k is due
    // at 10k ms but can only start at 20k ms, so its latency is 20 + 10k ms. A closed-loop
    // measurement (from the actual send) would claim 20 ms for every one of them.
    request_source source({.rate = 100, .duration = 500ms, .drain = 10s});
    const auto latencies = simulate(source, 1, 20ms);
    BOOST_TEST_REQUIRE(latencies.size() == 50u);
    for (std::size_t k = 0; k < latencies.size(); ++k)
        BOOST_TEST_REQUIRE(latencies[k] == std::chrono::milliseconds(20 + 10 * k));
}

BOOST_AUTO_TEST_CASE(enough_connections_see_only_the_service_time)
{
    request_source source({.rate = 100, .duration = 500ms});
    const auto latencies = simulate(source, 2, 20ms);
    BOOST_TEST_REQUIRE(latencies.size() == 50u);
    for (const auto latency : latencies)
        BOOST_TEST_REQUIRE(latency == 20ms);
}

BOOST_AUTO_TEST_CASE(backlog_beyond_the_drain_is_reported_unsent)
{
    // Same overload; past end + drain (500 + 200 ms) no queued request is sent any more.
    // A connection is free at 20k ms: requests taken at 0, 20, ... 700 ms -> 36 taken.
    request_source source({.rate = 100, .duration = 500ms, .drain = 200ms});
    const auto latencies = simulate(source, 1, 20ms);
    BOOST_TEST(latencies.size() == 36u);
    BOOST_TEST(source.unsent() == 14u);
}

BOOST_AUTO_TEST_CASE(as_fast_as_possible_measures_from_the_send_after_the_warmup)
{
    request_source source({.rate = 0, .warmup = 100ms, .duration = 200ms});
    const auto latencies = simulate(source, 1, 20ms);
    // Sends at 0, 20 ... 280 ms: 15 requests, of which those sent at >= 100 ms are measured.
    BOOST_TEST(source.taken() == 15u);
    BOOST_TEST_REQUIRE(latencies.size() == 10u);
    for (const auto latency : latencies)
        BOOST_TEST_REQUIRE(latency == 20ms);
    BOOST_TEST(source.unsent() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
