#include "gateway/config/loader.hpp"

#include "gateway/config/pem.hpp"
#include "gateway/config/yaml_reader.hpp"
#include "gateway/webhook/signature.hpp"

#include <boost/url/parse.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

namespace igw::config {
namespace {

namespace fs = std::filesystem;

// The smallest plain client key accepted: shorter ones are guessable.
constexpr std::size_t min_client_key_length = 16;

std::optional<std::array<std::uint8_t, 32>> parse_hex_digest(std::string_view hex)
{
    std::array<std::uint8_t, 32> digest{};
    if (hex.size() != 64)
        return std::nullopt;
    for (std::size_t i = 0; i < digest.size(); ++i) {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, value, 16);
        if (ec != std::errc{} || end != hex.data() + 2 * i + 2)
            return std::nullopt;
        digest[i] = static_cast<std::uint8_t>(value);
    }
    return digest;
}

std::string resolve_path(const fs::path& base_dir, const std::string& path)
{
    const fs::path p(path);
    return (p.is_absolute() ? p : base_dir / p).lexically_normal().string();
}

class gateway_loader {
public:
    gateway_loader(const std::string& path, const env_lookup& env) : reader_(path, env), env_(env)
    {
        base_dir_ = fs::path(path).parent_path();
        if (base_dir_.empty())
            base_dir_ = ".";
    }

    gateway_config load()
    {
        gateway_config config;
        config.file = reader_.file();
        const YAML::Node root = reader_.load();
        reader_.throw_if_errors();
        if (!reader_.expect_map(root, "(top level)"))
            reader_.throw_if_errors();
        reader_.check_keys(root, "",
                           {"listen", "threads", "tls", "providers_dir", "limits", "log", "state", "roles", "clients",
                            "routes", "targets", "webhooks"});

        if (const YAML::Node n = root["listen"]; n.IsDefined())
            read_listen(n, config.listener);
        if (const YAML::Node n = root["threads"]; n.IsDefined())
            if (auto v = reader_.integer(n, "threads", 0, 256))
                config.listener.threads = static_cast<unsigned>(*v);
        if (const YAML::Node n = root["tls"]; n.IsDefined())
            read_tls(n, config);
        config.providers_dir = (base_dir_ / ".." / "providers").lexically_normal().string();
        if (const YAML::Node n = root["providers_dir"]; n.IsDefined())
            if (auto v = reader_.string(n, "providers_dir"))
                config.providers_dir = resolve_path(base_dir_, *v);
        if (const YAML::Node n = root["limits"]; n.IsDefined())
            read_limits(n, config.limits);

        if (const YAML::Node n = root["log"]; n.IsDefined())
            read_log(n, config.log);
        read_state(root["state"], config);
        if (const YAML::Node n = root["webhooks"]; n.IsDefined())
            read_webhooks(n, config.webhooks);

        read_roles(reader_.required(root, "", "roles"), config.roles);
        read_targets(reader_.required(root, "", "targets"), config);
        read_routes(reader_.required(root, "", "routes"), config);
        read_clients(reader_.required(root, "", "clients"), config);

        reader_.throw_if_errors();
        return config;
    }

private:
    void read_listen(const YAML::Node& node, listener_config& listener)
    {
        const auto text = reader_.string(node, "listen");
        if (!text)
            return;
        // host:port, with IPv6 hosts in brackets: [::1]:8080
        const std::size_t colon = text->rfind(':');
        std::string host = colon == std::string::npos ? std::string() : text->substr(0, colon);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
            host = host.substr(1, host.size() - 2);
        unsigned port = 0;
        // Not data() + colon + 1 unconditionally: with no colon that is data() + npos, UB.
        const char* port_begin = colon == std::string::npos ? text->data() : text->data() + colon + 1;
        const char* port_end = text->data() + text->size();
        const auto [end, ec] = colon == std::string::npos
                                   ? std::from_chars_result{port_begin, std::errc::invalid_argument}
                                   : std::from_chars(port_begin, port_end, port);
        if (host.empty() || ec != std::errc{} || end != port_end || port > 65535) {
            reader_.error(node, "listen", "\"" + *text + "\" is not host:port (e.g. 127.0.0.1:8080)");
            return;
        }
        listener.address = std::move(host);
        listener.port = static_cast<std::uint16_t>(port);
    }

    // Reads a file named by `node` (relative to the config's folder) into `contents`;
    // false, with an error at `node`, when it cannot be read.
    bool read_file(const YAML::Node& node, const std::string& key, std::string& path, std::string& contents)
    {
        const auto text = reader_.string(node, key);
        if (!text)
            return false;
        if (text->empty()) {
            reader_.error(node, key, "must name a file");
            return false;
        }
        path = resolve_path(base_dir_, *text);
        std::ifstream in(path, std::ios::binary);
        std::ostringstream bytes;
        if (in)
            bytes << in.rdbuf();
        if (!in || in.bad() || !fs::is_regular_file(path)) {
            reader_.error(node, key, "cannot read " + path);
            return false;
        }
        contents = std::move(bytes).str();
        return true;
    }

