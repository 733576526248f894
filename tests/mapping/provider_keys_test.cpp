// The provider keys real vendor APIs need (README "Writing a provider"): headers that
// replace the gateway's defaults, typed reply values (integer ids, unix-time expiry),
// list parameters and already-invited rules. Most cases load the test-only Nimbus
// provider (tests/e2e/providers/nimbus.yaml), the rest small providers written here.

#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/owned_headers.hpp"
#include "gateway/mapping/reply_mapper.hpp"
#include "gateway/mapping/timestamp.hpp"

#include "tests/mapping/support/mapping_support.hpp"
#include "tests/support/paths.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

namespace mapping = igw::mapping;
using namespace igw::mapping::test;
using mapping::error_code;
using mapping::item_status;

namespace {

std::string nimbus_config(const std::string& providers_dir, const std::string& provider = "nimbus",
                          const std::string& params = "{workspace: ws_7Q2, team_ids: [3, 5]}")
{
    return "providers_dir: " + providers_dir + R"(
roles: [admin, member]
clients:
  - name: app
    key: 0123456789abcdef
routes:
  - path: /v1/invitations
    targets: [nimbus]
targets:
  - name: nimbus
    provider: )" +
           provider + R"(
    base_url: https://nimbus.example
    params: )" +
           params + R"(
    secrets: {token: nb-token}
    roles: {admin: 10, member: 20}
)";
}

std::string replaced(std::string text, std::string_view from, std::string_view to)
{
    const std::size_t at = text.find(from);
    BOOST_TEST_REQUIRE(at != std::string::npos, "\"" << from << "\" is not in the fixture");
    return text.replace(at, from.size(), to);
}

std::string e2e_providers_dir() { return igw::test::test_data_dir() + "/e2e/providers"; }

// One target, one call per invitation; maps replies to the first call.
struct one_target {
    temp_dir dir;
    std::shared_ptr<const mapping::compiled_config> config;
    igw::canonical::invite_request request;
    mapping::dispatch_plan plan;
    mapping::reply_mapper mapper;

    explicit one_target(
        const std::string& config_text, const std::map<std::string, std::string>& providers = {},
        const std::string& request_json = R"({"invitations":[{"email":"Ann@Example.com","role":"member"}]})")
    {
        for (const auto& [name, text] : providers)
            dir.write("providers/" + name + ".yaml", text);
        config = load(dir.write("gateway.yaml", config_text), {});
        request = parse_request(*config, request_json);
        mapping::render_calls(request, config->mappings.routes[0], config->config.roles, plan);
        BOOST_TEST_REQUIRE(!plan.calls.empty());
    }

    const mapping::target_plan& target() const { return *plan.calls.front().target; }
    std::string body(std::size_t call = 0) const
    {
        const auto& c = plan.calls.at(call);
        return plan.bodies.substr(c.body_offset, c.body_size);
    }
    std::vector<mapping::item_result> map(unsigned status, std::string reply, std::size_t call = 0)
    {
        std::vector<mapping::item_result> out;
        mapper.map_reply(request, plan, plan.calls.at(call), status, reply, out);
        BOOST_TEST_REQUIRE(out.size() == plan.calls.at(call).item_count);
        return out;
    }
    mapping::item_result map_one(unsigned status, std::string reply) { return map(status, std::move(reply)).front(); }
};

std::string nimbus_created(std::string_view id, std::string_view expires_at, std::string_view expires_at_ms)
{
    return R"({"invitation":{"id":)" + std::string(id) +
           R"(,"email":"ann@example.com","role_id":20,"team_ids":[3,5],"state":"pending","expires_at":)" +
           std::string(expires_at) + R"(,"expires_at_ms":)" + std::string(expires_at_ms) + "}}";
}

const std::string nimbus_already_invited =
    R"({"error":{"code":"already_invited","message":"ann@example.com already has a pending invitation",)"
    R"("invitation_id":90001}})";

