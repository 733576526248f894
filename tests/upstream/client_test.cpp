// The pooled client against a real server on 127.0.0.1: keep-alive, the connection
// cap, deadlines, stale connections, limits and idle eviction.

#include "gateway/upstream/client.hpp"
#include "tests/upstream/support/print.hpp"
#include "tests/upstream/support/run.hpp"
#include "tests/upstream/support/test_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <fstream>
#include <string>
#include <vector>

namespace net = boost::asio;
using namespace std::chrono_literals;
using igw::upstream::client;
using igw::upstream::client_options;
using igw::upstream::endpoint;
using igw::upstream::failure;
using igw::upstream::header;
using igw::upstream::request;
using igw::upstream::response;
using igw::upstream::testing::pause;
using igw::upstream::testing::run;
using igw::upstream::testing::server_options;
using igw::upstream::testing::test_server;
using clock_type = std::chrono::steady_clock;

namespace {

endpoint local(const test_server& s) { return endpoint{false, "127.0.0.1", s.port(), {}}; }

request post(std::string_view target, std::string_view body = "{}") { return request{"POST", target, {}, body}; }

auto in(std::chrono::milliseconds d) { return clock_type::now() + d; }

// Sends `count` requests at once, like the fan-out does, and returns the replies in
// the order they were started.
net::awaitable<std::vector<response>> send_all(client& c, const endpoint& ep, const request& req, std::size_t count,
                                               std::chrono::milliseconds timeout, unsigned max_connections)
{
    auto ex = co_await net::this_coro::executor;
    using op_type = decltype(net::co_spawn(ex, c.send(ep, req, in(timeout), max_connections), net::deferred));
    std::vector<op_type> ops;
    for (std::size_t i = 0; i < count; ++i)
        ops.push_back(net::co_spawn(ex, c.send(ep, req, in(timeout), max_connections), net::deferred));
    auto [order, errors, replies] = co_await net::experimental::make_parallel_group(std::move(ops))
                                        .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
    (void)order;
    for (auto& e : errors)
        if (e)
            std::rethrow_exception(e);
    co_return replies;
}

// A field of /proc/self/status in KiB ("VmRSS", "VmHWM"), or -1.
long status_kib(std::string_view field)
{
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':')
            return std::stol(line.substr(field.size() + 1));
    return -1;
}

// Where the process's resident memory stands, after resetting its high-water mark
// (Linux >= 4.0), so that peak_rss_kib() then gives the highest it reached since.
long reset_peak_rss_kib()
{
    std::ofstream clear_refs("/proc/self/clear_refs");
    clear_refs << "5" << std::flush;
    return status_kib("VmRSS");
}
long peak_rss_kib() { return status_kib("VmHWM"); }

} // namespace

BOOST_AUTO_TEST_SUITE(upstream_client)

BOOST_AUTO_TEST_CASE(sequential_calls_reuse_one_keep_alive_connection)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client c(ex);
        const auto ep = local(server);
        const std::array<header, 1> headers{{{"X-Test", "yes"}}};
        for (int i = 0; i < 5; ++i) {
            const std::string body = R"({"n":)" + std::to_string(i) + "}";
            auto r = co_await c.send(ep, request{"POST", "/v1/invites?x=1", headers, body}, in(5s), 4);
            BOOST_TEST(r.error == failure::none, r.message);
            BOOST_TEST(r.status == 200u);
            BOOST_TEST(r.body == body);
            BOOST_TEST(r.reused_connection == (i > 0));
        }
        BOOST_TEST(server.connections_accepted() == 1u);
        BOOST_REQUIRE_EQUAL(server.requests().size(), 5u);
        const auto& first = server.requests().front();
        BOOST_TEST(first.method == "POST");
        BOOST_TEST(first.target == "/v1/invites?x=1");
        BOOST_TEST(first.host == "127.0.0.1:" + std::to_string(server.port()));
        BOOST_TEST(first.content_length == "7");
        BOOST_TEST(first.test_header == "yes");
        const auto stats = c.stats(ep);
        BOOST_TEST(stats.open == 1u);
        BOOST_TEST(stats.idle == 1u);
        BOOST_TEST(stats.waiting == 0u);
        BOOST_TEST(stats.opened_total == 1u);
    });
}

