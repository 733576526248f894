#pragma once
// The human-readable, secret-free description of a loaded config that
// `invitegw check-config` prints.

#include "gateway/mapping/compiled_config.hpp"

#include <ostream>

namespace igw::app {

// Secrets (and headers derived from them) are printed as <redacted>.
void write_summary(std::ostream& out, const mapping::compiled_config& loaded);

} // namespace igw::app
