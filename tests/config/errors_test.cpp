// Every kind of configuration mistake is reported as "file:line:column: key: message",
// all of them at once. Expected positions are computed from the text under test.

#include "gateway/config/loader.hpp"
#include "gateway/config/yaml_reader.hpp"

#include "tests/config/support/config_files.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/support/paths.hpp"
#include <map>
#include <string>
#include <vector>

namespace cfg = igw::config;
using cfg::test::has_line;
using cfg::test::has_prefix;
using cfg::test::map_env;
using cfg::test::minimal_config;
using cfg::test::position;
using cfg::test::temp_dir;

namespace {

const std::string fixtures = ::igw::test::test_data_dir() + "/config/fixtures";

struct expected {
    std::string needle;  // where the error points: the first character of this text
    int occurrence = 1;  // which match of needle
    std::string key;     // "" when the message has no key
    std::string message; // "" to check only "file:line:col: key: "
};

std::string joined(const std::vector<std::string>& lines)
{
    std::string text;
    for (const auto& line : lines)
        text += "\n  " + line;
    return text;
}

// Checks that loading `path` (whose content is `text`) fails with exactly `want`.
std::vector<std::string> check_file(const std::string& path, const std::string& text, const std::vector<expected>& want,
                                    const std::map<std::string, std::string>& vars = {})
{
    const std::vector<std::string> diagnostics = cfg::test::load_errors(path, map_env(vars));
    BOOST_TEST(diagnostics.size() == want.size(), "diagnostics:" << joined(diagnostics));
    for (const expected& e : want) {
        std::string prefix = path + ":" + position(text, e.needle, e.occurrence) + ": ";
        if (!e.key.empty())
            prefix += e.key + ": ";
        if (e.message.empty())
            BOOST_TEST(has_prefix(diagnostics, prefix), "no \"" << prefix << "...\" in:" << joined(diagnostics));
        else
            BOOST_TEST(has_line(diagnostics, prefix + e.message),
                       "no \"" << prefix + e.message << "\" in:" << joined(diagnostics));
    }
    return diagnostics;
}

std::vector<std::string> check(const std::string& text, const std::vector<expected>& want,
                               const std::map<std::string, std::string>& vars = {})
{
    temp_dir dir;
    return check_file(dir.write("gateway.yaml", text), text, want, vars);
}

// minimal_config with the first `from` replaced by `to`.
std::string edit(std::string text, const std::string& from, const std::string& to)
{
    const std::size_t at = text.find(from);
    BOOST_TEST_REQUIRE(at != std::string::npos, "\"" << from << "\" is not in the config");
    return text.replace(at, from.size(), to);
}

std::string edit(const std::string& from, const std::string& to) { return edit(minimal_config, from, to); }

const std::string url_line = "    base_url: https://t1.example\n";
const std::string key_line = "    key: 0123456789abcdef\n";

} // namespace

BOOST_AUTO_TEST_SUITE(config_errors)

BOOST_AUTO_TEST_CASE(the_minimal_config_is_valid)
{
    temp_dir dir;
    BOOST_CHECK_NO_THROW(cfg::load_gateway_config(dir.write("gateway.yaml", minimal_config), map_env({})));
}

BOOST_AUTO_TEST_CASE(yaml_syntax_error)
{
    const std::string path = fixtures + "/syntax_error.yaml";
    const std::string text = cfg::test::read_file(path);
    check_file(path, text, {{": 2", 1, "", "illegal map value"}});
    // The exact line, spelled out once.
    const auto diagnostics = cfg::test::load_errors(path, map_env({}));
    BOOST_TEST(diagnostics.at(0) == path + ":3:10: illegal map value");
}

BOOST_AUTO_TEST_CASE(unreadable_and_empty_files)
{
    temp_dir dir;
    const std::string missing = (dir.path() / "nope.yaml").string();
    const auto diagnostics = cfg::test::load_errors(missing, map_env({}));
    BOOST_TEST(diagnostics == std::vector<std::string>{missing + ": cannot read the file"},
               boost::test_tools::per_element());

    const auto empty = cfg::test::load_errors(dir.write("empty.yaml", ""), map_env({}));
    BOOST_REQUIRE_EQUAL(empty.size(), 1u);
    BOOST_TEST(empty[0].find("(top level): must be a mapping") != std::string::npos, empty[0]);

    const std::string list_text = "- a\n- b\n";
    check(list_text, {{"- a", 1, "(top level)", "must be a mapping, not a list"}});
}

