#include "tests/durability/support/deployment.hpp"

#include "tests/support/invite_body.hpp"
#include "tests/support/paths.hpp"

#include <simdjson.h>

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace igw::durability {
namespace {

const std::string repo_dir = test::test_data_dir() + "/..";

// Inserts `lines` right after the line `anchor` of `text`.
void insert_after(std::string& text, std::string_view anchor, std::string_view lines)
{
    const std::size_t at = text.find(anchor);
    if (at == std::string::npos)
        throw std::runtime_error("config/gateway.yaml has no line " + std::string(anchor));
    text.insert(at + anchor.size(), lines);
}

// The Nimbus target: role ids and team ids its emulated account has.
std::string nimbus_target(std::uint16_t port)
{
    return "\n  - name: nimbus\n    provider: nimbus\n    base_url: http://127.0.0.1:" + std::to_string(port) +
           "\n    secrets: {token: " + std::string(nimbus_token) +
           "}\n    params: {workspace: " + std::string(nimbus_workspace) +
           ", team_ids: [3, 5]}\n    roles: {admin: 10, developer: 20, member: 20, billing: unsupported}\n"
           "    timeout: " +
           std::to_string(nimbus_timeout_ms) + "ms\n";
}

// The shipped config with the test's ledger, a second client, a route that requires an
// Idempotency-Key and a short shutdown grace (shutdown_grace_ms); everything else
// (targets, role maps, other limits) as shipped. `providers_dir` holds the providers.
std::string test_config(const std::string& state_block, const deployment_options& options,
                        const std::string& providers_dir, std::uint16_t nimbus_port)
{
    std::string text = test::read_file(repo_dir + "/config/gateway.yaml");
    const std::size_t state = text.find("\nstate:\n");
    if (state == std::string::npos)
        throw std::runtime_error("config/gateway.yaml has no state section");
    const std::size_t end = text.find("\n\n", state + 1);
    text.replace(state + 1, end - state, state_block);
    const std::string grace = "shutdown_grace: 10s";
    const std::size_t at = text.find(grace);
    if (at == std::string::npos)
        throw std::runtime_error("config/gateway.yaml has no line " + grace);
    text.replace(at, grace.size(), "shutdown_grace: " + std::to_string(shutdown_grace_ms) + "ms");
    if (options.webhook_url) {
        insert_after(text, "    key: ${INVITEGW_CLIENT_KEY}\n",
                     "    webhook: {url: \"" + *options.webhook_url + "\", secret: \"" + std::string(webhook_secret) +
                         "\"}\n");
        text += "\nwebhooks: {allow_http_loopback: true}\n";
    }
    insert_after(text, "\nclients:\n",
                 "  - name: other\n    key: " + std::string(other_client_key) + "\n  - name: scoped\n    key: " +
                     std::string(scoped_client_key) + "\n    targets: [anthropic, clickhouse]\n    max_invitations: " +
                     std::to_string(scoped_max_invitations) + "\n");
    insert_after(text, "\nroutes:\n",
                 "  - path: " + std::string(strict_path) + "\n    targets: [anthropic]\n    idempotency: required\n");
    if (options.nimbus) {
        insert_after(text, "\nroutes:\n", "  - path: " + std::string(nimbus_path) + "\n    targets: [nimbus]\n");
        const std::size_t targets = text.find("\ntargets:\n");
        if (targets == std::string::npos)
            throw std::runtime_error("config/gateway.yaml has no targets section");
        const std::size_t end = text.find("\n\n", targets + 1);
        text.insert(end == std::string::npos ? text.size() : end, nimbus_target(nimbus_port));
    }
    return "providers_dir: " + providers_dir + "\n" + text;
}

} // namespace

deployment::deployment(ledger::backend_kind backend, deployment_options options)
    : db_(backend), emulators_(std::make_unique<emulator::server>())
{
    std::string providers_dir = repo_dir + "/providers";
    std::uint16_t nimbus_port = 0;
    if (options.nimbus) {
        nimbus_ = std::make_unique<e2e::nimbus_vendor>(std::string(nimbus_token), std::string(nimbus_workspace),
                                                       std::vector<std::int64_t>{10, 20},
                                                       std::vector<std::int64_t>{3, 5, 8});
        nimbus_port = nimbus_->port();
        // The shipped providers and the test-only one, side by side in one folder.
        for (const auto& entry : std::filesystem::directory_iterator(repo_dir + "/providers"))
            dir_.write("providers/" + entry.path().filename().string(), test::read_file(entry.path().string()));
        dir_.write("providers/nimbus.yaml", test::read_file(test::test_data_dir() + "/e2e/providers/nimbus.yaml"));
        providers_dir = (dir_.path() / "providers").string();
    }
    sqlite_path_ = (dir_.path() / "state" / "ledger.db").string();
    std::string state = "state:\n";
    if (backend == ledger::backend_kind::sqlite)
        state += "  backend: sqlite\n  path: " + sqlite_path_ + "\n";
    else
        state += "  backend: postgres\n  url: \"" + db_.settings().url + "\"\n";
    state += "  instance: ${INVITEGW_INSTANCE}\n  timeout: 5s\n  job_lease: " + std::to_string(job_lease_ms) + "ms\n";
    config_file_ = dir_.write("gateway.yaml", test_config(state, options, providers_dir, nimbus_port));
}

ledger::settings deployment::ledger_settings(const std::string& instance) const
{
    ledger::settings s = db_.settings(instance);
    s.path = sqlite_path_;
    return s;
}

std::vector<std::pair<std::string, std::string>> deployment::environment(const std::string& instance) const
{
    auto environment = emulator::environment_for(*emulators_);
    environment.emplace_back("INVITEGW_CLIENT_KEY", std::string(client_key));
    environment.emplace_back("INVITEGW_INSTANCE", instance);
    return environment;
}

std::unique_ptr<gateway_process> deployment::start(const std::string& instance)
{
    const std::string log = (dir_.path() / (instance + "-" + std::to_string(++started_) + ".log")).string();
    return std::make_unique<gateway_process>(config_file_, environment(instance), log);
}

std::string deployment::run_cli(const std::vector<std::string>& args) const
{
    // Every value here is a URL, a key or a path without a single quote.
    const auto quoted = [](const std::string& text) { return "'" + text + "'"; };
    std::string command = "env -i";
    for (const auto& [name, value] : environment("cli"))
        command += " " + quoted(name + "=" + value);
    command += " " + quoted(invitegw_binary().string());
    for (const auto& arg : args)
        command += " " + quoted(arg);
    command += " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe)
        throw std::runtime_error("cannot run " + command);
    std::string out;
    char buffer[4096];
    while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe))
        out.append(buffer, n);
    const int status = ::pclose(pipe);
    if (status != 0)
        throw std::runtime_error("invitegw exited with status " + std::to_string(status) + ":\n" + out);
    return out;
}

