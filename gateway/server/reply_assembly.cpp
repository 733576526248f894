#include "gateway/server/reply_assembly.hpp"

#include <array>
#include <ctime>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include "gateway/canonical/problems.hpp"
#include "gateway/server/worker.hpp"

namespace igw::server::detail {

namespace http = boost::beast::http;

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

response make_response(unsigned status, unsigned version, std::string_view request_id, std::string_view content_type,
                       std::string body)
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

response make_unauthorized(std::string_view authorization, unsigned version, std::string_view request_id)
{
    response res = make_problem(canonical::unauthorized_problem(), version, request_id);
    res.set(http::field::www_authenticate,
            authorization.empty() ? R"(Bearer realm="invitegw")" : R"(Bearer realm="invitegw", error="invalid_token")");
    return res;
}

response make_reply(plain_reply reply, unsigned version, std::string_view request_id)
{
    response res = make_response(reply.status, version, request_id, reply.content_type, std::move(reply.body));
    for (const auto& [name, value] : reply.headers)
        res.set(name, value);
    return res;
}

bool handler_succeeded(const handler_reply& reply, const std::string& failure) noexcept
{
    return failure.empty() && reply.status >= 200 && reply.status <= 599;
}

response handler_response(handler_reply& reply, const std::string& failure, unsigned version,
                          std::string_view request_id)
{
    if (!handler_succeeded(reply, failure)) {
        log_error("invite handler failed (request " + std::string(request_id) +
                  "): " + (failure.empty() ? "status " + std::to_string(reply.status) : failure));
        return make_problem(canonical::http_problem(500, "the request could not be processed"), version, request_id);
    }
    response res{static_cast<http::status>(reply.status), version};
    for (const auto& [name, value] : reply.headers)
        res.set(name, value);
    res.set(http::field::content_type, reply.content_type);
    // A replay names the request it repeats.
    res.set("X-Request-Id", reply.request_id.empty() ? request_id : std::string_view(reply.request_id));
    res.erase(http::field::transfer_encoding);
    res.body() = std::move(reply.body);
    return res;
}

} // namespace igw::server::detail
