#include "gateway/upstream/connection.hpp"

#include "gateway/telemetry/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <exception>

namespace igw::upstream::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// A peer that does not answer close_notify promptly is simply dropped.
constexpr std::chrono::seconds tls_shutdown_timeout{1};

// Streams a reply straight into a `response`: status, Retry-After and body. Unlike
// http::response_parser it keeps no other header, so it allocates nothing per field,
// and it is cheap to construct anew for every reply (Beast parsers cannot be reset).
class reply_parser final : public http::basic_parser<false> {
public:
    explicit reply_parser(response& out) : out_(out) {}

private:
    void on_request_impl(http::verb, beast::string_view, beast::string_view, int, error_code&) override {}

    void on_response_impl(int code, beast::string_view, int, error_code&) override
    {
        out_.status = static_cast<unsigned>(code);
    }

    void on_field_impl(http::field name, beast::string_view, beast::string_view value, error_code&) override
    {
        if (name == http::field::retry_after)
            out_.retry_after.assign(value.data(), value.size());
    }

    void on_header_impl(error_code&) override {}

    void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override
    {
        // basic_parser has already checked the length against body_limit.
        if (length)
            out_.body.reserve(static_cast<std::size_t>(*length));
    }

    std::size_t on_body_impl(beast::string_view body, error_code&) override
    {
        out_.body.append(body.data(), body.size());
        return body.size();
    }

    void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}

    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code&) override
    {
        out_.body.append(body.data(), body.size());
        return body.size();
    }

    void on_finish_impl(error_code&) override {}

    response& out_;
};

bool is_http_error(const error_code& ec)
{
    static const auto& category = http::make_error_code(http::error::end_of_stream).category();
    return ec.category() == category;
}

// The peer closed or reset the connection (as opposed to a timeout or a parse error).
bool is_peer_gone(const error_code& ec)
{
    return ec == http::error::end_of_stream || ec == http::error::partial_message || ec == net::error::eof ||
           ec == net::error::connection_reset || ec == net::error::broken_pipe ||
           ec == net::error::connection_aborted || ec == ssl::error::stream_truncated;
}

void fail(response& out, failure f, std::string message)
{
    out.error = f;
    out.message = std::move(message);
}

bool idempotent_without_body(std::string_view method)
{
    return method == "GET" || method == "HEAD" || method == "DELETE" || method == "OPTIONS" || method == "TRACE" ||
           method == "CONNECT";
}

// Every request is checked before it is written (a header value from the environment may
// hold anything), so the checks are table lookups: one per byte.
struct byte_classes {
    std::array<bool, 256> tchar{};      // RFC 9110 §5.6.2 token characters
    std::array<bool, 256> line_break{}; // bytes that would end a header line early: CR, LF, NUL
    constexpr byte_classes()
    {
        for (int c = '0'; c <= '9'; ++c)
            tchar[c] = true;
        for (int c = 'a'; c <= 'z'; ++c)
            tchar[c] = tchar[c - 'a' + 'A'] = true;
        for (char c : std::string_view("!#$%&'*+-.^_`|~"))
            tchar[static_cast<unsigned char>(c)] = true;
        line_break['\r'] = line_break['\n'] = line_break[0] = true;
    }
};
constexpr byte_classes classes;

bool is_token(std::string_view s)
{
    if (s.empty())
        return false;
    for (char c : s)
        if (!classes.tchar[static_cast<unsigned char>(c)])
            return false;
    return true;
}

bool breaks_line(std::string_view s)
{
    for (char c : s)
        if (classes.line_break[static_cast<unsigned char>(c)])
            return true;
    return false;
}

std::string tls_failure_message(SSL* handle, const endpoint& ep, const error_code& ec)
{
    std::string msg = "TLS handshake with " + host_port(ep) + " failed: " + ec.message();
    const long verify = SSL_get_verify_result(handle);
    if (verify != X509_V_OK) {
        msg.append(" (").append(X509_verify_cert_error_string(verify));
        if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
            msg.append(": the certificate is not valid for ").append(ep.host);
        msg.append(")");
    }
    return msg;
}

