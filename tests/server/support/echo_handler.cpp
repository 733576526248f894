#include "tests/server/support/echo_handler.hpp"

#include <stdexcept>
#include <system_error>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/config/loader.hpp"
#include "gateway/json/writer.hpp"

namespace igw::server::testing {

namespace net = boost::asio;

bool handler_control::wait_blocked(std::size_t count, std::chrono::milliseconds deadline)
{
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, deadline, [&] { return waiting_.size() >= count; });
}

void handler_control::release()
{
    std::lock_guard lock(mutex_);
    released_ = true;
    for (net::steady_timer* gate : waiting_) {
        // Cancelled on the timer's own thread, and only while its handle() still waits
        // (a gate leaves `waiting_` on that same thread before it is destroyed).
        net::post(gate->get_executor(), [this, gate] {
            std::lock_guard inner(mutex_);
            if (waiting_.contains(gate))
                gate->cancel();
        });
    }
}

bool handler_control::enter(net::steady_timer* gate)
{
    std::lock_guard lock(mutex_);
    if (released_)
        return false;
    waiting_.insert(gate);
    changed_.notify_all();
    return true;
}

void handler_control::leave(net::steady_timer* gate)
{
    std::lock_guard lock(mutex_);
    waiting_.erase(gate);
}

bool handler_control::released() const
{
    std::lock_guard lock(mutex_);
    return released_;
}

namespace {

class echo_handler final : public invite_handler {
public:
    echo_handler(net::any_io_executor executor, handler_control& control) : executor_(executor), control_(control)
    {
        ++control_.created;
    }
    ~echo_handler() override { ++control_.destroyed; }

    net::awaitable<handler_reply> handle(handler_request& request) override
    {
        if (request.body == "throw")
            throw std::runtime_error("the echo handler was asked to fail");
        bool cancelled = false;
        while (control_.block) {
            net::steady_timer gate(executor_, std::chrono::steady_clock::time_point::max());
            if (!control_.enter(&gate))
                break; // released
            (void)co_await gate.async_wait(net::as_tuple(net::use_awaitable)); // released or cancelled: told apart below
            control_.leave(&gate);
            if (control_.released())
                break;
            // Cancelled by the server, not released by the test.
            cancelled = true;
            if (!control_.ignore_cancellation)
                break;
        }
        handler_reply reply;
        json::writer w(reply.body);
        w.begin_object()
            .member("route_index", request.route_index)
            .member("client", request.client->name)
            .member("request_id", request.request_id)
            .member("target", request.target)
            .member("body", request.body)
            .member("padded", request.body.capacity() >= request.body.size() + 64)
            .member("cancelled", cancelled)
            .end_object();
        reply.headers.emplace_back("X-Echo", "yes");
        co_return reply;
    }

private:
    net::any_io_executor executor_;
    handler_control& control_;
};

} // namespace

handler_factory echo_handler_factory(handler_control& control)
{
    return [&control](net::any_io_executor executor) { return std::make_unique<echo_handler>(executor, control); };
}

config::gateway_config test_config()
{
    config::gateway_config c;
    c.listener.address = "127.0.0.1";
    c.listener.port = 0;
    c.listener.threads = 2;
    c.limits.max_body_bytes = 1024;
    c.limits.max_header_bytes = 2048;
    c.limits.max_connections = 64;
    c.limits.max_in_flight_requests = 64;
    c.limits.read_timeout = std::chrono::milliseconds(5000);
    c.limits.idle_timeout = std::chrono::milliseconds(5000);
    c.limits.request_timeout = std::chrono::milliseconds(5000);
    c.clients.push_back({"app-a", {config::sha256("key-a")}, {}});
    c.clients.push_back({"app-b", {config::sha256("key-b")}, {"/v1/other"}});
    c.routes.push_back({"/v1/invitations", {"alpha"}, "test"});
    c.routes.push_back({"/v1/other", {"beta"}, "test"});
    return c;
}

} // namespace igw::server::testing