void expect_unreadable(const mapping::item_result& r, std::string_view pointer_part)
{
    BOOST_TEST(r.status == item_status::unknown);
    BOOST_TEST(r.error == error_code::bad_upstream_response);
    BOOST_TEST(r.message.find(pointer_part) != std::string::npos, r.message);
    BOOST_TEST(r.invitation_id.empty());
    BOOST_TEST(r.expires_at.empty());
    BOOST_TEST(!r.already_invited);
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_keys)

// ---- headers ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_provider_accept_header_replaces_the_default_one)
{
    one_target t(nimbus_config(e2e_providers_dir()));
    std::vector<std::string> accept;
    for (const auto& h : t.target().headers)
        if (mapping::header_name_equals(h.name, "accept"))
            accept.push_back(h.value);
    BOOST_TEST(accept.size() == 1u);
    BOOST_TEST(accept.at(0) == "application/vnd.nimbus.v3+json");
    // The defaults the provider leaves alone stay.
    const auto has = [&](std::string_view name, std::string_view value) {
        return std::any_of(t.target().headers.begin(), t.target().headers.end(),
                           [&](const auto& h) { return h.name == name && h.value == value; });
    };
    BOOST_TEST(has("Content-Type", "application/json"));
    BOOST_TEST(has("User-Agent", "invitegw/0.1"));
    BOOST_TEST(has("Authorization", "Token nb-token"));
}

BOOST_AUTO_TEST_CASE(default_headers_are_replaced_whatever_the_case_of_the_name)
{
    std::string provider = read_file(e2e_providers_dir() + "/nimbus.yaml");
    provider = replaced(provider, "    Accept:", "    user-agent: nimbus-sdk/1.0\n    aCCEPT:");
    one_target t(nimbus_config("providers", "p"), {{"p", provider}});
    std::size_t accept = 0, user_agent = 0;
    for (const auto& h : t.target().headers) {
        if (mapping::header_name_equals(h.name, "Accept")) {
            ++accept;
            BOOST_TEST(h.value == "application/vnd.nimbus.v3+json");
        }
        if (mapping::header_name_equals(h.name, "User-Agent")) {
            ++user_agent;
            BOOST_TEST(h.value == "nimbus-sdk/1.0");
        }
    }
    BOOST_TEST(accept == 1u);
    BOOST_TEST(user_agent == 1u);
}

BOOST_AUTO_TEST_CASE(the_owned_headers_are_one_list)
{
    for (std::string_view name : {"host", "CONTENT-LENGTH", "Content-Type", "transfer-encoding", "Connection"})
        BOOST_TEST(!mapping::owned_header(name).empty(), name);
    BOOST_TEST(mapping::owned_header("content-length") == "Content-Length");
    for (std::string_view name : {"Accept", "User-Agent", "Authorization", "Hostname"})
        BOOST_TEST(mapping::owned_header(name).empty(), name);
}

// ---- list parameters ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(an_integer_list_parameter_is_rendered_as_an_array_of_integers)
{
    one_target t(nimbus_config(e2e_providers_dir()));
    BOOST_TEST(t.target().target == "/api/v3/workspaces/ws_7Q2/invitations");
    BOOST_TEST(t.body() == R"({"email":"ann@example.com","role_id":20,"team_ids":[3,5],"send_notification":true})");
}

BOOST_AUTO_TEST_CASE(list_parameter_elements_go_through_variable_substitution)
{
    temp_dir dir;
    const std::string file = dir.write(
        "gateway.yaml", nimbus_config(e2e_providers_dir(), "nimbus",
                                      "\n      workspace: ws_7Q2\n      team_ids:\n        - ${TEAM}\n        - 9"));
    const auto config = load(file, {{"TEAM", "4"}});
    const auto& target = config->mappings.targets.at(0);
    BOOST_TEST_REQUIRE(target.body_list_params.size() == 1u);
    BOOST_TEST(target.body_list_params[0].first == "team_ids");
    BOOST_TEST((target.body_list_params[0].second == std::vector<std::string>{"4", "9"}));
}

