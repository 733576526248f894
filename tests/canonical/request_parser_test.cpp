// docs/api.md "2. Canonical request": what the canonical request accepts, and the exact problem it answers with
// otherwise. Each rule has an accepted case and a rejected one.

#include "gateway/canonical/request_parser.hpp"
#include "tests/canonical/support/parser_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace igw::canonical;
using namespace igw::canonical::testing;

namespace {

constexpr std::string_view unknown_top_member =
    "unknown member; the request may only have \"invitations\", \"targets\" and \"send_email\"";
constexpr std::string_view unknown_item_member =
    "unknown member; an invitation may only have \"email\", \"role\" and \"ref\"";
constexpr std::string_view roles_list = "admin, developer, member, billing";

std::string one_invitation(std::string_view extra_members = "")
{
    return R"({"invitations":[{"email":"a@example.com","role":"admin"}])" + std::string(extra_members) + "}";
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(request_parser_rules, parser_fixture)

// --- accepted requests -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(accepts_the_spec_example_and_normalises_it)
{
    const invite_request request = accepted(R"({
      "invitations": [
        {"email": "  Jane.Doe@Example.com ", "role": "developer", "ref": "crm-8812"},
        {"email": "ops@example.com", "role": "admin"}
      ],
      "targets": ["gamma", "alpha"],
      "send_email": false
    })");
    BOOST_REQUIRE_EQUAL(request.invitations.size(), 2u);
    BOOST_TEST(request.invitations[0].email == "jane.doe@example.com");
    BOOST_TEST(request.invitations[0].role == 1u);
    BOOST_TEST(request.invitations[0].ref.value_or("<none>") == "crm-8812");
    BOOST_TEST(request.invitations[1].email == "ops@example.com");
    BOOST_TEST(request.invitations[1].role == 0u);
    BOOST_TEST(!request.invitations[1].ref.has_value());
    // Route order, not the client's order.
    BOOST_TEST(request.targets == (std::vector<std::uint32_t>{0, 2}), boost::test_tools::per_element());
    BOOST_TEST(request.send_email == false);
}

BOOST_AUTO_TEST_CASE(defaults_to_every_route_target_and_sending_email)
{
    const invite_request request = accepted(one_invitation());
    BOOST_TEST(request.targets == (std::vector<std::uint32_t>{0, 1, 2, 3}), boost::test_tools::per_element());
    BOOST_TEST(request.send_email == true);
    BOOST_TEST(accepted(one_invitation(R"(,"send_email":true)")).send_email == true);
}

BOOST_AUTO_TEST_CASE(member_names_are_compared_after_unescaping)
{
    const invite_request request = accepted(
        R"({"invit\u0061tions":[{"em\u0061il":"A\u0040example.com","role":"\u0061dmin"}]})");
    BOOST_REQUIRE_EQUAL(request.invitations.size(), 1u);
    BOOST_TEST(request.invitations[0].email == "a@example.com");
    BOOST_TEST(request.invitations[0].role == 0u);
}

BOOST_AUTO_TEST_CASE(every_role_resolves_to_its_index)
{
    const invite_request request = accepted(R"({"invitations":[
        {"email":"a@example.com","role":"billing"},{"email":"b@example.com","role":"member"},
        {"email":"c@example.com","role":"developer"},{"email":"d@example.com","role":"admin"}]})");
    BOOST_REQUIRE_EQUAL(request.invitations.size(), 4u);
    BOOST_TEST(request.invitations[0].role == 3u);
    BOOST_TEST(request.invitations[1].role == 2u);
    BOOST_TEST(request.invitations[2].role == 1u);
    BOOST_TEST(request.invitations[3].role == 0u);
}

