#pragma once
// Operations harness: the gateway wired the way `invitegw serve` wires it (a config
// source shared by the server and a reloader, a metrics registry, the OpenAPI document,
// POST /admin/reload), from a config file written to a temporary directory, in front of
// the strict vendor emulators, driven over real sockets.

#include "gateway/app/reloader.hpp"
#include "gateway/mapping/compiled_config.hpp"
#include "gateway/mapping/config_source.hpp"
#include "gateway/server/server.hpp"
#include "gateway/telemetry/metrics.hpp"
#include "sandbox/emulator.hpp"
#include "tests/emulator/test_client.hpp"
#include "tests/support/files.hpp"
#include "tests/support/invite_body.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace igw::ops {

// The client keys of the configs written here: an ordinary client and an admin one.
inline constexpr std::string_view client_key = "ops-client-key-7f3a9c2e51d84b60";
inline constexpr std::string_view admin_key = "ops-admin-key-c81e0d4b2a9f7e35";
inline constexpr std::string_view invite_path = "/v1/invitations";

// The five targets of the route, in route order, each named after its provider.
inline const std::vector<std::string> route_targets{"anthropic", "clickhouse", "warpstream", "gorules", "atomicwork"};

// The repository's root (where config/ and providers/ live).
std::string repo_dir();

using ::igw::test::temp_dir;

// What a config written by config_yaml() says.
struct config_spec {
    // Target name -> base URL; targets left out point at a closed loopback port.
    std::map<std::string, std::string> base_urls;
    emulator::credentials creds{};
    // `${NAME}` references instead of literal secrets and client keys; the values must
    // then come from the gateway's environment map (see secret_environment()).
    bool secrets_from_environment = false;
    std::string anthropic_member = "user"; // what canonical `member` is on anthropic
    unsigned threads = 2;
    std::size_t max_invitations = 1000;
    std::string request_timeout = "20s";
    std::size_t max_connections = 10000;
};

// The shipped config/gateway.yaml with the spec's values: listen 127.0.0.1:0, the two
// clients, the repository's providers.
std::string config_yaml(const config_spec& spec);
// Base URLs of every target at `emulators`.
std::map<std::string, std::string> emulator_urls(const emulator::server& emulators);
// The variables a `secrets_from_environment` config reads, with `creds`' values.
std::map<std::string, std::string, std::less<>> secret_environment(const emulator::credentials& creds);

// A started gateway with metrics, the API description and reloads, like `invitegw serve`.
class gateway {
public:
    // Writes `yaml` as gateway.yaml in a temporary directory and serves it. `environment`
    // is what the config's `${NAME}`s read (nothing else from the process); reloads read
    // the process environment, as the real process does.
    explicit gateway(std::string_view yaml, std::map<std::string, std::string, std::less<>> environment = {});
    ~gateway(); // stops without grace and joins
    gateway(const gateway&) = delete;
    gateway& operator=(const gateway&) = delete;

    std::uint16_t port() const;
    const std::string& config_file() const noexcept { return config_file_; }
    std::shared_ptr<const mapping::compiled_config> current() const { return configs_->current(); }
    telemetry::registry& metrics() noexcept { return metrics_; }

    // Replaces the config file's text (not what is served until a reload).
    void write_config(std::string_view yaml);
    // Reloads through the same reloader POST /admin/reload and SIGHUP use.
    server::reload_outcome reload();

    // Stops (letting requests finish within `grace`) and joins the workers.
    void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(0));

private:
    temp_dir dir_;
    std::string config_file_;
    telemetry::registry metrics_;
    std::shared_ptr<mapping::config_source> configs_;
    std::unique_ptr<app::reloader> reloader_;
    std::unique_ptr<server::server> server_;
};

// One HTTP request on a fresh connection to 127.0.0.1:port (bounded by the client's
// timeout).
emulator::test_response http_request(std::uint16_t port, std::string method, std::string target,
                                     std::vector<std::pair<std::string, std::string>> headers = {},
                                     std::string body = {});

struct invite_options {
    std::string target = std::string(invite_path);                 // path and query
    std::optional<std::string> key = std::string(client_key);      // nullopt: no Authorization
    std::vector<std::pair<std::string, std::string>> headers = {}; // e.g. X-Request-Id
};
emulator::test_request invite_request(std::string body, const invite_options& options = {});
emulator::test_response post_invite(std::uint16_t port, std::string body, const invite_options& options = {});

using ::igw::test::invitation_spec;
using ::igw::test::invite_body;

// GET /metrics and GET /readyz's config_version.
std::string scrape_metrics(std::uint16_t port);
std::string ready_version(std::uint16_t port);

// The email of a recorded single-invitation vendor body ({"email": ...}), and the role.
std::string recorded_member(const emulator::recorded_request& record, std::string_view member);
// The value of a recorded request's header (case-insensitive), or nullopt.
std::optional<std::string> recorded_header(const emulator::recorded_request& record, std::string_view name);

// Writes `bytes` on a fresh connection and returns everything read until
// the server closes (each read bounded by 10 s).
std::string raw_exchange(std::uint16_t port, std::string_view bytes);

using ::igw::test::closed_port;

} // namespace igw::ops
