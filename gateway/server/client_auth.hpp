#pragma once
// Who is calling: `Authorization: Bearer <key>` matched against the configured clients'
// SHA-256 key digests, or the verified TLS client certificate whose subject CN a client's
// `certificate_cn` names; and whether that client may use a route.

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "gateway/config/config.hpp"

namespace igw::server {

// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive,
// RFC 9110 §11.1), or nullopt when the value is of another scheme or has no token.
std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept;

// The client one of whose keys_sha256 is SHA-256(key), or null. Every digest of every
// client is compared, in constant time, whatever matches, so timing does not reveal which
// entry (or how much of a digest) matched.
const config::client_config* find_client_by_key(std::string_view key,
                                                std::span<const config::client_config> clients) noexcept;

// The client an `Authorization` value authenticates (a Bearer key), or null.
const config::client_config* authenticate(std::string_view authorization,
                                          std::span<const config::client_config> clients) noexcept;

// The client a request authenticates as, given its `Authorization` value (empty when
// absent) and the subject CN of its connection's verified client certificate (empty
// without one). A certificate that names a client authenticates it without a key; a key
// sent as well must be that same client's, or the request authenticates nobody (two
// credentials that disagree are refused, never ranked). A certificate that names no
// client leaves the key alone to decide.
const config::client_config* authenticate(std::string_view authorization, std::string_view certificate_cn,
                                          std::span<const config::client_config> clients) noexcept;

// A client with no route list may use every route.
bool client_may_use_route(const config::client_config& client, std::string_view route_path) noexcept;

// The most invitations `client` may send in one request where the gateway's own limit is
// `limit`: its max_invitations when lower.
std::size_t client_invitation_limit(const config::client_config& client, std::size_t limit) noexcept;

} // namespace igw::server
