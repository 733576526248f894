// The strict Nimbus emulator itself (tests/e2e/support/nimbus_vendor.hpp): what it refuses
// and what it answers, seen from a plain HTTP client, so that a provider test passing
// against it proves the gateway sent what the contract asks.

#include "tests/e2e/support/nimbus_vendor.hpp"
#include "tests/emulator/test_client.hpp"

#include <boost/test/unit_test.hpp>
#include <simdjson.h>

#include <chrono>
#include <set>

using namespace igw;
using namespace igw::e2e;
using igw::emulator::test_client;
using igw::emulator::test_request;
using igw::emulator::test_response;

namespace {

constexpr std::string_view token = "nimbus-token-0123";
constexpr std::string_view workspace = "ws_7Q2";

struct nimbus_fixture {
    nimbus_vendor vendor{std::string(token), std::string(workspace), {10, 20}, {7, 8, 9}};

    test_request request(std::string method, std::string target, std::string body = {}) const
    {
        test_request r;
        r.method = std::move(method);
        r.target = std::move(target);
        r.headers = {{"Authorization", "Token " + std::string(token)}, {"Accept", std::string(nimbus_media_type)}};
        if (!body.empty())
            r.headers.emplace_back("Content-Type", "application/json");
        r.body = std::move(body);
        return r;
    }

    test_request create(std::string_view email) const
    {
        return request("POST", vendor.invitations_path(),
                       R"({"email":")" + std::string(email) +
                           R"(","role_id":20,"team_ids":[7,9],"send_notification":true})");
    }

    test_request list(std::string query = {}) const { return request("GET", vendor.invitations_path() + query); }

    // On a fresh connection, so that a closed one never hides a reply.
    test_response send(const test_request& r) const
    {
        test_client client("127.0.0.1", vendor.port());
        return client.send(r);
    }

    // The error code of a refusal with `status`, checked to be in the contract's shape.
    std::string refused(const test_request& r, unsigned status) const
    {
        const test_response response = send(r);
        BOOST_TEST_REQUIRE(response.ok(), response.error);
        BOOST_TEST(response.status == status, "status " << response.status << " body " << response.body);
        simdjson::dom::parser parser;
        simdjson::dom::element root;
        BOOST_TEST_REQUIRE(!parser.parse(response.body).get(root), response.body);
        std::string_view code, message;
        BOOST_TEST_REQUIRE(!root["error"]["code"].get(code), response.body);
        BOOST_TEST_REQUIRE(!root["error"]["message"].get(message), response.body);
        BOOST_TEST(!message.empty());
        return std::string(code);
    }
};

