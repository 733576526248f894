#include "gateway/mapping/target_plan.hpp"

#include "gateway/json/base64.hpp"
#include "gateway/mapping/owned_headers.hpp"

#include <algorithm>
#include <charconv>

namespace igw::mapping {
namespace {

bool is_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

// RFC 9110 field-value: visible characters, spaces and tabs; never CR, LF or NUL,
// so a configured value can never split a header.
bool is_valid_header_value(std::string_view value)
{
    return std::all_of(value.begin(), value.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c == '\t' || (c >= 0x20 && c != 0x7F);
    });
}

class binder {
public:
    binder(const provider_plan& provider, const config::target_config& target, std::vector<std::string>& errors)
        : provider_(provider), target_(target), errors_(errors)
    {
    }

    void error(const std::string& key, const std::string& message)
    {
        errors_.push_back(target_.origin + ": targets." + target_.name + (key.empty() ? "" : "." + key) + ": " +
                          message);
    }

    // A problem with one parameter's value, reported where that value is written (the
    // target's declaration when the config did not record it).
    void param_error(const std::string& origin_name, const std::string& key, const std::string& message)
    {
        const auto it = target_.param_origins.find(origin_name);
        const std::string& origin = it == target_.param_origins.end() ? target_.origin : it->second;
        errors_.push_back(origin + ": targets." + target_.name + "." + key + ": " + message);
    }

    const std::vector<std::string>* list_param(const std::string& name)
    {
        const auto it = target_.list_params.find(name);
        return it == target_.list_params.end() ? nullptr : &it->second;
    }

    // An empty value counts as unset, so `${VAR:-}` can leave an optional parameter out.
    const std::string* param(const std::string& name)
    {
        const auto it = target_.params.find(name);
        return it == target_.params.end() || it->second.empty() ? nullptr : &it->second;
    }

    // Renders a header template; nullopt when it uses an optional parameter the target
    // does not set (the header is then left out).
    std::optional<std::string> render(const text_template& text, const std::string& key, bool* secret)
    {
        std::string out;
        for (const auto& part : text.parts) {
            switch (part.what) {
            case text_template::part::kind::literal: out += part.text; break;
            case text_template::part::kind::secret: {
                const auto it = target_.secrets.find(part.text);
                if (it == target_.secrets.end())
                    return std::nullopt; // reported once by check_secrets
                out += it->second;
                if (secret)
                    *secret = true;
                break;
            }
            case text_template::part::kind::param: {
                const std::string* value = param(part.text);
                if (!value)
                    return std::nullopt;
                out += *value;
                break;
            }
            }
        }
        if (!is_valid_header_value(out)) {
            // Never echo the value: it may hold a secret.
            error(key, "the rendered value contains a control character (CR, LF, NUL...)");
            return std::nullopt;
        }
        return out;
    }

