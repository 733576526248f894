// The server's protective limits (in-flight and connection caps, slow and idle clients)
// and its lifecycle (binding, graceful stop, signals).
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <future>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "gateway/mapping/config_source.hpp"
#include "gateway/server/connection.hpp"
#include "gateway/server/worker.hpp"
#include "gateway/telemetry/metrics.hpp"
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
    BOOST_TEST(refused.keep_alive()); // refused once its body was in: the connection carries on

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

BOOST_AUTO_TEST_CASE(connections_beyond_the_cap_and_the_probes_reserve_get_503_and_are_closed)
{
    config.limits.max_connections = 1;
    start();
    test_client first(port());
    first.send(raw_request("GET", "/healthz"));
    BOOST_TEST(first.read_reply().result_int() == 200u);
    // Silent, they hold the probes' reserve until the read timeout.
    std::vector<std::unique_ptr<test_client>> reserve;
    for (std::size_t i = 0; i < srv::detail::probe_reserve; ++i)
        reserve.push_back(std::make_unique<test_client>(port()));

    test_client second(port());
    const auto refused = second.read_reply();
    BOOST_TEST(refused.result_int() == 503u);
    BOOST_TEST(std::string(refused["Retry-After"]) == "1");
    BOOST_TEST(!refused.keep_alive());
    BOOST_TEST(second.closed_by_server());

    first.send(raw_request("GET", "/healthz"));
    BOOST_TEST(first.read_reply().result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(a_client_trickling_its_header_gets_408_at_the_read_timeout)
{
    config.limits.read_timeout = 300ms;
    start();
    test_client client(port());
    client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    // One header line every 50 ms would take 5 s; the whole request may take 300 ms. The
    // server answers 408, drops what still comes for a moment, then closes: the writes fail.
    bool closed = false;
    int lines = 0;
    for (; lines < 100 && !closed; ++lines) {
        std::this_thread::sleep_for(50ms); // the pace of the slow client under test
        closed = static_cast<bool>(client.write("X-Slow: 1\r\n"));
    }
    BOOST_TEST(closed);
    BOOST_TEST(lines < 60); // well before the 5 s the header would take
    const auto r = client.read_reply();
    BOOST_TEST(r.result_int() == 408u);
    BOOST_TEST(std::string(r["Content-Type"]) == "application/problem+json");
    BOOST_TEST(!r.keep_alive());
}

BOOST_AUTO_TEST_CASE(a_body_not_in_by_the_read_timeout_gets_408)
{
    config.limits.read_timeout = 300ms;
    start();
    test_client client(port());
    client.send(
        srv::testing::raw_request(
            "POST", "/v1/invitations",
            {{"Authorization", "Bearer key-a"}, {"Content-Type", "application/json"}, {"Content-Length", "100"}}, "") +
        R"({"half":)");
    const auto r = client.read_reply();
    BOOST_TEST(r.result_int() == 408u);
    BOOST_TEST(!r.keep_alive());
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(a_silent_connection_is_closed_at_the_read_timeout_not_the_idle_timeout)
{
    config.limits.read_timeout = 300ms;
    config.limits.idle_timeout = 60s;
    start();
    test_client silent(port());
    // Nothing is sent, and nothing is answered: a connection that never sent a request
    // gets no 408.
    BOOST_TEST(silent.closed_by_server(10s));

    // Later requests of a keep-alive connection still wait for the idle timeout.
    test_client served(port());
    served.send(raw_request("GET", "/healthz"));
    BOOST_TEST(served.read_reply().result_int() == 200u);
    BOOST_TEST(!served.closed_by_server(600ms));
}

BOOST_AUTO_TEST_CASE(one_peer_address_cannot_take_more_than_its_share_of_connections)
{
    config.limits.max_connections_per_peer = 2;
    start();
    std::vector<std::unique_ptr<test_client>> held;
    for (int i = 0; i < 2; ++i) {
        held.push_back(std::make_unique<test_client>(port()));
        held.back()->send(raw_request("GET", "/healthz"));
        BOOST_TEST(held.back()->read_reply().result_int() == 200u);
    }
    test_client third(port());
    const auto refused = third.read_reply();
    BOOST_TEST(refused.result_int() == 503u);
    BOOST_TEST(std::string(refused["Retry-After"]) == "1");
    BOOST_TEST(third.closed_by_server());

    test_client other_peer(port(), "127.0.0.2");
    other_peer.send(raw_request("GET", "/healthz"));
    BOOST_TEST(other_peer.read_reply().result_int() == 200u);

    // A closed connection gives its place back (once the server has seen it close).
    held.front().reset();
    bool admitted = false;
    for (int attempt = 0; attempt < 200 && !admitted; ++attempt) {
        test_client again(port());
        again.send(raw_request("GET", "/healthz"));
        admitted = again.read_reply().result_int() == 200u;
    }
    BOOST_TEST(admitted);
}

BOOST_AUTO_TEST_CASE(probes_still_answer_when_the_connection_cap_is_full)
{
    config.limits.max_connections = 2;
    start();
    std::vector<std::unique_ptr<test_client>> held;
    for (int i = 0; i < 2; ++i) {
        held.push_back(std::make_unique<test_client>(port()));
        held.back()->send(raw_request("GET", "/healthz"));
        BOOST_TEST(held.back()->read_reply().result_int() == 200u);
    }
    test_client probe(port());
    probe.send(raw_request("GET", "/healthz"));
    const auto alive = probe.read_reply();
    BOOST_TEST(alive.result_int() == 200u);
    BOOST_TEST(!alive.keep_alive()); // one request per reserved connection
    BOOST_TEST(probe.closed_by_server());

    test_client ready(port());
    ready.send(raw_request("HEAD", "/readyz"));
    BOOST_TEST(ready.read_head_reply().result_int() == 200u);

    test_client invite(port());
    invite.send(invite_request("/v1/invitations", "{}"));
    const auto refused = invite.read_reply();
    BOOST_TEST(refused.result_int() == 503u);
    BOOST_TEST(std::string(refused["Retry-After"]) == "1");
    BOOST_TEST(invite.closed_by_server());
}

BOOST_AUTO_TEST_CASE(slow_uploads_do_not_hold_in_flight_slots)
{
    config.limits.max_in_flight_requests = 2;
    start();
    // Two uploads that have their 100 Continue and send half a body, then stall.
    std::vector<std::unique_ptr<test_client>> uploads;
    for (int i = 0; i < 2; ++i) {
        uploads.push_back(std::make_unique<test_client>(port()));
        uploads.back()->send(raw_request("POST", "/v1/invitations",
                                         {{"Authorization", "Bearer key-a"},
                                          {"Content-Type", "application/json"},
                                          {"Content-Length", "9"},
                                          {"Expect", "100-continue"}}));
        BOOST_TEST(uploads.back()->read_reply().result_int() == 100u);
        uploads.back()->send(R"({"up":)");
    }
    test_client third(port());
    third.send(invite_request("/v1/invitations", R"({"third":1})"));
    const auto r = third.read_reply();
    BOOST_TEST(r.result_int() == 200u);
    BOOST_TEST(r.body().find("third") != std::string::npos);

    for (auto& upload : uploads) {
        upload->send("1}\n");
        BOOST_TEST(upload->read_reply().result_int() == 200u);
    }
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

BOOST_AUTO_TEST_CASE(requests_still_running_after_the_grace_period_are_cancelled_and_still_answered)
{
    control.block = true;
    srv.emplace(config, srv::testing::echo_handler_factory(control));
    auto done = std::async(std::launch::async, [this] { srv->run(); });

    test_client busy(port());
    busy.send(invite_request("/v1/invitations", "{}"));
    BOOST_REQUIRE(control.wait_blocked(1));

    const auto stopped = std::chrono::steady_clock::now();
    srv->stop(100ms); // never released: the grace period runs out
    // The handler sees the cancellation and answers with what it has; the reply goes out
    // at once, and the connection closes after it.
    const auto reply = busy.read_reply();
    BOOST_TEST((std::chrono::steady_clock::now() - stopped < 2s));
    BOOST_TEST(reply.result_int() == 200u);
    BOOST_TEST(reply.body().find(R"("cancelled":true)") != std::string::npos, reply.body());
    BOOST_TEST(!reply.keep_alive());
    BOOST_TEST(busy.closed_by_server());
    BOOST_REQUIRE(finishes(done));
    BOOST_TEST(control.destroyed == control.created);
}

BOOST_AUTO_TEST_CASE(a_handler_that_ignores_the_cancellation_loses_its_connection_at_the_backstop)
{
    control.block = true;
    control.ignore_cancellation = true;
    srv.emplace(config, srv::testing::echo_handler_factory(control));
    auto done = std::async(std::launch::async, [this] { srv->run(); });

    test_client busy(port());
    busy.send(invite_request("/v1/invitations", "{}"));
    BOOST_REQUIRE(control.wait_blocked(1));

    const auto stopped = std::chrono::steady_clock::now();
    srv->stop(100ms);
    BOOST_TEST(busy.closed_by_server(srv::detail::reply_backstop + 3s)); // no reply: the handler never returned
    const auto waited = std::chrono::steady_clock::now() - stopped;
    BOOST_TEST((waited >= srv::detail::reply_backstop));
    BOOST_TEST((waited < srv::detail::reply_backstop + 3s));
    // The server finishes once the handler does.
    control.release();
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

BOOST_AUTO_TEST_CASE(an_invite_whose_client_drops_mid_body_is_still_counted)
{
    igw::telemetry::registry metrics;
    auto loaded = std::make_shared<igw::mapping::compiled_config>();
    loaded->config = config;
    srv.emplace(std::make_shared<igw::mapping::config_source>(std::move(loaded)),
                srv::testing::echo_handler_factory(control), srv::server_services{&metrics, {}, {}, {}, {}});
    srv->start();
    {
        test_client dropping(port());
        dropping.send(
            raw_request(
                "POST", "/v1/invitations",
                {{"Authorization", "Bearer key-a"}, {"Content-Type", "application/json"}, {"Content-Length", "100"}},
                "") +
            R"({"half":)");
    } // closed mid-body
    // Counted (and logged) as 499 once the server has seen the close; each scrape is a
    // round trip, so the loop gives it time without sleeping.
    const std::string counted = R"(invitegw_requests_total{route="/v1/invitations",status="499"} 1)";
    test_client scraper(port());
    bool found = false;
    for (int i = 0; i < 1000 && !found; ++i) {
        scraper.send(raw_request("GET", "/metrics"));
        found = scraper.read_reply().body().find(counted) != std::string::npos;
    }
    BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(an_invite_cut_off_by_a_shutdown_is_still_counted_once)
{
    igw::telemetry::registry metrics;
    auto loaded = std::make_shared<igw::mapping::compiled_config>();
    loaded->config = config;
    srv.emplace(std::make_shared<igw::mapping::config_source>(std::move(loaded)),
                srv::testing::echo_handler_factory(control), srv::server_services{&metrics, {}, {}, {}, {}});
    auto done = std::async(std::launch::async, [this] { srv->run(); });

    test_client uploading(port());
    uploading.send(raw_request("POST", "/v1/invitations",
                               {{"Authorization", "Bearer key-a"},
                                {"Content-Type", "application/json"},
                                {"Content-Length", "100"},
                                {"Expect", "100-continue"}},
                               ""));
    // The 100 Continue says the server accepted the header and is reading the body.
    BOOST_REQUIRE(uploading.read_reply().result_int() == 100u);
    srv->stop(0ms); // the body never comes: the read is cancelled at once
    BOOST_TEST(uploading.closed_by_server());
    BOOST_REQUIRE(finishes(done));

    std::string scraped;
    metrics.write_prometheus(scraped);
    BOOST_TEST(scraped.find(R"(invitegw_requests_total{route="/v1/invitations",status="499"} 1)") != std::string::npos,
               scraped);
}

BOOST_AUTO_TEST_SUITE_END()
