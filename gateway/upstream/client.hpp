#pragma once
// The pooled HTTP/1.1 client the gateway calls vendors with. One `client` per thread
// (per io_context): it shares nothing between threads and takes no locks, so a
// request never waits on another thread. Beast and OpenSSL stay behind the pimpl.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "gateway/upstream/failure.hpp"

namespace igw::upstream {

// Identifies a connection pool: connections are only ever reused for the same
// scheme, host, port and trust settings.
struct endpoint {
    bool tls = false;
    std::string host; // DNS name or IP literal (IPv6 without brackets)
    std::uint16_t port = 0;
    std::string ca_file; // extra trusted CA (PEM) besides the system store; may be empty

    bool operator==(const endpoint&) const = default;
};

// "host:port", with an IPv6 host in brackets, as messages name an endpoint.
std::string host_port(const endpoint& ep);

struct header {
    std::string_view name, value;
};

// Views only: everything must stay alive until send() completes.
struct request {
    std::string_view method;         // "POST"
    std::string_view target;         // origin-form path + query, already percent-encoded
    std::span<const header> headers; // besides Host and Content-Length, which the client sets
    std::string_view body;
};

struct response {
    failure error = failure::none;
    std::string message;                    // why it failed, for operators' logs; empty on success
    connect_step step = connect_step::none; // for connect_failed and timeout_before_send
    unsigned status = 0;                    // final (non-1xx) status code, once its whole header arrived
    std::string body;
    std::string retry_after; // raw Retry-After header value, if any
    bool reused_connection = false;
};

struct client_options {
    std::chrono::milliseconds idle_timeout{30'000}; // idle keep-alive connections are closed after this
    std::chrono::seconds dns_ttl{30};               // resolver results are reused this long
    std::size_t max_response_bytes = 4 << 20;       // larger reply bodies fail with bad_reply
    std::size_t max_header_bytes = 64 * 1024;       // larger reply headers fail with bad_reply
    // A chunk header or trailer is never buffered beyond max_response_bytes +
    // max_header_bytes either: past that, bad_reply.
    std::size_t max_idle_per_endpoint = 64;
};

class client {
public:
    // All I/O runs on `executor`, which must be the (single-threaded) executor the
    // callers of send() run on.
    explicit client(boost::asio::any_io_executor executor, client_options = {});
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // Sends one request and reads its reply. Never throws for network conditions: they
    // come back in response::error. `deadline` bounds everything: waiting for a pooled
    // connection, DNS, connect, TLS, writing and reading. At most `max_connections`
    // (at least 1; the latest value given counts, and connections over a lowered cap
    // close as their calls complete) connections are open to `ep` at once; callers
    // beyond that wait, in FIFO order, until one frees up or their deadline passes.
    // The client must outlive every send() it started.
    boost::asio::awaitable<response> send(const endpoint& ep, const request& req,
                                          std::chrono::steady_clock::time_point deadline, unsigned max_connections);

    struct pool_stats {
        std::size_t open = 0; // connections in use, idle or being opened
        std::size_t idle = 0;
        std::size_t waiting = 0;      // callers waiting for a connection
        std::size_t opened_total = 0; // connections successfully established, ever
    };
    pool_stats stats(const endpoint&) const; // for metrics and tests

    // Closes every idle connection now (TLS ones with a close_notify, in the background);
    // connections in use go back to the pool as usual when their call completes. The
    // gateway does not call it: destroying the client closes the idle connections left.
    void close_idle();

    // Tells the client the endpoints its callers still use (after a config change).
    // Every other pool closes its idle connections at once and is freed as soon as no
    // call is using it; its connections in use are closed when their calls complete.
    // A later send() to such an endpoint simply opens a new pool.
    void retain_only(std::span<const endpoint> in_use);
    std::size_t pool_count() const; // pools held, for tests

    class impl;

private:
    std::shared_ptr<impl> impl_; // shared so that timer callbacks can tell it is gone
};

} // namespace igw::upstream
