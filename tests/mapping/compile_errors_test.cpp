// Mistakes in a provider mapping or in a target's binding to it are caught at load,
// each reported as "file:line:column: key: message" (positions computed from the
// fixture text itself), and all of them at once.

#include "gateway/mapping/compiled_config.hpp"

#include "tests/mapping/support/mapping_support.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

namespace mapping = igw::mapping;
using namespace igw::mapping::test;

namespace {

const std::string valid_provider = R"(description: a test vendor
secrets: [token]
params:
  required: [org]
  optional: [team]
request:
  method: POST
  path: /orgs/{param.org}/invites
  headers:
    Authorization: "Bearer {secret.token}"
    X-Team: "{param.team}"
  body:
    invites:
      $each:
        email: {$item: email}
        role: {$item: role}
    org: {$param: org}
batch:
  max_items: 5
roles:
  type: string
  allowed: [owner, member]
reply:
  success: [200]
  items: none
  error_message: [/message]
)";

const std::string valid_config = R"(providers_dir: providers
roles: [admin, member]
clients:
  - name: app
    key: 0123456789abcdef
routes:
  - path: /v1/invitations
    targets: [t0, t1]
targets:
  - name: t0
    provider: p
    base_url: https://t0.example
    params: {org: o0}
    secrets: {token: tk0}
    roles: {admin: owner, member: member}
  - name: t1
    provider: p
    base_url: https://t1.example
    params:
      org: o1
    secrets:
      token: tk1
    roles:
      admin: owner
      member: member
)";

std::string replaced(std::string text, std::string_view from, std::string_view to)
{
    const std::size_t at = text.find(from);
    BOOST_TEST_REQUIRE(at != std::string::npos, "\"" << from << "\" is not in the fixture");
    return text.replace(at, from.size(), to);
}

struct case_files {
    temp_dir dir;
    std::string provider_text, config_text, provider_file, config_file;

    case_files(std::string provider, std::string config)
        : provider_text(std::move(provider)), config_text(std::move(config))
    {
        provider_file = dir.write("providers/p.yaml", provider_text);
        config_file = dir.write("gateway.yaml", config_text);
    }
    std::vector<std::string> errors() { return load_errors(config_file, {}); }
    // "file:line:col: key: " with the position of `needle` in the provider file.
    std::string in_provider(std::string_view needle, std::string_view key, int occurrence = 1)
    {
        return provider_file + ":" + position(provider_text, needle, occurrence) + ": " + std::string(key) + ": ";
    }
    // Target-level problems point at the target's declaration in the config.
    std::string in_target(std::string_view target, std::string_view key)
    {
        return config_file + ":" + position(config_text, "name: " + std::string(target)) + ": " + std::string(key) +
               ": ";
    }
};

// One mistake in the provider file: exactly one diagnostic, at `needle`, naming `key`.
void expect_provider_error(const std::string& provider, std::string_view needle, std::string_view key,
                           std::string_view message_part, int occurrence = 1)
{
    case_files files(provider, valid_config);
    const auto errors = files.errors();
    BOOST_TEST(errors.size() == 1u, joined(errors));
    BOOST_TEST(has_diagnostic(errors, files.in_provider(needle, key, occurrence), message_part),
               "expected " << files.in_provider(needle, key, occurrence) << "..." << message_part << "\ngot:\n"
                           << joined(errors));
}

void expect_target_error(const std::string& provider, const std::string& config, std::string_view target,
                         std::string_view key, std::string_view message_part)
{
    case_files files(provider, config);
    const auto errors = files.errors();
    BOOST_TEST(errors.size() == 1u, joined(errors));
    BOOST_TEST(has_diagnostic(errors, files.in_target(target, key), message_part),
               "expected " << files.in_target(target, key) << "..." << message_part << "\ngot:\n"
                           << joined(errors));
}

} // namespace

BOOST_AUTO_TEST_SUITE(compile_errors)

BOOST_AUTO_TEST_CASE(the_fixture_itself_is_valid)
{
    case_files files(valid_provider, valid_config);
    const auto config = load(files.config_file, {});
    const auto& t1 = config->mappings.targets.at(1);
    BOOST_TEST(t1.target == "/orgs/o1/invites");
    BOOST_TEST(t1.max_items == 5u);
    // The optional parameter is unset, so its header is left out.
    for (const auto& header : t1.headers)
        BOOST_TEST(header.name != "X-Team");
    BOOST_TEST(t1.headers.back().value == "Bearer tk1");
}

