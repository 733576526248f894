#include "gateway/app/commands.hpp"

#include "gateway/app/summary.hpp"
#include "gateway/config/yaml_reader.hpp"
#include "gateway/mapping/compiled_config.hpp"

namespace igw::app {

int check_config(const std::string& file, std::ostream& out, std::ostream& err)
{
    try {
        const auto loaded = mapping::load_compiled_config(file);
        write_summary(out, *loaded);
        return 0;
    } catch (const config::config_error& e) {
        for (const auto& line : e.diagnostics())
            err << line << "\n";
        err << file << ": " << e.diagnostics().size() << (e.diagnostics().size() == 1 ? " problem" : " problems")
            << "\n";
        return 1;
    }
}

} // namespace igw::app
