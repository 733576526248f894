// Bodies built to hurt: nothing a client sends may crash the parser, make it walk
// without bound, or come back as anything but a clear problem.

#include "gateway/canonical/request_parser.hpp"
#include "tests/canonical/support/parser_fixture.hpp"

#include <boost/test/unit_test.hpp>
#include <simdjson.h>

#include <algorithm>
#include <random>
#include <string>

using namespace igw::canonical;
using namespace igw::canonical::testing;

namespace {

const std::string too_deep = "the request body is not valid JSON: values are nested deeper than 16 levels";
const std::string bad_utf8 = "the request body is not valid JSON: it is not valid UTF-8";
constexpr std::string_view unknown_top_member =
    "unknown member; the request may only have \"invitations\", \"targets\" and \"send_email\"";

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string with_item(std::string_view item_members)
{
    return R"({"invitations":[{)" + std::string(item_members) + "}]}";
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(hostile_input, parser_fixture)

BOOST_AUTO_TEST_CASE(deeply_nested_arrays_are_malformed_not_a_crash)
{
    context.max_body_bytes = 4 << 20;
    BOOST_TEST(problem_json(nested_arrays(1'000'000)) == expected_malformed(too_deep));
    BOOST_TEST(problem_json(std::string(1'000'000, '[')) ==
               expected_malformed("the request body is not valid JSON: the structure is invalid (a comma, colon, "
                                  "bracket, brace or quote is missing or out of place)"));
    BOOST_TEST(problem_json(R"({"invitations":)" + std::string(500'000, '[') + std::string(500'000, ']') + "}") ==
               expected_malformed(too_deep));
    BOOST_TEST(problem_json(with_item(R"("email":"a@example.com","role":"admin","ref":)" + nested_arrays(100'000))) ==
               expected_malformed(too_deep));
}

BOOST_AUTO_TEST_CASE(nesting_up_to_the_limit_is_allowed)
{
    // The root object is level 1, so an unknown member may hold 15 levels more.
    const std::string prefix = R"({"invitations":[{"email":"a@example.com","role":"admin"}],"x":)";
    BOOST_TEST(problem_json(prefix + nested_arrays(15) + "}") == expected_invalid({{"/x", unknown_top_member}}));
    BOOST_TEST(problem_json(prefix + nested_arrays(16) + "}") == expected_malformed(too_deep));
    std::string objects;
    for (int i = 0; i < 16; ++i)
        objects += R"({"k":)";
    objects += "1" + std::string(16, '}');
    BOOST_TEST(problem_json(prefix + objects + "}") == expected_malformed(too_deep));
}

BOOST_AUTO_TEST_CASE(huge_strings_are_field_errors)
{
    const std::string huge_local(800'000, 'a');
    const std::string huge_role(100'000, 'r');
    const std::string huge_ref(50'000, 'x');
    BOOST_TEST(
        problem_json(with_item(R"("email":")" + huge_local + R"(@example.com","role":")" + huge_role + R"(","ref":")" +
                               huge_ref + "\"")) ==
        expected_invalid({{"/invitations/0/email", "invalid email address: the address is longer than 254 bytes"},
                          {"/invitations/0/role", "unknown role \"" + std::string(64, 'r') +
                                                      "...\"; the roles are: admin, developer, member, billing"},
                          {"/invitations/0/ref", "must be at most 256 bytes long"}}));
}

BOOST_AUTO_TEST_CASE(echoed_values_are_cut_at_a_character_boundary)
{
    // 63 ASCII bytes, then a 3-byte character across the 64-byte cut.
    const std::string role = std::string(63, 'r') + "\xE2\x82\xAC" + "tail";
    BOOST_TEST(
        problem_json(with_item(R"("email":"a@example.com","role":")" + role + "\"")) ==
        expected_invalid({{"/invitations/0/role", "unknown role \"" + std::string(63, 'r') +
                                                      "...\"; the roles are: admin, developer, member, billing"}}));
}

BOOST_AUTO_TEST_CASE(huge_member_names_are_reported_once)
{
    const std::string name(200'000, 'n');
    const std::string text = problem_json(R"({"invitations":[{"email":"a@example.com","role":"admin"}],")" + name +
                                          R"(":1})");
    BOOST_TEST(text == expected_invalid({{"/" + name, unknown_top_member}}));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_anywhere_is_malformed)
{
    BOOST_TEST(problem_json(with_item("\"email\":\"a\xFF@example.com\",\"role\":\"admin\"")) ==
               expected_malformed(bad_utf8));
    // Overlong encoding of '/', a UTF-16 surrogate, a truncated sequence, a stray continuation byte.
    for (std::string_view bytes : {"\xC0\xAF", "\xED\xA0\x80", "\xE2\x82", "\x80"}) {
        BOOST_TEST(problem_json(with_item("\"email\":\"a@example.com\",\"role\":\"admin\",\"ref\":\"" +
                                          std::string(bytes) + "\"")) == expected_malformed(bad_utf8));
        BOOST_TEST(problem_json("{\"" + std::string(bytes) + "\":1}") == expected_malformed(bad_utf8));
    }
    BOOST_TEST(problem_json(with_item(R"("email":"a@example.com","role":"admin","ref":"\ud800")")) ==
               expected_malformed("the request body is not valid JSON: a string contains an invalid escape sequence"));
}

BOOST_AUTO_TEST_CASE(nul_bytes_are_malformed_and_escaped_nul_is_a_field_error)
{
    std::string raw = with_item(R"("email":"a@example.com","role":"admin")");
    raw.insert(raw.find("a@"), 1, '\0');
    BOOST_TEST(problem_json(raw) ==
               expected_malformed("the request body is not valid JSON: it contains a NUL byte at byte 26"));
    BOOST_TEST(problem_json(std::string(1, '\0')) ==
               expected_malformed("the request body is not valid JSON: it contains a NUL byte at byte 0"));
    BOOST_TEST(
        problem_json(with_item(R"("email":"a\u0000@example.com","role":"admin")")) ==
        expected_invalid({{"/invitations/0/email", "invalid email address: control characters are not allowed"}}));
}

BOOST_AUTO_TEST_CASE(a_byte_order_mark_is_refused_by_name)
{
    BOOST_TEST(problem_json("\xEF\xBB\xBF" + with_item(R"("email":"a@example.com","role":"admin")")) ==
               expected_malformed("the request body is not valid JSON: it starts with a byte order mark (U+FEFF); "
                                  "send UTF-8 without one"));
}

BOOST_AUTO_TEST_CASE(numbers_where_strings_are_expected)
{
    BOOST_TEST(problem_json(R"({"invitations":[{"email":1e308,"role":-0.0,"ref":18446744073709551616}],)"
                            R"("targets":[0]})") == expected_invalid({{"/invitations/0/email", "must be a string"},
                                                                      {"/invitations/0/role", "must be a string"},
                                                                      {"/invitations/0/ref", "must be a string"},
                                                                      {"/targets/0", "must be a string"}}));
}

BOOST_AUTO_TEST_CASE(ten_megabytes_of_whitespace)
{
    const std::string spaces(10 << 20, ' ');
    BOOST_TEST(problem_json(spaces) == expected_problem("/problems/payload-too-large", "Payload too large", 413,
                                                        "the request body is larger than the limit of 1048576 bytes",
                                                        {}));
    context.max_body_bytes = 32 << 20;
    BOOST_TEST(problem_json(spaces) == expected_malformed("the request body is empty"));
    // Whitespace is legal padding around a real request.
    const invite_request request = accepted(spaces + with_item(R"("email":"a@example.com","role":"admin")") + spaces);
    BOOST_TEST(request.invitations.size() == 1u);
}

BOOST_AUTO_TEST_CASE(empty_body) { BOOST_TEST(problem_json("") == expected_malformed("the request body is empty")); }

BOOST_AUTO_TEST_CASE(huge_arrays_past_the_cap_cost_one_error)
{
    std::string body = R"({"invitations":[0)";
    for (int i = 1; i < 200'000; ++i)
        body += ",0";
    body += "]}";
    BOOST_TEST(problem_json(body) ==
               expected_invalid({{"/invitations", "must contain at most 1000 invitations, not 200000"}}));
    // Still checked to be JSON past the cap.
    body.insert(body.size() - 2, ",01");
    BOOST_TEST(problem_json(body) == expected_malformed("the request body is not valid JSON: a number is not valid"));
}

BOOST_AUTO_TEST_CASE(many_unknown_members_are_capped)
{
    context.max_body_bytes = 4 << 20;
    std::string body = R"({"invitations":[{"email":"a@example.com","role":"admin"}])";
    for (int i = 0; i < 100'000; ++i)
        body += ",\"k" + std::to_string(i) + "\":0";
    body += "}";
    std::vector<expected_error> listed;
    std::vector<std::string> pointers;
    for (int i = 0; i < 99; ++i)
        pointers.push_back("/k" + std::to_string(i));
    for (const std::string& pointer : pointers)
        listed.push_back({pointer, unknown_top_member});
    listed.push_back({"", "... and 99901 more problems, not listed"});
    BOOST_TEST(problem_json(body) == expected_invalid(100'000, listed));
}

BOOST_AUTO_TEST_CASE(many_invalid_items_are_capped)
{
    std::string body = R"({"invitations":[)";
    for (int i = 0; i < 1000; ++i)
        body += std::string(i ? "," : "") + R"({"email":"x","role":"y","z":[]})";
    body += "]}";
    auto result = parser.parse(body, context);
    const problem* p = std::get_if<problem>(&result);
    BOOST_REQUIRE(p != nullptr);
    BOOST_TEST(p->status == 422u);
    BOOST_TEST(p->detail == "3000 problems in the request");
    BOOST_REQUIRE_EQUAL(p->errors.size(), max_listed_errors);
    BOOST_TEST(p->errors[0].pointer == "/invitations/0/email");
    BOOST_TEST(p->errors[97].pointer == "/invitations/32/role");
    BOOST_TEST(p->errors[98].pointer == "/invitations/32/z");
    BOOST_TEST(p->errors[99].pointer == "");
    BOOST_TEST(p->errors[99].detail == "... and 2901 more problems, not listed");
}

BOOST_AUTO_TEST_CASE(the_body_is_left_as_it_was)
{
    std::string body = with_item(R"("email":"A@Example.com","role":"admin")");
    body.shrink_to_fit();
    const std::string copy = body;
    const auto result = parser.parse(body, context);
    BOOST_TEST(std::holds_alternative<invite_request>(result));
    BOOST_TEST(body == copy);
    BOOST_TEST(body.capacity() >= body.size() + 64u);

    std::string broken = "{\"invitations\":[";
    const std::string broken_copy = broken;
    BOOST_TEST(std::holds_alternative<problem>(parser.parse(broken, context)));
    BOOST_TEST(broken == broken_copy);
}

BOOST_AUTO_TEST_CASE(one_parser_serves_many_requests)
{
    context.max_body_bytes = 2 << 20;
    const std::string valid_small = with_item(R"("email":"Small@Example.com","role":"member","ref":"s")");
    std::string valid_large = R"({"invitations":[)";
    for (int i = 0; i < 1000; ++i)
        valid_large += std::string(i ? "," : "") + R"({"email":"user)" + std::to_string(i) +
                       R"(@example.com","role":"developer","ref":")" + std::string(200, 'r') + "\"}";
    valid_large += R"(],"targets":["delta","alpha"],"send_email":false})";
    const std::string invalid = with_item(R"("email":"nope","role":"admin")");
    const std::string malformed = with_item(R"("email":"a@example.com","role":"admin",)");
    const std::string invalid_expected = expected_invalid(
        {{"/invitations/0/email", "invalid email address: '@' is missing"}});
    const std::string malformed_expected = expected_malformed(
        "the request body is not valid JSON: the structure is invalid (a comma, colon, bracket, "
        "brace or quote is missing or out of place)");

    for (int round = 0; round < 200; ++round) {
        switch (round % 4) {
        case 0: {
            const invite_request request = accepted(valid_small);
            BOOST_REQUIRE_EQUAL(request.invitations.size(), 1u);
            BOOST_TEST(request.invitations[0].email == "small@example.com");
            BOOST_TEST(request.invitations[0].role == 2u);
            BOOST_TEST(request.targets.size() == 4u);
            BOOST_TEST(request.send_email);
            break;
        }
        case 1: BOOST_TEST(problem_json(invalid) == invalid_expected); break;
        case 2: {
            const invite_request request = accepted(valid_large);
            BOOST_REQUIRE_EQUAL(request.invitations.size(), 1000u);
            BOOST_TEST(request.invitations[999].email == "user999@example.com");
            BOOST_TEST(request.invitations[999].ref->size() == 200u);
            BOOST_TEST(request.targets == (std::vector<std::uint32_t>{0, 3}), boost::test_tools::per_element());
            BOOST_TEST(!request.send_email);
            break;
        }
        default: BOOST_TEST(problem_json(malformed) == malformed_expected); break;
        }
    }
}

BOOST_AUTO_TEST_CASE(a_moved_parser_keeps_working)
{
    request_parser moved = std::move(parser);
    std::string body = with_item(R"("email":"a@example.com","role":"billing")");
    auto result = moved.parse(body, context);
    BOOST_REQUIRE(std::holds_alternative<invite_request>(result));
    BOOST_TEST(std::get<invite_request>(result).invitations[0].role == 3u);
    parser = std::move(moved);
    BOOST_TEST(problem_json("[]") == expected_invalid({{"", "must be a JSON object"}}));
}

BOOST_AUTO_TEST_CASE(an_empty_role_or_target_list_rejects_everything_clearly)
{
    roles.clear();
    targets.clear();
    context = validation_context{roles, targets};
    BOOST_TEST(problem_json(R"({"invitations":[{"email":"a@example.com","role":"admin"}],"targets":["alpha"]})") ==
               expected_invalid({{"/invitations/0/role", "unknown role \"admin\"; the roles are: (none configured)"},
                                 {"/targets/0", "unknown target \"alpha\"; this route's targets are: (none "
                                                "configured)"}}));
}

BOOST_AUTO_TEST_CASE(mutated_requests_always_get_a_well_formed_answer)
{
    // A fixed seed keeps the run reproducible; the count bounds it.
    std::mt19937 random(20240611);
    const std::string seed_body = R"({"invitations":[{"email":"Jane.Doe@Example.com","role":"developer","ref":"r1"},)"
                                  R"({"email":"ops@example.com","role":"admin"}],"targets":["beta","alpha"],)"
                                  R"("send_email":false})";
    constexpr std::string_view alphabet = "{}[],:\"\\ \n0123456789-+.eEtrufalsn@\xC3\xA9\xFF";
    simdjson::dom::parser checker;
    std::size_t accepted_count = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string body = seed_body;
        const int edits = 1 + static_cast<int>(random() % 4);
        for (int e = 0; e < edits && !body.empty(); ++e) {
            const std::size_t at = random() % body.size();
            const char c = alphabet[random() % alphabet.size()];
            switch (random() % 4) {
            case 0: body[at] = c; break;
            case 1: body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), c); break;
            case 2: body.erase(at, 1 + random() % 8); break;
            default: body.resize(at); break;
            }
        }
        const std::string sent = body;
        auto result = parser.parse(body, context);
        BOOST_REQUIRE(body == sent);
        if (const auto* request = std::get_if<invite_request>(&result)) {
            ++accepted_count;
            BOOST_REQUIRE(!request->invitations.empty());
            for (const invitation& item : request->invitations) {
                BOOST_REQUIRE(!email_problem(item.email).has_value());
                BOOST_REQUIRE(item.role < roles.size());
            }
            BOOST_REQUIRE(!request->targets.empty());
            BOOST_REQUIRE(std::is_sorted(request->targets.begin(), request->targets.end()));
            BOOST_REQUIRE(std::adjacent_find(request->targets.begin(), request->targets.end()) ==
                          request->targets.end());
            BOOST_REQUIRE(request->targets.back() < targets.size());
            continue;
        }
        const problem& p = std::get<problem>(result);
        BOOST_REQUIRE_MESSAGE(p.status == 400 || p.status == 422, "status " << p.status << " for " << sent);
        BOOST_REQUIRE(!p.errors.empty());
        BOOST_REQUIRE(p.errors.size() <= max_listed_errors);
        std::string text;
        p.write_json(text);
        simdjson::dom::element root;
        BOOST_REQUIRE_MESSAGE(checker.parse(text).get(root) == simdjson::SUCCESS, text);
    }
    // The mutations must not all be fatal, or the accepting branch went untested.
    BOOST_TEST(accepted_count > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
