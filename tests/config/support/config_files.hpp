#pragma once
// Helpers for the configuration tests: real files in a private temporary folder, a
// map standing in for the environment, and positions computed from the text itself
// so that expected "line:column" values follow the fixtures when they are edited.

#include "gateway/config/env.hpp"
#include "tests/support/files.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace igw::config::test {

using ::igw::test::map_env;
using ::igw::test::position;
using ::igw::test::read_file;
using ::igw::test::temp_dir;

// Loads `path` expecting failure and returns the diagnostics (empty, with a test
// failure, when it loaded).
std::vector<std::string> load_errors(const std::string& path, const env_lookup& env);

// True when some diagnostic equals `line` exactly / starts with `prefix`.
bool has_line(const std::vector<std::string>& diagnostics, std::string_view line);
bool has_prefix(const std::vector<std::string>& diagnostics, std::string_view prefix);

// A small valid configuration that tests modify one piece at a time.
extern const std::string minimal_config;

} // namespace igw::config::test
