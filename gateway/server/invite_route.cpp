// An invite on a configured route, from its header to its reply: the refusals decided
// on the header, the body, admission into the in-flight cap, the handler, and the
// request record, which every way out writes exactly once.
#include "gateway/server/connection.hpp"

#include <exception>

#include <boost/asio/this_coro.hpp>

#include "gateway/canonical/problems.hpp"
#include "gateway/net/ows.hpp"
#include "gateway/server/admission.hpp"
#include "gateway/server/client_auth.hpp"
#include "gateway/server/media_type.hpp"

namespace igw::server::detail {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;

// Prefer (RFC 7240): a comma-separated list of preferences, each a token with optional
// parameters; the header may be repeated. Tokens are case-insensitive.
bool prefers_respond_async(const request_message& req)
{
    bool found = false;
    req.for_each("Prefer", [&found](std::string_view list) {
        while (!list.empty() && !found) {
            const std::size_t comma = list.find(',');
            std::string_view preference = list.substr(0, comma);
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
            preference = preference.substr(0, preference.find_first_of(";="));
            found = boost::beast::iequals(net_text::trim_ows(preference), "respond-async");
        }
    });
    return found;
}

} // namespace

net::awaitable<bool> connection::serve_invite(request_parser& parser, const route_match& match,
                                              std::string_view request_id)
{
    record_.open(snapshot_->config.routes[match.route_index].path, request_id);
    rate_limit_policy_.clear();
    rate_limit_.clear();
    bool keep = false;
    std::exception_ptr cut_off;
    try {
        keep = co_await invite_exchange(parser, match, request_id);
    } catch (...) {
        // Mostly a shutdown past its grace period: once the connection's coroutine is
        // cancelled, its next co_await throws operation_aborted. Rethrown below.
        cut_off = std::current_exception();
    }
    // Still pending: the invite ended without a reply, because the client went away or
    // a shutdown cut it off. The attempt is still counted and logged.
    record_request(client_closed_status);
    rate_limit_.clear(); // not for the next request's replies, whatever it is
    if (cut_off)
        std::rethrow_exception(cut_off);
    co_return keep;
}

void connection::record_request(unsigned status)
{
    if (record_.pending())
        record_.write(status, worker_.route_metrics(record_.route()), config_.log.requests, snapshot_->version);
}

net::awaitable<bool> connection::invite_exchange(request_parser& parser, const route_match& match,
                                                 std::string_view request_id)
{
    auto& req = parser.get();
    const bool body_pending = !parser.is_done();
    const auto& route = snapshot_->config.routes[match.route_index];
    respond_async_ = prefers_respond_async(req);
    body_limit_ = respond_async_ ? limits_.max_async_body_bytes : limits_.max_body_bytes;
    const config::client_config* client = authenticate(req[http::field::authorization], client_cn_,
                                                       snapshot_->config.clients);
    if (client)
        record_.set_client(client->name);
    if (auto refusal = invite_refusal(parser, route, client, request_id)) {
        // Decided on the header alone; the body, if any, is not read, so the connection
        // cannot carry another request after it.
        record_request(refusal->status());
        co_return co_await send(*refusal, req.keep_alive() && !body_pending, body_pending);
    }
    if (body_pending && !co_await read_body(parser, request_id))
        co_return false;
    if (req.body().capacity() < req.body().size() + body_padding)
        req.body().reserve(req.body().size() + body_padding);
    co_return co_await run_handler(parser, match, *client, request_id);
}

std::optional<response> connection::invite_refusal(const request_parser& parser, const config::route_config& route,
                                                   const config::client_config* client, std::string_view request_id)
{
    const auto& req = parser.get();
    const unsigned version = req.version();
    if (!client)
        return make_unauthorized(req[http::field::authorization], version, request_id);
    // Every authenticated invite counts, whatever becomes of it.
    if (client->rate) {
        const auto verdict = worker_.shared.client_rates.admit(client->name, *client->rate, clock::now());
        set_rate_limit_fields(*client->rate, verdict);
        if (!verdict.admitted) {
            const auto seconds = static_cast<unsigned>(verdict.retry_after.count());
            auto res = make_problem(canonical::rate_limited_problem(client->name, seconds), version, request_id);
            res.set("Retry-After", std::to_string(seconds));
            return res;
        }
    }
    if (!client_may_use_route(*client, route.path))
        return make_problem(canonical::forbidden_problem(route.path), version, request_id);
    if (!is_json_media_type(req[http::field::content_type]))
        return make_problem(canonical::unsupported_media_type_problem(req[http::field::content_type]), version,
                            request_id);
    // Answered before the body is sent (the client may be waiting for 100 Continue).
    if (const auto length = parser.content_length(); length && *length > body_limit_)
        return make_problem(canonical::payload_too_large_problem(body_limit_), version, request_id);
    return std::nullopt;
}

// The IETF httpapi RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-10,
// structured-field form): the client's policy, and where it stands after this request.
void connection::set_rate_limit_fields(const config::rate_config& rate, const resilience::client_admission& verdict)
{
    const auto window = std::chrono::duration_cast<std::chrono::seconds>(rate.per).count();
    rate_limit_policy_ = "\"default\";q=" + std::to_string(rate.requests) + ";w=" + std::to_string(window);
    rate_limit_ = "\"default\";r=" + std::to_string(verdict.remaining) + ";t=" + std::to_string(verdict.reset.count());
}

// GCC 12 at -O2 pairs this coroutine's frame allocation (Asio's awaitable_frame_base
// operator new) with the wrong delete and warns; both are Asio's matching pair (a known
// GCC coroutine false positive, as in dispatch/fan_out.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

net::awaitable<bool> connection::run_handler(request_parser& parser, const route_match& match,
                                             const config::client_config& client, std::string_view request_id)
{
    auto& req = parser.get();
    const unsigned version = req.version();
    disarm_deadline();
    // The slot is taken only once the body is in: the cap is about work the gateway
    // does, and slots held while clients upload slowly would refuse every other invite.
    auto slot = in_flight_slot::try_take(worker_.shared.in_flight, limits_.max_in_flight_requests, worker_.metrics);
    if (!slot) {
        auto res = make_problem(canonical::overloaded_problem(), version, request_id);
        res.set("Retry-After", "1");
        record_request(res.status());
        co_return co_await send(res, req.keep_alive(), false);
    }

    handler_request request{match.route_index,
                            &client,
                            request_id,
                            target_,
                            req.body(),
                            clock::now() + limits_.request_timeout,
                            snapshot_,
                            req["traceparent"],
                            req.count("Idempotency-Key"),
                            req["Idempotency-Key"],
                            respond_async_};
    handler_reply reply;
    std::string failure;
    // A shutdown past its grace period cancels the handler's calls (force_close), and the
    // handler must still merge what it has, record it and return it: its awaits report
    // the cancellation as an error instead of throwing it. The reply then goes out, and
    // the connection closes after it (the server is stopping).
    co_await net::this_coro::throw_if_cancelled(false);
    handling_ = true;
    try {
        reply = co_await worker_.handler->handle(request);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    handling_ = false;
    co_await net::this_coro::reset_cancellation_state();
    co_await net::this_coro::throw_if_cancelled(true);
    // Before the reply leaves: a client that scrapes /metrics once it has its answer
    // must not see its own request still in flight.
    slot->release();

    if (handler_succeeded(reply, failure))
        record_.set_stats(std::move(reply.stats));
    response res = handler_response(reply, failure, version, request_id);
    record_request(res.status());
    co_return co_await send(res, req.keep_alive(), false);
}

#pragma GCC diagnostic pop

} // namespace igw::server::detail
