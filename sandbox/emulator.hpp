#pragma once
// Strict emulators of the five vendors' invite endpoints (their published APIs), and of
// the list endpoints of the two that publish one (Anthropic, ClickHouse), served on loopback. They reject whatever the
// real vendor would reject, so a gateway test that passes against them proves the bytes the gateway sends are right.
// Used in-process by the end-to-end tests and by `invitegw serve --sandbox`, and standalone (invitegw-emulator) by the
// benchmarks. Beast and Asio stay in emulator.cpp (pimpl).

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace igw::emulator {

enum class vendor { anthropic, clickhouse, warpstream, gorules, atomicwork };

// "anthropic", "clickhouse", "warpstream", "gorules", "atomicwork".
std::string_view name(vendor) noexcept;

inline constexpr std::array<vendor, 5> all_vendors{vendor::anthropic, vendor::clickhouse, vendor::warpstream,
                                                   vendor::gorules, vendor::atomicwork};

// What each emulated account expects. Defaults are the sandbox values.
struct credentials {
    std::string anthropic_api_key = "sk-ant-admin-sandbox";
    std::string clickhouse_org_id = "7c4a8d09-ca37-4d5a-b1e8-0a3f2f5e1d11"; // a uuid
    std::string clickhouse_key_id = "sandbox-key-id";
    std::string clickhouse_key_secret = "sandbox-key-secret";
    std::string warpstream_api_key = "aks_sandbox";
    // Role ids that exist in the account: [0] is the admin role, [1] the member role.
    std::vector<std::string> warpstream_role_ids = {"pri_admin0000", "pri_member000"};
    std::string gorules_token = "gorules-sandbox-token";
    std::string atomicwork_api_key = "atomicwork-sandbox-key";
    std::string atomicwork_workspace_id = "42"; // expected X-Workspace-Id when non-empty
    // Org role ids that exist: admin, developer, member, billing in that order.
    std::vector<std::int64_t> atomicwork_role_ids = {1, 2, 3, 4};
};

struct options {
    std::string address = "127.0.0.1";
    unsigned threads = 1;
    credentials creds{};
    std::size_t warpstream_max_batch = 100; // not documented by the vendor; the account's limit
    std::string path_prefix{};              // e.g. "/v": every vendor path must then start with it
    // Both set: every vendor port serves HTTPS instead of HTTP.
    std::string tls_certificate_file{}, tls_private_key_file{};
    bool record = true;                   // keep recorded_request entries (benchmarks turn it off)
    std::chrono::milliseconds latency{0}; // added to every reply (benchmarks: 50 ms)
    // The newest invitations each vendor keeps for its list endpoint (Anthropic's
    // GET /v1/organizations/invites, ClickHouse's GET .../invitations); older ones are
    // forgotten, so that a long run cannot grow memory without bound. Only kept while
    // `record` is true: without it nothing is kept and the list endpoints list nothing.
    std::size_t invitations_kept = 100000;
};

struct recorded_request {
    vendor target = vendor::anthropic;
    std::string method{};
    std::string path{};                                         // target as received, query included
    std::vector<std::pair<std::string, std::string>> headers{}; // as received, in order
    std::string body{};
    unsigned status = 0; // status the emulator answered (0: no answer, connection dropped)
};

// What an injected fault does to the request it applies to:
//   status             answer `status` (with Retry-After when set) in the vendor's error
//                      shape, without looking at the request; nothing is created.
//   delay              wait `delay`, then process and answer normally.
//   drop_connection    read the request in full, then close the connection without a
//                      reply, before processing it: nothing is created (the caller cannot
//                      tell; a retry is safe).
//   drop_after_create  process the request as usual (a valid create makes its invitation,
//                      which the list endpoints then show), then close the connection
//                      without a reply: the caller cannot tell that the call succeeded.
//   unreadable_body    answer 200 with a body that is not JSON; nothing is created.
//   reject_email       answer the vendor's 400 refusing `email`; nothing is created.
// Both drops record the request with status 0.
enum class fault_kind { status, delay, drop_connection, drop_after_create, unreadable_body, reject_email };

// Members all have default initializers so that designated initializers such as
// fault{.kind = fault_kind::status, .status = 429, .retry_after = "3"} stay -Wextra clean.
//
// A misbehaviour to apply to upcoming requests of one vendor. Faults queue per vendor and
// the first one that matches a request is applied to it: every kind but reject_email
// matches any request (before any validation, like an overloaded front end; a GET to a
// list endpoint included); reject_email matches only a request that passed validation and
// carries that email (compared without regard to case), like a vendor that refuses one address.
struct fault {
    fault_kind kind = fault_kind::status;
    unsigned status = 500;              // kind::status: e.g. 429, 500, 503
    std::string retry_after{};          // kind::status: Retry-After header value when non-empty
    std::chrono::milliseconds delay{0}; // kind::delay: wait, then answer normally
    std::string email{};                // kind::reject_email: the vendor's 400 error naming this email
    unsigned times = 1;                 // applies to the next `times` matching requests (0 = forever)
};

class server {
public:
    // Listens on one ephemeral port per vendor and starts its threads; ready on return.
    // Throws std::system_error / std::runtime_error when it cannot listen or load TLS files.
    explicit server(options = {});
    ~server(); // stops and joins
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    std::uint16_t port(vendor) const;
    std::string base_url(vendor) const; // "http(s)://127.0.0.1:<port><path_prefix>"

    void inject(vendor, fault);
    void clear_faults();
    std::vector<recorded_request> requests(std::optional<vendor> = {}) const;
    std::size_t connections_accepted(vendor) const; // TCP connections accepted so far
    // The most requests the vendor was processing at once (read in full, not yet answered).
    std::size_t most_in_flight(vendor) const;
    void reset();                                   // forget records, faults, connection counts, invitations
    const options& settings() const;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

// Environment variables that point the shipped config/gateway.yaml at this emulator
// (docs/api.md "8. Configuration" names, plus the role ids the shipped role maps read), in a stable order.
std::vector<std::pair<std::string, std::string>> environment_for(const server&);

} // namespace igw::emulator
