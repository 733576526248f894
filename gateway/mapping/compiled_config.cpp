#include "gateway/mapping/compiled_config.hpp"

#include "gateway/config/loader.hpp"

#include <fstream>
#include <map>
#include <sstream>

namespace igw::mapping {
namespace {

std::string file_bytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

std::shared_ptr<const compiled_config> load_compiled_config(const std::string& path, const config::env_lookup& env)
{
    // Remember every variable read, so that the version changes when a URL or a parameter
    // in the environment does, not only when a file does.
    std::map<std::string, std::optional<std::string>, std::less<>> seen;
    const config::env_lookup recording = [&](std::string_view name) {
        auto value = env(name);
        seen.insert_or_assign(std::string(name), value);
        return value;
    };

    auto loaded = std::make_shared<compiled_config>();
    loaded->config = config::load_gateway_config(path, recording);
    // Route plans point at target plans in `mappings.targets`. Moving the set into place
    // moves the vector's buffer, not its elements, so the pointers stay valid; the
    // compiled_config is shared as const afterwards and never moves again.
    loaded->mappings = compile_mappings(loaded->config, recording);

    std::string content;
    const auto add = [&](std::string_view part) {
        content += std::to_string(part.size());
        content += ':';
        content += part;
    };
    add(file_bytes(path));
    for (const auto& provider : loaded->mappings.providers)
        add(file_bytes(provider->file));
    for (const auto& [name, value] : seen) {
        add(name);
        // The version is sent to anyone who asks: a secret's value must not be in it, or
        // a guess could be confirmed offline against it. Its name still is, so that a
        // config reading another secret gets another version. Rotating a secret alone
        // keeps the version, on every instance alike.
        if (loaded->config.secret_variables.contains(name))
            add("secret");
        else // a marker no value can equal, so "unset" and "" hash differently
            add(value ? "=" + *value : std::string("unset"));
    }
    loaded->version = config::sha256_hex(content, 8);
    return loaded;
}

} // namespace igw::mapping
