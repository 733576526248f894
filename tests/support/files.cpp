#include "tests/support/files.hpp"

#include <boost/test/unit_test.hpp>

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace igw::test {

namespace fs = std::filesystem;

temp_dir::temp_dir()
{
    std::string pattern = (fs::temp_directory_path() / "igw-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
}

temp_dir::~temp_dir()
{
    std::error_code ignored; // a leftover temp folder must not turn a pass into a crash
    fs::remove_all(path_, ignored);
}

std::string temp_dir::write(const std::string& name, std::string_view text) const
{
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    const fs::path partial = file.string() + ".partial";
    {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        if (!out.flush())
            throw std::runtime_error("cannot write " + partial.string());
    }
    fs::rename(partial, file);
    return file.string();
}

std::string read_file(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

config::env_lookup map_env(const std::map<std::string, std::string>& vars)
{
    return [&vars](std::string_view name) -> std::optional<std::string> {
        const auto found = vars.find(std::string(name));
        if (found == vars.end())
            return std::nullopt;
        return found->second;
    };
}

std::string position(std::string_view text, std::string_view needle, int occurrence)
{
    std::size_t at = std::string_view::npos;
    for (std::size_t from = 0; occurrence > 0; --occurrence) {
        at = text.find(needle, from);
        if (at == std::string_view::npos)
            break;
        from = at + 1;
    }
    BOOST_TEST_REQUIRE(at != std::string_view::npos, "\"" << needle << "\" is not in the text");
    std::size_t line = 1, line_start = 0;
    for (std::size_t i = 0; i < at; ++i)
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    return std::to_string(line) + ":" + std::to_string(at - line_start + 1);
}

namespace {

std::vector<std::string_view> split_lines(std::string_view text)
{
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        lines.push_back(text.substr(0, end));
        if (end == std::string_view::npos)
            break;
        text.remove_prefix(end + 1);
    }
    return lines;
}

} // namespace

void check_golden(const fs::path& file, const std::string& actual)
{
    const char* update = std::getenv("IGW_UPDATE_GOLDEN");
    if (update && std::string_view(update) == "1") {
        std::ofstream out(file, std::ios::binary);
        out << actual;
        BOOST_TEST_REQUIRE(static_cast<bool>(out), "cannot write " << file);
        BOOST_TEST_MESSAGE("rewrote " << file);
        return;
    }
    BOOST_TEST_REQUIRE(fs::exists(file), file << " is missing; run with IGW_UPDATE_GOLDEN=1 and review it");
    const std::string expected = read_file(file);
    if (expected == actual)
        return;
    const auto want = split_lines(expected), got = split_lines(actual);
    std::size_t line = 0;
    while (line < want.size() && line < got.size() && want[line] == got[line])
        ++line;
    BOOST_ERROR("golden " << file << " differs at line " << line + 1
                          << ":\n  expected: " << (line < want.size() ? want[line] : "<end of file>")
                          << "\n  actual:   " << (line < got.size() ? got[line] : "<end of output>")
                          << "\n(IGW_UPDATE_GOLDEN=1 rewrites it; review the diff before committing)");
}

} // namespace igw::test
