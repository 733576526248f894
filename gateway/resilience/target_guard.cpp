#include "gateway/resilience/target_guard.hpp"

#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace igw::resilience {
namespace {

double seconds_until(clock::time_point until, clock::time_point now)
{
    return until > now ? std::chrono::duration<double>(until - now).count() : 0.0;
}

void log_transition(std::string_view target, circuit_state from, circuit_state to, unsigned failures,
                    double ejected_seconds)
{
    const telemetry::log_level level = to == circuit_state::open ? telemetry::log_level::warn
                                                                 : telemetry::log_level::info;
    if (!telemetry::log_enabled(level))
        return;
    telemetry::log(level, "circuit_changed",
                   {{"target", target},
                    {"from", to_string(from)},
                    {"to", to_string(to)},
                    {"consecutive_failures", failures},
                    {"ejected_seconds", ejected_seconds}});
}

} // namespace

std::string_view to_string(circuit_state state) noexcept
{
    switch (state) {
    case circuit_state::closed: return "closed";
    case circuit_state::open: return "open";
    case circuit_state::half_open: return "half_open";
    }
    return "closed";
}

target_guard::target_guard(std::string name) : name_(std::move(name)) {}

void target_guard::configure(const config::target_config& target)
{
    const std::lock_guard lock(mutex_);
    rate_ = target.rate;
    breaker_ = target.circuit_breaker;
    max_in_flight_ = std::max(1u, target.max_in_flight);
    if (breaker_.consecutive_failures == 0 && circuit_ != circuit_state::closed) {
        circuit_ = circuit_state::closed; // breaking turned off: nothing holds calls back
        probing_ = false;
    }
}

void target_guard::set_share(double share)
{
    const std::lock_guard lock(mutex_);
    share_ = std::clamp(share, 1e-6, 1.0);
}

admission target_guard::admit(clock::time_point now, clock::time_point deadline)
{
    admission out;
    std::optional<circuit_state> changed;
    {
        const std::lock_guard lock(mutex_);
        if (circuit_ == circuit_state::open) {
            if (now < ejected_until_) {
                ++rejected_open_;
                out.decision = admission::verdict::ejected;
                out.until = ejected_until_;
                return out;
            }
            circuit_ = circuit_state::half_open;
            changed = circuit_;
        }
        if (circuit_ == circuit_state::half_open) {
            if (probing_) {
                ++rejected_open_;
                out.decision = admission::verdict::ejected;
                return out;
            }
            out.probe = true;
        }

        // The budget's slot (this instance's share of it), after any pause.
        clock::time_point at = std::max(now, paused_until_);
        clock::duration interval{};
        if (rate_) {
            interval = gcra_interval(*rate_, share_);
            at = budget_.earliest(at, interval, rate_->burst);
        }
        if (at > now && at >= deadline) {
            ++rejected_rate_;
            out.decision = admission::verdict::rate_limited;
            out.probe = false;
            if (paused_until_ > now)
                out.until = paused_until_;
            // A half-open circuit's probe turn stays free for a call that fits.
        } else {
            if (rate_)
                budget_.take(at, interval);
            if (at > now)
                ++delayed_;
            if (out.probe)
                probing_ = true;
            out.send_at = at;
        }
    }
    if (changed)
        log_transition(name_, circuit_state::open, *changed, 0, 0);
    return out;
}

void target_guard::abandon(const admission& admitted)
{
    if (!admitted.probe)
        return;
    const std::lock_guard lock(mutex_);
    probing_ = false;
}

void target_guard::eject(clock::time_point now)
{
    ejection_multiplier_ = std::min(ejection_multiplier_ + 1, 1000u);
    const auto span = std::min<clock::duration>(breaker_.base_ejection * ejection_multiplier_, breaker_.max_ejection);
    ejected_until_ = now + span;
    circuit_ = circuit_state::open;
    probing_ = false;
    ++ejections_;
}

void target_guard::record(const admission& admitted, bool failure, clock::time_point now)
{
    circuit_state from{}, to{};
    unsigned failures = 0;
    double ejected_seconds = 0;
    {
        const std::lock_guard lock(mutex_);
        if (breaker_.consecutive_failures == 0)
            return;
        from = circuit_;
        if (admitted.probe) {
            probing_ = false;
            if (circuit_ != circuit_state::half_open)
                return;
            if (failure) {
                eject(now);
            } else {
                circuit_ = circuit_state::closed;
                consecutive_failures_ = 0;
                closed_since_ = now;
            }
        } else if (circuit_ == circuit_state::closed) {
            if (!failure) {
                consecutive_failures_ = 0;
                // A quiet spell as long as the longest ejection forgives the earlier ones.
                if (ejection_multiplier_ > 0 && now - closed_since_ >= breaker_.max_ejection)
                    ejection_multiplier_ = 0;
                return;
            }
            if (++consecutive_failures_ < breaker_.consecutive_failures)
                return;
            eject(now);
        } else {
            return; // calls admitted before the circuit opened: the probe decides
        }
        to = circuit_;
        failures = consecutive_failures_;
        if (to == circuit_state::open)
            ejected_seconds = seconds_until(ejected_until_, now);
    }
    if (from != to)
        log_transition(name_, from, to, failures, ejected_seconds);
}

bool target_guard::acquire(const std::shared_ptr<slot_waiter>& waiter)
{
    const std::lock_guard lock(mutex_);
    // Waiters first: a newcomer never overtakes a call that is already waiting.
    if (in_flight_ < max_in_flight_ && waiters_.empty()) {
        ++in_flight_;
        return true;
    }
    waiters_.push_back(waiter);
    return false;
}

