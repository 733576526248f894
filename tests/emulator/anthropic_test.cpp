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
    auto put = documented_request(s, v);
    put.method = "PUT";
    expect_refused(s, v, put, 405);
    // The path also lists invites (GET).
    BOOST_TEST(send_once(s, v, put).header("Allow").value_or("") == "GET, POST");
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

// ---- GET /v1/organizations/invites (shared/vendors/list-endpoints.md) ----------------

namespace {

// Creates an invite for `email` and returns its id.
std::string create_invite(const server& s, const std::string& email)
{
    const test_response response = expect_accepted(
        s, v, with_body(documented_request(s, v), R"({"email":")" + email + R"(","role":"developer"})"));
    simdjson::dom::parser parser;
    return text(parse_json(parser, response.body)["id"]);
}

struct invite_page {
    std::vector<std::string> ids, emails;
    bool has_more = false;
    std::optional<std::string> first_id, last_id;
};

invite_page list_page(const server& s, std::string_view query)
{
    const test_response response = expect_accepted(s, v, list_request(s, v, query));
    simdjson::dom::parser parser;
    const simdjson::dom::element root = parse_json(parser, response.body);
    BOOST_TEST(root.get_object().size() == 4u, response.body);
    invite_page page;
    for (const simdjson::dom::element invite : simdjson::dom::array(root["data"])) {
        page.ids.push_back(text(invite["id"]));
        page.emails.push_back(text(invite["email"]));
        BOOST_TEST(text(invite["type"]) == "invite");
        BOOST_TEST(text(invite["status"]) == "pending");
        BOOST_TEST(text(invite["role"]) == "developer");
        BOOST_TEST(utc_seconds(text(invite["invited_at"]), 6).has_value());
        BOOST_TEST(utc_seconds(text(invite["expires_at"]), 6).has_value());
    }
    page.has_more = bool(root["has_more"]);
    if (!root["first_id"].is_null())
        page.first_id = text(root["first_id"]);
    if (!root["last_id"].is_null())
        page.last_id = text(root["last_id"]);
    return page;
}

std::vector<std::string> create_invites(const server& s, int n)
{
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i)
        ids.push_back(create_invite(s, "Person" + std::to_string(i) + "@example.com"));
    return ids;
}

} // namespace

BOOST_AUTO_TEST_CASE(list_shows_the_invites_created_in_creation_order)
{
    server s;
    const invite_page empty = list_page(s, "");
    BOOST_TEST(empty.ids.empty());
    BOOST_TEST(!empty.has_more);
    BOOST_TEST(!empty.first_id.has_value());
    BOOST_TEST(!empty.last_id.has_value());

    const std::vector<std::string> ids = create_invites(s, 3);
    const invite_page page = list_page(s, "");
    BOOST_TEST(page.ids == ids, boost::test_tools::per_element());
    // The email as the create call spelled it, as the create reply gave it.
    BOOST_TEST(page.emails.at(0) == "Person0@example.com");
    BOOST_TEST(!page.has_more);
    BOOST_TEST(page.first_id.value_or("") == ids.front());
    BOOST_TEST(page.last_id.value_or("") == ids.back());
}

BOOST_AUTO_TEST_CASE(limit_and_after_id_page_through_three_pages)
{
    server s;
    const std::vector<std::string> ids = create_invites(s, 7);
    std::vector<std::string> listed;
    std::vector<std::size_t> sizes;
    std::string query = "limit=3";
    for (int page_number = 0; page_number < 5; ++page_number) {
        const invite_page page = list_page(s, query);
        listed.insert(listed.end(), page.ids.begin(), page.ids.end());
        sizes.push_back(page.ids.size());
        BOOST_TEST(page.last_id.value_or("") == page.ids.back());
        if (!page.has_more)
            break;
        query = "after_id=" + *page.last_id + "&limit=3"; // any parameter order
    }
    BOOST_TEST(sizes == (std::vector<std::size_t>{3, 3, 1}), boost::test_tools::per_element());
    BOOST_TEST(listed == ids, boost::test_tools::per_element());

    // before_id: the page right before it, oldest first; has_more looks backwards.
    const invite_page before = list_page(s, "limit=3&before_id=" + ids[6]);
    BOOST_TEST(before.ids == (std::vector<std::string>{ids[3], ids[4], ids[5]}), boost::test_tools::per_element());
    BOOST_TEST(before.has_more);
    const invite_page first = list_page(s, "before_id=" + ids[2]);
    BOOST_TEST(first.ids == (std::vector<std::string>{ids[0], ids[1]}), boost::test_tools::per_element());
    BOOST_TEST(!first.has_more);
    const invite_page past_the_end = list_page(s, "after_id=" + ids[6]);
    BOOST_TEST(past_the_end.ids.empty());
    BOOST_TEST(!past_the_end.has_more);
}

