#pragma once
// A throwaway PKI for TLS tests, made at run time with OpenSSL's C API (no openssl command,
// no files checked in): a CA, a server certificate it signs, a certificate for another
// host signed by the same CA, and a second, unrelated CA; more server and client
// certificates on demand. Written as PEM files into a fresh temporary directory that is
// removed with the object.

#include "tests/support/files.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace igw::test {

// A certificate file and its private key's file.
struct certificate_files {
    std::string certificate_file;
    std::string private_key_file;
};

class test_certificates {
public:
    // The server certificate's subject alternative names are DNS:localhost, IP:127.0.0.1
    // and `host` (as an IP address when it parses as one, else as a DNS name).
    // Throws std::runtime_error when OpenSSL or the file system fails.
    explicit test_certificates(std::string_view host = "localhost");
    ~test_certificates();
    test_certificates(test_certificates&&) noexcept;
    test_certificates& operator=(test_certificates&&) noexcept;
    test_certificates(const test_certificates&) = delete;
    test_certificates& operator=(const test_certificates&) = delete;

    const std::string& directory() const noexcept { return directory_; }
    const std::string& ca_file() const noexcept { return ca_file_; }                   // trusted CA
    const std::string& certificate_file() const noexcept { return certificate_file_; } // server cert
    const std::string& private_key_file() const noexcept { return private_key_file_; } // its key
    // A certificate (and key) from the same CA whose only name is "wrong-host.invalid":
    // for host name verification tests.
    const std::string& wrong_host_certificate_file() const noexcept { return wrong_host_certificate_file_; }
    const std::string& wrong_host_private_key_file() const noexcept { return wrong_host_private_key_file_; }
    // A CA that signed nothing here but what issue_client(..., untrusted) makes: trusting
    // only it must make the server untrusted.
    const std::string& untrusted_ca_file() const noexcept { return untrusted_ca_file_; }

    // Another server certificate for the same names, with a new key and serial number,
    // signed by the trusted CA (a rotated certificate). `stem` names its files.
    certificate_files issue_server(const std::string& stem);
    // A client certificate (extended key usage clientAuth) whose subject CN is
    // `common_name`, signed by the trusted CA, or with `trusted` false by the untrusted one.
    certificate_files issue_client(const std::string& common_name, bool trusted = true);

    // The serial number of the (first) certificate in a PEM file, in hex.
    static std::string serial_of(const std::string& certificate_file);

private:
    struct authorities;
    std::unique_ptr<authorities> authorities_; // the CAs' certificates and keys
    std::string alt_names_;
    std::unique_ptr<temp_dir> dir_;
    std::string directory_, ca_file_, certificate_file_, private_key_file_;
    std::string wrong_host_certificate_file_, wrong_host_private_key_file_, untrusted_ca_file_;
};

} // namespace igw::test
