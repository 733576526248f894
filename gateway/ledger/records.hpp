#pragma once
// What the ledger records: one request row per accepted canonical request and one item row
// per (invitation, target), plus the values its operations take and return.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace igw::ledger {

// Wall-clock time, stored as milliseconds since the Unix epoch (both backends, one format).
using time_point = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

time_point now() noexcept;

// RFC 3339 in UTC: "2026-12-01T20:15:00Z", or with milliseconds "2026-12-01T20:15:00.123Z".
std::string to_rfc3339(time_point t, bool with_milliseconds);

enum class request_state : std::uint8_t {
    queued,    // an asynchronous job accepted and not yet taken by a job runner
    running,   // accepted; some items may still be pending or sending
    completed, // the final reply is stored and is what a replay returns (a job: all settled)
};

// How the client asked: a synchronous request waits for its merged reply; an asynchronous
// one (Prefer: respond-async) is a job that the job runners carry out in the background.
enum class request_mode : std::uint8_t { sync, async };

enum class item_status : std::uint8_t {
    pending, // certainly not sent: safe to send
    sending, // may have reached the vendor: never sent again automatically
    invited,
    failed,
    unknown,
};

std::string_view to_string(request_state state) noexcept;
std::string_view to_string(item_status status) noexcept;
std::optional<request_state> parse_request_state(std::string_view text) noexcept;
std::optional<item_status> parse_item_status(std::string_view text) noexcept;

// The error code an item gets when the process stopped while it was `sending`.
inline constexpr std::string_view interrupted_code = "interrupted";

struct header {
    std::string name;
    std::string value;
    friend bool operator==(const header&, const header&) = default;
};

// The reply a replay returns. Only headers needed to repeat it (content type, request id,
// Retry-After...) belong here: never an Authorization or any other credential.
struct stored_reply {
    unsigned status = 0;
    std::vector<header> headers;
    std::string body;
    friend bool operator==(const stored_reply&, const stored_reply&) = default;
};

// Identifies one item inside its request.
struct item_key {
    std::uint32_t invitation = 0; // index in the canonical request
    std::uint32_t target = 0;     // index in the route's targets
    friend auto operator<=>(const item_key&, const item_key&) = default;
};

struct item_record {
    std::string request_id;
    std::uint32_t invitation = 0;
    std::uint32_t target = 0;
    std::string email;
    std::optional<std::string> ref;
    std::string target_name;
    std::string role;
    item_status status = item_status::pending;
    std::string error_code; // empty when none
    std::string message;
    std::string invitation_id;
    std::string expires_at;
    std::string vendor_status;
    unsigned upstream_status = 0; // 0 when no reply was read
    std::uint32_t attempts = 0;   // vendor calls that carried this item
    bool already_invited = false; // invited: the vendor said the person already was
    bool reconciled = false;      // settled by looking the item up at the vendor afterwards
    time_point created_at{};
    time_point updated_at{};

    item_key key() const noexcept { return {invitation, target}; }
};

struct request_record {
    std::string request_id;
    std::string client; // the client's configured name, never its key
    std::string route;
    std::string config_version;
    std::optional<std::string> idempotency_key;
    std::string fingerprint; // of the normalised request; compared on key reuse
    bool send_email = true;  // the canonical request's flag, for resuming it without its body
    request_state state = request_state::running;
    request_mode mode = request_mode::sync;
    std::optional<stored_reply> reply; // set once completed (synchronous requests only)
    time_point created_at{};
    time_point updated_at{};
    std::optional<time_point> completed_at;
    std::optional<time_point> started_at; // a job: when a runner first took it
};

struct request_with_items {
    request_record request;
    std::vector<item_record> items; // ordered by invitation, then target
};

// The item of a new request: everything known before anything is sent. A new request's
// items may start past `pending`: `sending` (one attempt) for those its calls send right
// after the commit, settled with a code for those no call is made for, so that the one
// commit recording the request also stands for the marks separate writes would make.
struct new_item {
    std::uint32_t invitation = 0;
    std::uint32_t target = 0;
    std::string email;
    std::optional<std::string> ref;
    std::string target_name;
    std::string role;
    item_status status = item_status::pending;
    std::string error_code; // when settled
    std::string message;    // when settled
};

struct new_request {
    std::string request_id;
    std::string client;
    std::string route;
    std::string config_version;
    std::optional<std::string> idempotency_key; // 1..255 printable characters (is_valid_key)
    std::string fingerprint;
    bool send_email = true;
    // An asynchronous job: recorded `queued`, owned by nobody until a job runner claims it.
    request_mode mode = request_mode::sync;
    std::vector<new_item> items;
};

