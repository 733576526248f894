#pragma once
// Admission of requests into the gateway's work, past the connection caps that
// server.cpp applies on accept: the process-wide in-flight cap on invites, and what a
// connection from the probes' reserve may ask.

#include <atomic>
#include <cstddef>
#include <optional>

#include "gateway/server/router.hpp"

namespace igw::telemetry {
struct thread_metrics;
}

namespace igw::server::detail {

// One admitted invite's share of the in-flight cap (and of the in-flight gauge, when
// there are metrics), given back by release() or on destruction.
class in_flight_slot {
public:
    // A slot, unless `cap` are taken: then none, and nothing is counted. Past the cap a
    // request is refused at once: queueing it would only add latency to everything
    // behind it while the client's own timeout runs.
    static std::optional<in_flight_slot> try_take(std::atomic<std::size_t>& in_flight, std::size_t cap,
                                                  telemetry::thread_metrics* metrics) noexcept;

    in_flight_slot(in_flight_slot&& other) noexcept;
    in_flight_slot(const in_flight_slot&) = delete;
    in_flight_slot& operator=(const in_flight_slot&) = delete;
    in_flight_slot& operator=(in_flight_slot&&) = delete;
    ~in_flight_slot() { release(); }

    void release() noexcept;

private:
    in_flight_slot(std::atomic<std::size_t>& in_flight, telemetry::thread_metrics* metrics) noexcept;

    std::atomic<std::size_t>* in_flight_;
    telemetry::thread_metrics* metrics_;
};

// A connection from the probes' reserve (admission::probes_only, see probe_reserve) is
// served the health probes only; anything else gets 503.
bool probes_only_admits(const route_match& match) noexcept;

} // namespace igw::server::detail
