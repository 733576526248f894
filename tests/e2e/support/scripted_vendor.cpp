#include "tests/e2e/support/scripted_vendor.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <exception>
#include <iostream>
#include <list>
#include <strings.h>

namespace igw::e2e {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

void log_exception(std::exception_ptr e)
{
    if (!e)
        return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        std::cerr << "scripted_vendor: " << x.what() << '\n';
    }
}

} // namespace

std::optional<std::string> scripted_request::header(std::string_view name) const
{
    for (const auto& [key, value] : headers)
        if (key.size() == name.size() && ::strncasecmp(key.data(), name.data(), name.size()) == 0)
            return value;
    return std::nullopt;
}

scripted_reply http_reply(unsigned status, std::string_view body,
                          const std::vector<std::pair<std::string, std::string>>& headers)
{
    scripted_reply reply;
    reply.bytes = "HTTP/1.1 " + std::to_string(status) + " Scripted\r\nContent-Type: application/json\r\n";
    for (const auto& [name, value] : headers)
        reply.bytes += name + ": " + value + "\r\n";
    reply.bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    reply.bytes += body;
    return reply;
}

struct scripted_vendor::state : std::enable_shared_from_this<state> {
    explicit state(script s) : reply(std::move(s)), acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0}) {}

    script reply;
    net::io_context ioc;
    tcp::acceptor acceptor;
    std::list<tcp::socket*> live; // only touched on the vendor's thread

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    std::vector<scripted_request> requests;
    std::size_t accepted = 0, open = 0;

    net::awaitable<void> accept_loop()
    {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
            if (ec)
                co_return;
            net::co_spawn(ioc, session(std::move(socket)), log_exception);
        }
    }

    net::awaitable<void> session(tcp::socket socket)
    {
        auto self = shared_from_this();
        std::size_t index = 0;
        {
            std::lock_guard lock(mutex);
            index = ++accepted;
            ++open;
        }
        changed.notify_all();
        const auto it = live.insert(live.end(), &socket);
        co_await serve(socket, index);
        live.erase(it);
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
        {
            std::lock_guard lock(mutex);
            --open;
        }
        changed.notify_all();
    }

    net::awaitable<void> serve(tcp::socket& socket, std::size_t index)
    {
        static const std::string block(1 << 20, 'a');
        beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(16 << 20);
            auto [ec, n] = co_await http::async_read(socket, buffer, parser, use_tuple);
            if (ec)
                co_return;
            const auto& message = parser.get();
            scripted_request request;
            request.method = std::string(message.method_string());
            request.target = std::string(message.target());
            request.body = message.body();
            request.connection = index;
            for (const auto& field : message)
                request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
            {
                std::lock_guard lock(mutex);
                requests.push_back(request);
            }
            changed.notify_all();
            const scripted_reply out = reply(request);
            if (!out.bytes.empty()) {
                auto [wec, wn] = co_await net::async_write(socket, net::buffer(out.bytes), use_tuple);
                if (wec)
                    co_return;
            }
            if (out.pad_mebibytes > 0) {
                // Bounded: stops at the first write the gateway no longer reads.
                for (std::size_t i = 0; i < out.pad_mebibytes; ++i) {
                    auto [wec, wn] = co_await net::async_write(socket, net::buffer(block), use_tuple);
                    if (wec)
                        break;
                }
                co_return;
            }
            if (out.close || out.bytes.empty())
                co_return;
        }
    }
};

scripted_vendor::scripted_vendor(script reply) : state_(std::make_shared<state>(std::move(reply)))
{
    port_ = state_->acceptor.local_endpoint().port();
    net::co_spawn(state_->ioc, state_->accept_loop(), log_exception);
    thread_ = std::thread([s = state_] { s->ioc.run(); });
}

scripted_vendor::~scripted_vendor()
{
    net::post(state_->ioc, [s = state_] {
        boost::system::error_code ignored;
        s->acceptor.close(ignored);
        for (tcp::socket* socket : s->live)
            socket->close(ignored);
    });
    thread_.join();
}

std::string scripted_vendor::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::vector<scripted_request> scripted_vendor::requests() const
{
    std::lock_guard lock(state_->mutex);
    return state_->requests;
}

std::size_t scripted_vendor::connections_accepted() const
{
    std::lock_guard lock(state_->mutex);
    return state_->accepted;
}

std::size_t scripted_vendor::connections_open() const
{
    std::lock_guard lock(state_->mutex);
    return state_->open;
}

bool scripted_vendor::wait_open(std::size_t n, std::chrono::milliseconds limit) const
{
    std::unique_lock lock(state_->mutex);
    return state_->changed.wait_for(lock, limit, [&] { return state_->open == n; });
}

} // namespace igw::e2e