BOOST_AUTO_TEST_CASE(unknown_keys_in_a_provider_file)
{
    expect_provider_error(replaced(valid_provider, "batch:", "reqest: {}\nbatch:"), "reqest", "reqest", "");
    expect_provider_error(replaced(valid_provider, "  items: none", "  items: none\n  itmes: none"), "itmes",
                          "reply.itmes", "");
    expect_provider_error(replaced(valid_provider, "  method: POST", "  method: POST\n  query: x=1"), "query",
                          "request.query", "");
    expect_provider_error(replaced(valid_provider, "  max_items: 5", "  max_items: 5\n  max_bytes: 5"), "max_bytes",
                          "batch.max_bytes", "");
}

BOOST_AUTO_TEST_CASE(templates_naming_an_unknown_secret_or_parameter)
{
    expect_provider_error(replaced(valid_provider, "{secret.token}", "{secret.tokn}"), "\"Bearer {secret.tokn}\"",
                          "request.headers.Authorization", "{secret.tokn} names a secret not listed under `secrets`");
    expect_provider_error(replaced(valid_provider, "{param.org}", "{param.orgg}"), "/orgs/{param.orgg}/invites",
                          "request.path", "{param.orgg} names a parameter not listed under `params`");
    expect_provider_error(replaced(valid_provider, "{param.org}", "{secret.token}"), "/orgs/{secret.token}/invites",
                          "request.path", "secrets cannot appear here");
    expect_provider_error(replaced(valid_provider, "{param.team}", "{team}"), "\"{team}\"", "request.headers.X-Team",
                          "unknown reference {team}");
    expect_provider_error(replaced(valid_provider, "{param.team}", "{param.team"), "\"{param.team\"",
                          "request.headers.X-Team", "unterminated '{'");
    expect_provider_error(replaced(valid_provider, "{$param: org}", "{$param: team}"), "team}",
                          "request.body.org.$param", "must be listed under `params.required`", 2);
}

BOOST_AUTO_TEST_CASE(an_item_field_outside_each_needs_one_item_per_call)
{
    expect_provider_error(replaced(valid_provider, "    org: {$param: org}", "    first: {$item: email}"), "email}",
                          "request.body.first.$item", "needs `batch.max_items: 1`", 2);
    // With max_items 1 the same body is fine.
    case_files files(replaced(replaced(valid_provider, "    org: {$param: org}", "    first: {$item: email}"),
                              "max_items: 5", "max_items: 1"),
                     valid_config);
    BOOST_TEST(load(files.config_file, {})->mappings.targets.at(0).max_items == 1u);
}

BOOST_AUTO_TEST_CASE(a_role_outside_each_needs_grouping_by_role)
{
    const std::string provider = replaced(valid_provider, "    org: {$param: org}", "    role: {$item: role}");
    expect_provider_error(provider, "role}", "request.body.role.$item", "or `batch.group_by: [role]`", 2);
    case_files files(replaced(provider, "max_items: 5", "max_items: 5\n  group_by: [role]"), valid_config);
    BOOST_TEST(load(files.config_file, {})->mappings.targets.at(0).provider->group_by_role);
}

BOOST_AUTO_TEST_CASE(unknown_and_misplaced_directives)
{
    expect_provider_error(replaced(valid_provider, "{$item: email}", "{$items: email}"), "$items",
                          "request.body.invites.$each.email.$items", "unknown directive");
    expect_provider_error(replaced(valid_provider, "{$item: email}", "{$item: name}"), "name}",
                          "request.body.invites.$each.email.$item", "an invitation has the fields email, role and ref");
    expect_provider_error(replaced(valid_provider, "{$item: email}", "{$each: {$item: email}}"), "{$each",
                          "request.body.invites.$each.email.$each", "$each cannot be nested");
    expect_provider_error(replaced(valid_provider, "{$item: email}", "{$request: notify}"), "notify",
                          "request.body.invites.$each.email.$request", "send_email");
    expect_provider_error(replaced(valid_provider, "{$param: org}", "{$param: org, as: float}"), "float",
                          "request.body.org.as", "must be string, integer, integer_list or string_list");
}