    target_plan bind(std::uint32_t config_index, const std::vector<std::string>& canonical_roles)
    {
        target_plan plan;
        plan.name = target_.name;
        plan.config_index = config_index;
        plan.provider = &provider_;
        plan.tls = target_.url.tls();
        plan.host = target_.url.host;
        plan.port = target_.url.port;
        plan.ca_file = target_.ca_file;
        const bool default_port = plan.port == (plan.tls ? 443 : 80);
        const bool ipv6 = plan.host.find(':') != std::string::npos;
        plan.host_header = ipv6 ? "[" + plan.host + "]" : plan.host;
        if (!default_port)
            plan.host_header += ":" + std::to_string(plan.port);
        plan.method = provider_.method;
        plan.timeout = target_.timeout;
        plan.max_in_flight = target_.max_in_flight;
        plan.max_items = std::min(provider_.max_items, target_.batch_size.value_or(provider_.max_items));

        for (const auto& name : provider_.secrets)
            if (!target_.secrets.contains(name))
                error("secrets", "provider " + provider_.name + " needs secret `" + name + "`");
        for (const auto& [name, value] : target_.secrets)
            if (std::find(provider_.secrets.begin(), provider_.secrets.end(), name) == provider_.secrets.end())
                error("secrets." + name, "provider " + provider_.name + " takes no such secret");
        for (const auto& name : provider_.required_params)
            if (!param(name) && !list_param(name))
                error("params", "provider " + provider_.name + " needs parameter `" + name + "`");
        const auto takes = [&](const std::string& name) {
            return std::find(provider_.required_params.begin(), provider_.required_params.end(), name) !=
                       provider_.required_params.end() ||
                   std::find(provider_.optional_params.begin(), provider_.optional_params.end(), name) !=
                       provider_.optional_params.end();
        };
        for (const auto& [name, value] : target_.params)
            if (!takes(name))
                error("params." + name, "provider " + provider_.name + " takes no such parameter");
        for (const auto& [name, value] : target_.list_params)
            if (!takes(name))
                error("params." + name, "provider " + provider_.name + " takes no such parameter");
        check_list_params_in_templates();

        plan.target = target_.url.path_prefix;
        for (const auto& part : provider_.path.parts) {
            if (part.what == text_template::part::kind::literal)
                plan.target += part.text;
            else if (const std::string* value = param(part.text))
                append_path_segment(plan.target, *value);
        }

        plan.headers.push_back({"Content-Type", "application/json", false});
        plan.headers.push_back({"Accept", "application/json", false});
        plan.headers.push_back({"User-Agent", "invitegw/0.1", false});
        for (const auto& header : provider_.headers) {
            bool secret = false;
            auto value = render(header.value, "headers." + header.name, &secret);
            if (!value)
                continue;
            // A provider's Accept or User-Agent takes the default's place: two copies of
            // one header leave the vendor to pick one (and some pick the first).
            const auto same_name = std::find_if(plan.headers.begin(), plan.headers.end(), [&](const header_field& f) {
                return header_name_equals(f.name, header.name);
            });
            if (same_name != plan.headers.end())
                *same_name = {header.name, std::move(*value), secret};
            else
                plan.headers.push_back({header.name, std::move(*value), secret});
        }
        std::string basic_credentials;
        if (provider_.basic_auth) {
            auto user = render(provider_.basic_username, "basic_auth.username", nullptr);
            auto password = render(provider_.basic_password, "basic_auth.password", nullptr);
            if (user && password) {
                if (user->find(':') != std::string::npos)
                    error("basic_auth", "a Basic auth user name cannot contain ':'");
                basic_credentials = *user + ":" + *password;
                plan.headers.push_back({"Authorization", "Basic " + json::base64(basic_credentials), true});
            }
        }
        std::vector<std::string> redactions;
        for (const auto& [name, value] : target_.secrets)
            redactions.push_back(value);
        for (const auto& header : plan.headers)
            if (header.secret)
                redactions.push_back(header.value);
        if (!basic_credentials.empty()) {
            std::string encoded = json::base64(basic_credentials);
            while (!encoded.empty() && encoded.back() == '=')
                encoded.pop_back();
            redactions.push_back(std::move(encoded));
        }
        std::erase(redactions, std::string());
        std::sort(redactions.begin(), redactions.end(), [](const std::string& a, const std::string& b) {
            return a.size() != b.size() ? a.size() > b.size() : a < b;
        });
        redactions.erase(std::unique(redactions.begin(), redactions.end()), redactions.end());
        plan.redactions = std::move(redactions);

        for (const auto& node : provider_.body) {
            if (node.what == body_node::kind::param_integer_list || node.what == body_node::kind::param_string_list) {
                bind_list_param(plan, node);
                continue;
            }
            if (node.what == body_node::kind::param_string || node.what == body_node::kind::param_integer) {
                if (list_param(node.text)) {
                    list_given_for_single_value(node.text);
                    continue;
                }
                const std::string* value = param(node.text);
                if (!value)
                    continue; // reported above
                if (node.what == body_node::kind::param_integer) {
                    std::int64_t number = 0;
                    const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), number);
                    if (ec != std::errc{} || end != value->data() + value->size())
                        error("params." + node.text, "must be an integer for provider " + provider_.name);
                }
                plan.body_params.emplace_back(node.text, *value);
            }
        }