emulator::test_response post(std::uint16_t port, const std::string& body, const request_options& options)
{
    emulator::test_client client("127.0.0.1", port, std::nullopt, options.timeout);
    emulator::test_request request{"POST", options.path, options.headers, body};
    request.headers.emplace_back("Content-Type", "application/json");
    request.headers.emplace_back("Authorization", "Bearer " + options.key);
    if (options.idempotency_key)
        request.headers.emplace_back("Idempotency-Key", *options.idempotency_key);
    return client.send(request);
}

emulator::test_response get(std::uint16_t port, const std::string& path, std::string_view key)
{
    emulator::test_client client("127.0.0.1", port, std::nullopt, std::chrono::seconds(10));
    emulator::test_request request{"GET", path, {}, {}};
    if (!key.empty())
        request.headers.emplace_back("Authorization", "Bearer " + std::string(key));
    return client.send(request);
}

std::string invite_body(const std::vector<std::string>& emails, const std::vector<std::string>& targets)
{
    std::vector<test::invitation_spec> invitations;
    for (const auto& email : emails)
        invitations.push_back({email, "developer"});
    return test::invite_body(invitations, targets);
}

std::size_t calls_to(const emulator::server& emulators, emulator::vendor target)
{
    return emulators.requests(target).size();
}

bool wait_for_calls(const emulator::server& emulators, emulator::vendor target, std::size_t count,
                    std::chrono::milliseconds bound)
{
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
        if (calls_to(emulators, target) >= count)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return calls_to(emulators, target) >= count;
}

bool wait_for_connection(const emulator::server& emulators, emulator::vendor target, std::chrono::milliseconds bound)
{
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (emulators.connections_accepted(target) == 0) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

std::vector<result_row> result_rows(const std::string& body)
{
    simdjson::dom::parser parser;
    simdjson::dom::element root = parser.parse(body);
    std::vector<result_row> rows;
    simdjson::dom::element holder = root;
    if (simdjson::dom::element job_result; !root["result"].get(job_result))
        holder = job_result;
    for (simdjson::dom::element result : holder["results"].get_array()) {
        result_row row;
        row.email = std::string(result["email"].get_string().value());
        row.target = std::string(result["target"].get_string().value());
        row.status = std::string(result["status"].get_string().value());
        if (auto error = result["error"]; !error.error())
            row.code = std::string(error["code"].get_string().value());
        rows.push_back(std::move(row));
    }
    return rows;
}

std::ostream& operator<<(std::ostream& out, const result_row& row)
{
    return out << row.email << "@" << row.target << ": " << row.status << (row.code.empty() ? "" : " ") << row.code;
}

std::string json_member(const std::string& body, std::string_view name)
{
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(body).get(root))
        return {};
    std::string_view value;
    if (root[name].get(value))
        return {};
    return std::string(value);
}

} // namespace igw::durability