    void read_tls(const YAML::Node& node, gateway_config& config)
    {
        if (!reader_.expect_map(node, "tls"))
            return;
        reader_.check_keys(node, "tls", {"cert", "key", "client_ca"});
        tls_listener_config tls;
        // A file of PEM certificates: read, and each one parses.
        const auto read_certificates = [&](const YAML::Node& n, const std::string& key, std::string& path,
                                           std::string& pem) {
            if (!read_file(n, key, path, pem))
                return false;
            if (count_pem_certificates(pem) > 0)
                return true;
            reader_.error(n, key, path + " holds no PEM certificate (or one does not parse)");
            return false;
        };
        const YAML::Node cert = reader_.required(node, "tls", "cert");
        const YAML::Node key = reader_.required(node, "tls", "key");
        bool ok = cert.IsDefined() && read_certificates(cert, "tls.cert", tls.cert_file, tls.cert_pem);
        // Never quoted back: a key file's contents are a secret.
        if (key.IsDefined() && read_file(key, "tls.key", tls.key_file, tls.key_pem)) {
            if (ok)
                if (const std::string problem = check_private_key(tls.key_pem, tls.cert_pem); !problem.empty()) {
                    reader_.error(key, "tls.key", tls.key_file + " " + problem);
                    ok = false;
                }
        } else {
            ok = false;
        }
        if (const YAML::Node n = node["client_ca"]; n.IsDefined()) {
            client_ca_declared_ = true;
            if (!read_certificates(n, "tls.client_ca", tls.client_ca_file, tls.client_ca_pem))
                ok = false;
        }
        if (ok)
            config.tls = std::move(tls);
    }

