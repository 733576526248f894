#include "tests/config/support/config_files.hpp"

#include "gateway/config/loader.hpp"
#include "gateway/config/yaml_reader.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <stdlib.h>

namespace igw::config::test {

namespace fs = std::filesystem;

const std::string minimal_config = R"(roles: [admin, member]
clients:
  - name: app
    key: 0123456789abcdef
targets:
  - name: t1
    provider: p1
    base_url: https://t1.example
routes:
  - path: /v1/invitations
    targets: [t1]
)";

temp_dir::temp_dir()
{
    std::string pattern = (fs::temp_directory_path() / "igw-config-test-XXXXXX").string();
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
    std::ofstream out(file, std::ios::binary);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out)
        throw std::runtime_error("cannot write " + file.string());
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

env_lookup map_env(const std::map<std::string, std::string>& vars)
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
    BOOST_TEST_REQUIRE(at != std::string_view::npos, "\"" << needle << "\" is not in the fixture");
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < at; ++i)
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    return std::to_string(line) + ":" + std::to_string(at - line_start + 1);
}

std::vector<std::string> load_errors(const std::string& path, const env_lookup& env)
{
    try {
        load_gateway_config(path, env);
    } catch (const config_error& e) {
        // what() must carry the same lines, for callers that only print it.
        std::string joined;
        for (const auto& line : e.diagnostics())
            joined += (joined.empty() ? "" : "\n") + line;
        BOOST_TEST(joined == std::string(e.what()));
        return e.diagnostics();
    }
    BOOST_ERROR("loading " << path << " succeeded, expected errors");
    return {};
}

bool has_line(const std::vector<std::string>& diagnostics, std::string_view line)
{
    for (const auto& d : diagnostics)
        if (d == line)
            return true;
    return false;
}

bool has_prefix(const std::vector<std::string>& diagnostics, std::string_view prefix)
{
    for (const auto& d : diagnostics)
        if (std::string_view(d).substr(0, prefix.size()) == prefix)
            return true;
    return false;
}

} // namespace igw::config::test
