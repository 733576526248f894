// GET /v1/requests/{id}, GET /v1/jobs/{id} and POST /v1/requests/{id}/reconcile: the
// client authenticates as on an invite route, and the invite handler (which owns the
// ledger) answers with what it recorded.
#include "gateway/server/connection.hpp"

#include <exception>

#include <boost/asio/this_coro.hpp>

#include "gateway/server/client_auth.hpp"

namespace igw::server::detail {

namespace net = boost::asio;
namespace http = boost::beast::http;

net::awaitable<bool> connection::serve_lookup(request_parser& parser, const route_match& match,
                                              std::string_view request_id)
{
    const auto& req = parser.get();
    const bool body_pending = !parser.is_done();
    const bool keep_alive = req.keep_alive() && !body_pending && how_ == admission::full;
    const config::client_config* client = authenticate(req[http::field::authorization], client_cn_,
                                                       snapshot_->config.clients);
    if (!client) {
        auto res = make_unauthorized(req[http::field::authorization], req.version(), request_id);
        co_return co_await send(res, keep_alive, body_pending);
    }
    disarm_deadline(); // the ledger's time, not the client's
    lookup_request lookup{client,
                          request_id,
                          match.resource_id,
                          snapshot_,
                          match.kind == endpoint::job_lookup,
                          {},
                          match.kind == endpoint::reconcile};
    if (const auto query = target_.find('?'); query != std::string::npos)
        lookup.query = std::string_view(target_).substr(query + 1);
    handler_reply reply;
    std::string failure;
    try {
        // Not `c ? co_await a : co_await b`: GCC 12 miscompiles co_await inside a
        // conditional expression (the result is read from a destroyed temporary).
        if (lookup.reconcile)
            reply = co_await worker_.handler->reconcile(lookup);
        else
            reply = co_await worker_.handler->lookup(lookup);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    const auto state = co_await net::this_coro::cancellation_state;
    if (state.cancelled() != net::cancellation_type::none)
        co_return false;
    reply.request_id.clear(); // a lookup answers with its own id
    response res = handler_response(reply, failure, req.version(), request_id);
    co_return co_await send(res, keep_alive, body_pending);
}

} // namespace igw::server::detail