BOOST_AUTO_TEST_CASE(get_without_body_sends_no_content_length_and_reads_chunked_replies)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client c(ex);
        auto r = co_await c.send(local(server), request{"GET", "/chunked/70000", {}, {}}, in(5s), 1);
        BOOST_TEST(r.error == failure::none, r.message);
        BOOST_TEST(r.body == std::string(70000, 'y'));
        BOOST_REQUIRE_EQUAL(server.requests().size(), 1u);
        BOOST_TEST(server.requests()[0].content_length.empty());
        // The chunked reply was read to its end: the connection is reusable.
        auto again = co_await c.send(local(server), post("/ok", "x"), in(5s), 1);
        BOOST_TEST(again.error == failure::none, again.message);
        BOOST_TEST(again.reused_connection);
    });
}

BOOST_AUTO_TEST_CASE(concurrent_calls_never_exceed_the_connection_cap)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client c(ex);
        const auto ep = local(server);
        const auto replies = co_await send_all(c, ep, post("/delay/20", "hello"), 8, 10s, 2);
        BOOST_REQUIRE_EQUAL(replies.size(), 8u);
        for (const auto& r : replies) {
            BOOST_TEST(r.error == failure::none, r.message);
            BOOST_TEST(r.body == "hello");
        }
        BOOST_TEST(server.max_connections_open() == 2u);
        BOOST_TEST(server.connections_accepted() == 2u);
        BOOST_TEST(server.requests().size() == 8u);
        const auto stats = c.stats(ep);
        BOOST_TEST(stats.opened_total == 2u);
        BOOST_TEST(stats.open == 2u);
        BOOST_TEST(stats.waiting == 0u);
    });
}

BOOST_AUTO_TEST_CASE(deadline_while_waiting_for_a_connection_is_timeout_before_send)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client c(ex);
        const auto ep = local(server);
        const auto slow = post("/delay/400", "first");
        const auto quick = post("/ok", "second");
        // The slow call takes the only connection first; the quick one must wait
        // behind it and gives up at its own deadline.
        auto [order, first_error, first, second_error, second] =
            co_await net::experimental::make_parallel_group(
                net::co_spawn(ex, c.send(ep, slow, in(10s), 1), net::deferred),
                net::co_spawn(ex, c.send(ep, quick, in(50ms), 1), net::deferred))
                .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
        (void)order;
        BOOST_TEST(!first_error);
        BOOST_TEST(!second_error);
        BOOST_TEST(first.error == failure::none, first.message);
        BOOST_TEST(second.error == failure::timeout_before_send);
        BOOST_TEST(second.message.find("limit 1") != std::string::npos, second.message);
        BOOST_REQUIRE_EQUAL(server.requests().size(), 1u);
        BOOST_TEST(server.requests()[0].body == "first");
        BOOST_TEST(c.stats(ep).waiting == 0u);
        BOOST_TEST(c.stats(ep).open == 1u);
    });
}

BOOST_AUTO_TEST_CASE(deadline_already_passed_sends_nothing)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client c(ex);
        auto r = co_await c.send(local(server), post("/ok"), clock_type::now() - 1ms, 1);
        BOOST_TEST(r.error == failure::timeout_before_send);
        BOOST_TEST(server.connections_accepted() == 0u);
    });
}

BOOST_AUTO_TEST_CASE(slow_server_is_timeout_after_send_and_the_connection_is_dropped)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client c(ex);
        const auto ep = local(server);
        auto r = co_await c.send(ep, post("/delay/5000"), in(100ms), 1);
        BOOST_TEST(r.error == failure::timeout_after_send);
        BOOST_TEST(c.stats(ep).open == 0u);
        BOOST_TEST(c.stats(ep).idle == 0u);
        auto next = co_await c.send(ep, post("/ok", "after"), in(5s), 1);
        BOOST_TEST(next.error == failure::none, next.message);
        BOOST_TEST(!next.reused_connection);
        BOOST_TEST(server.connections_accepted() == 2u);
        server.stop();
    });
}

BOOST_AUTO_TEST_CASE(idle_connection_closed_by_the_server_is_replaced_transparently)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        server_options options;
        options.close_after_requests = 1;
        test_server server(ex, options);
        client c(ex);
        const auto ep = local(server);
        auto first = co_await c.send(ep, post("/ok", "one"), in(5s), 1);
        BOOST_TEST(first.error == failure::none, first.message);
        BOOST_TEST(c.stats(ep).idle == 1u);
        co_await server.wait_closed(1); // the server dropped the idle keep-alive connection
        auto second = co_await c.send(ep, post("/ok", "two"), in(5s), 1);
        BOOST_TEST(second.error == failure::none, second.message);
        BOOST_TEST(second.body == "two");
        BOOST_TEST(!second.reused_connection);
        BOOST_TEST(server.connections_accepted() == 2u);
        BOOST_TEST(server.requests().size() == 2u); // nothing was sent on the dead one
        BOOST_TEST(c.stats(ep).opened_total == 2u);
        BOOST_TEST(c.stats(ep).open == 1u);
    });
}