BOOST_AUTO_TEST_CASE(keeps_items_in_request_order)
{
    std::string body = R"({"invitations":[)";
    for (int i = 0; i < 50; ++i)
        body += std::string(i ? "," : "") + R"({"email":"user)" + std::to_string(i) +
                R"(@example.com","role":"member","ref":")" + std::to_string(i) + "\"}";
    body += "]}";
    const invite_request request = accepted(body);
    BOOST_REQUIRE_EQUAL(request.invitations.size(), 50u);
    for (std::size_t i = 0; i < 50; ++i) {
        BOOST_TEST(request.invitations[i].email == "user" + std::to_string(i) + "@example.com");
        BOOST_TEST(request.invitations[i].ref.value_or("") == std::to_string(i));
    }
}

// --- the top level -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(top_level_must_be_an_object)
{
    BOOST_TEST(problem_json("[]") == expected_invalid({{"", "must be a JSON object"}}));
    BOOST_TEST(problem_json(R"([{"invitations":[]}])") == expected_invalid({{"", "must be a JSON object"}}));
    BOOST_TEST(problem_json(R"("invitations")") == expected_invalid({{"", "must be a JSON object"}}));
    BOOST_TEST(problem_json("42") == expected_invalid({{"", "must be a JSON object"}}));
    BOOST_TEST(problem_json(" null ") == expected_invalid({{"", "must be a JSON object"}}));
}

BOOST_AUTO_TEST_CASE(invitations_is_required)
{
    BOOST_TEST(problem_json("{}") == expected_invalid({{"/invitations", "is required"}}));
    BOOST_TEST(problem_json(R"({"send_email":true})") == expected_invalid({{"/invitations", "is required"}}));
}

BOOST_AUTO_TEST_CASE(unknown_top_level_members_are_named_with_escaped_pointers)
{
    BOOST_TEST(problem_json(one_invitation(R"(,"sendEmail":false)")) ==
               expected_invalid({{"/sendEmail", unknown_top_member}}));
    BOOST_TEST(problem_json(one_invitation(R"(,"a/b~c":1,"":2)")) ==
               expected_invalid({{"/a~1b~0c", unknown_top_member}, {"/", unknown_top_member}}));
}

BOOST_AUTO_TEST_CASE(duplicate_top_level_members_are_rejected)
{
    BOOST_TEST(problem_json(one_invitation(R"(,"send_email":true,"send_email":false)")) ==
               expected_invalid({{"/send_email", "duplicate member \"send_email\""}}));
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"a@example.com","role":"admin"}],"invitations":[]})") ==
               expected_invalid({{"/invitations", "duplicate member \"invitations\""}}));
}

// --- invitations ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(invitations_must_be_an_array)
{
    for (std::string_view value : {R"({})", R"("a@example.com")", "1", "null", "true"})
        BOOST_TEST(problem_json(R"({"invitations":)" + std::string(value) + "}") ==
                   expected_invalid({{"/invitations", "must be an array of invitations"}}));
}

BOOST_AUTO_TEST_CASE(invitations_must_not_be_empty)
{
    BOOST_TEST(problem_json(R"({"invitations":[]})") ==
               expected_invalid({{"/invitations", "must contain at least one invitation"}}));
}

BOOST_AUTO_TEST_CASE(at_most_max_invitations_and_one_error_beyond)
{
    context.max_invitations = 3;
    const std::string item = R"({"email":"a@example.com","role":"admin"})";
    const std::string three = R"({"invitations":[{"email":"a@example.com","role":"admin"},)"
                              R"({"email":"b@example.com","role":"admin"},{"email":"c@example.com","role":"admin"}]})";
    BOOST_TEST(accepted(three).invitations.size() == 3u);
    // Items past the cap are not checked one by one: four broken items, one error.
    BOOST_TEST(problem_json(R"({"invitations":[1,2,3,{"email":5}]})") ==
               expected_invalid({{"/invitations", "must contain at most 3 invitations, not 4"}}));
}

