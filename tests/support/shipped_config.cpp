#include "tests/support/shipped_config.hpp"

#include "tests/support/paths.hpp"

#include <filesystem>
#include <stdexcept>

namespace igw::test {
namespace {

namespace fs = std::filesystem;

YAML::Node child(const YAML::Node& node, std::string_view segment)
{
    const std::string key(segment);
    if (node.IsMap())
        return node[key];
    if (node.IsSequence())
        for (const YAML::Node& element : node)
            if ((element["name"] && element["name"].Scalar() == key) ||
                (element["path"] && element["path"].Scalar() == key))
                return element;
    return YAML::Node(YAML::NodeType::Undefined);
}

// `path` split at its last dot: the parent's path and the last segment.
std::pair<std::string_view, std::string_view> split_last(std::string_view path)
{
    const auto dot = path.rfind('.');
    if (dot == std::string_view::npos)
        return {{}, path};
    return {path.substr(0, dot), path.substr(dot + 1)};
}

void substitute_in(YAML::Node node, const config::env_lookup& env)
{
    if (node.IsScalar()) {
        auto result = config::substitute_variables(node.Scalar(), env);
        if (!result.error.empty())
            throw std::invalid_argument("shipped config: " + result.error);
        if (result.value != node.Scalar())
            node = result.value;
    } else if (node.IsMap()) {
        for (auto entry : node)
            substitute_in(entry.second, env);
    } else if (node.IsSequence()) {
        for (auto element : node)
            substitute_in(element, env);
    }
}

} // namespace

std::string checkout_dir() { return (fs::path(test_data_dir()) / "..").lexically_normal().string(); }

std::string yaml_quoted(std::string_view text)
{
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\')
            out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

shipped_config::shipped_config() : root_(YAML::LoadFile(checkout_dir() + "/config/gateway.yaml"))
{
    root_["providers_dir"] = (fs::path(checkout_dir()) / "providers").string();
}

YAML::Node shipped_config::at(std::string_view path) const
{
    YAML::Node node;
    node.reset(root_);
    std::string_view rest = path;
    while (!rest.empty()) {
        const auto dot = rest.find('.');
        const std::string_view segment = rest.substr(0, dot);
        rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
        node.reset(child(node, segment)); // reset, not =: assigning would overwrite the tree
        if (!node.IsDefined())
            throw std::invalid_argument("config/gateway.yaml has no " + std::string(path));
    }
    return node;
}

shipped_config& shipped_config::set(std::string_view path, std::string_view yaml)
{
    const auto [parent, key] = split_last(path);
    YAML::Node node = at(parent);
    node[std::string(key)] = YAML::Load(std::string(yaml));
    return *this;
}

shipped_config& shipped_config::append(std::string_view path, std::string_view yaml)
{
    YAML::Node node = at(path);
    if (!node.IsSequence())
        throw std::invalid_argument(std::string(path) + " is not a sequence in config/gateway.yaml");
    node.push_back(YAML::Load(std::string(yaml)));
    return *this;
}

shipped_config& shipped_config::set_on_every_target(std::string_view key, std::string_view yaml)
{
    for (YAML::Node target : root_["targets"])
        target[std::string(key)] = YAML::Load(std::string(yaml));
    return *this;
}

shipped_config& shipped_config::substitute(const config::env_lookup& env)
{
    substitute_in(root_, env);
    return *this;
}

std::string shipped_config::text() const
{
    YAML::Emitter out;
    out << root_;
    if (!out.good())
        throw std::runtime_error("cannot write the config: " + out.GetLastError());
    return std::string(out.c_str()) + "\n";
}

} // namespace igw::test
