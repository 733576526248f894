#pragma once
// Reading a YAML file into typed values with precise diagnostics. Shared by the
// gateway config and the provider mappings: every problem is reported as
// "file:line:column: key: message", all of them at once, and ${VAR} substitution
// applies to every scalar read through it.

#include "gateway/config/config.hpp"
#include "gateway/config/env.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace igw::config {

// Thrown when a file cannot be loaded; what() lists every diagnostic, one a line.
class config_error : public std::runtime_error {
public:
    explicit config_error(std::vector<std::string> diagnostics);
    const std::vector<std::string>& diagnostics() const noexcept { return diagnostics_; }

private:
    std::vector<std::string> diagnostics_;
};

class yaml_reader {
public:
    yaml_reader(std::string file, const env_lookup& env);

    // Parses the file; a syntax error is recorded and an undefined node returned.
    YAML::Node load();
    const std::string& file() const noexcept { return file_; }

    void error(const YAML::Node& at, std::string_view key, std::string_view message);
    void error_at(const YAML::Mark& at, std::string_view key, std::string_view message);
    bool has_errors() const noexcept { return !diagnostics_.empty(); }
    // Throws config_error when anything was recorded.
    void throw_if_errors() const;
    // "file:line:col" of a node, for messages that point back at a declaration.
    std::string origin(const YAML::Node& at) const;

    // Each checks the node's kind, records an error naming `key` when it is wrong, and
    // returns false / nullopt. Scalars go through ${VAR} substitution first.
    bool expect_map(const YAML::Node& node, std::string_view key);
    bool expect_sequence(const YAML::Node& node, std::string_view key);
    std::optional<std::string> string(const YAML::Node& node, std::string_view key);
    // string() for a secret: the names of the variables its value was read from are added
    // to `variables`, so that what is derived from a config can leave their values out.
    std::optional<std::string> secret(const YAML::Node& node, std::string_view key,
                                      std::set<std::string, std::less<>>& variables);
    std::optional<std::int64_t> integer(const YAML::Node& node, std::string_view key, std::int64_t min,
                                        std::int64_t max);
    std::optional<bool> boolean(const YAML::Node& node, std::string_view key);
    std::optional<duration> duration_value(const YAML::Node& node, std::string_view key);
    std::optional<std::vector<std::string>> string_list(const YAML::Node& node, std::string_view key);
    std::optional<base_url> url(const YAML::Node& node, std::string_view key);

    // Records an error for each key of `map` not in `allowed`, and for each key given
    // twice (YAML parsers silently keep one of the two).
    void check_keys(const YAML::Node& map, std::string_view key, std::initializer_list<std::string_view> allowed);
    // Records an error unless `map` has `name`; returns the member (or an undefined node).
    // Records an error for each key given twice, for maps whose keys are free names.
    void check_unique_keys(const YAML::Node& map, std::string_view key);
    YAML::Node required(const YAML::Node& map, std::string_view key, std::string_view name);

    // A plain (unquoted) scalar such as `true` or `42`, as opposed to "true" or '42',
    // so that mappings can tell typed constants from strings.
    static bool is_plain_scalar(const YAML::Node& node);

private:
    // A scalar after ${VAR} substitution; otherwise records "must be <expected>, not ...".
    std::optional<std::string> scalar(const YAML::Node& node, std::string_view key, std::string_view expected);
    std::optional<std::string> scalar(const YAML::Node& node, std::string_view key, std::string_view expected,
                                      const env_lookup& env);

    // Remembers where the key of an empty value is: yaml-cpp marks an empty (null) value
    // at the next token, often on a later line, so errors about it point at its key.
    void note_empty_value(const YAML::Node& key, const YAML::Node& value);

    std::string file_;
    const env_lookup& env_;
    std::vector<std::string> diagnostics_;
    std::vector<std::pair<YAML::Node, YAML::Mark>> empty_values_;
};

// Joins key paths for messages: child_key("targets[1]", "roles") == "targets[1].roles".
std::string child_key(std::string_view parent, std::string_view name);
std::string index_key(std::string_view parent, std::size_t index);

// The longest duration a config may give: longer than any sane timeout, and short enough
// that a deadline (steady_clock::now() + d, in nanoseconds: about 292 years of range)
// can never overflow, even with d added several times.
inline constexpr duration max_duration = std::chrono::hours(24 * 365);

// "500ms", "5s", "2m", "1h" (a bare number is rejected: the unit is never guessed), at
// most max_duration. nullopt when malformed or too long; `too_long` tells which.
std::optional<duration> parse_duration(std::string_view text, bool* too_long = nullptr);

} // namespace igw::config
