#include "gateway/server/request_record.hpp"

#include <algorithm>

#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace igw::server::detail {

void request_record::open(std::string_view route, std::string_view request_id) noexcept
{
    pending_ = true;
    route_ = route;
    request_id_ = request_id;
}

void request_record::write(unsigned status, telemetry::route_metrics* cells, bool log_line,
                           std::string_view config_version)
{
    if (!pending_)
        return;
    pending_ = false;
    const auto elapsed = clock::now() - start_;
    if (cells) {
        cells->by_status[std::min<unsigned>(status, cells->by_status.size() - 1)].add();
        cells->duration.observe(elapsed);
    }
    if (!log_line)
        return;
    telemetry::log(status >= 500 ? telemetry::log_level::warn : telemetry::log_level::info, "request",
                   {{"request_id", request_id_},
                    {"route", route_},
                    {"client", client_},
                    {"status", status},
                    {"duration_ms", std::chrono::duration<double, std::milli>(elapsed).count()},
                    {"invitations", stats_.invitations},
                    {"targets", stats_.targets},
                    {"calls", stats_.calls},
                    {"invited", stats_.invited},
                    {"failed", stats_.failed},
                    {"unknown", stats_.unknown},
                    {"trace_id", stats_.trace_id},
                    {"config_version", config_version}});
}

} // namespace igw::server::detail
