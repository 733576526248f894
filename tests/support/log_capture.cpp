#include "tests/support/log_capture.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace igw::test {

log_capture::log_capture(telemetry::log_format format, telemetry::log_level level) : before_(telemetry::logging())
{
    std::string pattern = (std::filesystem::temp_directory_path() / "igw-log-capture-XXXXXX").string();
    fd_ = ::mkstemp(pattern.data());
    if (fd_ < 0)
        throw std::runtime_error("cannot create a log file from " + pattern);
    file_ = pattern;
    telemetry::configure_logging({.level = level, .format = format, .fd = fd_});
}

log_capture::~log_capture()
{
    telemetry::configure_logging(before_);
    ::close(fd_);
    ::unlink(file_.c_str());
}

std::string log_capture::text() const
{
    // Lines are written by the log's own thread: wait for those logged so far, or a line
    // logged just before a reply was sent may not be in the file yet.
    telemetry::flush_logs();
    std::ifstream in(file_, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::vector<std::string> log_capture::lines() const
{
    std::vector<std::string> lines;
    std::istringstream in(text());
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

std::vector<std::string> log_capture::events(const std::string& event) const
{
    std::vector<std::string> out;
    for (auto& line : lines())
        if (line.find("\"event\":\"" + event + "\"") != std::string::npos)
            out.push_back(std::move(line));
    return out;
}

} // namespace igw::test
