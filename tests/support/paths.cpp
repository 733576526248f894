#include "tests/support/paths.hpp"

namespace igw::test {

const std::string& test_data_dir()
{
    // A function-local static: safe to call from other translation units' static
    // initialisers, which several fixtures are.
    static const std::string dir = IGW_TEST_DATA;
    return dir;
}

} // namespace igw::test
