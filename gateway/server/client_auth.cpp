#include "gateway/server/client_auth.hpp"

#include "gateway/config/loader.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include <boost/beast/core/string.hpp>
#include <openssl/crypto.h>

namespace igw::server {
namespace {

using boost::beast::iequals;

bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }

} // namespace

std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept
{
    constexpr std::string_view scheme = "Bearer";
    if (authorization.size() <= scheme.size() || !iequals(authorization.substr(0, scheme.size()), scheme) ||
        !is_space(authorization[scheme.size()]))
        return std::nullopt;
    std::string_view token = authorization.substr(scheme.size());
    while (!token.empty() && is_space(token.front()))
        token.remove_prefix(1);
    while (!token.empty() && is_space(token.back()))
        token.remove_suffix(1);
    if (token.empty() || std::ranges::any_of(token, is_space))
        return std::nullopt;
    return token;
}

const config::client_config* find_client_by_key(std::string_view key,
                                                std::span<const config::client_config> clients) noexcept
{
    const std::array<std::uint8_t, 32> digest = config::sha256(key);
    const config::client_config* found = nullptr;
    // No early exit, over every key of every client: what the loop takes depends only on
    // how many keys there are.
    for (const auto& client : clients)
        for (const auto& key_sha256 : client.keys_sha256) {
            const bool match = CRYPTO_memcmp(digest.data(), key_sha256.data(), digest.size()) == 0;
            found = match ? &client : found;
        }
    return found;
}

const config::client_config* authenticate(std::string_view authorization,
                                          std::span<const config::client_config> clients) noexcept
{
    const auto token = bearer_token(authorization);
    return token ? find_client_by_key(*token, clients) : nullptr;
}

const config::client_config* authenticate(std::string_view authorization, std::string_view certificate_cn,
                                          std::span<const config::client_config> clients) noexcept
{
    const config::client_config* by_certificate = nullptr;
    if (!certificate_cn.empty())
        for (const auto& client : clients)
            if (!client.certificate_cn.empty() && client.certificate_cn == certificate_cn)
                by_certificate = &client;
    if (!by_certificate)
        return authenticate(authorization, clients);
    if (authorization.empty())
        return by_certificate;
    return authenticate(authorization, clients) == by_certificate ? by_certificate : nullptr;
}

bool client_may_use_route(const config::client_config& client, std::string_view route_path) noexcept
{
    return client.routes.empty() || std::ranges::find(client.routes, route_path) != client.routes.end();
}

std::size_t client_invitation_limit(const config::client_config& client, std::size_t limit) noexcept
{
    return client.max_invitations ? std::min(*client.max_invitations, limit) : limit;
}

} // namespace igw::server
