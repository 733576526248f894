#pragma once
// The ops suite's logging: every test starts from default_log_settings(), and reads what
// it logs through the shared log_capture.

#include "gateway/telemetry/log.hpp"
#include "tests/support/log_capture.hpp"

namespace igw::ops {

using ::igw::test::log_capture;

// The settings every test of the suite starts from.
telemetry::log_settings default_log_settings();

} // namespace igw::ops
