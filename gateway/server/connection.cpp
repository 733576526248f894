// One client connection: HTTP/1.1 keep-alive and pipelining (requests are read one at a
// time, so replies leave in order), the request limits, the checks that happen before a
// request reaches the invite handler, and the ways a connection ends.
#include <algorithm>
#include <array>
#include <cstdint>
#include <ctime>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "gateway/canonical/problems.hpp"
#include "gateway/json/writer.hpp"
#include "gateway/server/client_auth.hpp"
#include "gateway/server/framing.hpp"
#include "gateway/server/media_type.hpp"
#include "gateway/server/request_id.hpp"
#include "gateway/server/router.hpp"
#include "gateway/server/worker.hpp"
#include "gateway/telemetry/log.hpp"

namespace igw::server::detail {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using response = http::response<http::string_body>;
using request_parser = http::request_parser<http::string_body>;
using clock = std::chrono::steady_clock;
using canonical::http_problem;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// simdjson's SIMDJSON_PADDING: reserved behind the body so the handler can parse it in
// place. Written out rather than included so that the server does not depend on simdjson.
constexpr std::size_t body_padding = 64;
// How long, at most, a connection closed on unread input keeps reading (and dropping)
// what the client is still sending, so that the kernel does not answer it with a reset
// that could destroy our reply before the client read it.
constexpr std::chrono::milliseconds max_linger{2000};
// Connections answered 503 at the connection cap are themselves bounded: past this many
// at once, new ones are closed without a word.
constexpr std::size_t max_refusing = 256;
constexpr std::size_t first_read_size = 8192;
// Logged and counted for an invite request whose client went away before its body was
// in (the nginx convention): there is no reply, but the attempt is worth a record.
constexpr unsigned client_closed_status = 499;

// What a read may take from `buffer` at once: never past its max_size(), which bounds
// what one connection holds.
std::size_t read_chunk(const beast::flat_buffer& buffer) noexcept
{
    return std::min(first_read_size, buffer.max_size() - buffer.size());
}

// The Date header (RFC 9110 §6.6.1), formatted once a second per thread.
std::string_view http_date()
{
    thread_local std::time_t cached_second = -1;
    thread_local std::array<char, 64> text{};
    thread_local std::size_t length = 0;
    const std::time_t now = std::time(nullptr);
    if (now != cached_second) {
        std::tm parts{};
        gmtime_r(&now, &parts);
        length = std::strftime(text.data(), text.size(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
        cached_second = now;
    }
    return {text.data(), length};
}

response make_response(unsigned status, unsigned version, std::string_view request_id,
                       std::string_view content_type, std::string body)
{
    response res{static_cast<http::status>(status), version};
    res.set(http::field::content_type, content_type);
    res.set("X-Request-Id", request_id);
    res.body() = std::move(body);
    return res;
}

response make_problem(const canonical::problem& p, unsigned version, std::string_view request_id)
{
    std::string body;
    p.write_json(body);
    return make_response(p.status, version, request_id, "application/problem+json", std::move(body));
}

std::string status_body(std::string_view status)
{
    std::string body;
    json::writer(body).begin_object().member("status", status).end_object();
    return body;
}

// Malformed requests (as opposed to a peer that went away or a timeout).
bool is_bad_request(const beast::error_code& ec) noexcept
{
    return ec.category() == http::make_error_code(http::error::bad_method).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
}

// Half-closes, then reads and drops what the client still sends, for a bounded time and
// number of bytes, before closing (see max_linger).
net::awaitable<void> lingering_close(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                     std::chrono::milliseconds timeout, std::size_t max_bytes)
{
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!ec) {
        stream.expires_after(std::min(timeout, max_linger));
        buffer.clear();
        for (std::size_t dropped = 0; dropped <= max_bytes;) {
            auto [read_ec, n] = co_await stream.async_read_some(buffer.prepare(read_chunk(buffer)), use_tuple);
            if (read_ec)
                break;
            dropped += n;
        }
    }
    stream.close();
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

// Returns the in-flight slot of an admitted invite request.
class in_flight_slot {
public:
    explicit in_flight_slot(std::atomic<std::size_t>& counter) noexcept : counter_(&counter) {}
    in_flight_slot(const in_flight_slot&) = delete;
    in_flight_slot& operator=(const in_flight_slot&) = delete;
    ~in_flight_slot() { release(); }
    void release() noexcept
    {
        if (counter_)
            counter_->fetch_sub(1, std::memory_order_relaxed);
        counter_ = nullptr;
    }

private:
    std::atomic<std::size_t>* counter_;
};

} // namespace

class connection {
public:
    connection(worker& w, tcp::socket socket, net::ip::address peer, admission how)
        : worker_(w), config_(w.shared.config), limits_(config_.limits), peer_(peer), how_(how),
          stream_(std::move(socket)),
          // Only unparsed bytes stay in the buffer: at most one header, or a chunk-size
          // line or trailer still being received. Without a bound, a chunk extension or
          // trailer that never ends grows it for as long as the client sends.
          buffer_(limits_.max_header_bytes + limits_.max_body_bytes), deadline_(stream_.get_executor())
    {
    }

    net::awaitable<void> run();
    net::cancellation_slot cancellation_slot() { return cancel_.slot(); }
    const net::ip::address& peer() const noexcept { return peer_; }

    void close_if_idle()
    {
        if (idle_)
            stream_.close();
    }

    // Grace period over: whatever the connection awaits (a read, a write, the handler)
    // is cancelled, and the socket closed.
    void force_close()
    {
        cancel_.emit(net::cancellation_type::terminal);
        stream_.close();
    }

private:
    // What was being read; `request_line` is the header of a request whose request line
    // has not ended, or has a target over its limit.
    enum class read_phase { request_line, header, body };

    // Serves one request; false when the connection is to end.
    net::awaitable<bool> serve_request();
    // Waits for the first byte of the next request, then starts its read deadline.
    net::awaitable<bool> await_request();
    // Refusals decided on the header alone, whatever the route.
    std::optional<canonical::problem> check_request(const request_parser& parser) const;
    net::awaitable<bool> route_request(request_parser& parser, std::string_view request_id);
    // The reply of a built-in GET endpoint; none when its service is missing.
    std::optional<response> builtin_reply(endpoint kind, unsigned version, std::string_view request_id);
    net::awaitable<bool> serve_invite(request_parser& parser, const route_match& match,
                                      std::string_view request_id);
    // Authentication, route permission, media type and declared length.
    std::optional<response> invite_refusal(const request_parser& parser, const config::route_config& route,
                                           const config::client_config* client, std::string_view request_id);
    // False when the body could not be read (answered here when a reply is possible).
    net::awaitable<bool> read_body(request_parser& parser, std::string_view request_id);
    net::awaitable<bool> run_handler(request_parser& parser, const route_match& match,
                                     const config::client_config& client, std::string_view request_id);
    // The reply to send for what the handler returned (500 when it failed).
    response handler_response(handler_reply& reply, const std::string& failure, bool cancelled, unsigned version,
                              std::string_view request_id);
    // After a failed read of a request: answers it when a reply can say why. Always false.
    net::awaitable<bool> answer_read_error(beast::error_code ec, read_phase phase, unsigned version,
                                           std::string_view request_id);
    // Writes `res`; keeps the connection when `keep_alive` and not stopping, else closes
    // it (lingering when request bytes may be left unread).
    net::awaitable<bool> send(response& res, bool keep_alive, bool unread_input);
    net::awaitable<bool> serve_admin_reload(request_parser& parser, std::string_view request_id);
    // Counts and logs a reply on an invite route (see request_).
    void record(unsigned status);

    // The read deadline of a request. Not the stream's own timeout, which closes the
    // socket when it fires: this one only cancels the read, so that a 408 can still go out.
    void arm_deadline(clock::time_point at);
    void disarm_deadline() noexcept;

    bool stopping() const noexcept
    {
        return worker_.draining || worker_.shared.stopping.load(std::memory_order_relaxed);
    }

    worker& worker_;
    const config::gateway_config& config_; // for the limits, which only a restart changes
    const config::limits_config& limits_;
    const net::ip::address peer_;
    const admission how_;
    const clock::time_point accepted_ = clock::now();
    // The config this request is served with (routes, clients, mappings, version).
    std::shared_ptr<const mapping::compiled_config> snapshot_;
    // About the request being served on an invite route, for metrics and the log line.
    struct invite_request_info {
        std::string_view route;  // empty: not an invite route
        std::string_view client;
        std::string_view request_id;
        clock::time_point start;
        request_stats stats;
    } request_;
    std::string target_; // the request's target in origin-form
    bool head_ = false;  // the request is a HEAD: replies go without their body
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    net::steady_timer deadline_;
    std::uint64_t deadline_generation_ = 0; // a fired deadline of an earlier request is stale
    bool timed_out_ = false;
    bool first_request_ = true;
    net::cancellation_signal cancel_; // outlives run(): the co_spawn completion handler owns us
    bool idle_ = false;               // waiting for the first byte of a request
};

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
    while (co_await serve_request()) {
    }
    disarm_deadline();
}

void connection::arm_deadline(clock::time_point at)
{
    timed_out_ = false;
    deadline_.expires_at(at);
    // The generation, not only the error code, tells a stale expiry: one that fired just
    // as the read completed is already queued when the next request disarms it.
    deadline_.async_wait([this, generation = ++deadline_generation_](beast::error_code ec) {
        if (ec || generation != deadline_generation_)
            return;
        timed_out_ = true;
        beast::error_code ignored;
        stream_.socket().cancel(ignored);
    });
}

void connection::disarm_deadline() noexcept
{
    ++deadline_generation_;
    deadline_.cancel();
}

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
            stream_.expires_at(first_deadline);
        else
            stream_.expires_after(limits_.idle_timeout);
        auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(read_chunk(buffer_)), use_tuple);
        idle_ = false;
        if (ec)
            co_return false; // closed by the client, idle timeout, or drained
        buffer_.commit(n);
    }
    stream_.expires_never();
    arm_deadline(first_request_ ? first_deadline : clock::now() + limits_.read_timeout);
    first_request_ = false;
    co_return true;
}

