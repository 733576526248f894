#include "gateway/app/commands.hpp"
#include "gateway/app/instance_heartbeat.hpp"

#include "gateway/api/openapi.hpp"
#include "gateway/app/ledger_setup.hpp"
#include "gateway/app/reloader.hpp"
#include "gateway/app/sandbox.hpp"
#include "gateway/config/yaml_reader.hpp"
#include "gateway/dispatch/invite_pipeline.hpp"
#include "gateway/dispatch/job_runner.hpp"
#include "gateway/mapping/compiled_config.hpp"
#include "gateway/server/server.hpp"
#include "gateway/telemetry/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

namespace igw::app {
namespace {

namespace net = boost::asio;

// Applies the config's log settings; false (with a message) when the file cannot be opened.
bool configure_logs(const config::log_config& log, const std::string& format)
{
    telemetry::log_settings settings;
    telemetry::parse_log_level(log.level, settings.level);
    settings.format = format == "text" ? telemetry::log_format::text : telemetry::log_format::json;
    if (log.destination == "stdout") {
        settings.fd = 1;
    } else if (log.destination != "stderr") {
        const int fd = ::open(log.destination.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0) {
            std::cerr << "invitegw: cannot open log file " << log.destination << ": " << std::strerror(errno) << "\n";
            return false;
        }
        settings.fd = fd;
    }
    telemetry::configure_logging(settings);
    return true;
}

// SIGHUP reloads the config, on a thread of its own so that loading never holds up a
// worker.
class reload_on_hangup {
public:
    explicit reload_on_hangup(reloader& reload) : signals_(context_, SIGHUP)
    {
        wait(reload);
        thread_ = std::thread([this] { context_.run(); });
    }
    ~reload_on_hangup()
    {
        context_.stop();
        thread_.join();
    }

private:
    void wait(reloader& reload)
    {
        signals_.async_wait([this, &reload](const boost::system::error_code& ec, int) {
            if (ec)
                return;
            reload.reload();
            wait(reload);
        });
    }

