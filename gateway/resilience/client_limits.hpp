#pragma once
// Each client's own request rate (clients[].rate, README "Per-client rate"), across every
// worker thread: a request fits now or is refused, never queued, so the client hears at
// once when to come back. One GCRA per client name, kept across reloads that leave the
// client's rate as it was.

#include "gateway/config/config.hpp"
#include "gateway/resilience/gcra.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace igw::resilience {

// What the limit says of one request, and what the RateLimit headers tell the client.
struct client_admission {
    bool admitted = true;
    unsigned remaining = 0;         // requests that would still be admitted now, this one counted
    std::chrono::seconds reset{0};  // until a full burst is allowed again (rounded up)
    std::chrono::seconds retry_after{0}; // refused: until the next request fits (rounded up, at least 1)
};

class client_limits {
public:
    // Counts a request of `client` at `now` against `rate` when it fits. A client whose
    // rate differs from the one last seen starts afresh.
    client_admission admit(std::string_view client, const config::rate_config& rate, clock::time_point now);

private:
    struct entry {
        config::rate_config rate;
        gcra budget;
    };
    std::mutex mutex_;
    std::map<std::string, entry, std::less<>> clients_;
};

} // namespace igw::resilience
