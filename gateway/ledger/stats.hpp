#pragma once
// Counters for the ledger's metrics (ledger latency, queue depth, failures). Plain atomics
// updated by the writer thread and the submitting threads; snapshot() reads them all.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace igw::ledger {

// Upper bounds (milliseconds) of the operation latency buckets, queueing included; a last,
// implicit bucket counts everything slower.
inline constexpr std::array<double, 12> latency_bounds_ms{0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000};

struct stats_snapshot {
    std::uint64_t operations = 0;  // completed, with success or error
    std::uint64_t unavailable = 0; // operations answered `unavailable`
    std::uint64_t internal_errors = 0;
    std::uint64_t rejected_full = 0; // refused because the queue was full
    std::uint64_t transactions = 0;  // committed; operations / transactions = batching
    std::uint64_t reconnects = 0;
    std::uint64_t queue_depth = 0;
    std::uint64_t max_queue_depth = 0;
    std::uint64_t pruned_requests = 0;
    std::uint64_t pruned_keys = 0;
    // Outcomes (and releases of begins that failed) waiting for the database to answer.
    std::uint64_t kept_outcomes = 0;
    std::uint64_t recovered_outcomes = 0; // kept ones stored later
    std::uint64_t lost_outcomes = 0;      // dropped: more were waiting than queue_capacity
    std::array<std::uint64_t, latency_bounds_ms.size() + 1> latency_buckets{}; // not cumulative
    std::uint64_t latency_sum_us = 0;
};

class stats {
public:
    void record_latency(std::chrono::steady_clock::duration d) noexcept;
    stats_snapshot snapshot() const noexcept;

    std::atomic<std::uint64_t> operations{0};
    std::atomic<std::uint64_t> unavailable{0};
    std::atomic<std::uint64_t> internal_errors{0};
    std::atomic<std::uint64_t> rejected_full{0};
    std::atomic<std::uint64_t> transactions{0};
    std::atomic<std::uint64_t> reconnects{0};
    std::atomic<std::uint64_t> queue_depth{0};
    std::atomic<std::uint64_t> max_queue_depth{0};
    std::atomic<std::uint64_t> pruned_requests{0};
    std::atomic<std::uint64_t> pruned_keys{0};
    std::atomic<std::uint64_t> kept_outcomes{0};
    std::atomic<std::uint64_t> recovered_outcomes{0};
    std::atomic<std::uint64_t> lost_outcomes{0};

private:
    std::array<std::atomic<std::uint64_t>, latency_bounds_ms.size() + 1> buckets_{};
    std::atomic<std::uint64_t> latency_sum_us_{0};
};

} // namespace igw::ledger
