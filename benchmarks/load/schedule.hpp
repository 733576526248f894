#pragma once
// Which request a free connection sends next, and when it was meant to be sent.
//
// Fixed rate (open loop): request i of the run is due at i / rate after the start,
// whether or not a connection is free then. A connection that frees up takes the oldest
// request not yet sent, so when every connection is busy requests queue, and their
// latency, measured from the time they were due, includes that wait. Measuring from the
// actual send instead would hide exactly the stalls a user would see ("coordinated
// omission"). As fast as possible (rate 0): a connection sends its next request as soon
// as it is free, and latency is measured from the actual send.
//
// Requests are spread over `lanes` (threads) by global index: lane l sends requests
// l, l + lanes, l + 2*lanes, ..., so the lanes together keep the global schedule.

#include <chrono>
#include <cstdint>
#include <optional>

namespace igw::load {

using nanoseconds = std::chrono::nanoseconds;

struct schedule_settings {
    double rate = 0;                // requests per second over all lanes; 0: as fast as possible
    nanoseconds warmup{0};          // requests due (or sent) before this are not measured
    nanoseconds duration{0};        // after warmup: nothing is due (or sent) from warmup+duration on
    std::uint64_t max_requests = 0; // 0: no limit besides time
    nanoseconds drain{0};           // fixed rate: once past the end by this much, queued requests are dropped
};

struct request_slot {
    std::uint64_t index = 0; // global, 0-based
    nanoseconds due{0};      // since the start; fixed rate only (as fast as possible: the time taken)
    bool measured = false;   // outside the warmup
};

class request_source {
public:
    request_source(const schedule_settings& settings, unsigned lane = 0, unsigned lanes = 1);

    // Offset from the start at which global request `index` is due (fixed rate).
    nanoseconds due_time(std::uint64_t index) const noexcept;

    // The request a connection that is free at `now` (since the start) sends next, or
    // nullopt when this lane has nothing more to send.
    std::optional<request_slot> next(nanoseconds now) noexcept;

    // Fixed rate: requests of this lane that were due before the end but not handed out,
    // because the drain deadline passed first (a target that cannot keep up: the backlog
    // is reported, not silently forgotten). 0 when called before the lane is done.
    std::uint64_t unsent() const noexcept;

    std::uint64_t taken() const noexcept { return taken_; }
    bool fixed_rate() const noexcept { return settings_.rate > 0; }
    nanoseconds end() const noexcept { return settings_.warmup + settings_.duration; }

private:
    std::uint64_t scheduled() const noexcept; // this lane's requests due before end()

    schedule_settings settings_;
    unsigned lane_;
    unsigned lanes_;
    std::uint64_t taken_ = 0;
};

// Latency of one request: from when it was due (fixed rate) or actually sent.
inline nanoseconds request_latency(bool fixed_rate, nanoseconds due, nanoseconds sent, nanoseconds done) noexcept
{
    return done - (fixed_rate ? due : sent);
}

} // namespace igw::load
