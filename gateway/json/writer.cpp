#include "gateway/json/writer.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace igw::json {
namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

// Length of the well-formed UTF-8 sequence starting at text[i], or 0 when the bytes
// there are not one (RFC 3629 table, which excludes overlongs and surrogates).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept
{
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    const std::size_t left = text.size() - i;
    const auto continuation = [&](std::size_t k) { return (byte(k) & 0xC0) == 0x80; };
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        return left >= 2 && continuation(i + 1) ? 2 : 0;
    if (lead >= 0xE0 && lead <= 0xEF) {
        if (left < 3 || !continuation(i + 1) || !continuation(i + 2))
            return 0;
        const unsigned char second = byte(i + 1);
        if (lead == 0xE0 && second < 0xA0)
            return 0; // overlong
        if (lead == 0xED && second > 0x9F)
            return 0; // UTF-16 surrogate
        return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        if (left < 4 || !continuation(i + 1) || !continuation(i + 2) || !continuation(i + 3))
            return 0;
        const unsigned char second = byte(i + 1);
        if (lead == 0xF0 && second < 0x90)
            return 0; // overlong
        if (lead == 0xF4 && second > 0x8F)
            return 0; // above U+10FFFF
        return 4;
    }
    return 0;
}

// Bytes that can be copied as they are: ASCII other than '"', '\\' and the control
// characters RFC 8259 requires escaping (U+0000-U+001F). DEL needs no escape.
constexpr std::array<bool, 256> plain_ascii = [] {
    std::array<bool, 256> table{};
    for (int c = 0x20; c < 0x80; ++c)
        table[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    return table;
}();

} // namespace

bool is_valid_utf8(std::string_view text) noexcept
{
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n = utf8_sequence_length(text, i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

void append_escaped(std::string& out, std::string_view text)
{
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t i = 0;
    while (i < text.size()) {
        // Copy the longest run that needs no escaping in one append.
        std::size_t run = i;
        while (run < text.size() && plain_ascii[static_cast<unsigned char>(text[run])])
            ++run;
        out.append(text.data() + i, run - i);
        i = run;
        if (i == text.size())
            break;

        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const std::size_t n = utf8_sequence_length(text, i);
            if (n == 0) {
                out.append(replacement_character);
                ++i;
            } else {
                out.append(text.data() + i, n);
                i += n;
            }
            continue;
        }
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default: {
            const char escape[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
            out.append(escape, sizeof escape);
        }
        }
        ++i;
    }
}

void writer::before_value()
{
    if (needs_comma_)
        out_.push_back(',');
    needs_comma_ = true;
}

writer& writer::begin_object()
{
    before_value();
    out_.push_back('{');
    needs_comma_ = false;
    return *this;
}

writer& writer::end_object()
{
    out_.push_back('}');
    needs_comma_ = true;
    return *this;
}

writer& writer::begin_array()
{
    before_value();
    out_.push_back('[');
    needs_comma_ = false;
    return *this;
}

writer& writer::end_array()
{
    out_.push_back(']');
    needs_comma_ = true;
    return *this;
}

writer& writer::key(std::string_view name)
{
    before_value();
    out_.push_back('"');
    append_escaped(out_, name);
    out_.append("\":");
    needs_comma_ = false; // the member's value follows the colon directly
    return *this;
}

writer& writer::string(std::string_view value)
{
    before_value();
    out_.push_back('"');
    append_escaped(out_, value);
    out_.push_back('"');
    return *this;
}

writer& writer::integer(std::int64_t value)
{
    before_value();
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    out_.append(digits, result.ptr);
    return *this;
}

writer& writer::number(double value)
{
    if (!std::isfinite(value))
        return null();
    before_value();
    char digits[32];
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    out_.append(digits, result.ptr);
    return *this;
}

writer& writer::boolean(bool value)
{
    before_value();
    out_.append(value ? "true" : "false");
    return *this;
}

writer& writer::null()
{
    before_value();
    out_.append("null");
    return *this;
}

} // namespace igw::json
