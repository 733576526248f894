#pragma once
// Every provider mapping a config uses, compiled and bound to its targets, plus each
// route's targets in reply order. Built once per (re)load; read-only afterwards, so
// all worker threads can share it.

#include "gateway/config/config.hpp"
#include "gateway/config/env.hpp"
#include "gateway/mapping/provider_plan.hpp"
#include "gateway/mapping/target_plan.hpp"

#include <memory>
#include <string>
#include <vector>

namespace igw::mapping {

struct route_plan {
    std::string path;
    std::vector<const target_plan*> targets; // in the route's order
    std::vector<std::string> target_names;   // the same, as names (validation, replies)
};

struct mapping_set {
    std::vector<std::unique_ptr<provider_plan>> providers;
    std::vector<target_plan> targets; // parallel to gateway_config::targets
    std::vector<route_plan> routes;   // parallel to gateway_config::routes

    mapping_set() = default;
    mapping_set(mapping_set&&) noexcept = default;
    mapping_set& operator=(mapping_set&&) noexcept = default;
    mapping_set(const mapping_set&) = delete;
    mapping_set& operator=(const mapping_set&) = delete;
};

// Loads providers/<name>.yaml for every provider the config's targets name and binds
// them; throws config::config_error listing every problem found in any file.
mapping_set compile_mappings(const config::gateway_config& config,
                             const config::env_lookup& env = config::process_environment());

} // namespace igw::mapping
