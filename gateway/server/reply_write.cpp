// Writing a reply, and how the connection goes on after it: kept alive, closed, or
// closed lingering when the client may still be sending request bytes. Also the 503 to
// a connection refused past the caps (server.cpp decides on accept), which writes the
// same reply type: one file, so Beast's write operation is compiled once.
#include "gateway/server/connection.hpp"

#include <algorithm>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include "gateway/canonical/problems.hpp"
#include "gateway/server/request_id.hpp"

namespace igw::server::detail {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
// Connections answered 503 at the connection cap are themselves bounded: past this many
// at once, new ones are closed without a word.
constexpr std::size_t max_refusing = 256;

net::awaitable<void> refuse(shared_state& shared, beast::tcp_stream stream, std::string why)
{
    auto res = make_problem(canonical::http_problem(503, why), 11, generate_request_id());
    res.set(http::field::retry_after, "1");
    res.set(http::field::date, http_date());
    res.set("X-Config-Version", shared.configs->current()->version);
    res.keep_alive(false);
    res.prepare_payload();
    stream.expires_after(std::min(shared.config.limits.read_timeout, max_linger));
    auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
    beast::flat_buffer buffer;
    if (!ec)
        co_await lingering_close(stream, buffer, shared.config.limits.read_timeout,
                                 shared.config.limits.max_header_bytes + shared.config.limits.max_body_bytes);
}

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
    if (!rate_limit_.empty()) {
        res.set("RateLimit-Policy", rate_limit_policy_);
        res.set("RateLimit", rate_limit_);
    }
    res.keep_alive(keep_alive && !stopping());
    res.prepare_payload();
    // A client that does not read its reply is as slow as one that does not send.
    stream_.tcp().expires_after(limits_.read_timeout);
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
    co_await close_after_reply(unread_input || buffer_.size() > 0);
    co_return false;
}

net::awaitable<void> connection::close_after_reply(bool unread_input)
{
    // close_notify first, so that a TLS client can tell the end of the connection from a
    // cut; then the same half-close as plain HTTP, on the TCP layer: what the client still
    // sends is dropped as ciphertext, unread.
    co_await stream_.shutdown_tls(tls_shutdown_bound);
    if (unread_input) {
        co_await lingering_close(stream_.tcp(), buffer_, limits_.read_timeout,
                                 limits_.max_body_bytes + limits_.max_header_bytes);
    } else {
        beast::error_code ignored;
        stream_.tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.close();
    }
}

void refuse_connection(shared_state& shared, tcp::socket socket, std::string_view why)
{
    if (shared.refusing.fetch_add(1, std::memory_order_relaxed) >= max_refusing) {
        shared.refusing.fetch_sub(1, std::memory_order_relaxed);
        return; // the socket closes here
    }
    auto executor = socket.get_executor();
    net::co_spawn(executor, refuse(shared, beast::tcp_stream(std::move(socket)), std::string(why)),
                  [&shared](std::exception_ptr e) {
                      log_unexpected(e, "refused connection");
                      shared.refusing.fetch_sub(1, std::memory_order_relaxed);
                  });
}

} // namespace igw::server::detail
