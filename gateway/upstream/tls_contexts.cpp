#include "gateway/upstream/tls_contexts.hpp"

#include <openssl/ssl.h>

namespace igw::upstream::detail {

namespace ssl = boost::asio::ssl;

ssl::context* tls_contexts::get(const std::string& ca_file, std::string& error)
{
    if (auto it = contexts_.find(ca_file); it != contexts_.end())
        return it->second.get();

    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    boost::system::error_code ec;
    ctx->set_default_verify_paths(ec);
    if (ec) {
        error = "cannot load the system CA store: " + ec.message();
        return nullptr;
    }
    if (!ca_file.empty()) {
        ctx->load_verify_file(ca_file, ec);
        if (ec) {
            error = "cannot load CA file " + ca_file + ": " + ec.message();
            return nullptr;
        }
    }
    ctx->set_verify_mode(ssl::verify_peer);
    // Older protocol versions are broken; no vendor API needs them.
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    return contexts_.emplace(ca_file, std::move(ctx)).first->second.get();
}

} // namespace igw::upstream::detail