    void read_limits(const YAML::Node& node, limits_config& limits)
    {
        if (!reader_.expect_map(node, "limits"))
            return;
        reader_.check_keys(node, "limits",
                           {"max_body_bytes", "max_header_bytes", "max_invitations", "max_connections",
                            "max_in_flight_requests", "read_timeout", "idle_timeout", "request_timeout",
                            "shutdown_grace", "max_connections_per_peer", "max_target_bytes", "max_async_invitations",
                            "max_async_body_bytes"});
        const auto size = [&](const char* name, std::size_t& field, std::int64_t min, std::int64_t max) {
            if (const YAML::Node n = node[name]; n.IsDefined())
                if (auto v = reader_.integer(n, child_key("limits", name), min, max))
                    field = static_cast<std::size_t>(*v);
        };
        const auto time = [&](const char* name, duration& field) {
            if (const YAML::Node n = node[name]; n.IsDefined())
                if (auto v = reader_.duration_value(n, child_key("limits", name))) {
                    if (v->count() == 0)
                        reader_.error(n, child_key("limits", name), "must be greater than zero");
                    else
                        field = *v;
                }
        };
        size("max_body_bytes", limits.max_body_bytes, 64, std::int64_t{1} << 30);
        size("max_header_bytes", limits.max_header_bytes, 1024, 1 << 20);
        size("max_invitations", limits.max_invitations, 1, 100'000);
        size("max_async_invitations", limits.max_async_invitations, 1, 1'000'000);
        size("max_async_body_bytes", limits.max_async_body_bytes, 64, std::int64_t{1} << 32);
        size("max_connections", limits.max_connections, 1, 1'000'000);
        size("max_in_flight_requests", limits.max_in_flight_requests, 1, 1'000'000);
        size("max_connections_per_peer", limits.max_connections_per_peer, 1, 1'000'000);
        size("max_target_bytes", limits.max_target_bytes, 256, 1 << 20);
        time("read_timeout", limits.read_timeout);
        time("idle_timeout", limits.idle_timeout);
        time("request_timeout", limits.request_timeout);
        time("shutdown_grace", limits.shutdown_grace);
    }

    void read_log(const YAML::Node& node, log_config& log)
    {
        if (!reader_.expect_map(node, "log"))
            return;
        reader_.check_keys(node, "log", {"level", "destination", "requests"});
        if (const YAML::Node n = node["requests"]; n.IsDefined())
            if (auto v = reader_.boolean(n, "log.requests"))
                log.requests = *v;
        if (const YAML::Node n = node["level"]; n.IsDefined())
            if (auto v = reader_.string(n, "log.level")) {
                if (*v != "debug" && *v != "info" && *v != "warn" && *v != "error")
                    reader_.error(n, "log.level", "must be debug, info, warn or error");
                else
                    log.level = *v;
            }
        if (const YAML::Node n = node["destination"]; n.IsDefined())
            if (auto v = reader_.string(n, "log.destination")) {
                if (v->empty())
                    reader_.error(n, "log.destination", "must be stderr, stdout or a file path");
                else
                    log.destination = (*v == "stderr" || *v == "stdout") ? *v : resolve_path(base_dir_, *v);
            }
    }

    void read_state(const YAML::Node& node, gateway_config& config)
    {
        state_config& state = config.state;
        if (node.IsDefined() && reader_.expect_map(node, "state")) {
            reader_.check_keys(
                node, "state",
                {"backend", "path", "url", "retention", "idempotency_retention", "timeout", "instance", "job_lease"});
            if (const YAML::Node n = node["backend"]; n.IsDefined())
                if (auto v = reader_.string(n, "state.backend")) {
                    if (*v == "sqlite")
                        state.backend = state_config::backend_kind::sqlite;
                    else if (*v == "postgres")
                        state.backend = state_config::backend_kind::postgres;
                    else if (*v == "none")
                        state.backend = state_config::backend_kind::none;
                    else
                        reader_.error(n, "state.backend", "must be sqlite, postgres or none");
                }
            if (const YAML::Node n = node["path"]; n.IsDefined())
                if (auto v = reader_.string(n, "state.path")) {
                    if (v->empty())
                        reader_.error(n, "state.path", "must name a file");
                    else
                        state.path = resolve_path(base_dir_, *v);
                }
            if (const YAML::Node n = node["url"]; n.IsDefined())
                if (auto v = reader_.secret(n, "state.url", config.secret_variables))
                    state.url = *v;
            const auto time = [&](const char* name, duration& field) {
                if (const YAML::Node n = node[name]; n.IsDefined())
                    if (auto v = reader_.duration_value(n, child_key("state", name))) {
                        if (v->count() == 0)
                            reader_.error(n, child_key("state", name), "must be greater than zero");
                        else
                            field = *v;
                    }
            };
            time("retention", state.retention);
            time("idempotency_retention", state.idempotency_retention);
            time("timeout", state.timeout);
            time("job_lease", state.job_lease);
            if (const YAML::Node n = node["instance"]; n.IsDefined())
                if (auto v = reader_.string(n, "state.instance"))
                    state.instance = *v;
            using kind = state_config::backend_kind;
            if (state.backend == kind::postgres && state.url.empty())
                reader_.error(node, "state", "backend postgres needs `url` (a PostgreSQL connection URI)");
            if (state.backend != kind::postgres && node["url"].IsDefined())
                reader_.error(node["url"], "state.url", "is only read by backend postgres");
            if (state.backend != kind::sqlite && node["path"].IsDefined())
                reader_.error(node["path"], "state.path", "is only read by backend sqlite");
        }
        if (state.backend == state_config::backend_kind::sqlite && state.path.empty()) {
            const auto from_env = env_(state_path_variable);
            state.path = from_env && !from_env->empty() ? resolve_path(fs::current_path(), *from_env)
                                                        : (base_dir_ / "ledger.db").lexically_normal().string();
        }
    }

    void read_roles(const YAML::Node& node, std::vector<std::string>& roles)
    {
        if (!node.IsDefined())
            return;
        const auto list = reader_.string_list(node, "roles");
        if (!list)
            return;
        if (list->empty())
            reader_.error(node, "roles", "declare at least one canonical role");
        std::set<std::string> seen;
        for (std::size_t i = 0; i < list->size(); ++i) {
            const std::string& role = (*list)[i];
            if (role.empty())
                reader_.error(node[i], index_key("roles", i), "must not be empty");
            else if (!seen.insert(role).second)
                reader_.error(node[i], index_key("roles", i), "role \"" + role + "\" is declared twice");
        }
        roles = *list;
    }

    // Role map values: a plain integer, a string, a list of integers, or the plain word
    // `unsupported` (the vendor has no such role).
    std::optional<role_value> read_role_value(const YAML::Node& node, const std::string& key)
    {
        if (node.IsSequence()) {
            std::vector<std::int64_t> ids;
            for (std::size_t i = 0; i < node.size(); ++i) {
                auto id = reader_.integer(node[i], index_key(key, i), INT64_MIN, INT64_MAX);
                if (!id)
                    return std::nullopt;
                ids.push_back(*id);
            }
            if (ids.empty()) {
                reader_.error(node, key, "an empty list grants no role; write `unsupported` instead");
                return std::nullopt;
            }
            return role_value(std::move(ids));
        }
        if (!node.IsScalar()) {
            reader_.error(node, key, "must be a role value (a string, an integer or a list of integers)");
            return std::nullopt;
        }
        const bool plain = yaml_reader::is_plain_scalar(node);
        if (plain && node.Scalar() == "unsupported")
            return role_value(unsupported_role{});
        auto text = reader_.string(node, key);
        if (!text)
            return std::nullopt;
        if (text->empty()) {
            reader_.error(node, key, "must not be empty; write `unsupported` for a role the target lacks");
            return std::nullopt;
        }
        if (plain) {
            std::int64_t number = 0;
            const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), number);
            if (ec == std::errc{} && end == text->data() + text->size())
                return role_value(number);
        }
        return role_value(std::move(*text));
    }

