#pragma once
// Points the process's log lines at a temporary file for the lifetime of the object, then
// back at where they went before. Logging settings are process-wide: create one only
// while no server of another test is running. Reading flushes the log's writer thread
// first, so a line logged before the read is in what it returns.

#include "gateway/telemetry/log.hpp"

#include <string>
#include <vector>

namespace igw::test {

class log_capture {
public:
    explicit log_capture(telemetry::log_format format, telemetry::log_level level = telemetry::log_level::info);
    ~log_capture();
    log_capture(const log_capture&) = delete;
    log_capture& operator=(const log_capture&) = delete;

    // Everything written so far.
    std::string text() const;
    // The lines written so far, without their newlines.
    std::vector<std::string> lines() const;
    // The JSON lines of one event ("upstream_call_failed"...).
    std::vector<std::string> events(const std::string& event) const;

private:
    telemetry::log_settings before_;
    std::string file_;
    int fd_ = -1;
};

} // namespace igw::test
