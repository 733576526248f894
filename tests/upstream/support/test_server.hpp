#pragma once
// A small HTTP/1.1 server on 127.0.0.1 (port 0) whose behaviour the client tests pick
// per request through the request target:
//   /delay/MS            reply after MS milliseconds
//   /close               read the request, then close without replying
//   /connection-close    reply with "Connection: close", then close
//   /http10              reply as HTTP/1.0 without keep-alive, then close
//   /huge/N              reply with an N-byte body
//   /chunked/N           reply with an N-byte body in chunked encoding
//   /status/N            reply with status N
//   /retry-after         reply 429 with "Retry-After: 7"
//   /garbage             answer bytes that are not HTTP, then close
//   /chunk-extension/N   start a chunked 200 whose first chunk header carries an
//                        extension N MiB long that never ends, then close
//   /endless-trailer/N   a chunked 200 whose trailer field is N MiB long and never
//                        ends, then close
//   anything else        200, echoing the request body
// Plus, per server, `close_after_requests`: close each connection silently (no
// "Connection: close") after that many replies, as servers drop idle keep-alive
// connections. It runs on the caller's executor, so tests are single-threaded.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace igw::upstream::testing {

struct server_options {
    std::string cert_pem; // both set: TLS
    std::string key_pem;
    std::size_t close_after_requests = 0; // 0: never
};

struct received_request {
    std::string method;
    std::string target;
    std::string host;           // Host header
    std::string content_length; // Content-Length header, if any
    std::string test_header;    // X-Test header, if any
    std::string body;
    std::size_t connection = 0; // 1-based index of the connection it came on
};

class test_server {
public:
    explicit test_server(boost::asio::any_io_executor executor, server_options options = {});
    ~test_server();
    test_server(const test_server&) = delete;
    test_server& operator=(const test_server&) = delete;

    std::uint16_t port() const;
    // Stops accepting, closes every connection and cancels pending delays.
    void stop();

    std::size_t connections_accepted() const;
    std::size_t connections_open() const;
    std::size_t max_connections_open() const; // the most ever open at once
    std::size_t connections_closed() const;
    const std::vector<received_request>& requests() const;

    // Completes once at least `n` connections have ended (either side closed them).
    boost::asio::awaitable<void> wait_closed(std::size_t n);

    struct state;

private:
    std::shared_ptr<state> state_; // shared with the server's coroutines, which may outlive this
};

} // namespace igw::upstream::testing
