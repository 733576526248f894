// A provider's `example:` (the vendor's documented request and reply) is checked against
// its mapping: the request the mapping renders must have the example's shape, and every
// reply pointer must resolve in the example reply. Each difference is reported with the
// place to fix, as "file:line:column: key: message".

#include "gateway/config/yaml_reader.hpp"
#include "gateway/mapping/contract_example.hpp"

#include "tests/mapping/support/mapping_support.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace mapping = igw::mapping;
using namespace igw::mapping::test;

namespace {

// One invitation per call, an object reply and a documented error: every kind of
// pointer an object reply declares. Tests edit it with replace_once.
const std::string object_provider = R"(description: a test vendor
secrets: [token]
request:
  method: POST
  path: /invites
  headers:
    Authorization: "Bearer {secret.token}"
  body:
    email: {$item: email}
    role: {$item: role}
batch:
  max_items: 1
roles:
  type: string
reply:
  success: [200, 201]
  items: object
  root: /invite
  fields:
    invitation_id: /id
    expires_at: /expires_at
  error_message: [/error/message, /message]
example:
  request: |
    {"email": "user@example.com", "role": "member"}
  reply:
    status: 201
    body: |
      {"invite": {"id": "inv_1", "expires_at": "2024-11-20T23:58:27Z"}}
  error:
    status: 409
    body: |
      {"error": {"type": "conflict", "message": "already invited"}}
)";

// Many invitations per call and an array reply matched by email.
const std::string batch_provider = R"(description: a test vendor
secrets: [token]
params:
  required: [team]
request:
  method: POST
  path: /invites
  headers:
    Authorization: "Bearer {secret.token}"
  body:
    team_id: {$param: team, as: integer}
    invites:
      $each:
        email: {$item: email}
        role_ids: {$item: role}
batch:
  max_items: 50
  group_by: [role]
roles:
  type: integer_list
reply:
  success: [200]
  items: array
  root: /data
  match: /email
  fields:
    invitation_id: /id
example:
  request: |
    {"team_id": 7, "invites": [{"email": "a@example.com", "role_ids": [3, 4]}, {"email": "b@example.com", "role_ids": []}]}
  reply:
    status: 200
    body: |
      {"data": [{"email": "a@example.com", "id": 12}, {"email": "b@example.com", "id": 13}]}
)";

std::string replace_once(std::string text, std::string_view from, std::string_view to)
{
    const std::size_t at = text.find(from);
    BOOST_TEST_REQUIRE(at != std::string::npos, "fixture has no " << from);
    BOOST_TEST_REQUIRE(text.find(from, at + 1) == std::string::npos, "fixture has " << from << " twice");
    return text.replace(at, from.size(), to);
}

struct written_provider {
    temp_dir dir;
    std::string file;
    std::string text;

    explicit written_provider(std::string provider_text) : text(std::move(provider_text))
    {
        file = dir.write("vendor.yaml", text);
    }
    // "file:line:column" of the `occurrence`-th `needle` in the file.
    std::string at(std::string_view needle, int occurrence = 1) const
    {
        return file + ":" + position(text, needle, occurrence);
    }
};

// The problems check_contract_example finds in a provider that loads.
std::vector<std::string> mismatches(const written_provider& provider)
{
    try {
        return mapping::check_contract_example(mapping::load_provider_plan("vendor", provider.file));
    } catch (const igw::config::config_error& e) {
        BOOST_TEST_REQUIRE(false, "the provider did not load:\n" << e.what());
    }
    return {};
}

std::vector<std::string> load_problems(const written_provider& provider)
{
    try {
        mapping::load_provider_plan("vendor", provider.file);
    } catch (const igw::config::config_error& e) {
        return e.diagnostics();
    }
    BOOST_ERROR("the provider loaded, expected errors");
    return {};
}

} // namespace

BOOST_AUTO_TEST_SUITE(contract_example)

BOOST_AUTO_TEST_CASE(every_shipped_provider_carries_an_example_that_matches_its_mapping)
{
    std::size_t checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator(shipped_providers_dir())) {
        if (entry.path().extension() != ".yaml")
            continue;
        const std::string name = entry.path().stem().string();
        const mapping::provider_plan plan = mapping::load_provider_plan(name, entry.path().string());
        BOOST_TEST(plan.example.has_value(), name << " carries no example");
        const auto problems = mapping::check_contract_example(plan);
        BOOST_TEST(problems.empty(), name << ":\n" << joined(problems));
        ++checked;
    }
    BOOST_TEST(checked == 5u);
}

