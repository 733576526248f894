#include "benchmarks/load/process_stats.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace igw::load {

std::optional<process_snapshot> read_process(int pid)
{
    const std::string dir = "/proc/" + std::to_string(pid);
    std::ifstream stat_file(dir + "/stat");
    std::string stat;
    if (!std::getline(stat_file, stat))
        return std::nullopt;
    // The command name (field 2) is in parentheses and may hold spaces: fields are counted
    // from the last ')'. utime and stime are fields 14 and 15 (proc(5)), in clock ticks.
    const auto close = stat.rfind(')');
    if (close == std::string::npos)
        return std::nullopt;
    std::istringstream fields(stat.substr(close + 1));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int number = 3; number <= 15 && fields >> field; ++number) {
        if (number == 14)
            utime = std::stoull(field);
        else if (number == 15)
            stime = std::stoull(field);
    }
    if (!fields)
        return std::nullopt;
    process_snapshot snapshot;
    snapshot.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));

    std::ifstream status(dir + "/status");
    std::string line;
    while (std::getline(status, line)) {
        const auto kilobytes = [&](std::string_view name) -> std::optional<std::uint64_t> {
            if (!line.starts_with(name))
                return std::nullopt;
            return std::stoull(line.substr(name.size()));
        };
        if (auto rss = kilobytes("VmRSS:"))
            snapshot.rss_kb = *rss;
        else if (auto hwm = kilobytes("VmHWM:"))
            snapshot.hwm_kb = *hwm;
    }
    return snapshot;
}

} // namespace igw::load
