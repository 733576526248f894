#include "gateway/upstream/client.hpp"

#include "gateway/upstream/connection.hpp"
#include "gateway/upstream/pool.hpp"
#include "gateway/upstream/tls_contexts.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <functional>
#include <optional>
#include <unordered_map>

namespace igw::upstream {

namespace net = boost::asio;
using boost::system::error_code;
using detail::clock;
using detail::connection;
using detail::pool;
using tcp = net::ip::tcp;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

struct endpoint_hash {
    std::size_t operator()(const endpoint& ep) const noexcept
    {
        std::size_t h = std::hash<std::string_view>{}(ep.host);
        h ^= (std::size_t{ep.port} << 1) ^ (ep.tls ? 0x9e3779b97f4a7c15ull : 0);
        if (!ep.ca_file.empty())
            h ^= std::hash<std::string_view>{}(ep.ca_file) * 31;
        return h;
    }
};

void fail(response& out, failure f, std::string message)
{
    out.error = f;
    out.message = std::move(message);
}

} // namespace

std::string host_port(const endpoint& ep)
{
    return (ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host) + ":" + std::to_string(ep.port);
}

std::string_view to_string(failure f) noexcept
{
    switch (f) {
    case failure::none: return "none";
    case failure::connect_failed: return "connect_failed";
    case failure::timeout_before_send: return "timeout_before_send";
    case failure::timeout_after_send: return "timeout_after_send";
    case failure::connection_lost: return "connection_lost";
    case failure::bad_reply: return "bad_reply";
    case failure::invalid_request: return "invalid_request";
    }
    return "unknown";
}

class client::impl : public std::enable_shared_from_this<client::impl> {
public:
    impl(net::any_io_executor executor, client_options options)
        : executor_(std::move(executor)), options_(options), sweep_timer_(executor_)
    {
    }

    ~impl()
    {
        for (auto& [key, p] : pools_) {
            while (!p->idle.empty()) {
                detail::close(std::move(p->idle.back()), false);
                p->idle.pop_back();
            }
        }
    }

    net::awaitable<response> send(const endpoint& ep, const request& req, clock::time_point deadline,
                                  unsigned max_connections)
    {
        response out;
        if (auto problem = detail::check_request(req); !problem.empty()) {
            fail(out, failure::invalid_request, std::move(problem));
            co_return out;
        }
        pool& p = pool_for(ep);
        p.cap = std::max(1u, max_connections);
        // Runs however this frame ends (completion, or destruction while suspended).
        struct use {
            impl& self;
            pool& p;
            explicit use(impl& s, pool& q) : self(s), p(q) { ++p.users; }
            ~use()
            {
                if (--p.users == 0 && p.retired)
                    self.free_if_unused(p.key);
            }
        } in_use(*this, p);

        for (bool retried = false;; retried = true) {
            auto c = co_await acquire(p, deadline, retried, out);
            if (!c)
                co_return out;
            detail::write_head(c->head, p.key, req);
            const auto result = co_await detail::exchange(
                *c, req, deadline, {options_.max_response_bytes, options_.max_header_bytes}, out);
            if (out.error == failure::none) {
                if (result.reusable)
                    release(p, std::move(c));
                else
                    discard(p, std::move(c), true);
                co_return out;
            }
            discard(p, std::move(c), false);
            // A reused connection the server closed while it sat idle: only a write that
            // failed on it proves the server never had the whole request, so it cannot
            // have acted on it. Once the request is written, a server that closes without
            // replying may well have acted first (whatever the method: servers do not all
            // honour idempotency), and the caller must know.
            const bool stale = !retried && out.reused_connection && result.peer_gone && result.write_failed;
            if (!stale)
                co_return out;
            out = response{};
        }
    }

    pool_stats stats(const endpoint& ep) const
    {
        pool_stats s;
        auto it = pools_.find(ep);
        if (it == pools_.end())
            return s;
        const pool& p = *it->second;
        s.open = p.open;
        s.idle = p.idle.size();
        s.waiting = p.waiters.size();
        s.opened_total = p.opened_total;
        return s;
    }

    void retain_only(std::span<const endpoint> in_use)
    {
        for (auto it = pools_.begin(); it != pools_.end();) {
            pool& p = *it->second;
            p.retired = std::find(in_use.begin(), in_use.end(), p.key) == in_use.end();
            if (!p.retired) {
                ++it;
                continue;
            }
            while (!p.idle.empty()) {
                auto c = std::move(p.idle.back());
                p.idle.pop_back();
                discard(p, std::move(c), true);
            }
            if (unused(p))
                it = pools_.erase(it);
            else
                ++it;
        }
    }

    std::size_t pool_count() const { return pools_.size(); }

