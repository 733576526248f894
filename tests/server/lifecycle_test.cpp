// The server's protective limits (in-flight and connection caps, slow and idle clients)
// and its lifecycle (binding, graceful stop, signals).
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <future>
#include <string>
#include <system_error>

#include "tests/server/support/server_fixture.hpp"

namespace srv = igw::server;
using namespace std::chrono_literals;
using srv::testing::invite_request;
using srv::testing::raw_request;
using srv::testing::test_client;

namespace {

// Waits for a server's run()/wait() on another thread, bounded so that a server that
// never finishes fails the test instead of hanging it.
bool finishes(std::future<void>& done) { return done.wait_for(10s) == std::future_status::ready; }

} // namespace

BOOST_FIXTURE_TEST_SUITE(server_lifecycle, srv::testing::server_fixture)

BOOST_AUTO_TEST_CASE(requests_beyond_the_in_flight_cap_get_503_with_retry_after)
{
    config.limits.max_in_flight_requests = 1;
    start();
    control.block = true;
    test_client first(port());
    first.send(invite_request("/v1/invitations", R"({"first":true})"));
    BOOST_REQUIRE(control.wait_blocked(1));

    test_client second(port());
    second.send(invite_request("/v1/invitations", R"({"second":true})"));
    const auto refused = second.read_reply();
    BOOST_TEST(refused.result_int() == 503u);
    BOOST_TEST(std::string(refused["Retry-After"]) == "1");
    BOOST_TEST(std::string(refused["Content-Type"]) == "application/problem+json");
    BOOST_TEST(!refused.keep_alive()); // its body was never read
    BOOST_TEST(second.closed_by_server());

    // Probes are not invite work: they still answer while the cap is reached.
    test_client third(port());
    third.send(raw_request("GET", "/healthz"));
    BOOST_TEST(third.read_reply().result_int() == 200u);

    control.release();
    const auto answered = first.read_reply();
    BOOST_TEST(answered.result_int() == 200u);
    BOOST_TEST(answered.body().find("first") != std::string::npos);

    // The slot was given back.
    third.send(invite_request("/v1/invitations", "{}"));
    BOOST_TEST(third.read_reply().result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(connections_beyond_the_cap_get_503_and_are_closed)
{
    config.limits.max_connections = 1;
    start();
    test_client first(port());
    first.send(raw_request("GET", "/healthz"));
    BOOST_TEST(first.read_reply().result_int() == 200u);

    test_client second(port());
    const auto refused = second.read_reply();
    BOOST_TEST(refused.result_int() == 503u);
    BOOST_TEST(std::string(refused["Retry-After"]) == "1");
    BOOST_TEST(!refused.keep_alive());
    BOOST_TEST(second.closed_by_server());

    first.send(raw_request("GET", "/healthz"));
    BOOST_TEST(first.read_reply().result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(a_client_trickling_its_header_is_dropped_at_the_read_timeout)
{
    config.limits.read_timeout = 300ms;
    start();
    test_client client(port());
    client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    // One header line every 100 ms would take 5 s; the whole request may take 300 ms.
    bool closed = false;
    for (int i = 0; i < 50 && !closed; ++i) {
        closed = client.write("X-Slow: 1\r\n") || client.closed_by_server(100ms);
    }
    BOOST_TEST(closed);
}

BOOST_AUTO_TEST_CASE(an_idle_keep_alive_connection_is_closed_at_the_idle_timeout)
{
    config.limits.idle_timeout = 200ms;
    start();
    test_client client(port());
    client.send(raw_request("GET", "/healthz"));
    BOOST_TEST(client.read_reply().result_int() == 200u);
    BOOST_TEST(client.closed_by_server(5s));
}

BOOST_AUTO_TEST_CASE(binding_a_taken_address_throws_a_clear_error)
{
    start();
    auto taken = config;
    taken.listener.port = port();
    try {
        srv::server second(taken, srv::testing::echo_handler_factory(control));
        BOOST_FAIL("a second server bound the same port");
    } catch (const std::system_error& e) {
        BOOST_TEST(std::string(e.what()).find("cannot listen on 127.0.0.1:" + std::to_string(port())) !=
                   std::string::npos);
    }
    // The first one is unaffected.
    test_client client(port());
    client.send(raw_request("GET", "/healthz"));
    BOOST_TEST(client.read_reply().result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(one_handler_per_worker_destroyed_when_the_server_is)
{
    config.listener.threads = 3;
    {
        srv::server never_started(config, srv::testing::echo_handler_factory(control));
        BOOST_TEST(control.created == 3);
        BOOST_TEST(!never_started.ready());
    }
    BOOST_TEST(control.destroyed == 3);
}

BOOST_AUTO_TEST_CASE(stop_finishes_requests_in_flight_closes_idle_connections_and_returns)
{
    control.block = true;
    srv.emplace(config, srv::testing::echo_handler_factory(control));
    auto done = std::async(std::launch::async, [this] { srv->run(); });

    test_client idle(port());
    idle.send(raw_request("GET", "/healthz"));
    BOOST_TEST(idle.read_reply().result_int() == 200u);

    test_client busy(port());
    busy.send(invite_request("/v1/invitations", R"({"during":"stop"})"));
    BOOST_REQUIRE(control.wait_blocked(1));

    srv->stop(10s);
    BOOST_TEST(!srv->ready());
    BOOST_TEST(idle.closed_by_server());
    BOOST_TEST((done.wait_for(0s) == std::future_status::timeout)); // a request is still in flight

    control.release();
    const auto r = busy.read_reply();
    BOOST_TEST(r.result_int() == 200u);
    BOOST_TEST(r.body().find("during") != std::string::npos);
    BOOST_TEST(!r.keep_alive());
    BOOST_TEST(busy.closed_by_server());

    BOOST_REQUIRE(finishes(done));
    BOOST_TEST(srv::testing::connection_refused(port()));
    BOOST_TEST(control.destroyed == control.created);
}

BOOST_AUTO_TEST_CASE(requests_still_running_after_the_grace_period_are_cancelled)
{
    control.block = true;
    srv.emplace(config, srv::testing::echo_handler_factory(control));
    auto done = std::async(std::launch::async, [this] { srv->run(); });

    test_client busy(port());
    busy.send(invite_request("/v1/invitations", "{}"));
    BOOST_REQUIRE(control.wait_blocked(1));

    srv->stop(100ms); // never released: the grace period runs out
    BOOST_TEST(busy.closed_by_server());
    BOOST_REQUIRE(finishes(done));
    BOOST_TEST(control.destroyed == control.created);
}

BOOST_AUTO_TEST_CASE(sigterm_stops_a_running_server)
{
    srv.emplace(config, srv::testing::echo_handler_factory(control));
    srv::stop_on_signals(*srv, 1s);
    auto done = std::async(std::launch::async, [this] { srv->run(); });

    test_client client(port());
    client.send(raw_request("GET", "/healthz"));
    BOOST_TEST(client.read_reply().result_int() == 200u);

    BOOST_REQUIRE(std::raise(SIGTERM) == 0);
    BOOST_REQUIRE(finishes(done));
    BOOST_TEST(!srv->ready());
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_SUITE_END()
