#include "tests/e2e/support/harness.hpp"

#include "gateway/dispatch/invite_pipeline.hpp"
#include "gateway/mapping/config_source.hpp"
#include "tests/support/shipped_config.hpp"

namespace igw::e2e {
namespace {

// The shipped config with the variant's limits, timeouts, CA and second client; its
// targets, secrets and role maps are read from the same variables as ever.
std::string variant_yaml(const config_variant& v)
{
    test::shipped_config c;
    c.set("threads", std::to_string(v.threads))
        .set("limits.max_body_bytes", v.max_body_bytes)
        .set("limits.request_timeout", v.request_timeout)
        .set("limits.shutdown_grace", v.shutdown_grace);
    for (const auto& [target, timeout] : v.timeouts)
        c.set("targets." + target + ".timeout", timeout);
    if (!v.ca_file.empty())
        c.set_on_every_target("ca_file", test::yaml_quoted(v.ca_file));
    if (v.limited_client) {
        c.append("clients", "{name: limited, key: " + std::string(limited_client_key) + ", routes: [" +
                                std::string(limited_route) + "]}");
        c.append("routes", "{path: " + std::string(limited_route) + ", targets: [anthropic]}");
    }
    return c.text();
}

} // namespace

gateway::gateway(const emulator::server& emulators, gateway_options options)
{
    std::map<std::string, std::string, std::less<>> env;
    for (auto& [name, value] : emulator::environment_for(emulators))
        env[name] = value;
    env["INVITEGW_CLIENT_KEY"] = std::string(client_key);
    env["INVITEGW_LISTEN"] = "127.0.0.1:0";
    for (auto& [name, value] : options.env)
        env[name] = value;
    const config::env_lookup lookup = [env](std::string_view name) -> std::optional<std::string> {
        const auto it = env.find(name);
        if (it == env.end())
            return std::nullopt;
        return it->second;
    };

    if (options.variant) {
        config_file_ = dir_.emplace().write("gateway.yaml", variant_yaml(*options.variant));
    } else {
        config_file_ = test::checkout_dir() + "/config/gateway.yaml";
    }
    config_ = mapping::load_compiled_config(config_file_, lookup);
    server_ = std::make_unique<server::server>(std::make_shared<mapping::config_source>(config_),
                                               dispatch::make_pipeline_factory());
    server_->start();
}

gateway::~gateway()
{
    if (server_) {
        server_->stop(std::chrono::milliseconds(0));
        server_->wait();
        server_.reset();
    }
}

std::uint16_t gateway::port() const { return server_->port(); }

server::server& gateway::front() { return *server_; }

emulator::test_response post_invite(std::uint16_t port, std::string body, const invite_options& options)
{
    emulator::test_request request;
    request.method = "POST";
    request.target = options.target;
    request.headers.emplace_back("Content-Type", options.content_type);
    if (options.key)
        request.headers.emplace_back("Authorization", "Bearer " + *options.key);
    for (const auto& header : options.headers)
        request.headers.push_back(header);
    request.body = std::move(body);
    emulator::test_client client("127.0.0.1", port);
    return client.send(request);
}

} // namespace igw::e2e
