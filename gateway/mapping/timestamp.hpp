#pragma once
// Vendor timestamps in the one form the gateway hands on: RFC 3339 in UTC with a `Z`
// ("2026-12-15T10:20:19Z"), whatever form the vendor wrote them in. Each appends to
// `out` and returns false, leaving `out` as it was, when the value is not a timestamp
// of years 0000-9999.

#include <cstdint>
#include <string>
#include <string_view>

namespace igw::mapping {

// Seconds since the Unix epoch.
bool append_rfc3339_from_unix_seconds(std::int64_t seconds, std::string& out);
// Milliseconds since the Unix epoch; the fraction is written (three digits) only when
// the instant is not a whole second.
bool append_rfc3339_from_unix_millis(std::int64_t millis, std::string& out);
// An RFC 3339 date-time ("2026-12-15T11:20:19.250+01:00", `t`/`z` in either case) moved
// to UTC. The fraction's digits are kept as the vendor wrote them.
bool append_normalised_rfc3339(std::string_view text, std::string& out);

} // namespace igw::mapping
