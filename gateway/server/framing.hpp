#pragma once
// The request checks on message framing and the request line that Beast's parser leaves
// to its user (RFC 9112): transfer codings and absolute-form targets.

#include <span>
#include <string>
#include <string_view>

namespace igw::server {

enum class framing_verdict {
    ok,              // no Transfer-Encoding, or exactly `chunked`
    bad_request,     // 400: the body's length cannot be known safely
    not_implemented, // 501: a transfer coding the gateway does not decode
};

struct framing_check {
    framing_verdict verdict = framing_verdict::ok;
    std::string detail; // for the problem; empty when ok
};

// `transfer_encodings` are the request's Transfer-Encoding field values in order (one
// list, RFC 9110 §5.3). A request whose final coding is not `chunked` has no knowable
// length: a parser that ignores such a coding would read the body as the next request
// (RFC 9112 §6.3), so it is refused, as is Transfer-Encoding beside Content-Length or in
// HTTP/1.0 (§6.1), and `chunked` applied twice or with parameters.
framing_check check_transfer_encoding(std::span<const std::string_view> transfer_encodings, bool has_content_length,
                                      unsigned version);

// The origin-form (path and query) of an absolute-form target (RFC 9112 §3.2.2:
// "http://host/v1/x?q" -> "/v1/x?q"); any other target unchanged.
std::string origin_form(std::string_view target);

} // namespace igw::server