BOOST_AUTO_TEST_CASE(a_string_list_parameter_is_rendered_as_an_array_of_strings)
{
    std::string provider = read_file(e2e_providers_dir() + "/nimbus.yaml");
    provider = replaced(provider, "as: integer_list", "as: string_list");
    one_target t(nimbus_config("providers", "p", "{workspace: ws_7Q2, team_ids: [eng, \"ops team\"]}"),
                 {{"p", provider}});
    BOOST_TEST(t.body() ==
               R"({"email":"ann@example.com","role_id":20,"team_ids":["eng","ops team"],"send_notification":true})");
}

// ---- typed reply values -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(an_integer_id_and_unix_seconds_become_a_string_and_rfc3339)
{
    one_target t(nimbus_config(e2e_providers_dir()));
    const auto r = t.map_one(201, nimbus_created("90210", "1796725219", "1796725219500"));
    BOOST_TEST(r.status == item_status::invited);
    BOOST_TEST(r.error == error_code::none);
    BOOST_TEST(r.invitation_id == "90210");
    BOOST_TEST(r.expires_at == "2026-12-08T10:20:19Z");
    BOOST_TEST(r.vendor_status == "pending");
    BOOST_TEST(!r.already_invited);
}

BOOST_AUTO_TEST_CASE(unix_millis_keep_their_fraction_when_there_is_one)
{
    one_target t(nimbus_config(e2e_providers_dir(), "nimbus_millis"));
    BOOST_TEST(t.map_one(201, nimbus_created("90210", "1796725219", "1796725219500")).expires_at ==
               "2026-12-08T10:20:19.500Z");
    BOOST_TEST(t.map_one(201, nimbus_created("90210", "1796725219", "1796725219000")).expires_at ==
               "2026-12-08T10:20:19Z");
}

BOOST_AUTO_TEST_CASE(a_value_of_the_wrong_type_is_reported_with_its_pointer)
{
    one_target seconds(nimbus_config(e2e_providers_dir()));
    // A string where unix seconds are declared is not read as a number.
    expect_unreadable(seconds.map_one(201, nimbus_created("90210", "\"1796725219\"", "1")),
                      "/invitation/expires_at is not an integer of unix seconds");
    expect_unreadable(seconds.map_one(201, nimbus_created("90210", "1796725219.5", "1")),
                      "/invitation/expires_at is not an integer");
    expect_unreadable(seconds.map_one(201, nimbus_created("{\"n\":1}", "1796725219", "1")),
                      "/invitation/id is not a string or an integer");
    expect_unreadable(seconds.map_one(201, nimbus_created("[90210]", "1796725219", "1")), "/invitation/id");
    expect_unreadable(seconds.map_one(201, nimbus_created("true", "1796725219", "1")), "/invitation/id");
    expect_unreadable(seconds.map_one(201, nimbus_created("9.5", "1796725219", "1")), "/invitation/id");
    // Past year 9999: no RFC 3339 date-time to write.
    expect_unreadable(seconds.map_one(201, nimbus_created("1", "999999999999", "1")),
                      "/invitation/expires_at is not a valid date-time");
    one_target millis(nimbus_config(e2e_providers_dir(), "nimbus_millis"));
    expect_unreadable(millis.map_one(201, nimbus_created("1", "1", "\"soon\"")),
                      "/invitation/expires_at_ms is not an integer of unix milliseconds");
}

BOOST_AUTO_TEST_CASE(absent_and_null_values_stay_empty)
{
    one_target t(nimbus_config(e2e_providers_dir()));
    const auto absent = t.map_one(201, R"({"invitation":{"email":"ann@example.com"}})");
    BOOST_TEST(absent.status == item_status::invited);
    BOOST_TEST(absent.invitation_id.empty());
    BOOST_TEST(absent.expires_at.empty());
    const auto null = t.map_one(201, nimbus_created("null", "null", "null"));
    BOOST_TEST(null.status == item_status::invited);
    BOOST_TEST(null.invitation_id.empty());
    BOOST_TEST(null.expires_at.empty());
}