BOOST_AUTO_TEST_CASE(each_invitation_must_be_an_object)
{
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"a@example.com","role":"admin"},"b@example.com",[]]})") ==
               expected_invalid({{"/invitations/1", "must be an object with \"email\" and \"role\""},
                                 {"/invitations/2", "must be an object with \"email\" and \"role\""}}));
}

BOOST_AUTO_TEST_CASE(email_and_role_are_required)
{
    BOOST_TEST(problem_json(R"({"invitations":[{}]})") ==
               expected_invalid({{"/invitations/0/email", "is required"}, {"/invitations/0/role", "is required"}}));
    BOOST_TEST(problem_json(R"({"invitations":[{"role":"admin"},{"email":"b@example.com","ref":"x"}]})") ==
               expected_invalid({{"/invitations/0/email", "is required"}, {"/invitations/1/role", "is required"}}));
}

BOOST_AUTO_TEST_CASE(unknown_and_duplicate_invitation_members_are_rejected)
{
    BOOST_TEST(
        problem_json(R"({"invitations":[{"email":"a@example.com","role":"admin","name":"A","x/y":{}}]})") ==
        expected_invalid({{"/invitations/0/name", unknown_item_member}, {"/invitations/0/x~1y", unknown_item_member}}));
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"a@example.com","role":"admin","role":"member"}]})") ==
               expected_invalid({{"/invitations/0/role", "duplicate member \"role\""}}));
}

BOOST_AUTO_TEST_CASE(members_of_the_wrong_type_are_named)
{
    BOOST_TEST(problem_json(R"({"invitations":[{"email":5,"role":true,"ref":null}]})") ==
               expected_invalid({{"/invitations/0/email", "must be a string"},
                                 {"/invitations/0/role", "must be a string"},
                                 {"/invitations/0/ref", "must be a string"}}));
    BOOST_TEST(problem_json(R"({"invitations":[{"email":["a@example.com"],"role":{"name":"admin"},"ref":7}]})") ==
               expected_invalid({{"/invitations/0/email", "must be a string"},
                                 {"/invitations/0/role", "must be a string"},
                                 {"/invitations/0/ref", "must be a string"}}));
}

BOOST_AUTO_TEST_CASE(invalid_emails_give_the_reason)
{
    BOOST_TEST(
        problem_json(R"({"invitations":[{"email":"jane","role":"admin"},)"
                     R"({"email":"\"jane\"@example.com","role":"admin"},)"
                     R"({"email":"   ","role":"admin"},)"
                     R"({"email":"j\u00f6rg@example.com","role":"admin"}]})") ==
        expected_invalid({{"/invitations/0/email", "invalid email address: '@' is missing"},
                          {"/invitations/1/email", "invalid email address: quoted local parts are not supported"},
                          {"/invitations/2/email", "invalid email address: the address is empty"},
                          {"/invitations/3/email",
                           "invalid email address: internationalised addresses (non-ASCII characters) are not "
                           "supported"}}));
}

BOOST_AUTO_TEST_CASE(roles_must_be_configured_and_match_exactly)
{
    BOOST_TEST(accepted(R"({"invitations":[{"email":"a@example.com","role":"member"}]})").invitations[0].role == 2u);
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"a@example.com","role":"owner"},)"
                            R"({"email":"b@example.com","role":"Admin"}]})") ==
               expected_invalid({{"/invitations/0/role", "unknown role \"owner\"; the roles are: admin, developer, "
                                                         "member, billing"},
                                 {"/invitations/1/role", "unknown role \"Admin\"; the roles are: admin, developer, "
                                                         "member, billing"}}));
}

