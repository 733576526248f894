#pragma once
// The one way this project writes JSON. Every response and every upstream body goes
// through it, so a value (an email, a role, a vendor message) can never change the
// structure of the document it is written into.

#include <cstdint>
#include <string>
#include <string_view>

namespace igw::json {

// Appends `text` to `out` as the contents of a JSON string (without the quotes):
// '"', '\\' and every control character are escaped (RFC 8259 §7), and bytes that are
// not well-formed UTF-8 are replaced by U+FFFD, so the output is always valid JSON.
void append_escaped(std::string& out, std::string_view text);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

// A streaming writer appending to a caller-owned buffer, so a buffer can be cleared
// and reused across requests without allocating. Commas are placed automatically;
// the caller is responsible for balancing begin/end and giving each member a key.
class writer {
public:
    explicit writer(std::string& out) noexcept : out_(out) {}

    writer& begin_object();
    writer& end_object();
    writer& begin_array();
    writer& end_array();

    writer& key(std::string_view name);

    writer& string(std::string_view value);
    writer& integer(std::int64_t value);
    // A finite number in shortest round-trip-safe form; NaN and infinities (which JSON
    // cannot express) are written as null.
    writer& number(double value);
    writer& boolean(bool value);
    writer& null();

    // Shorthands for `key(name).value(...)`.
    writer& member(std::string_view name, std::string_view value) { return key(name).string(value); }
    writer& member(std::string_view name, const char* value) { return key(name).string(value); }
    writer& member(std::string_view name, std::int64_t value) { return key(name).integer(value); }
    writer& member(std::string_view name, int value) { return key(name).integer(value); }
    writer& member(std::string_view name, unsigned value) { return key(name).integer(value); }
    writer& member(std::string_view name, std::size_t value)
    {
        return key(name).integer(static_cast<std::int64_t>(value));
    }
    writer& member(std::string_view name, bool value) { return key(name).boolean(value); }

    std::string& buffer() noexcept { return out_; }

private:
    void before_value();

    std::string& out_;
    bool needs_comma_ = false;
};

} // namespace igw::json
