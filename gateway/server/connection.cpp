// One client connection: HTTP/1.1 keep-alive and pipelining (requests are read one at a
// time, so replies leave in order), the request limits, the checks that happen before a
// request reaches its endpoint, and the ways a connection ends. The steps of a request
// live beside it (see connection.hpp).
#include "gateway/server/connection.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>

#include "gateway/canonical/problems.hpp"
#include "gateway/server/admission.hpp"
#include "gateway/server/builtin_endpoints.hpp"
#include "gateway/server/framing.hpp"
#include "gateway/server/request_id.hpp"
#include "gateway/telemetry/log.hpp"

namespace igw::server::detail {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using canonical::http_problem;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t first_read_size = 8192;

} // namespace

std::size_t read_chunk(const beast::flat_buffer& buffer) noexcept
{
    return std::min(first_read_size, buffer.max_size() - buffer.size());
}

void log_unexpected(std::exception_ptr e, std::string_view where)
{
    if (!e)
        return;
    try {
        std::rethrow_exception(e);
    } catch (const boost::system::system_error& error) {
        // Forced closes at the end of a shutdown's grace period cancel coroutines.
        if (error.code() != net::error::operation_aborted)
            log_error(std::string(where) + ": " + error.what());
    } catch (const std::exception& error) {
        log_error(std::string(where) + ": " + error.what());
    } catch (...) {
        log_error(std::string(where) + ": unknown exception");
    }
}

connection::connection(worker& w, tcp::socket socket, net::ip::address peer, admission how,
                       std::shared_ptr<net::ssl::context> tls)
    : worker_(w), config_(w.shared.config), limits_(config_.limits), peer_(peer), how_(how),
      stream_(std::move(socket), std::move(tls)),
      // Only unparsed bytes stay in the buffer: at most one header, or a chunk-size
      // line or trailer still being received. Without a bound, a chunk extension or
      // trailer that never ends grows it for as long as the client sends.
      buffer_(limits_.max_header_bytes + limits_.max_body_bytes), deadline_(stream_.get_executor()),
      body_limit_(limits_.max_body_bytes), backstop_(stream_.get_executor())
{
}

void connection::close_if_idle()
{
    if (idle_)
        stream_.close();
}

void connection::force_close()
{
    cancel_.emit(net::cancellation_type::terminal);
    if (!handling_) {
        stream_.close();
        return;
    }
    backstop_.expires_after(reply_backstop);
    backstop_.async_wait([this](beast::error_code ec) {
        if (!ec) // not cancelled by the connection's end
            stream_.close();
    });
}

void close_if_idle(connection& c) { c.close_if_idle(); }
void force_close(connection& c) { c.force_close(); }

net::awaitable<void> connection::run()
{
    worker_.add(this);
    // Leaves the drain list on every way out, before the completion handler runs, so
    // force_close() never signals a finished coroutine.
    struct registration {
        worker& w;
        connection* c;
        ~registration() { w.remove(c); }
    } registered{worker_, this};
    if (worker_.draining) {
        stream_.close(); // accepted just before the listener closed
        co_return;
    }
    if (stream_.tls() && !co_await handshake())
        co_return;
    while (co_await serve_request()) {
    }
    disarm_deadline();
    deadline_.cancel();
}

net::awaitable<bool> connection::handshake()
{
    // Counted in the first request's deadline: a client gets read_timeout from the accept
    // for the handshake and its first request together. Idle until done, so a drain
    // closes a connection that has not sent a request yet.
    idle_ = true;
    stream_.tcp().expires_at(accepted_ + limits_.read_timeout);
    const beast::error_code ec = co_await stream_.handshake();
    idle_ = false;
    if (ec) {
        // Scanners, plain HTTP on the TLS port, untrusted or missing client certificates:
        // the client learnt why from the alert; the operator may look at debug level.
        telemetry::log(telemetry::log_level::debug, "tls_handshake_failed",
                       {{"peer", peer_.to_string()}, {"error", ec.message()}});
        stream_.close();
        co_return false;
    }
    client_cn_ = stream_.verified_client_cn();
    co_return true;
}

