#include "tests/emulator/test_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/bn.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>

namespace igw::emulator {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

using boost::beast::iequals;

bool is_ip_address(const std::string& host)
{
    beast::error_code ec;
    net::ip::make_address(host, ec);
    return !ec;
}

} // namespace

std::optional<std::string> test_response::header(std::string_view name) const
{
    for (const auto& [key, value] : headers)
        if (iequals(key, name))
            return value;
    return std::nullopt;
}

struct test_client::impl {
    net::io_context context{1};
    std::string host;
    std::uint16_t port;
    std::optional<tls_settings> tls;
    std::optional<ssl::context> tls_context;
    std::chrono::milliseconds timeout;
    std::optional<beast::tcp_stream> plain;
    std::optional<ssl::stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;

    beast::tcp_stream& lowest() { return secure ? secure->next_layer() : *plain; }

    // Runs one asynchronous operation to completion; the stream's expiry bounds it.
    template <class Start>
    beast::error_code run(Start&& start)
    {
        beast::error_code result = net::error::would_block;
        lowest().expires_after(timeout);
        start([&result](beast::error_code ec, auto&&...) { result = ec; });
        context.restart();
        context.run();
        return result;
    }

    std::string connect()
    {
        beast::error_code ec;
        const auto address = net::ip::make_address(host, ec);
        if (ec)
            return "bad address " + host;
        plain.emplace(context);
        if (tls) {
            if (!tls_context) {
                tls_context.emplace(ssl::context::tls_client);
                tls_context->load_verify_file(tls->ca_file, ec);
                if (ec)
                    return "cannot load CA file " + tls->ca_file + ": " + ec.message();
                tls_context->set_verify_mode(ssl::verify_peer);
                if (std::string error = configure_protocol(); !error.empty())
                    return error;
                if (!tls->certificate_file.empty()) {
                    tls_context->use_certificate_chain_file(tls->certificate_file, ec);
                    if (!ec)
                        tls_context->use_private_key_file(tls->private_key_file, ssl::context::pem, ec);
                    if (ec)
                        return "cannot load client certificate " + tls->certificate_file + ": " + ec.message();
                }
            }
            secure.emplace(std::move(*plain), *tls_context);
            plain.reset();
            if (!is_ip_address(tls->server_name) &&
                !SSL_set_tlsext_host_name(secure->native_handle(), tls->server_name.c_str()))
                return "cannot set SNI";
            secure->set_verify_callback(ssl::host_name_verification(tls->server_name));
        }
        const tcp::endpoint endpoint(address, port);
        if (const auto error = run([&](auto handler) { lowest().async_connect(endpoint, handler); }))
            return close_with("connect: " + error.message());
        if (secure)
            if (const auto error = run(
                    [&](auto handler) { secure->async_handshake(ssl::stream_base::client, handler); }))
                return close_with("TLS handshake: " + error.message());
        return {};
    }

    std::string configure_protocol()
    {
        SSL_CTX* ctx = tls_context->native_handle();
        if (tls->min_version != 0 && tls->min_version < TLS1_2_VERSION)
            SSL_CTX_set_security_level(ctx, 0); // else OpenSSL 3 never offers TLS 1.1 or less
        if ((tls->min_version != 0 && SSL_CTX_set_min_proto_version(ctx, tls->min_version) != 1) ||
            (tls->max_version != 0 && SSL_CTX_set_max_proto_version(ctx, tls->max_version) != 1))
            return "cannot set the TLS versions";
        if (!tls->ciphers.empty() && SSL_CTX_set_cipher_list(ctx, tls->ciphers.c_str()) != 1)
            return "cannot set the cipher list " + tls->ciphers;
        return {};
    }

    std::string close_with(std::string error)
    {
        if (plain || secure) {
            beast::error_code ignored;
            lowest().socket().close(ignored);
        }
        plain.reset();
        secure.reset();
        buffer.clear();
        return error;
    }

    template <class Stream>
    test_response exchange(Stream& stream, const test_request& request)
    {
        http::request<http::string_body> message;
        message.method_string(request.method);
        message.target(request.target);
        message.version(11);
        bool has_host = false;
        for (const auto& [name, value] : request.headers) {
            message.insert(name, value);
            has_host = has_host || iequals(name, "Host");
        }
        if (!has_host)
            message.set(http::field::host, host + ":" + std::to_string(port));
        message.body() = request.body;
        message.prepare_payload();

        test_response response;
        if (const auto error = run([&](auto handler) { http::async_write(stream, message, handler); })) {
            response.error = close_with("write: " + error.message());
            return response;
        }
        http::response_parser<http::string_body> parser;
        parser.body_limit(64 << 20);
        if (const auto error = run([&](auto handler) { http::async_read(stream, buffer, parser, handler); })) {
            response.error = close_with("read: " + error.message());
            return response;
        }
        const auto& reply = parser.get();
        response.status = reply.result_int();
        for (const auto& field : reply)
            response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        response.body = reply.body();
        response.keep_alive = reply.keep_alive();
        if (!response.keep_alive)
            close_with({});
        return response;
    }
};

test_client::test_client(std::string host, std::uint16_t port, std::optional<tls_settings> tls,
                         std::chrono::milliseconds timeout)
    : impl_(std::make_unique<impl>())
{
    impl_->host = std::move(host);
    impl_->port = port;
    impl_->tls = std::move(tls);
    impl_->timeout = timeout;
}

test_client::~test_client() { close(); }

test_response test_client::send(const test_request& request)
{
    if (!connected())
        if (std::string error = impl_->connect(); !error.empty()) {
            test_response failed;
            failed.error = std::move(error);
            return failed;
        }
    if (impl_->secure)
        return impl_->exchange(*impl_->secure, request);
    return impl_->exchange(*impl_->plain, request);
}

bool test_client::connected() const noexcept { return impl_->plain || impl_->secure; }

std::string test_client::peer_certificate_serial() const
{
    if (!impl_->secure)
        return {};
    X509* cert = SSL_get0_peer_certificate(impl_->secure->native_handle());
    if (!cert)
        return {};
    BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
    char* hex = serial ? BN_bn2hex(serial) : nullptr;
    std::string text = hex ? hex : "";
    OPENSSL_free(hex);
    BN_free(serial);
    return text;
}

void test_client::close() { impl_->close_with({}); }

} // namespace igw::emulator
