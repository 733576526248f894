#pragma once
// What the gateway keeps per target across every request and worker thread, so that one
// target's trouble is handled once for all of them: its rate budget (README "Rate
// budgets"), the pause a vendor's 429 or Retry-After asks for, and its circuit breaker
// (README "Circuit breaking", Envoy's outlier detection as the model).
//
// Plain mutex-guarded state and no Asio: a caller asks when it may send and waits on its
// own timer, so no thread ever wakes another. Times are passed in, so the rules are
// tested without sleeping.

#include "gateway/config/config.hpp"
#include "gateway/resilience/gcra.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace igw::resilience {

enum class circuit_state : std::uint8_t { closed, open, half_open };
std::string_view to_string(circuit_state state) noexcept;

// The longest pause a vendor's Retry-After imposes on its target: a vendor asking for a
// day (or a broken header) does not stop the gateway for that long. Calls past it
// simply meet the vendor's 429 again.
inline constexpr std::chrono::minutes max_pause{10};

// What a call may do, decided before it is sent.
struct admission {
    enum class verdict : std::uint8_t {
        send,         // go at `send_at` (now, or later when the budget or a pause says so)
        ejected,      // the circuit is open: fail fast, `target_unavailable`
        rate_limited, // no slot before the deadline: fail, `rate_limited`
    };
    verdict decision = verdict::send;
    clock::time_point send_at{};
    bool probe = false; // this call is the one probe of a half-open circuit
    // For a refusal: when the target takes calls again (ejection end or pause end), if known.
    std::optional<clock::time_point> until;
};

// A call waiting for one of its target's in-flight slots. The guard holds it weakly, so a
// waiter whose call is gone is skipped.
struct slot_waiter {
    // Called, outside the guard's lock and on any thread, once a slot is handed to this
    // waiter: it must only post a wake-up to the waiter's own thread.
    std::function<void()> wake;
    std::atomic<bool> granted{false};
};

// Counters and the state a scrape or /readyz reports.
struct guard_snapshot {
    std::string target;
    circuit_state circuit = circuit_state::closed;
    std::uint64_t ejections = 0;       // times the circuit opened
    std::uint64_t rejected_open = 0;   // calls failed fast while open or probing
    std::uint64_t rejected_rate = 0;   // calls the budget or a pause could not fit before their deadline
    std::uint64_t delayed = 0;         // calls that waited for a budget slot or a pause
    std::uint64_t pauses = 0;          // 429s and Retry-Afters that paused the target
    std::size_t in_flight = 0;         // calls under way, every worker thread's
    std::size_t waiting = 0;           // calls waiting for an in-flight slot
    double paused_seconds_left = 0;    // of the current pause
    double ejected_seconds_left = 0;   // of the current ejection
    double rate_per_second = 0;        // this instance's budget (its share of the deployment's); 0: none
};

class target_guard {
public:
    explicit target_guard(std::string name);

    // Takes the target's rate and breaker settings (at start and after each reload);
    // the state built so far (pause, failures, ejections) is kept.
    void configure(const config::target_config& target);
    // The part of the rate budget this instance may use: 1 / live instances sharing it.
    void set_share(double share);

    // Decides a call's fate. A `send` admission with a later send_at has reserved that
    // slot: the caller waits until then and sends. A refused call reserved nothing.
    admission admit(clock::time_point now, clock::time_point deadline);
    // A `send` admission that was not sent after all (the wait was cancelled): a probe
    // gives its turn back, so the circuit does not wait for it forever.
    void abandon(const admission& admitted);
    // The fate of a sent call: `failure` is a transport failure or a 5xx reply.
    void record(const admission& admitted, bool failure, clock::time_point now);
    // A vendor's 429 or Retry-After: no call of this target goes before `until`
    // (capped at now + max_pause).
    void pause(clock::time_point now, clock::time_point until);

    // The target's max_in_flight, process-wide: a slot at once (true), or `waiter` queued
    // (false) to be woken, first come first served, when one frees up.
    bool acquire(const std::shared_ptr<slot_waiter>& waiter);
    // A queued waiter stops waiting: true when a slot was handed to it meanwhile (it holds
    // it now and must release it).
    bool withdraw(const std::shared_ptr<slot_waiter>& waiter);
    // Gives a slot back, to the first live waiter if any.
    void release();

    guard_snapshot snapshot(clock::time_point now) const;
    const std::string& name() const noexcept { return name_; }

private:
    void eject(clock::time_point now); // under mutex_

    const std::string name_;
    mutable std::mutex mutex_;
    // Settings.
    std::optional<config::rate_config> rate_;
    config::circuit_breaker_config breaker_;
    double share_ = 1.0;
    unsigned max_in_flight_ = 8;
    // Concurrency.
    std::size_t in_flight_ = 0;
    std::deque<std::weak_ptr<slot_waiter>> waiters_;
    gcra budget_; // the rate budget

    clock::time_point paused_until_{};
    // Circuit.
    circuit_state circuit_ = circuit_state::closed;
    unsigned consecutive_failures_ = 0;
    unsigned ejection_multiplier_ = 0; // ejections in a row; reset after a quiet spell closed
    clock::time_point ejected_until_{};
    clock::time_point closed_since_{};
    bool probing_ = false;
    // Counters.
    std::uint64_t ejections_ = 0, rejected_open_ = 0, rejected_rate_ = 0, delayed_ = 0, pauses_ = 0;
};

// Every target's guard, by name, for the whole process. A guard outlives reloads that keep
// its target, so a reload neither forgets an open circuit nor resets a budget.
class target_guards {
public:
    // The guard of `target`, created on first use, configured with its current settings.
    std::shared_ptr<target_guard> get(const config::target_config& target);
    // Every instance's share of each budget: 1 / `instances` (at least 1).
    void set_instances(unsigned instances);
    unsigned instances() const;

    std::vector<guard_snapshot> snapshots() const;
    // Prometheus text for every guard (a telemetry::registry section).
    void write_prometheus(std::string& out) const;
    // Change notices (circuit opened, closed...) for the log; set before the server starts.
    using listener = std::function<void(std::string_view target, circuit_state from, circuit_state to)>;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<target_guard>, std::less<>> guards_;
    unsigned instances_ = 1;
};

} // namespace igw::resilience
