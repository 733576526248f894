#pragma once
// A small config for the dispatch unit tests: two targets of the shipped providers
// (anthropic, one invitation per call, and gorules, a batch) with literal fake secrets,
// loaded through the real loader, and canonical requests built by hand.

#include "gateway/canonical/invite_request.hpp"
#include "gateway/mapping/compiled_config.hpp"

#include "tests/support/files.hpp"
#include "tests/support/two_target_config.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace igw::dispatch::test {

using ::igw::test::anthropic_key;
using ::igw::test::gorules_token;

class small_config {
public:
    small_config();
    const mapping::compiled_config& get() const { return *loaded_; }
    const mapping::route_plan& route() const { return loaded_->mappings.routes.at(0); }

private:
    ::igw::test::temp_dir dir_;
    std::shared_ptr<const mapping::compiled_config> loaded_;
};

// Invitations with roles named from the config's roles (admin, developer), every
// target of the route selected unless `targets` says which.
canonical::invite_request make_request(const std::vector<std::pair<std::string, std::string>>& email_and_role,
                                       std::vector<std::uint32_t> targets = {0, 1});

} // namespace igw::dispatch::test
