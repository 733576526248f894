#include "gateway/mapping/config_source.hpp"

namespace igw::mapping {

config_source::config_source(std::shared_ptr<const compiled_config> initial) : current_(std::move(initial)) {}

std::shared_ptr<const compiled_config> config_source::current() const
{
    std::lock_guard lock(mutex_);
    return current_;
}

void config_source::replace(std::shared_ptr<const compiled_config> next)
{
    {
        std::lock_guard lock(mutex_);
        current_ = std::move(next);
    }
    generation_.fetch_add(1, std::memory_order_acq_rel);
}

} // namespace igw::mapping
