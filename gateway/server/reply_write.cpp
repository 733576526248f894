// Writing a reply, and how the connection goes on after it: kept alive, closed, or
// closed lingering when the client may still be sending request bytes. Also the 503 to
// a connection refused past the caps (server.cpp decides on accept), which writes the
// same reply type.
//
// A reply leaves as one gathered write of two buffers: its head (the status line and the
// fields, serialised into a buffer the connection keeps from reply to reply) and its body,
// which is not copied.
#include "gateway/server/connection.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/status.hpp>

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

// RFC 9110 §15: no reply to a 1xx, 204 or 304 has content, nor a Content-Length.
bool status_has_content(unsigned status) noexcept { return status >= 200 && status != 204 && status != 304; }

// The fields every reply gets from the connection (server_owned_field), besides those its
// author set.
struct server_fields {
    std::string_view config_version;
    std::string_view rate_limit_policy, rate_limit; // both empty when the client has no rate
    bool keep_alive = false;
};

void append_field(std::string& out, std::string_view name, std::string_view value)
{
    out.append(name).append(": ").append(value).append("\r\n");
}

// The status line and every field of `res`, as the wire carries them, into `out` (cleared
// first, its capacity kept). Framing is the server's whatever the reply's author wanted:
// the body's length, and whether the connection stays open (HTTP/1.1 stays unless told;
// HTTP/1.0 closes unless told).
void serialize_head(const response& res, const server_fields& own, std::string& out)
{
    char digits[24];
    const auto decimal = [&digits](std::size_t n) {
        const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
        (void)ec;
        return std::string_view(digits, static_cast<std::size_t>(end - digits));
    };
    out.clear();
    out.append(res.version() >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
    const std::string_view reason = http::obsolete_reason(http::int_to_status(res.status()));
    out.append(decimal(res.status())).append(" ").append(reason.data(), reason.size()).append("\r\n");
    out.append(res.fields());
    append_field(out, "Date", http_date());
    if (!own.config_version.empty())
        append_field(out, "X-Config-Version", own.config_version);
    if (!own.rate_limit.empty()) {
        append_field(out, "RateLimit-Policy", own.rate_limit_policy);
        append_field(out, "RateLimit", own.rate_limit);
    }
    if (status_has_content(res.status()))
        append_field(out, "Content-Length", decimal(res.body().size()));
    if (res.version() >= 11 && !own.keep_alive)
        append_field(out, "Connection", "close");
    else if (res.version() < 11 && own.keep_alive)
        append_field(out, "Connection", "keep-alive");
    out.append("\r\n");
}

// What goes on the wire after the head: the body, unless the status has none or the
// request was a HEAD (whose reply is the GET's header, Content-Length included, alone).
std::string_view content_of(const response& res, bool head_request)
{
    return head_request || !status_has_content(res.status()) ? std::string_view{} : std::string_view(res.body());
}

net::awaitable<void> refuse(shared_state& shared, beast::tcp_stream stream, std::string why)
{
    auto res = make_problem(canonical::http_problem(503, why), 11, generate_request_id());
    res.set("Retry-After", "1");
    std::string head;
    serialize_head(res, {shared.configs->current()->version, {}, {}, false}, head);
    stream.expires_after(std::min(shared.config.limits.read_timeout, max_linger));
    const std::array<net::const_buffer, 2> buffers{net::buffer(head), net::buffer(content_of(res, false))};
    auto [ec, n] = co_await net::async_write(stream, buffers, use_tuple);
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
    const bool keep = keep_alive && !stopping();
    serialize_head(res, {snapshot_ ? std::string_view(snapshot_->version) : std::string_view{}, rate_limit_policy_,
                         rate_limit_, keep},
                   reply_head_);
    // A client that does not read its reply is as slow as one that does not send.
    stream_.tcp().expires_after(limits_.read_timeout);
    const std::array<net::const_buffer, 2> buffers{net::buffer(reply_head_), net::buffer(content_of(res, head_))};
    auto [ec, n] = co_await net::async_write(stream_, buffers, use_tuple);
    (void)n;
    if (ec)
        co_return false;
    if (keep)
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