bool target_guard::withdraw(const std::shared_ptr<slot_waiter>& waiter)
{
    const std::lock_guard lock(mutex_);
    if (waiter->granted.load())
        return true;
    std::erase_if(waiters_, [&](const std::weak_ptr<slot_waiter>& queued) {
        return !queued.owner_before(waiter) && !waiter.owner_before(queued);
    });
    return false;
}

void target_guard::release()
{
    std::shared_ptr<slot_waiter> next;
    {
        const std::lock_guard lock(mutex_);
        // A lowered max_in_flight (a reload) takes effect as calls complete.
        if (in_flight_ <= max_in_flight_) {
            while (!waiters_.empty() && !next) {
                next = waiters_.front().lock();
                waiters_.pop_front();
            }
        }
        if (next)
            next->granted.store(true); // the slot passes to it: in_flight_ stays
        else
            --in_flight_;
    }
    if (next)
        next->wake();
}

void target_guard::pause(clock::time_point now, clock::time_point until)
{
    const std::lock_guard lock(mutex_);
    until = std::min(until, now + max_pause);
    if (until > paused_until_) {
        paused_until_ = until;
        ++pauses_;
    }
}

guard_snapshot target_guard::snapshot(clock::time_point now) const
{
    const std::lock_guard lock(mutex_);
    guard_snapshot out;
    out.target = name_;
    out.circuit = circuit_;
    out.ejections = ejections_;
    out.rejected_open = rejected_open_;
    out.rejected_rate = rejected_rate_;
    out.delayed = delayed_;
    out.pauses = pauses_;
    out.in_flight = in_flight_;
    out.waiting = waiters_.size();
    out.paused_seconds_left = seconds_until(paused_until_, now);
    out.ejected_seconds_left = circuit_ == circuit_state::open ? seconds_until(ejected_until_, now) : 0.0;
    if (rate_)
        out.rate_per_second = rate_->requests * share_ / std::chrono::duration<double>(rate_->per).count();
    return out;
}

std::shared_ptr<target_guard> target_guards::get(const config::target_config& target)
{
    const std::lock_guard lock(mutex_);
    auto at = guards_.find(target.name);
    if (at == guards_.end()) {
        at = guards_.emplace(target.name, std::make_shared<target_guard>(target.name)).first;
        at->second->set_share(1.0 / instances_);
    }
    at->second->configure(target);
    return at->second;
}

void target_guards::set_instances(unsigned instances)
{
    const std::lock_guard lock(mutex_);
    instances_ = std::max(1u, instances);
    for (const auto& [name, guard] : guards_)
        guard->set_share(1.0 / instances_);
}

unsigned target_guards::instances() const
{
    const std::lock_guard lock(mutex_);
    return instances_;
}

std::vector<guard_snapshot> target_guards::snapshots() const
{
    const auto now = clock::now();
    const std::lock_guard lock(mutex_);
    std::vector<guard_snapshot> out;
    out.reserve(guards_.size());
    for (const auto& [name, guard] : guards_)
        out.push_back(guard->snapshot(now));
    return out;
}

void target_guards::write_prometheus(std::string& out) const
{
    const std::vector<guard_snapshot> all = snapshots();
    const auto series = [&](std::string_view name, std::string_view type, std::string_view help, auto value) {
        telemetry::write_metric_header(out, name, type, help);
        for (const auto& g : all) {
            out.append(name).append("{target=\"");
            telemetry::append_label_value(out, g.target);
            out.append("\"} ");
            char number[64];
            const int n = std::snprintf(number, sizeof number, "%.17g\n", static_cast<double>(value(g)));
            out.append(number, static_cast<std::size_t>(n));
        }
    };
    series("invitegw_target_circuit_state", "gauge", "The target's circuit: 0 closed, 1 open (ejected), 2 half-open (probing)",
           [](const guard_snapshot& g) { return static_cast<int>(g.circuit); });
    series("invitegw_target_ejections_total", "counter", "Times the target's circuit opened",
           [](const guard_snapshot& g) { return g.ejections; });
    series("invitegw_target_ejected_seconds", "gauge", "Seconds left of the target's current ejection",
           [](const guard_snapshot& g) { return g.ejected_seconds_left; });
    series("invitegw_target_calls_rejected_open_total", "counter",
           "Calls failed fast with target_unavailable because the target's circuit was open",
           [](const guard_snapshot& g) { return g.rejected_open; });
    series("invitegw_target_calls_rejected_rate_total", "counter",
           "Calls failed with rate_limited, never sent: no budget slot or pause end before their deadline",
           [](const guard_snapshot& g) { return g.rejected_rate; });
    series("invitegw_target_calls_delayed_total", "counter", "Calls that waited for a budget slot or a pause to end",
           [](const guard_snapshot& g) { return g.delayed; });
    series("invitegw_target_pauses_total", "counter", "Vendor 429s and Retry-Afters that paused the target",
           [](const guard_snapshot& g) { return g.pauses; });
    series("invitegw_target_paused_seconds", "gauge", "Seconds left of the target's current pause",
           [](const guard_snapshot& g) { return g.paused_seconds_left; });
    series("invitegw_target_calls_in_flight", "gauge",
           "Calls to the target under way, all worker threads together (at most its max_in_flight)",
           [](const guard_snapshot& g) { return g.in_flight; });
    series("invitegw_target_calls_waiting", "gauge", "Calls waiting for one of the target's max_in_flight slots",
           [](const guard_snapshot& g) { return g.waiting; });
    series("invitegw_target_rate_budget_per_second", "gauge",
           "Calls per second this instance may send to the target (its share of the budget); 0: no budget",
           [](const guard_snapshot& g) { return g.rate_per_second; });
}

} // namespace igw::resilience
