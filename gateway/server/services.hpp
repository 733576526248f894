#pragma once
// What the server offers besides invites: metrics, the API description and config
// reloads. Each is optional; an endpoint whose service is missing answers 404.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace igw::telemetry {
class registry;
}

namespace igw::server {

struct reload_outcome {
    bool reloaded = false;
    std::string version;             // the config version now served
    std::vector<std::string> errors; // why the new config was refused (file:line:col: ...)
    std::vector<std::string> notes;  // e.g. settings that only a restart applies
};

// What /readyz tells of the background jobs (README "Jobs").
struct jobs_readiness {
    std::uint64_t queued = 0;      // all instances
    std::uint64_t running = 0;     // all instances
    std::uint64_t leased_here = 0; // being carried out by this instance
};

struct server_services {
    // GET /metrics; the server also counts requests by route and status into it.
    telemetry::registry* metrics = nullptr;
    // GET /openapi.json
    std::string_view openapi;
    // POST /admin/reload, for clients with `admin: true`. Called on a worker thread.
    std::function<reload_outcome()> reload;
    // GET /readyz adds a `jobs` member when set (a gateway with a ledger runs jobs).
    std::function<jobs_readiness()> jobs;
    // GET /readyz lists the targets whose circuit is open (ejected) when set. They do not
    // make the gateway unready: their calls fail fast, every other target is served.
    std::function<std::vector<std::string>()> ejected_targets;
};

} // namespace igw::server