BOOST_AUTO_TEST_CASE(limit_defaults_to_20_and_accepts_1_to_1000)
{
    server s;
    const std::vector<std::string> ids = create_invites(s, 21);
    const invite_page page = list_page(s, "");
    BOOST_TEST(page.ids.size() == 20u);
    BOOST_TEST(page.has_more);
    BOOST_TEST(list_page(s, "limit=1").ids.size() == 1u);
    BOOST_TEST(list_page(s, "limit=1000").ids.size() == 21u);
}

BOOST_AUTO_TEST_CASE(list_queries_outside_the_contract_are_400)
{
    server s;
    create_invites(s, 2);
    for (const std::string query : {"limit=0", "limit=1001", "limit=-1", "limit=ten", "limit=", "limit=2&limit=2",
                                    "page_size=2", "limit=2&cursor=x", "after_id=a&before_id=b", "limit=%zz"})
        BOOST_TEST_CONTEXT(query) { expect_refused(s, v, list_request(s, v, query), 400); }
    // A cursor naming no invite.
    const test_response unknown = send_once(s, v, list_request(s, v, "after_id=invite_000000000000000000000000"));
    BOOST_TEST(unknown.status == 404u);
    simdjson::dom::parser parser;
    BOOST_TEST(text(parse_json(parser, unknown.body)["error"]["type"]) == "not_found_error");
    expect_refused(s, v, list_request(s, v, "before_id=nope"), 404);
}

BOOST_AUTO_TEST_CASE(list_needs_the_create_calls_headers_and_no_body)
{
    server s;
    expect_refused(s, v, without_header(list_request(s, v), "x-api-key"), 401);
    expect_refused(s, v, with_header(list_request(s, v), "x-api-key", "sk-ant-admin-wrong"), 401);
    expect_refused(s, v, without_header(list_request(s, v), "anthropic-version"), 400);
    expect_refused(s, v, with_header(list_request(s, v), "anthropic-version", "2024-01-01"), 400);
    const std::string message = expect_refused(s, v, with_body(list_request(s, v), "{}"), 400);
    BOOST_TEST(message.find("body") != std::string::npos, message);
    // An explicit empty body is no body.
    expect_accepted(s, v, with_header(list_request(s, v), "Content-Type", "application/json"));
}

BOOST_AUTO_TEST_CASE(only_the_newest_invites_are_kept)
{
    options o;
    o.invitations_kept = 3;
    server s(o);
    const std::vector<std::string> ids = create_invites(s, 5);
    BOOST_TEST(list_page(s, "").ids == (std::vector<std::string>{ids[2], ids[3], ids[4]}),
               boost::test_tools::per_element());
    // A cursor that was forgotten is unknown.
    expect_refused(s, v, list_request(s, v, "after_id=" + ids[0]), 404);
    s.reset();
    BOOST_TEST(list_page(s, "").ids.empty());
}

BOOST_AUTO_TEST_CASE(without_recording_nothing_is_kept)
{
    options o;
    o.record = false;
    server s(o);
    create_invites(s, 2);
    BOOST_TEST(list_page(s, "").ids.empty());
}

BOOST_AUTO_TEST_SUITE_END()
