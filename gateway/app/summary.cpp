#include "gateway/app/summary.hpp"

#include "gateway/app/ledger_setup.hpp"
#include "gateway/config/pem.hpp"


namespace igw::app {
namespace {

std::string format_duration(config::duration d)
{
    const auto ms = d.count();
    if (ms % 1000 == 0)
        return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

// Retentions are hours or days long: in hours when whole.
std::string format_retention(config::duration d)
{
    constexpr std::int64_t hour = 3600 * 1000;
    return d.count() % hour == 0 ? std::to_string(d.count() / hour) + "h" : format_duration(d);
}

std::string format_role(const config::role_value& value)
{
    if (std::holds_alternative<config::unsupported_role>(value))
        return "unsupported";
    if (const auto* text = std::get_if<std::string>(&value))
        return "\"" + *text + "\"";
    if (const auto* number = std::get_if<std::int64_t>(&value))
        return std::to_string(*number);
    std::string list = "[";
    for (std::int64_t id : std::get<std::vector<std::int64_t>>(value))
        list += (list.size() > 1 ? ", " : "") + std::to_string(id);
    return list + "]";
}

template <typename Range>
std::string join(const Range& items)
{
    std::string text;
    for (const auto& item : items)
        text += (text.empty() ? "" : ", ") + std::string(item);
    return text;
}

} // namespace

void write_summary(std::ostream& out, const mapping::compiled_config& loaded)
{
    const config::gateway_config& c = loaded.config;
    const unsigned threads = config::worker_threads(c.listener);
    out << c.file << ": OK\n";
    out << "listen      " << c.listener.address << ":" << c.listener.port << " (" << threads << " worker threads)\n";
    if (c.tls) {
        out << "tls         " << c.tls->cert_file << " (" << config::first_certificate_subject(c.tls->cert_pem)
            << "), key " << c.tls->key_file << "\n";
        if (!c.tls->client_ca_file.empty())
            out << "            client certificates required, from CAs in " << c.tls->client_ca_file << "\n";
    }
    out << "limits      body " << c.limits.max_body_bytes << " B, headers " << c.limits.max_header_bytes << " B, "
        << c.limits.max_invitations << " invitations/request, " << c.limits.max_connections << " connections, "
        << c.limits.max_in_flight_requests << " requests in flight\n";
    out << "timeouts    read " << format_duration(c.limits.read_timeout) << ", idle "
        << format_duration(c.limits.idle_timeout) << ", request " << format_duration(c.limits.request_timeout)
        << ", shutdown grace " << format_duration(c.limits.shutdown_grace) << "\n";
    if (c.state.enabled())
        out << "ledger      " << ledger::describe_target(ledger_settings(c.state)) << " (requests kept "
            << format_retention(c.state.retention) << ", idempotency keys "
            << format_retention(c.state.idempotency_retention) << ")\n";
    else
        out << "ledger      none: outcomes are not recorded\n";
    out << "roles       " << join(c.roles) << "\n";
    out << "providers   " << c.providers_dir << "\n";
    // A mismatch fails the load, so a loaded provider's example is one that matched.
    for (const auto& provider : loaded.mappings.providers)
        out << "  provider " << provider->name << ": "
            << (provider->example ? "example request and reply match" : "no contract example") << "\n";
    out << "clients\n";
    for (const auto& client : c.clients) {
        out << "  " << client.name << "  "
            << (client.keys_sha256.empty()       ? std::string("no key")
                : client.keys_sha256.size() == 1 ? std::string("key <redacted>")
                                                 : std::to_string(client.keys_sha256.size()) + " keys <redacted>");
        if (!client.certificate_cn.empty())
            out << ", certificate CN " << client.certificate_cn;
        out << ", routes: " << (client.routes.empty() ? "all" : join(client.routes)) << "\n";
        if (!client.targets.empty())
            out << "    targets   " << join(client.targets) << "\n";
        if (client.max_invitations)
            out << "    limit     " << *client.max_invitations << " invitations/request\n";
        if (client.rate)
            out << "    rate      " << client.rate->requests << " requests per " << format_duration(client.rate->per)
                << ", burst " << client.rate->burst << "\n";
        // Where events go, but never the secret, nor a query (receivers put tokens there).
        if (client.webhook) {
            const std::string& url = client.webhook->url;
            const std::size_t query = url.find('?');
            out << "    webhook   " << (query == std::string::npos ? url : url.substr(0, query) + "?<redacted>")
                << " (secret <redacted>)\n";
        }
    }
    out << "routes\n";
    for (std::size_t i = 0; i < loaded.mappings.routes.size(); ++i) {
        const auto& route = loaded.mappings.routes[i];
        out << "  POST " << route.path << " -> " << join(route.target_names);
        if (c.routes[i].idempotency == config::idempotency_mode::required)
            out << " (Idempotency-Key required)";
        out << "\n";
    }
    out << "targets\n";
    for (const auto& target : loaded.mappings.targets) {
        const config::target_config& tc = c.targets[target.config_index];
        out << "  " << target.name << " (provider " << tc.provider << ")\n";
        out << "    call      " << target.method << " " << target.url() << "\n";
        if (target.has_lookup())
            out << "    lookup    GET " << (target.tls ? "https://" : "http://") << target.host_header
                << target.lookup_target << " (reconcile)\n";
        out << "    batch     up to " << target.max_items << " per call"
            << (target.provider->group_by_role ? ", grouped by role" : "") << "; " << target.max_in_flight
            << " calls in flight; timeout " << format_duration(target.timeout) << "\n";
        if (!target.ca_file.empty())
            out << "    ca_file   " << target.ca_file << "\n";
        for (const auto& header : target.headers)
            out << "    header    " << header.name << ": " << (header.secret ? "<redacted>" : header.value) << "\n";
        for (const auto& [name, value] : tc.params)
            out << "    param     " << name << " = " << (value.empty() ? "(unset)" : value) << "\n";
        for (const auto& [name, list] : tc.list_params) {
            out << "    param     " << name << " = [";
            for (std::size_t i = 0; i < list.size(); ++i)
                out << (i ? ", " : "") << list[i];
            out << "]\n";
        }
        for (const auto& [name, value] : tc.secrets)
            out << "    secret    " << name << " = <redacted>\n";
        if (target.provider->roles.type == mapping::role_spec::kind::none) {
            out << "    roles     (provider takes no role)\n";
        } else {
            for (std::size_t i = 0; i < c.roles.size(); ++i)
                out << "    role      " << c.roles[i] << " -> " << format_role(target.roles[i]) << "\n";
        }
    }
}

} // namespace igw::app
