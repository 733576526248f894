#pragma once
// The shipped config/gateway.yaml as the end-to-end and operations harnesses serve it:
// parsed, adjusted by the test (a YAML overlay, the ${VAR}s resolved or kept), and written
// out again, so that the suites exercise the file the package installs and not a copy.

#include "gateway/config/env.hpp"

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

namespace igw::test {

// The checkout's root folder (config/, providers/), without a trailing slash.
std::string checkout_dir();

// A double-quoted YAML scalar of `text` (URLs, keys and ids: no escapes but '"' and '\').
std::string yaml_quoted(std::string_view text);

class shipped_config {
public:
    // Parses <checkout>/config/gateway.yaml. Its providers_dir is set to the checkout's
    // providers/, so that text() may be written anywhere.
    shipped_config();

    // The node at a dotted path such as "limits.request_timeout" or "targets.gorules.timeout":
    // each segment is a map key or, in a sequence, the element whose `name` (clients,
    // targets) or `path` (routes) it equals. Throws std::invalid_argument when there is none.
    YAML::Node at(std::string_view path) const;
    // Sets the value at `path` (its last segment a map key, added when absent) to `yaml`,
    // parsed as YAML ("30s", "[1]", "{name: x}", yaml_quoted(url)).
    shipped_config& set(std::string_view path, std::string_view yaml);
    // Appends `yaml` to the sequence at `path`.
    shipped_config& append(std::string_view path, std::string_view yaml);
    // Sets `key` to `yaml` on every target.
    shipped_config& set_on_every_target(std::string_view key, std::string_view yaml);
    // Resolves the ${NAME} and ${NAME:-default} in every scalar through `env` (the
    // gateway's own substitution); a lookup may answer "${NAME}" to keep a reference for
    // the gateway to resolve when it loads the text.
    shipped_config& substitute(const config::env_lookup& env);

    std::string text() const;

private:
    YAML::Node root_;
};

} // namespace igw::test
