#pragma once
// Lets Boost.Test print a failure kind when an assertion on it fails.

#include "gateway/upstream/client.hpp"

#include <ostream>

namespace igw::upstream {
inline std::ostream& operator<<(std::ostream& os, failure f) { return os << to_string(f); }
} // namespace igw::upstream