BOOST_AUTO_TEST_CASE(post_the_server_read_then_dropped_is_connection_lost_not_retried)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client c(ex);
        const auto ep = local(server);
        auto first = co_await c.send(ep, post("/ok"), in(5s), 1);
        BOOST_TEST(first.error == failure::none, first.message);
        auto lost = co_await c.send(ep, post("/close", "create-me"), in(5s), 1);
        BOOST_TEST(lost.error == failure::connection_lost);
        BOOST_TEST(lost.reused_connection);
        BOOST_TEST(!lost.message.empty());
        // The server may have acted on it: sending it again could create it twice.
        BOOST_TEST(server.requests().size() == 2u);
        BOOST_TEST(server.connections_accepted() == 1u);
        BOOST_TEST(c.stats(ep).open == 0u);
    });
}

BOOST_AUTO_TEST_CASE(a_request_the_server_read_in_full_is_never_resent_whatever_its_method)
{
    // PUT and GET are idempotent by RFC 9110, but a vendor's invite endpoint need not
    // be: one that read the whole request and then dropped the connection may have
    // acted on it, and sending it again could invite twice.
    for (const std::string_view method : {"PUT", "GET", "POST"}) {
        BOOST_TEST_CONTEXT(method)
        {
            run([&](net::any_io_executor ex) -> net::awaitable<void> {
                test_server server(ex);
                client c(ex);
                const auto ep = local(server);
                auto first = co_await c.send(ep, post("/ok"), in(5s), 1);
                BOOST_TEST(first.error == failure::none, first.message);
                auto lost = co_await c.send(ep, request{method, "/close", {}, R"({"invite":"once"})"}, in(5s), 1);
                BOOST_TEST(lost.error == failure::connection_lost); // the caller reports it as unknown
                BOOST_TEST(lost.reused_connection);                 // no second attempt on a fresh connection
                BOOST_REQUIRE_EQUAL(server.requests().size(), 2u);
                BOOST_TEST(server.requests()[1].method == method);
                BOOST_TEST(server.connections_accepted() == 1u);
                BOOST_TEST(c.stats(ep).open == 0u);
            });
        }
    }
}

BOOST_AUTO_TEST_CASE(first_call_dropped_without_reply_is_connection_lost)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client c(ex);
        auto r = co_await c.send(local(server), request{"GET", "/close", {}, {}}, in(5s), 1);
        BOOST_TEST(r.error == failure::connection_lost);
        BOOST_TEST(server.requests().size() == 1u); // a fresh connection is never retried
    });
}

BOOST_AUTO_TEST_CASE(connection_refused_is_connect_failed)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        std::uint16_t port = 0;
        {
            // A port that was just free and has no listener now.
            net::ip::tcp::acceptor probe(ex, {net::ip::make_address("127.0.0.1"), 0});
            port = probe.local_endpoint().port();
        }
        client c(ex);
        const endpoint ep{false, "127.0.0.1", port, {}};
        auto r = co_await c.send(ep, post("/ok"), in(5s), 1);
        BOOST_TEST(r.error == failure::connect_failed);
        BOOST_TEST(r.message.find("127.0.0.1:" + std::to_string(port)) != std::string::npos, r.message);
        BOOST_TEST(c.stats(ep).open == 0u);
        BOOST_TEST(c.stats(ep).opened_total == 0u);
    });
}

BOOST_AUTO_TEST_CASE(host_names_are_resolved)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client c(ex);
        const endpoint ep{false, "localhost", server.port(), {}};
        for (int i = 0; i < 2; ++i) {
            auto r = co_await c.send(ep, post("/ok", "named"), in(5s), 1);
            BOOST_TEST(r.error == failure::none, r.message);
            BOOST_TEST(r.body == "named");
        }
        BOOST_REQUIRE_EQUAL(server.requests().size(), 2u);
        BOOST_TEST(server.requests()[0].host == "localhost:" + std::to_string(server.port()));
    });
}