// The deadline is lazy: arming it and disarming it only set deadline_at_, and one wait on
// the timer stays pending across requests, firing at most once per read timeout. When it
// fires it looks at the deadline now in force: past, the read is cancelled; still ahead,
// it waits again; disarmed, it stops until the next arm. A wait per request, cancelled at
// the reply, cost a timer insertion, a cancellation and a completion for every request.
void connection::arm_deadline(clock::time_point at)
{
    timed_out_ = false;
    deadline_at_ = at;
    // A pending wait that fires no later than `at` will wait again for the rest.
    if (deadline_waiting_ && deadline_.expiry() <= at)
        return;
    wait_for_deadline();
}

void connection::wait_for_deadline()
{
    deadline_.expires_at(deadline_at_); // cancels the pending wait, if any: it sees operation_aborted
    deadline_waiting_ = true;
    // The wait can outlive the connection: an expiry already queued when the connection
    // ends still runs, after the timer's destruction could no longer cancel it.
    deadline_.async_wait([this, alive = weak_from_this()](beast::error_code ec) {
        if (ec || alive.expired())
            return; // replaced by a newer wait, or the connection ended
        deadline_waiting_ = false;
        if (deadline_at_ == clock::time_point::max())
            return; // disarmed: the next arm waits again
        if (clock::now() < deadline_at_) {
            wait_for_deadline(); // armed again since, for later
            return;
        }
        timed_out_ = true;
        beast::error_code ignored;
        stream_.tcp().socket().cancel(ignored);
    });
}

void connection::disarm_deadline() noexcept { deadline_at_ = clock::time_point::max(); }

net::awaitable<bool> connection::await_request()
{
    // The first request of a connection must be in whole within the read timeout of the
    // accept: a connection that has sent nothing has not shown it is a client, and a
    // peer holding thousands of silent ones would otherwise keep them for the idle
    // timeout. Between requests the idle timeout applies; once a later request's first
    // byte is here, the read timeout covers the whole request, so a client trickling
    // bytes is dropped.
    const clock::time_point first_deadline = accepted_ + limits_.read_timeout;
    if (buffer_.size() == 0) {
        if (stopping())
            co_return false;
        idle_ = true;
        if (first_request_)
            stream_.tcp().expires_at(first_deadline);
        else
            stream_.tcp().expires_after(limits_.idle_timeout);
        auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(read_chunk(buffer_)), use_tuple);
        idle_ = false;
        if (ec)
            co_return false; // closed by the client, idle timeout, or drained
        buffer_.commit(n);
    }
    stream_.tcp().expires_never();
    arm_deadline(first_request_ ? first_deadline : clock::now() + limits_.read_timeout);
    first_request_ = false;
    co_return true;
}

net::awaitable<bool> connection::serve_request()
{
    if (!co_await await_request())
        co_return false;
    head_ = false;
    request_parser parser{request_};
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits_.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(boost::none); // checked against Content-Length below, before the body
    auto [ec, n] = co_await http::async_read_header(stream_, buffer_, parser, use_tuple);
    // Every reply names the config (the first request of a connection has none yet).
    snapshot_ = worker_.current_config();
    record_.reset(clock::now());
    if (ec) {
        // The parser takes the request line and each field as they end, so an empty
        // target means the request line never did.
        const std::string_view target = parser.get().target();
        const bool line = target.empty() || target.size() > limits_.max_target_bytes;
        co_return co_await answer_read_error(ec, line ? read_phase::request_line : read_phase::header, 11,
                                             generate_request_id());
    }

    const auto& req = parser.get();
    head_ = req.method() == http::verb::head;
    const std::string_view presented_id = req["X-Request-Id"];
    const std::string request_id = is_valid_request_id(presented_id) ? std::string(presented_id)
                                                                     : generate_request_id();
    if (auto problem = check_request(parser)) {
        // The framing of what follows is unknown or refused: nothing more is read.
        auto res = make_problem(*problem, req.version(), request_id);
        co_return co_await send(res, false, true);
    }
    target_ = origin_form(req.target());
    co_return co_await route_request(parser, request_id);
}

