#pragma once
// The gateway's configuration (docs/api.md "8. Configuration") as plain typed values. Loaded and validated
// once by load_gateway_config(); nothing on the request path looks at YAML.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gateway/webhook/signature.hpp"

namespace igw::config {

using duration = std::chrono::milliseconds;

// An absolute http(s) URL split into what a connection needs. `path_prefix` is
// empty or starts with '/' and never ends with '/'.
struct base_url {
    std::string scheme; // "http" or "https"
    std::string host;
    std::uint16_t port = 0;
    std::string path_prefix;

    bool tls() const noexcept { return scheme == "https"; }
};

// What a canonical role maps to on one target. `unsupported` means the vendor has no
// such role: invitations with it fail with `role_not_supported` and no call is made.
struct unsupported_role {
    bool operator==(const unsupported_role&) const = default;
};
using role_value = std::variant<unsupported_role, std::string, std::int64_t, std::vector<std::int64_t>>;

// A target's own rate budget (README "Rate budgets"): on average `requests` calls per
// `per`, at most `burst` of them back to back after a quiet spell. In any window of
// length `per` a vendor sees at most requests + burst - 1 calls.
struct rate_config {
    unsigned requests = 0;
    duration per{1'000};
    unsigned burst = 1;

    bool operator==(const rate_config&) const = default;
};

// Ejecting a failing target (README "Circuit breaking", Envoy's outlier detection as the
// model): after `consecutive_failures` transport failures or 5xx replies in a row, calls
// are not sent for `base_ejection` times the number of ejections so far (at most
// `max_ejection`); then one probe call at a time decides whether it is back.
struct circuit_breaker_config {
    unsigned consecutive_failures = 5; // 0: never eject
    duration base_ejection{30'000};
    duration max_ejection{300'000};
};

struct target_config {
    std::string name;
    std::string provider; // providers/<provider>.yaml
    base_url url;
    std::map<std::string, std::string> params; // e.g. organization_id, tenant
    // Parameters given as a YAML sequence (e.g. team_ids: [3, 5]), each element after
    // ${VAR} substitution, for a provider body's {$param: NAME, as: integer_list}. A name
    // is in `params` or here, never in both.
    std::map<std::string, std::vector<std::string>> list_params;
    // "file:line:col" of each parameter's value, and of each list element as "NAME[i]",
    // for messages about a value that does not suit the provider.
    std::map<std::string, std::string> param_origins;
    std::map<std::string, std::string> secrets;
    // Canonical role -> vendor value. Empty for providers that take no role.
    std::map<std::string, role_value> roles;
    duration timeout{10'000};
    unsigned max_in_flight = 8;
    std::optional<unsigned> batch_size; // lowers the provider's own batch limit
    std::string ca_file;                // extra trusted CA (PEM), besides the system store
    std::optional<rate_config> rate;    // none: only the vendor's 429s slow calls down
    circuit_breaker_config circuit_breaker;

    // Where the target was declared, for messages about it ("file:line:col").
    std::string origin;
};

// Whether a route's requests must carry an Idempotency-Key header.
enum class idempotency_mode : std::uint8_t { optional, required };

struct route_config {
    std::string path;
    std::vector<std::string> targets; // target names, in reply order
    std::string origin;
    idempotency_mode idempotency = idempotency_mode::optional;
};

// Where a client's job events are POSTed, signed (Standard Webhooks). The URL was
// checked at load: https, or http to a loopback host when `webhooks.allow_http_loopback`.
struct webhook_config {
    std::string url;
    webhook::secret secret; // the key bytes of the `whsec_...` secret; never printed
};

// Settings shared by every client's webhook.
struct webhooks_config {
    // http:// webhook URLs to 127.0.0.0/8, ::1 or localhost (receivers on the same host,
    // tests); every other webhook URL must be https.
    bool allow_http_loopback = false;
};

struct client_config {
    std::string name;
    // SHA-256 of each key that authenticates the client (never a key itself): one, or
    // several while a key is being rotated.
    std::vector<std::array<std::uint8_t, 32>> keys_sha256;
    std::vector<std::string> routes;            // allowed route paths; empty: all
    std::vector<std::string> targets;           // allowed target names; empty: all
    std::optional<std::size_t> max_invitations; // per request; none: limits' own
    std::optional<rate_config> rate;            // the client's own request rate; none: unlimited
    bool admin = false;                         // may call /admin/reload
    std::optional<webhook_config> webhook;      // none: no job events are sent
    // The subject CN of the client certificate that authenticates this client on a TLS
    // listener with `client_ca` (README "TLS listener"); empty: none does. A client with one may
    // have no key (keys_sha256 empty).
    std::string certificate_cn{};
};

struct listener_config {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080;
    unsigned threads = 0; // 0: one per core the process may run on (worker_threads)
};

// The worker threads `listener` asks for: `threads`, or with 0 the cores in the process's
// CPU affinity (a container's cpuset, `taskset`), not every core of the machine: threads
// beyond those would only take turns on them.
unsigned worker_threads(const listener_config& listener) noexcept;

// The listener's TLS (README "TLS listener"). The files are read at load, and the server builds its
// context from the contents read then (checked, and never half-rotated); a reload reads
// them again.
struct tls_listener_config {
    std::string cert_file;      // PEM: the certificate, then its chain
    std::string key_file;       // PEM: its private key, unencrypted
    std::string client_ca_file; // PEM: CAs whose client certificates are required; empty: none asked for
    std::string cert_pem;
    std::string key_pem; // a secret: never printed
    std::string client_ca_pem;
};

struct limits_config {
    std::size_t max_body_bytes = 1 << 20;
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_invitations = 1000;
    // An asynchronous request (Prefer: respond-async, a job) may be far larger: its
    // invitations are recorded and sent in the background, a chunk at a time.
    std::size_t max_async_invitations = 100'000;
    std::size_t max_async_body_bytes = 64 << 20;
    std::size_t max_connections = 10'000;
    std::size_t max_connections_per_peer = 1000; // per client IP address
    std::size_t max_target_bytes = 8 * 1024;     // request-target (path and query); beyond, 414
    std::size_t max_in_flight_requests = 4096;
    duration read_timeout{10'000};    // whole request, headers and body
    duration idle_timeout{60'000};    // keep-alive connection with no request (after the first)
    duration request_timeout{30'000}; // deadline for a whole fan-out
    duration shutdown_grace{10'000};
};

struct log_config {
    std::string level = "info";         // debug, info, warn, error
    std::string destination = "stderr"; // stderr, stdout, or a file path (appended to)
    bool requests = true;               // one line per request (an access log)
};

// Where the ledger keeps requests, items and idempotency keys (README "Ledger"). Only a
// restart changes it: a reload keeps the ledger the process opened.
inline constexpr std::string_view state_path_variable = "INVITEGW_STATE_PATH";

struct state_config {
    enum class backend_kind : std::uint8_t { none, sqlite, postgres };
    backend_kind backend = backend_kind::sqlite;
    // SQLite's file: `state.path` resolved against the config's folder; without one,
    // $INVITEGW_STATE_PATH, else ledger.db beside the config file.
    std::string path;
    std::string url; // PostgreSQL connection URI; a secret (may hold a password)
    duration retention{30LL * 24 * 3600 * 1000};
    duration idempotency_retention{24LL * 3600 * 1000};
    duration timeout{2'000}; // a ledger operation's deadline; past it, 503
    std::string instance;    // empty: the host name
    // A job runner renews its job's lease at a third of this; once it has run out, another
    // instance (or this one, restarted) takes the job over.
    duration job_lease{30'000};

    bool enabled() const noexcept { return backend != backend_kind::none; }
};

struct gateway_config {
    std::string file;          // the file it was loaded from
    std::string providers_dir; // where providers/<name>.yaml are read
    listener_config listener;
    std::optional<tls_listener_config> tls; // none: plain HTTP
    limits_config limits;
    log_config log;
    state_config state;
    std::vector<std::string> roles; // canonical roles
    webhooks_config webhooks;
    std::vector<client_config> clients;
    std::vector<route_config> routes;
    std::vector<target_config> targets;
    // Variables read for a secret (targets' `secrets`, clients' keys): nothing derived
    // from the config for others to see, such as its version, may depend on their values.
    std::set<std::string, std::less<>> secret_variables;

    const target_config* find_target(std::string_view name) const noexcept;
    const route_config* find_route(std::string_view path) const noexcept;
};

} // namespace igw::config
