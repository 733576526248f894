// ClickHouse Cloud, POST /v1/organizations/{organizationId}/invitations
// (shared/vendors/clickhouse.md).

#include "tests/emulator/support/checks.hpp"

#include <boost/test/unit_test.hpp>

using namespace igw::emulator;
using namespace igw::emulator::testing;

namespace {
constexpr vendor v = vendor::clickhouse;
}

BOOST_AUTO_TEST_SUITE(clickhouse)

BOOST_AUTO_TEST_CASE(documented_request_gets_the_documented_invitation)
{
    server s;
    const test_response response = expect_accepted(s, v, documented_request(s, v));
    simdjson::dom::parser parser;
    const auto reply = parse_json(parser, response.body);
    BOOST_TEST(std::int64_t(reply["status"]) == 200);
    const std::string_view request_id = reply["requestId"];
    BOOST_TEST(looks_like_uuid(request_id));
    BOOST_TEST(request_id[14] == '4'); // UUIDv4, as documented
    const auto result = reply["result"];
    BOOST_TEST(std::string_view(result["role"]) == "developer");
    BOOST_TEST(looks_like_uuid(std::string_view(result["id"])));
    BOOST_TEST(std::string_view(result["email"]) == "jane.doe@example.com"); // stored lower-cased
    const auto created = utc_seconds(text(result["createdAt"]), 0);
    const auto expires = utc_seconds(text(result["expireAt"]), 0);
    BOOST_TEST_REQUIRE(created.has_value());
    BOOST_TEST_REQUIRE(expires.has_value());
    BOOST_TEST(*expires > *created);
}

BOOST_AUTO_TEST_CASE(admin_and_developer_are_the_only_roles)
{
    server s;
    expect_accepted(s, v, with_body(documented_request(s, v), R"({"email":"a@example.com","role":"admin"})"));
    expect_refused(s, v, with_body(documented_request(s, v), R"({"email":"a@example.com","role":"member"})"), 400);
}

BOOST_AUTO_TEST_CASE(basic_auth_must_carry_the_key_id_and_secret)
{
    server s;
    // base64("sandbox-key-id:wrong")
    expect_refused(s, v, with_header(documented_request(s, v), "Authorization", "Basic c2FuZGJveC1rZXktaWQ6d3Jvbmc="),
                   401);
    expect_refused(
        s, v,
        with_header(documented_request(s, v), "Authorization", "Bearer c2FuZGJveC1rZXktaWQ6c2FuZGJveC1rZXktc2VjcmV0"),
        401);
    expect_refused(s, v, without_header(documented_request(s, v), "Authorization"), 401);
    const auto response = send_once(s, v, without_header(documented_request(s, v), "Authorization"));
    simdjson::dom::parser parser;
    BOOST_TEST(std::int64_t(parse_json(parser, response.body)["status"]) == 401);
    // The scheme name is case-insensitive (RFC 9110).
    expect_accepted(
        s, v,
        with_header(documented_request(s, v), "Authorization", "basic c2FuZGJveC1rZXktaWQ6c2FuZGJveC1rZXktc2VjcmV0"));
}

BOOST_AUTO_TEST_CASE(organization_must_be_the_accounts_uuid)
{
    server s;
    expect_refused(
        s, v,
        with_target(documented_request(s, v), "/v1/organizations/00000000-0000-4000-8000-000000000000/invitations"),
        404);
    expect_refused(s, v, with_target(documented_request(s, v), "/v1/organizations/my-org/invitations"), 400);
    expect_refused(s, v, with_target(documented_request(s, v), "/v1/organizations//invitations"), 404);
    expect_refused(s, v, with_target(documented_request(s, v), "/v1/organizations/invitations"), 404);
    // A uuid compares without regard to case.
    std::string upper = s.settings().creds.clickhouse_org_id;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](char c) { return static_cast<char>(std::toupper(c)); });
    expect_accepted(s, v, with_target(documented_request(s, v), "/v1/organizations/" + upper + "/invitations"));
}

