// Answering a request that could not be read: 408 past the read deadline, 413/414/431
// past a limit, 400 when malformed; nothing when the client went away.
#include "gateway/server/connection.hpp"

#include <boost/beast/http/error.hpp>

#include "gateway/canonical/problems.hpp"

namespace igw::server::detail {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using canonical::http_problem;

// Malformed requests (as opposed to a peer that went away or a timeout).
bool is_bad_request(const beast::error_code& ec) noexcept
{
    return ec.category() == http::make_error_code(http::error::bad_method).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
}

} // namespace

std::optional<canonical::problem> connection::read_error_problem(const beast::error_code& ec, read_phase phase) const
{
    const bool over_limit = ec == http::error::header_limit || ec == http::error::buffer_overflow ||
                            ec == http::error::body_limit;
    if (timed_out_)
        return http_problem(408, "the request was not received within the read timeout of " +
                                     std::to_string(limits_.read_timeout.count()) + " ms");
    if (over_limit && phase == read_phase::body)
        // Chunk extensions and trailers count here too: they end at the buffer's bound.
        return canonical::payload_too_large_problem(body_limit_);
    if (over_limit && phase == read_phase::request_line)
        return http_problem(414, "the request line is longer than the header limit of " +
                                     std::to_string(limits_.max_header_bytes) + " bytes");
    if (over_limit)
        return http_problem(431, "the request header is larger than the limit of " +
                                     std::to_string(limits_.max_header_bytes) + " bytes");
    if (is_bad_request(ec))
        return http_problem(400, "malformed HTTP request: " + ec.message());
    return std::nullopt;
}

net::awaitable<bool> connection::answer_read_error(beast::error_code ec, read_phase phase, unsigned version,
                                                   std::string_view request_id)
{
    // None: the client went away, or a shutdown closed the connection. An invite it had
    // started is recorded as such by serve_invite().
    const std::optional<canonical::problem> problem = read_error_problem(ec, phase);
    if (!problem)
        co_return false;
    auto res = make_problem(*problem, version, request_id);
    record_request(res.status());
    co_await send(res, false, true);
    co_return false;
}

} // namespace igw::server::detail