net::awaitable<bool> connection::serve_request()
{
    if (!co_await await_request())
        co_return false;
    head_ = false;
    request_parser parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits_.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(boost::none); // checked against Content-Length below, before the body
    auto [ec, n] = co_await http::async_read_header(stream_, buffer_, parser, use_tuple);
    // Every reply names the config (the first request of a connection has none yet).
    snapshot_ = worker_.current_config();
    request_ = {};
    request_.start = clock::now();
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
        for (auto [it, end] = req.equal_range(http::field::transfer_encoding); it != end; ++it)
            codings.push_back(it->value());
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
    // A connection from the probes' reserve carries one request (see probe_reserve).
    const bool keep_alive = req.keep_alive() && !body_pending && how_ == admission::full;
    const route_match match = match_route(req.method_string(), target_, snapshot_->config.routes);
    const bool probe = match.kind == endpoint::healthz || match.kind == endpoint::readyz;
    if (how_ == admission::probes_only && !(probe && match.method_allowed)) {
        auto res = make_problem(http_problem(503, "the gateway is at its connection limit; retry later"),
                                req.version(), request_id);
        res.set(http::field::retry_after, "1");
        co_return co_await send(res, false, body_pending);
    }
    const std::string_view path = std::string_view(target_).substr(0, target_.find('?'));
    if (match.kind != endpoint::not_found && !match.method_allowed) {
        auto res = make_problem(canonical::method_not_allowed_problem(req.method_string()), req.version(),
                                request_id);
        res.set(http::field::allow, match.allow);
        co_return co_await send(res, keep_alive, body_pending);
    }
    if (match.kind == endpoint::admin_reload && worker_.shared.services.reload)
        co_return co_await serve_admin_reload(parser, request_id);
    if (match.kind == endpoint::invite)
        co_return co_await serve_invite(parser, match, request_id);
    auto res = builtin_reply(match.kind, req.version(), request_id);
    if (!res)
        res = make_problem(canonical::not_found_problem(path), req.version(), request_id);
    co_return co_await send(*res, keep_alive, body_pending);
}

