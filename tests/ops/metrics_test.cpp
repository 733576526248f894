// GET /metrics after a scripted mix of outcomes: every counter equals what happened,
// and the whole exposition is well-formed Prometheus text.

#include "tests/ops/support/ops_gateway.hpp"
#include "tests/ops/support/prometheus.hpp"
#include "tests/ops/support/replies.hpp"

#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/metrics.hpp"

#include <boost/test/unit_test.hpp>

using namespace igw;
using namespace igw::ops;
using emulator::fault;
using emulator::fault_kind;
using emulator::vendor;

namespace {

using counts = std::map<label_set, double>;

label_set result(std::string target, std::string status, std::string code)
{
    return {{"target", std::move(target)}, {"status", std::move(status)}, {"code", std::move(code)}};
}

label_set target(std::string name) { return {{"target", std::move(name)}}; }

std::string show(const counts& c)
{
    std::string out;
    for (const auto& [labels, value] : c) {
        out += "\n  {";
        for (const auto& [k, v] : labels)
            out += k + "=" + v + ",";
        out += "} " + std::to_string(value);
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(counters_equal_the_outcomes_of_a_scripted_mix)
{
    emulator::server emulators;
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    gateway gw(config_yaml(spec));
    const auto send = [&](std::vector<invitation_spec> invitations, std::vector<std::string> targets,
                          invite_options options = {}) {
        return post_invite(gw.port(), invite_body(invitations, targets), options);
    };

    // 1. Success on two targets.
    auto reply = send({{"ok@example.com", "member"}}, {"anthropic", "clickhouse"});
    BOOST_TEST(reply.status == 200u, reply.body);
    // 2. The vendor refuses the email (400): failed, upstream_rejected.
    emulators.inject(vendor::anthropic, fault{.kind = fault_kind::reject_email, .email = "refused@example.com"});
    reply = send({{"refused@example.com", "member"}}, {"anthropic"});
    BOOST_TEST(reply.status == 207u, reply.body);
    BOOST_TEST(parse_merged_reply(reply.body).results.at(0).error_code.value_or("") == "upstream_rejected");
    // 3. The vendor answers 500: unknown, upstream_error.
    emulators.inject(vendor::clickhouse, fault{.kind = fault_kind::status, .status = 500});
    reply = send({{"five-hundred@example.com", "member"}}, {"clickhouse"});
    BOOST_TEST(reply.status == 207u, reply.body);
    BOOST_TEST(parse_merged_reply(reply.body).results.at(0).status == "unknown");
    // 4. The vendor drops the connection after reading the call: unknown, upstream_error.
    emulators.inject(vendor::warpstream, fault{.kind = fault_kind::drop_connection});
    reply = send({{"dropped@example.com", "member"}}, {"warpstream"});
    BOOST_TEST(reply.status == 207u, reply.body);
    BOOST_TEST(parse_merged_reply(reply.body).results.at(0).error_code.value_or("") == "upstream_error");
    // 5. A role the target does not have: failed without a call.
    reply = send({{"boss@example.com", "admin"}}, {"anthropic"});
    BOOST_TEST(reply.status == 207u, reply.body);
    BOOST_TEST(parse_merged_reply(reply.body).results.at(0).error_code.value_or("") == "role_not_supported");
    // 6. 429, then success on the retry.
    emulators.inject(vendor::atomicwork, fault{.kind = fault_kind::status, .status = 429, .retry_after = "0"});
    reply = send({{"patient@example.com", "member"}}, {"atomicwork"});
    BOOST_TEST(reply.status == 200u, reply.body);
    // 7. Refused by the gateway itself: an invalid email (422) and no key (401).
    reply = send({{"not-an-email", "member"}}, {"anthropic"});
    BOOST_TEST(reply.status == 422u, reply.body);
    reply = send({{"nokey@example.com", "member"}}, {"anthropic"}, {.key = std::nullopt});
    BOOST_TEST(reply.status == 401u, reply.body);
    // Not invite routes: not counted by route.
    BOOST_TEST(http_request(gw.port(), "GET", "/healthz").status == 200u);
    BOOST_TEST(http_request(gw.port(), "GET", "/nowhere").status == 404u);

    const std::string text = scrape_metrics(gw.port());
    BOOST_TEST_MESSAGE(text);
    exposition e;
    BOOST_REQUIRE_NO_THROW(e = parse_exposition(text));

    const std::string route(invite_path);
    const counts requests{{{{"route", route}, {"status", "200"}}, 2},
                          {{{"route", route}, {"status", "207"}}, 4},
                          {{{"route", route}, {"status", "401"}}, 1},
                          {{{"route", route}, {"status", "422"}}, 1}};
    BOOST_TEST(e.all("invitegw_requests_total") == requests, show(e.all("invitegw_requests_total")));

    const counts results{{result("anthropic", "invited", "none"), 1},
                         {result("anthropic", "failed", "upstream_rejected"), 1},
                         {result("anthropic", "failed", "role_not_supported"), 1},
                         {result("clickhouse", "invited", "none"), 1},
                         {result("clickhouse", "unknown", "upstream_error"), 1},
                         {result("warpstream", "unknown", "upstream_error"), 1},
                         {result("atomicwork", "invited", "none"), 1}};
    BOOST_TEST(e.all("invitegw_results_total") == results, show(e.all("invitegw_results_total")));

    // Calls are attempts (the retry included); the call histogram counts calls once.
    const counts calls{
        {target("anthropic"), 2}, {target("clickhouse"), 2}, {target("warpstream"), 1}, {target("atomicwork"), 2}};
    BOOST_TEST(e.all("invitegw_upstream_calls_total") == calls, show(e.all("invitegw_upstream_calls_total")));
    const counts retries{
        {target("anthropic"), 0}, {target("clickhouse"), 0}, {target("warpstream"), 0}, {target("atomicwork"), 1}};
    BOOST_TEST(e.all("invitegw_upstream_retries_total") == retries, show(e.all("invitegw_upstream_retries_total")));
    const counts call_counts{
        {target("anthropic"), 2}, {target("clickhouse"), 2}, {target("warpstream"), 1}, {target("atomicwork"), 1}};
    BOOST_TEST(e.all("invitegw_upstream_call_duration_seconds_count") == call_counts,
               show(e.all("invitegw_upstream_call_duration_seconds_count")));
    // What the vendors saw agrees with the counters.
    for (vendor v : emulator::all_vendors) {
        const std::string name(emulator::name(v));
        const auto counted = calls.find(target(name));
        BOOST_TEST(static_cast<double>(emulators.requests(v).size()) == (counted == calls.end() ? 0 : counted->second),
                   name);
    }

    BOOST_TEST(e.value("invitegw_request_duration_seconds_count", {{"route", route}}).value_or(-1) == 8);
    BOOST_TEST(e.value("invitegw_requests_in_flight").value_or(-1) == 0);
    BOOST_TEST(e.value("invitegw_config_reloads_total", {{"result", "success"}}).value_or(-1) == 0);
    BOOST_TEST(e.value("invitegw_config_reloads_total", {{"result", "failure"}}).value_or(-1) == 0);
    for (const auto& [labels, open] : e.all("invitegw_upstream_connections")) {
        BOOST_TEST(open >= 0);
        BOOST_TEST((labels.at("state") == "open" || labels.at("state") == "idle"));
    }
    BOOST_TEST(e.types.at("invitegw_request_duration_seconds") == "histogram");
    BOOST_TEST(e.types.at("invitegw_upstream_call_duration_seconds") == "histogram");
    BOOST_TEST(e.types.at("invitegw_requests_in_flight") == "gauge");
    BOOST_TEST(e.value("invitegw_log_lines_dropped_total").value_or(-1) ==
               static_cast<double>(telemetry::log_lines_dropped()));
    for (const auto& family :
         {"invitegw_requests_total", "invitegw_results_total", "invitegw_upstream_calls_total",
          "invitegw_upstream_retries_total", "invitegw_config_reloads_total", "invitegw_log_lines_dropped_total"})
        BOOST_TEST(e.types.at(family) == "counter", family);
}

BOOST_AUTO_TEST_CASE(a_fresh_gateway_exposes_well_formed_empty_families)
{
    emulator::server emulators;
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    gateway gw(config_yaml(spec));
    const auto reply = http_request(gw.port(), "GET", "/metrics");
    BOOST_TEST_REQUIRE(reply.status == 200u);
    BOOST_TEST(reply.header("Content-Type").value_or("").starts_with("text/plain; version=0.0.4"));
    exposition e;
    BOOST_REQUIRE_NO_THROW(e = parse_exposition(reply.body));
    BOOST_TEST(e.all("invitegw_requests_total").empty());
    BOOST_TEST(e.value("invitegw_requests_in_flight").value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(the_exposition_reader_refuses_what_prometheus_would)
{
    const std::string head = "# HELP m_total Things.\n# TYPE m_total counter\n";
    BOOST_CHECK_NO_THROW(parse_exposition(head + "m_total{a=\"x\\\"y\"} 3\n"));
    BOOST_CHECK_THROW(parse_exposition("m_total 3\n"), std::runtime_error); // no TYPE first
    BOOST_CHECK_THROW(parse_exposition(head + "m_total{a=\"x\"} 3\nm_total{a=\"x\"} 4\n"), std::runtime_error);
    BOOST_CHECK_THROW(parse_exposition(head + "m_total{a=x} 3\n"), std::runtime_error); // unquoted
    BOOST_CHECK_THROW(parse_exposition(head + "m_total -1\n"), std::runtime_error);     // counter < 0
    BOOST_CHECK_THROW(parse_exposition(head + "m_total 3"), std::runtime_error);        // no newline
    BOOST_CHECK_THROW(parse_exposition(head + "m_total  3\n"), std::runtime_error);     // two spaces
    const std::string histogram = "# HELP h Latency.\n# TYPE h histogram\n";
    BOOST_CHECK_NO_THROW(
        parse_exposition(histogram + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.5\nh_count 2\n"));
    BOOST_CHECK_THROW(
        parse_exposition(histogram + "h_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.5\nh_count 2\n"),
        std::runtime_error); // not cumulative
    BOOST_CHECK_THROW(
        parse_exposition(histogram + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.5\nh_count 3\n"),
        std::runtime_error); // +Inf != _count
    BOOST_CHECK_THROW(parse_exposition(histogram + "h_bucket{le=\"1\"} 1\nh_sum 0.5\nh_count 1\n"),
                      std::runtime_error); // no +Inf
    BOOST_CHECK_THROW(parse_exposition(head + "m_total 1\n# HELP n Other.\n# TYPE n gauge\nn 1\nm_total{a=\"b\"} 1\n"),
                      std::runtime_error); // family split
}

BOOST_AUTO_TEST_SUITE_END()
