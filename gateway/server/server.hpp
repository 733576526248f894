#pragma once
// The gateway's HTTP/1.1 front server, over TLS when the config says so: health
// endpoints, the configured invite routes, authentication, request limits, and graceful
// shutdown. Beast and OpenSSL stay behind the pimpl.

#include <chrono>
#include <cstdint>
#include <memory>

#include "gateway/config/config.hpp"
#include "gateway/mapping/config_source.hpp"
#include "gateway/server/invite_handler.hpp"
#include "gateway/server/services.hpp"

namespace igw::server {

class server {
public:
    // Copies the config, creates one handler per worker through `make_handler`, and
    // binds and listens now, so that port() is known and a taken address fails here:
    // throws std::system_error naming the address on failure (or what TLS refused).
    server(const config::gateway_config& config, handler_factory make_handler);
    // Serves whatever `configs` holds at each request: routes, clients and mappings
    // follow a reload; the listener and limits stay those of the config at construction.
    server(std::shared_ptr<mapping::config_source> configs, handler_factory make_handler,
           server_services services = {});
    // Stops without grace when still running, then joins the worker threads.
    ~server();

    server(const server&) = delete;
    server& operator=(const server&) = delete;

    std::uint16_t port() const noexcept; // the bound port (the config's may be 0)

    // Starts the worker threads and returns. Call at most once.
    void start();
    // Blocks until the worker threads have finished after stop(); returns at once when
    // start() was never called.
    void wait();
    // start() then wait(): returns after stop() (from another thread or a signal).
    void run();

    // Thread-safe, idempotent, does not block (it may be called from a handler or a
    // signal handler): stops accepting, turns /readyz to 503, closes idle keep-alive
    // connections, lets requests in progress finish (their replies say
    // `Connection: close`), and after `grace` closes what is left and cancels handlers
    // still running. wait() returns once every worker is done.
    void stop(std::chrono::milliseconds grace);

    // True from start() until stop().
    bool ready() const noexcept;

    // SIGTERM and SIGINT call stop(grace). Called before start(), the signals are caught
    // from its return on; called after, from a moment later (worker 0 installs them).
    friend void stop_on_signals(server& s, std::chrono::milliseconds grace);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

void stop_on_signals(server& s, std::chrono::milliseconds grace);

} // namespace igw::server