std::optional<response> connection::builtin_reply(endpoint kind, unsigned version, std::string_view request_id)
{
    // The probes are outside the in-flight cap: an overloaded gateway is alive and
    // should not be restarted for answering 503 to invites.
    if (kind == endpoint::healthz)
        return make_response(200, version, request_id, "application/json", status_body("ok"));
    if (kind == endpoint::readyz) {
        if (!worker_.shared.listening.load(std::memory_order_relaxed) || stopping())
            return make_problem(http_problem(503, "the gateway is shutting down"), version, request_id);
        std::string body;
        json::writer(body).begin_object().member("status", "ready").member("config_version", snapshot_->version).end_object();
        return make_response(200, version, request_id, "application/json", std::move(body));
    }
    if (kind == endpoint::metrics && worker_.shared.services.metrics) {
        std::string body;
        worker_.shared.services.metrics->write_prometheus(body);
        return make_response(200, version, request_id, "text/plain; version=0.0.4; charset=utf-8", std::move(body));
    }
    if (kind == endpoint::openapi && !worker_.shared.services.openapi.empty())
        return make_response(200, version, request_id, "application/json", std::string(worker_.shared.services.openapi));
    return std::nullopt;
}

net::awaitable<bool> connection::serve_admin_reload(request_parser& parser, std::string_view request_id)
{
    auto& req = parser.get();
    const bool body_pending = !parser.is_done();
    const bool keep_alive = req.keep_alive() && !body_pending;
    const std::string_view authorization = req[http::field::authorization];
    const auto token = bearer_token(authorization);
    const config::client_config* client = token ? find_client_by_key(*token, snapshot_->config.clients) : nullptr;
    if (!client) {
        auto res = make_problem(canonical::unauthorized_problem(), req.version(), request_id);
        res.set(http::field::www_authenticate, R"(Bearer realm="invitegw")");
        co_return co_await send(res, keep_alive, body_pending);
    }
    if (!client->admin) {
        auto res = make_problem(canonical::forbidden_problem("/admin/reload"), req.version(), request_id);
        co_return co_await send(res, keep_alive, body_pending);
    }
    disarm_deadline();
    // Loading reads and compiles files: a few milliseconds on this worker, for an
    // operator's rare request.
    const reload_outcome outcome = worker_.shared.services.reload();
    std::string body;
    json::writer w(body);
    w.begin_object().member("reloaded", outcome.reloaded).member("config_version", outcome.version);
    w.key("errors").begin_array();
    for (const auto& error : outcome.errors)
        w.string(error);
    w.end_array().key("notes").begin_array();
    for (const auto& note : outcome.notes)
        w.string(note);
    w.end_array().end_object();
    auto res = make_response(outcome.reloaded ? 200 : 422, req.version(), request_id, "application/json", std::move(body));
    // The reply names the config now served.
    snapshot_ = worker_.current_config();
    co_return co_await send(res, keep_alive, body_pending);
}

