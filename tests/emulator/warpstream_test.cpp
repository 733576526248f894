// WarpStream, POST /api/v1/users/create_invitations (shared/vendors/warpstream.md).

#include "tests/emulator/support/checks.hpp"

#include <boost/test/unit_test.hpp>

using namespace igw::emulator;
using namespace igw::emulator::testing;

namespace {

constexpr vendor v = vendor::warpstream;

std::string invitations(std::size_t count, const std::string& role = "pri_member000")
{
    std::string body = R"({"invitations":[)";
    for (std::size_t i = 0; i < count; ++i)
        body += (i ? "," : "") + std::string(R"({"email":"user)") + std::to_string(i) +
                R"(@example.com","user_role_id":")" + role + "\"}";
    return body + "]}";
}

} // namespace

BOOST_AUTO_TEST_SUITE(warpstream)

BOOST_AUTO_TEST_CASE(documented_request_gets_an_empty_object)
{
    server s;
    const test_response response = expect_accepted(s, v, documented_request(s, v));
    simdjson::dom::parser parser;
    const auto reply = parse_json(parser, response.body);
    BOOST_TEST(reply.is_object());
    BOOST_TEST(reply.get_object().size() == 0u);
}

BOOST_AUTO_TEST_CASE(api_key_header_is_checked)
{
    server s;
    expect_refused(s, v, with_header(documented_request(s, v), "warpstream-api-key", "aks_wrong"), 401);
    expect_refused(s, v, without_header(documented_request(s, v), "warpstream-api-key"), 401);
    // Another vendor's header is not this one's.
    expect_refused(
        s, v, with_header(without_header(documented_request(s, v), "warpstream-api-key"), "X-Api-Key", "aks_sandbox"),
        401);
}

BOOST_AUTO_TEST_CASE(batch_size_is_one_to_the_accounts_limit)
{
    options o;
    o.warpstream_max_batch = 3;
    server s(o);
    expect_accepted(s, v, with_body(documented_request(s, v), invitations(1)));
    expect_accepted(s, v, with_body(documented_request(s, v), invitations(3)));
    const std::string message = expect_refused(s, v, with_body(documented_request(s, v), invitations(4)), 400);
    BOOST_TEST(message.find('3') != std::string::npos, message);
    expect_refused(s, v, with_body(documented_request(s, v), invitations(0)), 400);
}

BOOST_AUTO_TEST_CASE(role_ids_must_exist_in_the_account)
{
    server s;
    expect_accepted(s, v, with_body(documented_request(s, v), invitations(2, "pri_admin0000")));
    const std::string message = expect_refused(
        s, v, with_body(documented_request(s, v), invitations(2, "pri_XXXXXXXXXX")), 400);
    BOOST_TEST(message.find("pri_XXXXXXXXXX") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(duplicate_emails_in_one_call_are_refused)
{
    server s;
    expect_refused(s, v,
                   with_body(documented_request(s, v),
                             R"({"invitations":[{"email":"a@example.com","user_role_id":"pri_admin0000"},)"
                             R"({"email":"A@Example.com","user_role_id":"pri_member000"}]})"),
                   400);
}

BOOST_AUTO_TEST_CASE(body_must_match_the_schema_exactly)
{
    server s;
    const std::vector<std::string> bodies{
        "{}",
        R"({"invitations":{}})",
        R"({"invitations":[{"email":"a@example.com"}]})",
        R"({"invitations":[{"user_role_id":"pri_admin0000"}]})",
        R"({"invitations":[{"email":"a@example.com","user_role_id":"pri_admin0000","role":"admin"}]})",
        R"({"invitations":[{"email":"a@example.com","user_role_id":"pri_admin0000"}],"send_email":true})",
        R"({"invitations":[{"email":"bad","user_role_id":"pri_admin0000"}]})",
        R"({"invitations":[{"email":"a@example.com","user_role_id":7}]})",
        R"({"invitations":["a@example.com"]})",
        R"({"invitations":[{"email":"a@example.com","user_role_id":"pri_admin0000"},]})",
    };
    for (const std::string& body : bodies)
        BOOST_TEST_CONTEXT("body " << body) { expect_refused(s, v, with_body(documented_request(s, v), body), 400); }
}

BOOST_AUTO_TEST_CASE(route_and_media_type)
{
    server s;
    expect_refused(s, v, with_target(documented_request(s, v), "/api/v1/users/create_invitation"), 404);
    expect_refused(s, v, with_header(documented_request(s, v), "Content-Type", "text/json"), 415);
    const auto response = send_once(s, v, with_header(documented_request(s, v), "Content-Type", "text/json"));
    simdjson::dom::parser parser;
    BOOST_TEST(std::string_view(parse_json(parser, response.body)["code"]) == "unsupported_media_type");
}

BOOST_AUTO_TEST_SUITE_END()
