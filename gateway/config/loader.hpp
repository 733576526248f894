#pragma once
// Loading config/gateway.yaml (docs/api.md "8. Configuration") into a validated gateway_config.

#include "gateway/config/config.hpp"
#include "gateway/config/env.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace igw::config {

// Loads and validates the file; throws config_error listing every problem as
// "file:line:column: key: message". Relative paths in the file (providers_dir,
// ca_file, the tls files) are taken relative to the file's own folder. The tls files are
// read here, and their contents kept in the config.
gateway_config load_gateway_config(const std::string& path, const env_lookup& env = process_environment());

// SHA-256 of a client key, as stored in client_config::key_sha256.
std::array<std::uint8_t, 32> sha256(std::string_view data);
// The first `bytes` bytes of SHA-256(data) as lower-case hex (config versions, request
// fingerprints).
std::string sha256_hex(std::string_view data, std::size_t bytes = 32);

} // namespace igw::config
