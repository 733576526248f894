#pragma once
// The gateway's job for one request on one worker thread: validate the canonical
// request, render the vendor calls, send them all concurrently, merge the replies.

#include "gateway/dispatch/fan_out.hpp"
#include "gateway/ledger/store.hpp"
#include "gateway/server/invite_handler.hpp"
#include "gateway/telemetry/metrics.hpp"
#include "gateway/upstream/client.hpp"

#include <functional>
#include <memory>
#include <vector>

namespace igw::dispatch {

struct pipeline_options {
    upstream::client_options upstream;
    retry_policy retries;
    telemetry::registry* metrics = nullptr; // per-target outcome counts, when given
    // When given, every request is recorded before any call, Idempotency-Key is honoured
    // and GET /v1/requests/{id} answers from it. Outlives the server.
    ledger::store* ledger = nullptr;
    // Every target's rate budget, pauses and circuit breaker, shared by every pipeline
    // (worker threads, the job runner, recovery) given the same pointer; when null, the
    // factory makes one for its pipelines.
    std::shared_ptr<resilience::target_guards> guards;
    // Called (on the worker's thread) when a job was recorded, so that the job runner
    // takes it at once rather than at its next poll.
    std::function<void()> on_job_accepted;
};

// A handler factory for server::server: one pipeline per worker thread, each with
// its own upstream pools, parsers and buffers. Each request is served with the config
// the server routed it with (handler_request::config).
server::handler_factory make_pipeline_factory(pipeline_options options = {});

// Finishes the requests a previous run left unfinished (ledger::store::recover) even if
// their clients never come back: on a thread and an event loop of its own, each request
// is resumed (unless a client's retry took it first), its `pending` items are sent, and
// its reply is stored. Needs options.ledger.
class recovery {
public:
    recovery(std::vector<ledger::request_with_items> requests, std::shared_ptr<const mapping::compiled_config> config,
             pipeline_options options);
    // Cancels what is still running (its items stay `sending`, to be recovered at the
    // next start) and waits for the thread.
    ~recovery();
    recovery(const recovery&) = delete;
    recovery& operator=(const recovery&) = delete;

    bool finished() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace igw::dispatch
