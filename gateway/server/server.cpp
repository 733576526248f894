#include "gateway/server/server.hpp"

#include <algorithm>
#include <csignal>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/server/tls_listener.hpp"
#include "gateway/server/worker.hpp"
#include "gateway/telemetry/log.hpp"

namespace igw::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// Listening: one acceptor, on worker 0, handing each accepted socket round-robin to the
// workers (the socket is created on the chosen worker's io_context, so everything after
// accept() runs there). Not one SO_REUSEPORT acceptor per thread, because
//  - with SO_REUSEPORT a second gateway started on the same port binds "successfully"
//    and silently takes half of the connections, where an operator expects
//    "address already in use";
//  - closing one of several reuseport listeners resets the connections waiting in its
//    backlog, which a graceful stop must not do;
//  - the kernel's hash spreading does not even out a few long keep-alive connections
//    any better than round-robin does.
// The price is one accept per connection on worker 0, negligible next to the requests a
// keep-alive connection carries.
struct server::impl {
    impl(std::shared_ptr<mapping::config_source> configs, const handler_factory& make_handler,
         server_services services);

    net::awaitable<void> accept_loop();
    // Counts an accepted socket against the caps and hands it to `target`, or refuses it.
    void admit(detail::worker& target, tcp::socket socket);
    // Refuses a socket past the caps: a 503 on plain HTTP; on TLS it is closed unanswered,
    // as a 503 would cost a handshake, the very work the caps hold off.
    void refuse(tcp::socket socket, std::string_view why);
    // The TLS context for a connection accepted now; null for plain HTTP.
    std::shared_ptr<net::ssl::context> tls_context();
    void stop(std::chrono::milliseconds grace);

    detail::shared_state shared;
    std::vector<std::unique_ptr<detail::worker>> workers;
    tcp::acceptor acceptor;                 // on workers[0]; declared after workers so it goes first
    std::optional<net::signal_set> signals; // on workers[0]
    std::uint16_t port = 0;
    std::size_t next_worker = 0; // touched by accept_loop only
    // TLS, when the config at construction has it: only a restart switches it on or off,
    // while a reload may rotate its files (touched by accept_loop only, as is the
    // generation of the config it last looked at).
    std::unique_ptr<detail::listener_tls> tls;
    std::uint64_t tls_generation = 0;

    std::mutex threads_mutex;
    std::vector<std::thread> threads;
    bool started = false;
};

server::impl::impl(std::shared_ptr<mapping::config_source> configs, const handler_factory& make_handler,
                   server_services services)
    : shared(std::move(configs), std::move(services)), workers([&] {
          if (!make_handler)
              throw std::invalid_argument("the server needs an invite handler factory");
          std::vector<std::unique_ptr<detail::worker>> made;
          for (unsigned i = 0, n = config::worker_threads(shared.config.listener); i < n; ++i)
              made.push_back(std::make_unique<detail::worker>(shared, make_handler));
          return made;
      }()),
      acceptor(workers.front()->ioc)
{
    if (shared.config.tls) {
        try {
            tls = std::make_unique<detail::listener_tls>(*shared.config.tls);
        } catch (const std::runtime_error& e) {
            throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                                    std::string("cannot set up TLS: ") + e.what());
        }
        tls_generation = shared.configs->generation();
    }
    const auto& listener = shared.config.listener;
    const std::string where = listener.address + ":" + std::to_string(listener.port);
    boost::system::error_code ec;
    const auto address = net::ip::make_address(listener.address, ec);
    if (ec)
        throw std::system_error(ec, "cannot listen on " + where + ": invalid address");
    const tcp::endpoint endpoint{address, listener.port};
    acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        acceptor.set_option(net::socket_base::reuse_address(true), ec); // TIME_WAIT only, not a live listener
    if (!ec)
        acceptor.bind(endpoint, ec);
    if (!ec)
        acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::system_error(ec, "cannot listen on " + where);
    port = acceptor.local_endpoint().port();
}

net::awaitable<void> server::impl::accept_loop()
{
    while (acceptor.is_open()) {
        detail::worker& target = *workers[next_worker++ % workers.size()];
        auto [ec, socket] = co_await acceptor.async_accept(net::any_io_executor(target.ioc.get_executor()),
                                                           net::as_tuple(net::use_awaitable));
        if (ec == net::error::operation_aborted || !acceptor.is_open() ||
            shared.stopping.load(std::memory_order_relaxed))
            co_return; // an accepted socket closes here
        if (ec) {
            // Out of descriptors or memory: log, and let the connections in progress end
            // before trying again instead of spinning on the same error.
            detail::log_error("accept failed: " + ec.message());
            net::steady_timer pause(co_await net::this_coro::executor, std::chrono::milliseconds(50));
            co_await pause.async_wait(net::as_tuple(net::use_awaitable));
            continue;
        }
        admit(target, std::move(socket));
    }
}

