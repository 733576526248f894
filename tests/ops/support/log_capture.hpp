#pragma once
// Points the process's log lines at a temporary file for the lifetime of the object,
// then back at the suite's default (stderr, warnings and up). Logging settings are
// process-wide: create one only while no server of another test is running.

#include "gateway/telemetry/log.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace igw::ops {

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

private:
    std::string file_;
    int fd_ = -1;
};

// The settings every test of the suite starts from.
telemetry::log_settings default_log_settings();

} // namespace igw::ops
