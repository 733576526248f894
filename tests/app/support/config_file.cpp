#include "tests/app/support/config_file.hpp"

namespace igw::app::test {

std::string valid_config_text() { return ::igw::test::two_target_config("listen: 127.0.0.1:18080\nthreads: 2\n"); }

std::string write_config(const ::igw::test::temp_dir& dir, std::string_view text)
{
    return dir.write("gateway.yaml", text);
}

} // namespace igw::app::test
