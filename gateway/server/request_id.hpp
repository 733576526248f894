#pragma once
// X-Request-Id: the client's own id when it is safe to echo, else one we make.

#include <string>
#include <string_view>

namespace igw::server {

// 1..128 characters of [A-Za-z0-9._:-]: nothing that could split a header or a log line.
bool is_valid_request_id(std::string_view id) noexcept;

// 128 random bits as 32 lowercase hex digits, from a per-thread PRNG seeded from
// std::random_device (an id only has to be unique, not secret; no lock, no syscall).
std::string generate_request_id();

} // namespace igw::server