        bind_roles(plan, canonical_roles);
        if (provider_.lookup)
            bind_lookup(*provider_.lookup, plan);
        return plan;
    }

    void bind_lookup(const lookup_plan& lookup, target_plan& plan)
    {
        std::string target = target_.url.path_prefix;
        for (const auto& part : lookup.path.parts) {
            if (part.what == text_template::part::kind::literal)
                target += part.text;
            else if (const std::string* value = param(part.text))
                append_path_segment(target, *value);
        }
        char separator = '?';
        for (const auto& [name, value] : lookup.query) {
            target += separator;
            append_path_segment(target, name);
            target += '=';
            append_path_segment(target, value);
            separator = '&';
        }
        plan.lookup_target = std::move(target);
        for (const auto& header : plan.headers)
            if (header.name != "Content-Type")
                plan.lookup_headers.push_back(header);
    }

    // Paths and headers are text: a list has no place in them.
    void check_list_params_in_templates()
    {
        const auto check = [&](const text_template& text) {
            for (const auto& part : text.parts)
                if (part.what == text_template::part::kind::param && list_param(part.text))
                    list_given_for_single_value(part.text);
        };
        check(provider_.path);
        for (const auto& header : provider_.headers)
            check(header.value);
        check(provider_.basic_username);
        check(provider_.basic_password);
        if (provider_.lookup)
            check(provider_.lookup->path);
    }

    // Once per parameter, however many places use it.
    void list_given_for_single_value(const std::string& name)
    {
        if (std::find(reported_lists_.begin(), reported_lists_.end(), name) != reported_lists_.end())
            return;
        reported_lists_.push_back(name);
        param_error(name, "params." + name, "is a list, but provider " + provider_.name + " takes a single value");
    }

    void bind_list_param(target_plan& plan, const body_node& node)
    {
        const bool integers = node.what == body_node::kind::param_integer_list;
        const std::string key = "params." + node.text;
        const std::vector<std::string>* list = list_param(node.text);
        if (!list) {
            if (target_.params.contains(node.text))
                param_error(node.text, key,
                            std::string("must be a list (a YAML sequence such as [1, 2]) of ") +
                                (integers ? "integers" : "strings") + " for provider " + provider_.name);
            return; // an absent one is reported with the required parameters
        }
        bool valid = true;
        for (std::size_t i = 0; integers && i < list->size(); ++i) {
            const std::string& element = (*list)[i];
            std::int64_t number = 0;
            const auto [end, ec] = std::from_chars(element.data(), element.data() + element.size(), number);
            if (ec != std::errc{} || end != element.data() + element.size() || element.empty()) {
                const std::string element_name = node.text + "[" + std::to_string(i) + "]";
                param_error(element_name, "params." + element_name,
                            "\"" + element + "\" is not an integer (provider " + provider_.name +
                                " takes a list of integers)");
                valid = false;
            }
        }
        if (valid && std::none_of(plan.body_list_params.begin(), plan.body_list_params.end(),
                                  [&](const auto& p) { return p.first == node.text; }))
            plan.body_list_params.emplace_back(node.text, *list);
    }

    void bind_roles(target_plan& plan, const std::vector<std::string>& canonical_roles)
    {
        const role_spec& spec = provider_.roles;
        plan.roles.assign(canonical_roles.size(), config::role_value{});
        plan.role_group.assign(canonical_roles.size(), 0);
        if (spec.type == role_spec::kind::none) {
            if (!target_.roles.empty())
                error("roles", "provider " + provider_.name + " takes no role; remove the role map");
            // Every role is accepted and they all look the same to the vendor.
            std::fill(plan.roles.begin(), plan.roles.end(), config::role_value(std::string()));
            return;
        }
        std::vector<config::role_value> distinct;
        for (std::size_t i = 0; i < canonical_roles.size(); ++i) {
            const std::string& role = canonical_roles[i];
            const auto it = target_.roles.find(role);
            if (it == target_.roles.end()) {
                error("roles",
                      "canonical role `" + role + "` has no mapping; map it or write `" + role + ": unsupported`");
                continue;
            }
            config::role_value value = it->second;
            if (!std::holds_alternative<config::unsupported_role>(value) && !check_role(role, value))
                continue;
            plan.roles[i] = value;
            auto found = std::find(distinct.begin(), distinct.end(), value);
            if (found == distinct.end())
                found = distinct.insert(distinct.end(), value);
            plan.role_group[i] = static_cast<std::uint32_t>(found - distinct.begin());
        }
    }

    bool check_role(const std::string& role, config::role_value& value)
    {
        const role_spec& spec = provider_.roles;
        const std::string key = "roles." + role;
        switch (spec.type) {
        case role_spec::kind::string:
            if (auto* number = std::get_if<std::int64_t>(&value))
                value = std::to_string(*number); // `role: 7` for a vendor whose role ids are strings
            if (!std::holds_alternative<std::string>(value)) {
                error(key, "provider " + provider_.name + " takes a string role");
                return false;
            }
            if (!spec.allowed.empty() && std::find(spec.allowed.begin(), spec.allowed.end(),
                                                   std::get<std::string>(value)) == spec.allowed.end()) {
                std::string allowed;
                for (const auto& a : spec.allowed)
                    allowed += (allowed.empty() ? "" : ", ") + a;
                error(key, "\"" + std::get<std::string>(value) + "\" is not a role of provider " + provider_.name +
                               " (one of: " + allowed + ", or `unsupported`)");
                return false;
            }
            return true;
        case role_spec::kind::integer:
            if (!std::holds_alternative<std::int64_t>(value)) {
                error(key, "provider " + provider_.name + " takes an integer role id");
                return false;
            }
            return true;
        case role_spec::kind::integer_list:
            if (auto* number = std::get_if<std::int64_t>(&value))
                value = std::vector<std::int64_t>{*number};
            if (!std::holds_alternative<std::vector<std::int64_t>>(value)) {
                error(key, "provider " + provider_.name + " takes a list of integer role ids");
                return false;
            }
            return true;
        case role_spec::kind::none: break;
        }
        return false;
    }

