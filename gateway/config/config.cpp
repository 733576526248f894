#include "gateway/config/config.hpp"

#include <algorithm>
#include <thread>

#include <sched.h>

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

unsigned worker_threads(const listener_config& listener) noexcept
{
    if (listener.threads > 0)
        return listener.threads;
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) > 0)
        return static_cast<unsigned>(CPU_COUNT(&allowed));
    return std::max(1u, std::thread::hardware_concurrency());
}

} // namespace igw::config
