#pragma once
// The listener's TLS (README "TLS listener"): the server-side context made from a config's PEM
// files, the one new connections get (rebuilt when a reload brought other files), and who
// a verified client certificate names. Internal to igw_server; free of Asio's SSL
// headers, so that including it costs nothing.

#include <memory>
#include <string>

#include "gateway/config/config.hpp"

namespace boost::asio::ssl {
class context;
}
struct ssl_st;

namespace igw::server::detail {

// TLS 1.2 and 1.3 only; on 1.2 only ECDHE with AES-GCM or ChaCha20-Poly1305, in the
// server's order of preference; no compression, no renegotiation. With a client CA, a
// client certificate it signed is required. Throws std::runtime_error with OpenSSL's
// reason when the PEM cannot be used (the loader checked it, so only a surprise does).
std::shared_ptr<boost::asio::ssl::context> make_listener_context(const config::tls_listener_config& tls);

// The subject CN of the client certificate of a finished handshake, when the peer sent
// one and it verified; empty otherwise, and when the subject has no CN or several, or
// one with a NUL byte (no client is named ambiguously).
std::string verified_client_cn(ssl_st* ssl);

// The context new connections get. Only the accept loop uses it (one thread): after a
// reload it compares the files' contents with those its context was made from, and makes
// a new context when they differ. Connections hold the context they were accepted with,
// so a rotation never touches an established connection.
class listener_tls {
public:
    // Throws like make_listener_context.
    explicit listener_tls(const config::tls_listener_config& tls);
    ~listener_tls();

    // Called with the config now served, after a reload. A config without `tls` (a
    // reload cannot switch TLS off: that takes a restart) keeps the present context, and
    // so do files that cannot be made into one (logged as an error).
    void update(const config::gateway_config& current);
    const std::shared_ptr<boost::asio::ssl::context>& context() const noexcept { return context_; }

private:
    std::shared_ptr<boost::asio::ssl::context> context_;
    config::tls_listener_config files_; // the last ones seen (not retried when they failed)
};

} // namespace igw::server::detail