BOOST_AUTO_TEST_CASE(other_provider_mistakes)
{
    expect_provider_error(replaced(valid_provider, "method: POST", "method: GET"), "GET", "request.method",
                          "must be POST, PUT or PATCH");
    expect_provider_error(replaced(valid_provider, "    X-Team:", "    Content-Type: text/plain\n    X-Team:"),
                          "Content-Type", "request.headers.Content-Type", "is set by the gateway itself");
    expect_provider_error(replaced(valid_provider, "  items: none", "  items: object"), "object", "reply.items",
                          "set `batch.max_items: 1`");
    expect_provider_error(replaced(valid_provider, "  items: none", "  items: array"), "success", "reply.match",
                          "needs `match`");
    expect_provider_error(replaced(valid_provider, "type: string", "type: text"), "text", "roles.type",
                          "must be one of");
    expect_provider_error(replaced(valid_provider, "success: [200]", "success: [200, 404]"), "404", "reply.success[1]",
                          "");
    expect_provider_error(replaced(valid_provider, "[/message]", "[message]"), "message]", "reply.error_message[0]",
                          "JSON Pointer");
}

BOOST_AUTO_TEST_CASE(a_header_the_gateway_owns_is_rejected_naming_it)
{
    for (std::string_view owned : {"host", "Content-Length", "content-type", "Transfer-Encoding", "CONNECTION"}) {
        const std::string name(owned);
        const std::string provider = replaced(valid_provider, "    X-Team:", "    " + name + ": x\n    X-Team:");
        expect_provider_error(provider, name + ": x", "request.headers." + name, "is set by the gateway itself");
    }
    expect_provider_error(replaced(valid_provider, "    X-Team:", "    host: x\n    X-Team:"), "host: x",
                          "request.headers.host", "Host is set by the gateway itself; a provider cannot set it");
    // Header names are case-insensitive: two spellings would be two headers on the wire.
    expect_provider_error(replaced(valid_provider, "    X-Team:", "    accept: a\n    Accept: b\n    X-Team:"),
                          "Accept: b", "request.headers.Accept", "is given twice");
}

BOOST_AUTO_TEST_CASE(typed_reply_fields_are_checked)
{
    const std::string object_reply = replaced(replaced(valid_provider, "max_items: 5", "max_items: 1"), "  items: none",
                                              "  items: object");
    const std::string body_fixed = replaced(object_reply,
                                            "    invites:\n      $each:\n        email: {$item: email}\n"
                                            "        role: {$item: role}\n",
                                            "    email: {$item: email}\n    role: {$item: role}\n");
    const std::string with_fields = replaced(body_fixed, "  error_message:",
                                             "  fields:\n    expires_at: {pointer: /expires, format: unix}\n"
                                             "  error_message:");
    expect_provider_error(with_fields, "unix}", "reply.fields.expires_at.format",
                          "must be rfc3339, unix_seconds or unix_millis");
    expect_provider_error(replaced(with_fields, "expires_at: {pointer: /expires, format: unix}",
                                   "invitation_id: {pointer: /id, format: unix_seconds}"),
                          "unix_seconds}", "reply.fields.invitation_id.format", "only expires_at has a format");
    expect_provider_error(replaced(with_fields, "{pointer: /expires, format: unix}", "{format: unix_seconds}"),
                          "{format", "reply.fields.expires_at.pointer", "");
    expect_provider_error(replaced(with_fields, "{pointer: /expires, format: unix}", "/exp~ires"), "/exp~ires",
                          "reply.fields.expires_at", "~0 or ~1");
    // The valid forms load.
    case_files files(replaced(with_fields, "format: unix}", "format: unix_millis}"), valid_config);
    BOOST_TEST((load(files.config_file, {})->mappings.targets.at(0).provider->reply.expires_at_format ==
                mapping::time_format::unix_millis));
}

