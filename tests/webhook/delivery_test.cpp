#include "gateway/webhook/delivery.hpp"

#include "gateway/webhook/signature.hpp"
#include "tests/support/test_certificates.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <string>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace webhook = igw::webhook;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// A receiver on 127.0.0.1, port 0: it records every request and answers each with
// `reply`, or never answers when `silent`.
class receiver {
public:
    explicit receiver(net::any_io_executor executor) : acceptor_(executor, {net::ip::make_address("127.0.0.1"), 0})
    {
        net::co_spawn(executor, accept_loop(), [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
    }

    std::string url(std::string_view target) const
    {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + std::string(target);
    }

    http::response<http::string_body> reply{http::status::ok, 11};
    bool silent = false;
    std::vector<http::request<http::string_body>> requests;

private:
    net::awaitable<void> accept_loop()
    {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
            if (ec)
                co_return;
            beast::flat_buffer buffer;
            http::request<http::string_body> request;
            auto [read_ec, n] = co_await http::async_read(socket, buffer, request, use_tuple);
            (void)n;
            if (read_ec)
                continue;
            requests.push_back(std::move(request));
            if (silent) {
                held_.push_back(std::move(socket)); // open, and never answered
                continue;
            }
            reply.prepare_payload();
            co_await http::async_write(socket, reply, use_tuple);
            boost::system::error_code ignored;
            socket.shutdown(tcp::socket::shutdown_both, ignored);
        }
    }

    tcp::acceptor acceptor_;
    std::vector<tcp::socket> held_;
};

// The TLS counterpart of `receiver` (always 200), presenting `certificate_file`.
class tls_receiver {
public:
    tls_receiver(net::any_io_executor executor, const std::string& certificate_file, const std::string& key_file)
        : tls_(net::ssl::context::tls_server), acceptor_(executor, {net::ip::make_address("127.0.0.1"), 0})
    {
        tls_.use_certificate_chain_file(certificate_file);
        tls_.use_private_key_file(key_file, net::ssl::context::pem);
        net::co_spawn(executor, accept_loop(), [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
    }

    std::string url(std::string_view host) const
    {
        return "https://" + std::string(host) + ":" + std::to_string(acceptor_.local_endpoint().port()) + "/hooks";
    }

    std::size_t requests = 0;

private:
    net::awaitable<void> accept_loop()
    {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
            if (ec)
                co_return;
            net::ssl::stream<tcp::socket> stream(std::move(socket), tls_);
            auto [handshake_ec] = co_await stream.async_handshake(net::ssl::stream_base::server, use_tuple);
            if (handshake_ec)
                continue; // the client refused the certificate
            beast::flat_buffer buffer;
            http::request<http::string_body> request;
            auto [read_ec, n] = co_await http::async_read(stream, buffer, request, use_tuple);
            (void)n;
            if (read_ec)
                continue;
            ++requests;
            http::response<http::string_body> reply{http::status::ok, 11};
            reply.prepare_payload();
            co_await http::async_write(stream, reply, use_tuple);
            co_await stream.async_shutdown(use_tuple);
        }
    }

    net::ssl::context tls_;
    tcp::acceptor acceptor_;
};

// One PKI for the suite: key generation is the slow part. Its server certificate names
// localhost and 127.0.0.1; the other one only wrong-host.invalid.
const igw::test::test_certificates& pki()
{
    static const igw::test::test_certificates certificates;
    return certificates;
}

// Runs `body(executor)` (an awaitable<void>) on a fresh io_context, bounded in time.
template <class Body>
void run(Body body)
{
    net::io_context ioc;
    bool finished = false;
    std::exception_ptr thrown;
    net::co_spawn(ioc, body(ioc.get_executor()), [&](std::exception_ptr e) {
        finished = true;
        thrown = e;
        ioc.stop();
    });
    ioc.run_for(20s);
    BOOST_REQUIRE_MESSAGE(finished, "the test did not finish in time");
    if (thrown)
        std::rethrow_exception(thrown);
}

std::uint16_t closed_port()
{
    net::io_context ioc;
    tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
    const std::uint16_t port = acceptor.local_endpoint().port();
    acceptor.close();
    return port;
}

const std::string event_body = R"({"type":"invitation.job.completed","data":{"job_id":"j_1"}})";

// One attempt with the headers a real delivery carries.
net::awaitable<webhook::attempt_result> deliver(const std::string& url, std::chrono::milliseconds timeout = 5'000ms)
{
    static const webhook::sender sender;
    const auto key = webhook::parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    const std::string signature = webhook::sign(*key, "msg_1", 1'700'000'000, event_body);
    const webhook::header headers[] = {{"Content-Type", "application/json"},
                                       {"webhook-id", "msg_1"},
                                       {"webhook-timestamp", "1700000000"},
                                       {"webhook-signature", signature}};
    co_return co_await sender.deliver({url, headers, event_body, timeout});
}

} // namespace

BOOST_AUTO_TEST_CASE(a_2xx_reply_is_a_delivered_attempt_with_the_signed_request_as_sent)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        receiver r(ex);
        r.reply.result(http::status::no_content);
        const auto result = co_await deliver(r.url("/hooks/invites?tenant=a"));
        BOOST_TEST(result.ok);
        BOOST_TEST(result.status == 204u);
        BOOST_TEST(result.error == "");
        BOOST_REQUIRE_EQUAL(r.requests.size(), 1u);
        const auto& got = r.requests[0];
        BOOST_TEST(got.method_string() == "POST");
        BOOST_TEST(got.target() == "/hooks/invites?tenant=a");
        BOOST_TEST(got.body() == event_body);
        BOOST_TEST(got["webhook-id"] == "msg_1");
        BOOST_TEST(got["webhook-timestamp"] == "1700000000");
        BOOST_TEST(got["webhook-signature"].starts_with("v1,"));
        BOOST_TEST(got[http::field::content_type] == "application/json");
        BOOST_TEST(got[http::field::host] == r.url("").substr(7));
    });
}