BOOST_AUTO_TEST_CASE(unknown_keys)
{
    // The exact text of the top-level one, checked whole.
    const std::string top = minimal_config + "lisen: 127.0.0.1:80\n";
    temp_dir dir;
    const std::string path = dir.write("gateway.yaml", top);
    BOOST_TEST(cfg::test::load_errors(path, map_env({})) ==
                   std::vector<std::string>{
                       path + ":12:1: lisen: unknown key (expected one of: listen, threads, tls, "
                              "providers_dir, limits, log, state, roles, clients, routes, targets, webhooks)"},
               boost::test_tools::per_element());

    check(minimal_config + "limits:\n  max_body: 5\n",
          {{"max_body", 1, "limits.max_body",
            "unknown key (expected one of: max_body_bytes, max_header_bytes, max_invitations, max_connections, "
            "max_in_flight_requests, read_timeout, idle_timeout, request_timeout, shutdown_grace, "
            "max_connections_per_peer, max_target_bytes, max_async_invitations, max_async_body_bytes)"}});
    check(edit(url_line, url_line + "    timeout_ms: 5\n"), {{"timeout_ms", 1, "targets[0].timeout_ms", ""}});
    check(edit(key_line, key_line + "    role: admin\n"), {{"role: admin", 1, "clients[0].role", ""}});
    check(edit("    targets: [t1]\n", "    targets: [t1]\n    method: POST\n"),
          {{"method", 1, "routes[0].method", ""}});
}

BOOST_AUTO_TEST_CASE(wrong_types)
{
    check(minimal_config + "limits: [1, 2]\n", {{"[1, 2]", 1, "limits", "must be a mapping, not a list"}});
    check(edit("roles: [admin, member]", "roles: {admin: 1}"),
          {{"{admin", 1, "roles", "must be a list, not a mapping"}});
    check(edit(url_line, url_line + "    params: [a, b]\n"),
          {{"[a, b]", 1, "targets.t1.params", "must be a mapping, not a list"}});
    check(edit(url_line, url_line + "    secrets: token\n"),
          {{"token", 1, "targets.t1.secrets", "must be a mapping, not a scalar"}});
    check(minimal_config + "threads: four\n", {{"four", 1, "threads", "must be an integer"}});
    check(minimal_config + "threads: [1]\n", {{"[1]", 1, "threads", "must be an integer, not a list"}});
    check(minimal_config + "threads: 300\n", {{"300", 1, "threads", "must be between 0 and 256"}});
    check(edit(url_line, url_line + "    max_in_flight: many\n"),
          {{"many", 1, "targets.t1.max_in_flight", "must be an integer"}});
    check(edit(url_line, url_line + "    batch_size: 0\n"),
          {{"0\n", 1, "targets.t1.batch_size", "must be between 1 and 100000"}});
    check(minimal_config + "limits:\n  max_invitations: 1.5\n",
          {{"1.5", 1, "limits.max_invitations", "must be an integer"}});
    check(minimal_config + "providers_dir: {a: b}\n",
          {{"{a: b}", 1, "providers_dir", "must be a string, not a mapping"}});
    check(edit("    targets: [t1]", "    targets: t1"),
          {{"t1\n", 2, "routes[0].targets", "must be a list, not a scalar"}});
}

