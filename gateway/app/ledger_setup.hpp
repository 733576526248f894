#pragma once
// Opening the ledger the config's `state` section describes, for `serve` and for the
// `invitegw ledger` commands, and its metrics.

#include "gateway/config/config.hpp"
#include "gateway/ledger/store.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace igw::app {

ledger::settings ledger_settings(const config::state_config& state);

// Opens the store and waits (up to `wait`) until its database answers, migrated. Null,
// with the reason in `error` (never a password), when it does not.
std::unique_ptr<ledger::store> open_ledger(const config::state_config& state, std::chrono::milliseconds wait,
                                           std::string& error);

// Blocks on one store operation from a thread that is not an event loop (start-up, CLI).
template <class T, class Start>
ledger::result<T> wait_for(Start start);

// The ledger's counters in the Prometheus text format (appended to /metrics).
void write_ledger_metrics(const ledger::stats_snapshot& stats, std::string& out);

} // namespace igw::app

#include <future>

namespace igw::app {

template <class T, class Start>
ledger::result<T> wait_for(Start start)
{
    auto promise = std::make_shared<std::promise<ledger::result<T>>>();
    auto future = promise->get_future();
    start([promise](ledger::result<T> r) { promise->set_value(std::move(r)); });
    return future.get();
}

} // namespace igw::app