BOOST_AUTO_TEST_CASE(rfc3339_expiry_is_validated_and_normalised_to_utc)
{
    std::string provider = read_file(e2e_providers_dir() + "/nimbus.yaml");
    provider = replaced(provider, "{pointer: /expires_at, format: unix_seconds}", "/expires_at");
    one_target t(nimbus_config("providers", "p"), {{"p", provider}});
    const auto at = [&](std::string_view expiry) {
        return t.map_one(201, nimbus_created("1", "\"" + std::string(expiry) + "\"", "1"));
    };
    BOOST_TEST(at("2026-12-15T10:20:19Z").expires_at == "2026-12-15T10:20:19Z");
    BOOST_TEST(at("2026-12-15T11:20:19.250+01:00").expires_at == "2026-12-15T10:20:19.250Z");
    BOOST_TEST(at("2026-12-31t20:30:00.123456-04:00").expires_at == "2027-01-01T00:30:00.123456Z");
    BOOST_TEST(at("2024-02-29T00:00:00z").expires_at == "2024-02-29T00:00:00Z");
    for (std::string_view bad : {"2026-12-15", "2026-12-15T10:20:19", "2026-02-29T00:00:00Z", "2026-12-15T24:00:00Z",
                                 "2026-12-15T10:20:19+0100", "next tuesday", "2026-12-15T10:20:19.Z"})
        expect_unreadable(at(bad), "/invitation/expires_at is not a valid date-time");
    expect_unreadable(t.map_one(201, nimbus_created("1", "1796725219", "1")),
                      "/invitation/expires_at is not an RFC 3339 date-time string");
}

BOOST_AUTO_TEST_CASE(array_replies_report_a_bad_value_on_its_own_item)
{
    const std::string provider = R"(secrets: [token]
request:
  method: POST
  path: /invites
  headers: {Authorization: "Bearer {secret.token}"}
  body: {invites: {$each: {email: {$item: email}, role: {$item: role}}}}
batch:
  max_items: 10
roles:
  type: integer
reply:
  success: [200]
  items: array
  root: /invites
  match: /email
  fields:
    invitation_id: /id
    expires_at: {pointer: /expires, format: unix_seconds}
)";
    std::string config = nimbus_config("providers", "p", "{}");
    one_target t(config, {{"p", provider}},
                 R"({"invitations":[{"email":"ann@example.com","role":"member"},)"
                 R"({"email":"ben@example.com","role":"member"}]})");
    const auto out = t.map(200, R"({"invites":[{"email":"ann@example.com","id":7,"expires":1796725219},)"
                                R"({"email":"ben@example.com","id":8,"expires":"tomorrow"}]})");
    BOOST_TEST(out[0].status == item_status::invited);
    BOOST_TEST(out[0].invitation_id == "7");
    BOOST_TEST(out[0].expires_at == "2026-12-08T10:20:19Z");
    expect_unreadable(out[1], "/invites/1/expires is not an integer of unix seconds");
}

// ---- already-invited rules ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_reply_matching_an_already_invited_rule_is_invited_with_the_existing_id)
{
    one_target t(nimbus_config(e2e_providers_dir()));
    const auto r = t.map_one(409, nimbus_already_invited);
    BOOST_TEST(r.status == item_status::invited);
    BOOST_TEST(r.error == error_code::none);
    BOOST_TEST(r.already_invited);
    BOOST_TEST(r.invitation_id == "90001");
    BOOST_TEST(r.upstream_status == 409u);
    BOOST_TEST(r.message.empty());
}

BOOST_AUTO_TEST_CASE(a_reply_the_rules_do_not_match_fails_as_before)
{
    one_target t(nimbus_config(e2e_providers_dir()));
    const auto other_code = t.map_one(409, R"({"error":{"code":"conflict","message":"workspace is locked"}})");
    BOOST_TEST(other_code.status == item_status::failed);
    BOOST_TEST(other_code.error == error_code::upstream_rejected);
    BOOST_TEST(other_code.message == "workspace is locked");
    BOOST_TEST(!other_code.already_invited);
    // The same body with another status: the rule names 409 only.
    const auto other_status = t.map_one(422, nimbus_already_invited);
    BOOST_TEST(other_status.status == item_status::failed);
    BOOST_TEST(!other_status.already_invited);
    // Equality is exact.
    BOOST_TEST(!t.map_one(409, R"({"error":{"code":"Already_Invited"}})").already_invited);
    // A body that is not JSON matches nothing.
    BOOST_TEST(t.map_one(409, "already_invited").status == item_status::failed);
}

