#include "gateway/server/media_type.hpp"

#include <algorithm>

namespace igw::server {

bool is_json_media_type(std::string_view content_type) noexcept
{
    std::string_view type = content_type.substr(0, content_type.find(';'));
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
        type.remove_prefix(1);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
        type.remove_suffix(1);
    constexpr std::string_view json = "application/json";
    return std::ranges::equal(type, json, [](char c, char expected) {
        return (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) == expected;
    });
}

} // namespace igw::server