BOOST_AUTO_TEST_CASE(concurrent_first_calls_share_one_resolution)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client c(ex);
        const endpoint ep{false, "localhost", server.port(), {}};
        const auto replies = co_await send_all(c, ep, post("/ok", "many"), 4, 10s, 4);
        for (const auto& r : replies) {
            BOOST_TEST(r.error == failure::none, r.message);
            BOOST_TEST(r.body == "many");
        }
        BOOST_TEST(server.connections_accepted() == 4u);
        BOOST_TEST(c.stats(ep).opened_total == 4u);
    });
}

BOOST_AUTO_TEST_CASE(reply_larger_than_the_limit_is_bad_reply)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client_options options;
        options.max_response_bytes = 1000;
        client c(ex, options);
        const auto ep = local(server);
        auto fits = co_await c.send(ep, post("/huge/1000"), in(5s), 1);
        BOOST_TEST(fits.error == failure::none, fits.message);
        BOOST_TEST(fits.body.size() == 1000u);
        auto big = co_await c.send(ep, post("/huge/5000"), in(5s), 1);
        BOOST_TEST(big.error == failure::bad_reply);
        BOOST_TEST(big.message.find("1000") != std::string::npos, big.message);
        auto chunked = co_await c.send(ep, post("/chunked/5000"), in(5s), 1);
        BOOST_TEST(chunked.error == failure::bad_reply);
        BOOST_TEST(c.stats(ep).open == 0u); // a half-read reply leaves nothing reusable
    });
}

BOOST_AUTO_TEST_CASE(an_endless_chunk_extension_or_trailer_is_bad_reply_in_bounded_memory)
{
    // Chunk extensions and trailers are framing, not body: the body limit never sees
    // them, and the parser keeps an unfinished line in the read buffer whole.
    for (const std::string_view target : {"/chunk-extension/64", "/endless-trailer/64"}) {
        BOOST_TEST_CONTEXT(target)
        {
            run([&](net::any_io_executor ex) -> net::awaitable<void> {
                test_server server(ex);
                client c(ex); // the default limits: 4 MiB of body, 64 KiB of header
                const auto ep = local(server);
                const long before = reset_peak_rss_kib();
                const auto r = co_await c.send(ep, request{"GET", target, {}, {}}, in(15s), 1);
                const long growth = peak_rss_kib() - before;
                BOOST_TEST_REQUIRE(before > 0);
                BOOST_TEST_MESSAGE(target << ": resident memory rose by " << growth / 1024.0 << " MiB");
                BOOST_TEST(r.error == failure::bad_reply, r.message);
                BOOST_TEST(r.message.find("larger than") != std::string::npos, r.message);
                BOOST_TEST(growth < 16 * 1024);
                BOOST_TEST(c.stats(ep).open == 0u);
            });
        }
    }
}

BOOST_AUTO_TEST_CASE(unparsable_reply_is_bad_reply)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client c(ex);
        auto r = co_await c.send(local(server), post("/garbage"), in(5s), 1);
        BOOST_TEST(r.error == failure::bad_reply, r.message);
    });
}

BOOST_AUTO_TEST_CASE(status_and_retry_after_are_reported)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client c(ex);
        auto limited = co_await c.send(local(server), post("/retry-after"), in(5s), 1);
        BOOST_TEST(limited.error == failure::none, limited.message);
        BOOST_TEST(limited.status == 429u);
        BOOST_TEST(limited.retry_after == "7");
        BOOST_TEST(limited.body == "slow down");
        auto missing = co_await c.send(local(server), post("/status/404"), in(5s), 1);
        BOOST_TEST(missing.status == 404u);
        BOOST_TEST(missing.retry_after.empty());
        BOOST_TEST(missing.reused_connection);
    });
}

BOOST_AUTO_TEST_CASE(connection_close_and_http10_replies_are_not_reused)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client c(ex);
        const auto ep = local(server);
        auto closing = co_await c.send(ep, post("/connection-close"), in(5s), 1);
        BOOST_TEST(closing.error == failure::none, closing.message);
        BOOST_TEST(closing.body == "bye");
        BOOST_TEST(c.stats(ep).open == 0u);
        auto old = co_await c.send(ep, post("/http10"), in(5s), 1);
        BOOST_TEST(old.error == failure::none, old.message);
        BOOST_TEST(old.body == "old");
        BOOST_TEST(!old.reused_connection);
        BOOST_TEST(c.stats(ep).open == 0u);
        auto next = co_await c.send(ep, post("/ok"), in(5s), 1);
        BOOST_TEST(!next.reused_connection);
        BOOST_TEST(server.connections_accepted() == 3u);
    });
}

