#include "tests/server/support/test_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/read.hpp>

namespace igw::server::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

test_client::test_client(std::uint16_t port, std::string_view local_address) : stream_(ioc_)
{
    const tcp::endpoint server(net::ip::make_address("127.0.0.1"), port);
    if (!local_address.empty()) {
        stream_.socket().open(server.protocol());
        stream_.socket().bind(tcp::endpoint(net::ip::make_address(local_address), 0));
    }
    stream_.socket().connect(server);
}

boost::system::error_code test_client::write(std::string_view bytes)
{
    boost::system::error_code result;
    stream_.expires_after(default_deadline);
    net::async_write(stream_, net::buffer(bytes.data(), bytes.size()),
                     [&](boost::system::error_code ec, std::size_t) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
}

void test_client::send(std::string_view bytes)
{
    if (const auto ec = write(bytes))
        throw boost::system::system_error(ec, "test_client::send");
}

reply test_client::read_reply(std::chrono::milliseconds deadline) { return read(false, deadline); }

reply test_client::read_head_reply(std::chrono::milliseconds deadline) { return read(true, deadline); }

reply test_client::read(bool head, std::chrono::milliseconds deadline)
{
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    parser.skip(head);
    boost::system::error_code result;
    stream_.expires_after(deadline);
    http::async_read(stream_, buffer_, parser, [&](boost::system::error_code ec, std::size_t) { result = ec; });
    ioc_.restart();
    ioc_.run();
    if (result)
        throw boost::system::system_error(result, "test_client::read_reply");
    return parser.release();
}

bool test_client::closed_by_server(std::chrono::milliseconds deadline)
{
    if (buffer_.size() > 0)
        return false;
    boost::system::error_code result;
    std::size_t received = 0;
    stream_.expires_after(deadline);
    stream_.async_read_some(buffer_.prepare(4096), [&](boost::system::error_code ec, std::size_t n) {
        result = ec;
        received = n;
    });
    ioc_.restart();
    ioc_.run();
    buffer_.commit(received);
    return result == net::error::eof || result == net::error::connection_reset;
}

bool connection_refused(std::uint16_t port)
{
    net::io_context ioc;
    tcp::socket socket(ioc);
    boost::system::error_code ec;
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    return ec == net::error::connection_refused;
}

std::string raw_request(std::string_view method, std::string_view target, const header_list& headers,
                        std::string_view body)
{
    std::string out;
    out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    bool framed = false;
    for (const auto& [name, value] : headers) {
        out.append(name).append(": ").append(value).append("\r\n");
        framed = framed || name == "Content-Length" || name == "Transfer-Encoding";
    }
    if (!body.empty() && !framed)
        out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    out.append("\r\n").append(body);
    return out;
}

std::string invite_request(std::string_view target, std::string_view body, std::string_view key, header_list extra)
{
    header_list headers;
    if (!key.empty())
        headers.emplace_back("Authorization", "Bearer " + std::string(key));
    headers.emplace_back("Content-Type", "application/json");
    for (auto& h : extra)
        headers.push_back(std::move(h));
    return raw_request("POST", target, headers, body);
}

} // namespace igw::server::testing
