#pragma once
// ${VAR} and ${VAR:-default} substitution in configuration scalars.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace igw::config {

// Looks a variable up; nullopt when unset. Tests pass their own.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

// The process environment.
const env_lookup& process_environment();

struct substitution_result {
    std::string value;
    std::string error; // non-empty on failure, names the variable
};

// Replaces each ${NAME} with the variable's value (an error when it is unset) and each
// ${NAME:-default} with the value, or the default when unset or empty. "$${" writes a
// literal "${". NAME is [A-Za-z_][A-Za-z0-9_]*.
substitution_result substitute_variables(std::string_view text, const env_lookup& env);

} // namespace igw::config
