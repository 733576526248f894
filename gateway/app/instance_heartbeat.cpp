#include "gateway/app/instance_heartbeat.hpp"

#include "gateway/telemetry/log.hpp"

#include <future>

namespace igw::app {
namespace {

constexpr auto live_within = std::chrono::duration_cast<std::chrono::milliseconds>(instance_heartbeat::interval * 3);

} // namespace

instance_heartbeat::instance_heartbeat(ledger::store& store, std::shared_ptr<resilience::target_guards> guards)
    : store_(store), guards_(std::move(guards))
{
    beat();
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
            lock.unlock();
            beat();
            lock.lock();
        }
    });
}

instance_heartbeat::~instance_heartbeat()
{
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    std::promise<void> left;
    store_.leave([&left](ledger::result<ledger::done>) { left.set_value(); });
    left.get_future().wait();
}

void instance_heartbeat::beat()
{
    std::promise<ledger::result<std::uint32_t>> answered;
    store_.heartbeat(live_within, [&answered](ledger::result<std::uint32_t> r) { answered.set_value(std::move(r)); });
    const ledger::result<std::uint32_t> live = answered.get_future().get();
    if (!live.ok()) {
        // The shares stay as they were: better a slightly stale split than none.
        telemetry::log(telemetry::log_level::warn, "instance_heartbeat_failed", {{"message", live.error.message}});
        return;
    }
    const unsigned before = guards_->instances();
    guards_->set_instances(live.value);
    if (live.value != before)
        telemetry::log(telemetry::log_level::info, "rate_budget_shared",
                       {{"instances", live.value}, {"share", 1.0 / std::max(1u, live.value)}});
}

} // namespace igw::app