    // `secret_variables` is non-null for a map of secrets.
    void read_string_map(const YAML::Node& node, const std::string& key, std::map<std::string, std::string>& out,
                         std::set<std::string, std::less<>>* secret_variables = nullptr)
    {
        if (!reader_.expect_map(node, key))
            return;
        reader_.check_unique_keys(node, key);
        for (const auto& member : node) {
            const std::string name = member.first.Scalar();
            const std::string member_key = child_key(key, name);
            if (auto value = secret_variables ? reader_.secret(member.second, member_key, *secret_variables)
                                              : reader_.string(member.second, member_key))
                out[name] = std::move(*value);
        }
    }

    // Each parameter is one value or a list of them; which one a provider wants is checked
    // when the target is bound to it, at the origins recorded here.
    void read_params(const YAML::Node& node, const std::string& key, target_config& target)
    {
        if (!reader_.expect_map(node, key))
            return;
        reader_.check_unique_keys(node, key);
        for (const auto& member : node) {
            const std::string name = member.first.Scalar();
            const std::string member_key = child_key(key, name);
            target.param_origins[name] = reader_.origin(member.second);
            if (!member.second.IsSequence()) {
                if (auto value = reader_.string(member.second, member_key))
                    target.params[name] = std::move(*value);
                continue;
            }
            std::vector<std::string> list;
            for (std::size_t i = 0; i < member.second.size(); ++i) {
                const YAML::Node element = member.second[i];
                const std::string element_key = index_key(member_key, i);
                target.param_origins[index_key(name, i)] = reader_.origin(element);
                if (auto value = reader_.string(element, element_key))
                    list.push_back(std::move(*value));
            }
            target.list_params[name] = std::move(list);
        }
    }

