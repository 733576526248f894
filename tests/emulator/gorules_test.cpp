// GoRules BRMS, POST /api/users (shared/vendors/gorules.md).

#include "tests/emulator/support/checks.hpp"

#include <boost/test/unit_test.hpp>

using namespace igw::emulator;
using namespace igw::emulator::testing;

namespace {

constexpr vendor v = vendor::gorules;

std::string emails(std::size_t count)
{
    std::string body = R"({"emails":[)";
    for (std::size_t i = 0; i < count; ++i)
        body += (i ? ",\"user" : "\"user") + std::to_string(i) + "@example.com\"";
    return body + "]}";
}

} // namespace

BOOST_AUTO_TEST_SUITE(gorules)

BOOST_AUTO_TEST_CASE(one_invitation_per_email_in_request_order)
{
    server s;
    const test_response response = expect_accepted(s, v, documented_request(s, v));
    simdjson::dom::parser parser;
    const auto reply = parse_json(parser, response.body);
    BOOST_TEST_REQUIRE(reply.is_array());
    const auto items = reply.get_array();
    BOOST_TEST_REQUIRE(items.size() == 2u);
    const std::vector<std::string_view> expected{"first@example.com", "second@example.org"};
    std::size_t i = 0;
    for (const auto item : items) {
        BOOST_TEST(looks_like_uuid(std::string_view(item["id"])));
        BOOST_TEST(std::string_view(item["email"]) == expected[i]);
        BOOST_TEST(std::string_view(item["status"]) == "pending");
        BOOST_TEST(looks_like_uuid(std::string_view(item["userId"])));
        BOOST_TEST(utc_seconds(text(item["createdAt"]), 3).has_value());
        BOOST_TEST(utc_seconds(text(item["expiresAt"]), 3).has_value());
        ++i;
    }
}

BOOST_AUTO_TEST_CASE(bearer_token_is_checked)
{
    server s;
    expect_refused(s, v, with_header(documented_request(s, v), "Authorization", "Bearer nope"), 401);
    expect_refused(s, v, with_header(documented_request(s, v), "Authorization", "gorules-sandbox-token"), 401);
    expect_refused(s, v, without_header(documented_request(s, v), "Authorization"), 401);
    BOOST_TEST(send_once(s, v, without_header(documented_request(s, v), "Authorization"))
                   .header("WWW-Authenticate")
                   .value_or("") == "Bearer");
}

BOOST_AUTO_TEST_CASE(at_most_ten_emails)
{
    server s;
    const test_response ten = expect_accepted(s, v, with_body(documented_request(s, v), emails(10)));
    simdjson::dom::parser parser;
    BOOST_TEST(parse_json(parser, ten.body).get_array().size() == 10u);
    expect_refused(s, v, with_body(documented_request(s, v), emails(11)), 400);
    expect_refused(s, v, with_body(documented_request(s, v), emails(0)), 400);
}

BOOST_AUTO_TEST_CASE(body_must_match_the_schema_exactly)
{
    server s;
    const std::vector<std::string> bodies{
        "{}",
        R"({"emails":"a@example.com"})",
        R"({"emails":["a@example.com"],"role":"admin"})",
        R"({"emails":[1]})",
        R"({"emails":["a@example.com","not an email"]})",
        R"({"emails":["a@example.com","A@example.com"]})",
        R"({"emails":["a@example.com"]}x)",
        "null",
    };
    for (const std::string& body : bodies)
        BOOST_TEST_CONTEXT("body " << body) { expect_refused(s, v, with_body(documented_request(s, v), body), 400); }
}

BOOST_AUTO_TEST_CASE(route_and_media_type)
{
    server s;
    expect_refused(s, v, with_target(documented_request(s, v), "/api/user"), 404);
    expect_refused(s, v, with_target(documented_request(s, v), "/users"), 404);
    expect_refused(s, v, with_header(documented_request(s, v), "Content-Type", "multipart/form-data"), 415);
}

BOOST_AUTO_TEST_SUITE_END()
