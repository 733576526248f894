#include "gateway/server/problem_body.hpp"


namespace igw::server::detail {
namespace {

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

canonical::problem http_problem(unsigned status, std::string_view detail)
{
    canonical::problem p;
    p.status = status;
    p.type = "about:blank";
    p.title = reason_phrase(status);
    p.detail = detail;
    return p;
}

} // namespace igw::server::detail
