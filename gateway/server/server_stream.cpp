#include "gateway/server/server_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/server/tls_listener.hpp"

namespace igw::server::detail {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

std::variant<beast::tcp_stream, server_stream::tls_stream> make_stream(net::ip::tcp::socket socket,
                                                                       net::ssl::context* tls)
{
    if (!tls)
        return std::variant<beast::tcp_stream, server_stream::tls_stream>(std::in_place_type<beast::tcp_stream>,
                                                                          std::move(socket));
    return std::variant<beast::tcp_stream, server_stream::tls_stream>(std::in_place_type<server_stream::tls_stream>,
                                                                      beast::tcp_stream(std::move(socket)), *tls);
}

} // namespace

server_stream::server_stream(net::ip::tcp::socket socket, std::shared_ptr<net::ssl::context> tls)
    : context_(std::move(tls)), stream_(make_stream(std::move(socket), context_.get()))
{
}

net::awaitable<beast::error_code> server_stream::handshake()
{
    auto* secure = std::get_if<tls_stream>(&stream_);
    if (!secure)
        co_return beast::error_code{};
    auto [ec] = co_await secure->async_handshake(net::ssl::stream_base::server, use_tuple);
    co_return ec;
}

std::string server_stream::verified_client_cn()
{
    auto* secure = std::get_if<tls_stream>(&stream_);
    return secure ? detail::verified_client_cn(secure->native_handle()) : std::string();
}

net::awaitable<void> server_stream::shutdown_tls(std::chrono::milliseconds bound)
{
    auto* secure = std::get_if<tls_stream>(&stream_);
    if (!secure)
        co_return;
    tcp().expires_after(bound);
    // stream_truncated (the client closed without its close_notify), eof and the timeout
    // all end it the same way: the connection is being closed anyway.
    auto [ec] = co_await secure->async_shutdown(use_tuple);
    (void)ec;
}

} // namespace igw::server::detail
