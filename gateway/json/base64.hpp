#pragma once
// Base64 (RFC 4648 §4, with padding) for the bytes the gateway and its emulators put into
// headers, such as HTTP Basic credentials. One encoder, OpenSSL's, for the whole tree.

#include <optional>
#include <string>
#include <string_view>

namespace igw::json {

std::string base64(std::string_view data);

// The bytes `text` encodes, or nullopt unless it is padded base64: a multiple
// of 4 characters from the standard alphabet, `=` only as the last one or two. No
// whitespace is skipped: a secret pasted with a stray newline is an error, not a guess.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace igw::json