BOOST_AUTO_TEST_CASE(missing_required_fields)
{
    // Top-level ones point at the document, which starts at its first key.
    check(edit("roles: [admin, member]\n", ""), {{"clients:", 1, "roles", "is required"}});
    check(edit("targets:\n  - name: t1\n    provider: p1\n" + url_line, ""),
          {{"roles:", 1, "targets", "is required"}, {"t1]", 1, "routes[0].targets[0]", "no target named \"t1\""}});
    check(edit("routes:\n  - path: /v1/invitations\n    targets: [t1]\n", ""),
          {{"roles:", 1, "routes", "is required"}});
    check(edit("clients:\n  - name: app\n" + key_line, ""), {{"roles:", 1, "clients", "is required"}});
    // Members point at the mapping that lacks them.
    check(edit("    provider: p1\n", ""), {{"name: t1", 1, "targets.t1.provider", "is required"}});
    check(edit(url_line, ""), {{"name: t1", 1, "targets.t1.base_url", "is required"}});
    check(edit("  - path: /v1/invitations\n    targets: [t1]", "  - targets: [t1]"),
          {{"targets: [t1]", 1, "routes[0].path", "is required"}});
    check(edit("    targets: [t1]\n", ""), {{"path: /v1", 1, "routes[0].targets", "is required"}});
    // Exactly one diagnostic for a missing name: nothing more about the absent value.
    check(edit("  - name: t1\n    provider: p1", "  - provider: p1"),
          {{"provider: p1", 1, "targets[0].name", "is required"},
           {"t1]", 1, "routes[0].targets[0]", "no target named \"t1\""}});
    check(edit("  - name: app\n    key:", "  - key:"), {{"key: 0123", 1, "clients[0].name", "is required"}});
}

BOOST_AUTO_TEST_CASE(empty_lists_and_values)
{
    check(edit("roles: [admin, member]", "roles: []"), {{"[]", 1, "roles", "declare at least one canonical role"}});
    check(edit("roles: [admin, member]", "roles: [admin, admin]"),
          {{"admin]", 1, "roles[1]", "role \"admin\" is declared twice"}});
    check(edit("    targets: [t1]", "    targets: []"),
          {{"[]", 1, "routes[0].targets", "a route needs at least one target"}});
    check(edit("  - name: t1", "  - name: \"\""), {{"\"\"", 1, "targets[0].name", "must not be empty"},
                                                   {"t1]", 1, "routes[0].targets[0]", "no target named \"t1\""}});
    check(edit("    targets: [t1]", "    targets: [t1, t1]"),
          {{"t1]", 1, "routes[0].targets[1]", "target \"t1\" is listed twice"}});
    check(edit(url_line, url_line + "    roles:\n      admin: []\n"),
          {{"[]", 1, "targets.t1.roles.admin", "an empty list grants no role; write `unsupported` instead"}});
    check(edit(url_line, url_line + "    roles:\n      admin: \"\"\n"), {{"\"\"", 1, "targets.t1.roles.admin", ""}});
    check(edit(url_line, url_line + "    roles:\n      admin: [1, x]\n"),
          {{"x]", 1, "targets.t1.roles.admin[1]", "must be an integer"}});
    check(edit(url_line, url_line + "    roles:\n      admin: {id: 1}\n"), {{"{id", 1, "targets.t1.roles.admin", ""}});
}

BOOST_AUTO_TEST_CASE(route_paths)
{
    check(edit("  - path: /v1/invitations", "  - path: v1/invitations"),
          {{"v1/inv", 1, "routes[0].path", "must be a path starting with '/'"}});
    check(edit("  - path: /v1/invitations", "  - path: /healthz"),
          {{"/healthz", 1, "routes[0].path", "is reserved by the gateway"}});
    check(minimal_config + "  - path: /v1/invitations\n    targets: [t1]\n",
          {{"/v1/invitations", 2, "routes[1].path", "route /v1/invitations is declared twice"}});
}

