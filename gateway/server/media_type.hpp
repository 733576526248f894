#pragma once
// The one media type the invite routes accept.

#include <string_view>

namespace igw::server {

// True for `application/json`, in any letter case, with or without parameters
// (`application/json; charset=utf-8`).
bool is_json_media_type(std::string_view content_type) noexcept;

} // namespace igw::server
