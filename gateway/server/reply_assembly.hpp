#pragma once
// Reply assembly: the HTTP reply for a problem, a built-in endpoint's plain reply or
// what the invite handler returned. For the connection's own sources only.

#include <string>
#include <string_view>

#include "gateway/canonical/problem.hpp"
#include "gateway/server/builtin_endpoints.hpp"
#include "gateway/server/invite_handler.hpp"

namespace igw::server::detail {

// The fields the connection writes into every reply as it sends it (reply_write.cpp):
// framing (Content-Length, Transfer-Encoding, Connection), Date, X-Config-Version and the
// RateLimit pair. Whoever assembles a reply cannot set them.
bool server_owned_field(std::string_view name) noexcept;

// A reply on its way out: its status, its header fields as the wire carries them, and its
// body. The fields are one flat text ("Name: value\r\n" lines) rather than a node per field:
// a reply holds a handful, and the connection writes them out as they are, beside the
// status line and the body, in one gathered write (reply_write.cpp).
class response {
public:
    response(unsigned status, unsigned version);

    unsigned status() const noexcept { return status_; }
    unsigned version() const noexcept { return version_; }
    // Sets a field, replacing any of the same name (compared case-insensitively). A value
    // with CR, LF or NUL in it would end the field early and smuggle in another: it is
    // left out (the reply goes without that field) rather than sent. The fields the
    // connection writes itself (server_owned_field) are never set here.
    void set(std::string_view name, std::string_view value);
    // Removes every field of that name.
    void erase(std::string_view name);
    // The value of the first field of that name; empty when there is none.
    std::string_view operator[](std::string_view name) const noexcept;
    const std::string& fields() const noexcept { return fields_; }
    std::string& body() noexcept { return body_; }
    const std::string& body() const noexcept { return body_; }

private:
    // Where the line of the field `name` starts in fields_, or npos.
    std::size_t find(std::string_view name, std::size_t from = 0) const noexcept;

    unsigned status_;
    unsigned version_;
    std::string fields_;
    std::string body_;
};

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