BOOST_AUTO_TEST_CASE(ref_is_optional_and_at_most_256_bytes)
{
    const std::string ref_256(256, 'r');
    const invite_request request = accepted(R"({"invitations":[{"email":"a@example.com","role":"admin","ref":")" +
                                            ref_256 + "\"}]}");
    BOOST_TEST(request.invitations[0].ref.value_or("") == ref_256);
    BOOST_TEST(accepted(R"({"invitations":[{"email":"a@example.com","role":"admin","ref":""}]})")
                   .invitations[0]
                   .ref.value_or("<none>") == "");
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"a@example.com","role":"admin","ref":")" + ref_256 +
                            "r\"}]}") == expected_invalid({{"/invitations/0/ref", "must be at most 256 bytes long"}}));
}

BOOST_AUTO_TEST_CASE(duplicate_emails_after_normalisation_name_the_first)
{
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"Jane@Example.com","role":"admin"},)"
                            R"({"email":"other@example.com","role":"admin"},)"
                            R"({"email":" jane@example.COM","role":"member"},)"
                            R"({"email":"JANE@EXAMPLE.COM","role":"billing"}]})") ==
               expected_invalid({{"/invitations/2/email", "duplicate of /invitations/0/email (the same address once "
                                                          "trimmed and lower-cased)"},
                                 {"/invitations/3/email", "duplicate of /invitations/0/email (the same address once "
                                                          "trimmed and lower-cased)"}}));
    BOOST_TEST(accepted(R"({"invitations":[{"email":"jane@example.com","role":"admin"},)"
                        R"({"email":"jane@example.org","role":"admin"}]})")
                   .invitations.size() == 2u);
}

