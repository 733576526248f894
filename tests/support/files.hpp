#pragma once
// File helpers the test suites share: real files in a private temporary folder, a map
// standing in for the environment, and positions computed from a text itself so that
// expected "line:column" values follow fixtures when they are edited.

#include "gateway/config/env.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace igw::test {

// A fresh folder under the system temp directory, removed with everything in it.
class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }
    // Writes `text` to path()/name (creating sub-folders) by rename, so that a reader sees
    // the old or the new text, never a part of it; returns the full path.
    std::string write(const std::string& name, std::string_view text) const;

private:
    std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);

// An env_lookup reading `vars`; the map must outlive the lookup.
config::env_lookup map_env(const std::map<std::string, std::string>& vars);

// "line:column" (1-based, as editors count) of the `occurrence`-th (1-based) match of
// `needle` in `text`; fails the test when there is none.
std::string position(std::string_view text, std::string_view needle, int occurrence = 1);

// Compares `actual` with the golden file `file`, reporting the first differing line;
// with IGW_UPDATE_GOLDEN=1 in the environment it rewrites the file instead.
void check_golden(const std::filesystem::path& file, const std::string& actual);

} // namespace igw::test