BOOST_AUTO_TEST_CASE(matching_examples_give_no_problem)
{
    BOOST_TEST(joined(mismatches(written_provider(object_provider))) == "");
    BOOST_TEST(joined(mismatches(written_provider(batch_provider))) == "");
}

BOOST_AUTO_TEST_CASE(a_provider_without_an_example_has_nothing_to_check)
{
    written_provider provider(object_provider.substr(0, object_provider.find("example:")));
    const mapping::provider_plan plan = mapping::load_provider_plan("vendor", provider.file);
    BOOST_TEST(!plan.example.has_value());
    BOOST_TEST(mapping::check_contract_example(plan).empty());
}

BOOST_AUTO_TEST_CASE(a_reply_field_the_example_lacks_is_reported_where_it_is_declared)
{
    const written_provider provider(replace_once(object_provider, "expires_at: /expires_at", "expires_at: /expiry"));
    const auto problems = mismatches(provider);
    BOOST_TEST(problems == std::vector<std::string>{provider.at("/expiry") +
                                                    ": reply.fields.expires_at: /invite/expiry is not in the "
                                                    "example reply"},
               joined(problems));
}

BOOST_AUTO_TEST_CASE(a_root_the_example_lacks_or_of_the_wrong_kind_is_reported)
{
    const written_provider missing(replace_once(object_provider, "root: /invite", "root: /invitation"));
    BOOST_TEST(has_line(mismatches(missing),
                        missing.at("/invitation") + ": reply.root: /invitation is not in the example reply"),
               joined(mismatches(missing)));

    const written_provider wrong_kind(replace_once(batch_provider, "root: /data", "root: /data/0"));
    BOOST_TEST(has_line(mismatches(wrong_kind), wrong_kind.at("/data/0") +
                                                    ": reply.root: /data/0 is an object in the example reply; "
                                                    "`items: array` reads an array"),
               joined(mismatches(wrong_kind)));
}

BOOST_AUTO_TEST_CASE(array_replies_are_checked_in_every_element)
{
    // The second element lacks the match member and the id.
    const written_provider provider(
        replace_once(batch_provider, R"({"email": "b@example.com", "id": 13})", R"({"mail": "b@example.com"})"));
    const auto problems = mismatches(provider);
    BOOST_TEST(has_line(problems, provider.at("/email") + ": reply.match: /data/1/email is not in the example reply"),
               joined(problems));
    BOOST_TEST(
        has_line(problems, provider.at("/id") + ": reply.fields.invitation_id: /data/1/id is not in the example reply"),
        joined(problems));
    BOOST_TEST(problems.size() == 2u, joined(problems));
}

BOOST_AUTO_TEST_CASE(a_reply_status_outside_reply_success_is_reported)
{
    const written_provider provider(replace_once(object_provider, "status: 201", "status: 202"));
    BOOST_TEST(mismatches(provider) ==
                   std::vector<std::string>{provider.at("202") +
                                            ": example.reply.status: 202 is not one of reply.success (200, 201)"},
               joined(mismatches(provider)));
}

BOOST_AUTO_TEST_CASE(an_error_example_must_hold_a_declared_error_message)
{
    const written_provider provider(
        replace_once(object_provider, R"("message": "already invited")", R"("detail": "already invited")"));
    const auto problems = mismatches(provider);
    BOOST_TEST(problems == std::vector<std::string>{provider.at("|", 3) +
                                                    ": example.error.body: none of reply.error_message "
                                                    "(/error/message, /message) is a string in the example error "
                                                    "reply"},
               joined(problems));

    const written_provider success(replace_once(object_provider, "status: 409", "status: 200"));
    BOOST_TEST(has_line(mismatches(success), success.at("200", 2) +
                                                 ": example.error.status: 200 is one of reply.success; an error "
                                                 "reply has another status"),
               joined(mismatches(success)));
}

BOOST_AUTO_TEST_CASE(a_member_the_mapping_renders_and_the_example_lacks_is_reported_by_path)
{
    const written_provider provider(replace_once(batch_provider, "        role_ids: {$item: role}",
                                                 "        role_ids: {$item: role}\n        note: hi"));
    BOOST_TEST(mismatches(provider) ==
                   std::vector<std::string>{provider.at("|") + ": example.request: /invites/0/note: the mapping "
                                                               "renders this member, the example has no such member"},
               joined(mismatches(provider)));
}