BOOST_AUTO_TEST_CASE(an_existing_id_of_the_wrong_type_is_reported)
{
    one_target t(nimbus_config(e2e_providers_dir()));
    expect_unreadable(t.map_one(409, R"({"error":{"code":"already_invited","invitation_id":{"id":1}}})"),
                      "/error/invitation_id is not a string or an integer");
    // No id at all: still invited, without one.
    const auto r = t.map_one(409, R"({"error":{"code":"already_invited"}})");
    BOOST_TEST(r.already_invited);
    BOOST_TEST(r.invitation_id.empty());
}

BOOST_AUTO_TEST_CASE(contains_rules_match_a_case_insensitive_substring)
{
    std::string provider = read_file(e2e_providers_dir() + "/nimbus.yaml");
    provider = replaced(provider, "      invitation_id: /error/invitation_id",
                        "      invitation_id: /error/invitation_id\n"
                        "    - status: 422\n      pointer: /error/message\n      contains: Already A Member");
    one_target t(nimbus_config("providers", "p"), {{"p", provider}});
    const auto member = t.map_one(422,
                                  R"({"error":{"code":"invalid","message":"ann@example.com is already a MEMBER"}})");
    BOOST_TEST(member.status == item_status::invited);
    BOOST_TEST(member.already_invited);
    BOOST_TEST(member.invitation_id.empty());
    BOOST_TEST(t.map_one(422, R"({"error":{"message":"email is invalid"}})").status == item_status::failed);
    // The first rule still holds.
    BOOST_TEST(t.map_one(409, nimbus_already_invited).invitation_id == "90001");
}

// ---- timestamps ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(unix_times_are_written_as_rfc3339_utc)
{
    const auto seconds = [](std::int64_t s) {
        mapping::timestamp_text out;
        BOOST_TEST_REQUIRE(mapping::append_rfc3339_from_unix_seconds(s, out));
        return out;
    };
    BOOST_TEST(seconds(0) == "1970-01-01T00:00:00Z");
    BOOST_TEST(seconds(951'782'400) == "2000-02-29T00:00:00Z");
    BOOST_TEST(seconds(-1) == "1969-12-31T23:59:59Z");
    BOOST_TEST(seconds(253'402'300'799) == "9999-12-31T23:59:59Z");
    mapping::timestamp_text out;
    out = "kept";
    BOOST_TEST(!mapping::append_rfc3339_from_unix_seconds(253'402'300'800, out));
    BOOST_TEST(out == "kept");
    BOOST_TEST(mapping::append_rfc3339_from_unix_millis(-1, out));
    BOOST_TEST(out == "kept1969-12-31T23:59:59.999Z");
}

BOOST_AUTO_TEST_CASE(a_leap_second_reads_as_the_next_second)
{
    mapping::timestamp_text out;
    BOOST_TEST(mapping::append_normalised_rfc3339("2016-12-31T23:59:60Z", out));
    BOOST_TEST(out == "2017-01-01T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(a_fraction_is_kept_as_written_up_to_attoseconds)
{
    mapping::timestamp_text out;
    BOOST_TEST(mapping::append_normalised_rfc3339("2026-12-15T11:20:19.123456789012345678+01:00", out));
    BOOST_TEST(out == "2026-12-15T10:20:19.123456789012345678Z");
    BOOST_TEST(out.size() == mapping::timestamp_text::capacity);
    // Digits past the eighteenth are cut, as a truncating clock would, never rounded up.
    out.clear();
    BOOST_TEST(mapping::append_normalised_rfc3339("2026-12-15T10:20:19.99999999999999999999999Z", out));
    BOOST_TEST(out == "2026-12-15T10:20:19.999999999999999999Z");
}

BOOST_AUTO_TEST_SUITE_END()
