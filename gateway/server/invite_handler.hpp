#pragma once
// What the HTTP front server hands an accepted invite request to. Kept free of Beast
// so that the dispatch stage can implement it without seeing the transport.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "gateway/config/config.hpp"
#include "gateway/mapping/compiled_config.hpp"

namespace igw::server {

// What the handler did, for the server's request log line (never emails or keys).
struct request_stats {
    std::size_t invitations = 0, targets = 0, calls = 0;
    std::size_t invited = 0, failed = 0, unknown = 0;
    std::string trace_id; // W3C trace id the vendor calls carried
};

struct handler_reply {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    // Extra reply headers. Framing headers (Content-Length, Connection) and X-Request-Id
    // are the server's and are overwritten.
    std::vector<std::pair<std::string, std::string>> headers;
    // When set, the reply's X-Request-Id instead of this request's own: a replay answers
    // with the id of the request it repeats.
    std::string request_id;
    request_stats stats;
};

// One authenticated, size-checked request on a configured route. Everything it refers to
// lives until handle() completes.
struct handler_request {
    std::size_t route_index;             // index into the config's routes
    const config::client_config* client; // never null: the request is authenticated
    std::string_view request_id;
    std::string_view target;                        // full request target incl. query ("?dry_run=true")
    std::string& body;                              // the handler may take or grow it (simdjson padding);
                                                    // capacity() >= size() + 64 already
    std::chrono::steady_clock::time_point deadline; // now + limits.request_timeout
    // The config the server routed and authenticated this request with; the handler
    // uses the same one, so a reload never splits a request between two configs.
    std::shared_ptr<const mapping::compiled_config> config;
    std::string_view traceparent; // the client's W3C traceparent header, possibly empty
    // The Idempotency-Key header: how many were sent (more than one is refused) and the
    // first one's value.
    std::size_t idempotency_keys = 0;
    std::string_view idempotency_key;
    // Prefer: respond-async (RFC 7240): the client asks for a job (202) instead of waiting.
    bool respond_async = false;
};

// GET /v1/requests/{id} or GET /v1/jobs/{id} from an authenticated client.
struct lookup_request {
    const config::client_config* client; // never null
    std::string_view request_id;         // this lookup's own X-Request-Id
    std::string_view recorded_id;        // the {id} asked for
    std::shared_ptr<const mapping::compiled_config> config;
    bool job = false;       // GET /v1/jobs/{id}
    std::string_view query; // after the '?', if any (a job's ?cursor=)
    bool reconcile = false; // POST /v1/requests/{id}/reconcile
};

// One handler object per worker thread, bound to that thread's executor, so it can keep
// per-thread state (parsers, upstream pools) without locks. handle() may be running for
// several connections of its thread at once. When the server stops past its grace
// period it cancels handle() with terminal cancellation (the default awaitable
// cancellation state forwards it to the handler's own awaited operations), and the
// handler's destructor runs on its worker thread once no handle() is running, so it
// must cancel or close whatever I/O it still owns for run() to return.
class invite_handler {
public:
    virtual ~invite_handler() = default;
    virtual boost::asio::awaitable<handler_reply> handle(handler_request& request) = 0;
    // The recorded result of an earlier request. Without a ledger there is none: the
    // default answers 404.
    virtual boost::asio::awaitable<handler_reply> lookup(lookup_request& request);
    // Looks the request's `unknown` items up at the vendors and records what they say.
    // Without a ledger there is nothing to reconcile: the default answers 404.
    virtual boost::asio::awaitable<handler_reply> reconcile(lookup_request& request);
};

// Called once per worker by the server's constructor, on the constructing thread, with
// that worker's executor.
using handler_factory = std::function<std::unique_ptr<invite_handler>(boost::asio::any_io_executor)>;

} // namespace igw::server
