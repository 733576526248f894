#pragma once
// GCRA, the generic cell rate algorithm (as in ATM policing and redis-cell): one time point
// per limit, no timers and no refill loop. `due` is when the next call would be due at the
// average rate; a call may go while it is no more than burst - 1 intervals ahead of it.
// Used by the target budgets (target_guard) and the clients' own rates (client_limits).
// Not thread-safe: its owner locks.

#include "gateway/config/config.hpp"

#include <algorithm>
#include <chrono>

namespace igw::resilience {

using clock = std::chrono::steady_clock;

// The average spacing of calls under `rate`, for a `share` (0, 1] of it.
inline clock::duration gcra_interval(const config::rate_config& rate, double share = 1.0)
{
    const double per_call = std::chrono::duration<double>(rate.per).count() / (rate.requests * share);
    return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(per_call));
}

class gcra {
public:
    // The earliest time, at or after `at`, a call fits.
    clock::time_point earliest(clock::time_point at, clock::duration interval, unsigned burst) const noexcept
    {
        return std::max(at, std::max(due_, at) - interval * (burst - 1));
    }
    // Takes the slot of a call going at `at` (no earlier than earliest(at)).
    void take(clock::time_point at, clock::duration interval) noexcept { due_ = std::max(due_, at) + interval; }
    // How many calls could go at `now`, back to back.
    unsigned remaining(clock::time_point now, clock::duration interval, unsigned burst) const noexcept
    {
        const auto ahead = std::max(due_, now) - now;
        const auto used = (ahead + interval - clock::duration(1)) / interval; // rounded up
        return used >= burst ? 0u : burst - static_cast<unsigned>(used);
    }
    // How long until a full burst fits again (nothing taken so far counts any more).
    clock::duration until_full(clock::time_point now) const noexcept { return std::max(due_, now) - now; }

private:
    clock::time_point due_{};
};

} // namespace igw::resilience
