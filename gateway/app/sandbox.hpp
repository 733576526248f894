#pragma once
// `invitegw serve --sandbox`: the shipped config pointed at strict vendor emulators
// running in this process on loopback, so a new user sees the whole job work
// without any vendor account.

#include <memory>
#include <ostream>
#include <string>

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

    // The shipped config/gateway.yaml.
    std::string config_file() const;
    // A ready-to-paste curl that invites two people to every vendor.
    void print_welcome(std::ostream& out, const std::string& address, unsigned port) const;

private:
    std::unique_ptr<emulator::server> emulators_;
};

} // namespace igw::app
