#include "gateway/canonical/email.hpp"

#include <array>

namespace igw::canonical {
namespace {

constexpr std::size_t max_address_bytes = 254; // RFC 5321 §4.5.3.1.3 (path minus "<>")
constexpr std::size_t max_local_bytes = 64;    // RFC 5321 §4.5.3.1.1
constexpr std::size_t max_label_bytes = 63;    // RFC 1035 §2.3.4

constexpr bool is_ascii_space(char c) noexcept
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

constexpr bool is_alnum(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 5322 §3.2.3 atext.
constexpr std::array<bool, 256> atext = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c)
        table[static_cast<std::size_t>(c)] = is_alnum(static_cast<char>(c));
    for (char c : std::string_view("!#$%&'*+-/=?^_`{|}~"))
        table[static_cast<unsigned char>(c)] = true;
    return table;
}();

std::optional<std::string_view> local_part_problem(std::string_view local)
{
    if (local.empty())
        return "the local part (before '@') is empty";
    if (local.size() > max_local_bytes)
        return "the local part (before '@') is longer than 64 bytes";
    if (local.front() == '.' || local.back() == '.')
        return "the local part starts or ends with '.'";
    char previous = '\0';
    for (char c : local) {
        if (c == '.') {
            if (previous == '.')
                return "the local part contains consecutive dots";
        } else if (!atext[static_cast<unsigned char>(c)]) {
            return "the local part may only contain letters, digits, '.' and !#$%&'*+-/=?^_`{|}~";
        }
        previous = c;
    }
    return std::nullopt;
}

std::optional<std::string_view> domain_problem(std::string_view domain)
{
    // No length check of its own: with the whole address at most 254 bytes and a
    // local part of at least one, the domain is always within RFC 1035's 253.
    if (domain.empty())
        return "the domain (after '@') is empty";
    if (domain.front() == '[')
        return "address literals such as [192.0.2.1] are not supported";
    std::size_t labels = 0;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = domain.find('.', start);
        const std::string_view label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos
                                                                                          : dot - start);
        if (label.empty())
            return "the domain starts or ends with '.' or contains consecutive dots";
        if (label.size() > max_label_bytes)
            return "a domain label is longer than 63 bytes";
        for (char c : label)
            if (!is_alnum(c) && c != '-')
                return "the domain may only contain letters, digits, '-' and '.'";
        if (label.front() == '-' || label.back() == '-')
            return "a domain label starts or ends with '-'";
        ++labels;
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    if (labels < 2)
        return "the domain needs at least two labels, such as example.com";
    return std::nullopt;
}

} // namespace

std::string normalise_email(std::string_view raw)
{
    while (!raw.empty() && is_ascii_space(raw.front()))
        raw.remove_prefix(1);
    while (!raw.empty() && is_ascii_space(raw.back()))
        raw.remove_suffix(1);
    std::string out(raw);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::optional<std::string_view> email_problem(std::string_view address)
{
    if (address.empty())
        return "the address is empty";
    if (address.size() > max_address_bytes)
        return "the address is longer than 254 bytes";
    // Whole-address checks first, so that the reason names the real cause rather than
    // whichever part the offending character happens to sit in.
    for (char c : address) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x80)
            return "internationalised addresses (non-ASCII characters) are not supported";
    }
    // Before the space check: a quoted local part is usually quoted to hold a space.
    if (address.front() == '"')
        return "quoted local parts are not supported";
    for (char c : address) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F)
            return "control characters are not allowed";
        if (c == ' ')
            return "spaces are not allowed";
    }
    const std::size_t at = address.find('@');
    if (at == std::string_view::npos)
        return "'@' is missing";
    const std::string_view local = address.substr(0, at);
    if (local.find('"') != std::string_view::npos)
        return "quoted local parts are not supported";
    const std::string_view domain = address.substr(at + 1);
    if (domain.find('@') != std::string_view::npos)
        return "there is more than one '@'";
    if (auto reason = local_part_problem(local))
        return reason;
    return domain_problem(domain);
}

} // namespace igw::canonical
