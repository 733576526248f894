// Writing a reply, and how the connection goes on after it: kept alive, closed, or
// closed lingering when the client may still be sending request bytes.
#include "gateway/server/connection.hpp"

#include <algorithm>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

namespace igw::server::detail {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

} // namespace

net::awaitable<void> lingering_close(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                     std::chrono::milliseconds timeout, std::size_t max_bytes)
{
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!ec) {
        stream.expires_after(std::min(timeout, max_linger));
        buffer.clear();
        for (std::size_t dropped = 0; dropped <= max_bytes;) {
            auto [read_ec, n] = co_await stream.async_read_some(buffer.prepare(read_chunk(buffer)), use_tuple);
            if (read_ec)
                break;
            dropped += n;
        }
    }
    stream.close();
}

net::awaitable<bool> connection::send(response& res, bool keep_alive, bool unread_input)
{
    disarm_deadline();
    res.set(http::field::date, http_date());
    if (snapshot_)
        res.set("X-Config-Version", snapshot_->version);
    res.keep_alive(keep_alive && !stopping());
    res.prepare_payload();
    // A client that does not read its reply is as slow as one that does not send.
    stream_.expires_after(limits_.read_timeout);
    beast::error_code ec;
    if (head_) {
        // The reply to a HEAD is the GET's header, Content-Length included, alone.
        http::response_serializer<http::string_body> serializer{res};
        std::tie(ec, std::ignore) = co_await http::async_write_header(stream_, serializer, use_tuple);
    } else {
        std::tie(ec, std::ignore) = co_await http::async_write(stream_, res, use_tuple);
    }
    if (ec)
        co_return false;
    if (res.keep_alive())
        co_return true;
    if (unread_input || buffer_.size() > 0) {
        co_await lingering_close(stream_, buffer_, limits_.read_timeout,
                                 limits_.max_body_bytes + limits_.max_header_bytes);
    } else {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.close();
    }
    co_return false;
}

} // namespace igw::server::detail
