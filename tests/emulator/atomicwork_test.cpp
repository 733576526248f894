// Atomicwork, POST /api/v1/users/invite (shared/vendors/atomicwork.md).

#include "tests/emulator/support/checks.hpp"

#include <boost/test/unit_test.hpp>

using namespace igw::emulator;
using namespace igw::emulator::testing;

namespace {
constexpr vendor v = vendor::atomicwork;
}

BOOST_AUTO_TEST_SUITE(atomicwork)

BOOST_AUTO_TEST_CASE(documented_request_gets_an_empty_object)
{
    server s;
    const test_response response = expect_accepted(s, v, documented_request(s, v));
    simdjson::dom::parser parser;
    const auto reply = parse_json(parser, response.body);
    BOOST_TEST(reply.is_object());
    BOOST_TEST(reply.get_object().size() == 0u);
}

BOOST_AUTO_TEST_CASE(every_field_but_emails_is_optional_and_so_is_the_workspace_header)
{
    server s;
    expect_accepted(
        s, v, without_header(with_body(documented_request(s, v), R"({"emails":["a@example.com"]})"), "X-Workspace-Id"));
    expect_accepted(s, v,
                    with_body(documented_request(s, v),
                              R"({"emails":["a@example.com"],"org_roles":[4],"type":"AI_EMPLOYEE","send_email":false,)"
                              R"("workspaces":[],"workspace_roles":[],"workspace_ids":[]})"));
}

BOOST_AUTO_TEST_CASE(api_key_and_workspace_are_checked)
{
    server s;
    expect_refused(s, v, with_header(documented_request(s, v), "X-Api-Key", "nope"), 401);
    expect_refused(s, v, without_header(documented_request(s, v), "X-Api-Key"), 401);
    expect_refused(s, v, with_header(documented_request(s, v), "X-Workspace-Id", "43"), 403);

    // With no workspace configured, any workspace header is taken as it is.
    options o;
    o.creds.atomicwork_workspace_id.clear();
    server open(o);
    expect_accepted(open, v, with_header(documented_request(open, v), "X-Workspace-Id", "43"));
}

BOOST_AUTO_TEST_CASE(org_roles_must_exist)
{
    server s;
    const std::string message = expect_refused(
        s, v, with_body(documented_request(s, v), R"({"emails":["a@example.com"],"org_roles":[101,205]})"), 400);
    BOOST_TEST(message.find("101") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(body_must_match_the_openapi_schema)
{
    server s;
    const std::vector<std::string> bodies{
        R"({})", // emails required here
        R"({"emails":[]})",
        R"({"emails":"a@example.com"})",
        R"({"emails":["nope"]})",
        R"({"emails":["a@example.com","a@example.com"]})",
        R"({"emails":["a@example.com"],"role":"admin"})", // unknown field
        R"({"emails":["a@example.com"],"org_roles":["1"]})",
        R"({"emails":["a@example.com"],"org_roles":[1.5]})",
        R"({"emails":["a@example.com"],"org_roles":[99999999999999999999]})",
        R"({"emails":["a@example.com"],"org_roles":1})",
        R"({"emails":["a@example.com"],"type":"ADMIN"})",
        R"({"emails":["a@example.com"],"type":"employee"})",
        R"({"emails":["a@example.com"],"send_email":"yes"})",
        R"({"emails":["a@example.com"],"send_email":1})",
        R"({"emails":["a@example.com"],"workspaces":[{"id":"42"}]})",
        R"({"emails":["a@example.com"],"workspaces":[{"id":42,"roles":[3],"name":"x"}]})",
        R"({"emails":["a@example.com"],"workspaces":[{"id":42,"roles":["3"]}]})",
        R"({"emails":["a@example.com"],"workspaces":[42]})",
        R"({"emails":["a@example.com"],"workspace_roles":[true]})",
        R"({"emails":["a@example.com"],"workspace_ids":{"id":42}})",
    };
    for (const std::string& body : bodies)
        BOOST_TEST_CONTEXT("body " << body) { expect_refused(s, v, with_body(documented_request(s, v), body), 400); }
}

BOOST_AUTO_TEST_CASE(route_and_media_type)
{
    server s;
    expect_refused(s, v, with_target(documented_request(s, v), "/api/v1/users/invites"), 404);
    expect_refused(s, v, with_header(documented_request(s, v), "Content-Type", "text/plain; charset=utf-8"), 415);
}

BOOST_AUTO_TEST_SUITE_END()
