// A target's guard seen from the gateway's clients and its vendor, over real sockets: the
// rate budget spaces calls across requests and worker threads, a 429's Retry-After holds
// back every request to that target, and the circuit breaker fails calls fast once a
// target keeps failing, probes it once its ejection ends, and closes again when it is back.
// The rules themselves, with times passed in, are in tests/resilience/target_guard_test.cpp.

#include "tests/e2e/support/custom_gateway.hpp"
#include "tests/e2e/support/harness.hpp"
#include "tests/e2e/support/merged_reply.hpp"
#include "tests/e2e/support/scripted_vendor.hpp"
#include "tests/support/files.hpp"
#include "tests/support/paths.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

using namespace igw;
using namespace igw::e2e;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::string_view client = "resilience-client-key-0123456789";

const std::map<std::string, std::string> providers{{"plain", std::string(plain_provider)}};

// One target `vendor` at `base_url`, with `target_extra` lines (indented four spaces)
// added to it.
std::string config_yaml(const std::string& base_url, const std::string& target_extra, unsigned threads = 1,
                        std::string_view request_timeout = "10s")
{
    return "listen: 127.0.0.1:0\nthreads: " + std::to_string(threads) +
           "\nproviders_dir: providers\nlimits:\n  request_timeout: " + std::string(request_timeout) +
           "\nroles: [member]\nclients:\n  - name: app\n    key: " + std::string(client) +
           "\nroutes:\n  - path: " + std::string(invite_path) +
           "\n    targets: [vendor]\ntargets:\n  - name: vendor\n    provider: plain\n    base_url: " + base_url +
           "\n    timeout: 2s\n    max_in_flight: 64\n" + target_extra;
}

std::vector<invitation_spec> people(std::size_t n, std::string_view prefix = "p")
{
    std::vector<invitation_spec> out;
    for (std::size_t i = 0; i < n; ++i)
        out.push_back({std::string(prefix) + std::to_string(i) + "@example.com", "member"});
    return out;
}

emulator::test_response invite(std::uint16_t port, const std::vector<invitation_spec>& who)
{
    return post_invite(port, invite_body(who), {.key = std::string(client)});
}

// Arrival times of the calls a vendor answered.
class arrivals {
public:
    void add()
    {
        const std::lock_guard lock(mutex_);
        times_.push_back(clock_type::now());
    }
    std::vector<clock_type::time_point> times() const
    {
        const std::lock_guard lock(mutex_);
        return times_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<clock_type::time_point> times_;
};

// The most arrivals within any window of `width` starting at an arrival.
std::size_t busiest_window(std::vector<clock_type::time_point> times, clock_type::duration width)
{
    std::sort(times.begin(), times.end());
    std::size_t most = 0;
    for (std::size_t i = 0, j = 0; i < times.size(); ++i) {
        while (j < times.size() && times[j] - times[i] < width)
            ++j;
        most = std::max(most, j - i);
    }
    return most;
}

double ms_since(clock_type::time_point since)
{
    return std::chrono::duration<double, std::milli>(clock_type::now() - since).count();
}

} // namespace

BOOST_AUTO_TEST_SUITE(rate_budget)

BOOST_AUTO_TEST_CASE(sixty_calls_at_twenty_a_second_are_spaced_across_requests_and_threads)
{
    arrivals seen;
    scripted_vendor vendor([&](const scripted_request&) {
        seen.add();
        return http_reply(200, "{}");
    });
    // Two worker threads, three concurrent requests of twenty calls each: one budget.
    custom_gateway gw(config_yaml(vendor.base_url(), "    rate: {requests: 20, per: 1s, burst: 1}\n", 2), providers);
    const auto started = clock_type::now();
    std::vector<std::future<emulator::test_response>> replies;
    for (int r = 0; r < 3; ++r)
        replies.push_back(std::async(std::launch::async, [&, r] {
            return invite(gw.port(), people(20, "r" + std::to_string(r) + "-"));
        }));
    for (auto& reply : replies) {
        const auto got = reply.get();
        BOOST_TEST(got.status == 200u, got.body);
    }
    const double took_ms = ms_since(started);
    const auto times = seen.times();
    BOOST_TEST_REQUIRE(times.size() == 60u);
    // 59 intervals of 50 ms after the first call.
    BOOST_TEST(took_ms >= 2900.0);
    // A window of one second holds at most requests + burst - 1 = 20 calls at exact
    // spacing; one more is allowed for the jitter of the calls' way to the vendor.
    const std::size_t busiest = busiest_window(times, 1s);
    BOOST_TEST(busiest <= 21u);
    BOOST_TEST_MESSAGE("60 calls at 20/s took " << took_ms << " ms; busiest 1 s window: " << busiest << " calls");
}

