#pragma once
// Config files for the command-line tests: a small valid one (two shipped providers,
// literal fake secrets that a test can look for in the output) and broken ones.

#include "tests/support/files.hpp"

#include <string>
#include <string_view>

namespace igw::app::test {

inline constexpr std::string_view client_key = "client-key-for-tests-0123456789";
inline constexpr std::string_view anthropic_key = "sk-ant-admin01-secret-for-tests";
inline constexpr std::string_view gorules_token = "gorules-secret-for-tests";

// The text of a valid gateway.yaml reading the repository's providers/.
std::string valid_config_text();

// Writes `text` as gateway.yaml into `dir` and returns its path.
std::string write_config(const ::igw::test::temp_dir& dir, std::string_view text);

} // namespace igw::app::test
