#include "gateway/app/sandbox.hpp"

#include "sandbox/emulator.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace igw::app {
namespace {

// Only for the sandbox: the emulators accept nothing but loopback traffic.
constexpr const char* sandbox_client_key = "sandbox-client-key-0123456789";

} // namespace

sandbox::sandbox() : emulators_(std::make_unique<emulator::server>())
{
    // The emulators' credentials must win over anything in the environment, or the
    // sandbox would send a real key to a fake vendor (and fail its checks).
    for (const auto& [name, value] : emulator::environment_for(*emulators_))
        ::setenv(name.c_str(), value.c_str(), 1);
    ::setenv("INVITEGW_CLIENT_KEY", sandbox_client_key, 1);
}

sandbox::~sandbox() = default;

std::vector<std::string> sandbox_config_candidates()
{
    namespace fs = std::filesystem;
    // A file named explicitly is the only one: falling back from a mistyped name would
    // serve another config than the one asked for.
    if (const char* file = std::getenv("INVITEGW_SANDBOX_CONFIG"); file && *file)
        return {file};
    std::vector<std::string> candidates;
    std::error_code ec;
    const fs::path executable = fs::read_symlink("/proc/self/exe", ec);
    if (!ec && executable.has_parent_path())
        candidates.push_back((executable.parent_path().parent_path() / "share/invitegw/config/gateway.yaml").string());
    candidates.push_back(std::string(INVITEGW_SOURCE_DIR) + "/config/gateway.yaml");
    return candidates;
}

std::string sandbox::config_file() const
{
    for (const auto& candidate : sandbox_config_candidates()) {
        std::error_code ec;
        if (std::filesystem::is_regular_file(candidate, ec))
            return candidate;
    }
    return {};
}

void sandbox::print_welcome(std::ostream& out, const std::string& address, unsigned port) const
{
    out << "Sandbox ready: the gateway forwards to strict emulators of all five vendors on loopback.\n"
        << "Invite two people to every vendor:\n\n"
        << "curl -sS http://" << address << ":" << port << "/v1/invitations \\\n"
        << "  -H 'Authorization: Bearer " << sandbox_client_key << "' \\\n"
        << "  -H 'Content-Type: application/json' \\\n"
        << "  -d '{\"invitations\": [{\"email\": \"Jane.Doe@Example.com\", \"role\": \"developer\", \"ref\": "
           "\"crm-8812\"}, {\"email\": \"ops@example.com\", \"role\": \"member\"}]}'\n\n"
        << "Add ?dry_run=true to the URL to see the vendor calls without sending them. Ctrl-C stops.\n"
        << std::flush;
}

} // namespace igw::app
