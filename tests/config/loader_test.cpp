#include "gateway/config/loader.hpp"
#include "gateway/config/yaml_reader.hpp"

#include "tests/config/support/config_files.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/support/paths.hpp"
#include <filesystem>
#include <map>
#include <set>
#include <string>

namespace cfg = igw::config;
using cfg::test::map_env;
using cfg::test::minimal_config;
using cfg::test::position;
using cfg::test::temp_dir;

namespace fs = std::filesystem;

namespace {

std::string hex(const std::array<std::uint8_t, 32>& digest)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::uint8_t b : digest) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0xF]);
    }
    return out;
}

const std::string fixtures = ::igw::test::test_data_dir() + "/config/fixtures";

} // namespace

BOOST_AUTO_TEST_SUITE(config_loader)

BOOST_AUTO_TEST_CASE(sha256_matches_the_standard_test_vectors)
{
    BOOST_TEST(hex(cfg::sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_TEST(hex(cfg::sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_CASE(a_complete_config_loads_into_the_expected_values)
{
    const std::string path = fixtures + "/complete.yaml";
    const std::string text = cfg::test::read_file(path);
    const std::map<std::string, std::string> vars = {
        {"WEB_KEY", "web-client-key-0123456789"},
        {"ALPHA_KEY", "alpha-secret-value"},
        {"DEV_ROLE_ID", "99"},
        {"GAMMA_TENANT", "acme"},
    };
    const cfg::gateway_config c = cfg::load_gateway_config(path, map_env(vars));

    BOOST_TEST(c.file == path);
    BOOST_TEST(c.providers_dir == (fs::path(fixtures) / ".." / "mappings").lexically_normal().string());
    BOOST_TEST(c.listener.address == "0.0.0.0");
    BOOST_TEST(c.listener.port == 9090);
    BOOST_TEST(c.listener.threads == 4u);

    BOOST_TEST(c.limits.max_body_bytes == 65536u);
    BOOST_TEST(c.limits.max_header_bytes == 8192u);
    BOOST_TEST(c.limits.max_invitations == 50u);
    BOOST_TEST(c.limits.max_connections == 200u);
    BOOST_TEST(c.limits.max_in_flight_requests == 100u);
    BOOST_TEST(c.limits.max_connections_per_peer == 20u);
    BOOST_TEST(c.limits.max_target_bytes == 4096u);
    BOOST_TEST(c.limits.read_timeout.count() == 5'000);
    BOOST_TEST(c.limits.idle_timeout.count() == 120'000);
    BOOST_TEST(c.limits.request_timeout.count() == 1'500);
    BOOST_TEST(c.limits.shutdown_grace.count() == 3'600'000);

    BOOST_TEST(c.roles == (std::vector<std::string>{"admin", "developer", "member", "billing"}),
               boost::test_tools::per_element());

    BOOST_REQUIRE_EQUAL(c.clients.size(), 2u);
    BOOST_TEST(c.clients[0].name == "web");
    BOOST_TEST(hex(c.clients[0].keys_sha256.at(0)) == hex(cfg::sha256("web-client-key-0123456789")));
    BOOST_TEST(c.clients[0].routes == std::vector<std::string>{"/v1/invitations"}, boost::test_tools::per_element());
    BOOST_TEST(c.clients[1].name == "batch");
    // sha256("test"), given in upper case in the file.
    BOOST_TEST(hex(c.clients[1].keys_sha256.at(0)) == "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    BOOST_TEST(hex(c.clients[1].keys_sha256.at(0)) == hex(cfg::sha256("test")));
    BOOST_TEST(c.clients[1].routes.empty());

    BOOST_REQUIRE_EQUAL(c.routes.size(), 2u);
    BOOST_TEST(c.routes[0].path == "/v1/invitations");
    BOOST_TEST(c.routes[0].targets == (std::vector<std::string>{"alpha", "beta", "gamma", "delta"}),
               boost::test_tools::per_element());
    BOOST_TEST(c.routes[0].origin == path + ":" + position(text, "path: /v1/invitations"));
    BOOST_TEST(c.routes[1].path == "/v1/alpha-only");
    BOOST_TEST(c.routes[1].targets == std::vector<std::string>{"alpha"}, boost::test_tools::per_element());
    BOOST_TEST(c.find_route("/v1/alpha-only") == &c.routes[1]);
    BOOST_TEST(c.find_route("/v1/nope") == nullptr);

    BOOST_REQUIRE_EQUAL(c.targets.size(), 4u);
    const cfg::target_config& alpha = c.targets[0];
    BOOST_TEST(alpha.name == "alpha");
    BOOST_TEST(alpha.provider == "alpha_provider");
    BOOST_TEST(alpha.url.scheme == "https");
    BOOST_TEST(alpha.url.tls());
    BOOST_TEST(alpha.url.host == "api.alpha.example");
    BOOST_TEST(alpha.url.port == 443);
    BOOST_TEST(alpha.url.path_prefix == "");
    BOOST_TEST(alpha.params.size() == 2u);
    BOOST_TEST(alpha.params.at("organization_id") == "org-123");
    BOOST_TEST(alpha.params.at("tenant") == "default-tenant"); // ${TENANT:-default-tenant}
    BOOST_TEST(alpha.secrets.size() == 2u);
    BOOST_TEST(alpha.secrets.at("api_key") == "alpha-secret-value");
    BOOST_TEST(alpha.secrets.at("literal") == "a${b}");
    BOOST_TEST(alpha.roles.size() == 4u);
    BOOST_TEST((alpha.roles.at("admin") == cfg::role_value(std::string("admin"))));
    BOOST_TEST((alpha.roles.at("developer") == cfg::role_value(std::string("42")))); // quoted: a string
    BOOST_TEST((alpha.roles.at("member") == cfg::role_value(std::int64_t{7})));
    BOOST_TEST((alpha.roles.at("billing") == cfg::role_value(cfg::unsupported_role{})));
    BOOST_TEST(alpha.timeout.count() == 3'000);
    BOOST_TEST(alpha.max_in_flight == 16u);
    BOOST_TEST(alpha.batch_size.value_or(0) == 25u);
    BOOST_TEST(alpha.ca_file == fixtures + "/ca.pem");
    BOOST_TEST(alpha.origin == path + ":" + position(text, "name: alpha"));
    BOOST_TEST(c.find_target("alpha") == &alpha);
    BOOST_TEST(c.find_target("zeta") == nullptr);

    const cfg::target_config& beta = c.targets[1];
    BOOST_TEST(beta.name == "beta");
    BOOST_TEST(beta.provider == "beta_provider");
    BOOST_TEST(beta.url.scheme == "http");
    BOOST_TEST(!beta.url.tls());
    BOOST_TEST(beta.url.host == "127.0.0.1");
    BOOST_TEST(beta.url.port == 9000);
    BOOST_TEST(beta.url.path_prefix == "/beta/v2");
    BOOST_TEST(beta.params.empty());
    BOOST_TEST(beta.secrets.empty());
    BOOST_TEST(beta.roles.size() == 3u);
    BOOST_TEST((beta.roles.at("admin") == cfg::role_value(std::vector<std::int64_t>{1, 2, -3})));
    // Quoted, the word is a vendor role name like any other.
    BOOST_TEST((beta.roles.at("member") == cfg::role_value(std::string("unsupported"))));
    // A plain ${VAR} that yields digits is an integer, like a plain number.
    BOOST_TEST((beta.roles.at("developer") == cfg::role_value(std::int64_t{99})));
    BOOST_TEST(beta.timeout.count() == 10'000); // defaults
    BOOST_TEST(beta.max_in_flight == 8u);
    BOOST_TEST(!beta.batch_size.has_value());
    BOOST_TEST(beta.ca_file == "");

    const cfg::target_config& gamma = c.targets[2];
    BOOST_TEST(gamma.url.scheme == "https");
    BOOST_TEST(gamma.url.host == "acme.gamma.example");
    BOOST_TEST(gamma.url.port == 8443);
    BOOST_TEST(gamma.url.path_prefix == "");
    BOOST_TEST(gamma.roles.empty());

    const cfg::target_config& delta = c.targets[3];
    BOOST_TEST(delta.url.scheme == "http");
    BOOST_TEST(delta.url.host == "plain.example");
    BOOST_TEST(delta.url.port == 80);
    BOOST_TEST(delta.url.path_prefix == "");
}

BOOST_AUTO_TEST_CASE(defaults_when_optional_keys_are_absent)
{
    temp_dir dir;
    const std::string path = dir.write("conf/gateway.yaml", minimal_config);
    const cfg::gateway_config c = cfg::load_gateway_config(path, map_env({}));
    const cfg::listener_config listener;
    const cfg::limits_config limits;
    BOOST_TEST(c.listener.address == listener.address);
    BOOST_TEST(c.listener.port == listener.port);
    BOOST_TEST(c.listener.threads == 0u);
    BOOST_TEST(c.limits.max_body_bytes == limits.max_body_bytes);
    BOOST_TEST(c.limits.request_timeout.count() == limits.request_timeout.count());
    // Without providers_dir: the providers/ folder beside the config's folder, as in
    // the repository layout (config/gateway.yaml, providers/*.yaml).
    BOOST_TEST(c.providers_dir == (dir.path() / "providers").string());
    BOOST_REQUIRE_EQUAL(c.clients.size(), 1u);
    BOOST_TEST(hex(c.clients[0].keys_sha256.at(0)) == hex(cfg::sha256("0123456789abcdef")));
    BOOST_TEST(c.clients[0].routes.empty());
}

BOOST_AUTO_TEST_CASE(providers_dir_is_resolved_against_the_config_folder)
{
    temp_dir dir;
    const std::string relative = dir.write("a/b/gateway.yaml", "providers_dir: ./maps/../mappings\n" + minimal_config);
    BOOST_TEST(cfg::load_gateway_config(relative, map_env({})).providers_dir ==
               (dir.path() / "a" / "b" / "mappings").string());

    const std::string absolute = dir.write("c/gateway.yaml", "providers_dir: /opt/igw/providers\n" + minimal_config);
    BOOST_TEST(cfg::load_gateway_config(absolute, map_env({})).providers_dir == "/opt/igw/providers");

    const std::map<std::string, std::string> vars = {{"PROV", "from-env"}};
    const std::string substituted = dir.write("d/gateway.yaml", "providers_dir: ${PROV}\n" + minimal_config);
    BOOST_TEST(cfg::load_gateway_config(substituted, map_env(vars)).providers_dir ==
               (dir.path() / "d" / "from-env").string());
}

BOOST_AUTO_TEST_CASE(listen_forms)
{
    temp_dir dir;
    const auto listener = [&](const std::string& value) {
        const std::string path = dir.write("gateway.yaml", "listen: \"" + value + "\"\n" + minimal_config);
        return cfg::load_gateway_config(path, map_env({})).listener;
    };
    BOOST_TEST(listener("127.0.0.1:0").port == 0); // tests bind port 0
    BOOST_TEST(listener("localhost:65535").address == "localhost");
    BOOST_TEST(listener("localhost:65535").port == 65535);
    BOOST_TEST(listener("[::1]:8443").address == "::1");
    BOOST_TEST(listener("[::1]:8443").port == 8443);
}

BOOST_AUTO_TEST_CASE(client_scopes_rates_and_key_lists)
{
    std::string text = minimal_config;
    const std::string key_line = "    key: 0123456789abcdef\n";
    text.replace(text.find(key_line), key_line.size(),
                 "    keys: [old-key-0123456789, new-key-0123456789]\n    targets: [t1]\n    max_invitations: 25\n"
                 "    rate: {requests: 5, per: 2s}\n  - name: ops\n    keys_sha256: [" +
                     std::string(64, 'a') + ", " + std::string(64, 'B') + "]\n");
    temp_dir dir;
    const auto c = cfg::load_gateway_config(dir.write("gateway.yaml", text), map_env({}));
    BOOST_REQUIRE_EQUAL(c.clients.size(), 2u);
    const auto& app = c.clients[0];
    BOOST_REQUIRE_EQUAL(app.keys_sha256.size(), 2u);
    BOOST_TEST(hex(app.keys_sha256[0]) == hex(cfg::sha256("old-key-0123456789")));
    BOOST_TEST(hex(app.keys_sha256[1]) == hex(cfg::sha256("new-key-0123456789")));
    BOOST_TEST(app.targets == std::vector<std::string>{"t1"}, boost::test_tools::per_element());
    BOOST_TEST(app.max_invitations.value_or(0) == 25u);
    BOOST_REQUIRE(app.rate.has_value());
    BOOST_TEST(app.rate->requests == 5u);
    BOOST_TEST(app.rate->per.count() == 2000);
    BOOST_TEST(app.rate->burst == 1u); // the default
    const auto& ops = c.clients[1];
    BOOST_REQUIRE_EQUAL(ops.keys_sha256.size(), 2u);
    BOOST_TEST(hex(ops.keys_sha256[0]) == std::string(64, 'a'));
    BOOST_TEST(hex(ops.keys_sha256[1]) == std::string(64, 'b'));
    // Unscoped by default.
    BOOST_TEST(ops.targets.empty());
    BOOST_TEST(!ops.max_invitations.has_value());
    BOOST_TEST(!ops.rate.has_value());
}

BOOST_AUTO_TEST_CASE(the_variables_read_for_secrets_are_named)
{
    std::string text = minimal_config;
    const auto replace = [&](const std::string& from, const std::string& to) {
        const std::size_t at = text.find(from);
        BOOST_TEST_REQUIRE(at != std::string::npos, from);
        text.replace(at, from.size(), to);
    };
    replace("key: 0123456789abcdef", "key: ${CLIENT_KEY}\n  - name: ops\n    key_sha256: ${OPS_KEY_SHA256}");
    replace("base_url: https://t1.example",
            "base_url: https://${T1_HOST}\n    params:\n      tenant: ${TENANT}\n"
            "    secrets:\n      token: ${TOKEN:-${FALLBACK_TOKEN}}\n      id: ${TENANT}-${TOKEN_ID}");
    const std::map<std::string, std::string> vars{{"CLIENT_KEY", "client-key-0123456789"},
                                                  {"OPS_KEY_SHA256", std::string(64, 'a')},
                                                  {"T1_HOST", "t1.example"},
                                                  {"TENANT", "acme"},
                                                  {"FALLBACK_TOKEN", "fallback-token"},
                                                  {"TOKEN_ID", "7"}};
    temp_dir dir;
    const auto config = cfg::load_gateway_config(dir.write("gateway.yaml", text), map_env(vars));
    // TOKEN is unset, but its default was read in its place; TENANT is read for a
    // parameter and for a secret: a secret.
    const std::set<std::string, std::less<>> expected{"CLIENT_KEY", "FALLBACK_TOKEN", "OPS_KEY_SHA256",
                                                      "TENANT",     "TOKEN",          "TOKEN_ID"};
    BOOST_TEST(config.secret_variables == expected, "got " << config.secret_variables.size() << " names");
    BOOST_TEST(config.targets.at(0).secrets.at("token") == "fallback-token");
}

BOOST_AUTO_TEST_CASE(base_url_forms)
{
    temp_dir dir;
    const auto url = [&](const std::string& value) {
        std::string text = minimal_config;
        const std::string from = "base_url: https://t1.example";
        text.replace(text.find(from), from.size(), "base_url: \"" + value + "\"");
        return cfg::load_gateway_config(dir.write("gateway.yaml", text), map_env({})).targets.at(0).url;
    };
    BOOST_TEST(url("https://h.example:8443/").port == 8443);
    BOOST_TEST(url("https://h.example:8443/").path_prefix == "");
    BOOST_TEST(url("http://h.example/a/b").path_prefix == "/a/b");
    BOOST_TEST(url("http://h.example/a/b//").path_prefix == "/a/b");
    BOOST_TEST(url("http://h.example").port == 80);
    BOOST_TEST(url("https://h.example").port == 443);
    BOOST_TEST(url("https://h.example").host == "h.example");
    BOOST_TEST(url("http://10.0.0.1:1").port == 1);
    // Scheme names are case-insensitive (RFC 3986 §3.1).
    BOOST_TEST(url("HTTPS://h.example").scheme == "https");
    BOOST_TEST(url("HTTPS://h.example").port == 443);
    // Hosts are taken decoded; what decodes to a host name's characters is fine.
    BOOST_TEST(url("https://T%31.example").host == "T1.example");
    BOOST_TEST(url("https://my_host-2.example").host == "my_host-2.example");
    BOOST_TEST(url("http://[::1]:8080/v1").host == "::1");
    BOOST_TEST(url("http://[::1]:8080/v1").port == 8080);
    BOOST_TEST(url("http://[2001:db8::7]").host == "2001:db8::7");
    BOOST_TEST(url("http://127.0.0.1:9000").host == "127.0.0.1");
    // A fully qualified name's one trailing dot is no empty label.
    BOOST_TEST(url("https://h.example.").host == "h.example.");
    // Percent-escapes in the path stay escaped: it is sent as written.
    BOOST_TEST(url("https://h.example/a%2Fb").path_prefix == "/a%2Fb");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config_state)

BOOST_AUTO_TEST_CASE(the_ledger_is_sqlite_beside_the_config_unless_the_environment_names_a_file)
{
    temp_dir dir;
    const std::string path = dir.write("conf/gateway.yaml", minimal_config);
    const cfg::gateway_config plain = cfg::load_gateway_config(path, map_env({}));
    BOOST_TEST((plain.state.backend == cfg::state_config::backend_kind::sqlite));
    BOOST_TEST(plain.state.path == (dir.path() / "conf" / "ledger.db").string());
    BOOST_TEST(plain.state.retention.count() == 30LL * 24 * 3600 * 1000);
    BOOST_TEST(plain.state.idempotency_retention.count() == 24LL * 3600 * 1000);
    BOOST_TEST(plain.state.timeout.count() == 2000);

    const cfg::gateway_config from_env = cfg::load_gateway_config(
        path, map_env({{"INVITEGW_STATE_PATH", "/var/lib/invitegw/ledger.db"}}));
    BOOST_TEST(from_env.state.path == "/var/lib/invitegw/ledger.db");

    // A path the config names wins, relative to the config's folder.
    const std::string named = dir.write("other/gateway.yaml",
                                        "state: {backend: sqlite, path: data/l.db, retention: 48h, timeout: 500ms}\n" +
                                            minimal_config);
    const cfg::gateway_config c = cfg::load_gateway_config(named, map_env({{"INVITEGW_STATE_PATH", "/x.db"}}));
    BOOST_TEST(c.state.path == (dir.path() / "other" / "data" / "l.db").string());
    BOOST_TEST(c.state.retention.count() == 48LL * 3600 * 1000);
    BOOST_TEST(c.state.timeout.count() == 500);
}

BOOST_AUTO_TEST_CASE(postgres_needs_a_url_which_is_a_secret)
{
    temp_dir dir;
    const std::string path = dir.write(
        "gateway.yaml", "state:\n  backend: postgres\n  url: ${STATE_URL}\n  instance: gw-1\n" + minimal_config);
    const cfg::gateway_config c = cfg::load_gateway_config(path,
                                                           map_env({{"STATE_URL", "postgresql://gw:pw@db/invitegw"}}));
    BOOST_TEST((c.state.backend == cfg::state_config::backend_kind::postgres));
    BOOST_TEST(c.state.url == "postgresql://gw:pw@db/invitegw");
    BOOST_TEST(c.state.instance == "gw-1");
    BOOST_TEST(c.secret_variables.count("STATE_URL") == 1u);

    const std::string missing = dir.write("missing.yaml", "state: {backend: postgres}\n" + minimal_config);
    const auto errors = cfg::test::load_errors(missing, map_env({}));
    BOOST_TEST(cfg::test::has_prefix(errors, missing + ":1:8: state: backend postgres needs `url`"));
}

BOOST_AUTO_TEST_CASE(state_mistakes_are_reported_where_they_are)
{
    temp_dir dir;
    const std::string text = "state:\n  backend: mysql\n  url: postgresql://db/x\n  retention: 0s\n  extra: 1\n" +
                             minimal_config;
    const std::string path = dir.write("gateway.yaml", text);
    const auto errors = cfg::test::load_errors(path, map_env({}));
    BOOST_TEST(cfg::test::has_prefix(errors, path + ":" + position(text, "mysql") + ": state.backend: must be"));
    BOOST_TEST(
        cfg::test::has_prefix(errors, path + ":" + position(text, "postgresql://") + ": state.url: is only read"));
    BOOST_TEST(cfg::test::has_prefix(errors, path + ":" + position(text, "0s") + ": state.retention: must be greater"));
    BOOST_TEST(cfg::test::has_prefix(errors, path + ":" + position(text, "extra") + ": state"));
}

BOOST_AUTO_TEST_CASE(a_route_may_require_an_idempotency_key_if_there_is_a_ledger)
{
    temp_dir dir;
    std::string text = minimal_config + "    idempotency: required\n";
    const cfg::gateway_config c = cfg::load_gateway_config(dir.write("a.yaml", text), map_env({}));
    BOOST_TEST((c.routes[0].idempotency == cfg::idempotency_mode::required));

    const std::string none = "state: {backend: none}\n" + text;
    const std::string path = dir.write("b.yaml", none);
    const auto errors = cfg::test::load_errors(path, map_env({}));
    BOOST_TEST(cfg::test::has_prefix(errors, path + ":" + position(none, "required") +
                                                 ": routes[0].idempotency: required needs a ledger"));

    const std::string reserved = dir.write("c.yaml",
                                           "roles: [admin]\nclients:\n  - name: app\n    key: 0123456789abcdef\n"
                                           "targets:\n  - name: t1\n    provider: p1\n    base_url: "
                                           "https://t1.example\nroutes:\n  - path: /v1/requests/mine\n"
                                           "    targets: [t1]\n");
    BOOST_TEST(cfg::test::has_prefix(cfg::test::load_errors(reserved, map_env({})), reserved + ":"));
}

BOOST_AUTO_TEST_SUITE_END()
