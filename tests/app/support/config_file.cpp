#include "tests/app/support/config_file.hpp"

#include <filesystem>
#include "tests/support/paths.hpp"

namespace igw::app::test {

std::string valid_config_text()
{
    const std::string providers = (std::filesystem::path(::igw::test::test_data_dir()) / ".." / "providers").lexically_normal().string();
    return R"(listen: 127.0.0.1:18080
threads: 2
providers_dir: )" + providers + R"(
roles: [admin, developer]
clients:
  - name: tests
    key: )" + std::string(client_key) + R"(
routes:
  - path: /v1/invitations
    targets: [anthropic, gorules]
targets:
  - name: anthropic
    provider: anthropic
    base_url: https://api.anthropic.test
    secrets:
      api_key: )" + std::string(anthropic_key) + R"(
    roles:
      admin: unsupported
      developer: developer
  - name: gorules
    provider: gorules
    base_url: https://brms.example.test/gorules
    secrets:
      token: )" + std::string(gorules_token) + R"(
)";
}

std::string write_config(const ::igw::test::temp_dir& dir, std::string_view text)
{
    return dir.write("gateway.yaml", text);
}

} // namespace igw::app::test
