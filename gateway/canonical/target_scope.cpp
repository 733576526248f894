#include "gateway/canonical/target_scope.hpp"

#include "gateway/canonical/problems.hpp"

#include <algorithm>
#include <vector>

namespace igw::canonical {

std::optional<problem> restrict_targets(invite_request& invite, std::span<const std::string> route_targets,
                                        std::span<const std::string> allowed)
{
    if (allowed.empty())
        return std::nullopt;
    const auto is_allowed = [&](std::uint32_t target) {
        return std::ranges::find(allowed, route_targets[target]) != allowed.end();
    };
    if (!invite.targets_named) {
        std::erase_if(invite.targets, [&](std::uint32_t target) { return !is_allowed(target); });
        if (invite.targets.empty())
            return target_forbidden_problem({}, {});
        return std::nullopt;
    }
    std::vector<std::string> refused;
    for (const std::uint32_t target : invite.targets)
        if (!is_allowed(target))
            refused.push_back(route_targets[target]);
    if (refused.empty())
        return std::nullopt;
    std::vector<std::string> permitted;
    for (std::uint32_t i = 0; i < route_targets.size(); ++i)
        if (is_allowed(i))
            permitted.push_back(route_targets[i]);
    return target_forbidden_problem(refused, permitted);
}

} // namespace igw::canonical
