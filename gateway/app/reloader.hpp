#pragma once
// Hot reload: load and fully validate the config file and its mappings again, and
// swap them in only when valid. Requests in flight finish on the config they started
// with (they hold it); new requests get the new one.

#include "gateway/mapping/config_source.hpp"
#include "gateway/server/services.hpp"
#include "gateway/telemetry/metrics.hpp"

#include <memory>
#include <mutex>
#include <string>

namespace igw::app {

class reloader {
public:
    reloader(std::string file, std::shared_ptr<mapping::config_source> configs, telemetry::registry& metrics);

    // Thread-safe; one reload at a time. Logs the outcome.
    server::reload_outcome reload();

private:
    // Records a refused reload: the version stays, the failure is counted and logged.
    void fail(server::reload_outcome& outcome, const std::string& version);

    std::string file_;
    std::shared_ptr<mapping::config_source> configs_;
    // The listener, limits and log settings in effect are this config's until a restart,
    // whatever reloads came since: notes compare against it.
    const std::shared_ptr<const mapping::compiled_config> started_;
    telemetry::registry& metrics_;
    std::mutex mutex_;
};

} // namespace igw::app
