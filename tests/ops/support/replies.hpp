#pragma once
// The gateway's JSON replies read into plain values for exact comparisons. Strict: a
// missing, mistyped or unexpected member throws std::runtime_error.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace igw::ops {

struct result_entry {
    std::uint64_t index = 0;
    std::string email, target, status;
    std::optional<std::string> error_code;
    std::optional<std::uint64_t> upstream_status;
};

struct merged_reply {
    std::string request_id;
    std::uint64_t invitations = 0, targets = 0, invited = 0, failed = 0, unknown = 0;
    std::vector<result_entry> results;
};

merged_reply parse_merged_reply(std::string_view body);

// POST /admin/reload's body.
struct reload_reply {
    bool reloaded = false;
    std::string config_version;
    std::vector<std::string> errors, notes;
};

reload_reply parse_reload_reply(std::string_view body);

// `body` re-indented two spaces per level, one member or element per line, so golden
// files diff line by line. Strings are copied byte for byte.
std::string pretty_json(std::string_view body);

} // namespace igw::ops
