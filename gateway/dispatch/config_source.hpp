#pragma once
// Moved to the mapping stage, where the server can see it too.
#include "gateway/mapping/config_source.hpp"

namespace igw::dispatch {
using mapping::config_source;
}
