#pragma once
// The canonical invite request the load generator sends as request number `index`.

#include "benchmarks/load/options.hpp"

#include <cstdint>
#include <string>

namespace igw::load {

// Writes into `out` (cleared first) a request with options.invitations invitations whose
// emails are u<index>-<i>@load.example.com (unique within and across requests), roles
// cycled over options.roles by (index * invitations + i), and options.targets when set.
void canonical_body(const load_options& options, std::uint64_t index, std::string& out);

} // namespace igw::load
