#pragma once
// The RFC 9457 bodies of the replies the server refuses requests with itself
// (internal to igw_server).

#include <string>
#include <string_view>

#include "gateway/canonical/problem.hpp"

namespace igw::server::detail {

// A problem of type "about:blank", whose title is the status's reason phrase
// (RFC 9457 §4.2.1): these refusals are plain HTTP conditions, not gateway-specific kinds.
canonical::problem http_problem(unsigned status, std::string_view detail);

// Writes `p` as application/problem+json. The server's own writer until canonical's
// problem::write_json is available to link against.
void write_problem_body(const canonical::problem& p, std::string& out);

} // namespace igw::server::detail
