#pragma once
// When to try a failed webhook delivery again: exponential backoff with full jitter (the
// wait is uniform in [0, min(cap, base * factor^(n-1))) after the n-th failed attempt, as
// in "Exponential Backoff And Jitter", AWS Architecture Blog), giving up once `give_up_after`
// has passed since the first attempt. Wall-clock times: the schedule lives in the durable
// outbox and must mean the same after a restart.

#include <chrono>
#include <optional>

namespace igw::webhook {

using wall_clock = std::chrono::system_clock;

struct backoff_policy {
    std::chrono::milliseconds base{5'000};
    double factor = 2;
    std::chrono::milliseconds cap{3'600'000};            // longest single wait
    std::chrono::milliseconds give_up_after{86'400'000}; // since the first attempt
};

// The time of the next attempt after attempt number `failed_attempt` (1 for the first)
// failed at `now`, or nullopt when the delivery is given up: `now` is `give_up_after` or
// more past `first_attempt`. A wait that would end past that point is cut short to it, so
// the last attempt is made at the deadline itself. `uniform` is a random number in [0, 1)
// (values outside are clamped), passed in so that the schedule is deterministic to test.
std::optional<wall_clock::time_point> next_attempt(unsigned failed_attempt, wall_clock::time_point first_attempt,
                                                   wall_clock::time_point now, double uniform,
                                                   const backoff_policy& policy = {});

} // namespace igw::webhook
