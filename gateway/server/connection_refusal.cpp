// Connections past the caps (server.cpp decides on accept): answered 503 with
// Retry-After without reading a request, then closed, and bounded in number too.
#include "gateway/server/connection.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/write.hpp>

#include "gateway/canonical/problems.hpp"
#include "gateway/server/request_id.hpp"

namespace igw::server::detail {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
// Connections answered 503 at the connection cap are themselves bounded: past this many
// at once, new ones are closed without a word.
constexpr std::size_t max_refusing = 256;

net::awaitable<void> refuse(shared_state& shared, beast::tcp_stream stream, std::string why)
{
    auto res = make_problem(canonical::http_problem(503, why), 11, generate_request_id());
    res.set(http::field::retry_after, "1");
    res.set(http::field::date, http_date());
    res.set("X-Config-Version", shared.configs->current()->version);
    res.keep_alive(false);
    res.prepare_payload();
    stream.expires_after(std::min(shared.config.limits.read_timeout, max_linger));
    auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
    beast::flat_buffer buffer;
    if (!ec)
        co_await lingering_close(stream, buffer, shared.config.limits.read_timeout,
                                 shared.config.limits.max_header_bytes + shared.config.limits.max_body_bytes);
}

} // namespace

void refuse_connection(shared_state& shared, tcp::socket socket, std::string_view why)
{
    if (shared.refusing.fetch_add(1, std::memory_order_relaxed) >= max_refusing) {
        shared.refusing.fetch_sub(1, std::memory_order_relaxed);
        return; // the socket closes here
    }
    auto executor = socket.get_executor();
    net::co_spawn(executor, refuse(shared, beast::tcp_stream(std::move(socket)), std::string(why)),
                  [&shared](std::exception_ptr e) {
                      log_unexpected(e, "refused connection");
                      shared.refusing.fetch_sub(1, std::memory_order_relaxed);
                  });
}

} // namespace igw::server::detail
