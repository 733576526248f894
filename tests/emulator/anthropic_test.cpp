// Anthropic Admin API, POST /v1/organizations/invites (shared/vendors/anthropic.md).

#include "tests/emulator/support/checks.hpp"

#include <boost/test/unit_test.hpp>

using namespace igw::emulator;
using namespace igw::emulator::testing;

namespace {
constexpr vendor v = vendor::anthropic;
}

BOOST_AUTO_TEST_SUITE(anthropic)

BOOST_AUTO_TEST_CASE(documented_request_gets_the_documented_invite)
{
    server s;
    const test_response response = expect_accepted(s, v, documented_request(s, v));
    simdjson::dom::parser parser;
    const auto invite = parse_json(parser, response.body);
    const std::string id = text(invite["id"]);
    BOOST_TEST(id.size() == 7u + 24u);
    BOOST_TEST(id.starts_with("invite_"));
    BOOST_TEST(
        std::all_of(id.begin() + 7, id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }));
    BOOST_TEST(std::string_view(invite["type"]) == "invite");
    BOOST_TEST(std::string_view(invite["email"]) == "user@emaildomain.com");
    BOOST_TEST(std::string_view(invite["role"]) == "user");
    BOOST_TEST(std::string_view(invite["status"]) == "pending");
    const auto invited = utc_seconds(text(invite["invited_at"]), 6);
    const auto expires = utc_seconds(text(invite["expires_at"]), 6);
    BOOST_TEST_REQUIRE(invited.has_value());
    BOOST_TEST_REQUIRE(expires.has_value());
    BOOST_TEST(*expires - *invited == 21 * 24 * 3600);
    BOOST_TEST(invite.get_object().size() == 7u);

    // Ids are random: a second invite gets another one.
    const test_response again = expect_accepted(s, v, documented_request(s, v));
    simdjson::dom::parser second;
    BOOST_TEST(std::string_view(parse_json(second, again.body)["id"]) != id);
}

BOOST_AUTO_TEST_CASE(every_documented_role_but_admin_is_accepted)
{
    server s;
    for (const std::string role : {"user", "developer", "billing"}) {
        BOOST_TEST_CONTEXT("role " << role)
        {
            const auto response = expect_accepted(
                s, v, with_body(documented_request(s, v), R"({"email":"a@example.com","role":")" + role + "\"}"));
            simdjson::dom::parser parser;
            BOOST_TEST(std::string_view(parse_json(parser, response.body)["role"]) == role);
        }
    }
    const std::string message = expect_refused(
        s, v, with_body(documented_request(s, v), R"({"email":"a@example.com","role":"admin"})"), 400);
    BOOST_TEST(message.find("role") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(wrong_or_missing_key_is_401_authentication_error)
{
    server s;
    expect_refused(s, v, with_header(documented_request(s, v), "x-api-key", "sk-ant-admin-wrong"), 401);
    expect_refused(s, v, without_header(documented_request(s, v), "x-api-key"), 401);
    const auto response = send_once(s, v, without_header(documented_request(s, v), "x-api-key"));
    simdjson::dom::parser parser;
    BOOST_TEST(std::string_view(parse_json(parser, response.body)["error"]["type"]) == "authentication_error");
}

BOOST_AUTO_TEST_CASE(anthropic_version_is_required_and_checked)
{
    server s;
    expect_refused(s, v, without_header(documented_request(s, v), "anthropic-version"), 400);
    expect_refused(s, v, with_header(documented_request(s, v), "anthropic-version", "2024-01-01"), 400);
}

BOOST_AUTO_TEST_CASE(wrong_path_is_404_and_wrong_method_405)
{
    server s;
    const auto response = send_once(s, v, with_target(documented_request(s, v), "/v1/organizations/invite"));
    BOOST_TEST(response.status == 404u);
    simdjson::dom::parser parser;
    BOOST_TEST(std::string_view(parse_json(parser, response.body)["error"]["type"]) == "not_found_error");
    expect_refused(s, v, with_target(documented_request(s, v), "/v1/organizations/invites/extra"), 404);
    auto get = documented_request(s, v);
    get.method = "PUT";
    expect_refused(s, v, get, 405);
    BOOST_TEST(send_once(s, v, get).header("Allow").value_or("") == "POST");
}

BOOST_AUTO_TEST_CASE(query_string_does_not_change_the_route)
{
    server s;
    auto request = documented_request(s, v);
    request.target += "?beta=true";
    expect_accepted(s, v, request);
}

BOOST_AUTO_TEST_CASE(body_must_match_the_schema_exactly)
{
    server s;
    const std::vector<std::string> bodies{
        R"({"email":"a@example.com"})",                             // role missing
        R"({"role":"user"})",                                       // email missing
        R"({"email":"a@example.com","role":"user","name":"A"})",    // unknown field
        R"({"email":42,"role":"user"})",                            // wrong type
        R"({"email":"a@example.com","role":["user"]})",             // wrong type
        R"({"email":null,"role":"user"})",                          // null is not a string
        R"({"email":"a@example.com","role":"User"})",               // enum is case-sensitive
        R"({"email":"not-an-email","role":"user"})",                // bad email
        R"({"email":"a b@example.com","role":"user"})",             // space
        R"({"email":"a@example","role":"user"})",                   // domain without a dot
        R"({"email":"a@@example.com","role":"user"})",              // two '@'
        R"({"email":"a@example.com","role":"user","role":"user"})", // duplicate member
        R"([{"email":"a@example.com","role":"user"}])",             // not an object
        R"({"email":"a@example.com","role":"user"} {"x":1})",       // trailing document
        R"({"email":"a@example.com","role":"user")",                // truncated
        "",                                                         // empty
    };
    for (const std::string& body : bodies)
        BOOST_TEST_CONTEXT("body " << body) { expect_refused(s, v, with_body(documented_request(s, v), body), 400); }
}

BOOST_AUTO_TEST_CASE(media_type_must_be_json)
{
    server s;
    expect_refused(s, v, with_header(documented_request(s, v), "content-type", "text/plain"), 415);
    expect_refused(s, v, with_header(documented_request(s, v), "content-type", "application/jsonx"), 415);
    expect_refused(s, v, without_header(documented_request(s, v), "content-type"), 415);
    expect_accepted(s, v, with_header(documented_request(s, v), "content-type", "Application/JSON; charset=utf-8"));
}

BOOST_AUTO_TEST_SUITE_END()
