#pragma once
// The real `invitegw serve` as a child process, so that a test can kill it with SIGKILL
// the way a crash would, and start it again on the same ledger.

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace igw::durability {

// The invitegw binary of this build.
std::filesystem::path invitegw_binary();

class gateway_process {
public:
    // Starts `invitegw serve --config FILE` with exactly `environment` (nothing from the
    // test's own) and INVITEGW_LISTEN on a free port, its stderr appended to `log_file`;
    // returns once /healthz answers (throws std::runtime_error after 20 s, with the log).
    gateway_process(const std::string& config_file, std::vector<std::pair<std::string, std::string>> environment,
                    std::string log_file);
    ~gateway_process(); // SIGKILL when still running
    gateway_process(const gateway_process&) = delete;
    gateway_process& operator=(const gateway_process&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    // SIGKILL, as a crash or the OOM killer would: nothing is flushed, nothing finishes.
    void kill_hard();
    // SIGTERM, then waits (bounded) for the exit; returns the exit status (-1 if killed).
    int terminate();
    bool running() const noexcept { return pid_ > 0; }
    // What the process logged so far.
    std::string log() const;

private:
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::string log_file_;
};

} // namespace igw::durability
