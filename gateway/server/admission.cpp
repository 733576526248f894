#include "gateway/server/admission.hpp"

#include "gateway/telemetry/metrics.hpp"

namespace igw::server::detail {

std::optional<in_flight_slot> in_flight_slot::try_take(std::atomic<std::size_t>& in_flight, std::size_t cap,
                                                       telemetry::thread_metrics* metrics) noexcept
{
    if (in_flight.fetch_add(1, std::memory_order_relaxed) >= cap) {
        in_flight.fetch_sub(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    return in_flight_slot(in_flight, metrics);
}

in_flight_slot::in_flight_slot(std::atomic<std::size_t>& in_flight, telemetry::thread_metrics* metrics) noexcept
    : in_flight_(&in_flight), metrics_(metrics)
{
    if (metrics_)
        metrics_->in_flight.add(1);
}

in_flight_slot::in_flight_slot(in_flight_slot&& other) noexcept : in_flight_(other.in_flight_), metrics_(other.metrics_)
{
    other.in_flight_ = nullptr;
    other.metrics_ = nullptr;
}

void in_flight_slot::release() noexcept
{
    if (in_flight_)
        in_flight_->fetch_sub(1, std::memory_order_relaxed);
    if (metrics_)
        metrics_->in_flight.add(-1);
    in_flight_ = nullptr;
    metrics_ = nullptr;
}

bool probes_only_admits(const route_match& match) noexcept
{
    return (match.kind == endpoint::healthz || match.kind == endpoint::readyz) && match.method_allowed;
}

} // namespace igw::server::detail
