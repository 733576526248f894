#include "tests/dispatch/support/small_config.hpp"

#include <boost/test/unit_test.hpp>

#include <map>

namespace igw::dispatch::test {

small_config::small_config()
{
    const std::string path = dir_.write("gateway.yaml", ::igw::test::two_target_config("listen: 127.0.0.1:0\n"));
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
