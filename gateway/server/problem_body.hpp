#pragma once
// Problems for the refusals that are plain HTTP conditions with no gateway-specific kind
// in canonical/problems.hpp (internal to igw_server).

#include <string_view>

#include "gateway/canonical/problem.hpp"

namespace igw::server::detail {

// Type "about:blank", titled with the status's reason phrase (RFC 9457 §4.2.1): 400 for
// a malformed HTTP message, 408 for a request not received in time, 414, 431, 500, 501
// for a transfer coding the gateway does not decode, and 503 while shutting down or at
// the connection cap.
canonical::problem http_problem(unsigned status, std::string_view detail);

} // namespace igw::server::detail
