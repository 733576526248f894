#pragma once
// The canonical invite request (docs/api.md "2. Canonical request") after validation: every email trimmed,
// lower-cased and checked, every role and target resolved to an index.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace igw::canonical {

struct invitation {
    std::string email;              // normalised: trimmed, lower-case
    std::uint32_t role = 0;         // index into gateway_config::roles
    std::optional<std::string> ref; // echoed back to the client
};

struct invite_request {
    std::vector<invitation> invitations;
    // Indexes into the route's target list, in the route's order, no duplicates.
    // All of the route's targets when the client named none.
    std::vector<std::uint32_t> targets;
    bool targets_named = false; // the request had a `targets` member
    bool send_email = true;
};

} // namespace igw::canonical
