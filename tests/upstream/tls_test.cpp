// HTTPS through the pooled client: certificates made at test time, verified against
// an extra CA file, by DNS name and by IP address.

#include "gateway/upstream/client.hpp"
#include "tests/support/files.hpp"
#include "tests/support/test_certificates.hpp"
#include "tests/upstream/support/print.hpp"
#include "tests/upstream/support/run.hpp"
#include "tests/upstream/support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

namespace net = boost::asio;
using namespace std::chrono_literals;
using igw::upstream::client;
using igw::upstream::endpoint;
using igw::upstream::failure;
using igw::upstream::request;
using igw::upstream::testing::run;
using igw::upstream::testing::server_options;
using igw::upstream::testing::test_server;

namespace {

auto in(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

const request hello{"POST", "/ok", {}, "hello"};

// One PKI for the whole suite: key generation is the slow part. Its server certificate
// names localhost and 127.0.0.1, the other one only wrong-host.invalid.
const igw::test::test_certificates& pki()
{
    static const igw::test::test_certificates certificates;
    return certificates;
}

server_options tls_server(const std::string& certificate_file, const std::string& private_key_file)
{
    server_options options;
    options.cert_pem = igw::test::read_file(certificate_file);
    options.key_pem = igw::test::read_file(private_key_file);
    return options;
}

server_options tls_server_for_localhost() { return tls_server(pki().certificate_file(), pki().private_key_file()); }

} // namespace

BOOST_AUTO_TEST_SUITE(upstream_tls)

BOOST_AUTO_TEST_CASE(trusted_ca_file_by_ip_address_succeeds_and_keeps_the_connection)
{
    const std::string ca_file = pki().ca_file();
    run([&](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex, tls_server_for_localhost());
        client c(ex);
        const endpoint ep{true, "127.0.0.1", server.port(), ca_file};
        for (int i = 0; i < 3; ++i) {
            auto r = co_await c.send(ep, hello, in(5s), 2);
            BOOST_TEST(r.error == failure::none, r.message);
            BOOST_TEST(r.status == 200u);
            BOOST_TEST(r.body == "hello");
            BOOST_TEST(r.reused_connection == (i > 0));
        }
        BOOST_TEST(server.connections_accepted() == 1u);
        BOOST_REQUIRE_EQUAL(server.requests().size(), 3u);
        BOOST_TEST(server.requests()[0].host == "127.0.0.1:" + std::to_string(server.port()));
        c.close_idle(); // sends close_notify; the server sees the connection end
        co_await server.wait_closed(1);
    });
}

BOOST_AUTO_TEST_CASE(trusted_ca_file_by_host_name_succeeds)
{
    const std::string ca_file = pki().ca_file();
    run([&](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex, tls_server_for_localhost());
        client c(ex);
        const endpoint ep{true, "localhost", server.port(), ca_file};
        auto r = co_await c.send(ep, hello, in(5s), 1);
        BOOST_TEST(r.error == failure::none, r.message);
        BOOST_TEST(r.body == "hello");
    });
}

BOOST_AUTO_TEST_CASE(certificate_from_an_untrusted_ca_is_connect_failed)
{
    run([&](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex, tls_server_for_localhost());
        client c(ex);
        for (const std::string& ca : {pki().untrusted_ca_file(), std::string()}) {
            const endpoint ep{true, "127.0.0.1", server.port(), ca};
            auto r = co_await c.send(ep, hello, in(5s), 1);
            BOOST_TEST(r.error == failure::connect_failed);
            BOOST_TEST(r.message.find("certificate verify failed") != std::string::npos, r.message);
            BOOST_TEST(r.message.find("local issuer") != std::string::npos, r.message);
            BOOST_TEST(c.stats(ep).open == 0u);
        }
        BOOST_TEST(server.requests().empty());
    });
}

BOOST_AUTO_TEST_CASE(certificate_for_another_name_is_connect_failed_naming_the_host)
{
    const std::string ca_file = pki().ca_file();
    run([&](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex, tls_server(pki().wrong_host_certificate_file(), pki().wrong_host_private_key_file()));
        client c(ex);
        const endpoint by_ip{true, "127.0.0.1", server.port(), ca_file};
        auto r = co_await c.send(by_ip, hello, in(5s), 1);
        BOOST_TEST(r.error == failure::connect_failed);
        BOOST_TEST(r.message.find("IP address mismatch") != std::string::npos, r.message);
        BOOST_TEST(r.message.find("not valid for 127.0.0.1") != std::string::npos, r.message);

        const endpoint by_name{true, "localhost", server.port(), ca_file};
        auto named = co_await c.send(by_name, hello, in(5s), 1);
        BOOST_TEST(named.error == failure::connect_failed);
        BOOST_TEST(named.message.find("hostname mismatch") != std::string::npos, named.message);
        BOOST_TEST(named.message.find("not valid for localhost") != std::string::npos, named.message);
        BOOST_TEST(server.requests().empty());
    });
}

BOOST_AUTO_TEST_CASE(missing_ca_file_is_connect_failed_naming_the_file)
{
    run([&](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex, tls_server_for_localhost());
        client c(ex);
        const endpoint ep{true, "127.0.0.1", server.port(), "/nonexistent/igw-ca.pem"};
        auto r = co_await c.send(ep, hello, in(5s), 1);
        BOOST_TEST(r.error == failure::connect_failed);
        BOOST_TEST(r.message.find("/nonexistent/igw-ca.pem") != std::string::npos, r.message);
        BOOST_TEST(server.connections_accepted() == 0u);
    });
}

BOOST_AUTO_TEST_SUITE_END()
