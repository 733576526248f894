#pragma once
// A gateway serving a config written by the test (with its own provider files) from a
// temporary directory, that the test can reload; and the log lines it writes.

#include "gateway/mapping/config_source.hpp"
#include "gateway/server/server.hpp"
#include "gateway/telemetry/log.hpp"
#include "tests/support/files.hpp"
#include "tests/support/log_capture.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace igw::e2e {

// The simplest provider a test's config can use: one invitation a call to POST /invites
// ({"email": ...}), no credentials, no roles; a 200 is success.
inline constexpr std::string_view plain_provider = R"(description: one invitation a call, no credentials
request:
  method: POST
  path: /invites
  body:
    email: {$item: email}
batch:
  max_items: 1
roles:
  type: none
reply:
  success: [200]
  items: none
  error_message: [/message]
)";

class custom_gateway {
public:
    // `providers`: file name (without .yaml) -> content, written to providers/; the
    // config's `providers_dir` must be "providers". Throws on an invalid config.
    custom_gateway(const std::string& config_yaml, const std::map<std::string, std::string>& providers);
    ~custom_gateway();
    custom_gateway(const custom_gateway&) = delete;
    custom_gateway& operator=(const custom_gateway&) = delete;

    std::uint16_t port() const;
    // Serves `config_yaml` from the next request on, as a reload would.
    void reload(const std::string& config_yaml);

private:
    test::temp_dir dir_;
    std::shared_ptr<mapping::config_source> configs_;
    std::unique_ptr<server::server> server_;
};

// The process's log lines (JSON, warnings and up) in a temporary file while it lives.
struct captured_log : ::igw::test::log_capture {
    captured_log() : log_capture(telemetry::log_format::json, telemetry::log_level::warn) {}
};

} // namespace igw::e2e