template <class Stream>
net::awaitable<exchange_result> exchange_on(Stream& stream, connection& c, const request& req, reply_limits limits,
                                            response& out)
{
    exchange_result result;
    const std::array<net::const_buffer, 2> buffers{net::buffer(c.head), net::buffer(req.body)};
    auto [write_ec, written] = co_await net::async_write(stream, buffers, use_tuple);
    (void)written;
    if (write_ec) {
        result.write_failed = true;
        result.peer_gone = is_peer_gone(write_ec);
        if (write_ec == beast::error::timeout)
            fail(out, failure::timeout_after_send, "timed out while sending the request");
        else
            fail(out, failure::connection_lost, "connection lost while sending the request: " + write_ec.message());
        co_return result;
    }

    for (;;) {
        reply_parser parser(out);
        parser.body_limit(limits.max_body_bytes);
        parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
        if (req.method == "HEAD")
            parser.skip(true);
        auto [ec, n] = co_await http::async_read(stream, c.buffer, parser, use_tuple);
        (void)n;
        result.reply_started = result.reply_started || parser.got_some();
        if (ec) {
            result.peer_gone = is_peer_gone(ec);
            if (ec == beast::error::timeout)
                fail(out, failure::timeout_after_send, "no complete reply before the deadline");
            else if (ec == http::error::body_limit)
                fail(out, failure::bad_reply,
                     "reply body larger than " + std::to_string(limits.max_body_bytes) + " bytes");
            else if (ec == http::error::header_limit)
                fail(out, failure::bad_reply,
                     "reply header larger than " + std::to_string(limits.max_header_bytes) + " bytes");
            else if (ec == http::error::buffer_overflow)
                fail(out, failure::bad_reply,
                     "reply framing (a chunk header or the trailer) larger than " +
                         std::to_string(c.buffer.max_size()) + " bytes");
            else if (result.peer_gone)
                fail(out, failure::connection_lost,
                     result.reply_started ? "connection closed in the middle of the reply (" + ec.message() + ")"
                                          : "connection closed before any reply (" + ec.message() + ")");
            else if (is_http_error(ec))
                fail(out, failure::bad_reply, "unparsable reply: " + ec.message());
            else
                fail(out, failure::connection_lost, "reading the reply failed: " + ec.message());
            co_return result;
        }
        // An interim 1xx reply (none is asked for, but servers may send 100 Continue)
        // is followed by the real one on the same connection.
        if (out.status >= 100 && out.status < 200 && out.status != 101) {
            out.status = 0; // not the reply: a failure reading the real one has no status
            out.body.clear();
            out.retry_after.clear();
            continue;
        }
        result.reusable = parser.keep_alive() && out.status != 101 && c.buffer.size() == 0;
        co_return result;
    }
}

net::awaitable<void> shutdown_tls(std::unique_ptr<connection> c)
{
    c->tcp().expires_after(tls_shutdown_timeout);
    // stream_truncated, eof and timeout all mean the peer went away first: the
    // connection is being dropped anyway, so none of them is worth reporting.
    auto [ec] = co_await c->tls_stream().async_shutdown(use_tuple);
    (void)ec;
    error_code ignored;
    c->tcp().socket().close(ignored);
}

} // namespace

connection::connection(const net::any_io_executor& executor, ssl::context* tls_context, std::size_t max_buffer_bytes)
    : buffer(max_buffer_bytes)
{
    if (tls_context)
        tls_.emplace(executor, *tls_context);
    else
        plain_.emplace(executor);
}

bool connection::looks_closed()
{
    if (buffer.size() != 0)
        return true;
    auto& socket = tcp().socket();
    if (!socket.is_open())
        return true;
    char byte;
    const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0)
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    // 0: the peer closed it. > 0: bytes nobody asked for (a TLS close_notify, or a
    // server's unsolicited 408): either way the next reply could not be trusted.
    return true;
}

