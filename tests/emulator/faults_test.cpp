// Injected faults: what the gateway must survive (docs/api.md "Result statuses": failed vs unknown).

#include "tests/emulator/support/checks.hpp"

#include <boost/test/unit_test.hpp>

using namespace igw::emulator;
using namespace igw::emulator::testing;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(faults)

BOOST_AUTO_TEST_CASE(rate_limit_with_retry_after_in_the_vendors_shape)
{
    server s;
    s.inject(vendor::anthropic, fault{.kind = fault_kind::status, .status = 429, .retry_after = "7"});
    const test_response limited = send_once(s, vendor::anthropic, documented_request(s, vendor::anthropic));
    BOOST_TEST_REQUIRE(limited.ok(), limited.error);
    BOOST_TEST(limited.status == 429u);
    BOOST_TEST(limited.header("Retry-After").value_or("") == "7");
    simdjson::dom::parser parser;
    BOOST_TEST(text(parse_json(parser, limited.body)["error"]["type"]) == "rate_limit_error");
    // times = 1: the next request is served normally.
    const test_response next = expect_accepted(s, vendor::anthropic, documented_request(s, vendor::anthropic));
    BOOST_TEST(!next.header("Retry-After").has_value());
}

BOOST_AUTO_TEST_CASE(server_errors_in_each_vendors_shape)
{
    server s;
    for (const vendor v : all_vendors) {
        BOOST_TEST_CONTEXT(name(v))
        {
            s.inject(v, fault{.kind = fault_kind::status, .status = 500});
            s.inject(v, fault{.kind = fault_kind::status, .status = 503});
            expect_refused(s, v, documented_request(s, v), 500); // queued faults apply in order
            expect_refused(s, v, documented_request(s, v), 503);
            expect_accepted(s, v, documented_request(s, v));
        }
    }
    const test_response response = [&] {
        s.inject(vendor::clickhouse, fault{.kind = fault_kind::status, .status = 503});
        return send_once(s, vendor::clickhouse, documented_request(s, vendor::clickhouse));
    }();
    simdjson::dom::parser parser;
    BOOST_TEST(std::int64_t(parse_json(parser, response.body)["status"]) == 503);
}

BOOST_AUTO_TEST_CASE(faults_apply_to_their_vendor_only)
{
    server s;
    s.inject(vendor::gorules, fault{.kind = fault_kind::status, .status = 500});
    expect_accepted(s, vendor::anthropic, documented_request(s, vendor::anthropic));
    expect_refused(s, vendor::gorules, documented_request(s, vendor::gorules), 500);
}

BOOST_AUTO_TEST_CASE(times_counts_matching_requests_and_zero_means_forever)
{
    server s;
    constexpr vendor v = vendor::warpstream;
    s.inject(v, fault{.kind = fault_kind::status, .status = 500, .times = 2});
    expect_refused(s, v, documented_request(s, v), 500);
    expect_refused(s, v, documented_request(s, v), 500);
    expect_accepted(s, v, documented_request(s, v));

    s.inject(v, fault{.kind = fault_kind::status, .status = 503, .times = 0});
    for (int i = 0; i < 5; ++i)
        expect_refused(s, v, documented_request(s, v), 503);
    s.clear_faults();
    expect_accepted(s, v, documented_request(s, v));
}

BOOST_AUTO_TEST_CASE(delay_then_a_normal_answer)
{
    server s;
    constexpr vendor v = vendor::atomicwork;
    s.inject(v, fault{.kind = fault_kind::delay, .delay = 150ms});
    const auto start = std::chrono::steady_clock::now();
    expect_accepted(s, v, documented_request(s, v));
    // A lower bound only: the reply cannot come before the delay has passed.
    BOOST_TEST((std::chrono::steady_clock::now() - start >= 150ms));
    // The delayed request is still validated.
    s.inject(v, fault{.kind = fault_kind::delay, .delay = 1ms});
    expect_refused(s, v, with_header(documented_request(s, v), "X-Api-Key", "nope"), 401);
}

BOOST_AUTO_TEST_CASE(drop_connection_reads_the_request_then_closes_without_a_reply)
{
    server s;
    constexpr vendor v = vendor::clickhouse;
    s.inject(v, fault{.kind = fault_kind::drop_connection});
    test_client client(s.settings().address, s.port(v));
    const test_response dropped = client.send(documented_request(s, v));
    BOOST_TEST(!dropped.ok());
    BOOST_TEST(dropped.status == 0u);
    BOOST_TEST(!client.connected());
    const auto records = s.requests(v);
    BOOST_TEST_REQUIRE(records.size() == 1u);
    BOOST_TEST(records[0].status == 0u); // recorded, but never answered
    BOOST_TEST(records[0].body == documented_request(s, v).body);
    // The next request (on a new connection) is served.
    const test_response next = client.send(documented_request(s, v));
    BOOST_TEST_REQUIRE(next.ok(), next.error);
    BOOST_TEST(next.status == 200u);
    BOOST_TEST(s.connections_accepted(v) == 2u);
}

