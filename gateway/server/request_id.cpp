#include "gateway/server/request_id.hpp"

#include <random>

namespace igw::server {

bool is_valid_request_id(std::string_view id) noexcept
{
    if (id.empty() || id.size() > 128)
        return false;
    for (const char c : id) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == ':' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

std::string generate_request_id()
{
    thread_local std::mt19937_64 engine = [] {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device(), device(), device(), device(), device()};
        return std::mt19937_64(seed);
    }();
    constexpr char digits[] = "0123456789abcdef";
    std::string id(32, '0');
    for (int half = 0; half < 2; ++half) {
        std::uint64_t bits = engine();
        for (int i = 0; i < 16; ++i, bits >>= 4)
            id[half * 16 + i] = digits[bits & 0xF];
    }
    return id;
}

} // namespace igw::server
