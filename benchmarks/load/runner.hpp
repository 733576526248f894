#pragma once
// Running one load test: connections on one or more event-loop threads, requests taken
// from the open-loop schedule (schedule.hpp), every response timed into a histogram.

#include "benchmarks/load/histogram.hpp"
#include "benchmarks/load/options.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace igw::load {

// The watched process (--watch-pid) over the measured window.
struct process_usage {
    int pid = 0;
    double cpu_seconds = 0;            // user + system spent in the window
    std::uint64_t window_requests = 0; // responses received in the window
    std::uint64_t rss_start_kb = 0, rss_end_kb = 0, hwm_kb = 0;
};

struct run_result {
    std::string label;
    load_options options;

    // Measured requests only (those due, or sent, after the warmup).
    std::uint64_t sent = 0;      // attempted
    std::uint64_t completed = 0; // a response was received (any status)
    std::map<unsigned, std::uint64_t> statuses;
    std::uint64_t connect_errors = 0; // could not connect
    std::uint64_t io_errors = 0;      // connection lost or unreadable response
    std::uint64_t timeouts = 0;       // no response within --timeout
    std::uint64_t unsent = 0;         // due before the end but never sent (fixed rate, backlog)
    // Every request, warmup included.
    std::uint64_t total_sent = 0, total_completed = 0;

    double window_seconds = 0; // from the end of the warmup to the last measured response
    histogram latency;         // nanoseconds, of every measured response
    std::optional<process_usage> process;
    std::string failure; // an unexpected exception inside the generator, if one happened

    std::uint64_t unexpected_statuses() const noexcept;
    std::uint64_t errors() const noexcept; // unexpected statuses + connection errors + timeouts + unsent
    double throughput() const noexcept;    // measured responses per second
};

// Runs the load described by `options` (its raw_body already read when raw_body_file is
// set). Throws std::runtime_error when the target's address cannot be resolved.
run_result run_load(const load_options& options);

} // namespace igw::load