// --- targets -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(targets_are_returned_in_route_order_without_duplicates)
{
    const invite_request request = accepted(one_invitation(R"(,"targets":["delta","beta","alpha"])"));
    BOOST_TEST(request.targets == (std::vector<std::uint32_t>{0, 1, 3}), boost::test_tools::per_element());
    BOOST_TEST(accepted(one_invitation(R"(,"targets":["gamma"])")).targets == (std::vector<std::uint32_t>{2}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(targets_must_be_a_non_empty_array_of_known_unique_names)
{
    BOOST_TEST(problem_json(one_invitation(R"(,"targets":"alpha")")) ==
               expected_invalid({{"/targets", "must be an array of target names"}}));
    BOOST_TEST(problem_json(one_invitation(R"(,"targets":null)")) ==
               expected_invalid({{"/targets", "must be an array of target names"}}));
    BOOST_TEST(problem_json(one_invitation(R"(,"targets":[])")) ==
               expected_invalid(
                   {{"/targets", "must name at least one target; leave it out to use all of the route's targets"}}));
    BOOST_TEST(problem_json(one_invitation(R"(,"targets":["alpha","omega","alpha",3,"Beta"])")) ==
               expected_invalid({{"/targets/1", "unknown target \"omega\"; this route's targets are: alpha, beta, "
                                                "gamma, delta"},
                                 {"/targets/2", "duplicate of /targets/0"},
                                 {"/targets/3", "must be a string"},
                                 {"/targets/4", "unknown target \"Beta\"; this route's targets are: alpha, beta, "
                                                "gamma, delta"}}));
}

// --- send_email ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(send_email_must_be_a_boolean)
{
    BOOST_TEST(accepted(one_invitation(R"(,"send_email":false)")).send_email == false);
    for (std::string_view value : {R"("false")", "0", "null", "[]"})
        BOOST_TEST(problem_json(one_invitation(R"(,"send_email":)" + std::string(value))) ==
                   expected_invalid({{"/send_email", "must be true or false"}}));
}

// --- reporting -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(every_problem_is_reported_in_document_order)
{
    BOOST_TEST(problem_json(R"({"targets":["nope"],"invitations":[{"email":"bad","role":"god","extra":1},)"
                            R"({"email":"ok@example.com"}],"send_email":"yes","x":0})") ==
               expected_invalid({{"/targets/0", "unknown target \"nope\"; this route's targets are: alpha, beta, "
                                                "gamma, delta"},
                                 {"/invitations/0/email", "invalid email address: '@' is missing"},
                                 {"/invitations/0/role", "unknown role \"god\"; the roles are: admin, developer, "
                                                         "member, billing"},
                                 {"/invitations/0/extra", unknown_item_member},
                                 {"/invitations/1/role", "is required"},
                                 {"/send_email", "must be true or false"},
                                 {"/x", unknown_top_member}}));
}

BOOST_AUTO_TEST_CASE(the_error_list_is_capped_with_a_count_of_the_rest)
{
    // 60 items with two errors each: 120 problems, 99 listed, then the count of the rest.
    std::string body = R"({"invitations":[)";
    std::vector<expected_error> listed;
    std::vector<std::string> pointers;
    pointers.reserve(120);
    for (int i = 0; i < 60; ++i) {
        body += i ? "," : "";
        body += R"({"email":1,"role":2})";
        pointers.push_back("/invitations/" + std::to_string(i) + "/email");
        pointers.push_back("/invitations/" + std::to_string(i) + "/role");
    }
    body += "]}";
    for (std::size_t i = 0; i < 99; ++i)
        listed.push_back({pointers[i], "must be a string"});
    listed.push_back({"", "... and 21 more problems, not listed"});
    BOOST_TEST(problem_json(body) == expected_invalid(120, listed));
}

BOOST_AUTO_TEST_CASE(exactly_the_cap_is_listed_in_full)
{
    std::string body = R"({"invitations":[)";
    std::vector<expected_error> listed;
    std::vector<std::string> pointers;
    pointers.reserve(100);
    for (int i = 0; i < 50; ++i) {
        body += i ? "," : "";
        body += R"({"email":1,"role":2})";
        pointers.push_back("/invitations/" + std::to_string(i) + "/email");
        pointers.push_back("/invitations/" + std::to_string(i) + "/role");
    }
    body += "]}";
    for (const std::string& pointer : pointers)
        listed.push_back({pointer, "must be a string"});
    BOOST_TEST(problem_json(body) == expected_invalid(100, listed));
}

// --- size and syntax -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(bodies_over_the_limit_are_413)
{
    const std::string body = one_invitation();
    context.max_body_bytes = body.size();
    accepted(body);
    context.max_body_bytes = body.size() - 1;
    BOOST_TEST(problem_json(body) == expected_problem("/problems/payload-too-large", "Payload too large", 413,
                                                      "the request body is larger than the limit of " +
                                                          std::to_string(body.size() - 1) + " bytes",
                                                      {}));
}

BOOST_AUTO_TEST_CASE(malformed_json_is_400_with_one_error)
{
    const std::string structure =
        "the request body is not valid JSON: the structure is invalid (a comma, colon, bracket, brace or quote is "
        "missing or out of place)";
    BOOST_TEST(problem_json("") == expected_malformed("the request body is empty"));
    BOOST_TEST(problem_json(" \r\n\t ") == expected_malformed("the request body is empty"));
    BOOST_TEST(problem_json("{") == expected_malformed(structure));
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"a@example.com","role":"admin"}])") ==
               expected_malformed(structure));
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"a@example.com","role":"admin",}]})") ==
               expected_malformed(structure));
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"a@example.com" "role":"admin"}]})") ==
               expected_malformed(structure));
    BOOST_TEST(problem_json(R"({'invitations':[]})") == expected_malformed(structure));
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"a@example.com","role":"admin"}]]})") ==
               expected_malformed(structure));
    BOOST_TEST(problem_json(R"({"invitations" [{"email":"a@example.com","role":"admin"}]})") ==
               expected_malformed(structure));
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"a@example.com","role":"admin"}})") ==
               expected_malformed(structure));
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"a@example.com","role":"admin"}],"send_email":tru})") ==
               expected_malformed("the request body is not valid JSON: a value is not a string, number, object, "
                                  "array, true, false or null"));
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"a@example.com","role":"admin"}],"x":01})") ==
               expected_malformed("the request body is not valid JSON: a number is not valid"));
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"a@exa\mple.com","role":"admin"}]})") ==
               expected_malformed("the request body is not valid JSON: a string contains an invalid escape sequence"));
    BOOST_TEST(problem_json("{\"invitations\":[{\"email\":\"a@example.com\n\",\"role\":\"admin\"}]}") ==
               expected_malformed("the request body is not valid JSON: a string contains an unescaped control "
                                  "character"));
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"a@example.com","role":"admin}]})") ==
               expected_malformed("the request body is not valid JSON: a string is not closed"));
    // Lone scalars are checked as closely as values inside the object.
    BOOST_TEST(problem_json(R"("\q")") ==
               expected_malformed("the request body is not valid JSON: a string contains an invalid escape sequence"));
    BOOST_TEST(problem_json("-") == expected_malformed("the request body is not valid JSON: a number is not valid"));
    BOOST_TEST(problem_json("nul") ==
               expected_malformed("the request body is not valid JSON: a value is not a string, number, object, "
                                  "array, true, false or null"));
}

