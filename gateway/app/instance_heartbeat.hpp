#pragma once
// Shares each target's rate budget among the gateways of one deployment: every instance
// on a shared ledger (PostgreSQL) writes a heartbeat there and uses 1 / (live instances)
// of each budget. On SQLite (one process) the budget is the process's and nothing runs.

#include "gateway/ledger/store.hpp"
#include "gateway/resilience/target_guard.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace igw::app {

class instance_heartbeat {
public:
    // How often the heartbeat is written; an instance unheard of for three intervals no
    // longer counts.
    static constexpr std::chrono::seconds interval{2};

    // Writes the first heartbeat before it returns (so that the first requests already
    // use the right share, when the database answers), then every `interval`.
    instance_heartbeat(ledger::store& store, std::shared_ptr<resilience::target_guards> guards);
    // Withdraws this instance's heartbeat, so that the others take up its share at once.
    ~instance_heartbeat();
    instance_heartbeat(const instance_heartbeat&) = delete;
    instance_heartbeat& operator=(const instance_heartbeat&) = delete;

private:
    void beat();

    ledger::store& store_;
    std::shared_ptr<resilience::target_guards> guards_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace igw::app
