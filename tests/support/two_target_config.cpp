#include "tests/support/two_target_config.hpp"

#include <filesystem>

#include "tests/support/paths.hpp"

namespace igw::test {

std::string two_target_config(std::string_view listener)
{
    const std::string providers =
        (std::filesystem::path(test_data_dir()) / ".." / "providers").lexically_normal().string();
    return std::string(listener) + "providers_dir: " + providers + R"(
roles: [admin, developer]
clients:
  - name: tests
    key: )" +
           std::string(client_key) + R"(
routes:
  - path: /v1/invitations
    targets: [anthropic, gorules]
targets:
  - name: anthropic
    provider: anthropic
    base_url: https://api.anthropic.test
    secrets:
      api_key: )" +
           std::string(anthropic_key) + R"(
    roles:
      admin: unsupported
      developer: developer
  - name: gorules
    provider: gorules
    base_url: https://brms.example.test/gorules
    secrets:
      token: )" +
           std::string(gorules_token) + R"(
)";
}

} // namespace igw::test
