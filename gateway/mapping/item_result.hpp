#pragma once
// The result of one item, an (invitation, target) pair (docs/glossary.md "Item"), the
// unit the merged reply is made of (docs/api.md "3. Merged response").

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/mapping/timestamp.hpp"

namespace igw::mapping {

enum class item_status : std::uint8_t {
    invited, // the vendor accepted it
    failed,  // the vendor certainly did not create it
    unknown, // it may have been created: the client must not lose track of it
};

// Stable error codes, documented in docs/api.md "Error codes".
enum class error_code : std::uint8_t {
    none,
    role_not_supported,
    upstream_rejected,
    upstream_unauthorized,
    rate_limited,
    upstream_error,
    upstream_unreachable,
    upstream_timeout,
    bad_upstream_response,
    interrupted,        // unknown: the gateway stopped while the call was out (ledger recovery)
    target_unavailable, // failed, nothing sent: the target is not (or no longer) there to call
    not_created,        // failed: the vendor's complete listing shows it was never created (reconcile)
};

inline constexpr std::size_t error_code_count = 12;

std::string_view to_string(item_status status) noexcept;
std::string_view to_string(error_code code) noexcept;
// The code whose to_string() is `text` (none for ""); nullopt when there is no such code.
std::optional<error_code> parse_error_code(std::string_view text) noexcept;

struct item_result {
    std::uint32_t invitation = 0; // index in the canonical request
    std::uint32_t target = 0;     // index in the route's targets
    item_status status = item_status::unknown;
    error_code error = error_code::none;
    unsigned upstream_status = 0; // the vendor's HTTP status, 0 when there was none
    std::string invitation_id;
    timestamp_text expires_at; // RFC 3339 UTC, inline (no allocation per item)
    std::string vendor_status;
    // Invited because the vendor answered that the person already was (a provider's
    // `reply.already_invited` rule), not because this call created the invitation.
    bool already_invited = false;
    // Settled after the fact by looking the item up at the vendor (reconcile).
    bool reconciled = false;
    // For the client: the vendor's own message where it sent one (secrets redacted, at
    // most 512 bytes), else the gateway's short message (mapping/outcome.hpp).
    std::string message;
};

} // namespace igw::mapping
