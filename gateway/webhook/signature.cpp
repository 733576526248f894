#include "gateway/webhook/signature.hpp"

#include "gateway/json/base64.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace igw::webhook {

std::optional<secret> parse_secret(std::string_view text)
{
    constexpr std::string_view prefix = "whsec_";
    // One object returned on every path: returning another (or a moved one) makes g++ 12
    // see a string move it wrongly flags as out of bounds (-Warray-bounds).
    std::optional<secret> parsed;
    if (text.starts_with(prefix))
        if (auto key = json::base64_decode(text.substr(prefix.size()));
            key && key->size() >= min_key_bytes && key->size() <= max_key_bytes)
            parsed.emplace().key.swap(*key);
    return parsed;
}

std::string sign(const secret& key, std::string_view id, std::int64_t timestamp, std::string_view body)
{
    std::string content;
    const std::string seconds = std::to_string(timestamp);
    content.reserve(id.size() + seconds.size() + body.size() + 2);
    content.append(id).append(1, '.').append(seconds).append(1, '.').append(body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned length = 0;
    HMAC(EVP_sha256(), key.key.data(), static_cast<int>(key.key.size()),
         reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &length);
    return "v1," + json::base64(std::string_view(reinterpret_cast<const char*>(mac), length));
}

} // namespace igw::webhook
