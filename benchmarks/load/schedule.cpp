#include "benchmarks/load/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace igw::load {

request_source::request_source(const schedule_settings& settings, unsigned lane, unsigned lanes)
    : settings_(settings), lane_(lane), lanes_(std::max(1u, lanes))
{
}

nanoseconds request_source::due_time(std::uint64_t index) const noexcept
{
    // Computed from the index, not accumulated, so that rounding never drifts the rate.
    return nanoseconds(std::llround(static_cast<double>(index) * 1e9 / settings_.rate));
}

std::optional<request_slot> request_source::next(nanoseconds now) noexcept
{
    const std::uint64_t index = taken_ * lanes_ + lane_;
    if (settings_.max_requests && index >= settings_.max_requests)
        return std::nullopt;
    request_slot slot{.index = index};
    if (fixed_rate()) {
        slot.due = due_time(index);
        if (slot.due >= end() || now > end() + settings_.drain)
            return std::nullopt;
        slot.measured = slot.due >= settings_.warmup;
    } else {
        if (now >= end())
            return std::nullopt;
        slot.due = now;
        slot.measured = now >= settings_.warmup;
    }
    ++taken_;
    return slot;
}

std::uint64_t request_source::scheduled() const noexcept
{
    // Global requests due before end(): indexes i with i / rate < end.
    const double exact = std::ceil(static_cast<double>(end().count()) * settings_.rate / 1e9);
    std::uint64_t global = static_cast<std::uint64_t>(std::max(0.0, exact));
    while (global > 0 && due_time(global - 1) >= end())
        --global;
    while (due_time(global) < end())
        ++global;
    if (settings_.max_requests)
        global = std::min(global, settings_.max_requests);
    return global > lane_ ? (global - lane_ + lanes_ - 1) / lanes_ : 0;
}

std::uint64_t request_source::unsent() const noexcept
{
    if (!fixed_rate())
        return 0;
    const std::uint64_t due = scheduled();
    return due > taken_ ? due - taken_ : 0;
}

} // namespace igw::load
