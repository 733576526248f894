#pragma once
// The gateway's job for one request on one worker thread: validate the canonical
// request, render the vendor calls, send them all concurrently, merge the replies.

#include "gateway/dispatch/config_source.hpp"
#include "gateway/dispatch/fan_out.hpp"
#include "gateway/server/invite_handler.hpp"
#include "gateway/upstream/client.hpp"

#include <memory>

namespace igw::dispatch {

struct pipeline_options {
    upstream::client_options upstream;
    retry_policy retries;
};

// A handler factory for server::server: one pipeline per worker thread, each with
// its own upstream pools, parsers and buffers.
server::handler_factory make_pipeline_factory(std::shared_ptr<config_source> configs, pipeline_options options = {});

} // namespace igw::dispatch
