// Reading an invite's body once its header has been accepted: 100 Continue when the
// client waits for it, and the body limit, which also ends chunked bodies.
#include "gateway/server/connection.hpp"

#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>

namespace igw::server::detail {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

} // namespace

net::awaitable<bool> connection::read_body(request_parser& parser, std::string_view request_id)
{
    auto& req = parser.get();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
        // The bytes Beast's serializer writes for this header-only reply, written as they
        // are: a second http::async_write instantiation costs more compile time than it is worth.
        const std::string go_on = "HTTP/" + std::to_string(req.version() / 10) + "." +
                                  std::to_string(req.version() % 10) + " 100 Continue\r\n\r\n";
        auto [ec, n] = co_await net::async_write(stream_, net::buffer(go_on), use_tuple);
        if (ec)
            co_return co_await answer_read_error(ec, read_phase::body, req.version(), request_id);
    }
    parser.body_limit(body_limit_); // also ends chunked bodies at the limit
    const auto length = parser.content_length();
    req.body().reserve((length ? *length : 0) + body_padding);
    auto [ec, n] = co_await http::async_read(stream_, buffer_, parser, use_tuple);
    if (ec)
        co_return co_await answer_read_error(ec, read_phase::body, req.version(), request_id);
    disarm_deadline();
    co_return true;
}

} // namespace igw::server::detail
