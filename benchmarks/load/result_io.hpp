#pragma once
// A run's result for people (a short text summary) and for tools (JSON, which
// `invitegw-load report` and benchmarks/run read back).

#include "benchmarks/load/runner.hpp"

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace igw::load {

void print_summary(std::ostream& out, const run_result& result);

// {"label", "settings": {...}, "requests": {...}, "status_counts": {...},
//  "throughput_rps", "latency_us": {"min", "mean", "p50", "p90", "p99", "p99_9", "max"},
//  "percentile_curve": [{"percentile", "latency_us"}...], "process": {...}}
std::string to_json(const run_result& result);

// What a report needs from one run's JSON.
struct run_summary {
    std::string label;
    double throughput_rps = 0;
    std::uint64_t completed = 0, errors = 0;
    double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
    std::vector<std::pair<double, double>> curve; // (percentile, latency in µs), ascending
};

// Reads to_json's output back; on failure returns false and says why in `error`.
bool parse_run_json(std::string_view json, run_summary& out, std::string& error);

// "850 us", "12.3 ms", "2.41 s" from nanoseconds.
std::string format_latency(double nanoseconds);

} // namespace igw::load
