#include "gateway/webhook/delivery.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <optional>
#include <stdexcept>
#include <variant>

namespace igw::webhook {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;
using boost::system::error_code;
using namespace std::string_view_literals;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// How long a TLS close_notify may take once the reply is in: the attempt's outcome is
// already known, so this only keeps a slow peer from holding the coroutine.
constexpr std::chrono::milliseconds tls_shutdown_limit{500};
// Interim (1xx) replies skipped before giving up on a final one.
constexpr int max_interim_replies = 8;

struct destination {
    bool tls = false;
    std::string host; // IPv6 without brackets
    std::uint16_t port = 0;
    std::string target;      // origin-form: path and query
    std::string host_header; // Host: value
    std::string name;        // host:port, for messages
};

std::optional<destination> parse_destination(std::string_view url)
{
    const auto parsed = boost::urls::parse_uri(url);
    if (!parsed)
        return std::nullopt;
    const boost::urls::url_view& u = *parsed;
    destination d;
    if (u.scheme_id() == boost::urls::scheme::https)
        d.tls = true;
    else if (u.scheme_id() != boost::urls::scheme::http)
        return std::nullopt;
    d.host = u.host_address();
    if (d.host.empty())
        return std::nullopt;
    d.port = u.has_port() ? u.port_number() : (d.tls ? 443 : 80);
    if (u.has_port() && d.port == 0)
        return std::nullopt;
    d.target = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
    if (u.has_query())
        d.target += "?" + std::string(u.encoded_query());
    const bool ipv6 = u.host_type() == boost::urls::host_type::ipv6;
    const std::string bracketed = ipv6 ? "[" + d.host + "]" : d.host;
    d.name = bracketed + ":" + std::to_string(d.port);
    d.host_header = d.port == (d.tls ? 443 : 80) ? bracketed : d.name;
    return d;
}

// A header that could split the request (CR, LF, NUL) or that is no token at all.
bool usable_header(const header& h)
{
    if (h.name.empty() || h.name.find_first_of(" \t\r\n:\0"sv) != std::string_view::npos)
        return false;
    return h.value.find_first_of("\r\n\0"sv) == std::string_view::npos;
}

std::string describe_tls_failure(SSL* handle, const error_code& ec)
{
    const long verify = SSL_get_verify_result(handle);
    if (verify != X509_V_OK)
        return std::string("certificate not trusted: ") + X509_verify_cert_error_string(verify);
    return ec.message();
}

class attempt {
public:
    attempt(const sender_options& options, ssl::context& tls, const delivery_request& request, attempt_result& out)
        : options_(options), tls_(tls), request_(request), out_(out), start_(clock::now()),
          deadline_(start_ + request.timeout)
    {
    }

    net::awaitable<void> run()
    {
        const auto dest = parse_destination(request_.url);
        if (!dest) {
            out_.error = "not a usable http(s) URL";
            co_return;
        }
        for (const header& h : request_.headers)
            if (!usable_header(h)) {
                out_.error = "header \"" + std::string(h.name) + "\" holds characters a header cannot";
                co_return;
            }
        dest_ = &*dest;
        const auto executor = co_await net::this_coro::executor;
        beast::tcp_stream tcp(executor);
        if (!co_await connect(tcp))
            co_return;
        if (!dest->tls) {
            co_await exchange(tcp, tcp);
            error_code ignored;
            tcp.socket().shutdown(tcp::socket::shutdown_both, ignored);
            co_return;
        }
        ssl::stream<beast::tcp_stream> stream(std::move(tcp), tls_);
        if (!co_await handshake(stream))
            co_return;
        co_await exchange(stream, stream.next_layer());
        // stream_truncated, eof and timeout all mean the peer went away first: normal.
        stream.next_layer().expires_after(tls_shutdown_limit);
        co_await stream.async_shutdown(use_tuple);
    }

private:
    std::string ms(std::chrono::milliseconds d) const { return std::to_string(d.count()) + " ms"; }

    void finish_timing()
    {
        out_.duration = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start_);
    }

    void fail(std::string message)
    {
        finish_timing();
        out_.error = std::move(message);
    }

    net::awaitable<bool> connect(beast::tcp_stream& tcp)
    {
        using namespace net::experimental::awaitable_operators;
        const auto executor = co_await net::this_coro::executor;
        // The resolver has no deadline of its own: race it against one.
        tcp::resolver resolver(executor);
        net::steady_timer timer(executor, deadline_);
        auto resolved = co_await (resolver.async_resolve(dest_->host, std::to_string(dest_->port),
                                                         tcp::resolver::numeric_service, use_tuple) ||
                                  timer.async_wait(use_tuple));
        if (resolved.index() == 1) {
            fail("resolving " + dest_->host + " timed out (timeout " + ms(request_.timeout) + ")");
            co_return false;
        }
        auto [resolve_ec, addresses] = std::get<0>(std::move(resolved));
        if (resolve_ec) {
            fail("cannot resolve " + dest_->host + ": " + resolve_ec.message());
            co_return false;
        }
        tcp.expires_at(deadline_);
        auto [ec, connected] = co_await tcp.async_connect(addresses, use_tuple);
        (void)connected;
        if (ec == beast::error::timeout) {
            fail("connecting to " + dest_->name + " timed out (timeout " + ms(request_.timeout) + ")");
            co_return false;
        }
        if (ec) {
            fail("cannot connect to " + dest_->name + ": " + ec.message());
            co_return false;
        }
        co_return true;
    }