BOOST_AUTO_TEST_CASE(body_must_match_the_schema_exactly)
{
    server s;
    const std::vector<std::string> bodies{
        R"({"email":"a@example.com"})",
        R"({"role":"admin"})",
        R"({"email":"a@example.com","role":"admin","name":"A"})",
        R"({"email":true,"role":"admin"})",
        R"({"email":"a@","role":"admin"})",
        R"({"email":"@example.com","role":"admin"})",
        R"({"email":"a@example..com","role":"admin"})",
        R"("a@example.com")",
        "{}",
    };
    for (const std::string& body : bodies)
        BOOST_TEST_CONTEXT("body " << body) { expect_refused(s, v, with_body(documented_request(s, v), body), 400); }
}

BOOST_AUTO_TEST_CASE(media_type_must_be_json_and_method_post)
{
    server s;
    expect_refused(s, v, with_header(documented_request(s, v), "Content-Type", "application/x-www-form-urlencoded"),
                   415);
    auto put = documented_request(s, v);
    put.method = "PUT";
    expect_refused(s, v, put, 405);
    // The path also lists invitations (GET).
    BOOST_TEST(send_once(s, v, put).header("Allow").value_or("") == "GET, POST");
}

// ---- GET /v1/organizations/{organizationId}/invitations (shared/vendors/list-endpoints.md)

namespace {

struct listed_invitation {
    std::string id, email, role;
};

std::vector<listed_invitation> list_all(const server& s)
{
    const test_response response = expect_accepted(s, v, list_request(s, v));
    simdjson::dom::parser parser;
    const simdjson::dom::element root = parse_json(parser, response.body);
    BOOST_TEST(std::int64_t(root["status"]) == 200);
    BOOST_TEST(looks_like_uuid(text(root["requestId"])));
    std::vector<listed_invitation> listed;
    for (const simdjson::dom::element invitation : simdjson::dom::array(root["result"])) {
        BOOST_TEST(invitation.get_object().size() == 5u);
        BOOST_TEST(utc_seconds(text(invitation["createdAt"]), 0).has_value());
        BOOST_TEST(utc_seconds(text(invitation["expireAt"]), 0).has_value());
        listed.push_back({text(invitation["id"]), text(invitation["email"]), text(invitation["role"])});
    }
    return listed;
}

} // namespace

BOOST_AUTO_TEST_CASE(list_shows_every_invitation_created_lower_cased_without_paging)
{
    server s;
    BOOST_TEST(list_all(s).empty());
    std::vector<std::string> ids;
    for (int i = 0; i < 30; ++i) {
        const test_response created = expect_accepted(
            s, v,
            with_body(documented_request(s, v),
                      R"({"email":"Member)" + std::to_string(i) + R"(@Example.COM","role":"admin"})"));
        simdjson::dom::parser parser;
        ids.push_back(text(parse_json(parser, created.body)["result"]["id"]));
    }
    const std::vector<listed_invitation> listed = list_all(s);
    BOOST_TEST_REQUIRE(listed.size() == 30u);
    for (std::size_t i = 0; i < listed.size(); ++i) {
        BOOST_TEST(listed[i].id == ids[i]);
        BOOST_TEST(listed[i].email == "member" + std::to_string(i) + "@example.com");
        BOOST_TEST(listed[i].role == "admin");
    }
}

BOOST_AUTO_TEST_CASE(list_is_authenticated_and_takes_no_body_and_no_query)
{
    server s;
    expect_refused(s, v, without_header(list_request(s, v), "Authorization"), 401);
    expect_refused(s, v, with_header(list_request(s, v), "Authorization", "Basic d3Jvbmc6d3Jvbmc="), 401);
    expect_refused(s, v, with_body(list_request(s, v), R"({"email":"a@example.com"})"), 400);
    expect_refused(s, v, list_request(s, v, "limit=10"), 400);
    expect_refused(
        s, v, with_target(list_request(s, v), "/v1/organizations/00000000-0000-4000-8000-000000000000/invitations"),
        404);
    expect_refused(s, v, with_target(list_request(s, v), "/v1/organizations/not-a-uuid/invitations"), 400);
}

BOOST_AUTO_TEST_SUITE_END()
