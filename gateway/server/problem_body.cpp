#include "gateway/server/problem_body.hpp"

#include "gateway/json/writer.hpp"

namespace igw::server::detail {
namespace {

std::string_view reason_phrase(unsigned status) noexcept
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

} // namespace

canonical::problem http_problem(unsigned status, std::string_view detail)
{
    canonical::problem p;
    p.status = status;
    p.type = "about:blank";
    p.title = reason_phrase(status);
    p.detail = detail;
    return p;
}

void write_problem_body(const canonical::problem& p, std::string& out)
{
    json::writer w(out);
    w.begin_object();
    w.member("type", p.type);
    w.member("title", p.title);
    w.member("status", p.status);
    if (!p.detail.empty())
        w.member("detail", p.detail);
    if (!p.errors.empty()) {
        w.key("errors").begin_array();
        for (const auto& e : p.errors)
            w.begin_object().member("pointer", e.pointer).member("detail", e.detail).end_object();
        w.end_array();
    }
    w.end_object();
}

} // namespace igw::server::detail
