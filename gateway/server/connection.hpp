#pragma once
// One client connection (see connection.cpp). Internal to igw_server and included by
// the connection's own sources only, one per step of serving a request:
//   connection.cpp        the connection's life: keep-alive, deadlines, the request
//                         header, the checks on it, routing (built-in endpoints)
//   invite_route.cpp      an invite: refusals, admission, the handler, the record
//   body_read.cpp         reading an invite's body (100 Continue, the body limit)
//   read_error.cpp        answering a request that could not be read
//   reply_write.cpp       writing a reply, and how the connection ends after it; the
//                         503 for connections past the caps
//   request_lookup.cpp    GET /v1/requests/{id} (and jobs, reconcile): asked of the handler
// The connection reads and writes through a server_stream, plain TCP or TLS alike.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "gateway/canonical/problem.hpp"
#include "gateway/server/reply_assembly.hpp"
#include "gateway/server/request_message.hpp"
#include "gateway/server/request_record.hpp"
#include "gateway/server/router.hpp"
#include "gateway/server/server_stream.hpp"
#include "gateway/server/worker.hpp"

namespace igw::server::detail {

// simdjson's SIMDJSON_PADDING: reserved behind the body so the handler can parse it in
// place. Written out rather than included so that the server does not depend on simdjson.
inline constexpr std::size_t body_padding = 64;

// How long, at most, a connection closed on unread input keeps reading (and dropping)
// what the client is still sending, so that the kernel does not answer it with a reset
// that could destroy our reply before the client read it.
inline constexpr std::chrono::milliseconds max_linger{2000};

// How long a TLS connection that ends waits for the client's close_notify after sending its
// own (a client that closes first ends the wait). Plain HTTP's half-close waits for nothing.
inline constexpr std::chrono::milliseconds tls_shutdown_bound{1000};

// Past the grace period, how long a cancelled invite handler has to give its reply: its
// calls end at once, so this mostly bounds the ledger's last write (state.timeout, 2 s by
// default).
inline constexpr std::chrono::milliseconds reply_backstop{5000};

// Half-closes, then reads and drops what the client still sends, for a bounded time
// (at most max_linger) and number of bytes, before closing.
boost::asio::awaitable<void> lingering_close(boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer,
                                             std::chrono::milliseconds timeout, std::size_t max_bytes);
// What a read may take from `buffer` at once: never past its max_size(), which bounds
// what one connection holds.
std::size_t read_chunk(const boost::beast::flat_buffer& buffer) noexcept;
// Logs what a connection's coroutine threw (`where` names it), if anything.
void log_unexpected(std::exception_ptr e, std::string_view where);

class connection : public std::enable_shared_from_this<connection> {
public:
    using clock = std::chrono::steady_clock;

    // A null `tls` serves plain HTTP.
    connection(worker& w, boost::asio::ip::tcp::socket socket, boost::asio::ip::address peer, admission how,
               std::shared_ptr<boost::asio::ssl::context> tls);

    boost::asio::awaitable<void> run();
    boost::asio::cancellation_slot cancellation_slot() { return cancel_.slot(); }
    const boost::asio::ip::address& peer() const noexcept { return peer_; }
    void close_if_idle();
    // Grace period over: whatever the connection awaits (a read, a write, the handler)
    // is cancelled. The socket is closed at once, unless an invite's handler runs: its
    // calls end cancelled and it still gives its reply (what did not finish reported
    // `unknown`), which goes out before the connection closes; a handler that has not
    // returned after reply_backstop loses its connection without a reply.
    void force_close();

private:
    // What was being read; `request_line` is the header of a request whose request line
    // has not ended, or has a target over its limit.
    enum class read_phase { request_line, header, body };

    // The TLS handshake, within the first request's deadline; false when it failed.
    boost::asio::awaitable<bool> handshake();
    // Serves one request; false when the connection is to end.
    boost::asio::awaitable<bool> serve_request();
    // Waits for the first byte of the next request, then starts its read deadline.
    boost::asio::awaitable<bool> await_request();
    // Refusals decided on the header alone, whatever the route.
    std::optional<canonical::problem> check_request(const request_parser& parser) const;
    boost::asio::awaitable<bool> route_request(request_parser& parser, std::string_view request_id);
    boost::asio::awaitable<bool> serve_builtin(request_parser& parser, const route_match& match,
                                               std::string_view request_id);

