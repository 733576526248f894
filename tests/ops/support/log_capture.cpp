#include "tests/ops/support/log_capture.hpp"

#include <boost/test/unit_test.hpp>

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

} // namespace igw::ops
