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
