#pragma once
// End-to-end harness: the gateway's real front server and invite pipeline, loaded from
// the shipped config/gateway.yaml (or a variant written to a temporary directory), pointed
// at the strict vendor emulators and driven over real sockets.

#include "gateway/mapping/compiled_config.hpp"
#include "gateway/server/server.hpp"
#include "sandbox/emulator.hpp"
#include "tests/emulator/test_client.hpp"
#include "tests/support/files.hpp"
#include "tests/support/invite_body.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace igw::e2e {

// The key of the shipped config's client (INVITEGW_CLIENT_KEY).
inline constexpr std::string_view client_key = "e2e-client-key-0123456789";
// The key of the variant config's second client, allowed only on `limited_route`.
inline constexpr std::string_view limited_client_key = "e2e-limited-key-0123456789";
inline constexpr std::string_view limited_route = "/v1/limited";
inline constexpr std::string_view invite_path = "/v1/invitations";

// The five targets of the shipped route, in route order.
inline const std::vector<std::string> route_order{"anthropic", "clickhouse", "warpstream", "gorules", "atomicwork"};

// What a variant config changes from the shipped one. Everything else (roles, role
// maps, targets, route, secrets read from the environment) is the shipped config's.
struct config_variant {
    std::string request_timeout = "30s";
    std::string shutdown_grace = "10s";
    std::string max_body_bytes = "1048576";
    std::map<std::string, std::string> timeouts{}; // target name -> duration; default 10s
    std::string ca_file;                           // for every target, when non-empty
    bool limited_client = false;                   // a second client allowed only on limited_route
    unsigned threads = 0;
};

struct gateway_options {
    std::optional<config_variant> variant{};                // nullopt: the shipped config
    std::vector<std::pair<std::string, std::string>> env{}; // wins over environment_for()
};

// A started gateway; stopped (without grace) and joined on destruction.
class gateway {
public:
    explicit gateway(const emulator::server& emulators, gateway_options options = {});
    ~gateway();
    gateway(const gateway&) = delete;
    gateway& operator=(const gateway&) = delete;

    std::uint16_t port() const;
    server::server& front();
    const mapping::compiled_config& config() const { return *config_; }
    const std::string& config_file() const { return config_file_; }

private:
    std::optional<test::temp_dir> dir_; // a variant is written here
    std::string config_file_;
    std::shared_ptr<const mapping::compiled_config> config_;
    std::unique_ptr<server::server> server_;
};

struct invite_options {
    std::string target = std::string(invite_path);            // path and query
    std::optional<std::string> key = std::string(client_key); // nullopt: no Authorization
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers{};
};

// POSTs `body` on a fresh connection and reads the reply (bounded by the client's timeout).
emulator::test_response post_invite(std::uint16_t port, std::string body, const invite_options& options = {});

using ::igw::test::closed_port;
using ::igw::test::invitation_spec;
using ::igw::test::invite_body;

} // namespace igw::e2e