    void read_targets(const YAML::Node& node, gateway_config& config)
    {
        if (!node.IsDefined() || !reader_.expect_sequence(node, "targets"))
            return;
        std::set<std::string> names;
        for (std::size_t i = 0; i < node.size(); ++i) {
            const YAML::Node t = node[i];
            const std::string key = index_key("targets", i);
            if (!reader_.expect_map(t, key))
                continue;
            reader_.check_keys(t, key,
                               {"name", "provider", "base_url", "params", "secrets", "roles", "timeout",
                                "max_in_flight", "batch_size", "ca_file", "rate", "circuit_breaker"});
            target_config target;
            target.origin = reader_.origin(t);
            // required() already reported a missing name; reading the absent node would
            // add a second, position-less diagnostic (or throw YAML::InvalidNode).
            const YAML::Node name_node = reader_.required(t, key, "name");
            if (auto v = name_node.IsDefined() ? reader_.string(name_node, child_key(key, "name")) : std::nullopt) {
                target.name = *v;
                if (target.name.empty())
                    reader_.error(t["name"], child_key(key, "name"), "must not be empty");
                else if (!names.insert(target.name).second)
                    reader_.error(t["name"], child_key(key, "name"),
                                  "target \"" + target.name + "\" is declared twice");
            }
            const std::string tkey = target.name.empty() ? key : "targets." + target.name;
            if (const YAML::Node n = reader_.required(t, tkey, "provider"); n.IsDefined())
                if (auto v = reader_.string(n, child_key(tkey, "provider")))
                    target.provider = *v;
            if (const YAML::Node n = reader_.required(t, tkey, "base_url"); n.IsDefined())
                if (auto v = reader_.url(n, child_key(tkey, "base_url")))
                    target.url = *v;
            if (const YAML::Node n = t["params"]; n.IsDefined())
                read_params(n, child_key(tkey, "params"), target);
            if (const YAML::Node n = t["secrets"]; n.IsDefined())
                read_string_map(n, child_key(tkey, "secrets"), target.secrets, &config.secret_variables);
            if (const YAML::Node n = t["roles"]; n.IsDefined())
                read_role_map(n, child_key(tkey, "roles"), config.roles, target.roles);
            if (const YAML::Node n = t["timeout"]; n.IsDefined())
                if (auto v = reader_.duration_value(n, child_key(tkey, "timeout"))) {
                    if (v->count() == 0)
                        reader_.error(n, child_key(tkey, "timeout"), "must be greater than zero");
                    else
                        target.timeout = *v;
                }
            if (const YAML::Node n = t["max_in_flight"]; n.IsDefined())
                if (auto v = reader_.integer(n, child_key(tkey, "max_in_flight"), 1, 1024))
                    target.max_in_flight = static_cast<unsigned>(*v);
            if (const YAML::Node n = t["batch_size"]; n.IsDefined())
                if (auto v = reader_.integer(n, child_key(tkey, "batch_size"), 1, 100'000))
                    target.batch_size = static_cast<unsigned>(*v);
            if (const YAML::Node n = t["ca_file"]; n.IsDefined())
                if (auto v = reader_.string(n, child_key(tkey, "ca_file"))) {
                    target.ca_file = resolve_path(base_dir_, *v);
                    if (!fs::is_regular_file(target.ca_file))
                        reader_.error(n, child_key(tkey, "ca_file"), "no such file: " + target.ca_file);
                }
            if (const YAML::Node n = t["rate"]; n.IsDefined())
                read_rate(n, child_key(tkey, "rate"), target.rate.emplace());
            if (const YAML::Node n = t["circuit_breaker"]; n.IsDefined())
                read_circuit_breaker(n, child_key(tkey, "circuit_breaker"), target.circuit_breaker);
            config.targets.push_back(std::move(target));
        }
    }

    void read_rate(const YAML::Node& node, const std::string& key, rate_config& rate)
    {
        if (!reader_.expect_map(node, key))
            return;
        reader_.check_keys(node, key, {"requests", "per", "burst"});
        if (const YAML::Node n = reader_.required(node, key, "requests"); n.IsDefined())
            if (auto v = reader_.integer(n, child_key(key, "requests"), 1, 1'000'000))
                rate.requests = static_cast<unsigned>(*v);
        if (const YAML::Node n = node["per"]; n.IsDefined())
            if (auto v = reader_.duration_value(n, child_key(key, "per"))) {
                if (v->count() == 0)
                    reader_.error(n, child_key(key, "per"), "must be greater than zero");
                else
                    rate.per = *v;
            }
        if (const YAML::Node n = node["burst"]; n.IsDefined())
            if (auto v = reader_.integer(n, child_key(key, "burst"), 1, 1'000'000))
                rate.burst = static_cast<unsigned>(*v);
    }

    void read_circuit_breaker(const YAML::Node& node, const std::string& key, circuit_breaker_config& breaker)
    {
        if (!reader_.expect_map(node, key))
            return;
        reader_.check_keys(node, key, {"consecutive_failures", "base_ejection", "max_ejection"});
        if (const YAML::Node n = node["consecutive_failures"]; n.IsDefined())
            if (auto v = reader_.integer(n, child_key(key, "consecutive_failures"), 0, 1'000'000))
                breaker.consecutive_failures = static_cast<unsigned>(*v);
        const auto positive = [&](const char* name, duration& out) {
            if (const YAML::Node n = node[name]; n.IsDefined())
                if (auto v = reader_.duration_value(n, child_key(key, name))) {
                    if (v->count() == 0)
                        reader_.error(n, child_key(key, name), "must be greater than zero");
                    else
                        out = *v;
                }
        };
        positive("base_ejection", breaker.base_ejection);
        positive("max_ejection", breaker.max_ejection);
        if (breaker.max_ejection < breaker.base_ejection)
            reader_.error(node, key, "max_ejection must not be shorter than base_ejection");
    }

    void read_role_map(const YAML::Node& node, const std::string& key, const std::vector<std::string>& canonical,
                       std::map<std::string, role_value>& out)
    {
        if (!reader_.expect_map(node, key))
            return;
        reader_.check_unique_keys(node, key);
        for (const auto& member : node) {
            const std::string role = member.first.Scalar();
            if (std::find(canonical.begin(), canonical.end(), role) == canonical.end()) {
                reader_.error(member.first, child_key(key, role),
                              "\"" + role + "\" is not a canonical role (declare it under `roles`)");
                continue;
            }
            if (auto value = read_role_value(member.second, child_key(key, role)))
                out[role] = std::move(*value);
        }
    }

    // A list of declared target names, none twice (`when_empty`: why an empty one is wrong).
    std::optional<std::vector<std::string>> read_target_names(const YAML::Node& n, const std::string& key,
                                                              const gateway_config& config, std::string_view when_empty)
    {
        auto names = reader_.string_list(n, key);
        if (!names)
            return names;
        if (names->empty())
            reader_.error(n, key, when_empty);
        std::set<std::string> seen;
        for (std::size_t j = 0; j < names->size(); ++j) {
            const std::string& name = (*names)[j];
            if (!config.find_target(name))
                reader_.error(n[j], index_key(key, j), "no target named \"" + name + "\"");
            else if (!seen.insert(name).second)
                reader_.error(n[j], index_key(key, j), "target \"" + name + "\" is listed twice");
        }
        return names;
    }

    void read_routes(const YAML::Node& node, gateway_config& config)
    {
        if (!node.IsDefined() || !reader_.expect_sequence(node, "routes"))
            return;
        if (node.size() == 0)
            reader_.error(node, "routes", "declare at least one route");
        std::set<std::string> paths;
        for (std::size_t i = 0; i < node.size(); ++i) {
            const YAML::Node r = node[i];
            const std::string key = index_key("routes", i);
            if (!reader_.expect_map(r, key))
                continue;
            reader_.check_keys(r, key, {"path", "targets", "idempotency"});
            route_config route;
            route.origin = reader_.origin(r);
            if (const YAML::Node n = reader_.required(r, key, "path"); n.IsDefined())
                if (auto v = reader_.string(n, child_key(key, "path"))) {
                    route.path = *v;
                    if (route.path.empty() || route.path.front() != '/' ||
                        route.path.find_first_of("?# \t") != std::string::npos)
                        reader_.error(n, child_key(key, "path"), "must be a path starting with '/'");
                    else if (route.path == "/healthz" || route.path == "/readyz" || route.path == "/metrics" ||
                             route.path == "/openapi.json" || route.path.starts_with("/admin/") ||
                             route.path.starts_with("/v1/requests/") || route.path.starts_with("/v1/jobs/"))
                        reader_.error(n, child_key(key, "path"), "is reserved by the gateway");
                    else if (!paths.insert(route.path).second)
                        reader_.error(n, child_key(key, "path"), "route " + route.path + " is declared twice");
                }
            if (const YAML::Node n = reader_.required(r, key, "targets"); n.IsDefined())
                if (auto names = read_target_names(n, child_key(key, "targets"), config,
                                                   "a route needs at least one target"))
                    route.targets = std::move(*names);
            if (const YAML::Node n = r["idempotency"]; n.IsDefined())
                if (auto v = reader_.string(n, child_key(key, "idempotency"))) {
                    if (*v == "required" && !config.state.enabled())
                        reader_.error(n, child_key(key, "idempotency"),
                                      "required needs a ledger, and state.backend is none");
                    else if (*v == "required")
                        route.idempotency = idempotency_mode::required;
                    else if (*v != "optional")
                        reader_.error(n, child_key(key, "idempotency"), "must be optional or required");
                }
            config.routes.push_back(std::move(route));
        }
    }

    void read_clients(const YAML::Node& node, gateway_config& config)
    {
        if (!node.IsDefined() || !reader_.expect_sequence(node, "clients"))
            return;
        std::set<std::string> names;
        std::set<std::string> certificate_cns;
        for (std::size_t i = 0; i < node.size(); ++i) {
            const YAML::Node c = node[i];
            const std::string key = index_key("clients", i);
            if (!reader_.expect_map(c, key))
                continue;
            reader_.check_keys(c, key,
                               {"name", "key", "key_sha256", "keys", "keys_sha256", "certificate_cn", "routes",
                                "targets", "max_invitations", "rate", "admin", "webhook"});
            client_config client;
            const YAML::Node name_node = reader_.required(c, key, "name");
            if (auto v = name_node.IsDefined() ? reader_.string(name_node, child_key(key, "name")) : std::nullopt) {
                client.name = *v;
                if (!names.insert(client.name).second)
                    reader_.error(c["name"], child_key(key, "name"),
                                  "client \"" + client.name + "\" is declared twice");
            }
            if (const YAML::Node n = c["certificate_cn"]; n.IsDefined())
                read_certificate_cn(n, child_key(key, "certificate_cn"), certificate_cns, client);
            read_client_keys(c, key, client, config);
            // A key names its client: one shared by two would sign in as whichever came last.
            for (const auto& earlier : config.clients)
                for (const auto& digest : client.keys_sha256)
                    if (std::find(earlier.keys_sha256.begin(), earlier.keys_sha256.end(), digest) !=
                        earlier.keys_sha256.end()) {
                        reader_.error(c, key, "a key of this client is also a key of client \"" + earlier.name +
                                                  "\": each key must belong to one client");
                        break;
                    }
            if (const YAML::Node n = c["admin"]; n.IsDefined())
                if (auto v = reader_.boolean(n, child_key(key, "admin")))
                    client.admin = *v;
            if (const YAML::Node n = c["routes"]; n.IsDefined())
                if (auto routes = reader_.string_list(n, child_key(key, "routes"))) {
                    for (std::size_t j = 0; j < routes->size(); ++j)
                        if (!config.find_route((*routes)[j]))
                            reader_.error(n[j], index_key(child_key(key, "routes"), j),
                                          "no route with path \"" + (*routes)[j] + "\"");
                    client.routes = std::move(*routes);
                }
            if (const YAML::Node n = c["targets"]; n.IsDefined())
                if (auto names = read_target_names(
                        n, child_key(key, "targets"), config,
                        "list at least one target, or leave `targets` out to allow them all"))
                    client.targets = std::move(*names);
            if (const YAML::Node n = c["max_invitations"]; n.IsDefined()) {
                // Never above the global limit: a synchronous request could not reach it.
                const auto limit = static_cast<std::int64_t>(config.limits.max_invitations);
                if (auto v = reader_.integer(n, child_key(key, "max_invitations"), 1, limit))
                    client.max_invitations = static_cast<std::size_t>(*v);
            }
            if (const YAML::Node n = c["rate"]; n.IsDefined()) {
                const std::string rkey = child_key(key, "rate");
                read_rate(n, rkey, client.rate.emplace());
                // RateLimit-Policy states its window in whole seconds (w=).
                if (client.rate->per.count() % 1000 != 0)
                    reader_.error(n["per"], child_key(rkey, "per"),
                                  "must be a whole number of seconds (the RateLimit-Policy header states the window in "
                                  "seconds)");
            }
            if (const YAML::Node n = c["webhook"]; n.IsDefined())
                client.webhook = read_webhook(n, child_key(key, "webhook"), config);
            config.clients.push_back(std::move(client));
        }
        if (node.size() == 0)
            reader_.error(node, "clients", "declare at least one client, or nobody can call the gateway");
    }

    // A client certificate names one client: its subject CN, matched exactly, on a listener
    // that verifies client certificates (so that the name is one a trusted CA vouched for).
    void read_certificate_cn(const YAML::Node& node, const std::string& key, std::set<std::string>& seen,
                             client_config& client)
    {
        const auto cn = reader_.string(node, key);
        if (!cn)
            return;
        if (cn->empty())
            reader_.error(node, key, "must not be empty");
        else if (!client_ca_declared_)
            reader_.error(node, key,
                          "needs `tls.client_ca`: only a client certificate verified by the listener can name a "
                          "client");
        else if (!seen.insert(*cn).second)
            reader_.error(node, key, "another client has certificate_cn \"" + *cn + "\"");
        else
            client.certificate_cn = *cn;
    }

    // `key`, `key_sha256`, `keys` or `keys_sha256`: exactly one of them. A list holds the
    // keys of a rotation (old and new both authenticate until the old one is removed).
    void read_client_keys(const YAML::Node& c, const std::string& key, client_config& client, gateway_config& config)
    {
        const YAML::Node plain = c["key"], hashed = c["key_sha256"], plain_list = c["keys"],
                         hashed_list = c["keys_sha256"];
        const int given = int(plain.IsDefined()) + int(hashed.IsDefined()) + int(plain_list.IsDefined()) +
                          int(hashed_list.IsDefined());
        if (given == 0 && !client.certificate_cn.empty())
            return; // authenticated by its certificate alone
        if (given != 1) {
            reader_.error(c, key, "give exactly one of `key`, `key_sha256`, `keys` or `keys_sha256`");
            return;
        }
        // Never echo a value: each is a secret.
        const auto read_plain = [&](const YAML::Node& n, const std::string& nkey) {
            if (auto v = reader_.secret(n, nkey, config.secret_variables)) {
                if (v->size() < min_client_key_length)
                    reader_.error(n, nkey,
                                  "a client key needs at least " + std::to_string(min_client_key_length) +
                                      " characters");
                else
                    client.keys_sha256.push_back(sha256(*v));
            }
        };
        const auto read_hashed = [&](const YAML::Node& n, const std::string& nkey) {
            if (auto v = reader_.secret(n, nkey, config.secret_variables)) {
                if (auto digest = parse_hex_digest(*v))
                    client.keys_sha256.push_back(*digest);
                else
                    reader_.error(n, nkey, "must be 64 hexadecimal digits (sha256sum of the key)");
            }
        };
        const auto read_list = [&](const YAML::Node& list, const std::string& lkey, const auto& read_one) {
            if (!reader_.expect_sequence(list, lkey))
                return;
            if (list.size() == 0) {
                reader_.error(list, lkey, "list at least one key");
                return;
            }
            for (std::size_t j = 0; j < list.size(); ++j) {
                const std::size_t before = client.keys_sha256.size();
                read_one(list[j], index_key(lkey, j));
                if (client.keys_sha256.size() > before &&
                    std::find(client.keys_sha256.begin(), client.keys_sha256.end() - 1, client.keys_sha256.back()) !=
                        client.keys_sha256.end() - 1)
                    reader_.error(list[j], index_key(lkey, j), "the same key is listed twice");
            }
        };
        if (plain.IsDefined())
            read_plain(plain, child_key(key, "key"));
        else if (hashed.IsDefined())
            read_hashed(hashed, child_key(key, "key_sha256"));
        else if (plain_list.IsDefined())
            read_list(plain_list, child_key(key, "keys"), read_plain);
        else
            read_list(hashed_list, child_key(key, "keys_sha256"), read_hashed);
    }

    void read_webhooks(const YAML::Node& node, webhooks_config& webhooks)
    {
        if (!reader_.expect_map(node, "webhooks"))
            return;
        reader_.check_keys(node, "webhooks", {"allow_http_loopback"});
        if (const YAML::Node n = node["allow_http_loopback"]; n.IsDefined())
            if (auto v = reader_.boolean(n, "webhooks.allow_http_loopback"))
                webhooks.allow_http_loopback = *v;
    }

    std::optional<webhook_config> read_webhook(const YAML::Node& node, const std::string& key, gateway_config& config)
    {
        if (!reader_.expect_map(node, key))
            return std::nullopt;
        reader_.check_keys(node, key, {"url", "secret"});
        std::optional<webhook_config> result(std::in_place);
        const YAML::Node url = reader_.required(node, key, "url");
        if (!url.IsDefined() || !check_webhook_url(url, child_key(key, "url"), config.webhooks, result->url))
            result.reset();
        const YAML::Node secret = reader_.required(node, key, "secret");
        // Never echo the value: it is a secret.
        if (auto text = secret.IsDefined() ? reader_.secret(secret, child_key(key, "secret"), config.secret_variables)
                                           : std::nullopt) {
            if (auto parsed = webhook::parse_secret(*text); parsed && result)
                result->secret = std::move(*parsed);
            else if (!parsed)
                reader_.error(secret, child_key(key, "secret"),
                              "must be `whsec_` followed by the base64 of a " + std::to_string(webhook::min_key_bytes) +
                                  " to " + std::to_string(webhook::max_key_bytes) + " byte key");
        } else {
            result.reset();
        }
        return result;
    }

    // A webhook URL: https, or http to a loopback host when the config allows it. Never
    // quoted back: a receiver's URL often carries a token in its path or query.
    bool check_webhook_url(const YAML::Node& node, const std::string& key, const webhooks_config& webhooks,
                           std::string& out)
    {
        const std::optional<std::string> text = reader_.string(node, key);
        if (!text)
            return false;
        const auto parsed = boost::urls::parse_uri(*text);
        const auto fail = [&](const std::string& why) {
            reader_.error(node, key, why);
            return false;
        };
        if (!parsed)
            return fail("not an absolute URL");
        const boost::urls::url_view& u = *parsed;
        const bool https = u.scheme_id() == boost::urls::scheme::https;
        if (!https && u.scheme_id() != boost::urls::scheme::http)
            return fail("a webhook URL must be https");
        if (!u.has_authority() || u.host_address().empty())
            return fail("the URL has no host");
        if (u.has_userinfo())
            return fail("a webhook URL takes no credentials: the receiver checks the signature");
        if (u.has_fragment())
            return fail("a webhook URL takes no fragment");
        if (u.has_port() && u.port_number() == 0)
            return fail("the port must be 1 to 65535");
        if (!https) {
            if (!is_loopback_host(u))
                return fail("a webhook URL must be https; http is allowed only to a loopback host (127.0.0.0/8, ::1, "
                            "localhost)");
            if (!webhooks.allow_http_loopback)
                return fail("http to a loopback host needs `webhooks: {allow_http_loopback: true}` at the top level; "
                            "otherwise use https");
        }
        out = *text;
        return true;
    }

    static bool is_loopback_host(const boost::urls::url_view& u)
    {
        switch (u.host_type()) {
        case boost::urls::host_type::ipv4: return u.host_ipv4_address().is_loopback(); // 127.0.0.0/8
        case boost::urls::host_type::ipv6: return u.host_ipv6_address().is_loopback();
        case boost::urls::host_type::name: {
            std::string host = u.host_address();
            for (char& ch : host)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            return host == "localhost" || host == "localhost.";
        }
        default: return false;
        }
    }

    yaml_reader reader_;
    const env_lookup& env_;
    fs::path base_dir_;
    bool client_ca_declared_ = false; // tls.client_ca is given (whether or not its file is usable)
};

} // namespace

std::array<std::uint8_t, 32> sha256(std::string_view data)
{
    // Client keys are hashed on every request. EVP_Digest with EVP_sha256() fetches the
    // algorithm by name and makes a context on each call (three allocations and about
    // 2k instructions); the algorithm is fetched once here, and each thread keeps its
    // context.
    struct free_context {
        void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
    };
    static EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    thread_local const std::unique_ptr<EVP_MD_CTX, free_context> context{EVP_MD_CTX_new()};
    std::array<std::uint8_t, 32> digest{};
    unsigned length = 0;
    if (algorithm && context && EVP_DigestInit_ex2(context.get(), algorithm, nullptr) == 1 &&
        EVP_DigestUpdate(context.get(), data.data(), data.size()) == 1 &&
        EVP_DigestFinal_ex(context.get(), digest.data(), &length) == 1)
        return digest;
    EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
    return digest;
}

std::string sha256_hex(std::string_view data, std::size_t bytes)
{
    static constexpr char hex[] = "0123456789abcdef";
    const std::array<std::uint8_t, 32> digest = sha256(data);
    std::string out;
    out.reserve(2 * bytes);
    for (std::size_t i = 0; i < bytes && i < digest.size(); ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 0xF]);
    }
    return out;
}

gateway_config load_gateway_config(const std::string& path, const env_lookup& env)
{
    return gateway_loader(path, env).load();
}

} // namespace igw::config
