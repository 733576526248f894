#include "gateway/canonical/problems.hpp"

#include <string>
#include <utility>

namespace igw::canonical {
namespace {

problem make(unsigned status, std::string_view type, std::string_view title, std::string detail)
{
    problem p;
    p.status = status;
    p.type = type;
    p.title = title;
    p.detail = std::move(detail);
    return p;
}

// Values echoed from a request (a path, a method, a media type) are the client's own
// bytes: cut them short so that a hostile one cannot blow up the reply. The cut backs
// off to a UTF-8 character boundary; the writer escapes whatever is left.
std::string excerpt(std::string_view text)
{
    constexpr std::size_t limit = 128;
    if (text.size() <= limit)
        return std::string(text);
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        --cut;
    return std::string(text.substr(0, cut)) + "...";
}

std::string_view reason_phrase(unsigned status) noexcept
{
    switch (status) {
    case 400: return "Bad Request";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

} // namespace

problem malformed_json_problem(std::string detail)
{
    problem p = make(400, problem_type::malformed_json, "Malformed JSON", detail);
    p.errors.push_back({"", std::move(detail)});
    return p;
}

problem invalid_request_problem(std::vector<problem_error> errors, std::size_t total)
{
    if (total < errors.size())
        total = errors.size();
    std::string detail = std::to_string(total) + (total == 1 ? " problem" : " problems") + " in the request";
    problem p = make(422, problem_type::invalid_request, "Invalid request", std::move(detail));
    p.errors = std::move(errors);
    return p;
}

problem payload_too_large_problem(std::size_t limit)
{
    return make(413, problem_type::payload_too_large, "Payload too large",
                "the request body is larger than the limit of " + std::to_string(limit) + " bytes");
}

problem unsupported_media_type_problem(std::string_view got)
{
    std::string detail = got.empty() ? std::string("the request has no Content-Type; send application/json")
                                     : "Content-Type \"" + excerpt(got) + "\" is not supported; send application/json";
    return make(415, problem_type::unsupported_media_type, "Unsupported media type", std::move(detail));
}

problem unauthorized_problem()
{
    return make(401, problem_type::unauthorized, "Unauthorized",
                "a valid client key is required: Authorization: Bearer <key>");
}

problem forbidden_problem(std::string_view route)
{
    return make(403, problem_type::forbidden, "Forbidden",
                "this client key is not allowed to use the route \"" + excerpt(route) + "\"");
}

problem target_forbidden_problem(const std::vector<std::string>& targets, const std::vector<std::string>& allowed)
{
    const auto list = [](const std::vector<std::string>& names) {
        std::string out;
        for (const auto& name : names)
            out += (out.empty() ? "\"" : ", \"") + excerpt(name) + "\"";
        return out;
    };
    std::string detail;
    if (targets.empty())
        detail = "this client key may invite to none of this route's targets";
    else
        detail = "this client key may not invite to " + std::string(targets.size() == 1 ? "target " : "targets ") +
                 list(targets) + "; on this route it may invite to " +
                 (allowed.empty() ? std::string("none of them") : list(allowed));
    problem p = make(403, problem_type::target_forbidden, "Target not allowed", std::move(detail));
    for (const auto& target : targets)
        p.errors.push_back({"/targets", "target \"" + excerpt(target) + "\" is not allowed for this client key"});
    return p;
}

problem rate_limited_problem(std::string_view client, unsigned retry_after_seconds)
{
    return make(429, problem_type::rate_limited, "Too many requests",
                "client \"" + excerpt(client) + "\" is over its request rate; retry in " +
                    std::to_string(retry_after_seconds) + (retry_after_seconds == 1 ? " second" : " seconds"));
}

problem not_found_problem(std::string_view path)
{
    return make(404, problem_type::not_found, "Not found", "no route serves the path \"" + excerpt(path) + "\"");
}

problem method_not_allowed_problem(std::string_view method)
{
    return make(405, problem_type::method_not_allowed, "Method not allowed",
                "the method \"" + excerpt(method) + "\" is not allowed on this path");
}

problem overloaded_problem()
{
    return make(503, problem_type::overloaded, "Overloaded", "the gateway is handling too many requests; retry later");
}

problem idempotency_key_invalid_problem(std::string_view why)
{
    return make(400, problem_type::idempotency_key_invalid, "Invalid Idempotency-Key", std::string(why));
}

problem idempotency_key_required_problem(std::string_view route)
{
    return make(400, problem_type::idempotency_key_required, "Idempotency-Key required",
                "route " + excerpt(route) + " requires an Idempotency-Key header (1 to 255 printable characters)");
}

problem idempotency_key_reused_problem()
{
    return make(422, problem_type::idempotency_key_reused, "Idempotency-Key reused",
                "this Idempotency-Key was used for a different request; use a new key for a new request");
}

problem idempotency_key_in_use_problem(std::string_view request_id)
{
    return make(409, problem_type::idempotency_key_in_use, "Idempotency-Key in use",
                "the request with this Idempotency-Key (request " + excerpt(request_id) +
                    ") is still running; retry later for its reply");
}

problem request_id_in_use_problem(std::string_view request_id)
{
    return make(409, problem_type::request_id_in_use, "Request id in use",
                "X-Request-Id " + excerpt(request_id) +
                    " already names another recorded request; send a new X-Request-Id, or none");
}

problem ledger_unavailable_problem(std::string_view what)
{
    return make(503, problem_type::ledger_unavailable, "Ledger unavailable", std::string(what));
}

problem http_problem(unsigned status, std::string_view detail)
{
    return make(status, "about:blank", reason_phrase(status), std::string(detail));
}

} // namespace igw::canonical
