#pragma once
// What the end-to-end and operations suites send the gateway: canonical request bodies,
// and a loopback port nothing listens on.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace igw::test {

// A canonical request body: invitations of (email, role[, ref]), optional targets.
struct invitation_spec {
    std::string email, role;
    std::optional<std::string> ref{};
};
std::string invite_body(const std::vector<invitation_spec>& invitations,
                        const std::optional<std::vector<std::string>>& targets = std::nullopt);

// A TCP port on 127.0.0.1 that nothing listens on (bound, then closed at once).
std::uint16_t closed_port();

} // namespace igw::test