net::awaitable<void> establish(connection& c, std::span<const net::ip::tcp::endpoint> addresses, const endpoint& ep,
                               clock::time_point deadline, response& out)
{
    auto& tcp = c.tcp();
    tcp.expires_at(deadline);
    auto [ec, connected] = co_await tcp.async_connect(addresses, use_tuple);
    (void)connected;
    if (ec) {
        if (ec == beast::error::timeout)
            fail(out, failure::timeout_before_send, "connecting to " + host_port(ep) + " timed out");
        else
            fail(out, failure::connect_failed, "cannot connect to " + host_port(ep) + ": " + ec.message());
        out.step = connect_step::connect;
        co_return;
    }
    error_code ignored;
    tcp.socket().set_option(net::ip::tcp::no_delay(true), ignored);
    if (!c.tls())
        co_return;

    SSL* ssl_handle = c.tls_stream().native_handle();
    error_code not_ip;
    net::ip::make_address(ep.host, not_ip);
    // Verify the certificate names what we dialled: a DNS name (and announce it with
    // SNI), or an IP literal, which OpenSSL checks against iPAddress SANs; SNI must
    // not carry an IP literal (RFC 6066).
    const bool configured = not_ip ? SSL_set_tlsext_host_name(ssl_handle, ep.host.c_str()) == 1 &&
                                         SSL_set1_host(ssl_handle, ep.host.c_str()) == 1
                                   : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), ep.host.c_str()) == 1;
    if (!configured) {
        fail(out, failure::connect_failed, "cannot set up TLS verification for host " + ep.host);
        out.step = connect_step::tls_setup;
        co_return;
    }
    auto [hs_ec] = co_await c.tls_stream().async_handshake(ssl::stream_base::client, use_tuple);
    if (hs_ec) {
        if (hs_ec == beast::error::timeout)
            fail(out, failure::timeout_before_send, "TLS handshake with " + host_port(ep) + " timed out");
        else
            fail(out, failure::connect_failed, tls_failure_message(ssl_handle, ep, hs_ec));
        out.step = connect_step::tls_handshake;
    }
}

net::awaitable<exchange_result> exchange(connection& c, const request& req, clock::time_point deadline,
                                         reply_limits limits, response& out)
{
    c.tcp().expires_at(deadline);
    if (c.tls())
        co_return co_await exchange_on(c.tls_stream(), c, req, limits, out);
    co_return co_await exchange_on(c.tcp(), c, req, limits, out);
}

void write_head(std::string& out, const endpoint& ep, const request& req)
{
    out.clear();
    out.append(req.method).append(" ").append(req.target.empty() ? std::string_view{"/"} : req.target);
    out.append(" HTTP/1.1\r\nHost: ");
    if (ep.host.find(':') != std::string::npos)
        out.append("[").append(ep.host).append("]");
    else
        out.append(ep.host);
    if (ep.port != (ep.tls ? 443 : 80)) {
        char digits[8];
        auto [end, ec] = std::to_chars(digits, digits + sizeof digits, ep.port);
        (void)ec;
        out.append(":").append(digits, end);
    }
    out.append("\r\n");
    for (const auto& h : req.headers)
        out.append(h.name).append(": ").append(h.value).append("\r\n");
    // A method that defines a body gets Content-Length even when it is empty, or the
    // server could not tell where this request ends.
    if (!req.body.empty() || !idempotent_without_body(req.method)) {
        char digits[24];
        auto [end, ec] = std::to_chars(digits, digits + sizeof digits, req.body.size());
        (void)ec;
        out.append("Content-Length: ").append(digits, end).append("\r\n");
    }
    out.append("\r\n");
}

std::string check_request(const request& req)
{
    if (!is_token(req.method))
        return "invalid method '" + std::string(req.method) + "'";
    for (char ch : req.target) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == 0x7f)
            return "invalid character in request target";
    }
    for (const auto& h : req.headers) {
        if (!is_token(h.name))
            return "invalid header name '" + std::string(h.name) + "'";
        if (breaks_line(h.value))
            return "invalid character in the value of header " + std::string(h.name);
    }
    return {};
}

void close(std::unique_ptr<connection> c, bool graceful)
{
    if (!c)
        return;
    if (graceful && c->tls() && c->tcp().socket().is_open()) {
        auto executor = c->tcp().get_executor();
        net::co_spawn(executor, shutdown_tls(std::move(c)), [](std::exception_ptr e) {
            if (!e)
                return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                // Through the log's queue: a write to stderr here could stall the worker.
                telemetry::log(telemetry::log_level::warn, "tls_close_failed", {{"what", x.what()}});
            }
        });
        return;
    }
    error_code ignored;
    c->tcp().socket().close(ignored);
}

} // namespace igw::upstream::detail
