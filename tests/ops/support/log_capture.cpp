#include "tests/ops/support/log_capture.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace igw::ops {

telemetry::log_settings default_log_settings()
{
    // Request lines of the load tests would bury a failure's own messages.
    return {.level = telemetry::log_level::warn, .format = telemetry::log_format::json, .fd = 2};
}

namespace {

struct suite_logging {
    suite_logging() { telemetry::configure_logging(default_log_settings()); }
};

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(suite_logging);

log_capture::log_capture(telemetry::log_format format, telemetry::log_level level)
{
    std::string pattern = (std::filesystem::temp_directory_path() / "igw-ops-log-XXXXXX").string();
    fd_ = ::mkstemp(pattern.data());
    if (fd_ < 0)
        throw std::runtime_error("cannot create a log file from " + pattern);
    file_ = pattern;
    telemetry::configure_logging({.level = level, .format = format, .fd = fd_});
}

log_capture::~log_capture()
{
    telemetry::configure_logging(default_log_settings());
    ::close(fd_);
    ::unlink(file_.c_str());
}

std::string log_capture::text() const
{
    // Lines are written by the log's own thread: wait for those logged so far.
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

} // namespace igw::ops
