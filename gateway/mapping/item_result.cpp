#include "gateway/mapping/item_result.hpp"

namespace igw::mapping {

std::string_view to_string(item_status status) noexcept
{
    switch (status) {
    case item_status::invited: return "invited";
    case item_status::failed: return "failed";
    case item_status::unknown: return "unknown";
    }
    return "unknown";
}

std::string_view to_string(error_code code) noexcept
{
    switch (code) {
    case error_code::none: return "";
    case error_code::role_not_supported: return "role_not_supported";
    case error_code::upstream_rejected: return "upstream_rejected";
    case error_code::upstream_unauthorized: return "upstream_unauthorized";
    case error_code::rate_limited: return "rate_limited";
    case error_code::upstream_error: return "upstream_error";
    case error_code::upstream_unreachable: return "upstream_unreachable";
    case error_code::upstream_timeout: return "upstream_timeout";
    case error_code::bad_upstream_response: return "bad_upstream_response";
    case error_code::interrupted: return "interrupted";
    case error_code::target_unavailable: return "target_unavailable";
    case error_code::not_created: return "not_created";
    }
    return "";
}

std::optional<error_code> parse_error_code(std::string_view text) noexcept
{
    for (std::size_t i = 0; i < error_code_count; ++i) {
        const auto code = static_cast<error_code>(i);
        if (to_string(code) == text)
            return code;
    }
    return std::nullopt;
}

} // namespace igw::mapping
