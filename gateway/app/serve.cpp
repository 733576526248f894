#include "gateway/app/commands.hpp"

#include "gateway/app/sandbox.hpp"
#include "gateway/config/yaml_reader.hpp"
#include "gateway/dispatch/invite_pipeline.hpp"
#include "gateway/mapping/compiled_config.hpp"
#include "gateway/server/server.hpp"

#include <iostream>

namespace igw::app {

int serve(const serve_options& options)
{
    std::optional<sandbox> upstreams;
    std::string config_file = options.config_file;
    if (options.sandbox) {
        upstreams.emplace();
        config_file = upstreams->config_file();
    }

    std::shared_ptr<const mapping::compiled_config> loaded;
    try {
        loaded = mapping::load_compiled_config(config_file);
    } catch (const config::config_error& e) {
        for (const auto& line : e.diagnostics())
            std::cerr << line << "\n";
        return 1;
    }

    auto configs = std::make_shared<dispatch::config_source>(loaded);
    try {
        server::server front(loaded->config, dispatch::make_pipeline_factory(configs));
        server::stop_on_signals(front, loaded->config.limits.shutdown_grace);
        std::cerr << "invitegw " << version << ": serving " << config_file << " on " << loaded->config.listener.address
                  << ":" << front.port() << "\n";
        if (upstreams)
            upstreams->print_welcome(std::cout, loaded->config.listener.address, front.port());
        front.run();
    } catch (const std::system_error& e) {
        std::cerr << "invitegw: " << e.what() << "\n";
        return 1;
    }
    std::cerr << "invitegw: stopped\n";
    return 0;
}

} // namespace igw::app
