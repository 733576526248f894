#pragma once
// What the job runner asks of a pipeline: carrying out one claimed job.

#include "gateway/dispatch/invite_pipeline.hpp"
#include "gateway/ledger/records.hpp"
#include "gateway/mapping/config_source.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>

namespace igw::dispatch {

class job_executor {
public:
    virtual ~job_executor() = default;
    // Sends the job's pending items a chunk of invitations at a time, through the ledger's
    // states like a synchronous request, storing progress (and renewing the lease) after
    // each chunk; `live` holds the counts so far (a heartbeat may store them meanwhile).
    // The final counts, or nullopt when the job must be left: another runner took it
    // over, the ledger is away, the route is gone, or the runner is stopping.
    virtual boost::asio::awaitable<std::optional<ledger::job_counts>> run_job(
        const ledger::job_claim& claim, std::shared_ptr<const mapping::compiled_config> loaded,
        ledger::job_counts& live) = 0;
};

// A pipeline of its own (upstream pools, parsers) on `executor`, for the job runner's thread.
std::unique_ptr<job_executor> make_job_executor(boost::asio::any_io_executor executor, pipeline_options options);

} // namespace igw::dispatch
