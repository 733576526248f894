#include "gateway/config/config.hpp"

namespace igw::config {

const target_config* gateway_config::find_target(std::string_view name) const noexcept
{
    for (const auto& target : targets)
        if (target.name == name)
            return &target;
    return nullptr;
}

const route_config* gateway_config::find_route(std::string_view path) const noexcept
{
    for (const auto& route : routes)
        if (route.path == path)
            return &route;
    return nullptr;
}

} // namespace igw::config
