#include "tests/dispatch/support/small_config.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <map>
#include "tests/support/paths.hpp"

namespace igw::dispatch::test {

small_config::small_config()
{
    const std::string providers = (std::filesystem::path(::igw::test::test_data_dir()) / ".." / "providers").lexically_normal().string();
    const std::string path = dir_.write("gateway.yaml", R"(listen: 127.0.0.1:0
providers_dir: )" + providers + R"(
roles: [admin, developer]
clients:
  - name: tests
    key: client-key-for-tests-0123456789
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
)");
    try {
        static const std::map<std::string, std::string> no_variables;
        loaded_ = mapping::load_compiled_config(path, ::igw::test::map_env(no_variables));
    } catch (const std::exception& e) {
        BOOST_TEST_REQUIRE(false, "the dispatch tests' config does not load: " << e.what());
    }
}

canonical::invite_request make_request(const std::vector<std::pair<std::string, std::string>>& email_and_role,
                                       std::vector<std::uint32_t> targets)
{
    canonical::invite_request request;
    for (const auto& [email, role] : email_and_role) {
        canonical::invitation& item = request.invitations.emplace_back();
        item.email = email;
        item.role = role == "admin" ? 0 : 1;
    }
    request.targets = std::move(targets);
    return request;
}

} // namespace igw::dispatch::test
