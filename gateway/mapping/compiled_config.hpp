#pragma once
// A gateway config together with its compiled provider mappings: everything the
// request path reads, loaded and validated as one unit and immutable afterwards.

#include "gateway/config/config.hpp"
#include "gateway/config/env.hpp"
#include "gateway/mapping/mapping_set.hpp"

#include <memory>
#include <string>

namespace igw::mapping {

struct compiled_config {
    config::gateway_config config;
    mapping_set mappings;
    // Identifies what was loaded: a hash of the config file, the provider files and the
    // values of the variables they read, except secrets (config.secret_variables), of which
    // only the names count. Equal content gives an equal version.
    std::string version;
};

// Loads config/gateway.yaml and every provider mapping it names; throws
// config::config_error listing every problem in every file.
std::shared_ptr<const compiled_config> load_compiled_config(
    const std::string& path, const config::env_lookup& env = config::process_environment());

} // namespace igw::mapping