    // invite_route.cpp: an invite from its header to its reply, recorded once.
    boost::asio::awaitable<bool> serve_invite(request_parser& parser, const route_match& match,
                                              std::string_view request_id);
    boost::asio::awaitable<bool> invite_exchange(request_parser& parser, const route_match& match,
                                                 std::string_view request_id);
    // Authentication, the client's rate, route permission, media type and declared length.
    std::optional<response> invite_refusal(const request_parser& parser, const config::route_config& route,
                                           const config::client_config* client, std::string_view request_id);
    void set_rate_limit_fields(const config::rate_config& rate, const resilience::client_admission& verdict);
    boost::asio::awaitable<bool> run_handler(request_parser& parser, const route_match& match,
                                             const config::client_config& client, std::string_view request_id);
    // The record step: writes the request record, if one is pending, with `status`.
    void record_request(unsigned status);

    // request_lookup.cpp.
    boost::asio::awaitable<bool> serve_lookup(request_parser& parser, const route_match& match,
                                              std::string_view request_id);

    // body_read.cpp. False when the body could not be read (answered there when a
    // reply is possible).
    boost::asio::awaitable<bool> read_body(request_parser& parser, std::string_view request_id);

    // read_error.cpp. After a failed read of a request: answers it when a reply can say
    // why. Always false.
    boost::asio::awaitable<bool> answer_read_error(boost::beast::error_code ec, read_phase phase, unsigned version,
                                                   std::string_view request_id);
    std::optional<canonical::problem> read_error_problem(const boost::beast::error_code& ec, read_phase phase) const;

    // reply_write.cpp. Writes `res`; keeps the connection when `keep_alive` and not
    // stopping, else closes it (lingering when request bytes may be left unread).
    boost::asio::awaitable<bool> send(response& res, bool keep_alive, bool unread_input);
    // After the last reply: TLS close_notify (bounded), then the half-close, lingering
    // when request bytes may be left unread.
    boost::asio::awaitable<void> close_after_reply(bool unread_input);

    // The read deadline of a request. Not the stream's own timeout, which closes the
    // socket when it fires: this one only cancels the read, so that a 408 can still go out.
    void arm_deadline(clock::time_point at);
    void disarm_deadline() noexcept;
    void wait_for_deadline(); // until deadline_at_, then acts on the deadline then in force

    bool stopping() const noexcept
    {
        return worker_.draining || worker_.shared.stopping.load(std::memory_order_relaxed);
    }

    worker& worker_;
    const config::gateway_config& config_; // for the limits, which only a restart changes
    const config::limits_config& limits_;
    const boost::asio::ip::address peer_;
    const admission how_;
    const clock::time_point accepted_ = clock::now();
    // The config this request is served with (routes, clients, mappings, version).
    std::shared_ptr<const mapping::compiled_config> snapshot_;
    request_record record_; // of the request being served, when on an invite route
    std::string target_;    // the request's target in origin-form
    bool head_ = false;     // the request is a HEAD: replies go without their body
    server_stream stream_;
    // The subject CN of the client's verified TLS certificate: who the connection's
    // requests come from unless a key says otherwise (client_auth.hpp). Empty without one.
    std::string client_cn_;
    boost::beast::flat_buffer buffer_;
    request_message request_; // the request being served (its storage kept from request to request)
    std::string reply_head_; // the reply's status line and fields, serialised (kept from reply to reply)
    boost::asio::steady_timer deadline_;
    clock::time_point deadline_at_ = clock::time_point::max(); // max: disarmed
    bool deadline_waiting_ = false;                            // a wait on deadline_ is pending
    bool handling_ = false;                 // an invite's handler runs (force_close lets it reply)
    std::size_t body_limit_ = 0;            // of the request being read (an async one's is larger)
    bool respond_async_ = false;            // the invite being served asked for a job
    // The RateLimit-Policy and RateLimit fields every reply to the invite being served
    // carries, when its client has a rate (empty otherwise).
    std::string rate_limit_policy_, rate_limit_;
    boost::asio::steady_timer backstop_;    // past the grace period, bounds that reply
    bool timed_out_ = false;
    bool first_request_ = true;
    boost::asio::cancellation_signal cancel_; // outlives run(): the co_spawn completion handler owns us
    bool idle_ = false;                       // waiting for the first byte of a request
};

} // namespace igw::server::detail