    net::awaitable<bool> handshake(ssl::stream<beast::tcp_stream>& stream)
    {
        SSL* handle = stream.native_handle();
        error_code not_ip;
        net::ip::make_address(dest_->host, not_ip);
        // The certificate must name what was dialled: a DNS name (announced with SNI), or
        // an IP literal, checked against iPAddress SANs; SNI never carries an IP (RFC 6066).
        const bool configured = not_ip
                                    ? SSL_set_tlsext_host_name(handle, dest_->host.c_str()) == 1 &&
                                          SSL_set1_host(handle, dest_->host.c_str()) == 1
                                    : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), dest_->host.c_str()) == 1;
        if (!configured) {
            fail("cannot set up TLS verification for host " + dest_->host);
            co_return false;
        }
        stream.next_layer().expires_at(deadline_);
        auto [ec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
        if (ec == beast::error::timeout) {
            fail("TLS handshake with " + dest_->name + " timed out (timeout " + ms(request_.timeout) + ")");
            co_return false;
        }
        if (ec) {
            fail("TLS handshake with " + dest_->name + " failed: " + describe_tls_failure(handle, ec));
            co_return false;
        }
        co_return true;
    }

    template <class Stream>
    net::awaitable<void> exchange(Stream& stream, beast::tcp_stream& tcp)
    {
        http::request<http::string_body> req{http::verb::post, dest_->target, 11};
        for (const header& h : request_.headers)
            req.set(h.name, h.value);
        // After the caller's headers, so that these are what is sent whatever they held.
        req.set(http::field::host, dest_->host_header);
        // One request per connection: nothing is pooled, so say so and let the peer close.
        req.set(http::field::connection, "close");
        if (req[http::field::user_agent].empty())
            req.set(http::field::user_agent, "invitegw-webhook");
        req.body() = std::string(request_.body);
        req.prepare_payload();

        tcp.expires_at(deadline_);
        auto [write_ec, written] = co_await http::async_write(stream, req, use_tuple);
        (void)written;
        if (write_ec) {
            fail(write_ec == beast::error::timeout
                     ? "sending to " + dest_->name + " timed out (timeout " + ms(request_.timeout) + ")"
                     : "sending to " + dest_->name + " failed: " + write_ec.message());
            co_return;
        }

        beast::flat_buffer buffer;
        for (int interim = 0;; ++interim) {
            http::response_parser<http::string_body> parser;
            parser.body_limit(options_.max_response_bytes);
            auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
            (void)n;
            // A body over the limit is not worth reading on: the status is what counts.
            const bool header_only = ec == http::error::body_limit && parser.is_header_done();
            if (ec && !header_only) {
                if (ec == beast::error::timeout)
                    fail("no reply from " + dest_->name + " within the timeout (" + ms(request_.timeout) + ")");
                else if (ec == http::error::end_of_stream || ec == net::error::eof)
                    fail(dest_->name + " closed the connection without replying");
                else
                    fail("reading the reply from " + dest_->name + " failed: " + ec.message());
                co_return;
            }
            const unsigned status = parser.get().result_int();
            if (status / 100 == 1 && status != 101 && interim < max_interim_replies && !header_only)
                continue;
            finish_timing();
            out_.status = status;
            const std::string& body = parser.get().body();
            out_.excerpt = body.substr(0, std::min(body.size(), options_.excerpt_bytes));
            out_.ok = status / 100 == 2;
            if (status / 100 == 3)
                out_.error = "the receiver answered " + std::to_string(status) +
                             ", a redirect, which is never followed: configure the URL it points to";
            else if (!out_.ok)
                out_.error = "the receiver answered " + std::to_string(status);
            co_return;
        }
    }

    const sender_options& options_;
    ssl::context& tls_;
    const delivery_request& request_;
    attempt_result& out_;
    clock::time_point start_;
    clock::time_point deadline_;
    const destination* dest_ = nullptr;
};

} // namespace

class sender::impl {
public:
    explicit impl(sender_options options) : options(std::move(options)), tls(ssl::context::tls_client)
    {
        error_code ec;
        tls.set_default_verify_paths(ec);
        if (ec)
            throw std::runtime_error("webhooks: cannot load the system CA store: " + ec.message());
        if (!this->options.ca_file.empty()) {
            tls.load_verify_file(this->options.ca_file, ec);
            if (ec)
                throw std::runtime_error("webhooks: cannot load CA file " + this->options.ca_file + ": " +
                                         ec.message());
        }
        tls.set_verify_mode(ssl::verify_peer);
        SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
    }

    sender_options options;
    ssl::context tls;
};

sender::sender(sender_options options) : impl_(std::make_unique<impl>(std::move(options))) {}

sender::~sender() = default;

boost::asio::awaitable<attempt_result> sender::deliver(const delivery_request& request) const
{
    attempt_result out;
    attempt a(impl_->options, impl_->tls, request, out);
    co_await a.run();
    co_return out;
}

} // namespace igw::webhook
