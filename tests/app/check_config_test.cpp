// `invitegw check-config FILE`: what deploy scripts rely on, the exit status (0 for a
// config that loads, 1 with every problem listed otherwise), and a summary that never
// shows a secret.

#include "gateway/app/commands.hpp"
#include "gateway/app/summary.hpp"
#include "gateway/mapping/compiled_config.hpp"

#include "tests/app/support/config_file.hpp"
#include "tests/support/paths.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <sstream>
#include <string>

namespace app = igw::app;
using namespace igw::app::test;

namespace {

run check(const std::string& file)
{
    std::ostringstream out, err;
    run r;
    r.status = app::check_config(file, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::string shipped_provider_text(std::string_view name)
{
    return igw::test::read_file(std::filesystem::path(igw::test::test_data_dir()) / ".." / "providers" /
                                (std::string(name) + ".yaml"));
}

} // namespace

BOOST_AUTO_TEST_SUITE(check_config)

BOOST_AUTO_TEST_CASE(a_good_config_exits_0_with_a_summary_and_no_secret)
{
    const igw::test::temp_dir dir;
    const std::string file = write_config(dir, valid_config_text());
    const run r = check(file);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.err.empty());
    BOOST_TEST(r.out.starts_with(file + ": OK\n"), r.out);
    BOOST_TEST(contains(r.out, "listen      127.0.0.1:18080 (2 worker threads)"), r.out);
    BOOST_TEST(contains(r.out, "  POST /v1/invitations -> anthropic, gorules"), r.out);
    BOOST_TEST(contains(r.out, "  tests  key <redacted>"), r.out);
    BOOST_TEST(contains(r.out, "    role      admin -> unsupported"), r.out);
    BOOST_TEST(contains(r.out, "<redacted>"));
    for (const std::string_view secret : {client_key, anthropic_key, gorules_token})
        BOOST_TEST(!contains(r.out, secret), secret);
}

BOOST_AUTO_TEST_CASE(a_config_with_problems_exits_1_and_lists_each_with_its_place)
{
    const igw::test::temp_dir dir;
    std::string text = valid_config_text();
    // Two problems at once: an unknown key and a route naming a target that does not exist.
    text.replace(text.find("threads: 2"), 10, "threadz: 2");
    text.replace(text.find("targets: [anthropic, gorules]"), 29, "targets: [anthropic, nobody]");
    const std::string file = write_config(dir, text);
    const run r = check(file);
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.out.empty(), r.out); // no summary of a config that does not load
    BOOST_TEST(contains(r.err, "threadz"), r.err);
    BOOST_TEST(contains(r.err, "nobody"), r.err);
    BOOST_TEST(contains(r.err, file + ":2:"), r.err); // file:line: of the unknown key
    BOOST_TEST(contains(r.err, file + ": 2 problems\n"), r.err);
}

BOOST_AUTO_TEST_CASE(a_missing_file_exits_1)
{
    const igw::test::temp_dir dir;
    const run r = check((dir.path() / "absent.yaml").string());
    BOOST_TEST(r.status == 1);
    BOOST_TEST(contains(r.err, "absent.yaml"), r.err);
    BOOST_TEST(contains(r.err, "1 problem\n"), r.err);
}

BOOST_AUTO_TEST_CASE(the_summary_redacts_headers_made_from_secrets)
{
    const igw::test::temp_dir dir;
    const auto loaded = igw::mapping::load_compiled_config(write_config(dir, valid_config_text()));
    std::ostringstream out;
    app::write_summary(out, *loaded);
    const std::string text = out.str();
    BOOST_TEST(contains(text, "    call      POST https://api.anthropic.test"), text);
    // Anthropic publishes a listing (reconcile looks unknown items up there); GoRules does not.
    BOOST_TEST(contains(text, "    lookup    GET https://api.anthropic.test/v1/organizations/invites?limit=1000 "
                              "(reconcile)\n"),
               text);
    std::size_t lookups = 0;
    for (auto at = text.find("    lookup    "); at != std::string::npos; at = text.find("    lookup    ", at + 1))
        ++lookups;
    BOOST_TEST(lookups == 1u, text);
    BOOST_TEST(contains(text, "    header    "), text);
    BOOST_TEST(contains(text, ": <redacted>\n"), text);
    BOOST_TEST(contains(text, "    secret    api_key = <redacted>\n"), text);
    BOOST_TEST(contains(text, "    secret    token = <redacted>\n"), text);
    for (const std::string_view secret : {client_key, anthropic_key, gorules_token})
        BOOST_TEST(!contains(text, secret), secret);
}