void connection::record(unsigned status)
{
    const auto elapsed = clock::now() - request_.start;
    if (auto* cells = worker_.route_metrics(request_.route)) {
        cells->by_status[std::min<unsigned>(status, cells->by_status.size() - 1)].add();
        cells->duration.observe(elapsed);
    }
    if (!config_.log.requests)
        return;
    const request_stats& stats = request_.stats;
    telemetry::log(status >= 500 ? telemetry::log_level::warn : telemetry::log_level::info, "request",
                   {{"request_id", request_.request_id},
                    {"route", request_.route},
                    {"client", request_.client},
                    {"status", status},
                    {"duration_ms", std::chrono::duration<double, std::milli>(elapsed).count()},
                    {"invitations", stats.invitations},
                    {"targets", stats.targets},
                    {"calls", stats.calls},
                    {"invited", stats.invited},
                    {"failed", stats.failed},
                    {"unknown", stats.unknown},
                    {"trace_id", stats.trace_id},
                    {"config_version", snapshot_->version}});
}

std::optional<response> connection::invite_refusal(const request_parser& parser, const config::route_config& route,
                                                   const config::client_config* client, std::string_view request_id)
{
    const auto& req = parser.get();
    const unsigned version = req.version();
    if (!client) {
        auto res = make_problem(canonical::unauthorized_problem(), version, request_id);
        res.set(http::field::www_authenticate, req[http::field::authorization].empty()
                                                   ? R"(Bearer realm="invitegw")"
                                                   : R"(Bearer realm="invitegw", error="invalid_token")");
        return res;
    }
    if (!client_may_use_route(*client, route.path))
        return make_problem(canonical::forbidden_problem(route.path), version, request_id);
    if (!is_json_media_type(req[http::field::content_type]))
        return make_problem(canonical::unsupported_media_type_problem(req[http::field::content_type]), version,
                            request_id);
    // Answered before the body is sent (the client may be waiting for 100 Continue).
    if (const auto length = parser.content_length(); length && *length > limits_.max_body_bytes)
        return make_problem(canonical::payload_too_large_problem(limits_.max_body_bytes), version, request_id);
    return std::nullopt;
}

