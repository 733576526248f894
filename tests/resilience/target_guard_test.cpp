// The rules of a target's guard with times passed in: the rate budget's spacing and
// burst, a vendor's pause, and the circuit breaker's ejections, probes and recovery.
// Their effect on real calls is tested end to end in tests/e2e/resilience_test.cpp.

#include "gateway/resilience/target_guard.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace igw;
using namespace std::chrono_literals;
using resilience::admission;
using resilience::circuit_state;
using guard_clock = resilience::clock;
using verdict = resilience::admission::verdict;

namespace {

config::target_config target_with(std::optional<config::rate_config> rate, unsigned failures = 5,
                                  std::chrono::milliseconds base = 1000ms, std::chrono::milliseconds max = 4000ms)
{
    config::target_config t;
    t.name = "vendor";
    t.rate = rate;
    t.circuit_breaker = {failures, base, max};
    return t;
}

const guard_clock::time_point t0 = guard_clock::time_point{} + 1000h;

} // namespace

BOOST_AUTO_TEST_SUITE(rate_budget)

BOOST_AUTO_TEST_CASE(calls_are_spaced_at_the_average_rate_after_the_burst)
{
    resilience::target_guard guard("vendor");
    guard.configure(target_with(config::rate_config{20, 1000ms, 3}));
    std::vector<guard_clock::time_point> at;
    for (int i = 0; i < 6; ++i) {
        const admission a = guard.admit(t0, t0 + 10s);
        BOOST_TEST_REQUIRE((a.decision == verdict::send));
        at.push_back(a.send_at);
    }
    // Three back to back, then one every 50 ms.
    BOOST_TEST((at[0] == t0 && at[1] == t0 && at[2] == t0));
    BOOST_TEST((at[3] - t0 == 50ms));
    BOOST_TEST((at[4] - t0 == 100ms));
    BOOST_TEST((at[5] - t0 == 150ms));
}

BOOST_AUTO_TEST_CASE(a_quiet_spell_refills_the_burst_but_no_more)
{
    resilience::target_guard guard("vendor");
    guard.configure(target_with(config::rate_config{10, 1000ms, 2}));
    for (int i = 0; i < 4; ++i)
        (void)guard.admit(t0, t0 + 10s);
    const guard_clock::time_point later = t0 + 10s;
    BOOST_TEST((guard.admit(later, later + 1s).send_at == later));
    BOOST_TEST((guard.admit(later, later + 1s).send_at == later));
    BOOST_TEST((guard.admit(later, later + 1s).send_at == later + 100ms));
}

BOOST_AUTO_TEST_CASE(a_slot_past_the_deadline_is_refused_and_reserves_nothing)
{
    resilience::target_guard guard("vendor");
    guard.configure(target_with(config::rate_config{1, 1000ms, 1}));
    BOOST_TEST((guard.admit(t0, t0 + 100ms).decision == verdict::send));
    const admission refused = guard.admit(t0, t0 + 500ms);
    BOOST_TEST((refused.decision == verdict::rate_limited));
    // The refusal took no slot: the next call with time enough gets the first free one.
    const admission next = guard.admit(t0, t0 + 5s);
    BOOST_TEST((next.decision == verdict::send));
    BOOST_TEST((next.send_at == t0 + 1s));
    BOOST_TEST(guard.snapshot(t0).rejected_rate == 1u);
}

BOOST_AUTO_TEST_CASE(an_instance_uses_its_share_of_the_deployment_budget)
{
    resilience::target_guards guards;
    const auto guard = guards.get(target_with(config::rate_config{20, 1000ms, 1}));
    guards.set_instances(4); // 5 calls a second here
    BOOST_TEST(guard->snapshot(t0).rate_per_second == 5.0);
    (void)guard->admit(t0, t0 + 10s);
    BOOST_TEST((guard->admit(t0, t0 + 10s).send_at == t0 + 200ms));
}

BOOST_AUTO_TEST_CASE(a_vendor_pause_holds_every_call_without_a_budget_too)
{
    resilience::target_guard guard("vendor");
    guard.configure(target_with(std::nullopt));
    guard.pause(t0, t0 + 2s);
    const admission waits = guard.admit(t0 + 100ms, t0 + 5s);
    BOOST_TEST((waits.decision == verdict::send));
    BOOST_TEST((waits.send_at == t0 + 2s));
    const admission refused = guard.admit(t0 + 100ms, t0 + 1s);
    BOOST_TEST((refused.decision == verdict::rate_limited));
    BOOST_TEST((refused.until == t0 + 2s));
    BOOST_TEST((guard.admit(t0 + 3s, t0 + 4s).send_at == t0 + 3s));
}

