#include "benchmarks/load/request_body.hpp"

#include "gateway/json/writer.hpp"

#include <charconv>

namespace igw::load {

void canonical_body(const load_options& options, std::uint64_t index, std::string& out)
{
    out.clear();
    json::writer w(out);
    w.begin_object().key("invitations").begin_array();
    char email[96];
    for (unsigned i = 0; i < options.invitations; ++i) {
        // Formatted by hand: at 1000 invitations per request this loop is the generator's
        // hot path, and the writer escapes whatever it is given anyway.
        // Each number gets a bounded window (20 digits fit any 64-bit value), so the
        // 59 bytes at most always fit the buffer.
        constexpr std::string_view domain = "@load.example.com";
        static_assert(1 + 20 + 1 + 20 + domain.size() <= sizeof email);
        char* p = email;
        *p++ = 'u';
        p = std::to_chars(p, p + 20, index).ptr;
        *p++ = '-';
        p = std::to_chars(p, p + 20, i).ptr;
        p = std::copy(domain.begin(), domain.end(), p);
        const std::string& role = options.roles[(index * options.invitations + i) % options.roles.size()];
        w.begin_object()
            .member("email", std::string_view(email, static_cast<std::size_t>(p - email)))
            .member("role", role)
            .end_object();
    }
    w.end_array();
    if (!options.targets.empty()) {
        w.key("targets").begin_array();
        for (const std::string& target : options.targets)
            w.string(target);
        w.end_array();
    }
    w.end_object();
}

} // namespace igw::load
