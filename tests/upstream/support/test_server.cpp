#include "tests/upstream/support/test_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <charconv>
#include <exception>
#include <iostream>
#include <list>
#include <optional>
#include <tuple>

namespace igw::upstream::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

void log_exception(std::exception_ptr e)
{
    if (!e)
        return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        std::cerr << "test_server: " << x.what() << '\n';
    }
}

std::size_t number_after(std::string_view target, std::string_view prefix)
{
    std::size_t n = 0;
    auto digits = target.substr(prefix.size());
    std::from_chars(digits.data(), digits.data() + digits.size(), n);
    return n;
}
} // namespace

struct test_server::state : std::enable_shared_from_this<state> {
    struct live_connection {
        beast::tcp_stream* tcp;
        net::steady_timer* timer;
    };

    state(net::any_io_executor ex, server_options opts)
        : executor(ex), acceptor(ex, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)), options(std::move(opts)),
          closed_signal(ex)
    {
        if (!options.cert_pem.empty()) {
            tls.emplace(ssl::context::tls_server);
            tls->use_certificate_chain(net::buffer(options.cert_pem));
            tls->use_private_key(net::buffer(options.key_pem), ssl::context::pem);
        }
    }

    net::any_io_executor executor;
    tcp::acceptor acceptor;
    server_options options;
    std::optional<ssl::context> tls;
    std::list<live_connection> live;
    net::steady_timer closed_signal;
    bool stopped = false;
    std::size_t accepted = 0, open = 0, max_open = 0, closed = 0;
    std::vector<received_request> requests;

    net::awaitable<void> accept_loop()
    {
        auto self = shared_from_this();
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
            if (ec || stopped)
                co_return;
            net::co_spawn(executor, session(std::move(socket)), log_exception);
        }
    }

    net::awaitable<void> session(tcp::socket socket)
    {
        auto self = shared_from_this();
        const std::size_t index = ++accepted;
        ++open;
        max_open = std::max(max_open, open);
        net::steady_timer timer(executor);
        if (tls) {
            beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
            auto it = live.insert(live.end(), {&stream.next_layer(), &timer});
            auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
            if (!ec)
                co_await serve(stream, timer, index);
            error_code ignored;
            stream.next_layer().socket().close(ignored);
            live.erase(it);
        } else {
            beast::tcp_stream stream(std::move(socket));
            auto it = live.insert(live.end(), {&stream, &timer});
            co_await serve(stream, timer, index);
            error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
            stream.socket().close(ignored);
            live.erase(it);
        }
        --open;
        ++closed;
        closed_signal.cancel();
    }

    // A reply whose framing never ends: `mebibytes` of one chunk extension or one
    // trailer field, written a block at a time until the client stops reading.
    template <class Stream>
    net::awaitable<void> send_endless(Stream& stream, bool extension, std::size_t mebibytes)
    {
        static const std::string block(1 << 20, 'a');
        const std::string_view head =
            extension ? std::string_view("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;ext=")
                      : std::string_view("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Pad\r\n\r\n"
                                         "1\r\ny\r\n0\r\nX-Pad: ");
        auto [ec, n] = co_await net::async_write(stream, net::buffer(head), use_tuple);
        for (std::size_t i = 0; i < mebibytes && !ec && !stopped; ++i)
            std::tie(ec, n) = co_await net::async_write(stream, net::buffer(block), use_tuple);
    }

    template <class Stream>
    net::awaitable<void> serve(Stream& stream, net::steady_timer& timer, std::size_t index)
    {
        beast::flat_buffer buffer;
        std::size_t served = 0;
        for (;;) {
            http::request<http::string_body> req;
            auto [ec, n] = co_await http::async_read(stream, buffer, req, use_tuple);
            if (ec || stopped)
                co_return;
            requests.push_back({std::string(req.method_string()), std::string(req.target()),
                                std::string(req[http::field::host]), std::string(req[http::field::content_length]),
                                std::string(req["X-Test"]), req.body(), index});
            const std::string_view target = req.target();

            if (target == "/close")
                co_return;
            if (target == "/garbage") {
                static constexpr std::string_view junk = "THIS IS NOT HTTP\r\n\r\n";
                co_await net::async_write(stream, net::buffer(junk), use_tuple);
                co_return;
            }
            if (target.starts_with("/chunk-extension/") || target.starts_with("/endless-trailer/")) {
                const bool extension = target.starts_with("/chunk-extension/");
                const std::size_t mebibytes = number_after(target,
                                                           extension ? "/chunk-extension/" : "/endless-trailer/");
                co_await send_endless(stream, extension, mebibytes);
                co_return;
            }
            if (target.starts_with("/delay/")) {
                timer.expires_after(std::chrono::milliseconds(number_after(target, "/delay/")));
                auto [tec] = co_await timer.async_wait(use_tuple);
                if (tec || stopped)
                    co_return;
            }

            http::response<http::string_body> res{http::status::ok, req.version()};
            res.keep_alive(req.keep_alive());
            if (target.starts_with("/huge/")) {
                res.body().assign(number_after(target, "/huge/"), 'x');
            } else if (target.starts_with("/chunked/")) {
                res.body().assign(number_after(target, "/chunked/"), 'y');
                res.chunked(true);
            } else if (target.starts_with("/status/")) {
                res.result(static_cast<unsigned>(number_after(target, "/status/")));
                res.body() = "status";
            } else if (target == "/retry-after") {
                res.result(http::status::too_many_requests);
                res.set(http::field::retry_after, "7");
                res.body() = "slow down";
            } else if (target == "/connection-close") {
                res.keep_alive(false);
                res.body() = "bye";
            } else if (target == "/http10") {
                res.version(10);
                res.keep_alive(false);
                res.body() = "old";
            } else {
                res.body() = req.body();
            }
            if (!res.chunked())
                res.prepare_payload();
            auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
            if (wec)
                co_return;
            ++served;
            if (!res.keep_alive())
                co_return;
            if (options.close_after_requests != 0 && served >= options.close_after_requests)
                co_return;
        }
    }
};

test_server::test_server(net::any_io_executor executor, server_options options)
    : state_(std::make_shared<state>(executor, std::move(options)))
{
    net::co_spawn(executor, state_->accept_loop(), log_exception);
}

test_server::~test_server() { stop(); }

std::uint16_t test_server::port() const { return state_->acceptor.local_endpoint().port(); }

void test_server::stop()
{
    if (state_->stopped)
        return;
    state_->stopped = true;
    error_code ignored;
    state_->acceptor.close(ignored);
    for (auto& c : state_->live) {
        c.tcp->socket().close(ignored);
        c.timer->cancel();
    }
}

std::size_t test_server::connections_accepted() const { return state_->accepted; }
std::size_t test_server::connections_open() const { return state_->open; }
std::size_t test_server::max_connections_open() const { return state_->max_open; }
std::size_t test_server::connections_closed() const { return state_->closed; }
const std::vector<received_request>& test_server::requests() const { return state_->requests; }

net::awaitable<void> test_server::wait_closed(std::size_t n)
{
    auto s = state_;
    while (s->closed < n) {
        s->closed_signal.expires_at(net::steady_timer::time_point::max());
        co_await s->closed_signal.async_wait(use_tuple);
    }
}

} // namespace igw::upstream::testing
