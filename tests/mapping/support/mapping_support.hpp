#pragma once
// Shared set-up for the mapping engine tests: the shipped config loaded with fixed
// fake credentials, canonical requests built by the real request parser, a text form
// of a dispatch plan for the golden files, and scratch folders for broken mappings.

#include "gateway/canonical/invite_request.hpp"
#include "gateway/config/env.hpp"
#include "gateway/mapping/compiled_config.hpp"
#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/item_result.hpp"
#include "tests/support/files.hpp"

#include "sandbox/emulator.hpp"
#include "tests/emulator/test_client.hpp"

#include <filesystem>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace igw::mapping {

// So that Boost.Test can print the values it compares.
std::ostream& operator<<(std::ostream& out, item_status status);
std::ostream& operator<<(std::ostream& out, error_code code);

} // namespace igw::mapping

namespace igw::mapping::test {

using env_map = std::map<std::string, std::string>;

using ::igw::test::map_env;
using ::igw::test::position;
using ::igw::test::read_file;
using ::igw::test::temp_dir;

// The repository's config/gateway.yaml and providers/ folder.
std::string shipped_config_path();
std::string shipped_providers_dir();

// Fake credentials, fixed so that golden files are stable; the emulator is started
// with the same ones so that the very same headers are accepted.
emulator::credentials test_credentials();

// Variables for the shipped config with fixed, fake base URLs (never a port that
// changes between runs): the defaults of docs/api.md "8. Configuration" where there is one.
env_map golden_env();
// The same credentials, with base URLs pointing at a running emulator.
env_map emulator_env(const emulator::server& server);

std::shared_ptr<const compiled_config> load(const std::string& path, const env_map& vars);

// Parses `body` with the gateway's own request parser against route `route`;
// fails the test when it is refused.
canonical::invite_request parse_request(const compiled_config& config, std::string body, std::size_t route = 0);

// Loads `path` expecting failure; returns the diagnostics (empty, with a test failure,
// when it loaded).
std::vector<std::string> load_errors(const std::string& path, const env_map& vars);
bool has_line(const std::vector<std::string>& diagnostics, std::string_view line);
// True when one diagnostic starts with `prefix` and contains `part`.
bool has_diagnostic(const std::vector<std::string>& diagnostics, std::string_view prefix, std::string_view part);
std::string joined(const std::vector<std::string>& lines);

// Everything a plan would send, as text: per call the target, method, URL, every
// header (secrets in clear, marked), the exact body and the invitation indexes; then
// the immediate results.
std::string describe(const compiled_config& config, std::string_view request_json, const dispatch_plan& plan,
                     std::size_t route = 0);

// Compares `actual` with tests/mapping/golden/<name>.txt, or rewrites the file when
// IGW_UPDATE_GOLDEN=1.
void check_golden(const std::string& name, const std::string& actual);

// The emulated vendor a target of the shipped config talks to.
emulator::vendor vendor_of(const target_plan& target);

// Sends one rendered call over HTTP exactly as planned (Host, headers, body).
emulator::test_response send_call(const emulator::server& server, const dispatch_plan& plan, const upstream_call& call);

// The results of `out` for target index `target`, ordered by invitation.
std::vector<item_result> results_for(const std::vector<item_result>& out, std::uint32_t target);

} // namespace igw::mapping::test