test_request with_headers(test_request r, std::vector<std::pair<std::string, std::string>> headers)
{
    r.headers = std::move(headers);
    return r;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(nimbus_vendor_contract, nimbus_fixture)

BOOST_AUTO_TEST_CASE(create_answers_201_with_integer_ids_and_unix_expiry)
{
    const auto before = std::chrono::system_clock::now();
    const test_response response = send(create("New.Person@Example.TEST"));
    BOOST_TEST_REQUIRE(response.ok(), response.error);
    BOOST_TEST_REQUIRE(response.status == 201u, response.body);
    simdjson::dom::parser parser;
    const simdjson::dom::element invitation = parser.parse(response.body)["invitation"];
    BOOST_TEST(std::int64_t(invitation["id"]) == 90001);
    BOOST_TEST(std::string_view(invitation["email"]) == "new.person@example.test");
    BOOST_TEST(std::int64_t(invitation["role_id"]) == 20);
    const simdjson::dom::array teams = invitation["team_ids"];
    BOOST_TEST(teams.size() == 2u);
    BOOST_TEST(std::int64_t(teams.at(1)) == 9);
    BOOST_TEST(std::string_view(invitation["state"]) == "pending");
    const std::int64_t expires = invitation["expires_at"];
    const std::int64_t expected =
        std::chrono::duration_cast<std::chrono::seconds>((before + std::chrono::days(14)).time_since_epoch()).count();
    BOOST_TEST(expires >= expected - 1);
    BOOST_TEST(expires <= expected + 60);
    BOOST_TEST(std::int64_t(invitation["expires_at_ms"]) == expires * 1000);

    const auto made = vendor.invitations();
    BOOST_TEST_REQUIRE(made.size() == 1u);
    BOOST_TEST(made[0].id == 90001);
    BOOST_TEST(made[0].email == "new.person@example.test");
    BOOST_TEST(made[0].expires_at == expires);

    // Ids are sequential.
    const test_response second = send(create("second@example.test"));
    BOOST_TEST_REQUIRE(second.status == 201u, second.body);
    BOOST_TEST(std::int64_t(parser.parse(second.body)["invitation"]["id"]) == 90002);
}

BOOST_AUTO_TEST_CASE(a_second_invite_for_the_same_email_is_409_with_the_existing_id)
{
    const std::int64_t id = vendor.seed("taken@example.test");
    const test_response response = send(create("TAKEN@example.test"));
    BOOST_TEST_REQUIRE(response.ok(), response.error);
    BOOST_TEST(response.status == 409u, response.body);
    simdjson::dom::parser parser;
    const simdjson::dom::element error = parser.parse(response.body)["error"];
    BOOST_TEST(std::string_view(error["code"]) == "already_invited");
    BOOST_TEST(std::string_view(error["message"]) == "taken@example.test already has a pending invitation");
    BOOST_TEST(std::int64_t(error["invitation_id"]) == id);
    BOOST_TEST(vendor.invitations().size() == 1u);
}

BOOST_AUTO_TEST_CASE(accept_must_be_the_vendor_media_type_exactly_once)
{
    const std::pair<std::string, std::string> auth{"Authorization", "token " + std::string(token)};
    const std::pair<std::string, std::string> vnd{"Accept", std::string(nimbus_media_type)};
    const std::pair<std::string, std::string> json{"Accept", "application/json"};
    // The bug this vendor exists for: the gateway's default Accept sent beside the provider's.
    BOOST_TEST(refused(with_headers(list(), {auth, json, vnd}), 415) == "unsupported_media_type");
    BOOST_TEST(refused(with_headers(list(), {auth, vnd, json}), 415) == "unsupported_media_type");
    BOOST_TEST(refused(with_headers(list(), {auth, vnd, vnd}), 415) == "unsupported_media_type");
    BOOST_TEST(refused(with_headers(list(), {auth, json}), 415) == "unsupported_media_type");
    BOOST_TEST(refused(with_headers(list(), {auth}), 415) == "unsupported_media_type");
    BOOST_TEST(refused(with_headers(create("a@example.test"), {auth, json, {"Content-Type", "application/json"}}),
                       415) == "unsupported_media_type");
    // The scheme is case-insensitive ("token" above), the media type is not a pattern.
    BOOST_TEST(send(with_headers(list(), {auth, vnd})).status == 200u);
    BOOST_TEST(refused(with_headers(list(), {auth, {"Accept", "application/vnd.nimbus.v3+json, */*"}}), 415) ==
               "unsupported_media_type");
    BOOST_TEST(vendor.invitations().empty());
}

BOOST_AUTO_TEST_CASE(a_missing_or_wrong_token_is_401)
{
    const std::pair<std::string, std::string> vnd{"Accept", std::string(nimbus_media_type)};
    BOOST_TEST(refused(with_headers(list(), {vnd}), 401) == "unauthenticated");
    BOOST_TEST(refused(with_headers(list(), {{"Authorization", "Token wrong"}, vnd}), 401) == "unauthenticated");
    BOOST_TEST(refused(with_headers(list(), {{"Authorization", "Bearer " + std::string(token)}, vnd}), 401) ==
               "unauthenticated");
    BOOST_TEST(refused(with_headers(create("a@example.test"), {vnd, {"Content-Type", "application/json"}}), 401) ==
               "unauthenticated");
    BOOST_TEST(vendor.invitations().empty());
}

BOOST_AUTO_TEST_CASE(paths_workspaces_and_methods_outside_the_contract_are_refused)
{
    test_request other_workspace = list();
    other_workspace.target = "/api/v3/workspaces/ws_other/invitations";
    BOOST_TEST(refused(other_workspace, 404) == "not_found");
    test_request other_path = list();
    other_path.target = "/api/v2/workspaces/" + std::string(workspace) + "/invitations";
    BOOST_TEST(refused(other_path, 404) == "not_found");
    test_request put = create("a@example.test");
    put.method = "PUT";
    BOOST_TEST(refused(put, 405) == "method_not_allowed");
    BOOST_TEST(send(put).header("Allow").value_or("") == "GET, POST");
}

BOOST_AUTO_TEST_CASE(create_bodies_outside_the_contract_are_400)
{
    const std::string path = vendor.invitations_path();
    const auto body = [&](std::string json) { return request("POST", path, std::move(json)); };
    const std::vector<std::string> bad{
        R"({"email":"a@example.test","role_id":20,"team_ids":[7],"send_notification":true,"note":"hi"})",
        R"({"email":"a@example.test","email":"b@example.test","role_id":20,"team_ids":[7],"send_notification":true})",
        R"({"email":"a@example.test","role_id":20,"team_ids":["7"],"send_notification":true})",
        R"({"email":"a@example.test","role_id":20,"team_ids":[7.5],"send_notification":true})",
        R"({"email":"a@example.test","role_id":"20","team_ids":[7],"send_notification":true})",
        R"({"email":"a@example.test","role_id":30,"team_ids":[7],"send_notification":true})",
        R"({"email":"a@example.test","role_id":20,"team_ids":[6],"send_notification":true})",
        R"({"email":"a@example.test","role_id":20,"team_ids":[],"send_notification":true})",
        R"({"email":"a@example.test","role_id":20,"team_ids":7,"send_notification":true})",
        R"({"email":"a@example.test","role_id":20,"team_ids":[7],"send_notification":"yes"})",
        R"({"email":"a@example.test","role_id":20,"team_ids":[7]})",
        R"({"role_id":20,"team_ids":[7],"send_notification":true})",
        R"({"email":"not an email","role_id":20,"team_ids":[7],"send_notification":true})",
        R"({"email":"a@example.test","role_id":20,"team_ids":[7],"send_notification":true} [])",
        R"({"email":"a@example.test","role_id":20,"team_ids":[7],"send_notification":true)",
        R"([])",
    };
    for (const std::string& json : bad)
        BOOST_TEST_CONTEXT(json) { BOOST_TEST(refused(body(json), 400) == "invalid_request"); }
    std::string many_teams = "[7";
    for (int i = 0; i < 20; ++i)
        many_teams += ",8";
    BOOST_TEST(refused(body(R"({"email":"a@example.test","role_id":20,"team_ids":)" + many_teams +
                            R"(],"send_notification":true})"),
                       400) == "invalid_request");

    test_request untyped = create("a@example.test");
    untyped.headers.pop_back(); // Content-Type
    BOOST_TEST(refused(untyped, 415) == "unsupported_media_type");
    BOOST_TEST(vendor.invitations().empty());
}

BOOST_AUTO_TEST_CASE(list_queries_outside_the_contract_are_400)
{
    for (const std::string query :
         {"?page_size=0", "?page_size=101", "?page_size=ten", "?page_size=", "?page_size=+5",
          "?page_size=3&page_size=3", "?cursor=c0000000000000000", "?limit=3", "?page_size=3&extra=1", "?cursor=%zz"})
        BOOST_TEST_CONTEXT(query) { BOOST_TEST(refused(list(query), 400) == "invalid_request"); }

    test_request with_body = list();
    with_body.body = "{}";
    BOOST_TEST(refused(with_body, 400) == "invalid_request");
    BOOST_TEST(send(list("?page_size=100")).status == 200u);
}

BOOST_AUTO_TEST_CASE(seven_invitations_in_pages_of_three_take_three_pages)
{
    std::vector<std::int64_t> created;
    for (int i = 0; i < 7; ++i)
        created.push_back(vendor.seed("person" + std::to_string(i) + "@example.test"));

    std::vector<std::int64_t> listed;
    std::set<std::string> cursors;
    std::string query = "?page_size=3";
    std::vector<std::size_t> page_sizes;
    for (int page = 0; page < 5; ++page) {
        const test_response response = send(list(query));
        BOOST_TEST_REQUIRE(response.ok(), response.error);
        BOOST_TEST_REQUIRE(response.status == 200u, response.body);
        simdjson::dom::parser parser;
        const simdjson::dom::element root = parser.parse(response.body);
        const simdjson::dom::array invitations = root["invitations"];
        page_sizes.push_back(invitations.size());
        for (const simdjson::dom::element invitation : invitations) {
            listed.push_back(std::int64_t(invitation["id"]));
            BOOST_TEST(std::string_view(invitation["state"]) == "pending");
            BOOST_TEST(std::string_view(invitation["email"]).ends_with("@example.test"));
            BOOST_TEST(std::int64_t(invitation["expires_at"]) > 0);
        }
        if (root["next_cursor"].is_null())
            break;
        const std::string cursor{std::string_view(root["next_cursor"])};
        BOOST_TEST(cursors.insert(cursor).second);
        // Parameters in any order.
        query = "?cursor=" + cursor + "&page_size=3";
    }
    BOOST_TEST(page_sizes == (std::vector<std::size_t>{3, 3, 1}), boost::test_tools::per_element());
    BOOST_TEST(listed == created, boost::test_tools::per_element());

    // The default page size (25) holds all seven on one page.
    simdjson::dom::parser parser;
    const test_response all = send(list());
    const simdjson::dom::element root = parser.parse(all.body);
    BOOST_TEST(simdjson::dom::array(root["invitations"]).size() == 7u);
    BOOST_TEST(root["next_cursor"].is_null());
}

BOOST_AUTO_TEST_CASE(drop_after_create_creates_and_closes_without_a_reply)
{
    vendor.drop_after_create("Lost@Example.test");
    const test_response dropped = send(create("lost@example.test"));
    BOOST_TEST(!dropped.ok());
    const auto made = vendor.invitations();
    BOOST_TEST_REQUIRE(made.size() == 1u);
    BOOST_TEST(made[0].email == "lost@example.test");
    // Armed once: a retry finds the invitation the dropped call made.
    BOOST_TEST(refused(create("lost@example.test"), 409) == "already_invited");
}

BOOST_AUTO_TEST_CASE(drop_before_create_closes_and_creates_nothing)
{
    vendor.drop_before_create("never@example.test");
    BOOST_TEST(!send(create("never@example.test")).ok());
    BOOST_TEST(vendor.invitations().empty());
    BOOST_TEST(send(create("never@example.test")).status == 201u);
}

BOOST_AUTO_TEST_CASE(failed_lookups_answer_the_status_then_recover)
{
    vendor.seed("x@example.test");
    vendor.fail_lookups(500, 2);
    BOOST_TEST(refused(list(), 500) == "internal");
    BOOST_TEST(refused(list(), 500) == "internal");
    BOOST_TEST(send(list()).status == 200u);
}

BOOST_AUTO_TEST_CASE(requests_are_kept_with_their_headers_in_order)
{
    test_request twice = list();
    twice.headers.emplace_back("Accept", "application/json");
    (void)send(twice);
    const auto seen = vendor.requests();
    BOOST_TEST_REQUIRE(seen.size() == 1u);
    std::vector<std::string> accepts;
    for (const auto& [name, value] : seen[0].headers)
        if (name == "Accept")
            accepts.push_back(value);
    BOOST_TEST(accepts == (std::vector<std::string>{std::string(nimbus_media_type), "application/json"}),
               boost::test_tools::per_element());
    BOOST_TEST(seen[0].method == "GET");
}

BOOST_AUTO_TEST_SUITE_END()
