#include "tests/e2e/support/harness.hpp"

#include "gateway/mapping/config_source.hpp"
#include "gateway/dispatch/invite_pipeline.hpp"
#include "gateway/json/writer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include "tests/support/paths.hpp"

namespace igw::e2e {
namespace {

namespace net = boost::asio;
namespace fs = std::filesystem;

const std::string repo_dir = ::igw::test::test_data_dir() + "/..";

std::string make_temp_dir()
{
    std::string pattern = (fs::temp_directory_path() / "igw-e2e-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        throw std::runtime_error("cannot create a temporary directory from " + pattern);
    return pattern;
}

// The shipped targets, secrets and role maps read from the same variables as
// config/gateway.yaml, with the variant's timeouts, CA and limits.
std::string variant_yaml(const config_variant& v)
{
    const auto timeout = [&](const std::string& target) {
        const auto it = v.timeouts.find(target);
        return it == v.timeouts.end() ? std::string("10s") : it->second;
    };
    const auto common = [&](const std::string& target, unsigned max_in_flight) {
        std::string text = "    timeout: " + timeout(target) + "\n    max_in_flight: " + std::to_string(max_in_flight) + "\n";
        if (!v.ca_file.empty())
            text += "    ca_file: \"" + v.ca_file + "\"\n";
        return text;
    };
    std::string y;
    y += "listen: ${INVITEGW_LISTEN}\n";
    y += "threads: " + std::to_string(v.threads) + "\n";
    y += "providers_dir: \"" + repo_dir + "/providers\"\n";
    y += "limits:\n";
    y += "  max_body_bytes: " + v.max_body_bytes + "\n";
    y += "  request_timeout: " + v.request_timeout + "\n";
    y += "  shutdown_grace: " + v.shutdown_grace + "\n";
    y += "roles: [admin, developer, member, billing]\n";
    y += "clients:\n";
    y += "  - name: default\n    key: ${INVITEGW_CLIENT_KEY}\n";
    if (v.limited_client)
        y += "  - name: limited\n    key: " + std::string(limited_client_key) + "\n    routes: [" +
             std::string(limited_route) + "]\n";
    y += "routes:\n";
    y += "  - path: " + std::string(invite_path) + "\n    targets: [anthropic, clickhouse, warpstream, gorules, atomicwork]\n";
    if (v.limited_client)
        y += "  - path: " + std::string(limited_route) + "\n    targets: [anthropic]\n";
    y += "targets:\n";
    y += "  - name: anthropic\n    provider: anthropic\n    base_url: ${ANTHROPIC_BASE_URL}\n"
         "    secrets:\n      api_key: ${ANTHROPIC_ADMIN_KEY}\n"
         "    roles: {admin: unsupported, developer: developer, member: user, billing: billing}\n" +
         common("anthropic", 8);
    y += "  - name: clickhouse\n    provider: clickhouse\n    base_url: ${CLICKHOUSE_BASE_URL}\n"
         "    params:\n      organization_id: ${CLICKHOUSE_ORG_ID}\n"
         "    secrets:\n      key_id: ${CLICKHOUSE_KEY_ID}\n      key_secret: ${CLICKHOUSE_KEY_SECRET}\n"
         "    roles: {admin: admin, developer: developer, member: developer, billing: unsupported}\n" +
         common("clickhouse", 8);
    y += "  - name: warpstream\n    provider: warpstream\n    base_url: ${WARPSTREAM_BASE_URL}\n"
         "    secrets:\n      api_key: ${WARPSTREAM_API_KEY}\n"
         "    roles: {admin: \"${WARPSTREAM_ROLE_ADMIN}\", developer: \"${WARPSTREAM_ROLE_MEMBER}\","
         " member: \"${WARPSTREAM_ROLE_MEMBER}\", billing: unsupported}\n" +
         common("warpstream", 4);
    y += "  - name: gorules\n    provider: gorules\n    base_url: ${GORULES_BASE_URL}\n"
         "    secrets:\n      token: ${GORULES_TOKEN}\n" +
         common("gorules", 4);
    y += "  - name: atomicwork\n    provider: atomicwork\n    base_url: ${ATOMICWORK_BASE_URL}\n"
         "    params:\n      workspace_id: ${ATOMICWORK_WORKSPACE_ID:-}\n"
         "    secrets:\n      api_key: ${ATOMICWORK_API_KEY}\n"
         "    roles: {admin: [\"${ATOMICWORK_ROLE_ADMIN}\"], developer: [\"${ATOMICWORK_ROLE_DEVELOPER}\"],"
         " member: [\"${ATOMICWORK_ROLE_MEMBER}\"], billing: [\"${ATOMICWORK_ROLE_BILLING}\"]}\n" +
         common("atomicwork", 4);
    return y;
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
        temp_dir_ = make_temp_dir();
        config_file_ = temp_dir_ + "/gateway.yaml";
        std::ofstream out(config_file_);
        out << variant_yaml(*options.variant);
        if (!out.flush())
            throw std::runtime_error("cannot write " + config_file_);
    } else {
        config_file_ = repo_dir + "/config/gateway.yaml";
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
    if (!temp_dir_.empty()) {
        std::error_code ignored;
        fs::remove_all(temp_dir_, ignored);
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

std::string invite_body(const std::vector<invitation_spec>& invitations,
                        const std::optional<std::vector<std::string>>& targets)
{
    std::string body;
    json::writer w(body);
    w.begin_object();
    w.key("invitations").begin_array();
    for (const auto& item : invitations) {
        w.begin_object();
        w.member("email", item.email);
        w.member("role", item.role);
        if (item.ref)
            w.member("ref", *item.ref);
        w.end_object();
    }
    w.end_array();
    if (targets) {
        w.key("targets").begin_array();
        for (const auto& target : *targets)
            w.string(target);
        w.end_array();
    }
    w.end_object();
    return body;
}

std::uint16_t closed_port()
{
    net::io_context ioc;
    net::ip::tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
    const std::uint16_t port = acceptor.local_endpoint().port();
    acceptor.close();
    return port;
}

} // namespace igw::e2e