// Draft-ietf-httpapi-idempotency-key-header leaves the syntax to the server: 1..255
// printable ASCII characters (space included), so any key round-trips through a header.
bool is_valid_key(std::string_view key) noexcept;

// What a vendor call (or a decision not to make one) established about one item.
struct item_outcome {
    std::uint32_t invitation = 0;
    std::uint32_t target = 0;
    item_status status = item_status::unknown; // invited, failed or unknown
    std::string error_code;
    std::string message;
    std::string invitation_id;
    std::string expires_at;
    std::string vendor_status;
    unsigned upstream_status = 0;
    bool already_invited = false; // see item_record
    bool reconciled = false;
};

enum class begin_kind : std::uint8_t {
    claimed,      // recorded; the caller sends every item
    replay,       // the key's request completed: answer with `reply`, send nothing
    in_progress,  // the key's request is still running elsewhere: 409 with Retry-After
    mismatch,     // the key was used for a different request: 422
    duplicate_id, // the request id already names another recorded request: nothing recorded
    resumed,      // the key's request was left unfinished by a stopped process and is now the
                  // caller's: send its `pending` items, merge the rest (`sending` ones became
                  // `unknown`/interrupted), then complete it
    job,          // the key (or id) names an asynchronous job: answer with the job (its
                  // request, without items, in `existing`); nothing recorded, nothing sent
};

std::string_view to_string(begin_kind kind) noexcept;

struct begin_outcome {
    begin_kind kind = begin_kind::claimed;
    // The request the key belongs to (the caller's own one when claimed); for replay,
    // in_progress and resumed its items too. Empty for mismatch, which reveals nothing.
    std::optional<request_with_items> existing;
};

// A request listed by `invitegw ledger`.
struct request_summary {
    request_record request;
    std::uint32_t items = 0;
    std::uint32_t pending = 0;
    std::uint32_t sending = 0;
    std::uint32_t invited = 0;
    std::uint32_t failed = 0;
    std::uint32_t unknown = 0;
};

// How far a job has got: its items by status.
struct job_counts {
    std::uint32_t total = 0;
    std::uint32_t pending = 0;
    std::uint32_t sending = 0;
    std::uint32_t invited = 0;
    std::uint32_t failed = 0;
    std::uint32_t unknown = 0;
    friend bool operator==(const job_counts&, const job_counts&) = default;
};

// A job a runner took (store::claim_job): its request and where its items stand (the
// `sending` items of a runner that died are `unknown`/interrupted by then).
struct job_claim {
    request_record request;
    job_counts counts;
};

enum class delivery_state : std::uint8_t { pending, delivered, failed };
std::string_view to_string(delivery_state state) noexcept;
std::optional<delivery_state> parse_delivery_state(std::string_view text) noexcept;

// One try at delivering a webhook event, as the job document shows it.
struct delivery_attempt {
    std::uint32_t attempt = 0; // 1, 2, ...
    time_point at{};
    unsigned status = 0; // the receiver's HTTP status; 0 when no reply was read
    std::string error;   // empty when the receiver answered 2xx
    std::uint32_t duration_ms = 0;
};

// A webhook event in the durable outbox. The receiver's URL and secret are the client's
// config, looked up at each attempt: neither is stored.
struct webhook_delivery {
    std::string delivery_id; // the event's webhook-id
    std::string request_id;
    std::string client;
    std::string event_type;
    std::string payload; // the exact bytes signed and sent
    delivery_state state = delivery_state::pending;
    std::uint32_t attempts = 0;
    time_point next_attempt_at{};
    time_point created_at{};
    std::vector<delivery_attempt> history; // oldest first (find_job only)
};

// An asynchronous job as GET /v1/jobs/{id} shows it, without its items.
struct job_record {
    request_record request;
    job_counts counts;
    std::vector<webhook_delivery> deliveries;
};

// What one delivery attempt established; `next_attempt_at` unset: no more tries (the
// event is delivered, or the retry period is over).
struct attempt_outcome {
    delivery_attempt attempt;
    bool delivered = false;
    std::optional<time_point> next_attempt_at;
};

// Jobs not completed, for /readyz and the metrics.
struct job_census {
    std::uint64_t queued = 0;
    std::uint64_t running = 0;
    std::uint64_t leased_here = 0; // running under a lease of this instance
    std::uint64_t deliveries_pending = 0;
};

struct prune_counts {
    std::uint64_t requests = 0;
    std::uint64_t items = 0;
    std::uint64_t keys = 0;
};

struct recovered {
    // Requests left unfinished (items sending at the crash are now unknown/interrupted);
    // each is free for whoever resumes it first (store::resume or a retry with its key).
    std::vector<request_with_items> requests;
    std::uint64_t interrupted_items = 0;
};

} // namespace igw::ledger