BOOST_AUTO_TEST_CASE(a_5xx_reply_is_a_failed_attempt_with_its_status_and_an_excerpt)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        receiver r(ex);
        r.reply.result(http::status::internal_server_error);
        r.reply.body() = "database down";
        const auto result = co_await deliver(r.url("/hooks"));
        BOOST_TEST(!result.ok);
        BOOST_TEST(result.status == 500u);
        BOOST_TEST(result.error == "the receiver answered 500");
        BOOST_TEST(result.excerpt == "database down");
    });
}

BOOST_AUTO_TEST_CASE(a_redirect_is_a_failed_attempt_and_its_location_is_never_requested)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        receiver r(ex);
        r.reply.result(http::status::found);
        r.reply.set(http::field::location, r.url("/elsewhere"));
        const auto result = co_await deliver(r.url("/hooks"));
        BOOST_TEST(!result.ok);
        BOOST_TEST(result.status == 302u);
        BOOST_TEST(result.error.find("redirect") != std::string::npos);
        BOOST_REQUIRE_EQUAL(r.requests.size(), 1u);
        BOOST_TEST(r.requests[0].target() == "/hooks");
    });
}

BOOST_AUTO_TEST_CASE(a_receiver_that_never_answers_fails_the_attempt_at_its_timeout)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        receiver r(ex);
        r.silent = true;
        const auto started = std::chrono::steady_clock::now();
        const auto result = co_await deliver(r.url("/hooks"), 300ms);
        const auto elapsed = std::chrono::steady_clock::now() - started;
        BOOST_TEST(!result.ok);
        BOOST_TEST(result.status == 0u);
        BOOST_TEST(result.error.find("no reply") != std::string::npos, result.error);
        BOOST_TEST(r.requests.size() == 1u);
        // Bounded by the attempt's timeout, not by the receiver (which would hold forever).
        BOOST_TEST(result.duration >= 300ms);
        BOOST_TEST(elapsed < 3s);
    });
}

