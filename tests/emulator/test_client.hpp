#pragma once
// A tiny blocking HTTP/1.1 client for tests: one keep-alive connection (plain or TLS with
// peer and host name verification), every operation bounded by a timeout so that a test
// fails instead of hanging. Lives in igw_emulator so that any test program can use it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace igw::emulator {

struct test_request {
    std::string method = "POST";
    std::string target{};                                       // path and query
    std::vector<std::pair<std::string, std::string>> headers{}; // sent as given; Host added if absent
    std::string body{};                                         // Content-Length is always set from it
};

struct test_response {
    unsigned status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool keep_alive = false;
    std::string error; // non-empty when no response was read: refused, closed, TLS failure, timeout

    bool ok() const noexcept { return error.empty(); }
    // The first header of that name (compared without regard to case).
    std::optional<std::string> header(std::string_view name) const;
};

struct tls_settings {
    std::string ca_file{};     // trust only this CA (PEM)
    std::string server_name{}; // SNI and the name the certificate must carry; may be an IP
    // A client certificate to present when the server asks for one (PEM files).
    std::string certificate_file{};
    std::string private_key_file{};
    // OpenSSL protocol versions (TLS1_1_VERSION...); 0 leaves the library's. A version
    // below TLS 1.2 also lowers the client's security level, so that the client really
    // offers it and a refusal is the server's.
    int min_version = 0;
    int max_version = 0;
    std::string ciphers{}; // the TLS 1.2 cipher list offered; empty: the library's
};

class test_client {
public:
    test_client(std::string host, std::uint16_t port, std::optional<tls_settings> tls = {},
                std::chrono::milliseconds timeout = std::chrono::seconds(10));
    ~test_client();
    test_client(const test_client&) = delete;
    test_client& operator=(const test_client&) = delete;

    // Connects first when not connected. After a reply without keep-alive, or any error,
    // the connection is closed and the next send opens a new one.
    test_response send(const test_request&);

    bool connected() const noexcept;
    void close();
    // The serial number (hex) of the certificate the server presented on the connection
    // now open; empty for plain connections or when none is open.
    std::string peer_certificate_serial() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace igw::emulator
