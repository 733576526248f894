#pragma once
// A client connection's byte stream: plain TCP, or TLS over it. One type for both, so
// that the connection's request loop (and Beast's read and write operations on it) is
// written once; each read or write picks its layer at run time, a branch next to the
// system call. Internal to igw_server: only the connection's sources include it.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace igw::server::detail {

class server_stream {
public:
    using executor_type = boost::beast::tcp_stream::executor_type;
    using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

    // A null `tls` serves plain HTTP on `socket`.
    server_stream(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> tls);

    executor_type get_executor() noexcept { return tcp().get_executor(); }
    bool tls() const noexcept { return std::holds_alternative<tls_stream>(stream_); }

    // The TCP layer: its deadlines (expires_*) bound the TLS layer's operations too, and
    // closing it ends the connection at once, TLS or not.
    boost::beast::tcp_stream& tcp() noexcept
    {
        if (auto* secure = std::get_if<tls_stream>(&stream_))
            return secure->next_layer();
        return std::get<boost::beast::tcp_stream>(stream_);
    }
    void close() { tcp().close(); }

    // The server side of the TLS handshake (a plain stream has none: success).
    boost::asio::awaitable<boost::beast::error_code> handshake();
    // After a handshake: the subject CN of the client's verified certificate, or empty.
    std::string verified_client_cn();
    // Sends TLS close_notify and waits, at most `bound`, for the client's (a client that
    // just closes ends it at once). Nothing for a plain stream.
    boost::asio::awaitable<void> shutdown_tls(std::chrono::milliseconds bound);

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token)
    {
        return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& b) {
                std::visit([&](auto& layer) { layer.async_read_some(b, std::move(handler)); }, stream_);
            },
            token, buffers);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token)
    {
        return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& b) {
                std::visit([&](auto& layer) { layer.async_write_some(b, std::move(handler)); }, stream_);
            },
            token, buffers);
    }

private:
    // Declared before the stream, which refers to it: the connection keeps the context it
    // was accepted with however often the certificate is rotated since.
    std::shared_ptr<boost::asio::ssl::context> context_;
    std::variant<boost::beast::tcp_stream, tls_stream> stream_;
};

} // namespace igw::server::detail