BOOST_AUTO_TEST_CASE(idle_connections_are_evicted_after_the_idle_timeout)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client_options options;
        options.idle_timeout = 30ms;
        client c(ex, options);
        const auto ep = local(server);
        auto r = co_await c.send(ep, post("/ok"), in(5s), 1);
        BOOST_TEST(r.error == failure::none, r.message);
        BOOST_TEST(c.stats(ep).idle == 1u);
        co_await server.wait_closed(1); // the client closed it on its own
        BOOST_TEST(c.stats(ep).idle == 0u);
        BOOST_TEST(c.stats(ep).open == 0u);
        auto next = co_await c.send(ep, post("/ok"), in(5s), 1);
        BOOST_TEST(!next.reused_connection);
        BOOST_TEST(c.stats(ep).opened_total == 2u);
    });
}

BOOST_AUTO_TEST_CASE(close_idle_closes_pooled_connections)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client c(ex);
        const auto ep = local(server);
        auto r = co_await c.send(ep, post("/ok"), in(5s), 1);
        BOOST_TEST(r.error == failure::none, r.message);
        c.close_idle();
        BOOST_TEST(c.stats(ep).idle == 0u);
        BOOST_TEST(c.stats(ep).open == 0u);
        co_await server.wait_closed(1);
        BOOST_TEST(server.connections_closed() == 1u);
    });
}

BOOST_AUTO_TEST_CASE(pools_of_endpoints_no_longer_configured_are_freed_once_unused)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server kept_server(ex), dropped_server(ex), busy_server(ex);
        client c(ex);
        const auto kept = local(kept_server), dropped = local(dropped_server), busy = local(busy_server);
        for (const auto& ep : {kept, dropped}) {
            auto r = co_await c.send(ep, post("/ok"), in(5s), 1);
            BOOST_TEST(r.error == failure::none, r.message);
        }
        BOOST_TEST(c.pool_count() == 2u);

        // A call to `busy` is under way (its pool holds a connection and the caller holds
        // a reference to the pool) while the config drops it along with `dropped`.
        const std::array<endpoint, 1> current{kept};
        auto [order, send_error, late, check_error] =
            co_await net::experimental::make_parallel_group(
                net::co_spawn(ex, c.send(busy, post("/delay/200", "late"), in(5s), 1), net::deferred),
                net::co_spawn(
                    ex,
                    [&]() -> net::awaitable<void> {
                        co_await pause(50ms);
                        BOOST_TEST(c.stats(busy).open == 1u);
                        c.retain_only(current);
                        BOOST_TEST(c.pool_count() == 2u); // kept, and busy until its call completes
                        BOOST_TEST(c.stats(dropped).open == 0u);
                        co_await dropped_server.wait_closed(1); // its idle connection was closed at once
                    },
                    net::deferred))
                .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
        (void)order;
        BOOST_TEST(!send_error);
        BOOST_TEST(!check_error);
        BOOST_TEST(late.error == failure::none, late.message);
        BOOST_TEST(late.body == "late");
        BOOST_TEST(c.pool_count() == 1u); // freed as its last call completed, its connection closed
        co_await busy_server.wait_closed(1);
        BOOST_TEST(c.stats(kept).idle == 1u);

        // A dropped endpoint that comes back simply gets a new pool.
        auto again = co_await c.send(dropped, post("/ok", "back"), in(5s), 1);
        BOOST_TEST(again.error == failure::none, again.message);
        BOOST_TEST(!again.reused_connection);
        BOOST_TEST(c.pool_count() == 2u);
    });
}

BOOST_AUTO_TEST_CASE(requests_that_would_inject_headers_are_refused_unsent)
{
    run([](net::any_io_executor ex) -> net::awaitable<void> {
        test_server server(ex);
        client c(ex);
        const std::array<header, 1> evil{{{"X-Test", "a\r\nX-Admin: 1"}}};
        auto r = co_await c.send(local(server), request{"POST", "/ok", evil, "{}"}, in(5s), 1);
        BOOST_TEST(r.error == failure::invalid_request);
        BOOST_TEST(r.message.find("X-Test") != std::string::npos, r.message);
        auto bad_target = co_await c.send(local(server), request{"POST", "/a b", {}, "{}"}, in(5s), 1);
        BOOST_TEST(bad_target.error == failure::invalid_request);
        BOOST_TEST(server.connections_accepted() == 0u);
    });
}

BOOST_AUTO_TEST_SUITE_END()
