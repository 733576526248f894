#include "gateway/mapping/compiled_config.hpp"

#include "gateway/config/loader.hpp"

namespace igw::mapping {

std::shared_ptr<const compiled_config> load_compiled_config(const std::string& path, const config::env_lookup& env)
{
    auto loaded = std::make_shared<compiled_config>();
    loaded->config = config::load_gateway_config(path, env);
    // Route plans point into `mappings`, which is built in place and never moves again.
    loaded->mappings = compile_mappings(loaded->config, env);
    return loaded;
}

} // namespace igw::mapping