std::optional<canonical::problem> connection::check_request(const request_parser& parser) const
{
    const auto& req = parser.get();
    if (req.target().size() > limits_.max_target_bytes)
        return http_problem(414, "the request target is longer than the limit of " +
                                     std::to_string(limits_.max_target_bytes) + " bytes");
    if (req.count(http::field::transfer_encoding) > 0) {
        std::vector<std::string_view> codings;
        req.for_each("Transfer-Encoding", [&](std::string_view coding) { codings.push_back(coding); });
        auto framing = check_transfer_encoding(codings, req.count(http::field::content_length) > 0, req.version());
        if (framing.verdict == framing_verdict::not_implemented)
            return http_problem(501, framing.detail);
        if (framing.verdict == framing_verdict::bad_request)
            return http_problem(400, framing.detail);
        // Accepted as `chunked`: the parser must have read it the same way, or the body
        // would be taken for the next request.
        if (!parser.chunked())
            return http_problem(400, "the Transfer-Encoding header could not be parsed");
    }
    // RFC 9112 §3.2: exactly one Host in HTTP/1.1 (and never two in HTTP/1.0).
    const std::size_t hosts = req.count(http::field::host);
    if (hosts > 1 || (hosts == 0 && req.version() >= 11))
        return http_problem(400, "an HTTP/1.1 request needs exactly one Host header");
    return std::nullopt;
}

net::awaitable<bool> connection::route_request(request_parser& parser, std::string_view request_id)
{
    const auto& req = parser.get();
    const bool body_pending = !parser.is_done();
    const route_match match = match_route(req.method_string(), target_, snapshot_->config.routes);
    if (how_ == admission::probes_only && !probes_only_admits(match)) {
        auto res = make_problem(http_problem(503, "the gateway is at its connection limit; retry later"), req.version(),
                                request_id);
        res.set("Retry-After", "1");
        co_return co_await send(res, false, body_pending);
    }
    if (match.kind != endpoint::not_found && !match.method_allowed) {
        // A connection from the probes' reserve carries one request (see probe_reserve).
        const bool keep_alive = req.keep_alive() && !body_pending && how_ == admission::full;
        auto res = make_problem(canonical::method_not_allowed_problem(req.method_string()), req.version(), request_id);
        res.set("Allow", match.allow);
        co_return co_await send(res, keep_alive, body_pending);
    }
    if (match.kind == endpoint::invite)
        co_return co_await serve_invite(parser, match, request_id);
    if (match.kind == endpoint::request_lookup || match.kind == endpoint::job_lookup ||
        match.kind == endpoint::reconcile)
        co_return co_await serve_lookup(parser, match, request_id);
    co_return co_await serve_builtin(parser, match, request_id);
}

net::awaitable<bool> connection::serve_builtin(request_parser& parser, const route_match& match,
                                               std::string_view request_id)
{
    const auto& req = parser.get();
    const bool body_pending = !parser.is_done();
    const bool keep_alive = req.keep_alive() && !body_pending && how_ == admission::full;
    const builtin_endpoint* builtin = find_builtin(match.kind);
    std::optional<plain_reply> reply;
    if (builtin) {
        disarm_deadline(); // a reload may take a few milliseconds: not the client's time
        const bool ready = worker_.shared.listening.load(std::memory_order_relaxed) && !stopping();
        reply = builtin->handle({worker_.shared.services, snapshot_->config.clients, req[http::field::authorization],
                                 snapshot_->version, ready, client_cn_});
        if (builtin->changes_config)
            snapshot_ = worker_.current_config(); // the reply names the config now served
    }
    if (!reply) {
        const std::string_view path = std::string_view(target_).substr(0, target_.find('?'));
        reply = problem_reply(canonical::not_found_problem(path));
    }
    auto res = make_reply(std::move(*reply), req.version(), request_id);
    co_return co_await send(res, keep_alive, body_pending);
}

void serve_connection(worker& w, tcp::socket socket, net::ip::address peer, admission how,
                      std::shared_ptr<net::ssl::context> tls)
{
    auto c = std::make_shared<connection>(w, std::move(socket), peer, how, std::move(tls));
    auto slot = c->cancellation_slot();
    net::co_spawn(w.ioc, c->run(), net::bind_cancellation_slot(slot, [c, &w](std::exception_ptr e) {
                      log_unexpected(e, "connection");
                      w.shared.connections.fetch_sub(1, std::memory_order_relaxed);
                      w.shared.peers.remove(c->peer());
                      w.connection_done();
                  }));
}

} // namespace igw::server::detail
