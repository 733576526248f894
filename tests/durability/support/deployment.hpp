#pragma once
// A deployment for the durability tests: the strict vendor emulators in this process,
// the shipped config/gateway.yaml with the test's ledger, and as many `invitegw serve`
// processes on it as a test starts (several instances share one PostgreSQL database).

#include "gateway/ledger/settings.hpp"
#include "sandbox/emulator.hpp"
#include "tests/durability/support/gateway_process.hpp"
#include "tests/e2e/support/nimbus_vendor.hpp"
#include "tests/emulator/test_client.hpp"
#include "tests/ledger/support/backends.hpp"
#include "tests/support/files.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace igw::durability {

inline constexpr std::string_view client_key = "durability-client-key-4f1c9e";
inline constexpr std::string_view other_client_key = "durability-other-key-8b2d7a";
// A third client, `scoped`, limited to the targets anthropic and clickhouse and to
// scoped_max_invitations per request.
inline constexpr std::string_view scoped_client_key = "durability-scoped-key-51e0c3";
inline constexpr std::size_t scoped_max_invitations = 2;
inline constexpr std::string_view invite_path = "/v1/invitations";
// A route of the test's config that requires an Idempotency-Key (targets: anthropic).
inline constexpr std::string_view strict_path = "/v1/strict";
// The test config's limits.shutdown_grace.
inline constexpr int shutdown_grace_ms = 300;

// The test config's state.job_lease: a job whose runner was killed is taken over after it.
inline constexpr int job_lease_ms = 2000;
// The test config's webhook secret (whsec_ + base64 of 32 bytes).
inline constexpr std::string_view webhook_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwJEpXOsCdxRc=";

// The test config's route to the test-only Nimbus vendor (tests/e2e/providers/nimbus.yaml),
// when deployment_options::nimbus is set; its target's timeout, and what its account has.
inline constexpr std::string_view nimbus_path = "/v1/nimbus";
inline constexpr int nimbus_timeout_ms = 1000;
inline constexpr std::string_view nimbus_token = "nimbus-durability-token";
inline constexpr std::string_view nimbus_workspace = "ws_7Q2";

struct deployment_options {
    // When set, the default client's webhook (http to loopback is allowed).
    std::optional<std::string> webhook_url;
    // A Nimbus emulator in this process and a target `nimbus` on route nimbus_path.
    bool nimbus = false;
};

class deployment {
public:
    explicit deployment(ledger::backend_kind backend, deployment_options options = {});

    emulator::server& emulators() noexcept { return *emulators_; }
    e2e::nimbus_vendor& nimbus() { return *nimbus_; } // with deployment_options::nimbus
    ledger::backend_kind backend() const noexcept { return db_.kind(); }
    // The ledger the gateways use, for a test that reads or writes it directly.
    ledger::settings ledger_settings(const std::string& instance) const;
    const std::string& config_file() const noexcept { return config_file_; }
    const std::string& sqlite_path() const noexcept { return sqlite_path_; }

    // Starts one more instance (each its own name, all on the same ledger).
    std::unique_ptr<gateway_process> start(const std::string& instance = "instance-a");
    // Runs `invitegw ARGS...` with the instances' environment; its stdout (throws when it
    // exits non-zero).
    std::string run_cli(const std::vector<std::string>& args) const;

private:
    std::vector<std::pair<std::string, std::string>> environment(const std::string& instance) const;

    test::test_database db_;
    test::temp_dir dir_;
    std::unique_ptr<emulator::server> emulators_;
    std::unique_ptr<e2e::nimbus_vendor> nimbus_;
    std::string sqlite_path_;
    std::string config_file_;
    unsigned started_ = 0;
};

struct request_options {
    std::string path = std::string(invite_path);
    std::optional<std::string> idempotency_key;
    std::string key = std::string(client_key);
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds timeout{15000};
};

// POSTs `body` on a fresh connection.
emulator::test_response post(std::uint16_t port, const std::string& body, const request_options& options = {});
// GETs a path with the client key (none when `key` is empty).
emulator::test_response get(std::uint16_t port, const std::string& path, std::string_view key = client_key);

// One invitation per email (role developer) to `targets`.
std::string invite_body(const std::vector<std::string>& emails, const std::vector<std::string>& targets);

// Waits (bounded) until `target` has accepted a connection: a call is on its way. The
// emulator records a call only once it has answered it, so a slow call in flight is seen
// this way.
bool wait_for_connection(const emulator::server& emulators, emulator::vendor target,
                         std::chrono::milliseconds bound = std::chrono::seconds(10));

// Calls the emulator answered for `target` so far.
std::size_t calls_to(const emulator::server& emulators, emulator::vendor target);

// Waits (bounded by `bound`) until `target` has received at least `count` calls.
bool wait_for_calls(const emulator::server& emulators, emulator::vendor target, std::size_t count,
                    std::chrono::milliseconds bound = std::chrono::seconds(10));

// The (target, status, error code) of each result of a merged reply or request document.
struct result_row {
    std::string email, target, status, code;
    friend bool operator==(const result_row&, const result_row&) = default;
};
// A job document's rows are those of its `result`.
std::vector<result_row> result_rows(const std::string& body);
std::ostream& operator<<(std::ostream& out, const result_row& row);
// A top-level string member of a JSON object ("" when absent).
std::string json_member(const std::string& body, std::string_view name);

} // namespace igw::durability