private:
    const provider_plan& provider_;
    const config::target_config& target_;
    std::vector<std::string>& errors_;
    std::vector<std::string> reported_lists_; // list parameters reported as used for a single value
};

} // namespace

void append_path_segment(std::string& out, std::string_view value)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    const bool dots_only = value == "." || value == "..";
    for (unsigned char c : value) {
        if (is_unreserved(c) && !dots_only) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xF]);
        }
    }
}

std::string target_plan::url() const { return (tls ? "https://" : "http://") + host_header + target; }

std::string target_plan::redact(std::string_view text, std::size_t max_bytes) const
{
    static constexpr std::string_view mark = "[redacted]";
    std::string out;
    std::size_t i = 0;
    while (i < text.size() && out.size() < max_bytes) {
        const std::size_t room = max_bytes - out.size();
        // The earliest redaction that starts within the bytes still to be copied (the
        // first listed, so the longest, where several start at one place).
        std::size_t at = std::string_view::npos, length = 0;
        for (const std::string& secret : redactions) {
            const std::size_t found = text.substr(i, room + secret.size() - 1).find(secret);
            if (found != std::string_view::npos && (at == std::string_view::npos || i + found < at)) {
                at = i + found;
                length = secret.size();
            }
        }
        if (at == std::string_view::npos) {
            out.append(text.substr(i, room));
            break;
        }
        // Secrets overlapping this one are hidden with it: replacing only the first
        // would leave the tail of the other in plain sight.
        std::size_t end = at + length;
        for (bool grew = true; grew;) {
            grew = false;
            for (const std::string& secret : redactions)
                for (std::size_t p = at + 1; p < end; ++p)
                    if (p + secret.size() > end && text.substr(p, secret.size()) == secret) {
                        end = p + secret.size();
                        grew = true;
                    }
        }
        out.append(text.substr(i, at - i)).append(mark);
        i = end;
    }
    if (out.size() > max_bytes)
        out.resize(max_bytes);
    return out;
}

target_plan bind_target(const provider_plan& provider, const config::target_config& target, std::uint32_t config_index,
                        const std::vector<std::string>& canonical_roles, std::vector<std::string>& errors)
{
    return binder(provider, target, errors).bind(config_index, canonical_roles);
}

} // namespace igw::mapping
