#include "gateway/webhook/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace igw::webhook {

std::optional<wall_clock::time_point> next_attempt(unsigned failed_attempt, wall_clock::time_point first_attempt,
                                                   wall_clock::time_point now, double uniform,
                                                   const backoff_policy& policy)
{
    const wall_clock::time_point deadline = first_attempt + policy.give_up_after;
    if (now >= deadline)
        return std::nullopt;
    // In doubles: factor^n overflows no integer for any n (it becomes inf, then the cap).
    const double exponent = static_cast<double>(std::max(failed_attempt, 1u) - 1);
    const double ceiling_ms = std::min(static_cast<double>(policy.cap.count()),
                                       static_cast<double>(policy.base.count()) * std::pow(policy.factor, exponent));
    // NaN compares false both ways: it becomes 0.
    const double u = uniform > 0 ? std::min(uniform, 1.0) : 0.0;
    const auto wait = std::chrono::milliseconds(static_cast<std::int64_t>(u * ceiling_ms));
    return std::min(now + wait, deadline);
}

} // namespace igw::webhook