BOOST_AUTO_TEST_CASE(duplicates)
{
    check(edit("routes:", "  - name: t1\n    provider: p2\n    base_url: https://t2.example\nroutes:"),
          {{"t1\n    provider: p2", 1, "targets[1].name", "target \"t1\" is declared twice"}});
    check(edit("targets:", "  - name: app\n    key: fedcba9876543210\ntargets:"),
          {{"app\n    key: fedcba", 1, "clients[1].name", "client \"app\" is declared twice"}});
    // Duplicate YAML keys: parsers silently keep one of the two, the loader reports them.
    check("threads: 2\n" + minimal_config + "threads: 3\n", {{"threads", 2, "threads", "given twice"}});
    check(edit("    provider: p1\n", "    provider: p1\n    provider: p2\n"),
          {{"provider: p2", 1, "targets[0].provider", "given twice"}});
    check(minimal_config + "limits:\n  max_invitations: 5\n  max_invitations: 6\n",
          {{"max_invitations", 2, "limits.max_invitations", "given twice"}});
    check(edit(url_line, url_line + "    secrets:\n      token: a\n      token: b\n"),
          {{"token", 2, "targets.t1.secrets.token", "given twice"}});
    check(edit(url_line, url_line + "    roles:\n      admin: 1\n      admin: 2\n"),
          {{"admin: 2", 1, "targets.t1.roles.admin", "given twice"}});
}

BOOST_AUTO_TEST_CASE(references)
{
    check(edit("    targets: [t1]", "    targets: [t1, nope]"),
          {{"nope", 1, "routes[0].targets[1]", "no target named \"nope\""}});
    check(edit(url_line, url_line + "    roles:\n      owner: 1\n"),
          {{"owner", 1, "targets.t1.roles.owner", "\"owner\" is not a canonical role (declare it under `roles`)"}});
    check(edit(key_line, key_line + "    routes: [/v1/nope]\n"),
          {{"/v1/nope", 1, "clients[0].routes[0]", "no route with path \"/v1/nope\""}});
}

BOOST_AUTO_TEST_CASE(invalid_base_urls)
{
    const auto bad_url = [](const std::string& url, const std::string& why) {
        const std::string line = "    base_url: \"" + url + "\"\n";
        check(edit(url_line, line), {{"\"" + url, 1, "targets.t1.base_url",
                                      why.empty() ? "" : "\"" + url + "\" is not a usable base URL: " + why}});
    };
    bad_url("api.example.com", "not an absolute URL");
    bad_url("/v1", "not an absolute URL");
    bad_url("ftp://t1.example", "the scheme must be http or https");
    // A query may hold a key: the URL is not quoted back.
    check(edit(url_line, "    base_url: \"https://t1.example/?api_key=k3y-in-query\"\n"),
          {{"\"https://t1.example/?api_key", 1, "targets.t1.base_url",
            "the base URL is not usable: a base URL takes no query or fragment"}});
    bad_url("https://t1.example/#top", "a base URL takes no query or fragment");
    bad_url("http://", "it has no host");
    bad_url("http://t1.example:0", "the port must be between 1 and 65535");
    bad_url("http://t1.example:70000", "");
    bad_url("https://t1.example:", "");
    // Credentials: reported without echoing them.
    bad_url("https://admin:hunter2-pass@t1.example", "");
    const std::string text = edit(url_line, "    base_url: https://admin:hunter2-pass@t1.example\n");
    temp_dir dir;
    const auto diagnostics = cfg::test::load_errors(dir.write("gateway.yaml", text), map_env({}));
    BOOST_REQUIRE_EQUAL(diagnostics.size(), 1u);
    BOOST_TEST(diagnostics[0].find("credentials belong in the target's secrets") != std::string::npos, diagnostics[0]);
    BOOST_TEST(diagnostics[0].find("hunter2-pass") == std::string::npos, diagnostics[0]);
}

