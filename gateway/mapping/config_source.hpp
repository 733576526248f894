#pragma once
// The config every worker serves from, replaceable while serving (hot reload).
// Workers poll a generation counter (one atomic load per request) and copy the
// shared pointer only when it changed, so the request path takes no lock; requests
// already running keep the config they started with.

#include "gateway/mapping/compiled_config.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace igw::mapping {

class config_source {
public:
    explicit config_source(std::shared_ptr<const compiled_config> initial);

    std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }
    std::shared_ptr<const compiled_config> current() const;
    void replace(std::shared_ptr<const compiled_config> next);

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const compiled_config> current_;
    std::atomic<std::uint64_t> generation_{1};
};

} // namespace igw::mapping
