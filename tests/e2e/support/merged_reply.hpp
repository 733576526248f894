#pragma once
// The gateway's merged reply (docs/api.md "3. Merged response") parsed into plain values, so that tests compare
// fields exactly. Parsing is strict: a missing, mistyped or unexpected member throws
// std::runtime_error (which fails the test case with its message).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace igw::e2e {

struct result_entry {
    std::uint64_t index = 0;
    std::optional<std::string> ref;
    std::string email, target, status;
    std::optional<std::string> invitation_id, expires_at, vendor_status;
    std::optional<std::uint64_t> upstream_status;
    bool already_invited = false, reconciled = false;     // written only when true
    std::optional<std::string> error_code, error_message; // both or neither
};

struct merged_reply {
    std::string request_id;
    std::uint64_t invitations = 0, targets = 0, invited = 0, failed = 0, unknown = 0;
    std::vector<result_entry> results;
};

merged_reply parse_merged_reply(const std::string& body);

// The problem+json members tests look at (RFC 9457).
struct problem_reply {
    std::string type, title, detail;
    std::uint64_t status = 0;
    struct error {
        std::string pointer, detail;
    };
    std::vector<error> errors;
};

problem_reply parse_problem(const std::string& body);

// True for the 36-character 8-4-4-4-12 hex form.
bool looks_like_uuid(const std::string& text);

} // namespace igw::e2e
