#pragma once
// Where the tests find this checkout's files. The path is compiled into one translation
// unit (paths.cpp) only: were it a definition on every test source, each clone's objects
// would differ and ccache could never reuse them (CI builds a fresh clone).

#include <string>

namespace igw::test {

// The checkout's tests/ folder (fixtures, golden files), without a trailing slash.
const std::string& test_data_dir();

} // namespace igw::test