void server::impl::admit(detail::worker& target, tcp::socket socket)
{
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec).address();
    if (ec)
        return; // reset before it was accepted: the socket closes here
    // Per peer first: one address at its cap must not take the probes' reserve either.
    if (!shared.peers.try_add(peer)) {
        refuse(std::move(socket), "too many connections from this address; retry later");
        return;
    }
    const std::size_t open = shared.connections.fetch_add(1, std::memory_order_relaxed);
    const std::size_t cap = shared.config.limits.max_connections;
    if (open >= cap + detail::probe_reserve) {
        shared.connections.fetch_sub(1, std::memory_order_relaxed);
        shared.peers.remove(peer);
        refuse(std::move(socket), "the gateway is at its connection limit; retry later");
        return;
    }
    const auto how = open < cap ? detail::admission::full : detail::admission::probes_only;
    net::post(target.ioc, [&target, socket = std::move(socket), peer, how, context = tls_context()]() mutable {
        detail::serve_connection(target, std::move(socket), peer, how, std::move(context));
    });
}

void server::impl::refuse(tcp::socket socket, std::string_view why)
{
    if (!tls)
        detail::refuse_connection(shared, std::move(socket), why);
    // else the socket closes here
}

std::shared_ptr<net::ssl::context> server::impl::tls_context()
{
    if (!tls)
        return nullptr;
    // One atomic load per accept; the files are compared only after a reload.
    if (const std::uint64_t generation = shared.configs->generation(); generation != tls_generation) {
        tls_generation = generation;
        tls->update(shared.configs->current()->config);
    }
    return tls->context();
}

void server::impl::stop(std::chrono::milliseconds grace)
{
    if (shared.stopping.exchange(true))
        return;
    shared.listening.store(false);
    net::post(workers.front()->ioc, [this] {
        boost::system::error_code ignored;
        acceptor.close(ignored);
        if (signals)
            signals->cancel();
    });
    for (auto& w : workers)
        net::post(w->ioc, [w = w.get(), grace] { w->begin_drain(grace); });
}

namespace {

// A config served as it is, without provider mappings (the server needs none).
std::shared_ptr<mapping::config_source> fixed_config(const config::gateway_config& config)
{
    auto loaded = std::make_shared<mapping::compiled_config>();
    loaded->config = config;
    return std::make_shared<mapping::config_source>(std::move(loaded));
}

} // namespace

server::server(const config::gateway_config& config, handler_factory make_handler)
    : server(fixed_config(config), std::move(make_handler))
{
}

server::server(std::shared_ptr<mapping::config_source> configs, handler_factory make_handler, server_services services)
    : impl_(std::make_unique<impl>(std::move(configs), make_handler, std::move(services)))
{
}

server::~server()
{
    impl_->stop(std::chrono::milliseconds(0));
    std::unique_lock lock(impl_->threads_mutex);
    if (impl_->started) {
        lock.unlock();
        wait();
        return;
    }
    // Never started: run the posted drain steps here, so the handlers are destroyed
    // while their io_contexts are whole.
    for (auto& w : impl_->workers)
        w->ioc.run();
}

std::uint16_t server::port() const noexcept { return impl_->port; }

bool server::ready() const noexcept
{
    return impl_->shared.listening.load(std::memory_order_relaxed) &&
           !impl_->shared.stopping.load(std::memory_order_relaxed);
}

void server::start()
{
    std::lock_guard lock(impl_->threads_mutex);
    if (impl_->started)
        throw std::logic_error("server::start called twice");
    impl_->started = true;
    if (!impl_->shared.stopping.load())
        impl_->shared.listening.store(true);
    auto& im = *impl_;
    net::co_spawn(im.workers.front()->ioc, im.accept_loop(), [](std::exception_ptr e) {
        if (!e)
            return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& error) {
            detail::log_error(std::string("accept loop: ") + error.what());
        }
    });
    for (auto& w : im.workers) {
        im.threads.emplace_back([w = w.get()] {
            // run() only throws what a completion handler threw; the server keeps going.
            for (;;) {
                try {
                    w->ioc.run();
                    return;
                } catch (const std::exception& error) {
                    detail::log_error(std::string("worker: ") + error.what());
                }
            }
        });
    }
}

void server::wait()
{
    std::lock_guard lock(impl_->threads_mutex);
    for (auto& t : impl_->threads) {
        if (t.joinable())
            t.join();
    }
    impl_->threads.clear();
}

void server::run()
{
    start();
    wait();
}

void server::stop(std::chrono::milliseconds grace) { impl_->stop(grace); }

void stop_on_signals(server& s, std::chrono::milliseconds grace)
{
    auto& im = *s.impl_;
    auto install = [&s, &im, grace] {
        if (im.shared.stopping.load())
            return;
        im.signals.emplace(im.workers.front()->ioc, SIGINT, SIGTERM);
        im.signals->async_wait([&s, grace](const boost::system::error_code& ec, int signal_number) {
            if (ec)
                return;
            // An orderly stop asked for by the operator or the service manager: not an error.
            telemetry::log(telemetry::log_level::info, "stopping", {{"signal", signal_number}});
            s.stop(grace);
        });
    };
    std::lock_guard lock(im.threads_mutex);
    if (!im.started) {
        install(); // no thread runs worker 0 yet: the signals are caught from here on
        return;
    }
    // Worker 0's thread owns the set (stop() cancels it there), so it is never touched
    // from two threads.
    net::post(im.workers.front()->ioc, install);
}

} // namespace igw::server
