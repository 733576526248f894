#pragma once
// A raw HTTP/1.1 client for the server tests: it writes exactly the bytes a test gives
// it (so tests can pipeline, trickle or lie about lengths) and reads replies with Beast.
// Every operation has a deadline, so a broken server fails a test instead of hanging it.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace igw::server::testing {

using reply = boost::beast::http::response<boost::beast::http::string_body>;
using header_list = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::chrono::milliseconds default_deadline{5000};

class test_client {
public:
    // Connects to 127.0.0.1:port, from `local_address` when given (another loopback
    // address such as 127.0.0.2 is another peer to the server); throws
    // boost::system::system_error when refused.
    explicit test_client(std::uint16_t port, std::string_view local_address = {});

    // Writes all of `bytes`; returns the error instead of throwing.
    boost::system::error_code write(std::string_view bytes);
    // write() that throws.
    void send(std::string_view bytes);
    // Reads one reply (an interim 1xx is a reply too); throws on error or deadline.
    reply read_reply(std::chrono::milliseconds deadline = default_deadline);
    // Reads the reply to a HEAD: a header alone, whatever its Content-Length says.
    reply read_head_reply(std::chrono::milliseconds deadline = default_deadline);
    // True when the server closes the connection (EOF or reset) before `deadline`;
    // false when it sends something instead or stays silent until the deadline.
    bool closed_by_server(std::chrono::milliseconds deadline = default_deadline);

private:
    reply read(bool head, std::chrono::milliseconds deadline);

    boost::asio::io_context ioc_;
    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
};

// True when a TCP connection to 127.0.0.1:port is refused.
bool connection_refused(std::uint16_t port);

// The bytes of one request. Content-Length is added for a non-empty body unless the
// headers carry Transfer-Encoding or Content-Length.
std::string raw_request(std::string_view method, std::string_view target, const header_list& headers = {},
                        std::string_view body = {});

// A POST of a JSON body with a bearer key (no Authorization header when key is empty).
std::string invite_request(std::string_view target, std::string_view body, std::string_view key = "key-a",
                           header_list extra = {});

} // namespace igw::server::testing
