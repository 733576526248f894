#pragma once
// Internal to igw_server: the state the worker threads share (only atomics and the
// read-only config) and each worker's own io_context and connections.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <unordered_set>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "gateway/config/config.hpp"
#include "gateway/mapping/config_source.hpp"
#include "gateway/resilience/client_limits.hpp"
#include "gateway/server/invite_handler.hpp"
#include "gateway/server/peer_limit.hpp"
#include "gateway/server/services.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace boost::asio::ssl {
class context;
}

namespace igw::server::detail {

// Process-wide state. The request path touches only atomics here: the in-flight and
// connection caps are process-wide promises, which per-thread quotas could not keep
// without refusing work while another thread has room; one relaxed fetch_add per
// request or connection costs nanoseconds next to the request itself. The per-peer
// counts take a lock, but only on accept and close.
struct shared_state {
    shared_state(std::shared_ptr<mapping::config_source> source, server_services s)
        : configs(std::move(source)), config(configs->current()->config), services(std::move(s))
    {
    }

    const std::shared_ptr<mapping::config_source> configs;
    // The config at construction: its listener and limits apply until a restart.
    const config::gateway_config config;
    const server_services services;
    std::atomic<bool> listening{false};
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> connections{0}; // served connections, against max_connections
    std::atomic<std::size_t> refusing{0};    // connections being answered 503 (bounded too)
    std::atomic<std::size_t> in_flight{0};   // invite requests, against max_in_flight_requests
    peer_limit peers{config.limits.max_connections_per_peer};
    // Clients' own request rates (clients[].rate), by name: kept across reloads. Locked
    // once per invite of a client with a rate.
    resilience::client_limits client_rates;
};

// Connections accepted past max_connections, up to this many more, are served for the
// health probes only (one request, then closed; anything but /healthz and /readyz gets
// 503). An orchestrator that finds the gateway full must still see it alive and ready,
// or it restarts a gateway that is merely busy and makes the overload worse. A fixed
// handful is enough for probes, which come one at a time.
inline constexpr std::size_t probe_reserve = 16;

// How an accepted connection is served.
enum class admission { full, probes_only };

class connection;

// One thread's share of the server. Everything but `shared` is touched only on the
// worker's own thread (after start()), so connections need no strand and no lock.
class worker {
public:
    worker(shared_state& shared, const handler_factory& make_handler);
    ~worker();

    shared_state& shared;
    // Declared first so that it is destroyed last: connections and the handler hold I/O
    // objects of this context.
    boost::asio::io_context ioc{1}; // concurrency hint 1: exactly one thread runs it
    std::unique_ptr<invite_handler> handler;
    bool draining = false;

    // The config to serve the next request with: re-read only when a reload changed
    // the generation, so the common case is one atomic load.
    const std::shared_ptr<const mapping::compiled_config>& current_config();
    // This thread's metric cells (null without a metrics service).
    telemetry::route_metrics* route_metrics(std::string_view path);
    telemetry::thread_metrics* metrics = nullptr;

    void add(connection* c) { connections_.insert(c); }
    void remove(connection* c) { connections_.erase(c); }
    // After a connection's coroutine completed: finishes the worker when it drains.
    void connection_done();
    // Stop phase on this thread: close idle connections now, the rest after `grace`.
    void begin_drain(std::chrono::milliseconds grace);

private:
    void finish_if_drained();

    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    boost::asio::steady_timer grace_timer_;
    std::unordered_set<connection*> connections_;
    bool finished_ = false;
    std::shared_ptr<const mapping::compiled_config> config_;
    std::uint64_t config_generation_ = 0;
    std::vector<std::pair<std::string, telemetry::route_metrics*>> route_cells_;
};

// Drain steps, defined with the connection (connection.cpp).
void close_if_idle(connection& c);
void force_close(connection& c);

// Serves HTTP on an accepted socket until it closes: over TLS with `tls` (which the
// connection holds until it ends), else plain. Runs on `w`'s thread. The connection was
// counted in shared.connections and, for `peer`, in shared.peers; both are uncounted when
// it ends.
void serve_connection(worker& w, boost::asio::ip::tcp::socket socket, boost::asio::ip::address peer, admission how,
                      std::shared_ptr<boost::asio::ssl::context> tls);
// Answers 503 (Retry-After: 1) without reading a request, then closes.
void refuse_connection(shared_state& shared, boost::asio::ip::tcp::socket socket, std::string_view why);

// An error line in the log (event `server_error`), queued like every log line, so it
// never waits for the log destination.
void log_error(std::string_view what);

} // namespace igw::server::detail
