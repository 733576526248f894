#include "gateway/config/env.hpp"

#include <cstdlib>

namespace igw::config {
namespace {

bool is_name_start(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

bool is_name_char(char c) noexcept { return is_name_start(c) || (c >= '0' && c <= '9'); }

} // namespace

const env_lookup& process_environment()
{
    static const env_lookup lookup = [](std::string_view name) -> std::optional<std::string> {
        const std::string key(name);
        if (const char* value = std::getenv(key.c_str()))
            return std::string(value);
        return std::nullopt;
    };
    return lookup;
}

substitution_result substitute_variables(std::string_view text, const env_lookup& env)
{
    substitution_result result;
    if (text.find('$') == std::string_view::npos) {
        result.value.assign(text);
        return result;
    }
    std::string& out = result.value;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        if (text.compare(i, 3, "$${") == 0) {
            out.append("${");
            i += 3;
            continue;
        }
        if (text.compare(i, 2, "${") != 0) {
            out.push_back(text[i++]);
            continue;
        }
        // Defaults may themselves hold ${...} (`${URL:-https://${TENANT}.example.com}`),
        // so find the brace that closes this one.
        std::size_t close = i + 2;
        for (int depth = 1; close < text.size(); ++close) {
            if (text.compare(close, 2, "${") == 0) {
                ++depth;
                ++close;
            } else if (text[close] == '}' && --depth == 0) {
                break;
            }
        }
        if (close >= text.size()) {
            // The text is not echoed: the scalar may be a secret written inline.
            result.error = "unterminated ${ (no closing brace)";
            return result;
        }
        const std::string_view inner = text.substr(i + 2, close - i - 2);
        const std::size_t default_at = inner.find(":-");
        const std::string_view name = inner.substr(0, default_at);
        bool valid_name = !name.empty() && is_name_start(name.front());
        for (char c : name)
            valid_name = valid_name && is_name_char(c);
        if (!valid_name) {
            result.error = "invalid variable name in ${...} (names are letters, digits and '_', "
                           "not starting with a digit)";
            return result;
        }
        const std::optional<std::string> value = env(name);
        if (default_at != std::string_view::npos) {
            // Shell semantics: the default also replaces an empty value.
            if (value && !value->empty()) {
                out.append(*value);
            } else {
                // Substituted only when used, so its variables are needed only then.
                substitution_result fallback = substitute_variables(inner.substr(default_at + 2), env);
                if (!fallback.error.empty())
                    return fallback;
                out.append(fallback.value);
            }
        } else if (value) {
            out.append(*value);
        } else {
            result.error = "environment variable " + std::string(name) + " is not set (use ${" + std::string(name) +
                           ":-default} for a default)";
            return result;
        }
        i = close + 1;
    }
    return result;
}

} // namespace igw::config
