// ${VAR} substitution as the loader applies it: to every scalar, with errors that name
// the variable and point at the scalar, and without echoing secrets.

#include "gateway/config/loader.hpp"
#include "gateway/config/yaml_reader.hpp"

#include "tests/config/support/config_files.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

namespace cfg = igw::config;
using cfg::test::map_env;
using cfg::test::position;
using cfg::test::temp_dir;

namespace {

// Every kind of scalar the loader reads, each from a variable.
const std::string every_scalar = R"(listen: ${LISTEN}
threads: ${THREADS}
limits:
  max_invitations: ${MAX_INV}
  read_timeout: ${READ_TIMEOUT}
roles: [admin, member]
clients:
  - name: app
    key: ${CLIENT_KEY}
targets:
  - name: t1
    provider: p1
    base_url: ${T1_URL}
    params:
      tenant: ${TENANT}
    secrets:
      token: ${TOKEN}
    roles:
      admin: ${ADMIN_ROLE}
      member:
        - ${MEMBER_ID}
routes:
  - path: /v1/invitations
    targets: [t1]
)";

// The same, with a default for each.
const std::string every_default = R"(listen: ${LISTEN:-127.0.0.1:9999}
threads: ${THREADS:-3}
limits:
  max_invitations: ${MAX_INV:-12}
  read_timeout: ${READ_TIMEOUT:-750ms}
roles: [admin, member]
clients:
  - name: app
    key: ${CLIENT_KEY:-default-client-key-123}
targets:
  - name: t1
    provider: p1
    base_url: ${T1_URL:-http://${T1_HOST:-localhost}:7000/x}
    params:
      tenant: ${TENANT:-}
    secrets:
      token: ${TOKEN:-dev-token}
    roles:
      admin: ${ADMIN_ROLE:-owner}
      member:
        - ${MEMBER_ID:-5}
routes:
  - path: /v1/invitations
    targets: [t1]
)";

std::string not_set(const std::string& name)
{
    return "environment variable " + name + " is not set (use ${" + name + ":-default} for a default)";
}

} // namespace

BOOST_AUTO_TEST_SUITE(config_substitution)

