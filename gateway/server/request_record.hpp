#pragma once
// The record of a request on an invite route: its count and duration in the route's
// metrics, and its access-log line (event `request`). Written exactly once per request,
// whatever way it ends: with the reply's status, or 499 when there is no reply.

#include <chrono>
#include <string_view>

#include "gateway/server/invite_handler.hpp"

namespace igw::telemetry {
struct route_metrics;
}

namespace igw::server::detail {

// Recorded for an invite that ended without a reply: the client went away, or a
// shutdown closed the connection (the nginx convention).
inline constexpr unsigned client_closed_status = 499;

class request_record {
public:
    using clock = std::chrono::steady_clock;

    // A new request, started at `start`; nothing is pending until open().
    void reset(clock::time_point start)
    {
        *this = request_record{};
        start_ = start;
    }
    // The request is on the invite route `route`: a record is now pending. The views
    // must outlive the request.
    void open(std::string_view route, std::string_view request_id) noexcept;
    void set_client(std::string_view name) noexcept { client_ = name; }
    void set_stats(request_stats stats) { stats_ = std::move(stats); }

    bool pending() const noexcept { return pending_; }
    std::string_view route() const noexcept { return route_; }

    // Counts into `cells` (when not null) and logs (when `log_line`) the pending record,
    // then none is pending; does nothing when none is.
    void write(unsigned status, telemetry::route_metrics* cells, bool log_line, std::string_view config_version);

private:
    bool pending_ = false;
    std::string_view route_;
    std::string_view client_;
    std::string_view request_id_;
    clock::time_point start_;
    request_stats stats_;
};

} // namespace igw::server::detail
