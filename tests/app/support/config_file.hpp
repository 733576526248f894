#pragma once
// Config files for the command-line tests: a small valid one (two shipped providers,
// literal fake secrets that a test can look for in the output) and broken ones.

#include "tests/support/files.hpp"
#include "tests/support/two_target_config.hpp"

#include <string>
#include <string_view>

namespace igw::app::test {

using ::igw::test::anthropic_key;
using ::igw::test::client_key;
using ::igw::test::gorules_token;

// The text of a valid gateway.yaml reading the repository's providers/.
std::string valid_config_text();

// What a command returned, and what it wrote to its out and err streams.
struct run {
    int status = -1;
    std::string out, err;
};

// Writes `text` as gateway.yaml into `dir` and returns its path.
std::string write_config(const ::igw::test::temp_dir& dir, std::string_view text);

} // namespace igw::app::test
