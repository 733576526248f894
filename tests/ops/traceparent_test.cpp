// W3C trace context: every vendor call of a request carries a traceparent with the
// request's trace id (the client's, or a new one) and a span of its own; the request's
// log line names the same trace.

#include "tests/ops/support/log_capture.hpp"
#include "tests/ops/support/ops_gateway.hpp"

#include <boost/test/unit_test.hpp>

#include <simdjson.h>

#include <regex>
#include <set>

using namespace igw;
using namespace igw::ops;
using emulator::vendor;

namespace {

struct traceparent {
    std::string trace, span, flags;
};

// Parses a version-00 traceparent; nullopt when malformed or with all-zero ids.
std::optional<traceparent> parse(const std::string& value)
{
    static const std::regex form("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");
    std::smatch m;
    if (!std::regex_match(value, m, form) || m[1] == std::string(32, '0') || m[2] == std::string(16, '0'))
        return std::nullopt;
    return traceparent{m[1], m[2], m[3]};
}

// The traceparents of every call the emulators received, in arrival order.
std::vector<traceparent> received(const emulator::server& emulators)
{
    std::vector<traceparent> out;
    for (const auto& record : emulators.requests()) {
        const auto header = recorded_header(record, "traceparent");
        BOOST_TEST_REQUIRE(header.has_value(), "a call to " << emulator::name(record.target) << " without traceparent");
        const auto parsed = parse(*header);
        BOOST_TEST_REQUIRE(parsed.has_value(), "malformed traceparent " << *header);
        out.push_back(*parsed);
    }
    return out;
}

// The trace_id of the request log line with `request_id`.
std::string logged_trace(const log_capture& capture, std::string_view request_id)
{
    simdjson::dom::parser parser;
    std::string found;
    unsigned lines = 0;
    for (const auto& line : capture.lines()) {
        simdjson::dom::object o;
        std::string_view event, id, trace;
        if (parser.parse(line).get_object().get(o) || o["event"].get_string().get(event) || event != "request" ||
            o["request_id"].get_string().get(id) || id != request_id || o["trace_id"].get_string().get(trace))
            continue;
        found = std::string(trace);
        ++lines;
    }
    BOOST_TEST(lines == 1u, request_id);
    return found;
}

// Two invitations to every target: seven calls (anthropic has no admin; atomicwork
// groups by role; clickhouse takes one per call).
const std::string everything = invite_body({{"tracy@example.com", "member"}, {"boss@example.com", "admin"}});
constexpr std::size_t everything_calls = 7;

emulator::test_response invite(std::uint16_t port, std::string id, std::optional<std::string> trace,
                               std::string body = everything)
{
    invite_options options;
    options.headers.emplace_back("X-Request-Id", std::move(id));
    if (trace)
        options.headers.emplace_back("traceparent", std::move(*trace));
    return post_invite(port, std::move(body), options);
}

} // namespace

BOOST_AUTO_TEST_SUITE(traceparent_propagation)

BOOST_AUTO_TEST_CASE(the_clients_trace_reaches_every_vendor_with_a_fresh_span_per_call)
{
    emulator::server emulators;
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    log_capture capture(telemetry::log_format::json);
    gateway gw(config_yaml(spec));
    const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736", span = "00f067aa0ba902b7";

    const auto reply = invite(gw.port(), "traced", "00-" + trace + "-" + span + "-01");
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
    const auto calls = received(emulators);
    BOOST_TEST(calls.size() == everything_calls);
    std::set<std::string> spans;
    for (const auto& call : calls) {
        BOOST_TEST(call.trace == trace);
        BOOST_TEST(call.span != span); // the gateway's own span, not the client's
        BOOST_TEST(call.flags == "01");
        spans.insert(call.span);
    }
    BOOST_TEST(spans.size() == calls.size()); // one span per call
    gw.stop();
    BOOST_TEST(logged_trace(capture, "traced") == trace);
}

BOOST_AUTO_TEST_CASE(without_a_traceparent_the_calls_of_a_request_share_one_new_trace)
{
    emulator::server emulators;
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    log_capture capture(telemetry::log_format::json);
    gateway gw(config_yaml(spec));

    BOOST_TEST_REQUIRE(invite(gw.port(), "untraced-1", std::nullopt).status == 207u);
    const auto first = received(emulators);
    BOOST_TEST_REQUIRE(first.size() == everything_calls);
    emulators.reset();
    BOOST_TEST_REQUIRE(invite(gw.port(), "untraced-2", std::nullopt).status == 207u);
    const auto second = received(emulators);
    BOOST_TEST_REQUIRE(second.size() == everything_calls);

    std::set<std::string> spans;
    for (const auto& call : first) {
        BOOST_TEST(call.trace == first.front().trace);
        spans.insert(call.span);
    }
    for (const auto& call : second)
        BOOST_TEST(call.trace == second.front().trace);
    BOOST_TEST(spans.size() == first.size());
    BOOST_TEST(first.front().trace != second.front().trace); // a new trace per request
    gw.stop();
    BOOST_TEST(logged_trace(capture, "untraced-1") == first.front().trace);
    BOOST_TEST(logged_trace(capture, "untraced-2") == second.front().trace);
}

BOOST_AUTO_TEST_CASE(a_malformed_traceparent_starts_a_new_trace)
{
    emulator::server emulators;
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    gateway gw(config_yaml(spec));
    const std::string body = invite_body({{"odd@example.com", "member"}}, std::vector<std::string>{"anthropic"});
    const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    for (const std::string& bad :
         std::vector<std::string>{"00-" + std::string(32, '0') + "-00f067aa0ba902b7-01",     // zero trace
                                  "00-" + trace + "-0000000000000000-01",                    // zero span
                                  "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper case
                                  "00-" + trace + "-00f067aa0ba902b7",                       // no flags
                                  "00-" + trace + "_00f067aa0ba902b7-01",                    // separator
                                  "garbage"}) {
        BOOST_TEST_CONTEXT(bad)
        {
            emulators.reset();
            BOOST_TEST_REQUIRE(invite(gw.port(), "odd", bad, body).status == 200u);
            const auto calls = received(emulators);
            BOOST_TEST_REQUIRE(calls.size() == 1u);
            BOOST_TEST(calls[0].trace != trace);
            BOOST_TEST(calls[0].trace != std::string(32, '0'));
        }
    }
}

BOOST_AUTO_TEST_CASE(the_clients_sampling_decision_is_passed_on)
{
    emulator::server emulators;
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    gateway gw(config_yaml(spec));
    const std::string body = invite_body({{"quiet@example.com", "member"}},
                                         std::vector<std::string>{"anthropic", "gorules"});
    const std::string trace = "0af7651916cd43dd8448eb211c80319c";

    BOOST_TEST_REQUIRE(invite(gw.port(), "not-sampled", "00-" + trace + "-b7ad6b7169203331-00", body).status == 200u);
    const auto calls = received(emulators);
    BOOST_TEST_REQUIRE(calls.size() == 2u);
    for (const auto& call : calls) {
        BOOST_TEST(call.trace == trace);
        BOOST_TEST(call.flags == "00"); // the client did not sample this trace
    }
}

BOOST_AUTO_TEST_SUITE_END()