net::awaitable<bool> connection::serve_invite(request_parser& parser, const route_match& match,
                                              std::string_view request_id)
{
    auto& req = parser.get();
    const bool body_pending = !parser.is_done();
    const auto& route = snapshot_->config.routes[match.route_index];
    request_.route = route.path;
    request_.request_id = request_id;
    const auto token = bearer_token(req[http::field::authorization]);
    const config::client_config* client = token ? find_client_by_key(*token, snapshot_->config.clients) : nullptr;
    if (client)
        request_.client = client->name;
    if (auto refusal = invite_refusal(parser, route, client, request_id)) {
        // Decided on the header alone; the body, if any, is not read, so the connection
        // cannot carry another request after it.
        co_return co_await send(*refusal, req.keep_alive() && !body_pending, body_pending);
    }
    if (body_pending && !co_await read_body(parser, request_id))
        co_return false;
    if (req.body().capacity() < req.body().size() + body_padding)
        req.body().reserve(req.body().size() + body_padding);
    co_return co_await run_handler(parser, match, *client, request_id);
}

net::awaitable<bool> connection::read_body(request_parser& parser, std::string_view request_id)
{
    auto& req = parser.get();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
        http::response<http::empty_body> go_on{http::status::continue_, req.version()};
        auto [ec, n] = co_await http::async_write(stream_, go_on, use_tuple);
        if (ec)
            co_return co_await answer_read_error(ec, read_phase::body, req.version(), request_id);
    }
    parser.body_limit(limits_.max_body_bytes); // also ends chunked bodies at the limit
    const auto length = parser.content_length();
    req.body().reserve((length ? *length : 0) + body_padding);
    auto [ec, n] = co_await http::async_read(stream_, buffer_, parser, use_tuple);
    if (ec)
        co_return co_await answer_read_error(ec, read_phase::body, req.version(), request_id);
    disarm_deadline();
    co_return true;
}

net::awaitable<bool> connection::answer_read_error(beast::error_code ec, read_phase phase, unsigned version,
                                                   std::string_view request_id)
{
    const bool over_limit = ec == http::error::header_limit || ec == http::error::buffer_overflow ||
                            ec == http::error::body_limit;
    std::optional<canonical::problem> problem;
    if (timed_out_)
        problem = http_problem(408, "the request was not received within the read timeout of " +
                                        std::to_string(limits_.read_timeout.count()) + " ms");
    else if (over_limit && phase == read_phase::body)
        // Chunk extensions and trailers count here too: they end at the buffer's bound.
        problem = canonical::payload_too_large_problem(limits_.max_body_bytes);
    else if (over_limit && phase == read_phase::request_line)
        problem = http_problem(414, "the request line is longer than the header limit of " +
                                        std::to_string(limits_.max_header_bytes) + " bytes");
    else if (over_limit)
        problem = http_problem(431, "the request header is larger than the limit of " +
                                        std::to_string(limits_.max_header_bytes) + " bytes");
    else if (is_bad_request(ec))
        problem = http_problem(400, "malformed HTTP request: " + ec.message());
    if (!problem) {
        // The client went away: nothing to answer, but an invite it had started is still
        // counted and logged. (Aborted: the connection was closed by a shutdown.)
        if (!request_.route.empty() && ec != net::error::operation_aborted)
            record(client_closed_status);
        request_.route = {};
        co_return false;
    }
    auto res = make_problem(*problem, version, request_id);
    co_await send(res, false, true);
    co_return false;
}