    void free_if_unused(const endpoint& key)
    {
        const auto it = pools_.find(key);
        if (it != pools_.end() && it->second->retired && unused(*it->second))
            pools_.erase(it);
    }

    void close_idle()
    {
        for (auto& [key, p] : pools_) {
            while (!p->idle.empty()) {
                auto c = std::move(p->idle.back());
                p->idle.pop_back();
                discard(*p, std::move(c), true);
            }
        }
    }

private:
    static bool unused(const pool& p) { return p.users == 0 && p.open == 0 && p.waiters.empty(); }

    pool& pool_for(const endpoint& ep)
    {
        auto it = pools_.find(ep);
        if (it != pools_.end())
            return *it->second;
        auto p = std::make_unique<pool>(ep);
        error_code ec;
        const auto address = net::ip::make_address(ep.host, ec);
        if (!ec) {
            p->addresses.emplace_back(address, ep.port);
            p->literal = true;
        }
        return *pools_.emplace(ep, std::move(p)).first->second;
    }

    // A connection for one call: an idle one, a new one within the cap, or one
    // handed over by an earlier caller. Null, with `out` filled, on failure.
    // `fresh_only` skips idle connections (for the one retry after a stale one).
    net::awaitable<std::unique_ptr<connection>> acquire(pool& p, clock::time_point deadline, bool fresh_only,
                                                        response& out)
    {
        if (clock::now() >= deadline) {
            fail(out, failure::timeout_before_send, "the deadline passed before the request could be sent");
            co_return nullptr;
        }
        while (!p.idle.empty()) {
            auto c = std::move(p.idle.back());
            p.idle.pop_back();
            if (fresh_only || clock::now() - c->idle_since >= options_.idle_timeout || c->looks_closed()) {
                // Keep its slot for the new connection this caller opens instead.
                detail::close(std::move(c), false);
                co_return co_await open_connection(p, deadline, out);
            }
            out.reused_connection = true;
            co_return c;
        }
        if (p.open < p.cap) {
            ++p.open;
            co_return co_await open_connection(p, deadline, out);
        }

        detail::waiter w(executor_);
        w.timer.expires_at(deadline);
        p.waiters.push_back(w);
        auto [ec] = co_await w.timer.async_wait(use_tuple);
        (void)ec; // granted, deadline or cancellation: the waiter's state says which
        if (w.is_linked())
            w.unlink();
        if (w.handed || w.slot) {
            if (clock::now() >= deadline) {
                // Granted just as the deadline passed: pass it on rather than use it late.
                if (w.handed)
                    release(p, std::move(w.handed));
                else
                    release_slot(p);
            } else if (w.handed && !fresh_only) {
                out.reused_connection = true;
                co_return std::move(w.handed);
            } else {
                detail::close(std::move(w.handed), false);
                co_return co_await open_connection(p, deadline, out);
            }
        }
        fail(out, failure::timeout_before_send,
             "no connection to " + host_port(p.key) + " became free before the deadline (" + std::to_string(p.open) +
                 " open, limit " + std::to_string(p.cap) + ")");
        co_return nullptr;
    }

    // Opens a connection in a slot the caller already holds; gives the slot back if
    // that fails.
    net::awaitable<std::unique_ptr<connection>> open_connection(pool& p, clock::time_point deadline, response& out)
    {
        out.reused_connection = false;
        if (!p.literal && (p.addresses.empty() || clock::now() >= p.addresses_expire)) {
            co_await resolve(p, deadline, out);
            if (out.error != failure::none) {
                release_slot(p);
                co_return nullptr;
            }
        }
        if (p.key.tls && !p.tls_context) {
            std::string error;
            p.tls_context = tls_contexts_.get(p.key.ca_file, error);
            if (!p.tls_context) {
                fail(out, failure::connect_failed, std::move(error));
                out.step = connect_step::tls_setup;
                release_slot(p);
                co_return nullptr;
            }
        }
        auto c = std::make_unique<connection>(executor_, p.key.tls ? p.tls_context : nullptr,
                                              options_.max_response_bytes + options_.max_header_bytes);
        co_await detail::establish(*c, p.addresses, p.key, deadline, out);
        if (out.error != failure::none) {
            detail::close(std::move(c), false);
            release_slot(p);
            co_return nullptr;
        }
        ++p.opened_total;
        co_return c;
    }

