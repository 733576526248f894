// The server over real sockets: probes, routing, the checks before the handler, the
// request limits, request ids, keep-alive and pipelining.
#include <boost/test/unit_test.hpp>

#include <string>

#include "tests/server/support/server_fixture.hpp"

namespace srv = igw::server;
using srv::testing::header_list;
using srv::testing::invite_request;
using srv::testing::raw_request;
using srv::testing::test_client;

namespace {

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

std::string header(const srv::testing::reply& r, std::string_view name) { return std::string(r[name]); }

void check_problem(const srv::testing::reply& r, unsigned status)
{
    BOOST_TEST(r.result_int() == status);
    BOOST_TEST(header(r, "Content-Type") == "application/problem+json");
    BOOST_TEST(contains(r.body(), "\"status\":" + std::to_string(status)));
    BOOST_TEST(contains(r.body(), "\"type\":"));
    BOOST_TEST(contains(r.body(), "\"title\":"));
    BOOST_TEST(!header(r, "X-Request-Id").empty());
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(server_http, srv::testing::server_fixture)

BOOST_AUTO_TEST_CASE(healthz_and_readyz_answer_once_listening)
{
    start();
    BOOST_TEST(srv->ready());
    test_client client(port());
    client.send(raw_request("GET", "/healthz"));
    auto r = client.read_reply();
    BOOST_TEST(r.result_int() == 200u);
    BOOST_TEST(r.body() == R"({"status":"ok"})");
    BOOST_TEST(header(r, "Content-Type") == "application/json");
    BOOST_TEST(header(r, "X-Request-Id").size() == 32u);
    BOOST_TEST(!header(r, "Date").empty());

    client.send(raw_request("GET", "/readyz"));
    r = client.read_reply();
    BOOST_TEST(r.result_int() == 200u);
    BOOST_TEST(r.body() == R"({"status":"ready","config_version":""})");
}

BOOST_AUTO_TEST_CASE(invite_requests_reach_the_handler_with_route_client_and_body)
{
    start();
    test_client client(port());
    client.send(
        invite_request("/v1/other?dry_run=true", R"({"hello":"world"})", "key-b", {{"X-Request-Id", "req-42"}}));
    const auto r = client.read_reply();
    BOOST_TEST(r.result_int() == 200u);
    BOOST_TEST(header(r, "X-Echo") == "yes");
    BOOST_TEST(header(r, "X-Request-Id") == "req-42");
    BOOST_TEST(contains(r.body(), R"("route_index":1)"));
    BOOST_TEST(contains(r.body(), R"("client":"app-b")"));
    BOOST_TEST(contains(r.body(), R"("request_id":"req-42")"));
    BOOST_TEST(contains(r.body(), R"("target":"/v1/other?dry_run=true")"));
    BOOST_TEST(contains(r.body(), R"("body":"{\"hello\":\"world\"}")"));
    BOOST_TEST(contains(r.body(), R"("padded":true)"));
}

BOOST_AUTO_TEST_CASE(keep_alive_serves_three_requests_on_one_connection)
{
    start();
    test_client client(port());
    for (int i = 0; i < 3; ++i) {
        const std::string body = "{\"n\":" + std::to_string(i) + "}";
        client.send(invite_request("/v1/invitations", body));
        const auto r = client.read_reply();
        BOOST_TEST(r.result_int() == 200u);
        BOOST_TEST(r.keep_alive());
        BOOST_TEST(contains(r.body(), R"("route_index":0)"));
        BOOST_TEST(contains(r.body(), "\"n\\\":" + std::to_string(i)));
    }
}

BOOST_AUTO_TEST_CASE(pipelined_requests_are_answered_in_order)
{
    start();
    test_client client(port());
    client.send(invite_request("/v1/invitations", R"({"first":1})", "key-a", {{"X-Request-Id", "one"}}) +
                invite_request("/v1/other", R"({"second":2})", "key-a", {{"X-Request-Id", "two"}}) +
                raw_request("GET", "/healthz", {{"X-Request-Id", "three"}}));
    const auto first = client.read_reply();
    const auto second = client.read_reply();
    const auto third = client.read_reply();
    BOOST_TEST(header(first, "X-Request-Id") == "one");
    BOOST_TEST(contains(first.body(), "first"));
    BOOST_TEST(header(second, "X-Request-Id") == "two");
    BOOST_TEST(contains(second.body(), "second"));
    BOOST_TEST(contains(second.body(), R"("route_index":1)"));
    BOOST_TEST(header(third, "X-Request-Id") == "three");
    BOOST_TEST(third.body() == R"({"status":"ok"})");
}

BOOST_AUTO_TEST_CASE(chunked_bodies_are_reassembled)
{
    start();
    test_client client(port());
    client.send(invite_request("/v1/invitations", "5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n", "key-a",
                               {{"Transfer-Encoding", "chunked"}}));
    const auto r = client.read_reply();
    BOOST_TEST(r.result_int() == 200u);
    BOOST_TEST(contains(r.body(), R"("body":"{\"a\":1}")"));
}

BOOST_AUTO_TEST_CASE(expect_100_continue_is_answered_before_the_body_is_sent)
{
    start();
    test_client client(port());
    client.send(raw_request("POST", "/v1/invitations",
                            {{"Authorization", "Bearer key-a"},
                             {"Content-Type", "application/json"},
                             {"Content-Length", "7"},
                             {"Expect", "100-continue"}}));
    const auto interim = client.read_reply();
    BOOST_TEST(interim.result_int() == 100u);
    client.send(R"({"x":1})");
    const auto r = client.read_reply();
    BOOST_TEST(r.result_int() == 200u);
    BOOST_TEST(contains(r.body(), R"("body":"{\"x\":1}")"));
}

BOOST_AUTO_TEST_CASE(missing_or_wrong_keys_get_401_with_www_authenticate)
{
    start();
    test_client client(port());
    client.send(invite_request("/v1/invitations", "{}", ""));
    auto r = client.read_reply();
    check_problem(r, 401);
    BOOST_TEST(header(r, "WWW-Authenticate") == R"(Bearer realm="invitegw")");
    BOOST_TEST(contains(r.body(), "/problems/unauthorized"));

    test_client wrong(port());
    wrong.send(invite_request("/v1/invitations", "{}", "key-z"));
    r = wrong.read_reply();
    check_problem(r, 401);
    BOOST_TEST(header(r, "WWW-Authenticate").starts_with(R"(Bearer realm="invitegw")"));
    BOOST_TEST(!contains(r.body(), "echo"));

    test_client basic(port());
    basic.send(raw_request("POST", "/v1/invitations",
                           {{"Authorization", "Basic a2V5LWE6"}, {"Content-Type", "application/json"}}, "{}"));
    check_problem(basic.read_reply(), 401);
}

BOOST_AUTO_TEST_CASE(a_client_not_allowed_on_the_route_gets_403)
{
    start();
    test_client client(port());
    client.send(invite_request("/v1/invitations", "{}", "key-b"));
    const auto r = client.read_reply();
    check_problem(r, 403);
    BOOST_TEST(contains(r.body(), "/problems/forbidden"));
}

BOOST_AUTO_TEST_CASE(a_body_that_is_not_json_gets_415)
{
    start();
    test_client client(port());
    client.send(raw_request("POST", "/v1/invitations",
                            {{"Authorization", "Bearer key-a"}, {"Content-Type", "text/plain"}}, "{}"));
    auto r = client.read_reply();
    check_problem(r, 415);
    // The body was not read, so the connection cannot carry another request.
    BOOST_TEST(!r.keep_alive());
    BOOST_TEST(client.closed_by_server());

    test_client none(port());
    none.send(raw_request("POST", "/v1/invitations", {{"Authorization", "Bearer key-a"}}, "{}"));
    check_problem(none.read_reply(), 415);

    test_client with_params(port());
    with_params.send(
        raw_request("POST", "/v1/invitations",
                    {{"Authorization", "Bearer key-a"}, {"Content-Type", "application/json; charset=utf-8"}}, "{}"));
    BOOST_TEST(with_params.read_reply().result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(a_content_length_over_the_limit_gets_413_before_the_body_is_sent)
{
    start();
    test_client client(port());
    // Only the header is sent: the reply must not wait for ten megabytes.
    client.send(raw_request(
        "POST", "/v1/invitations",
        {{"Authorization", "Bearer key-a"}, {"Content-Type", "application/json"}, {"Content-Length", "10000000"}}));
    const auto r = client.read_reply();
    check_problem(r, 413);
    BOOST_TEST(!r.keep_alive());
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(a_chunked_body_over_the_limit_is_cut_off_with_413)
{
    start();
    test_client client(port());
    const std::string chunk(1000, 'x');
    std::string body;
    for (int i = 0; i < 2; ++i)
        body += "3e8\r\n" + chunk + "\r\n";
    body += "0\r\n\r\n";
    client.send(invite_request("/v1/invitations", body, "key-a", {{"Transfer-Encoding", "chunked"}}));
    const auto r = client.read_reply();
    check_problem(r, 413);
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(a_body_at_the_limit_is_accepted)
{
    start();
    test_client client(port());
    const std::string body = "\"" + std::string(1022, 'y') + "\"";
    client.send(invite_request("/v1/invitations", body));
    BOOST_TEST(client.read_reply().result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(a_huge_header_gets_431)
{
    start();
    test_client client(port());
    client.send(raw_request("GET", "/healthz", {{"X-Padding", std::string(20000, 'p')}}));
    const auto r = client.read_reply();
    check_problem(r, 431);
    BOOST_TEST(!r.keep_alive());
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(unknown_paths_get_404_and_wrong_methods_405_with_allow)
{
    start();
    test_client client(port());
    client.send(raw_request("GET", "/nope"));
    auto r = client.read_reply();
    check_problem(r, 404);
    BOOST_TEST(r.keep_alive());

    client.send(raw_request("GET", "/v1/invitations"));
    r = client.read_reply();
    check_problem(r, 405);
    BOOST_TEST(header(r, "Allow") == "POST");

    client.send(raw_request("DELETE", "/healthz"));
    r = client.read_reply();
    check_problem(r, 405);
    BOOST_TEST(header(r, "Allow") == "GET, HEAD");
}

BOOST_AUTO_TEST_CASE(a_malformed_request_gets_400_and_the_connection_closes)
{
    start();
    test_client client(port());
    client.send("GET /healthz HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n");
    const auto r = client.read_reply();
    check_problem(r, 400);
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(request_ids_are_echoed_when_well_formed_and_replaced_when_not)
{
    start();
    test_client client(port());
    client.send(raw_request("GET", "/healthz", {{"X-Request-Id", "abc.DEF_1:2-3"}}));
    BOOST_TEST(header(client.read_reply(), "X-Request-Id") == "abc.DEF_1:2-3");

    client.send(raw_request("GET", "/healthz", {{"X-Request-Id", "not ok"}}));
    const auto replaced = header(client.read_reply(), "X-Request-Id");
    BOOST_TEST(replaced.size() == 32u);
    BOOST_TEST(replaced.find_first_not_of("0123456789abcdef") == std::string::npos);

    client.send(raw_request("GET", "/healthz", {{"X-Request-Id", std::string(129, 'a')}}));
    const auto too_long = header(client.read_reply(), "X-Request-Id");
    BOOST_TEST(too_long.size() == 32u);
    BOOST_TEST(too_long != replaced);

    client.send(invite_request("/v1/invitations", "{}", "key-z", {{"X-Request-Id", "err-7"}}));
    BOOST_TEST(header(client.read_reply(), "X-Request-Id") == "err-7");
}

BOOST_AUTO_TEST_CASE(a_failing_handler_gets_500_and_the_connection_stays_usable)
{
    start();
    test_client client(port());
    client.send(invite_request("/v1/invitations", "throw"));
    auto r = client.read_reply();
    check_problem(r, 500);
    BOOST_TEST(r.keep_alive());
    client.send(invite_request("/v1/invitations", "{}"));
    r = client.read_reply();
    BOOST_TEST(r.result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(http_1_0_requests_are_answered_and_closed)
{
    start();
    test_client client(port());
    client.send("GET /healthz HTTP/1.0\r\n\r\n");
    const auto r = client.read_reply();
    BOOST_TEST(r.result_int() == 200u);
    BOOST_TEST(r.version() == 10u);
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_SUITE_END()
