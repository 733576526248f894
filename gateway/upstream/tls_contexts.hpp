#pragma once
// The client-side TLS contexts of one thread: one per distinct extra CA file, created
// at first use and kept, because building one (loading the system store) is costly.
// Internal to igw_upstream.

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace igw::upstream::detail {

class tls_contexts {
public:
    // The context that trusts the system store plus `ca_file` (if not empty) and
    // verifies peers. Null, with `error` set, when the CA file cannot be loaded; the
    // next call tries again (the file may have been fixed).
    boost::asio::ssl::context* get(const std::string& ca_file, std::string& error);

private:
    std::unordered_map<std::string, std::unique_ptr<boost::asio::ssl::context>> contexts_;
};

} // namespace igw::upstream::detail