    net::io_context context_;
    net::signal_set signals_;
    std::thread thread_;
};

// The sandbox's ledger: $INVITEGW_STATE_PATH, else under the user's state folder (XDG),
// never beside a shipped config that may sit in a read-only /usr/share.
void choose_sandbox_state_path()
{
    const char* set = std::getenv(config::state_path_variable.data());
    if (set && *set)
        return;
    const char* state_home = std::getenv("XDG_STATE_HOME");
    const char* home = std::getenv("HOME");
    std::filesystem::path folder = state_home && *state_home ? std::filesystem::path(state_home)
                                   : home && *home           ? std::filesystem::path(home) / ".local" / "state"
                                                             : std::filesystem::temp_directory_path();
    const std::string path = (folder / "invitegw" / "sandbox-ledger.db").string();
    ::setenv(config::state_path_variable.data(), path.c_str(), 0);
}

// Opens the ledger, settles what a previous run left `sending` and starts finishing its
// unfinished requests. False (with a message) when the ledger cannot be used.
bool start_ledger(const std::shared_ptr<const mapping::compiled_config>& loaded, telemetry::registry& metrics,
                  dispatch::pipeline_options& pipeline, std::unique_ptr<ledger::store>& store,
                  std::unique_ptr<dispatch::recovery>& recovering)
{
    const config::state_config& state = loaded->config.state;
    if (!state.enabled()) {
        telemetry::log(telemetry::log_level::warn, "ledger_disabled",
                       {{"reason", "state.backend is none: outcomes live only in memory, Idempotency-Key is "
                                   "refused and GET /v1/requests/{id} answers 404"}});
        return true;
    }
    std::string error;
    store = open_ledger(state, std::chrono::seconds(10), error);
    if (!store) {
        std::cerr << "invitegw: " << error << "\n";
        return false;
    }
    const auto recovered = wait_for<ledger::recovered>([&](auto done) { store->recover(std::move(done)); });
    if (!recovered.ok()) {
        std::cerr << "invitegw: the ledger could not recover the last run's requests: " << recovered.error.message
                  << "\n";
        return false;
    }
    telemetry::log(telemetry::log_level::info, "ledger_opened",
                   {{"ledger", ledger::describe_target(store->config())},
                    {"unfinished_requests", recovered.value.requests.size()},
                    {"interrupted_items", recovered.value.interrupted_items}});
    metrics.add_section([s = store.get()](std::string& out) { write_ledger_metrics(s->stats(), out); });
    pipeline.ledger = store.get();
    if (!recovered.value.requests.empty())
        recovering = std::make_unique<dispatch::recovery>(recovered.value.requests, loaded, pipeline);
    return true;
}

// Requests cut off by the end of shutdown_grace stay `running` with items `sending`: they
// are interrupted now rather than at the next start, so that the ledger (and a client's
// retry, on any instance) tells the truth even if this instance never starts again.
void settle_at_shutdown(ledger::store& store)
{
    const auto recovered = wait_for<ledger::recovered>([&](auto done) { store.recover(std::move(done)); });
    if (!recovered.ok()) {
        telemetry::log(telemetry::log_level::warn, "ledger_shutdown_incomplete",
                       {{"message", recovered.error.message},
                        {"consequence", "requests cut off by the shutdown are settled at the next start"}});
        return;
    }
    for (const auto& request : recovered.value.requests)
        telemetry::log(telemetry::log_level::warn, "request_cut_off",
                       {{"request_id", request.request.request_id},
                        {"client", request.request.client},
                        {"consequence", "items being sent are unknown (interrupted); pending ones are sent on a "
                                        "retry with the same key or at the next start"}});
    if (recovered.value.interrupted_items > 0)
        telemetry::log(telemetry::log_level::warn, "ledger_items_interrupted",
                       {{"items", recovered.value.interrupted_items}});
}

} // namespace

int serve(const serve_options& options)
{
    std::optional<sandbox> upstreams;
    std::string config_file = options.config_file;
    if (options.sandbox) {
        choose_sandbox_state_path();
        upstreams.emplace();
        config_file = upstreams->config_file();
        if (config_file.empty()) {
            std::cerr << "invitegw: the sandbox found no config; looked for:\n";
            for (const auto& candidate : sandbox_config_candidates())
                std::cerr << "  " << candidate << "\n";
            std::cerr << "set INVITEGW_SANDBOX_CONFIG to the shipped gateway.yaml\n";
            return 1;
        }
    }

    std::shared_ptr<const mapping::compiled_config> loaded;
    try {
        loaded = mapping::load_compiled_config(config_file);
    } catch (const config::config_error& e) {
        for (const auto& line : e.diagnostics())
            std::cerr << line << "\n";
        return 1;
    }
    if (!configure_logs(loaded->config.log, options.log_format))
        return 1;

    telemetry::registry metrics;
    auto configs = std::make_shared<mapping::config_source>(loaded);
    reloader reload(config_file, configs, metrics);
    server::server_services services;
    services.metrics = &metrics;
    services.openapi = api::openapi_document();
    services.reload = [&reload] { return reload.reload(); };

    dispatch::pipeline_options pipeline;
    pipeline.metrics = &metrics;
    pipeline.guards = std::make_shared<resilience::target_guards>();
    metrics.add_section([guards = pipeline.guards](std::string& out) { guards->write_prometheus(out); });
    services.ejected_targets = [guards = pipeline.guards] {
        std::vector<std::string> ejected;
        for (const auto& guard : guards->snapshots())
            if (guard.circuit != resilience::circuit_state::closed)
                ejected.push_back(guard.target);
        return ejected;
    };
    // Declared before the server: it outlives every request that writes to it, and the
    // recovery (which writes to it too) stops before it closes.
    std::unique_ptr<ledger::store> store;
    std::unique_ptr<dispatch::recovery> recovering;
    if (!start_ledger(loaded, metrics, pipeline, store, recovering))
        return 1;
    // Several instances on one PostgreSQL ledger share each target's rate budget.
    std::unique_ptr<instance_heartbeat> heartbeat;
    if (store && loaded->config.state.backend == config::state_config::backend_kind::postgres)
        heartbeat = std::make_unique<instance_heartbeat>(*store, pipeline.guards);
    // Jobs need the ledger: without one, Prefer: respond-async is not applied.
    std::unique_ptr<dispatch::job_runner> jobs;
    if (store) {
        jobs = std::make_unique<dispatch::job_runner>(configs, pipeline);
        pipeline.on_job_accepted = [runner = jobs.get()] { runner->wake(); };
        metrics.add_section([runner = jobs.get()](std::string& out) { write_job_metrics(runner->gauges(), out); });
        services.jobs = [runner = jobs.get()] {
            const dispatch::job_gauges& g = runner->gauges();
            return server::jobs_readiness{g.queued.load(), g.running.load(), g.leased_here.load()};
        };
    }
    try {
        server::server front(configs, dispatch::make_pipeline_factory(pipeline), services);
        server::stop_on_signals(front, loaded->config.limits.shutdown_grace);
        reload_on_hangup hangup(reload);
        telemetry::log(telemetry::log_level::info, "listening",
                       {{"version", version},
                        {"config", config_file},
                        {"config_version", loaded->version},
                        {"address", loaded->config.listener.address},
                        {"port", static_cast<unsigned>(front.port())},
                        {"tls", loaded->config.tls.has_value()}});
        if (upstreams)
            upstreams->print_welcome(std::cout, loaded->config.listener.address, front.port());
        front.run();
    } catch (const std::system_error& e) {
        std::cerr << "invitegw: " << e.what() << "\n";
        return 1;
    }
    recovering.reset();
    jobs.reset(); // a job being sent is left to the next runner, its lease released
    if (store)
        settle_at_shutdown(*store);
    telemetry::log(telemetry::log_level::info, "stopped", {});
    // Lines are written by a thread of their own: let it finish before the process ends.
    telemetry::flush_logs();
    return 0;
}

} // namespace igw::app