BOOST_AUTO_TEST_CASE(a_member_of_the_wrong_type_is_reported_by_path)
{
    // The example takes the team as a string; the mapping writes it as an integer.
    const written_provider team(replace_once(batch_provider, R"("team_id": 7)", R"("team_id": "7")"));
    BOOST_TEST(mismatches(team) ==
                   std::vector<std::string>{team.at("|") + ": example.request: /team_id: the mapping renders an "
                                                           "integer, the example has a string"},
               joined(mismatches(team)));

    // Inside the repeated element, compared with the example's first element.
    const written_provider role(replace_once(batch_provider, R"("role_ids": [3, 4])", R"("role_ids": 3)"));
    BOOST_TEST(mismatches(role) ==
                   std::vector<std::string>{role.at("|") + ": example.request: /invites/0/role_ids: the mapping "
                                                           "renders an array, the example has an integer"},
               joined(mismatches(role)));

    const written_provider element(replace_once(batch_provider, R"("role_ids": [3, 4])", R"("role_ids": ["3"])"));
    BOOST_TEST(mismatches(element) ==
                   std::vector<std::string>{element.at("|") + ": example.request: /invites/0/role_ids/0: the "
                                                              "mapping renders an integer, the example has a "
                                                              "string"},
               joined(mismatches(element)));
}

BOOST_AUTO_TEST_CASE(a_member_of_the_example_the_mapping_does_not_render_is_reported_unless_optional)
{
    const std::string with_name = replace_once(object_provider, R"("role": "member"})",
                                               R"("role": "member", "name": "Jo"})");
    const written_provider required(with_name);
    BOOST_TEST(mismatches(required) ==
                   std::vector<std::string>{required.at("|") +
                                            ": example.request: /name: the example has this member, the mapping "
                                            "does not render it (list it under example.optional if the vendor "
                                            "documents it as optional)"},
               joined(mismatches(required)));

    const written_provider optional(
        replace_once(with_name, "  reply:\n    status: 201", "  optional: [/name]\n  reply:\n    status: 201"));
    BOOST_TEST(joined(mismatches(optional)) == "");

    // Inside arrays, an optional member is named in the example's first element.
    const std::string with_note = replace_once(batch_provider, R"("role_ids": [3, 4]})",
                                               R"("role_ids": [3, 4], "note": "hi"})");
    BOOST_TEST(has_diagnostic(mismatches(written_provider(with_note)), "", "/invites/0/note: the example has"));
    BOOST_TEST(joined(mismatches(written_provider(replace_once(with_note, "  reply:\n    status: 200",
                                                               "  optional: [/invites/0/note]\n  reply:\n"
                                                               "    status: 200")))) == "");

    // A typo in the optional list would silently accept nothing: it is reported.
    const written_provider typo(
        replace_once(with_name, "  reply:\n    status: 201", "  optional: [/name, /nmae]\n  reply:\n    status: 201"));
    BOOST_TEST(has_line(mismatches(typo), typo.at("/nmae") + ": example.optional: /nmae is not in the example request"),
               joined(mismatches(typo)));
}

BOOST_AUTO_TEST_CASE(malformed_example_json_is_a_load_error_with_its_place)
{
    const written_provider provider(
        replace_once(object_provider, R"({"invite": {"id": "inv_1",)", R"({"invite": {"id": "inv_1")"));
    const auto problems = load_problems(provider);
    BOOST_TEST(has_diagnostic(problems, provider.at("|", 2) + ": example.reply.body: is not valid JSON: ", ""),
               joined(problems));

    const written_provider not_a_body(
        replace_once(object_provider, R"({"email": "user@example.com", "role": "member"})", R"("user@example.com")"));
    BOOST_TEST(has_line(load_problems(not_a_body),
                        not_a_body.at("|") + ": example.request: must be a JSON object or array (a request body)"),
               joined(load_problems(not_a_body)));
}

BOOST_AUTO_TEST_CASE(unknown_example_keys_are_refused_at_load)
{
    const written_provider provider(replace_once(object_provider, "  reply:\n    status: 201",
                                                 "  respone:\n    status: 201\n  reply:\n    status: 201"));
    BOOST_TEST(has_diagnostic(load_problems(provider), provider.at("respone"), "example.respone"),
               joined(load_problems(provider)));
}

BOOST_AUTO_TEST_SUITE_END()
