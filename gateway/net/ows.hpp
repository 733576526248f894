#pragma once
// HTTP's optional white space (RFC 9110 §5.6.3: spaces and horizontal tabs) around a
// field value or list element, for the gateway, its emulators and the load generator.

#include <string_view>

namespace igw::net_text {

constexpr std::string_view trim_ows(std::string_view text) noexcept
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

} // namespace igw::net_text