BOOST_AUTO_TEST_CASE(base_url_hosts_must_decode_to_a_host_name_or_an_address)
{
    // The decoded host is what the Host header, SNI and the resolver get: CR LF would add
    // a header, '/' would move the request elsewhere.
    const std::string only = "the host may hold only letters, digits, '-', '.' and '_' (after decoding %XX), not ";
    const auto bad_host = [&](const std::string& url, const std::string& why) {
        check(edit(url_line, "    base_url: \"" + url + "\"\n"),
              {{"\"" + url, 1, "targets.t1.base_url", "\"" + url + "\" is not a usable base URL: " + why}});
    };
    bad_host("https://evil%0d%0aX-Injected:%201.example/", only + "%0D");
    bad_host("https://a%2fb.example/", only + "'/'");
    bad_host("https://a%2Fb.example", only + "'/'");
    bad_host("https://a%20b.example", only + "%20");
    bad_host("https://a%3ab.example:8443", only + "':'");
    bad_host("https://a%00b.example", only + "%00");
    bad_host("https://%c3%a9.example", only + "%C3");
    bad_host("https://a,b.example", only + "','");
    bad_host("https://[v1.future]/", "the host must be a name, an IPv4 address or an IPv6 address in brackets");
    bad_host("https://.vendor.example", "the host has an empty label (is a variable in it empty?)");
    bad_host("https://a..vendor.example/", "the host has an empty label (is a variable in it empty?)");

    // The same from the environment: the position is the scalar's, the text is quoted
    // with control bytes escaped (no raw CR or LF in a diagnostic).
    const std::string from_env = edit(url_line, "    base_url: ${T1_URL}\n");
    check(from_env,
          {{"${T1_URL}", 1, "targets.t1.base_url",
            "\"https://evil%0d%0aX.example\" is not a usable base URL: " + only + "%0D"}},
          {{"T1_URL", "https://evil%0d%0aX.example"}});
    check(from_env,
          {{"${T1_URL}", 1, "targets.t1.base_url",
            "\"https://evil%0D%0AX: 1.example\" is not a usable base URL: not an absolute URL"}},
          {{"T1_URL", "https://evil\r\nX: 1.example"}});
}

BOOST_AUTO_TEST_CASE(durations_longer_than_a_year_are_refused_where_they_are_written)
{
    const std::string too_long = "is too long: durations are at most 8760h (365 days)";
    // 9223372037s is 2^63 ns: as a deadline it overflowed the clock and every call failed.
    check(edit(url_line, url_line + "    timeout: 9223372037s\n"),
          {{"9223372037s", 1, "targets.t1.timeout", "\"9223372037s\" " + too_long}});
    check(minimal_config + "limits:\n  read_timeout: 8761h\n",
          {{"8761h", 1, "limits.read_timeout", "\"8761h\" " + too_long}});
    check(minimal_config + "limits:\n  idle_timeout: 99999999999999999999ms\n",
          {{"99999999999999999999ms", 1, "limits.idle_timeout", "\"99999999999999999999ms\" " + too_long}});
    check(minimal_config + "limits:\n  request_timeout: ${T}\n  shutdown_grace: 2562047788015h\n",
          {{"${T}", 1, "limits.request_timeout", "\"3000000000000000m\" " + too_long},
           {"2562047788015h", 1, "limits.shutdown_grace", "\"2562047788015h\" " + too_long}},
          {{"T", "3000000000000000m"}});
}

BOOST_AUTO_TEST_CASE(bad_durations)
{
    check(edit(url_line, url_line + "    timeout: 5x\n"),
          {{"5x", 1, "targets.t1.timeout", "\"5x\" is not a duration (write e.g. 500ms, 5s, 2m, 1h)"}});
    check(minimal_config + "limits:\n  read_timeout: 10\n",
          {{"10\n", 1, "limits.read_timeout", "\"10\" is not a duration (write e.g. 500ms, 5s, 2m, 1h)"}});
    check(minimal_config + "limits:\n  idle_timeout: 0s\n",
          {{"0s", 1, "limits.idle_timeout", "must be greater than zero"}});
    check(edit(url_line, url_line + "    timeout: 0ms\n"),
          {{"0ms", 1, "targets.t1.timeout", "must be greater than zero"}});
}