BOOST_AUTO_TEST_CASE(already_invited_rules_are_checked)
{
    const std::string one_item = replaced(valid_provider, "max_items: 5", "max_items: 1");
    const std::string rule = "  already_invited:\n    - {status: 409, pointer: /code, equals: already_invited}\n";
    const std::string with_rule = replaced(one_item, "  error_message:", rule + "  error_message:");
    {
        case_files files(with_rule, valid_config);
        const auto config = load(files.config_file, {});
        const auto& rules = config->mappings.targets.at(0).provider->reply.already_invited;
        BOOST_TEST_REQUIRE(rules.size() == 1u);
        BOOST_TEST(rules[0].status == 409u);
        BOOST_TEST(rules[0].pointer == "/code");
        BOOST_TEST(!rules[0].contains);
    }
    expect_provider_error(replaced(with_rule, "status: 409", "status: 500"), "500", "reply.already_invited[0].status",
                          "");
    expect_provider_error(replaced(with_rule, "status: 409", "status: 201"), "201", "reply.already_invited[0].status",
                          "");
    expect_provider_error(replaced(with_rule, "pointer: /code", "pointer: code"), "code,",
                          "reply.already_invited[0].pointer", "JSON Pointer");
    expect_provider_error(replaced(with_rule, "equals: already_invited", "equals: a, contains: b"), "{status",
                          "reply.already_invited[0]", "exactly one of `equals` and `contains`");
    expect_provider_error(replaced(with_rule, ", equals: already_invited", ""), "{status", "reply.already_invited[0]",
                          "exactly one of `equals` and `contains`");
    expect_provider_error(replaced(with_rule, "equals: already_invited", "equals: x, invitation_id: id"), "id}",
                          "reply.already_invited[0].invitation_id", "JSON Pointer");
    expect_provider_error(replaced(valid_provider, "  error_message:", rule + "  error_message:"), "- {status",
                          "reply.already_invited", "needs `batch.max_items: 1`");
}

BOOST_AUTO_TEST_CASE(list_parameters_must_be_given_as_lists_and_scalars_as_scalars)
{
    const std::string list_provider = replaced(valid_provider, "{$param: org}", "{$param: org, as: integer_list}");
    // The path uses `org` as text: the provider itself is inconsistent.
    expect_provider_error(list_provider, "org, as: integer_list}", "request.body.org.$param",
                          "used both as a list and as a single value");

    const std::string body_only = replaced(list_provider, "/orgs/{param.org}/invites", "/invites");
    {
        // Both targets give `org` as a scalar: each error points at its value.
        case_files files(body_only, valid_config);
        const auto errors = files.errors();
        BOOST_TEST(errors.size() == 2u, joined(errors));
        for (const auto& [value, target] : {std::pair{"o0}", "t0"}, std::pair{"o1\n", "t1"}}) {
            const std::string prefix = files.config_file + ":" + position(files.config_text, value) + ": targets." +
                                       target + ".params.org: ";
            BOOST_TEST(has_diagnostic(errors, prefix, "must be a list (a YAML sequence such as [1, 2]) of integers"),
                       "expected " << prefix << "\ngot:\n"
                                   << joined(errors));
        }
    }
    {
        const std::string config = replaced(replaced(valid_config, "params: {org: o0}", "params: {org: [1, x2]}"),
                                            "org: o1", "org: [3]");
        case_files files(body_only, config);
        const auto errors = files.errors();
        BOOST_TEST(errors.size() == 1u, joined(errors));
        const std::string prefix = files.config_file + ":" + position(files.config_text, "x2]") +
                                   ": targets.t0.params.org[1]: ";
        BOOST_TEST(has_diagnostic(errors, prefix, "\"x2\" is not an integer"), "expected " << prefix << "\ngot:\n"
                                                                                           << joined(errors));
    }
    {
        // A scalar parameter given a list.
        case_files files(valid_provider, replaced(valid_config, "params: {org: o0}", "params: {org: [o0]}"));
        const auto errors = files.errors();
        BOOST_TEST(errors.size() == 1u, joined(errors));
        const std::string prefix = files.config_file + ":" + position(files.config_text, "[o0]") +
                                   ": targets.t0.params.org: ";
        BOOST_TEST(has_diagnostic(errors, prefix, "is a list"), "expected " << prefix << "\ngot:\n" << joined(errors));
    }
}

BOOST_AUTO_TEST_CASE(a_role_map_leaving_a_canonical_role_unmapped)
{
    expect_target_error(valid_provider, replaced(valid_config, "      member: member\n", ""), "t1", "targets.t1.roles",
                        "canonical role `member` has no mapping; map it or write `member: unsupported`");
}

BOOST_AUTO_TEST_CASE(a_role_value_outside_the_vendor_enum)
{
    expect_target_error(valid_provider, replaced(valid_config, "admin: owner\n", "admin: admin\n"), "t1",
                        "targets.t1.roles.admin",
                        "\"admin\" is not a role of provider p (one of: owner, member, or `unsupported`)");
}

