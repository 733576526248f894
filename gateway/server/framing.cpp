#include "gateway/server/framing.hpp"

#include "gateway/net/ows.hpp"

#include <algorithm>
#include <vector>

#include <boost/beast/core/string.hpp>

namespace igw::server {
namespace {

using boost::beast::iequals;

constexpr auto trim = net_text::trim_ows;

// The codings of the field values, in order; empty list elements are skipped (RFC 9110
// §5.6.1), parameters kept (a coding is "name" or "name;param=value").
std::vector<std::string_view> codings(std::span<const std::string_view> values)
{
    std::vector<std::string_view> out;
    for (std::string_view value : values) {
        for (;;) {
            const auto comma = value.find(',');
            if (const auto element = trim(value.substr(0, comma)); !element.empty())
                out.push_back(element);
            if (comma == std::string_view::npos)
                break;
            value.remove_prefix(comma + 1);
        }
    }
    return out;
}

std::string_view coding_name(std::string_view coding) noexcept { return trim(coding.substr(0, coding.find(';'))); }

} // namespace

framing_check check_transfer_encoding(std::span<const std::string_view> transfer_encodings, bool has_content_length,
                                      unsigned version)
{
    if (transfer_encodings.empty())
        return {};
    if (version < 11)
        return {framing_verdict::bad_request, "Transfer-Encoding is not allowed in an HTTP/1.0 request"};
    if (has_content_length)
        return {framing_verdict::bad_request, "a request may not carry both Transfer-Encoding and Content-Length"};
    const auto list = codings(transfer_encodings);
    if (list.empty() || !iequals(list.back(), "chunked"))
        return {framing_verdict::bad_request, "the final transfer coding of a request must be chunked"};
    for (std::size_t i = 0; i + 1 < list.size(); ++i) {
        if (iequals(coding_name(list[i]), "chunked"))
            return {framing_verdict::bad_request, "chunked may be applied only once"};
    }
    if (list.size() > 1)
        return {framing_verdict::not_implemented,
                "transfer coding \"" + std::string(coding_name(list.front())) + "\" is not supported"};
    return {};
}

std::string origin_form(std::string_view target)
{
    std::size_t scheme = 0;
    if (target.size() > 7 && iequals(target.substr(0, 7), "http://"))
        scheme = 7;
    else if (target.size() > 8 && iequals(target.substr(0, 8), "https://"))
        scheme = 8;
    if (scheme == 0)
        return std::string(target);
    const std::string_view rest = target.substr(scheme);
    const auto path = rest.find_first_of("/?#");
    if (path == std::string_view::npos)
        return "/";
    std::string out(rest.substr(path));
    if (out.front() != '/')
        out.insert(out.begin(), '/');
    return out;
}

} // namespace igw::server