BOOST_AUTO_TEST_CASE(trailing_content_is_malformed)
{
    BOOST_TEST(problem_json(one_invitation() + "}") ==
               expected_malformed("the request body is not valid JSON: unexpected content after the JSON value at "
                                  "byte " +
                                  std::to_string(one_invitation().size())));
    BOOST_TEST(problem_json(one_invitation() + one_invitation()) ==
               expected_malformed("the request body is not valid JSON: unexpected content after the JSON value at "
                                  "byte " +
                                  std::to_string(one_invitation().size())));
    BOOST_TEST(problem_json("[1] [2]") ==
               expected_malformed("the request body is not valid JSON: unexpected content after the JSON value at "
                                  "byte 4"));
    // simdjson catches a root object not closed by the last token before we iterate.
    BOOST_TEST(problem_json(one_invitation() + " x") ==
               expected_malformed("the request body is not valid JSON: the structure is invalid (a comma, colon, "
                                  "bracket, brace or quote is missing or out of place)"));
    BOOST_TEST(problem_json("42 43") ==
               expected_malformed("the request body is not valid JSON: unexpected content after the JSON value"));
    BOOST_TEST(problem_json(R"("a" "b")") ==
               expected_malformed("the request body is not valid JSON: unexpected content after the JSON value"));
    // Whitespace after the value is not content.
    accepted(one_invitation() + " \r\n\t");
}

BOOST_AUTO_TEST_CASE(syntax_errors_win_over_rule_errors)
{
    BOOST_TEST(problem_json(R"({"invitations":5,"x":[1,2,]})") ==
               expected_malformed("the request body is not valid JSON: the structure is invalid (a comma, colon, "
                                  "bracket, brace or quote is missing or out of place)"));
    // Values the parser has no use for are still checked to be JSON.
    BOOST_TEST(problem_json(one_invitation(R"(,"x":{"y":[true,fals]})")) ==
               expected_malformed("the request body is not valid JSON: a value is not a string, number, object, "
                                  "array, true, false or null"));
    BOOST_TEST(problem_json(one_invitation(R"(,"x":{"y":"\x"})")) ==
               expected_malformed("the request body is not valid JSON: a string contains an invalid escape sequence"));
    BOOST_TEST(problem_json(one_invitation(R"(,"x":{"y":1.})")) ==
               expected_malformed("the request body is not valid JSON: a number is not valid"));
}

BOOST_AUTO_TEST_CASE(numbers_beyond_double_range_are_still_json)
{
    // Valid JSON numbers that no C++ type holds: the member is unknown, the JSON fine.
    BOOST_TEST(problem_json(one_invitation(R"(,"x":[1e999999,-123456789012345678901234567890,0.5E-3])")) ==
               expected_invalid({{"/x", unknown_top_member}}));
}

BOOST_AUTO_TEST_SUITE_END()