BOOST_AUTO_TEST_CASE(a_role_value_of_the_wrong_type)
{
    const std::string integer_list = replaced(
        replaced(valid_provider, "  type: string\n  allowed: [owner, member]", "  type: integer_list"), "max_items: 5",
        "max_items: 5\n  group_by: [role]");
    // Strings for a provider taking integer ids; a list where a string is expected.
    const std::string config = replaced(
        replaced(valid_config, "{admin: owner, member: member}", "{admin: [1], member: [2, 3]}"),
        "      member: member\n", "      member: 4\n"); // one id alone is a list of one
    expect_target_error(integer_list, config, "t1", "targets.t1.roles.admin",
                        "provider p takes a list of integer role ids");
    expect_target_error(valid_provider, replaced(valid_config, "admin: owner\n", "admin: [1, 2]\n"), "t1",
                        "targets.t1.roles.admin", "provider p takes a string role");
}

BOOST_AUTO_TEST_CASE(a_role_map_for_a_provider_that_takes_no_role)
{
    const std::string none = replaced(
        replaced(valid_provider, "  type: string\n  allowed: [owner, member]", "  type: none"),
        "        role: {$item: role}\n", "");
    const std::string config = replaced(valid_config, "    roles: {admin: owner, member: member}\n", "");
    expect_target_error(none, config, "t1", "targets.t1.roles", "provider p takes no role; remove the role map");
    // And `$item: role` in such a provider's body is itself an error.
    expect_provider_error(replaced(valid_provider, "  type: string\n  allowed: [owner, member]", "  type: none"),
                          "role}", "request.body.invites.$each.role.$item", "roles: {type: none}");
}

BOOST_AUTO_TEST_CASE(a_missing_secret_or_parameter)
{
    expect_target_error(valid_provider, replaced(valid_config, "    secrets:\n      token: tk1\n", ""), "t1",
                        "targets.t1.secrets", "provider p needs secret `token`");
    expect_target_error(valid_provider, replaced(valid_config, "    params:\n      org: o1\n", ""), "t1",
                        "targets.t1.params", "provider p needs parameter `org`");
    expect_target_error(valid_provider, replaced(valid_config, "      org: o1\n", "      org: \"\"\n"), "t1",
                        "targets.t1.params", "provider p needs parameter `org`");
    expect_target_error(valid_provider,
                        replaced(valid_config, "      token: tk1\n", "      token: tk1\n      extra: x\n"), "t1",
                        "targets.t1.secrets.extra", "provider p takes no such secret");
    expect_target_error(valid_provider, replaced(valid_config, "      org: o1\n", "      org: o1\n      tenant: x\n"),
                        "t1", "targets.t1.params.tenant", "provider p takes no such parameter");
}

BOOST_AUTO_TEST_CASE(an_unknown_provider_name)
{
    for (std::string name : {"nosuch", "../providers/p", ".hidden"}) {
        BOOST_TEST_CONTEXT(name)
        {
            case_files files(valid_provider, replaced(valid_config, "provider: p\n    base_url: https://t1",
                                                      "provider: " + name + "\n    base_url: https://t1"));
            const auto errors = files.errors();
            BOOST_TEST(errors.size() == 1u, joined(errors));
            BOOST_TEST(has_diagnostic(errors, files.in_target("t1", "targets.t1.provider"), "no provider mapping"),
                       joined(errors));
        }
    }
}

BOOST_AUTO_TEST_CASE(every_problem_in_every_file_is_reported_at_once)
{
    case_files files(
        replaced(replaced(valid_provider, "{secret.token}", "{secret.tokn}"), "{$item: email}", "{$items: email}"),
        replaced(valid_config, "provider: p\n    base_url: https://t1", "provider: gone\n    base_url: https://t1"));
    const auto errors = files.errors();
    BOOST_TEST(errors.size() == 3u, joined(errors));
    BOOST_TEST(has_diagnostic(errors, files.in_provider("\"Bearer", "request.headers.Authorization"), "tokn"));
    BOOST_TEST(has_diagnostic(errors, files.in_provider("$items", "request.body.invites.$each.email.$items"), ""));
    BOOST_TEST(has_diagnostic(errors, files.in_target("t1", "targets.t1.provider"), "gone"));
}

BOOST_AUTO_TEST_CASE(a_provider_file_that_is_not_yaml)
{
    case_files files("request: [unclosed\n", valid_config);
    const auto errors = files.errors();
    BOOST_TEST_REQUIRE(!errors.empty());
    BOOST_TEST(errors[0].starts_with(files.provider_file + ":"), joined(errors));
}

BOOST_AUTO_TEST_SUITE_END()
