#include "benchmarks/load/runner.hpp"

#include "sandbox/emulator.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <unistd.h>

using namespace igw::load;
using namespace std::chrono_literals;
namespace emu = igw::emulator;

namespace {

// The load generator as the benchmarks' "direct" baseline uses it: a vendor-shaped
// request (an Anthropic invite) sent straight to the strict emulator.
load_options anthropic_raw(const emu::server& server)
{
    load_options o;
    o.port = std::to_string(server.port(emu::vendor::anthropic));
    o.path = "/v1/organizations/invites";
    o.headers = {{"x-api-key", server.settings().creds.anthropic_api_key}, {"anthropic-version", "2023-06-01"}};
    o.raw_body_file = "(inline)";
    o.raw_body = R"({"email":"jane@example.com","role":"developer"})";
    o.warmup = 0s;
    o.duration = 10s;
    o.timeout = 5s;
    return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(load_runner)

BOOST_AUTO_TEST_CASE(as_fast_as_possible_over_keep_alive_connections)
{
    emu::server server;
    load_options o = anthropic_raw(server);
    o.connections = 4;
    o.threads = 2;
    o.max_requests = 40;
    const run_result r = run_load(o);
    BOOST_TEST(r.failure.empty(), r.failure);
    BOOST_TEST(r.sent == 40u);
    BOOST_TEST(r.completed == 40u);
    BOOST_TEST(r.errors() == 0u);
    BOOST_TEST_REQUIRE(r.statuses.size() == 1u);
    BOOST_TEST(r.statuses.at(200) == 40u);
    BOOST_TEST(r.latency.count() == 40u);
    BOOST_TEST(r.throughput() > 0.0);
    // The emulator saw every request, with the headers given, over at most 4 connections.
    const auto seen = server.requests(emu::vendor::anthropic);
    BOOST_TEST_REQUIRE(seen.size() == 40u);
    BOOST_TEST(seen[0].body == o.raw_body);
    BOOST_TEST(server.connections_accepted(emu::vendor::anthropic) <= 4u);
}

BOOST_AUTO_TEST_CASE(fixed_rate_sends_exactly_the_scheduled_requests)
{
    emu::server server;
    load_options o = anthropic_raw(server);
    o.rate = 200;
    o.connections = 2;
    o.duration = 250ms; // due at 0, 5 ... 245 ms
    const run_result r = run_load(o);
    BOOST_TEST(r.sent == 50u);
    BOOST_TEST(r.completed == 50u);
    BOOST_TEST(r.unsent == 0u);
    BOOST_TEST(r.errors() == 0u);
    BOOST_TEST(server.requests(emu::vendor::anthropic).size() == 50u);
}

BOOST_AUTO_TEST_CASE(unexpected_statuses_are_errors_counted_by_status)
{
    emu::server server;
    load_options o = anthropic_raw(server);
    o.headers[0].second = "wrong-key";
    o.connections = 1;
    o.max_requests = 10;
    const run_result r = run_load(o);
    BOOST_TEST(r.completed == 10u);
    BOOST_TEST(r.statuses.at(401) == 10u);
    BOOST_TEST(r.unexpected_statuses() == 10u);
    BOOST_TEST(r.errors() == 10u);
}

BOOST_AUTO_TEST_CASE(a_timed_out_request_is_counted_and_the_connection_replaced)
{
    emu::server server;
    server.inject(emu::vendor::anthropic, {.kind = emu::fault_kind::delay, .delay = 2s, .times = 1});
    load_options o = anthropic_raw(server);
    o.connections = 1;
    o.max_requests = 5;
    o.timeout = 200ms;
    const run_result r = run_load(o);
    BOOST_TEST(r.timeouts == 1u);
    BOOST_TEST(r.completed == 4u);
    BOOST_TEST(r.statuses.at(200) == 4u);
    BOOST_TEST(r.errors() == 1u);
    BOOST_TEST(server.connections_accepted(emu::vendor::anthropic) == 2u);
}

BOOST_AUTO_TEST_CASE(refused_connections_are_errors_not_crashes)
{
    std::uint16_t closed_port = 0;
    {
        boost::asio::io_context io;
        boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
        closed_port = acceptor.local_endpoint().port();
    }
    load_options o;
    o.port = std::to_string(closed_port);
    o.warmup = 0s;
    o.duration = 100ms;
    o.connections = 2;
    const run_result r = run_load(o);
    BOOST_TEST(r.completed == 0u);
    BOOST_TEST(r.connect_errors > 0u);
    BOOST_TEST(r.errors() == r.connect_errors);
}

BOOST_AUTO_TEST_CASE(a_watched_process_reports_its_memory_and_cpu)
{
    emu::server server;
    load_options o = anthropic_raw(server);
    o.connections = 2;
    o.max_requests = 20;
    o.watch_pid = static_cast<int>(getpid()); // this test program runs the emulator too
    const run_result r = run_load(o);
    BOOST_TEST_REQUIRE(r.process.has_value());
    BOOST_TEST(r.process->pid == o.watch_pid);
    BOOST_TEST(r.process->cpu_seconds >= 0.0);
    BOOST_TEST(r.process->hwm_kb >= r.process->rss_end_kb);
    BOOST_TEST(r.process->rss_end_kb > 0u);
    BOOST_TEST(r.process->window_requests == 20u);
}

BOOST_AUTO_TEST_SUITE_END()