BOOST_AUTO_TEST_CASE(a_refused_connection_is_a_failed_attempt_that_says_so)
{
    run([](net::any_io_executor) -> net::awaitable<void> {
        const auto result = co_await deliver("http://127.0.0.1:" + std::to_string(closed_port()) + "/hooks");
        BOOST_TEST(!result.ok);
        BOOST_TEST(result.status == 0u);
        BOOST_TEST(result.error.find("cannot connect to 127.0.0.1:") != std::string::npos, result.error);
        BOOST_TEST(result.error.find("refused") != std::string::npos, result.error);
    });
}

BOOST_AUTO_TEST_CASE(a_huge_reply_body_is_not_kept_and_does_not_fail_a_2xx)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        receiver r(ex);
        r.reply.body() = std::string(1 << 20, 'x');
        const auto result = co_await deliver(r.url("/hooks"));
        BOOST_TEST(result.ok);
        BOOST_TEST(result.status == 200u);
        BOOST_TEST(result.excerpt.size() <= 256u);
    });
}

BOOST_AUTO_TEST_CASE(headers_that_could_split_the_request_are_refused_before_connecting)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        receiver r(ex);
        const webhook::sender sender;
        const webhook::header headers[] = {{"webhook-id", "msg_1\r\nX-Injected: 1"}};
        const auto result = co_await sender.deliver({r.url("/hooks"), headers, event_body, 1'000ms});
        BOOST_TEST(!result.ok);
        BOOST_TEST(result.error.find("webhook-id") != std::string::npos, result.error);
        BOOST_TEST(r.requests.empty());
    });
}

BOOST_AUTO_TEST_CASE(https_is_delivered_to_a_peer_whose_certificate_names_the_host)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        tls_receiver r(ex, pki().certificate_file(), pki().private_key_file());
        const webhook::sender sender({.ca_file = pki().ca_file()});
        for (const std::string_view host : {"127.0.0.1", "localhost"}) {
            const auto result = co_await sender.deliver({r.url(host), {}, event_body, 5'000ms});
            BOOST_TEST(result.ok, host << ": " << result.error);
            BOOST_TEST(result.status == 200u);
        }
        BOOST_TEST(r.requests == 2u);
    });
}

BOOST_AUTO_TEST_CASE(https_to_an_untrusted_or_misnamed_certificate_sends_nothing)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        tls_receiver r(ex, pki().certificate_file(), pki().private_key_file());
        // The system store alone does not know the test CA.
        const webhook::sender system_store;
        const auto untrusted = co_await system_store.deliver({r.url("127.0.0.1"), {}, event_body, 5'000ms});
        BOOST_TEST(!untrusted.ok);
        BOOST_TEST(untrusted.error.find("certificate not trusted") != std::string::npos, untrusted.error);

        tls_receiver misnamed(ex, pki().wrong_host_certificate_file(), pki().wrong_host_private_key_file());
        const webhook::sender sender({.ca_file = pki().ca_file()});
        const auto wrong_host = co_await sender.deliver({misnamed.url("127.0.0.1"), {}, event_body, 5'000ms});
        BOOST_TEST(!wrong_host.ok);
        BOOST_TEST(wrong_host.error.find("certificate not trusted") != std::string::npos, wrong_host.error);
        BOOST_TEST(r.requests + misnamed.requests == 0u);
    });
}

BOOST_AUTO_TEST_CASE(host_and_connection_are_the_senders_whatever_the_caller_passed)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        receiver r(ex);
        const webhook::sender sender;
        const webhook::header headers[] = {{"Host", "elsewhere.example"}, {"Connection", "keep-alive"}};
        const auto result = co_await sender.deliver({r.url("/hooks"), headers, event_body, 5'000ms});
        BOOST_TEST(result.ok, result.error);
        BOOST_REQUIRE_EQUAL(r.requests.size(), 1u);
        BOOST_TEST(r.requests[0][http::field::host] == r.url("").substr(7));
        BOOST_TEST(r.requests[0][http::field::connection] == "close");
    });
}