net::awaitable<bool> connection::run_handler(request_parser& parser, const route_match& match,
                                             const config::client_config& client, std::string_view request_id)
{
    auto& req = parser.get();
    const unsigned version = req.version();
    disarm_deadline();
    // The slot is taken only once the body is in: the cap is about work the gateway
    // does, and slots held while clients upload slowly would refuse every other invite.
    // Past the cap a request is refused at once: queueing it would only add latency to
    // everything behind it while the client's own timeout runs.
    auto& in_flight = worker_.shared.in_flight;
    if (in_flight.fetch_add(1, std::memory_order_relaxed) >= limits_.max_in_flight_requests) {
        in_flight.fetch_sub(1, std::memory_order_relaxed);
        auto res = make_problem(canonical::overloaded_problem(), version, request_id);
        res.set(http::field::retry_after, "1");
        co_return co_await send(res, req.keep_alive(), false);
    }
    in_flight_slot slot(in_flight);
    if (worker_.metrics)
        worker_.metrics->in_flight.add(1);
    struct in_flight_gauge {
        telemetry::thread_metrics* metrics;
        ~in_flight_gauge() { release(); }
        void release() noexcept
        {
            if (metrics)
                metrics->in_flight.add(-1);
            metrics = nullptr;
        }
    } gauge{worker_.metrics};

    handler_request request{match.route_index, &client, request_id, target_, req.body(),
                            clock::now() + limits_.request_timeout, snapshot_, req["traceparent"]};
    handler_reply reply;
    std::string failure;
    try {
        reply = co_await worker_.handler->handle(request);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    // Before the reply leaves: a client that scrapes /metrics once it has its answer
    // must not see its own request still in flight.
    slot.release();
    gauge.release();

    const auto state = co_await net::this_coro::cancellation_state;
    response res = handler_response(reply, failure, state.cancelled() != net::cancellation_type::none, version,
                                    request_id);
    co_return co_await send(res, req.keep_alive(), false);
}

response connection::handler_response(handler_reply& reply, const std::string& failure, bool cancelled,
                                      unsigned version, std::string_view request_id)
{
    if (!failure.empty() || reply.status < 200 || reply.status > 599) {
        if (!cancelled)
            log_error("invite handler failed (request " + std::string(request_id) +
                      "): " + (failure.empty() ? "status " + std::to_string(reply.status) : failure));
        return make_problem(http_problem(500, "the request could not be processed"), version, request_id);
    }
    response res{static_cast<http::status>(reply.status), version};
    for (const auto& [name, value] : reply.headers)
        res.set(name, value);
    res.set(http::field::content_type, reply.content_type);
    res.set("X-Request-Id", request_id);
    res.erase(http::field::transfer_encoding);
    res.body() = std::move(reply.body);
    request_.stats = std::move(reply.stats);
    return res;
}

net::awaitable<bool> connection::send(response& res, bool keep_alive, bool unread_input)
{
    disarm_deadline();
    res.set(http::field::date, http_date());
    if (snapshot_)
        res.set("X-Config-Version", snapshot_->version);
    if (!request_.route.empty()) {
        record(res.result_int());
        request_.route = {};
    }
    res.keep_alive(keep_alive && !stopping());
    res.prepare_payload();
    // A client that does not read its reply is as slow as one that does not send.
    stream_.expires_after(limits_.read_timeout);
    beast::error_code ec;
    if (head_) {
        // The reply to a HEAD is the GET's header, Content-Length included, alone.
        http::response_serializer<http::string_body> serializer{res};
        std::tie(ec, std::ignore) = co_await http::async_write_header(stream_, serializer, use_tuple);
    } else {
        std::tie(ec, std::ignore) = co_await http::async_write(stream_, res, use_tuple);
    }
    if (ec)
        co_return false;
    if (res.keep_alive())
        co_return true;
    if (unread_input || buffer_.size() > 0) {
        co_await lingering_close(stream_, buffer_, limits_.read_timeout,
                                 limits_.max_body_bytes + limits_.max_header_bytes);
    } else {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.close();
    }
    co_return false;
}

void serve_connection(worker& w, tcp::socket socket, net::ip::address peer, admission how)
{
    auto c = std::make_shared<connection>(w, std::move(socket), peer, how);
    auto slot = c->cancellation_slot();
    net::co_spawn(w.ioc, c->run(),
                  net::bind_cancellation_slot(slot, [c, &w](std::exception_ptr e) {
                      log_unexpected(e, "connection");
                      w.shared.connections.fetch_sub(1, std::memory_order_relaxed);
                      w.shared.peers.remove(c->peer());
                      w.connection_done();
                  }));
}

namespace {

net::awaitable<void> refuse(shared_state& shared, beast::tcp_stream stream, std::string why)
{
    auto res = make_problem(http_problem(503, why), 11, generate_request_id());
    res.set(http::field::retry_after, "1");
    res.set(http::field::date, http_date());
    res.set("X-Config-Version", shared.configs->current()->version);
    res.keep_alive(false);
    res.prepare_payload();
    stream.expires_after(std::min(shared.config.limits.read_timeout, max_linger));
    auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
    beast::flat_buffer buffer;
    if (!ec)
        co_await lingering_close(stream, buffer, shared.config.limits.read_timeout,
                                 shared.config.limits.max_header_bytes + shared.config.limits.max_body_bytes);
}

} // namespace

void refuse_connection(shared_state& shared, tcp::socket socket, std::string_view why)
{
    if (shared.refusing.fetch_add(1, std::memory_order_relaxed) >= max_refusing) {
        shared.refusing.fetch_sub(1, std::memory_order_relaxed);
        return; // the socket closes here
    }
    auto executor = socket.get_executor();
    net::co_spawn(executor, refuse(shared, beast::tcp_stream(std::move(socket)), std::string(why)), [&shared](std::exception_ptr e) {
        log_unexpected(e, "refused connection");
        shared.refusing.fetch_sub(1, std::memory_order_relaxed);
    });
}

} // namespace igw::server::detail
