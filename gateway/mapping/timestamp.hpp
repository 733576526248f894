#pragma once
// Vendor timestamps in the one form the gateway hands on: RFC 3339 in UTC with a `Z`
// ("2026-12-15T10:20:19Z"), whatever form the vendor wrote them in. Each appends to
// `out` and returns false, leaving `out` as it was, when the value is not a timestamp
// of years 0000-9999.

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string_view>

namespace igw::mapping {

// A timestamp as the functions below write it, held inline: the longest they write (the
// date-time, a fraction of at most max_fraction_digits, the `Z`) fits, so an item's expiry
// never costs a heap allocation on the reply path.
class timestamp_text {
public:
    // Finer than any clock a vendor has (attoseconds); further digits are cut, as a
    // truncating clock would.
    static constexpr std::size_t max_fraction_digits = 18;
    static constexpr std::size_t capacity = 19 + 1 + max_fraction_digits + 1;

    timestamp_text() = default;
    // A text longer than `capacity` keeps its first `capacity` characters: only the
    // ledger hands one in, and it stored what these functions wrote.
    timestamp_text& operator=(std::string_view text) noexcept
    {
        size_ = 0;
        append(text);
        return *this;
    }

    std::string_view view() const noexcept { return {data_.data(), size_}; }
    operator std::string_view() const noexcept { return view(); }
    bool empty() const noexcept { return size_ == 0; }
    std::size_t size() const noexcept { return size_; }
    void clear() noexcept { size_ = 0; }
    // What fits of `text` (callers stay within `capacity`).
    void append(std::string_view text) noexcept
    {
        const std::size_t n = text.size() < capacity - size_ ? text.size() : capacity - size_;
        text.copy(data_.data() + size_, n);
        size_ = static_cast<std::uint8_t>(size_ + n);
    }
    void push_back(char c) noexcept { append(std::string_view(&c, 1)); }

    friend bool operator==(const timestamp_text& a, std::string_view b) noexcept { return a.view() == b; }
    friend bool operator==(const timestamp_text& a, const timestamp_text& b) noexcept { return a.view() == b.view(); }

private:
    std::array<char, capacity> data_{};
    std::uint8_t size_ = 0;
};

std::ostream& operator<<(std::ostream& out, const timestamp_text& text);

// Seconds since the Unix epoch.
bool append_rfc3339_from_unix_seconds(std::int64_t seconds, timestamp_text& out);
// Milliseconds since the Unix epoch; the fraction is written (three digits) only when
// the instant is not a whole second.
bool append_rfc3339_from_unix_millis(std::int64_t millis, timestamp_text& out);
// An RFC 3339 date-time ("2026-12-15T11:20:19.250+01:00", `t`/`z` in either case) moved
// to UTC. The fraction's digits are kept as the vendor wrote them, up to
// timestamp_text::max_fraction_digits.
bool append_normalised_rfc3339(std::string_view text, timestamp_text& out);

} // namespace igw::mapping
