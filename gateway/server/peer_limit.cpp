#include "gateway/server/peer_limit.hpp"

#include <cstdint>

namespace igw::server::detail {

std::size_t peer_limit::key_hash::operator()(const key& k) const noexcept
{
    std::uint64_t h = 1469598103934665603ull; // FNV-1a
    for (unsigned char c : k)
        h = (h ^ c) * 1099511628211ull;
    return static_cast<std::size_t>(h);
}

peer_limit::key peer_limit::key_of(const boost::asio::ip::address& peer) noexcept
{
    if (peer.is_v4())
        return boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, peer.to_v4()).to_bytes();
    return peer.to_v6().to_bytes();
}

bool peer_limit::try_add(const boost::asio::ip::address& peer)
{
    const key k = key_of(peer);
    std::lock_guard lock(mutex_);
    std::size_t& open = open_[k];
    if (open >= per_peer_)
        return false; // never 0 here: per_peer_ is at least 1
    ++open;
    return true;
}

void peer_limit::remove(const boost::asio::ip::address& peer)
{
    const key k = key_of(peer);
    std::lock_guard lock(mutex_);
    const auto it = open_.find(k);
    if (it == open_.end())
        return;
    if (--it->second == 0)
        open_.erase(it);
}

} // namespace igw::server::detail
