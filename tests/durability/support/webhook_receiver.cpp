#include "tests/durability/support/webhook_receiver.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>
#include <thread>

namespace igw::durability {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

struct webhook_receiver::impl {
    explicit impl(unsigned f) : failures(f), acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0}) {}

    net::awaitable<void> serve(tcp::socket socket)
    {
        constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
        boost::beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> request;
            auto [ec, n] = co_await http::async_read(socket, buffer, request, use_tuple);
            (void)n;
            if (ec)
                co_return;
            received_webhook seen;
            for (const auto& field : request) {
                std::string name(field.name_string());
                std::transform(name.begin(), name.end(), name.begin(),
                               [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                seen.headers[name] = std::string(field.value());
            }
            seen.body = request.body();
            {
                std::lock_guard lock(mutex);
                seen.answered = log.size() < failures ? 503 : 204;
                log.push_back(seen);
            }
            http::response<http::string_body> reply{static_cast<http::status>(seen.answered), request.version()};
            reply.keep_alive(false);
            reply.prepare_payload();
            co_await http::async_write(socket, reply, use_tuple);
            boost::system::error_code ignored;
            socket.shutdown(tcp::socket::shutdown_both, ignored);
            co_return;
        }
    }

    net::awaitable<void> accept_loop()
    {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
            if (ec)
                co_return;
            net::co_spawn(ioc, serve(std::move(socket)), net::detached);
        }
    }

    const unsigned failures;
    net::io_context ioc;
    tcp::acceptor acceptor;
    mutable std::mutex mutex;
    std::vector<received_webhook> log;
    std::thread thread;
};

webhook_receiver::webhook_receiver(unsigned failures) : impl_(std::make_unique<impl>(failures))
{
    net::co_spawn(impl_->ioc, impl_->accept_loop(), net::detached);
    impl_->thread = std::thread([self = impl_.get()] { self->ioc.run(); });
}

webhook_receiver::~webhook_receiver()
{
    impl_->ioc.stop();
    impl_->thread.join();
}

std::string webhook_receiver::url() const
{
    return "http://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port()) + "/hooks/invitegw";
}

std::vector<received_webhook> webhook_receiver::received() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->log;
}

} // namespace igw::durability