BOOST_AUTO_TEST_CASE(a_call_without_a_slot_before_the_deadline_is_rate_limited_and_never_sent)
{
    arrivals seen;
    scripted_vendor vendor([&](const scripted_request&) {
        seen.add();
        return http_reply(200, "{}");
    });
    // One call a minute: the second of the request's two calls cannot go within 1 s.
    custom_gateway gw(config_yaml(vendor.base_url(), "    rate: {requests: 1, per: 1m}\n", 1, "1s"), providers);
    const auto reply = invite(gw.port(), people(2));
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
    const merged_reply merged = parse_merged_reply(reply.body);
    BOOST_TEST_REQUIRE(merged.results.size() == 2u);
    const std::size_t limited = static_cast<std::size_t>(
        std::count_if(merged.results.begin(), merged.results.end(),
                      [](const auto& r) { return r.error_code.value_or("") == "rate_limited"; }));
    BOOST_TEST(limited == 1u);
    for (const auto& r : merged.results)
        if (r.error_code.value_or("") == "rate_limited") {
            BOOST_TEST(r.status == "failed");
            BOOST_TEST(!r.upstream_status.has_value());
            BOOST_TEST(r.error_message.value_or("") ==
                       "the rate budget of target vendor had no slot before the request's deadline; nothing was sent");
        }
    BOOST_TEST(seen.times().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_429_with_retry_after_pauses_the_target_for_a_concurrent_request_too)
{
    arrivals seen;
    std::atomic<int> calls{0};
    std::atomic<clock_type::rep> refused_at{0};
    scripted_vendor vendor([&](const scripted_request&) {
        seen.add();
        if (++calls == 1) {
            refused_at = clock_type::now().time_since_epoch().count();
            return http_reply(429, R"({"message":"slow down"})", {{"Retry-After", "2"}});
        }
        return http_reply(200, "{}");
    });
    custom_gateway gw(config_yaml(vendor.base_url(), ""), providers);
    auto first = std::async(std::launch::async, [&] { return invite(gw.port(), people(1, "first")); });
    // The second request starts once the first has met the 429.
    for (int i = 0; i < 400 && refused_at.load() == 0; ++i)
        std::this_thread::sleep_for(5ms);
    BOOST_TEST_REQUIRE(refused_at.load() != 0);
    std::this_thread::sleep_for(100ms);
    const auto second = invite(gw.port(), people(1, "second"));
    BOOST_TEST(second.status == 200u, second.body);
    BOOST_TEST(first.get().status == 200u);

    const auto times = seen.times();
    BOOST_TEST_REQUIRE(times.size() == 3u); // the 429, the retry, the second request's call
    const clock_type::time_point refused{clock_type::duration(refused_at.load())};
    for (std::size_t i = 1; i < times.size(); ++i) {
        const double after_ms = std::chrono::duration<double, std::milli>(times[i] - refused).count();
        BOOST_TEST(after_ms >= 1950.0, "call " << i << " came " << after_ms << " ms after the 429");
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(circuit_breaker)

BOOST_AUTO_TEST_CASE(a_target_refusing_connections_is_ejected_and_then_fails_fast)
{
    const std::uint16_t port = test::closed_port();
    custom_gateway gw(config_yaml("http://127.0.0.1:" + std::to_string(port),
                                  "    circuit_breaker: {consecutive_failures: 3, base_ejection: 30s}\n"),
                      providers);
    for (int i = 0; i < 3; ++i) {
        const auto reply = invite(gw.port(), people(1));
        BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
        BOOST_TEST(parse_merged_reply(reply.body).results.at(0).error_code.value_or("") == "upstream_unreachable");
    }
    // Ejected: each call fails at once, nothing is sent.
    double slowest_ms = 0;
    for (int i = 0; i < 20; ++i) {
        const auto started = clock_type::now();
        const auto reply = invite(gw.port(), people(1));
        slowest_ms = std::max(slowest_ms, ms_since(started));
        BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
        const auto result = parse_merged_reply(reply.body).results.at(0);
        BOOST_TEST(result.status == "failed");
        BOOST_TEST(result.error_code.value_or("") == "target_unavailable");
        const std::string message = result.error_message.value_or("");
        BOOST_TEST(message.starts_with("target vendor is ejected after repeated failures (circuit open); nothing was "
                                       "sent: retry after "),
                   message);
    }
    // Shown, not asserted: speed is for benchmarks. The whole request, client included.
    BOOST_TEST_MESSAGE("slowest of 20 requests failed fast with the circuit open: " << slowest_ms << " ms");
}

BOOST_AUTO_TEST_CASE(an_ejected_target_sees_no_call_then_one_probe_and_recovery_closes_the_circuit)
{
    std::atomic<bool> healthy{false};
    std::atomic<int> probe_delay_ms{0};
    scripted_vendor vendor([&](const scripted_request&) {
        if (const int delay = probe_delay_ms.exchange(0))
            std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        return healthy ? http_reply(200, "{}") : http_reply(500, R"({"message":"down"})");
    });
    custom_gateway gw(config_yaml(vendor.base_url(),
                                  "    circuit_breaker: {consecutive_failures: 2, base_ejection: 700ms}\n"),
                      providers);
    const auto code_of = [](const emulator::test_response& reply) {
        return parse_merged_reply(reply.body).results.at(0).error_code.value_or("");
    };
    BOOST_TEST(code_of(invite(gw.port(), people(1))) == "upstream_error");
    BOOST_TEST(code_of(invite(gw.port(), people(1))) == "upstream_error");
    BOOST_TEST_REQUIRE(vendor.requests().size() == 2u);
    for (int i = 0; i < 5; ++i)
        BOOST_TEST(code_of(invite(gw.port(), people(1))) == "target_unavailable");
    BOOST_TEST(vendor.requests().size() == 2u); // nothing was sent while ejected

    // The ejection ends: one probe goes (and fails: ejected again, for twice as long).
    std::this_thread::sleep_for(750ms);
    BOOST_TEST(code_of(invite(gw.port(), people(1))) == "upstream_error");
    BOOST_TEST(vendor.requests().size() == 3u);
    BOOST_TEST(code_of(invite(gw.port(), people(1))) == "target_unavailable");

    // Back: the next probe succeeds. While it is out, a concurrent call fails fast.
    healthy = true;
    std::this_thread::sleep_for(1450ms);
    probe_delay_ms = 400;
    auto probe = std::async(std::launch::async, [&] { return invite(gw.port(), people(1, "probe")); });
    std::this_thread::sleep_for(150ms);
    BOOST_TEST(code_of(invite(gw.port(), people(1, "meanwhile"))) == "target_unavailable");
    const auto probed = probe.get();
    BOOST_TEST(probed.status == 200u, probed.body);
    BOOST_TEST(vendor.requests().size() == 4u);

    // Closed: calls go again.
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(invite(gw.port(), people(1, "after")).status == 200u);
    BOOST_TEST(vendor.requests().size() == 7u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(max_in_flight)

namespace {

// `names` targets of the shipped GoRules provider, all on one emulator port.
std::string gorules_config(const emulator::server& emulators, const std::vector<std::string>& names,
                           unsigned max_in_flight, unsigned threads)
{
    std::string y = "listen: 127.0.0.1:0\nthreads: " + std::to_string(threads) +
                    "\nproviders_dir: providers\nlimits:\n  request_timeout: 20s\nroles: [member]\n"
                    "clients:\n  - name: app\n    key: " +
                    std::string(client) + "\nroutes:\n  - path: " + std::string(invite_path) + "\n    targets: [";
    for (std::size_t i = 0; i < names.size(); ++i)
        y += (i ? ", " : "") + names[i];
    y += "]\ntargets:\n";
    for (const auto& name : names)
        y += "  - name: " + name + "\n    provider: gorules\n    base_url: " +
             emulators.base_url(emulator::vendor::gorules) + "\n    secrets:\n      token: " +
             emulators.settings().creds.gorules_token + "\n    timeout: 10s\n    max_in_flight: " +
             std::to_string(max_in_flight) + "\n";
    return y;
}

std::map<std::string, std::string> shipped_gorules()
{
    return {{"gorules", test::read_file(test::test_data_dir() + "/../providers/gorules.yaml")}};
}

} // namespace

BOOST_AUTO_TEST_CASE(targets_on_one_endpoint_each_get_their_own_limit)
{
    emulator::server emulators({.latency = 400ms});
    const std::vector<std::string> names{"org1", "org2", "org3", "org4", "org5"};
    custom_gateway gw(gorules_config(emulators, names, 1, 1), shipped_gorules());
    const auto started = clock_type::now();
    const auto reply = invite(gw.port(), people(1));
    BOOST_TEST(reply.status == 200u, reply.body);
    // All five calls were at the vendor at once: none waited for another target's slot.
    BOOST_TEST(emulators.most_in_flight(emulator::vendor::gorules) == 5u);
    BOOST_TEST_MESSAGE("five targets on one endpoint, one 400 ms call each: " << ms_since(started) << " ms");
}

BOOST_AUTO_TEST_CASE(a_targets_limit_holds_across_worker_threads)
{
    emulator::server emulators({.latency = 200ms});
    custom_gateway gw(gorules_config(emulators, {"gorules"}, 4, 2), shipped_gorules());
    // Six clients at once, on connections the two workers share: 6 x 4 calls of 10.
    std::vector<std::future<emulator::test_response>> replies;
    for (int r = 0; r < 6; ++r)
        replies.push_back(std::async(std::launch::async, [&, r] {
            return invite(gw.port(), people(40, "c" + std::to_string(r) + "-"));
        }));
    for (auto& reply : replies) {
        const auto got = reply.get();
        BOOST_TEST(got.status == 200u, got.body);
    }
    BOOST_TEST(emulators.requests(emulator::vendor::gorules).size() == 24u);
    BOOST_TEST(emulators.most_in_flight(emulator::vendor::gorules) == 4u);
}

BOOST_AUTO_TEST_SUITE_END()
