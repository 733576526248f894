#pragma once
// `invitegw serve --sandbox`: the shipped config pointed at strict vendor emulators
// running in this process on loopback, so a new user sees the whole job work
// without any vendor account.

#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace igw::emulator {
class server;
}

namespace igw::app {

class sandbox {
public:
    // Starts the emulators and exports the environment variables the shipped config
    // reads (base URLs, secrets, role ids, a client key), unless already set.
    sandbox();
    ~sandbox();

    // The shipped config/gateway.yaml: the first of sandbox_config_candidates() that
    // exists, or empty when none does.
    std::string config_file() const;
    // A ready-to-paste curl that invites two people to every vendor.
    void print_welcome(std::ostream& out, const std::string& address, unsigned port) const;

private:
    std::unique_ptr<emulator::server> emulators_;
};

// Where the sandbox looks for the shipped config: only the file named by
// INVITEGW_SANDBOX_CONFIG when that is set; else, in order,
// <prefix>/share/invitegw/config/gateway.yaml when the running binary is
// <prefix>/bin/invitegw (an installed tree, whose providers/ lie beside config/), then the
// source tree the binary was built from (a build tree). The sandbox never reads the
// operator's /etc config: its literal URLs or secrets would then reach a vendor.
std::vector<std::string> sandbox_config_candidates();

} // namespace igw::app
