#pragma once
// Counts the open connections of each client address, against
// limits.max_connections_per_peer: one address cannot take the whole connection cap.

#include <array>
#include <cstddef>
#include <mutex>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

namespace igw::server::detail {

class peer_limit {
public:
    explicit peer_limit(std::size_t per_peer) : per_peer_(per_peer) {}

    // Counts a connection from `peer` and returns true, unless `peer` is at the cap.
    bool try_add(const boost::asio::ip::address& peer);
    // Uncounts a connection that try_add() counted.
    void remove(const boost::asio::ip::address& peer);

private:
    // IPv4 as IPv4-mapped IPv6, so that both forms of one client count together.
    using key = std::array<unsigned char, 16>;
    struct key_hash {
        std::size_t operator()(const key& k) const noexcept;
    };
    static key key_of(const boost::asio::ip::address& peer) noexcept;

    const std::size_t per_peer_;
    // Taken twice per connection (accept and close), never per request, on any worker:
    // one short lock costs nothing next to a TCP handshake.
    std::mutex mutex_;
    std::unordered_map<key, std::size_t, key_hash> open_;
};

} // namespace igw::server::detail