BOOST_AUTO_TEST_CASE(variables_reach_every_kind_of_scalar)
{
    temp_dir dir;
    const std::map<std::string, std::string> vars = {
        {"LISTEN", "10.1.2.3:8181"},
        {"THREADS", "6"},
        {"MAX_INV", "77"},
        {"READ_TIMEOUT", "2s"},
        {"CLIENT_KEY", "env-client-key-0123456789"},
        {"T1_URL", "https://t1.example:9443/api/"},
        {"TENANT", "acme"},
        {"TOKEN", "tok-123"},
        {"ADMIN_ROLE", "Owner"},
        {"MEMBER_ID", "41"},
    };
    const auto c = cfg::load_gateway_config(dir.write("gateway.yaml", every_scalar), map_env(vars));
    BOOST_TEST(c.listener.address == "10.1.2.3");
    BOOST_TEST(c.listener.port == 8181);
    BOOST_TEST(c.listener.threads == 6u);
    BOOST_TEST(c.limits.max_invitations == 77u);
    BOOST_TEST(c.limits.read_timeout.count() == 2'000);
    BOOST_TEST((c.clients.at(0).keys_sha256.at(0) == cfg::sha256("env-client-key-0123456789")));
    const auto& t = c.targets.at(0);
    BOOST_TEST(t.url.host == "t1.example");
    BOOST_TEST(t.url.port == 9443);
    BOOST_TEST(t.url.path_prefix == "/api");
    BOOST_TEST(t.params.at("tenant") == "acme");
    BOOST_TEST(t.secrets.at("token") == "tok-123");
    BOOST_TEST((t.roles.at("admin") == cfg::role_value(std::string("Owner"))));
    BOOST_TEST((t.roles.at("member") == cfg::role_value(std::vector<std::int64_t>{41})));
}

BOOST_AUTO_TEST_CASE(defaults_apply_when_unset_or_empty)
{
    temp_dir dir;
    const std::string path = dir.write("gateway.yaml", every_default);
    for (const bool empty : {false, true}) {
        std::map<std::string, std::string> vars;
        if (empty)
            for (const char* name : {"LISTEN", "THREADS", "MAX_INV", "READ_TIMEOUT", "CLIENT_KEY", "T1_URL", "T1_HOST",
                                     "TENANT", "TOKEN", "ADMIN_ROLE", "MEMBER_ID"})
                vars[name] = "";
        const auto c = cfg::load_gateway_config(path, map_env(vars));
        BOOST_TEST(c.listener.address == "127.0.0.1");
        BOOST_TEST(c.listener.port == 9999);
        BOOST_TEST(c.listener.threads == 3u);
        BOOST_TEST(c.limits.max_invitations == 12u);
        BOOST_TEST(c.limits.read_timeout.count() == 750);
        BOOST_TEST((c.clients.at(0).keys_sha256.at(0) == cfg::sha256("default-client-key-123")));
        const auto& t = c.targets.at(0);
        BOOST_TEST(t.url.scheme == "http");
        BOOST_TEST(t.url.host == "localhost");
        BOOST_TEST(t.url.port == 7000);
        BOOST_TEST(t.url.path_prefix == "/x");
        BOOST_TEST(t.params.at("tenant") == "");
        BOOST_TEST(t.secrets.at("token") == "dev-token");
        BOOST_TEST((t.roles.at("admin") == cfg::role_value(std::string("owner"))));
        BOOST_TEST((t.roles.at("member") == cfg::role_value(std::vector<std::int64_t>{5})));
    }
}

BOOST_AUTO_TEST_CASE(nested_default_needs_its_variable_only_when_used)
{
    temp_dir dir;
    const std::string text = R"(roles: [admin]
clients:
  - name: app
    key: 0123456789abcdef
targets:
  - name: t1
    provider: p1
    base_url: ${T1_URL:-https://${T1_TENANT}.example.com}
routes:
  - path: /v1/invitations
    targets: [t1]
)";
    const std::string path = dir.write("gateway.yaml", text);

    const std::map<std::string, std::string> url_set = {{"T1_URL", "https://given.example"}};
    BOOST_TEST(cfg::load_gateway_config(path, map_env(url_set)).targets.at(0).url.host == "given.example");

    const std::map<std::string, std::string> tenant_set = {{"T1_TENANT", "acme"}};
    BOOST_TEST(cfg::load_gateway_config(path, map_env(tenant_set)).targets.at(0).url.host == "acme.example.com");

    const std::map<std::string, std::string> url_empty = {{"T1_URL", ""}, {"T1_TENANT", "beta"}};
    BOOST_TEST(cfg::load_gateway_config(path, map_env(url_empty)).targets.at(0).url.host == "beta.example.com");

    const auto diagnostics = cfg::test::load_errors(path, map_env({}));
    BOOST_TEST(diagnostics == std::vector<std::string>{path + ":" + position(text, "${T1_URL") +
                                                       ": targets.t1.base_url: " + not_set("T1_TENANT")},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(every_unset_variable_is_reported_with_its_position)
{
    temp_dir dir;
    const std::string path = dir.write("gateway.yaml", every_scalar);
    const auto diagnostics = cfg::test::load_errors(path, map_env({}));
    const std::map<std::string, std::string> key_of = {
        {"LISTEN", "listen"},
        {"THREADS", "threads"},
        {"MAX_INV", "limits.max_invitations"},
        {"READ_TIMEOUT", "limits.read_timeout"},
        {"CLIENT_KEY", "clients[0].key"},
        {"T1_URL", "targets.t1.base_url"},
        {"TENANT", "targets.t1.params.tenant"},
        {"TOKEN", "targets.t1.secrets.token"},
        {"ADMIN_ROLE", "targets.t1.roles.admin"},
        {"MEMBER_ID", "targets.t1.roles.member[0]"},
    };
    BOOST_TEST(diagnostics.size() == key_of.size());
    for (const auto& [name, key] : key_of) {
        const std::string line = path + ":" + position(every_scalar, "${" + name + "}") + ": " + key + ": " +
                                 not_set(name);
        BOOST_TEST(cfg::test::has_line(diagnostics, line), "missing: " << line);
    }
}

BOOST_AUTO_TEST_CASE(a_double_dollar_is_a_literal_in_the_file)
{
    temp_dir dir;
    std::string text = cfg::test::minimal_config;
    const std::string url = "    base_url: https://t1.example\n";
    text.replace(text.find(url), url.size(), url + "    secrets:\n      template: \"$${NOT_A_VAR} and ${HOST}\"\n");
    const std::map<std::string, std::string> vars = {{"HOST", "h"}};
    const auto c = cfg::load_gateway_config(dir.write("gateway.yaml", text), map_env(vars));
    BOOST_TEST(c.targets.at(0).secrets.at("template") == "${NOT_A_VAR} and h");
}

BOOST_AUTO_TEST_CASE(secrets_never_appear_in_error_messages)
{
    temp_dir dir;
    const std::string text = R"(roles: [admin]
clients:
  - name: app
    key: ${CLIENT_KEY}
  - name: inline
    key: inl1ne-SECRET
targets:
  - name: t1
    provider: p1
    base_url: https://svc:${TOKEN}@t1.example
    secrets:
      token: ${TOKEN}
      other: "sk-INLINE-SECRET${"
      listed: [sk-LISTED-SECRET]
  - name: t2
    provider: p1
    base_url: https://t2.example
    secrets:
      token: ${TOKEN}
    timeout: soon
routes:
  - path: /v1/invitations
    targets: [t1, t2, t3]
)";
    const std::string path = dir.write("gateway.yaml", text);
    const std::map<std::string, std::string> vars = {{"CLIENT_KEY", "ENV-SECRET-1"}, {"TOKEN", "ENV-SECRET-2"}};
    std::string what;
    std::vector<std::string> diagnostics;
    try {
        cfg::load_gateway_config(path, map_env(vars));
    } catch (const cfg::config_error& e) {
        what = e.what();
        diagnostics = e.diagnostics();
    }
    // One per mistake: short key (twice), credentials in the URL, unterminated ${,
    // a list as a secret, a bad duration, an unknown target.
    BOOST_TEST(diagnostics.size() == 7u, what);
    BOOST_TEST(cfg::test::has_line(diagnostics, path + ":" + position(text, "${CLIENT_KEY}") +
                                                    ": clients[0].key: a client key needs at least 16 characters"));
    BOOST_TEST(
        cfg::test::has_prefix(diagnostics, path + ":" + position(text, "https://svc") + ": targets.t1.base_url: "));
    BOOST_TEST(cfg::test::has_prefix(diagnostics,
                                     path + ":" + position(text, "\"sk-INLINE") + ": targets.t1.secrets.other: "));
    BOOST_TEST(cfg::test::has_line(diagnostics, path + ":" + position(text, "[sk-LISTED") +
                                                    ": targets.t1.secrets.listed: must be a string, not a list"));
    for (const char* secret : {"ENV-SECRET-1", "ENV-SECRET-2", "SECRET", "inl1ne", "sk-"})
        BOOST_TEST(what.find(secret) == std::string::npos, secret << " appears in:\n" << what);
}

BOOST_AUTO_TEST_SUITE_END()
