#pragma once
// Sending every call of a dispatch plan concurrently and collecting per-item results.

#include "gateway/canonical/invite_request.hpp"
#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/item_result.hpp"
#include "gateway/mapping/reply_mapper.hpp"
#include "gateway/upstream/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <vector>

namespace igw::dispatch {

// How a target is reached, prepared once per config so that a call only takes views.
struct target_route {
    upstream::endpoint endpoint;
    std::vector<upstream::header> headers; // views into the target plan's headers
};

struct fan_out_stats {
    unsigned calls = 0;
    unsigned retries = 0;
};

// Retry policy for replies that say the vendor did not process the call.
struct retry_policy {
    unsigned max_attempts = 3;
    std::chrono::milliseconds base_backoff{200}; // when Retry-After says nothing usable
    std::chrono::milliseconds max_backoff{10'000};
};

// Runs all calls of `plan` at once (each target's pool caps its concurrency at the
// target's max_in_flight) and appends one result per (item, call) to `results`.
// Every attempt ends by min(deadline, attempt start + target timeout); 429, and 503
// with Retry-After, are retried while the deadline allows. `routes` is indexed by
// target_plan::config_index. Completes only when every call has completed.
boost::asio::awaitable<void> run_calls(const canonical::invite_request& request, const mapping::dispatch_plan& plan,
                                       const std::vector<target_route>& routes, upstream::client& client,
                                       mapping::reply_mapper& mapper, std::chrono::steady_clock::time_point deadline,
                                       const retry_policy& policy, std::vector<mapping::item_result>& results,
                                       fan_out_stats& stats);

// Parses a Retry-After value given in seconds (the form vendors' rate limiters send);
// nullopt for anything else, including HTTP dates.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value);

} // namespace igw::dispatch
