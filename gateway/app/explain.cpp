#include "gateway/app/commands.hpp"

#include "gateway/canonical/request_parser.hpp"
#include "gateway/config/yaml_reader.hpp"
#include "gateway/dispatch/dry_run.hpp"
#include "gateway/mapping/compiled_config.hpp"
#include "gateway/mapping/dispatch_plan.hpp"

#include <fstream>
#include <sstream>

namespace igw::app {

int explain(const std::string& config_file, const std::string& request_file, std::ostream& out, std::ostream& err)
{
    std::shared_ptr<const mapping::compiled_config> loaded;
    try {
        loaded = mapping::load_compiled_config(config_file);
    } catch (const config::config_error& e) {
        for (const auto& line : e.diagnostics())
            err << line << "\n";
        return 1;
    }
    std::ifstream in(request_file, std::ios::binary);
    if (!in) {
        err << request_file << ": cannot read the file\n";
        return 1;
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::string body = text.str();

    // The first route, as clients of the shipped config call it.
    const mapping::route_plan& route = loaded->mappings.routes.front();
    const canonical::validation_context context{loaded->config.roles, route.target_names,
                                                loaded->config.limits.max_invitations,
                                                loaded->config.limits.max_body_bytes};
    canonical::request_parser parser;
    auto parsed = parser.parse(body, context);
    std::string reply;
    if (auto* problem = std::get_if<canonical::problem>(&parsed)) {
        problem->write_json(reply);
        err << reply << "\n";
        return 1;
    }
    mapping::dispatch_plan plan;
    const auto& request = std::get<canonical::invite_request>(parsed);
    mapping::render_calls(request, route, loaded->config.roles, plan);
    dispatch::write_dry_run({}, request, route, plan, reply);
    out << reply << "\n";
    return 0;
}

} // namespace igw::app
