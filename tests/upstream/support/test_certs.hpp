#pragma once
// Throwaway PKI for the TLS tests, made at test time with the OpenSSL 3 C API: a CA and
// a server certificate it signs for the given names. Nothing is read from disk.

#include <filesystem>
#include <string>
#include <vector>

namespace igw::upstream::testing {

struct certificate_authority {
    std::string cert_pem;
    std::string key_pem;
};

struct server_identity {
    std::string cert_pem;  // leaf only; the client must trust the CA
    std::string key_pem;
};

// A self-signed CA (P-256, CA:TRUE, keyCertSign) named `common_name`.
certificate_authority make_ca(const std::string& common_name);

// A server certificate signed by `ca` whose subjectAltName lists `dns_names` and
// `ip_addresses` (textual IPv4/IPv6).
server_identity make_server_certificate(const certificate_authority& ca, const std::vector<std::string>& dns_names,
                                        const std::vector<std::string>& ip_addresses);

// A file under the system temp directory, removed when this object goes away.
class temp_file {
public:
    temp_file(const std::string& stem, const std::string& content);
    ~temp_file();
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace igw::upstream::testing
