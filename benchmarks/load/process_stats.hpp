#pragma once
// CPU time and memory of another process, read from Linux /proc: how much the system
// under test spent per request, next to the latency the client saw.

#include <cstdint>
#include <optional>

namespace igw::load {

struct process_snapshot {
    double cpu_seconds = 0;   // user + system, since the process started
    std::uint64_t rss_kb = 0; // VmRSS: resident now
    std::uint64_t hwm_kb = 0; // VmHWM: peak resident so far
};

// nullopt when the process does not exist or /proc cannot be read.
std::optional<process_snapshot> read_process(int pid);

} // namespace igw::load
