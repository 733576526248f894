#pragma once
// Checks on PEM text read for the TLS listener, so that a certificate or key the server
// could not use is refused at load (check-config, start, reload) with the file named,
// rather than at the first handshake.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

struct x509_st; // OpenSSL's X509

namespace igw::config {

// How many certificates `pem` holds, in order; 0 when it holds none or one does not parse.
// `each`, when given, sees every certificate read, in order (the certificate is freed after).
std::size_t count_pem_certificates(std::string_view pem, const std::function<void(x509_st*)>& each = {});

// Empty when `key_pem` holds an unencrypted private key that belongs to the first
// certificate of `cert_pem`; otherwise why not.
std::string check_private_key(std::string_view key_pem, std::string_view cert_pem);

// The subject of the first certificate of `pem` in one line (RFC 2253), for logs and the
// check-config summary; empty when there is none.
std::string first_certificate_subject(std::string_view pem);

} // namespace igw::config
