#pragma once
// Sending every call of a dispatch plan concurrently and collecting per-item results.

#include "gateway/canonical/invite_request.hpp"
#include "gateway/dispatch/retry_after.hpp"
#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/item_result.hpp"
#include "gateway/mapping/reply_mapper.hpp"
#include "gateway/resilience/target_guard.hpp"
#include "gateway/telemetry/metrics.hpp"
#include "gateway/upstream/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace igw::dispatch {

// How a target is reached, prepared once per config so that a call only takes views.
struct target_route {
    upstream::endpoint endpoint;
    std::vector<upstream::header> headers; // views into the target plan's headers
    // The target's process-wide rate budget, pauses and circuit breaker; may be null
    // (then every call simply goes).
    std::shared_ptr<resilience::target_guard> guard;
};

// Retry policy for replies that say the vendor did not process the call.
struct retry_policy {
    unsigned max_attempts = 3;
    std::chrono::milliseconds base_backoff{200}; // when Retry-After says nothing usable
    // The longest wait between attempts; a Retry-After beyond it ends the retries.
    std::chrono::milliseconds max_backoff{10'000};
};

// This thread's metric cells per target name, looked up once and cached.
class target_cells {
public:
    target_cells(telemetry::registry* registry);
    telemetry::target_metrics* get(std::string_view target);

private:
    telemetry::registry* registry_;
    telemetry::thread_metrics* thread_ = nullptr;
    std::vector<std::pair<std::string, telemetry::target_metrics*>> cells_;
};

// What the calls of one request share besides the plan.
struct call_context {
    std::string_view request_id;
    std::string_view trace_id;                         // 32 lower-case hex digits; each call gets its own span
    std::string_view trace_flags = "01";               // 2 hex digits: the client's, so its sampling decision holds
    const std::vector<target_route>* routes = nullptr; // by target_plan::config_index
    std::shared_ptr<const std::vector<target_route>> routes_owner; // keeps *routes alive, when set
    upstream::client* client = nullptr;
    mapping::reply_mapper* mapper = nullptr;
    target_cells* metrics = nullptr; // may be null
    retry_policy retries;
    std::chrono::steady_clock::time_point deadline;
    unsigned attempts = 0; // out: calls sent, retries included
    // Called with each call's results as soon as the call has them (the ledger settles
    // them there); may be empty.
    std::function<void(std::span<const mapping::item_result>)> on_results;
    // When set, calls are paced: at most a target's max_in_flight of them at once, and
    // each goes only once before_send(call) returned true (the ledger marks its items
    // `sending` there; a worker marks its next call while the current one is in flight,
    // so at most twice max_in_flight calls of a target are marked at a time). A call it
    // refused is not sent, gets no results and is listed in not_sent (indexes into
    // plan.calls).
    std::function<boost::asio::awaitable<bool>(const mapping::upstream_call&)> before_send;
    std::vector<std::size_t> not_sent;
};

// Runs all calls of `plan` at once (each target's pool caps its concurrency at the
// target's max_in_flight) and appends one result per item of each call to `results`.
// Before each attempt the target's guard decides: a call waits for its rate budget's
// slot or the end of a vendor's pause, or fails unsent (`rate_limited` when that is past
// the deadline, `target_unavailable` while the circuit is open). A 429, or a 503 with
// Retry-After, pauses the target for every request.
// Every attempt ends by min(deadline, attempt start + target timeout); 429, and 503
// with Retry-After, are retried while the deadline and retries.max_backoff allow (a
// vendor asking for longer gets its answer, and the delay it asked for, reported).
// Completes only when every call has completed.
boost::asio::awaitable<void> run_calls(const canonical::invite_request& request, const mapping::dispatch_plan& plan,
                                       call_context& context, std::vector<mapping::item_result>& results);

// The trace id of a valid W3C traceparent ("00-<32 hex>-<16 hex>-<2 hex>", ids not all
// zero), or nullopt.
std::optional<std::string_view> trace_id_of(std::string_view traceparent);
// The trace flags of a traceparent that trace_id_of() accepts.
inline std::string_view trace_flags_of(std::string_view valid_traceparent) { return valid_traceparent.substr(53, 2); }

// `digits` random lower-case hex digits (thread-local generator): ids that must not collide.
std::string random_hex(std::size_t digits);
// 32 of them: a W3C trace id.
std::string new_trace_id();

} // namespace igw::dispatch
