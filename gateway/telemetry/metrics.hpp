#pragma once
// Prometheus metrics. Every worker thread writes only its own cells (plain loads and
// stores on relaxed atomics: no locked instruction, no shared cache line on the hot
// path); a scrape reads all threads' cells and sums them. The registry's lock is taken
// only to add cells (when a worker first sees a route or target) and to scrape.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/mapping/item_result.hpp"

namespace igw::telemetry {

// Written by one thread only, read by any.
class counter {
public:
    void add(std::uint64_t n = 1) noexcept
    {
        value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class gauge {
public:
    void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void add(std::int64_t n) noexcept
    {
        value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

// Latency histogram with Prometheus' cumulative buckets (upper bounds in seconds).
class histogram {
public:
    static constexpr std::array<double, 14> bounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                   0.25,  0.5,    1.0,   2.5,  5.0,   10.0, 30.0};
    void observe(std::chrono::nanoseconds elapsed) noexcept;

    std::array<counter, bounds.size() + 1> buckets; // the last is +Inf
    counter sum_ns;
    counter count;
};

// Per (thread, target). Result counts are per (invitation, target), like the reply.
struct target_metrics {
    static constexpr std::size_t statuses = 3; // mapping::item_status
    static constexpr std::size_t error_codes = mapping::error_code_count;
    std::array<std::array<counter, error_codes>, statuses> results;
    counter calls;
    counter retries;
    histogram call_duration;
    gauge open_connections;
    gauge idle_connections;
};

// Per (thread, route).
struct route_metrics {
    std::array<counter, 600> by_status; // HTTP status of the reply
    histogram duration;
};

struct thread_metrics {
    gauge in_flight;
    std::deque<std::pair<std::string, target_metrics>> targets;
    std::deque<std::pair<std::string, route_metrics>> routes;
};

class registry {
public:
    // A worker's cells; the reference stays valid for the registry's lifetime.
    thread_metrics& add_thread();
    // The cells of `name` in `thread`, created on first use; callers cache the reference.
    target_metrics& target(thread_metrics& thread, std::string_view name);
    route_metrics& route(thread_metrics& thread, std::string_view path);

    // Rare, process-wide events: a plain atomic is fine.
    std::atomic<std::uint64_t> reloads_succeeded{0};
    std::atomic<std::uint64_t> reloads_failed{0};

    // The Prometheus text exposition format (version 0.0.4).
    void write_prometheus(std::string& out) const;

    // Appends the metrics of a part that keeps its own counters (the ledger), after the
    // registry's own. Set once, before the server starts.
    void add_section(std::function<void(std::string&)> writer);

private:
    std::vector<std::function<void(std::string&)>> sections_;
    mutable std::mutex mutex_;
    std::deque<thread_metrics> threads_;
};

// For a section's writer: the # HELP and # TYPE lines of a metric, and a metric of one
// unlabelled sample with them.
void write_metric_header(std::string& out, std::string_view name, std::string_view type, std::string_view help);
// A label value as the exposition format wants it: backslash, double quote and newline escaped.
void append_label_value(std::string& out, std::string_view value);
void write_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                  std::uint64_t value);

} // namespace igw::telemetry
