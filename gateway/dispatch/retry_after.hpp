#pragma once
// Reading a vendor's Retry-After (RFC 9110 §10.2.3): how long it asks the gateway to
// wait before calling again.

#include <chrono>
#include <optional>
#include <string_view>

namespace igw::dispatch {

// The longest delay parse_retry_after() reports; larger ones are reported as this.
inline constexpr std::chrono::seconds max_retry_after{2'147'483'647};

// The delay `value` asks for, as delay-seconds ("120") or an HTTP-date: IMF-fixdate
// ("Sun, 06 Nov 1994 08:49:37 GMT"), or the obsolete RFC 850 ("Sunday, 06-Nov-94
// 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994") forms, counted from `now`.
// A date in the past is 0; a number too large to represent is max_retry_after;
// anything else (empty, negative, fractional, a malformed date) is nullopt.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

inline std::optional<std::chrono::seconds> parse_retry_after(std::string_view value)
{
    return parse_retry_after(value, std::chrono::system_clock::now());
}

} // namespace igw::dispatch
