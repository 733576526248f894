#include "gateway/server/tls_listener.hpp"

#include <stdexcept>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "gateway/config/pem.hpp"
#include "gateway/telemetry/log.hpp"

namespace igw::server::detail {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;

// Mozilla's "intermediate" TLS 1.2 suites without DHE (slow, and a server-chosen group):
// forward secrecy and an AEAD always. TLS 1.3 keeps OpenSSL's suites, which are all such.
constexpr const char* tls12_ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
// Sessions resumed with a client certificate must come from this server's own contexts.
constexpr std::string_view session_id_context = "invitegw";

std::string openssl_reason()
{
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return "no reason given";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

void check(bool ok, const std::string& what)
{
    if (!ok)
        throw std::runtime_error(what + ": " + openssl_reason());
}

// Trusts every certificate of `pem` for client certificates, and names them in the
// certificate request so that a client holding several picks the right one.
void trust_client_cas(SSL_CTX* ctx, const std::string& pem, const std::string& file)
{
    std::string failure; // the first, with OpenSSL's reason read before it is cleared
    const std::size_t read = config::count_pem_certificates(pem, [&](X509* cert) {
        if (failure.empty() &&
            (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cert) != 1 || SSL_CTX_add_client_CA(ctx, cert) != 1))
            failure = "trusting the client CA in " + file + ": " + openssl_reason();
    });
    if (!failure.empty())
        throw std::runtime_error(failure);
    if (read == 0)
        throw std::runtime_error(file + " holds no PEM certificate");
}

} // namespace

std::shared_ptr<ssl::context> make_listener_context(const config::tls_listener_config& tls)
{
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* ctx = context->native_handle();
    check(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1, "setting TLS 1.2 as the lowest version");
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    check(SSL_CTX_set_cipher_list(ctx, tls12_ciphers) == 1, "setting the TLS 1.2 cipher list");
    // An encrypted key must fail, never prompt on a terminal (the loader refuses them).
    context->set_password_callback([](std::size_t, ssl::context::password_purpose) { return std::string(); });
    boost::system::error_code ec;
    context->use_certificate_chain(net::buffer(tls.cert_pem), ec);
    if (ec)
        throw std::runtime_error("cannot use the certificate in " + tls.cert_file + ": " + ec.message());
    context->use_private_key(net::buffer(tls.key_pem), ssl::context::pem, ec);
    if (ec)
        throw std::runtime_error("cannot use the private key in " + tls.key_file + ": " + ec.message());
    check(SSL_CTX_check_private_key(ctx) == 1, tls.key_file + " does not match " + tls.cert_file);
    check(SSL_CTX_set_session_id_context(ctx, reinterpret_cast<const unsigned char*>(session_id_context.data()),
                                         static_cast<unsigned>(session_id_context.size())) == 1,
          "setting the session id context");
    if (!tls.client_ca_pem.empty()) {
        trust_client_cas(ctx, tls.client_ca_pem, tls.client_ca_file);
        // An untrusted certificate, or none, ends the handshake with an alert.
        context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    } else {
        context->set_verify_mode(ssl::verify_none);
    }
    return context;
}

std::string verified_client_cn(SSL* ssl)
{
    if (!ssl || (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) == 0)
        return {};
    X509* cert = SSL_get0_peer_certificate(ssl);
    if (!cert || SSL_get_verify_result(ssl) != X509_V_OK)
        return {};
    X509_NAME* subject = X509_get_subject_name(cert);
    const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0)
        return {};
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
    if (length < 0)
        return {};
    std::string cn(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    if (cn.find('\0') != std::string::npos)
        return {};
    return cn;
}

listener_tls::listener_tls(const config::tls_listener_config& tls) : context_(make_listener_context(tls)), files_(tls)
{
}

listener_tls::~listener_tls() = default;

void listener_tls::update(const config::gateway_config& current)
{
    if (!current.tls)
        return;
    const config::tls_listener_config& next = *current.tls;
    if (next.cert_pem == files_.cert_pem && next.key_pem == files_.key_pem &&
        next.client_ca_pem == files_.client_ca_pem)
        return;
    files_ = next;
    try {
        context_ = make_listener_context(next);
        telemetry::log(telemetry::log_level::info, "tls_certificate_loaded",
                       {{"cert", next.cert_file},
                        {"subject", config::first_certificate_subject(next.cert_pem)},
                        {"client_ca", next.client_ca_file}});
    } catch (const std::exception& e) {
        telemetry::log(telemetry::log_level::error, "tls_certificate_reload_failed",
                       {{"cert", next.cert_file},
                        {"error", e.what()},
                        {"consequence", "new connections keep the previous certificate"}});
    }
}

} // namespace igw::server::detail
