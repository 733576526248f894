#pragma once
// The request headers the gateway itself writes on every upstream call, the one list
// of them: a provider may not set one (load_provider_plan rejects it), because the
// gateway derives each from the call (the target's host, the rendered body's length and
// type, the connection it sends on) and a second copy would make the request ambiguous.

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace igw::mapping {

inline constexpr std::array<std::string_view, 5> owned_headers{"Host", "Content-Length", "Content-Type",
                                                               "Transfer-Encoding", "Connection"};

inline bool header_name_equals(std::string_view a, std::string_view b) noexcept
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// The owned header `name` is (in its canonical spelling), or "" when it is not one.
inline std::string_view owned_header(std::string_view name) noexcept
{
    for (std::string_view owned : owned_headers)
        if (header_name_equals(name, owned))
            return owned;
    return {};
}

} // namespace igw::mapping
