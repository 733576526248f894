#pragma once
// Carries out asynchronous requests (jobs) in the background and delivers their webhook
// events (README "Jobs"), on a thread and an event loop of its own.
//
// The runner asks the ledger for work: a queued job, or one whose runner's lease ran out
// (on PostgreSQL any instance may take any job; two never take the same one). It sends the
// job a chunk of invitations at a time under the same per-target limits, retries and
// ledger states as a synchronous request, renews the lease while it works, and completes
// the job with its webhook event in the same transaction. A second loop sends the due
// events of the outbox, signed (Standard Webhooks), retried with backoff for 24 h.

#include "gateway/dispatch/invite_pipeline.hpp"
#include "gateway/mapping/config_source.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace igw::dispatch {

struct job_runner_options {
    // How often the ledger is asked for work while there is none (a job accepted by this
    // instance wakes the runner at once; one accepted by another is found at the next poll).
    std::chrono::milliseconds poll_interval{1000};
    std::chrono::milliseconds webhook_timeout{10'000};
};

// What /metrics shows of the jobs (refreshed by the runner every few seconds).
struct job_gauges {
    std::atomic<std::uint64_t> queued{0};
    std::atomic<std::uint64_t> running{0};
    std::atomic<std::uint64_t> leased_here{0};
    std::atomic<std::uint64_t> deliveries_pending{0};
    std::atomic<std::uint64_t> completed_here{0}; // since start
    std::atomic<std::uint64_t> deliveries_sent{0};
    std::atomic<std::uint64_t> delivery_failures{0};
};

class job_runner {
public:
    // Needs options.ledger. Starts at once.
    job_runner(std::shared_ptr<mapping::config_source> configs, pipeline_options options,
               job_runner_options runner = {});
    // Stops: a job being sent is left (its lease released, so that the next runner takes it
    // at once; what was being sent becomes unknown/interrupted then), and the thread joins.
    ~job_runner();
    job_runner(const job_runner&) = delete;
    job_runner& operator=(const job_runner&) = delete;

    // A job was recorded: look for work now. Any thread.
    void wake();
    const job_gauges& gauges() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// The jobs' lines of /metrics.
void write_job_metrics(const job_gauges& gauges, std::string& out);

} // namespace igw::dispatch
