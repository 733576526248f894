#include "gateway/app/reloader.hpp"

#include "gateway/config/yaml_reader.hpp"
#include "gateway/telemetry/log.hpp"

namespace igw::app {
namespace {

bool same_limits(const config::limits_config& a, const config::limits_config& b)
{
    return a.max_body_bytes == b.max_body_bytes && a.max_header_bytes == b.max_header_bytes &&
           a.max_connections == b.max_connections && a.max_in_flight_requests == b.max_in_flight_requests &&
           a.read_timeout == b.read_timeout && a.idle_timeout == b.idle_timeout &&
           a.request_timeout == b.request_timeout && a.shutdown_grace == b.shutdown_grace;
}

} // namespace

reloader::reloader(std::string file, std::shared_ptr<mapping::config_source> configs, telemetry::registry& metrics)
    : file_(std::move(file)), configs_(std::move(configs)), started_(configs_->current()), metrics_(metrics)
{
}

server::reload_outcome reloader::reload()
{
    std::lock_guard lock(mutex_);
    server::reload_outcome outcome;
    const auto current = configs_->current();
    try {
        auto next = mapping::load_compiled_config(file_);
        const auto& was = started_->config;
        const auto& now = next->config;
        // The listener, the server's limits and the log settings belong to the running
        // process: compared with what it started with, not with the previous reload.
        if (was.listener.address != now.listener.address || was.listener.port != now.listener.port ||
            was.listener.threads != now.listener.threads)
            outcome.notes.push_back("listen and threads changed: they apply after a restart");
        // The files of `tls` reload (the server makes a new context for new connections);
        // switching TLS on or off changes what the port speaks, which a restart does.
        if (was.tls.has_value() != now.tls.has_value())
            outcome.notes.push_back(std::string("tls ") + (now.tls ? "added" : "removed") +
                                    ": the listener switches between TLS and plain HTTP after a restart");
        if (!same_limits(was.limits, now.limits))
            outcome.notes.push_back(
                "limits changed: max_invitations applies now; the other limits apply after a restart");
        if (was.log.level != now.log.level || was.log.destination != now.log.destination ||
            was.log.requests != now.log.requests)
            outcome.notes.push_back("log settings changed: they apply after a restart");
        outcome.version = next->version;
        outcome.reloaded = true;
        configs_->replace(std::move(next));
        metrics_.reloads_succeeded.fetch_add(1, std::memory_order_relaxed);
        telemetry::log(telemetry::log_level::info, "config_reloaded",
                       {{"file", file_}, {"config_version", outcome.version}, {"previous_version", current->version}});
        for (const auto& note : outcome.notes)
            telemetry::log(telemetry::log_level::warn, "config_reload_note", {{"file", file_}, {"note", note}});
    } catch (const config::config_error& e) {
        outcome.errors = e.diagnostics();
        fail(outcome, current->version);
    } catch (const std::exception& e) {
        // Anything else (out of memory, a parser surprise) refuses the reload too: the
        // running config stays, and the process must not die on a reload.
        outcome.errors = {file_ + ": cannot load: " + e.what()};
        fail(outcome, current->version);
    }
    return outcome;
}

void reloader::fail(server::reload_outcome& outcome, const std::string& version)
{
    outcome.version = version;
    metrics_.reloads_failed.fetch_add(1, std::memory_order_relaxed);
    for (const auto& line : outcome.errors)
        telemetry::log(telemetry::log_level::error, "config_reload_failed",
                       {{"file", file_}, {"error", line}, {"config_version", version}});
}

} // namespace igw::app
