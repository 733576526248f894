#include "tests/ops/support/ops_gateway.hpp"

#include "gateway/api/openapi.hpp"
#include "gateway/dispatch/invite_pipeline.hpp"
#include "gateway/json/writer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <simdjson.h>

#include "tests/support/shipped_config.hpp"
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace igw::ops {
namespace {

namespace net = boost::asio;
namespace fs = std::filesystem;

using boost::beast::iequals;

} // namespace

std::string repo_dir() { return test::checkout_dir(); }

std::string config_yaml(const config_spec& spec)
{
    const emulator::credentials& c = spec.creds;
    // What the shipped file's ${NAME}s become: the spec's URLs, ids and role ids, and the
    // secrets, or, with secrets_from_environment, the references themselves, which the
    // gateway then resolves from its environment.
    std::map<std::string, std::string, std::less<>> values;
    for (const std::string& target : route_targets) {
        const auto it = spec.base_urls.find(target);
        std::string variable = target + "_BASE_URL";
        std::transform(variable.begin(), variable.end(), variable.begin(),
                       [](char ch) { return ch >= 'a' && ch <= 'z' ? static_cast<char>(ch - 'a' + 'A') : ch; });
        values[variable] = it != spec.base_urls.end() ? it->second
                                                      : "http://127.0.0.1:" + std::to_string(closed_port());
    }
    values["ATOMICWORK_TENANT"] = "unused"; // the base URL is given
    values["CLICKHOUSE_ORG_ID"] = c.clickhouse_org_id;
    values["ATOMICWORK_WORKSPACE_ID"] = c.atomicwork_workspace_id;
    values["WARPSTREAM_ROLE_ADMIN"] = c.warpstream_role_ids.at(0);
    values["WARPSTREAM_ROLE_MEMBER"] = c.warpstream_role_ids.at(1);
    values["ATOMICWORK_ROLE_ADMIN"] = std::to_string(c.atomicwork_role_ids.at(0));
    values["ATOMICWORK_ROLE_DEVELOPER"] = std::to_string(c.atomicwork_role_ids.at(1));
    values["ATOMICWORK_ROLE_MEMBER"] = std::to_string(c.atomicwork_role_ids.at(2));
    values["ATOMICWORK_ROLE_BILLING"] = std::to_string(c.atomicwork_role_ids.at(3));
    for (const auto& [name, value] : secret_environment(c))
        values[name] = spec.secrets_from_environment ? "${" + name + "}" : value;
    const config::env_lookup lookup = [&values](std::string_view name) -> std::optional<std::string> {
        const auto it = values.find(name);
        if (it == values.end())
            return std::nullopt;
        return it->second;
    };

    test::shipped_config y;
    y.substitute(lookup);
    y.set("listen", "127.0.0.1:0")
        .set("threads", std::to_string(spec.threads))
        .set("limits.max_invitations", std::to_string(spec.max_invitations))
        .set("limits.request_timeout", spec.request_timeout)
        .set("limits.max_connections", std::to_string(spec.max_connections))
        .set("targets.anthropic.roles.member", spec.anthropic_member);
    // Two clients instead of the shipped one: the app and an operator allowed the admin
    // endpoints.
    y.set("clients", "[{name: app, key: " + test::yaml_quoted(values.at("INVITEGW_CLIENT_KEY")) +
                         "}, {name: operator, key: " + test::yaml_quoted(values.at("INVITEGW_ADMIN_KEY")) +
                         ", admin: true}]");
    return y.text();
}

std::map<std::string, std::string> emulator_urls(const emulator::server& emulators)
{
    std::map<std::string, std::string> urls;
    for (emulator::vendor v : emulator::all_vendors)
        urls[std::string(emulator::name(v))] = emulators.base_url(v);
    return urls;
}

std::map<std::string, std::string, std::less<>> secret_environment(const emulator::credentials& creds)
{
    return {
        {"INVITEGW_CLIENT_KEY", std::string(client_key)},
        {"INVITEGW_ADMIN_KEY", std::string(admin_key)},
        {"ANTHROPIC_ADMIN_KEY", creds.anthropic_api_key},
        {"CLICKHOUSE_KEY_ID", creds.clickhouse_key_id},
        {"CLICKHOUSE_KEY_SECRET", creds.clickhouse_key_secret},
        {"WARPSTREAM_API_KEY", creds.warpstream_api_key},
        {"GORULES_TOKEN", creds.gorules_token},
        {"ATOMICWORK_API_KEY", creds.atomicwork_api_key},
    };
}

gateway::gateway(std::string_view yaml, std::map<std::string, std::string, std::less<>> environment)
{
    config_file_ = dir_.write("gateway.yaml", yaml);
    const config::env_lookup lookup =
        [env = std::move(environment)](std::string_view name) -> std::optional<std::string> {
        const auto it = env.find(name);
        if (it == env.end())
            return std::nullopt;
        return it->second;
    };
    configs_ = std::make_shared<mapping::config_source>(mapping::load_compiled_config(config_file_, lookup));
    reloader_ = std::make_unique<app::reloader>(config_file_, configs_, metrics_);

    server::server_services services;
    services.metrics = &metrics_;
    services.openapi = api::openapi_document();
    services.reload = [this] { return reloader_->reload(); };
    dispatch::pipeline_options pipeline;
    pipeline.metrics = &metrics_;
    server_ = std::make_unique<server::server>(configs_, dispatch::make_pipeline_factory(pipeline), services);
    server_->start();
}

gateway::~gateway() { stop(); }

void gateway::stop(std::chrono::milliseconds grace)
{
    if (!server_)
        return;
    server_->stop(grace);
    server_->wait();
    server_.reset();
}

std::uint16_t gateway::port() const { return server_->port(); }

void gateway::write_config(std::string_view yaml) { dir_.write("gateway.yaml", yaml); }

server::reload_outcome gateway::reload() { return reloader_->reload(); }

emulator::test_response http_request(std::uint16_t port, std::string method, std::string target,
                                     std::vector<std::pair<std::string, std::string>> headers, std::string body)
{
    emulator::test_request request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.headers = std::move(headers);
    request.body = std::move(body);
    emulator::test_client client("127.0.0.1", port);
    return client.send(request);
}

emulator::test_request invite_request(std::string body, const invite_options& options)
{
    emulator::test_request request;
    request.method = "POST";
    request.target = options.target;
    request.headers.emplace_back("Content-Type", "application/json");
    if (options.key)
        request.headers.emplace_back("Authorization", "Bearer " + *options.key);
    for (const auto& header : options.headers)
        request.headers.push_back(header);
    request.body = std::move(body);
    return request;
}

emulator::test_response post_invite(std::uint16_t port, std::string body, const invite_options& options)
{
    emulator::test_client client("127.0.0.1", port);
    return client.send(invite_request(std::move(body), options));
}

std::string scrape_metrics(std::uint16_t port)
{
    const auto reply = http_request(port, "GET", "/metrics");
    if (!reply.ok() || reply.status != 200)
        throw std::runtime_error("GET /metrics failed: " + reply.error + " " + std::to_string(reply.status));
    return reply.body;
}

std::string ready_version(std::uint16_t port)
{
    const auto reply = http_request(port, "GET", "/readyz");
    if (!reply.ok() || reply.status != 200)
        throw std::runtime_error("GET /readyz failed: " + reply.error + " " + std::to_string(reply.status));
    simdjson::dom::parser parser;
    std::string_view version;
    if (parser.parse(reply.body)["config_version"].get_string().get(version))
        throw std::runtime_error("GET /readyz has no config_version: " + reply.body);
    return std::string(version);
}

std::string recorded_member(const emulator::recorded_request& record, std::string_view member)
{
    simdjson::dom::parser parser;
    std::string_view value;
    if (parser.parse(record.body)[member].get_string().get(value))
        return {};
    return std::string(value);
}

std::optional<std::string> recorded_header(const emulator::recorded_request& record, std::string_view name)
{
    for (const auto& [key, value] : record.headers)
        if (iequals(key, name))
            return value;
    return std::nullopt;
}

std::string raw_exchange(std::uint16_t port, std::string_view bytes)
{
    net::io_context ioc;
    net::ip::tcp::socket socket(ioc);
    socket.connect({net::ip::make_address("127.0.0.1"), port});
    const timeval timeout{10, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    net::write(socket, net::buffer(bytes.data(), bytes.size()));
    std::string received;
    char chunk[4096];
    for (;;) {
        boost::system::error_code ec;
        const std::size_t n = socket.read_some(net::buffer(chunk), ec);
        received.append(chunk, n);
        if (ec)
            break; // end of stream, reset or the timeout
    }
    return received;
}

} // namespace igw::ops
