#include "gateway/mapping/mapping_set.hpp"

#include "gateway/config/yaml_reader.hpp"
#include "gateway/mapping/contract_example.hpp"

#include <filesystem>
#include <map>

namespace igw::mapping {

mapping_set compile_mappings(const config::gateway_config& config, const config::env_lookup& env)
{
    mapping_set set;
    std::vector<std::string> errors;
    std::map<std::string, const provider_plan*> by_name;

    for (const auto& target : config.targets) {
        if (by_name.contains(target.provider))
            continue;
        const bool valid_name = !target.provider.empty() && target.provider.find_first_of("/\\") == std::string::npos &&
                                target.provider.front() != '.';
        const std::string file = (std::filesystem::path(config.providers_dir) / (target.provider + ".yaml")).string();
        if (!valid_name || !std::filesystem::is_regular_file(file)) {
            errors.push_back(target.origin + ": targets." + target.name + ".provider: no provider mapping " +
                             (valid_name ? file : "named \"" + target.provider + "\""));
            by_name[target.provider] = nullptr;
            continue;
        }
        try {
            set.providers.push_back(std::make_unique<provider_plan>(load_provider_plan(target.provider, file, env)));
            by_name[target.provider] = set.providers.back().get();
            // A mapping that contradicts the vendor's own documented example would fail
            // on every call: refuse it here, so that serve and a reload refuse it as
            // check-config does.
            const std::vector<std::string> mismatches = check_contract_example(*set.providers.back());
            errors.insert(errors.end(), mismatches.begin(), mismatches.end());
        } catch (const config::config_error& e) {
            errors.insert(errors.end(), e.diagnostics().begin(), e.diagnostics().end());
            by_name[target.provider] = nullptr;
        }
    }

    set.targets.reserve(config.targets.size());
    for (std::size_t i = 0; i < config.targets.size(); ++i) {
        const auto& target = config.targets[i];
        const provider_plan* provider = by_name[target.provider];
        if (!provider) {
            set.targets.emplace_back(); // keeps indexes parallel; the load fails below
            continue;
        }
        set.targets.push_back(bind_target(*provider, target, static_cast<std::uint32_t>(i), config.roles, errors));
    }

    for (const auto& route : config.routes) {
        route_plan plan;
        plan.path = route.path;
        for (const auto& name : route.targets) {
            for (std::size_t i = 0; i < config.targets.size(); ++i)
                if (config.targets[i].name == name)
                    plan.targets.push_back(&set.targets[i]);
            plan.target_names.push_back(name);
        }
        set.routes.push_back(std::move(plan));
    }

    if (!errors.empty())
        throw config::config_error(std::move(errors));
    return set;
}

} // namespace igw::mapping
