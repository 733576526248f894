#pragma once
// A client key's allowed targets (clients[].targets, README "Scoped client keys") applied
// to a validated request, before anything is planned, recorded or sent.

#include "gateway/canonical/invite_request.hpp"
#include "gateway/canonical/problem.hpp"

#include <optional>
#include <span>
#include <string>

namespace igw::canonical {

// `allowed` empty: every target. A request that named targets keeps them, or is refused
// with a 403 naming each one not allowed; a request that named none gets the route's
// targets that are allowed (403 when none is). `route_targets` are the names the
// request's target indexes refer to.
std::optional<problem> restrict_targets(invite_request& invite, std::span<const std::string> route_targets,
                                        std::span<const std::string> allowed);

} // namespace igw::canonical
