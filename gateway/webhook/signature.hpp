#pragma once
// Standard Webhooks signatures (https://www.standardwebhooks.com, "Signature scheme"): a
// delivery carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
// `webhook-signature: v1,<base64 of HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, where
// the key is what the client's secret `whsec_<base64 of the key>` encodes. A receiver's
// own Standard Webhooks library verifies it; scripts/verify-webhook does, from the spec.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace igw::webhook {

// The specification's bounds on a key: 24 bytes (192 bits) at least, 64 at most.
inline constexpr std::size_t min_key_bytes = 24;
inline constexpr std::size_t max_key_bytes = 64;

// A signing key: the raw bytes, never the `whsec_` text. It is a secret: nothing prints it.
struct secret {
    std::string key;

    bool operator==(const secret&) const = default;
};

// The key `text` ("whsec_" + padded base64) encodes; nullopt without the prefix, with bad
// base64, or with a key outside [min_key_bytes, max_key_bytes].
std::optional<secret> parse_secret(std::string_view text);

// The `webhook-signature` header value for one delivery attempt: "v1,<base64>".
std::string sign(const secret& key, std::string_view id, std::int64_t timestamp, std::string_view body);

} // namespace igw::webhook
