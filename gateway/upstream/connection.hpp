#pragma once
// One keep-alive connection to an upstream, plain or TLS, and the operations a call
// makes on it. Internal to igw_upstream (it pulls in Beast and OpenSSL): only the
// client's implementation includes it.

#include "gateway/upstream/client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace igw::upstream::detail {

using clock = std::chrono::steady_clock;

class connection {
public:
    // A null `tls_context` makes a plain TCP connection. The read buffer never holds more
    // than `max_buffer_bytes`: the parser consumes bodies as they arrive, but a chunk
    // extension or a trailer that never ends stays in the buffer whole.
    connection(const boost::asio::any_io_executor& executor, boost::asio::ssl::context* tls_context,
               std::size_t max_buffer_bytes);

    bool tls() const noexcept { return tls_.has_value(); }
    boost::beast::tcp_stream& tcp() noexcept { return tls_ ? tls_->next_layer() : *plain_; }
    boost::beast::ssl_stream<boost::beast::tcp_stream>& tls_stream() noexcept { return *tls_; }

    // True when the peer closed the connection, or sent something unasked, while it
    // sat idle in the pool. Checked before reusing it, so that a keep-alive connection
    // the server already dropped never carries a request.
    bool looks_closed();

    // Reused from one request to the next so that a steady-state call allocates nothing
    // here: the read buffer (empty between replies) and the serialised request head.
    boost::beast::flat_buffer buffer;
    std::string head;
    clock::time_point idle_since{};

private:
    std::optional<boost::beast::tcp_stream> plain_;
    std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls_;
};

// Connects to the first reachable address and, for TLS, handshakes with SNI and peer
// verification against `ep.host`. On failure sets `out.error` (connect_failed or
// timeout_before_send) and `out.message`.
boost::asio::awaitable<void> establish(connection& c, std::span<const boost::asio::ip::tcp::endpoint> addresses,
                                       const endpoint& ep, clock::time_point deadline, response& out);

struct exchange_result {
    bool reusable = false;      // complete reply, and the connection may carry another request
    bool write_failed = false;  // the request was not completely written
    bool reply_started = false; // at least one byte of a reply arrived
    bool peer_gone = false;     // the failure was the peer closing or resetting the connection
};

// Writes `c.head` and `req.body`, then reads the reply into `out` (status, body,
// Retry-After). On failure sets `out.error` and `out.message`.
struct reply_limits {
    std::size_t max_body_bytes;
    std::size_t max_header_bytes;
};
boost::asio::awaitable<exchange_result> exchange(connection& c, const request& req, clock::time_point deadline,
                                                 reply_limits limits, response& out);

// Serialises the request line and headers (Host, then the caller's, then
// Content-Length) into `out`, reusing its capacity.
void write_head(std::string& out, const endpoint& ep, const request& req);

// Why `req` cannot be sent as it is, or empty when it can.
std::string check_request(const request& req);

// Closes a connection. `graceful` TLS connections first exchange close_notify, in the
// background and bounded by a short timeout; the others are simply closed.
void close(std::unique_ptr<connection> c, bool graceful);

} // namespace igw::upstream::detail
