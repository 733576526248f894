#pragma once
// A gateway serving a config written by the test (with its own provider files) from a
// temporary directory, that the test can reload; and the log lines it writes.

#include "gateway/mapping/config_source.hpp"
#include "gateway/server/server.hpp"
#include "gateway/telemetry/log.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace igw::e2e {

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
    std::string dir_;
    std::shared_ptr<mapping::config_source> configs_;
    std::unique_ptr<server::server> server_;
};

// Sends the process's log lines (JSON, warnings and up) to a temporary file while it
// lives, then back to where they went. Logging is process-wide: one at a time.
class captured_log {
public:
    captured_log();
    ~captured_log();
    captured_log(const captured_log&) = delete;
    captured_log& operator=(const captured_log&) = delete;

    std::vector<std::string> lines() const;
    // The lines of one event ("upstream_call_failed"...).
    std::vector<std::string> events(const std::string& event) const;

private:
    telemetry::log_settings before_;
    std::string file_;
    int fd_ = -1;
};

} // namespace igw::e2e
