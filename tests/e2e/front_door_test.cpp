// The front door of the real gateway (shipped config, strict emulators) against framing
// tricks: a request smuggled in a body is never served and never reaches a vendor; an
// absolute-form target is served like its path; HEAD on the probes sends no body.

#include "tests/e2e/support/harness.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <cstddef>
#include <string>
#include <string_view>

using namespace igw;
using namespace igw::e2e;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Writes `bytes` on a fresh connection and returns everything the gateway sends until it
// closes the connection, or until 5 s pass without a byte.
std::string exchange(std::uint16_t port, std::string_view bytes)
{
    net::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    const timeval timeout{5, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    net::write(socket, net::buffer(bytes.data(), bytes.size()));
    std::string received;
    char chunk[4096];
    for (int i = 0; i < 10'000; ++i) {
        boost::system::error_code ec;
        const std::size_t n = socket.read_some(net::buffer(chunk), ec);
        received.append(chunk, n);
        if (ec)
            break; // EOF, reset or the receive timeout
    }
    return received;
}

std::size_t status_lines(std::string_view received)
{
    std::size_t count = 0;
    for (auto at = received.find("HTTP/1.1 "); at != std::string_view::npos; at = received.find("HTTP/1.1 ", at + 1))
        count += at == 0 || received.substr(at - 2, 2) == "\r\n";
    return count;
}

std::string invite(std::string_view target, std::string_view body, std::string_view framing)
{
    std::string out;
    out.append("POST ").append(target).append(" HTTP/1.1\r\nHost: gateway.example\r\n");
    out.append("Authorization: Bearer ").append(client_key).append("\r\n");
    out.append("Content-Type: application/json\r\n").append(framing).append("\r\n").append(body);
    return out;
}

const std::string good_body = invite_body({{"jane@example.com", "developer"}});

} // namespace

BOOST_AUTO_TEST_SUITE(front_door)

BOOST_AUTO_TEST_CASE(an_invite_smuggled_behind_a_transfer_coding_is_never_served)
{
    emulator::server emulators;
    gateway gw(emulators);
    const std::string smuggled = invite(invite_path, good_body,
                                        "Content-Length: " + std::to_string(good_body.size()) + "\r\n");
    for (const char* coding : {"gzip", "identity", "chunked, identity", "gzip, chunked"}) {
        BOOST_TEST_CONTEXT("Transfer-Encoding: " << coding)
        {
            const std::string received = exchange(
                gw.port(), invite(invite_path, smuggled, "Transfer-Encoding: " + std::string(coding) + "\r\n"));
            BOOST_TEST(status_lines(received) == 1u, received);
            const bool refused = received.starts_with("HTTP/1.1 400 ") || received.starts_with("HTTP/1.1 501 ");
            BOOST_TEST(refused, received);
            BOOST_TEST(received.find("Connection: close") != std::string::npos);
        }
    }
    BOOST_TEST(emulators.requests().empty());
}

BOOST_AUTO_TEST_CASE(an_absolute_form_target_is_served_like_its_path)
{
    emulator::server emulators;
    gateway gw(emulators);
    const std::string received = exchange(
        gw.port(), invite("http://gateway.example" + std::string(invite_path), good_body,
                          "Content-Length: " + std::to_string(good_body.size()) + "\r\nConnection: close\r\n"));
    BOOST_TEST(received.starts_with("HTTP/1.1 200 "), received);
    BOOST_TEST(status_lines(received) == 1u);
    BOOST_TEST(!emulators.requests().empty()); // it reached the vendors
}

BOOST_AUTO_TEST_CASE(head_on_the_probes_sends_the_header_alone)
{
    emulator::server emulators;
    gateway gw(emulators);
    for (const char* path : {"/healthz", "/readyz"}) {
        BOOST_TEST_CONTEXT(path)
        {
            const std::string received = exchange(gw.port(), std::string("HEAD ") + path +
                                                                 " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            BOOST_TEST(received.starts_with("HTTP/1.1 200 "), received);
            BOOST_TEST(received.find("Content-Length: ") != std::string::npos);
            BOOST_TEST(received.ends_with("\r\n\r\n"), received); // nothing after the header
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