BOOST_AUTO_TEST_CASE(drop_after_create_makes_the_invitation_then_closes_without_a_reply)
{
    server s;
    for (const vendor v : {vendor::anthropic, vendor::clickhouse}) {
        BOOST_TEST_CONTEXT(name(v))
        {
            s.inject(v, fault{.kind = fault_kind::drop_after_create});
            test_client client(s.settings().address, s.port(v));
            const test_response dropped = client.send(documented_request(s, v));
            BOOST_TEST(!dropped.ok());
            BOOST_TEST(!client.connected());
            const auto records = s.requests(v);
            BOOST_TEST_REQUIRE(records.size() == 1u);
            BOOST_TEST(records[0].status == 0u); // never answered
            // ...yet the invitation exists: the list endpoint shows it.
            const test_response listed = expect_accepted(s, v, list_request(s, v));
            simdjson::dom::parser parser;
            const simdjson::dom::element root = parse_json(parser, listed.body);
            const simdjson::dom::array items = root[v == vendor::anthropic ? "data" : "result"];
            BOOST_TEST_REQUIRE(items.size() == 1u);
            BOOST_TEST(text(items.at(0)["email"]) ==
                       (v == vendor::anthropic ? "user@emaildomain.com" : "jane.doe@example.com"));
            s.reset();
        }
    }
}

BOOST_AUTO_TEST_CASE(drop_connection_drops_before_the_invitation_is_made)
{
    server s;
    constexpr vendor v = vendor::anthropic;
    s.inject(v, fault{.kind = fault_kind::drop_connection});
    BOOST_TEST(!send_once(s, v, documented_request(s, v)).ok());
    const test_response listed = expect_accepted(s, v, list_request(s, v));
    simdjson::dom::parser parser;
    BOOST_TEST(simdjson::dom::array(parse_json(parser, listed.body)["data"]).size() == 0u);
}

BOOST_AUTO_TEST_CASE(drop_after_create_of_an_invalid_call_makes_nothing)
{
    server s;
    constexpr vendor v = vendor::clickhouse;
    s.inject(v, fault{.kind = fault_kind::drop_after_create});
    BOOST_TEST(!send_once(s, v, with_body(documented_request(s, v), R"({"email":"a@example.com"})")).ok());
    const test_response listed = expect_accepted(s, v, list_request(s, v));
    simdjson::dom::parser parser;
    BOOST_TEST(simdjson::dom::array(parse_json(parser, listed.body)["result"]).size() == 0u);
}

BOOST_AUTO_TEST_CASE(unreadable_body_is_a_200_that_is_not_json)
{
    server s;
    constexpr vendor v = vendor::gorules;
    s.inject(v, fault{.kind = fault_kind::unreadable_body});
    const test_response response = send_once(s, v, documented_request(s, v));
    BOOST_TEST_REQUIRE(response.ok(), response.error);
    BOOST_TEST(response.status == 200u);
    simdjson::dom::parser parser;
    simdjson::dom::element ignored;
    BOOST_TEST(parser.parse(response.body).get(ignored) != simdjson::SUCCESS);
    expect_accepted(s, v, documented_request(s, v));
}

BOOST_AUTO_TEST_CASE(reject_email_refuses_requests_carrying_that_email_only)
{
    server s;
    constexpr vendor v = vendor::gorules;
    s.inject(v, fault{.kind = fault_kind::reject_email, .email = "second@example.org", .times = 1});
    // A request without the email passes and leaves the fault in place.
    expect_accepted(s, v, with_body(documented_request(s, v), R"({"emails":["other@example.com"]})"));
    // Matching ignores case (the documented request spells it Second@Example.org).
    const std::string message = expect_refused(s, v, documented_request(s, v), 400);
    BOOST_TEST(message.find("Second@Example.org") != std::string::npos, message);
    expect_accepted(s, v, documented_request(s, v)); // consumed
}

BOOST_AUTO_TEST_CASE(reject_email_in_every_vendors_shape)
{
    server s;
    const std::vector<std::pair<vendor, std::string>> cases{
        {vendor::anthropic, "user@emaildomain.com"},
        {vendor::clickhouse, "jane.doe@example.com"},
        {vendor::warpstream, "test1@example.com"},
        {vendor::atomicwork, "john.smith@externalpartner.com"},
    };
    for (const auto& [v, email] : cases) {
        BOOST_TEST_CONTEXT(name(v))
        {
            s.inject(v, fault{.kind = fault_kind::reject_email, .email = email, .times = 0});
            expect_refused(s, v, documented_request(s, v), 400);
            expect_refused(s, v, documented_request(s, v), 400);
            // An invalid request is refused for what is wrong with it, not for the email.
            expect_refused(s, v, with_header(documented_request(s, v), "Content-Type", "text/plain"), 415);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_queued_reject_email_does_not_hold_back_later_faults)
{
    server s;
    constexpr vendor v = vendor::anthropic;
    s.inject(v, fault{.kind = fault_kind::reject_email, .email = "nobody@example.com"});
    s.inject(v, fault{.kind = fault_kind::status, .status = 503});
    expect_refused(s, v, documented_request(s, v), 503);
    expect_accepted(s, v, documented_request(s, v));
}

BOOST_AUTO_TEST_SUITE_END()
