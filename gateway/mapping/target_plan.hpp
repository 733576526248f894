#pragma once
// A provider plan bound to one configured target: URL, headers and parameters are
// rendered once at load (they depend only on the target), and the role map becomes
// a table indexed by canonical role. Only bodies are rendered per request.

#include "gateway/config/config.hpp"
#include "gateway/mapping/provider_plan.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace igw::mapping {

struct header_field {
    std::string name;
    std::string value;
    bool secret = false; // derived from a secret: redacted wherever it is shown
};

struct target_plan {
    std::string name;
    std::uint32_t config_index = 0; // in gateway_config::targets
    const provider_plan* provider = nullptr;

    // Where calls go.
    bool tls = false;
    std::string host;
    std::uint16_t port = 0;
    std::string ca_file;
    std::string host_header; // "host" or "host:port" when the port is not the default

    std::string method;
    std::string target;                // origin-form path: base URL prefix + rendered, percent-encoded path
    std::vector<header_field> headers; // everything but Host and Content-Length

    // Per canonical role: the vendor value, or unsupported_role.
    std::vector<config::role_value> roles;
    // Per canonical role: a small id equal for roles that map to the same vendor value,
    // so items of different canonical roles share a call when the vendor sees no difference.
    std::vector<std::uint32_t> role_group;
    // Parameters referenced by the body, by name, rendered into constants at bind time.
    std::vector<std::pair<std::string, std::string>> body_params;
    // List parameters the body references, by name (integer lists already checked).
    std::vector<std::pair<std::string, std::vector<std::string>>> body_list_params;

    // The provider's lookup (its listing of invitations), when it has one: the GET's
    // origin-form target with its fixed query, and the create call's headers without
    // Content-Type (a GET has no body).
    std::string lookup_target;
    std::vector<header_field> lookup_headers;
    bool has_lookup() const noexcept { return !lookup_target.empty(); }

    unsigned max_items = 1;
    std::chrono::milliseconds timeout{10'000};
    unsigned max_in_flight = 8;

    // What no text shown outside may hold: every secret value, every header value made
    // from one ("Bearer sk-…", "Basic …"), and the Basic credentials' base64 (without
    // padding, so a vendor quoting it either way is caught). Longest first, so that a
    // whole header value is replaced rather than the secret inside it.
    std::vector<std::string> redactions;

    bool role_supported(std::uint32_t role) const noexcept
    {
        return !std::holds_alternative<config::unsupported_role>(roles[role]);
    }
    std::string url() const; // for messages and dry runs

    // `text` (a vendor's message, an error's detail) with every redaction replaced by
    // "[redacted]", cut to at most `max_bytes`. Only what can land in those bytes is
    // searched, so a huge text costs no more than a short one, and a secret that
    // straddles the cut is redacted whole rather than shown in part.
    std::string redact(std::string_view text, std::size_t max_bytes) const;
};

// Binds `provider` to `target`; problems are appended to `errors` (prefixed with the
// target's origin) and the plan is only usable when none were added.
target_plan bind_target(const provider_plan& provider, const config::target_config& target, std::uint32_t config_index,
                        const std::vector<std::string>& canonical_roles, std::vector<std::string>& errors);

// Percent-encodes `value` as one path segment: everything but RFC 3986 unreserved
// characters, and "." / ".." in full, so a value can never change the path's shape.
void append_path_segment(std::string& out, std::string_view value);

} // namespace igw::mapping