BOOST_AUTO_TEST_CASE(the_summary_shows_where_a_webhook_goes_but_not_its_secret_nor_its_query)
{
    const igw::test::temp_dir dir;
    constexpr std::string_view webhook_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    std::string text = valid_config_text();
    const std::string key_line = "    key: " + std::string(client_key) + "\n";
    const std::size_t at = text.find(key_line);
    BOOST_TEST_REQUIRE(at != std::string::npos);
    text.insert(at + key_line.size(), "    webhook:\n      url: https://hooks.example.com/invitegw?token=q7Zp2\n"
                                      "      secret: " +
                                          std::string(webhook_secret) + "\n");
    const run r = check(write_config(dir, text));
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(contains(r.out, "    webhook   https://hooks.example.com/invitegw?<redacted> (secret <redacted>)\n"),
               r.out);
    BOOST_TEST(!contains(r.out, "q7Zp2"), r.out);
    BOOST_TEST(!contains(r.out, "MfKQ9r8G"), r.out);
}

BOOST_AUTO_TEST_CASE(the_summary_reports_the_shipped_providers_examples_as_matching)
{
    const igw::test::temp_dir dir;
    const run r = check(write_config(dir, valid_config_text()));
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(contains(r.out, "  provider anthropic: example request and reply match\n"), r.out);
    BOOST_TEST(contains(r.out, "  provider gorules: example request and reply match\n"), r.out);
}

BOOST_AUTO_TEST_CASE(an_example_reply_lacking_a_declared_pointer_exits_1_naming_the_declaration)
{
    // The vendor's example reply without the expiry the mapping reads.
    const igw::test::temp_dir dir;
    std::string provider = shipped_provider_text("anthropic");
    const std::string expiry_line = "        \"expires_at\": \"2024-11-20T23:58:27.427722Z\",\n";
    const std::size_t at = provider.find(expiry_line);
    BOOST_TEST_REQUIRE(at != std::string::npos);
    provider.erase(at, expiry_line.size());
    const std::string provider_file = dir.write("providers/anthropic.yaml", provider);
    dir.write("providers/gorules.yaml", shipped_provider_text("gorules"));

    std::string config = valid_config_text();
    const std::size_t dir_line = config.find("providers_dir: ");
    BOOST_TEST_REQUIRE(dir_line != std::string::npos);
    config.replace(dir_line, config.find('\n', dir_line) - dir_line,
                   "providers_dir: " + (dir.path() / "providers").string());
    const run r = check(write_config(dir, config));
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.out.empty(), r.out);
    BOOST_TEST(contains(r.err, provider_file + ":" + igw::test::position(provider, "/expires_at") +
                                   ": reply.fields.expires_at: /expires_at is not in the example reply\n"),
               r.err);
    BOOST_TEST(contains(r.err, ": 1 problem\n"), r.err);
}

BOOST_AUTO_TEST_CASE(the_summary_prints_list_parameters_and_one_accept_header)
{
    const igw::test::temp_dir dir;
    // The test-only Nimbus provider: a custom Accept and an integer-list parameter.
    const std::string text = "providers_dir: " + igw::test::test_data_dir() + "/e2e/providers\n" + R"(roles: [member]
clients:
  - name: app
    key: )" + std::string(client_key) +
                             R"(
routes:
  - path: /v1/invitations
    targets: [nimbus]
targets:
  - name: nimbus
    provider: nimbus
    base_url: https://nimbus.test
    params:
      workspace: ws_7Q2
      team_ids: [7, "${TEAM:-9}"]
    secrets: {token: nimbus-secret-token}
    roles: {member: 20}
)";
    const run r = check(write_config(dir, text));
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(contains(r.out, "    param     team_ids = [7, 9]\n"), r.out);
    BOOST_TEST(contains(r.out, "    param     workspace = ws_7Q2\n"), r.out);
    BOOST_TEST(contains(r.out, "    header    Accept: application/vnd.nimbus.v3+json\n"), r.out);
    BOOST_TEST(!contains(r.out, "Accept: application/json"), r.out);
    BOOST_TEST(!contains(r.out, "nimbus-secret-token"), r.out);
}

BOOST_AUTO_TEST_CASE(a_list_parameter_given_a_scalar_is_reported_at_its_value)
{
    const igw::test::temp_dir dir;
    const std::string text = "providers_dir: " + igw::test::test_data_dir() + "/e2e/providers\n" + R"(roles: [member]
clients:
  - name: app
    key: )" + std::string(client_key) +
                             R"(
routes:
  - path: /v1/invitations
    targets: [nimbus]
targets:
  - name: nimbus
    provider: nimbus
    base_url: https://nimbus.test
    params: {workspace: ws_7Q2, team_ids: 7}
    secrets: {token: nimbus-secret-token}
    roles: {member: 20}
)";
    const std::string file = write_config(dir, text);
    const run r = check(file);
    BOOST_TEST(r.status == 1);
    BOOST_TEST(contains(r.err, file + ":13:43: targets.nimbus.params.team_ids: must be a list"), r.err);
}

BOOST_AUTO_TEST_SUITE_END()
