#pragma once
// The gateway's job for one request on one worker thread: validate the canonical
// request, render the vendor calls, send them all concurrently, merge the replies.

#include "gateway/dispatch/fan_out.hpp"
#include "gateway/server/invite_handler.hpp"
#include "gateway/telemetry/metrics.hpp"
#include "gateway/upstream/client.hpp"

namespace igw::dispatch {

struct pipeline_options {
    upstream::client_options upstream;
    retry_policy retries;
    telemetry::registry* metrics = nullptr; // per-target outcome counts, when given
};

// A handler factory for server::server: one pipeline per worker thread, each with
// its own upstream pools, parsers and buffers. Each request is served with the config
// the server routed it with (handler_request::config).
server::handler_factory make_pipeline_factory(pipeline_options options = {});

} // namespace igw::dispatch
