#pragma once
// How a call to a vendor failed, in a header of its own (no Asio) so that the rules
// turning a failure into an item's outcome (mapping/outcome.hpp) can name it without
// depending on the client.

#include <string_view>

namespace igw::upstream {

// How a call failed, worded for the caller's one real question: could the upstream
// have acted on the request (`unknown`) or certainly not (`failed`)?
enum class failure {
    none,
    connect_failed,      // DNS, TCP connect, TLS setup or the TLS handshake failed:
                         // nothing was sent (connect_step says which)
    timeout_before_send, // the deadline passed before the request was written (waiting
                         // for a pooled connection, resolving, connecting, handshaking)
    timeout_after_send,  // the request was (possibly partly) sent, no complete reply in time
    connection_lost,     // closed/reset after the request was (possibly partly) sent,
                         // before a complete reply
    bad_reply,           // unparsable HTTP, or a reply larger than the limit
    invalid_request,     // the request itself cannot be sent (CR/LF in a header, bad
                         // method...): nothing was sent; a bug in the caller or its data
};

// A stable name for a failure ("connect_failed"...), for logs and messages.
std::string_view to_string(failure) noexcept;

// Which step of setting up a connection failed, so that a caller can word the failure
// for its own clients without quoting `response::message`, which names hosts, ports,
// files and resolver or TLS library errors (for operators).
enum class connect_step {
    none,
    resolve,       // DNS
    connect,       // TCP
    tls_setup,     // loading the CA file, configuring verification
    tls_handshake, // the handshake, certificate verification included
};

} // namespace igw::upstream
