#include "gateway/server/reply_assembly.hpp"

#include <algorithm>
#include <array>
#include <ctime>

#include <boost/beast/core/string.hpp>

#include "gateway/canonical/problems.hpp"
#include "gateway/server/worker.hpp"

namespace igw::server::detail {

namespace {

using boost::beast::iequals;

bool safe_field_text(std::string_view text) noexcept
{
    return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Room for the fields a reply usually carries besides the server's own (the type, the
// request id, a Location or Retry-After), so that it does not grow.
constexpr std::size_t usual_fields_bytes = 128;

} // namespace

bool server_owned_field(std::string_view name) noexcept
{
    constexpr std::string_view owned[] = {"Content-Length", "Transfer-Encoding", "Connection",      "Date",
                                          "X-Config-Version", "RateLimit",       "RateLimit-Policy"};
    return std::any_of(std::begin(owned), std::end(owned), [name](std::string_view o) { return iequals(o, name); });
}

response::response(unsigned status, unsigned version) : status_(status), version_(version)
{
    fields_.reserve(usual_fields_bytes);
}

std::size_t response::find(std::string_view name, std::size_t from) const noexcept
{
    // Every line is "Name: value\r\n": it is the field when it starts with the name and
    // a colon. One scan per line, for its end.
    const std::string_view fields = fields_;
    while (from < fields.size()) {
        if (fields.size() - from > name.size() && fields[from + name.size()] == ':' &&
            iequals(fields.substr(from, name.size()), name))
            return from;
        const std::size_t end = fields.find('\n', from);
        if (end == std::string_view::npos)
            break; // never: every line set() adds ends with CRLF
        from = end + 1;
    }
    return std::string::npos;
}

void response::set(std::string_view name, std::string_view value)
{
    if (server_owned_field(name))
        return;
    erase(name);
    if (name.empty() || !safe_field_text(name) || name.find(':') != std::string_view::npos || !safe_field_text(value))
        return;
    fields_.append(name).append(": ").append(value).append("\r\n");
}

void response::erase(std::string_view name)
{
    for (std::size_t at = find(name); at != std::string::npos; at = find(name, at))
        fields_.erase(at, fields_.find('\n', at) + 1 - at);
}

std::string_view response::operator[](std::string_view name) const noexcept
{
    const std::size_t at = find(name);
    if (at == std::string::npos)
        return {};
    const std::size_t start = at + name.size() + 2; // past ": "
    return std::string_view(fields_).substr(start, fields_.find("\r\n", at) - start);
}

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
    response res{status, version};
    res.set("Content-Type", content_type);
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
    res.set("WWW-Authenticate",
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
    response res{reply.status, version};
    for (const auto& [name, value] : reply.headers)
        res.set(name, value);
    res.set("Content-Type", reply.content_type);
    // A replay names the request it repeats.
    res.set("X-Request-Id", reply.request_id.empty() ? request_id : std::string_view(reply.request_id));
    res.body() = std::move(reply.body);
    return res;
}

} // namespace igw::server::detail
