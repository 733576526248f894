// The problem+json writer and the shared problem factories.

#include "gateway/canonical/problems.hpp"
#include "tests/canonical/support/parser_fixture.hpp"

#include <boost/test/unit_test.hpp>
#include <simdjson.h>

#include <string>
#include <string_view>
#include <utility>

using namespace igw::canonical;
using igw::canonical::testing::expected_problem;

namespace {

std::string json_of(const problem& p)
{
    std::string out;
    p.write_json(out);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(problem_writer)

BOOST_AUTO_TEST_CASE(writes_members_in_order_and_omits_empty_errors)
{
    problem p;
    p.status = 404;
    p.type = "/problems/not-found";
    p.title = "Not found";
    p.detail = "nothing here";
    BOOST_TEST(json_of(p) ==
               R"({"type":"/problems/not-found","title":"Not found","status":404,"detail":"nothing here"})");
}

BOOST_AUTO_TEST_CASE(writes_every_error_with_pointer_and_detail)
{
    problem p;
    p.status = 422;
    p.type = "/problems/invalid-request";
    p.title = "Invalid request";
    p.detail = "2 problems in the request";
    p.errors = {{"/invitations/0/email", "must be a string"}, {"", "whole body"}};
    BOOST_TEST(json_of(p) == R"({"type":"/problems/invalid-request","title":"Invalid request","status":422,)"
                             R"("detail":"2 problems in the request","errors":[{"pointer":"/invitations/0/email",)"
                             R"("detail":"must be a string"},{"pointer":"","detail":"whole body"}]})");
}

BOOST_AUTO_TEST_CASE(appends_to_the_buffer_it_is_given)
{
    std::string out = "prefix:";
    overloaded_problem().write_json(out);
    BOOST_TEST(out.starts_with("prefix:{\"type\":\"/problems/overloaded\""));
    BOOST_TEST(out.back() == '}');
}

BOOST_AUTO_TEST_CASE(hostile_strings_cannot_change_the_document_structure)
{
    problem p;
    p.status = 422;
    p.type = "/problems/invalid-request";
    p.title = "Invalid request";
    p.detail = "quote \" backslash \\ newline \n nul " + std::string(1, '\0') + " bad utf8 \xC3\x28";
    p.errors = {{"/a\"b", "\",\"injected\":\"yes"}};
    const std::string text = json_of(p);

    simdjson::dom::parser parser;
    simdjson::dom::element root;
    BOOST_REQUIRE(parser.parse(text).get(root) == simdjson::SUCCESS);
    simdjson::dom::object object;
    BOOST_REQUIRE(root.get_object().get(object) == simdjson::SUCCESS);
    BOOST_TEST(object.size() == 5u);
    std::string_view injected;
    BOOST_TEST(object["injected"].get(injected) == simdjson::NO_SUCH_FIELD);
    std::string_view pointer;
    BOOST_REQUIRE(root["errors"].at(0)["pointer"].get(pointer) == simdjson::SUCCESS);
    BOOST_TEST(pointer == "/a\"b");
    std::string_view detail;
    BOOST_REQUIRE(root["detail"].get(detail) == simdjson::SUCCESS);
    BOOST_TEST(detail.starts_with("quote \" backslash \\ newline \n nul "));
    BOOST_TEST(detail.find('\0') != std::string_view::npos);
    BOOST_TEST(detail.ends_with(" bad utf8 \xEF\xBF\xBD("));
}

BOOST_AUTO_TEST_CASE(malformed_json_has_one_error_for_the_whole_body)
{
    BOOST_TEST(json_of(malformed_json_problem("it broke")) ==
               expected_problem("/problems/malformed-json", "Malformed JSON", 400, "it broke", {{"", "it broke"}}));
}

BOOST_AUTO_TEST_CASE(invalid_request_counts_problems)
{
    BOOST_TEST(json_of(invalid_request_problem({{"/a", "x"}}, 1)) ==
               expected_problem("/problems/invalid-request", "Invalid request", 422, "1 problem in the request",
                                {{"/a", "x"}}));
    BOOST_TEST(json_of(invalid_request_problem({{"/a", "x"}, {"/b", "y"}}, 7)) ==
               expected_problem("/problems/invalid-request", "Invalid request", 422, "7 problems in the request",
                                {{"/a", "x"}, {"/b", "y"}}));
    // A total below the listed count is a caller's slip, not a reason to under-report.
    BOOST_TEST(invalid_request_problem({{"/a", "x"}, {"/b", "y"}}, 0).detail == "2 problems in the request");
}

BOOST_AUTO_TEST_CASE(factories_have_fixed_types_titles_and_statuses)
{
    BOOST_TEST(json_of(payload_too_large_problem(1024)) ==
               expected_problem("/problems/payload-too-large", "Payload too large", 413,
                                "the request body is larger than the limit of 1024 bytes", {}));
    BOOST_TEST(json_of(unsupported_media_type_problem("text/plain")) ==
               expected_problem("/problems/unsupported-media-type", "Unsupported media type", 415,
                                "Content-Type \"text/plain\" is not supported; send application/json", {}));
    BOOST_TEST(json_of(unsupported_media_type_problem("")) ==
               expected_problem("/problems/unsupported-media-type", "Unsupported media type", 415,
                                "the request has no Content-Type; send application/json", {}));
    BOOST_TEST(json_of(unauthorized_problem()) ==
               expected_problem("/problems/unauthorized", "Unauthorized", 401,
                                "a valid client key is required: Authorization: Bearer <key>", {}));
    BOOST_TEST(json_of(forbidden_problem("/v1/invitations")) ==
               expected_problem("/problems/forbidden", "Forbidden", 403,
                                "this client key is not allowed to use the route \"/v1/invitations\"", {}));
    BOOST_TEST(json_of(not_found_problem("/nope")) ==
               expected_problem("/problems/not-found", "Not found", 404, "no route serves the path \"/nope\"", {}));
    BOOST_TEST(json_of(method_not_allowed_problem("GET")) ==
               expected_problem("/problems/method-not-allowed", "Method not allowed", 405,
                                "the method \"GET\" is not allowed on this path", {}));
    BOOST_TEST(json_of(overloaded_problem()) ==
               expected_problem("/problems/overloaded", "Overloaded", 503,
                                "the gateway is handling too many requests; retry later", {}));
}

BOOST_AUTO_TEST_CASE(plain_http_refusals_are_about_blank_titled_with_the_reason_phrase)
{
    BOOST_TEST(json_of(http_problem(408, "too slow")) ==
               expected_problem("about:blank", "Request Timeout", 408, "too slow", {}));
    const std::pair<unsigned, std::string_view> phrases[] = {
        {400, "Bad Request"},           {408, "Request Timeout"},
        {414, "URI Too Long"},          {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"}, {501, "Not Implemented"},
        {503, "Service Unavailable"},   {418, "Error"}};
    for (const auto& [status, title] : phrases) {
        const problem p = http_problem(status, "why");
        BOOST_TEST(p.status == status);
        BOOST_TEST(p.type == "about:blank");
        BOOST_TEST(p.title == title);
        BOOST_TEST(p.detail == "why");
        BOOST_TEST(p.errors.empty());
    }
}

BOOST_AUTO_TEST_CASE(echoed_client_values_are_cut_short_at_a_character_boundary)
{
    // 127 ASCII bytes then a two-byte character straddling the 128-byte cut.
    const std::string path = "/" + std::string(126, 'p') + "\xC3\xA9" + std::string(10'000, 'q');
    const problem p = not_found_problem(path);
    BOOST_TEST(p.detail == "no route serves the path \"/" + std::string(126, 'p') + "...\"");
    BOOST_TEST(not_found_problem(std::string(128, 'x')).detail ==
               "no route serves the path \"" + std::string(128, 'x') + "\"");
}

BOOST_AUTO_TEST_SUITE_END()
