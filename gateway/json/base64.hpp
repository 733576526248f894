#pragma once
// Base64 (RFC 4648 §4, with padding) for the bytes the gateway and its emulators put into
// headers, such as HTTP Basic credentials. One encoder, OpenSSL's, for the whole tree.

#include <string>
#include <string_view>

namespace igw::json {

std::string base64(std::string_view data);

} // namespace igw::json