    net::awaitable<void> resolve(pool& p, clock::time_point deadline, response& out)
    {
        if (!p.resolving) {
            auto query = std::make_shared<detail::resolution>(executor_);
            p.resolving = query;
            query->resolver.async_resolve(p.key.host, std::to_string(p.key.port), tcp::resolver::numeric_service,
                                          [query](const error_code& ec, const tcp::resolver::results_type& results) {
                                              query->done = true;
                                              query->error = ec;
                                              for (const auto& entry : results)
                                                  query->addresses.push_back(entry.endpoint());
                                              for (auto* timer : query->waiting)
                                                  timer->cancel();
                                          });
        }
        const auto query = p.resolving;
        if (!query->done) {
            net::steady_timer timer(executor_, deadline);
            query->waiting.push_back(&timer);
            // Unparks the timer even if this frame is destroyed while suspended.
            struct unpark {
                detail::resolution& q;
                net::steady_timer* t;
                ~unpark() { std::erase(q.waiting, t); }
            } guard{*query, &timer};
            // Woken by the query's completion, the deadline, or the caller's cancellation.
            auto [ec] = co_await timer.async_wait(use_tuple);
            (void)ec;
        }
        if (!query->done) {
            fail(out, failure::timeout_before_send, "resolving " + p.key.host + " did not finish before the deadline");
            out.step = connect_step::resolve;
            co_return;
        }
        if (p.resolving == query) {
            p.resolving.reset();
            if (!query->error && !query->addresses.empty()) {
                p.addresses = query->addresses;
                p.addresses_expire = clock::now() + options_.dns_ttl;
            }
        }
        if (query->error || query->addresses.empty()) {
            fail(out, failure::connect_failed,
                 "cannot resolve " + p.key.host + ": " +
                     (query->error ? query->error.message() : std::string("no address")));
            out.step = connect_step::resolve;
        }
    }

    // Returns a healthy keep-alive connection: to the first waiter, else to the idle list.
    void release(pool& p, std::unique_ptr<connection> c)
    {
        if (p.open > p.cap) { // the cap was lowered since this connection opened
            discard(p, std::move(c), true);
            return;
        }
        if (!p.waiters.empty()) {
            auto& w = p.waiters.front();
            p.waiters.pop_front();
            w.handed = std::move(c);
            w.timer.cancel();
            return;
        }
        if (p.retired || p.idle.size() >= options_.max_idle_per_endpoint) {
            discard(p, std::move(c), true);
            return;
        }
        c->idle_since = clock::now();
        p.idle.push_back(std::move(c));
        arm_sweep(p.idle.back()->idle_since + options_.idle_timeout);
    }

    void discard(pool& p, std::unique_ptr<connection> c, bool graceful)
    {
        detail::close(std::move(c), graceful);
        release_slot(p);
    }

    // A slot freed up: it goes to the first waiter, who opens a connection in it.
    void release_slot(pool& p)
    {
        if (!p.waiters.empty() && p.open <= p.cap) {
            auto& w = p.waiters.front();
            p.waiters.pop_front();
            w.slot = true;
            w.timer.cancel();
            return;
        }
        --p.open;
    }

    // One timer for all pools closes idle connections as they expire, so that an
    // unused pool does not keep sockets open on either side.
    void arm_sweep(clock::time_point at)
    {
        if (sweep_armed_)
            return;
        sweep_armed_ = true;
        sweep_timer_.expires_at(at);
        sweep_timer_.async_wait([weak = weak_from_this()](const error_code& ec) {
            auto self = weak.lock();
            if (!self)
                return;
            self->sweep_armed_ = false;
            if (!ec)
                self->sweep();
        });
    }

    void sweep()
    {
        const auto now = clock::now();
        std::optional<clock::time_point> next;
        for (auto& [key, p] : pools_) {
            while (!p->idle.empty() && p->idle.front()->idle_since + options_.idle_timeout <= now) {
                auto c = std::move(p->idle.front());
                p->idle.pop_front();
                discard(*p, std::move(c), true);
            }
            if (!p->idle.empty()) {
                const auto at = p->idle.front()->idle_since + options_.idle_timeout;
                if (!next || at < *next)
                    next = at;
            }
        }
        if (next)
            arm_sweep(*next);
    }

    net::any_io_executor executor_;
    client_options options_;
    detail::tls_contexts tls_contexts_;
    // A pool is erased only when retired and unused (pool::users), so the reference a
    // send() holds across suspensions stays valid.
    std::unordered_map<endpoint, std::unique_ptr<pool>, endpoint_hash> pools_;
    net::steady_timer sweep_timer_;
    bool sweep_armed_ = false;
};

client::client(net::any_io_executor executor, client_options options)
    : impl_(std::make_shared<impl>(std::move(executor), options))
{
}

client::~client() = default;

net::awaitable<response> client::send(const endpoint& ep, const request& req, clock::time_point deadline,
                                      unsigned max_connections)
{
    return impl_->send(ep, req, deadline, max_connections);
}

client::pool_stats client::stats(const endpoint& ep) const { return impl_->stats(ep); }

void client::close_idle() { impl_->close_idle(); }

void client::retain_only(std::span<const endpoint> in_use) { impl_->retain_only(in_use); }

std::size_t client::pool_count() const { return impl_->pool_count(); }

} // namespace igw::upstream
