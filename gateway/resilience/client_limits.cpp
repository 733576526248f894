#include "gateway/resilience/client_limits.hpp"

namespace igw::resilience {
namespace {

std::chrono::seconds round_up(clock::duration d)
{
    return std::chrono::ceil<std::chrono::seconds>(std::max(d, clock::duration::zero()));
}

} // namespace

client_admission client_limits::admit(std::string_view client, const config::rate_config& rate, clock::time_point now)
{
    const clock::duration interval = gcra_interval(rate);
    const std::lock_guard lock(mutex_);
    auto at = clients_.find(client);
    if (at == clients_.end())
        at = clients_.emplace(std::string(client), entry{rate, {}}).first;
    else if (at->second.rate != rate)
        at->second = entry{rate, {}}; // a new rate (a reload): its budget starts full
    gcra& budget = at->second.budget;

    client_admission out;
    const clock::time_point earliest = budget.earliest(now, interval, rate.burst);
    if (earliest > now) {
        out.admitted = false;
        out.retry_after = std::max(std::chrono::seconds(1), round_up(earliest - now));
    } else {
        budget.take(now, interval);
    }
    out.remaining = budget.remaining(now, interval, rate.burst);
    out.reset = round_up(budget.until_full(now));
    return out;
}

} // namespace igw::resilience
