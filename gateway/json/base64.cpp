#include "gateway/json/base64.hpp"

#include <openssl/evp.h>

namespace igw::json {
namespace {

bool is_base64_alphabet(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

} // namespace

std::string base64(std::string_view data)
{
    // EVP_EncodeBlock writes 4 bytes per started 3 and a terminating NUL.
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text)
{
    if (text.size() % 4 != 0)
        return std::nullopt;
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=')
        padding = text[text.size() - 2] == '=' ? 2 : 1;
    // EVP_DecodeBlock skips leading and trailing blanks and decodes `=` as zero bits, so
    // the strict checks are ours; it is left only the arithmetic.
    for (std::size_t i = 0; i < text.size() - padding; ++i)
        if (!is_base64_alphabet(text[i]))
            return std::nullopt;
    std::string out(3 * (text.size() / 4), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0 || static_cast<std::size_t>(n) != out.size())
        return std::nullopt;
    out.resize(out.size() - padding);
    return out;
}

} // namespace igw::json
