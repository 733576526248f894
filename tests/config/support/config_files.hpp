#pragma once
// Helpers for the configuration tests: real files in a private temporary folder, a
// map standing in for the environment, and positions computed from the text itself
// so that expected "line:column" values follow the fixtures when they are edited.

#include "gateway/config/env.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace igw::config::test {

// A fresh folder under the system temp directory, removed with everything in it.
class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }
    // Writes `text` to path()/name (creating sub-folders) and returns the full path.
    std::string write(const std::string& name, std::string_view text) const;

private:
    std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);

// An env_lookup reading `vars`; the map must outlive the lookup.
env_lookup map_env(const std::map<std::string, std::string>& vars);

// "line:column" (1-based, as editors count) of the `occurrence`-th (1-based) match of
// `needle` in `text`; fails the test when there is none.
std::string position(std::string_view text, std::string_view needle, int occurrence = 1);

// Loads `path` expecting failure and returns the diagnostics (empty, with a test
// failure, when it loaded).
std::vector<std::string> load_errors(const std::string& path, const env_lookup& env);

// True when some diagnostic equals `line` exactly / starts with `prefix`.
bool has_line(const std::vector<std::string>& diagnostics, std::string_view line);
bool has_prefix(const std::vector<std::string>& diagnostics, std::string_view prefix);

// A small valid configuration that tests modify one piece at a time.
extern const std::string minimal_config;

} // namespace igw::config::test
