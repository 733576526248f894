#include "gateway/app/commands.hpp"

#include "gateway/api/openapi.hpp"
#include "gateway/app/reloader.hpp"
#include "gateway/app/sandbox.hpp"
#include "gateway/config/yaml_reader.hpp"
#include "gateway/dispatch/invite_pipeline.hpp"
#include "gateway/mapping/compiled_config.hpp"
#include "gateway/server/server.hpp"
#include "gateway/telemetry/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

} // namespace

int serve(const serve_options& options)
{
    std::optional<sandbox> upstreams;
    std::string config_file = options.config_file;
    if (options.sandbox) {
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
    try {
        server::server front(configs, dispatch::make_pipeline_factory(pipeline), services);
        server::stop_on_signals(front, loaded->config.limits.shutdown_grace);
        reload_on_hangup hangup(reload);
        telemetry::log(telemetry::log_level::info, "listening",
                       {{"version", version},
                        {"config", config_file},
                        {"config_version", loaded->version},
                        {"address", loaded->config.listener.address},
                        {"port", static_cast<unsigned>(front.port())}});
        if (upstreams)
            upstreams->print_welcome(std::cout, loaded->config.listener.address, front.port());
        front.run();
    } catch (const std::system_error& e) {
        std::cerr << "invitegw: " << e.what() << "\n";
        return 1;
    }
    telemetry::log(telemetry::log_level::info, "stopped", {});
    // Lines are written by a thread of their own: let it finish before the process ends.
    telemetry::flush_logs();
    return 0;
}

} // namespace igw::app