BOOST_AUTO_TEST_CASE(bad_listen)
{
    for (const std::string value :
         {"localhost", ":8080", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:80x", "127.0.0.1:-1"})
        check("listen: \"" + value + "\"\n" + minimal_config,
              {{"\"" + value, 1, "listen", "\"" + value + "\" is not host:port (e.g. 127.0.0.1:8080)"}});
}

BOOST_AUTO_TEST_CASE(client_keys)
{
    const auto d = check(edit(key_line, "    key: short-key-123\n"),
                         {{"short-key-123", 1, "clients[0].key", "a client key needs at least 16 characters"}});
    for (const auto& line : d)
        BOOST_TEST(line.find("short-key-123") == std::string::npos, line);

    check(edit(key_line, "    key_sha256: abc123\n"),
          {{"abc123", 1, "clients[0].key_sha256", "must be 64 hexadecimal digits (sha256sum of the key)"}});
    const std::string not_hex(64, 'g');
    check(edit(key_line, "    key_sha256: " + not_hex + "\n"), {{not_hex, 1, "clients[0].key_sha256", ""}});
    const std::string signed_hex = "-f" + std::string(62, '0');
    check(edit(key_line, "    key_sha256: \"" + signed_hex + "\"\n"),
          {{"\"" + signed_hex, 1, "clients[0].key_sha256", ""}});

    const std::string digest(64, 'a');
    check(edit(key_line, key_line + "    key_sha256: " + digest + "\n"),
          {{"name: app", 1, "clients[0]", "give exactly one of `key`, `key_sha256`, `keys` or `keys_sha256`"}});
    check(edit(key_line, ""), {{"name: app", 1, "clients[0]", "give exactly one of `key`, `key_sha256`, `keys` or `keys_sha256`"}});
    check(edit("clients:\n  - name: app\n" + key_line, "clients: []\n"),
          {{"[]", 1, "clients", "declare at least one client, or nobody can call the gateway"}});
}

BOOST_AUTO_TEST_CASE(client_key_lists_for_rotation)
{
    const std::string old_key = "old-key-0123456789", new_key = "new-key-0123456789";
    // Each element is checked like a single key, and its position named; never its value.
    const auto d = check(edit(key_line, "    keys: [" + old_key + ", short-key-123]\n"),
                         {{"short-key-123", 1, "clients[0].keys[1]", "a client key needs at least 16 characters"}});
    for (const auto& line : d)
        BOOST_TEST(line.find("short-key-123") == std::string::npos, line);
    check(edit(key_line, "    keys: [" + old_key + ", " + new_key + ", " + old_key + "]\n"),
          {{old_key, 2, "clients[0].keys[2]", "the same key is listed twice"}});
    check(edit(key_line, "    keys: []\n"), {{"[]", 1, "clients[0].keys", "list at least one key"}});
    check(edit(key_line, "    keys: " + old_key + "\n"), {{old_key, 1, "clients[0].keys", "must be a list, not a scalar"}});
    const std::string digest(64, 'a');
    check(edit(key_line, "    keys_sha256:\n      - " + digest + "\n      - abc123\n"),
          {{"abc123", 1, "clients[0].keys_sha256[1]", "must be 64 hexadecimal digits (sha256sum of the key)"}});
    // One form only: a rotation lists both keys in the same list.
    check(edit(key_line, key_line + "    keys: [" + new_key + "]\n"),
          {{"name: app", 1, "clients[0]", "give exactly one of `key`, `key_sha256`, `keys` or `keys_sha256`"}});
    // A key belongs to one client: a second client with one of its keys is refused, where
    // that second client is declared, and the key is never shown.
    const auto shared = check(edit(key_line, "    keys: [" + old_key + ", " + new_key + "]\n  - name: other\n    key: " +
                                                 new_key + "\n"),
                              {{"name: other", 1, "clients[1]",
                                "a key of this client is also a key of client \"app\": each key must belong to one client"}});
    for (const auto& line : shared)
        BOOST_TEST(line.find(new_key) == std::string::npos, line);
    check(edit(key_line, "    key_sha256: " + digest + "\n    keys_sha256: [" + digest + "]\n"),
          {{"name: app", 1, "clients[0]", "give exactly one of `key`, `key_sha256`, `keys` or `keys_sha256`"}});
}

BOOST_AUTO_TEST_CASE(client_scopes_and_rates)
{
    check(edit(key_line, key_line + "    targets: [t1, t2]\n"),
          {{"t2]", 1, "clients[0].targets[1]", "no target named \"t2\""}});
    check(edit(key_line, key_line + "    targets: [t1, t1]\n"),
          {{"t1]", 1, "clients[0].targets[1]", "target \"t1\" is listed twice"}});
    check(edit(key_line, key_line + "    targets: []\n"),
          {{"[]", 1, "clients[0].targets", "list at least one target, or leave `targets` out to allow them all"}});
    // At most the gateway's own limit (1000 by default, or as configured).
    check(edit(key_line, key_line + "    max_invitations: 1001\n"),
          {{"1001", 1, "clients[0].max_invitations", "must be between 1 and 1000"}});
    check(edit(key_line, key_line + "    max_invitations: 0\n"),
          {{"0\n", 1, "clients[0].max_invitations", "must be between 1 and 1000"}});
    check("limits:\n  max_invitations: 50\n" + edit(key_line, key_line + "    max_invitations: 51\n"),
          {{"51", 1, "clients[0].max_invitations", "must be between 1 and 50"}});
    check(edit(key_line, key_line + "    rate: {requests: 5, per: 1500ms}\n"),
          {{"1500ms", 1, "clients[0].rate.per",
            "must be a whole number of seconds (the RateLimit-Policy header states the window in seconds)"}});
    check(edit(key_line, key_line + "    rate: {per: 1s}\n"), {{"{per", 1, "clients[0].rate.requests", "is required"}});
    check(edit(key_line, key_line + "    rate: {requests: 5, burst: 0}\n"),
          {{"0}", 1, "clients[0].rate.burst", "must be between 1 and 1000000"}});
    check(edit(key_line, key_line + "    rate: {requests: 5, window: 1s}\n"),
          {{"window", 1, "clients[0].rate.window", ""}});
}

BOOST_AUTO_TEST_CASE(several_errors_in_one_file_are_all_reported)
{
    const std::string path = fixtures + "/errors.yaml";
    const std::string text = cfg::test::read_file(path);
    check_file(
        path, text,
        {
            {"localhost", 1, "listen", "\"localhost\" is not host:port (e.g. 127.0.0.1:8080)"},
            {"lots", 1, "threads", "must be an integer"},
            {"max_body", 1, "limits.max_body", ""},
            {"10\n", 1, "limits.read_timeout", "\"10\" is not a duration (write e.g. 500ms, 5s, 2m, 1h)"},
            {"short", 1, "clients[0].key", "a client key needs at least 16 characters"},
            {"name: other", 1, "clients[1]", "give exactly one of `key`, `key_sha256`, `keys` or `keys_sha256`"},
            {"missing]", 1, "routes[0].targets[1]", "no target named \"missing\""},
            {"/v1/invitations", 2, "routes[1].path", "route /v1/invitations is declared twice"},
            {"ftp://", 1, "targets.t1.base_url",
             "\"ftp://t1.example\" is not a usable base URL: the scheme must be http or https"},
            {"owner", 1, "targets.t1.roles.owner", "\"owner\" is not a canonical role (declare it under `roles`)"},
            {"5x", 1, "targets.t1.timeout", "\"5x\" is not a duration (write e.g. 500ms, 5s, 2m, 1h)"},
            {"t1\n    base_url: https://t2", 1, "targets[1].name", "target \"t1\" is declared twice"},
            {"name: t1", 2, "targets.t1.provider", "is required"},
        });
}

BOOST_AUTO_TEST_CASE(empty_values_point_at_their_key)
{
    // yaml-cpp places an empty value at the next token (a later line, or past the end
    // of the file); the error must point at the key that has no value.
    check("threads:\n" + minimal_config, {{"threads", 1, "threads", "must be an integer, not empty"}});
    check(minimal_config + "limits:\n", {{"limits", 1, "limits", "must be a mapping, not empty"}});
    check(edit(url_line, url_line + "    params:\n      tenant:\n    timeout: 5s\n"),
          {{"tenant", 1, "targets.t1.params.tenant", "must be a string, not empty"}});
    check(edit(url_line, url_line + "    roles:\n      admin:\n"), {{"admin:\n", 1, "targets.t1.roles.admin", ""}});
}

BOOST_AUTO_TEST_SUITE_END()
