#pragma once
// Reply assembly: the HTTP reply for a problem, a built-in endpoint's plain reply or
// what the invite handler returned. Beast: for the connection's own sources only.

#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "gateway/canonical/problem.hpp"
#include "gateway/server/builtin_endpoints.hpp"
#include "gateway/server/invite_handler.hpp"

namespace igw::server::detail {

using response = boost::beast::http::response<boost::beast::http::string_body>;

// The Date header (RFC 9110 §6.6.1), formatted once a second per thread.
std::string_view http_date();

response make_response(unsigned status, unsigned version, std::string_view request_id, std::string_view content_type,
                       std::string body);
response make_problem(const canonical::problem& p, unsigned version, std::string_view request_id);
response make_reply(plain_reply reply, unsigned version, std::string_view request_id);
// The 401 for a request whose `authorization` authenticates no client, with the
// WWW-Authenticate challenge (error="invalid_token" when a key was sent).
response make_unauthorized(std::string_view authorization, unsigned version, std::string_view request_id);

// Whether the handler's reply can be sent as it is (else the client gets a 500).
bool handler_succeeded(const handler_reply& reply, const std::string& failure) noexcept;
// The reply for what the handler returned, or a 500 (and an error in the log) when it
// threw (`failure`) or returned no valid status.
response handler_response(handler_reply& reply, const std::string& failure, unsigned version,
                          std::string_view request_id);

} // namespace igw::server::detail