BOOST_AUTO_TEST_CASE(a_pause_is_capped)
{
    resilience::target_guard guard("vendor");
    guard.configure(target_with(std::nullopt));
    guard.pause(t0, t0 + 24h);
    BOOST_TEST(guard.snapshot(t0).paused_seconds_left ==
               std::chrono::duration<double>(resilience::max_pause).count());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(circuit_breaker)

BOOST_AUTO_TEST_CASE(consecutive_failures_eject_and_a_success_resets_the_count)
{
    resilience::target_guard guard("vendor");
    guard.configure(target_with(std::nullopt, 3));
    const auto call = [&](guard_clock::time_point now, bool failure) {
        const admission a = guard.admit(now, now + 1s);
        if (a.decision == verdict::send)
            guard.record(a, failure, now);
        return a.decision;
    };
    BOOST_TEST((call(t0, true) == verdict::send));
    BOOST_TEST((call(t0, true) == verdict::send));
    BOOST_TEST((call(t0, false) == verdict::send)); // the run is broken
    BOOST_TEST((call(t0, true) == verdict::send));
    BOOST_TEST((call(t0, true) == verdict::send));
    BOOST_TEST((guard.snapshot(t0).circuit == circuit_state::closed));
    BOOST_TEST((call(t0, true) == verdict::send)); // the third in a row
    BOOST_TEST((guard.snapshot(t0).circuit == circuit_state::open));
    const admission refused = guard.admit(t0 + 10ms, t0 + 1s);
    BOOST_TEST((refused.decision == verdict::ejected));
    BOOST_TEST((refused.until == t0 + 1s));
    BOOST_TEST(guard.snapshot(t0).ejections == 1u);
}

BOOST_AUTO_TEST_CASE(after_the_ejection_one_probe_at_a_time_decides)
{
    resilience::target_guard guard("vendor");
    guard.configure(target_with(std::nullopt, 1, 1000ms, 4000ms));
    guard.record(guard.admit(t0, t0 + 1s), true, t0);
    BOOST_TEST((guard.admit(t0 + 999ms, t0 + 2s).decision == verdict::ejected));

    const guard_clock::time_point after = t0 + 1s;
    const admission probe = guard.admit(after, after + 1s);
    BOOST_TEST((probe.decision == verdict::send));
    BOOST_TEST(probe.probe);
    BOOST_TEST((guard.snapshot(after).circuit == circuit_state::half_open));
    // While the probe is out, every other call fails fast.
    BOOST_TEST((guard.admit(after, after + 1s).decision == verdict::ejected));
    guard.record(probe, false, after + 10ms);
    BOOST_TEST((guard.snapshot(after).circuit == circuit_state::closed));
    BOOST_TEST((guard.admit(after + 20ms, after + 1s).decision == verdict::send));
}

BOOST_AUTO_TEST_CASE(a_failed_probe_ejects_again_for_longer_up_to_the_maximum)
{
    resilience::target_guard guard("vendor");
    guard.configure(target_with(std::nullopt, 1, 1000ms, 2500ms));
    guard_clock::time_point now = t0;
    guard.record(guard.admit(now, now + 1s), true, now); // ejected 1 s
    now += 1s;
    guard.record(guard.admit(now, now + 1s), true, now); // probe fails: 2 s
    BOOST_TEST((guard.admit(now + 1999ms, now + 3s).decision == verdict::ejected));
    now += 2s;
    guard.record(guard.admit(now, now + 1s), true, now); // 3 s, capped at 2.5 s
    BOOST_TEST(guard.snapshot(now).ejected_seconds_left == 2.5);
    BOOST_TEST(guard.snapshot(now).ejections == 3u);
}

BOOST_AUTO_TEST_CASE(an_abandoned_probe_frees_the_turn)
{
    resilience::target_guard guard("vendor");
    guard.configure(target_with(std::nullopt, 1));
    guard.record(guard.admit(t0, t0 + 1s), true, t0);
    const guard_clock::time_point after = t0 + 2s;
    const admission probe = guard.admit(after, after + 1s);
    BOOST_TEST(probe.probe);
    guard.abandon(probe);
    BOOST_TEST(guard.admit(after, after + 1s).probe);
}

BOOST_AUTO_TEST_CASE(a_probe_the_budget_refuses_does_not_hold_the_turn)
{
    resilience::target_guard guard("vendor");
    guard.configure(target_with(config::rate_config{1, 10'000ms, 1}, 1));
    guard.record(guard.admit(t0, t0 + 1s), true, t0); // the budget's next slot: t0 + 10 s
    const guard_clock::time_point after = t0 + 2s;
    const admission tight = guard.admit(after, after + 1s);
    BOOST_TEST((tight.decision == verdict::rate_limited));
    BOOST_TEST(!tight.probe);
    const admission fits = guard.admit(after, after + 20s);
    BOOST_TEST((fits.decision == verdict::send));
    BOOST_TEST(fits.probe);
    BOOST_TEST((fits.send_at == t0 + 10s));
}

BOOST_AUTO_TEST_CASE(zero_failures_never_ejects)
{
    resilience::target_guard guard("vendor");
    guard.configure(target_with(std::nullopt, 0));
    for (int i = 0; i < 100; ++i)
        guard.record(guard.admit(t0, t0 + 1s), true, t0);
    BOOST_TEST((guard.admit(t0, t0 + 1s).decision == verdict::send));
}

BOOST_AUTO_TEST_CASE(a_reload_keeps_the_state_of_a_target_it_keeps)
{
    resilience::target_guards guards;
    const auto before = guards.get(target_with(std::nullopt, 1));
    before->record(before->admit(t0, t0 + 1s), true, t0);
    const auto after = guards.get(target_with(config::rate_config{5, 1000ms, 1}, 1));
    BOOST_TEST(before.get() == after.get());
    BOOST_TEST((after->snapshot(t0).circuit == circuit_state::open));
}

BOOST_AUTO_TEST_SUITE_END()
