// X-Config-Version names the config a reply was made with, on every reply the gateway
// sends: endpoints, refusals, and the replies made before a request was even parsed.

#include "tests/ops/support/ops_gateway.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <optional>
#include <regex>

using namespace igw;
using namespace igw::ops;

namespace {

// The X-Config-Version of a raw HTTP reply, or "".
std::string version_in(const std::string& raw)
{
    static const std::regex header(R"(\r\nX-Config-Version: ([^\r]*)\r\n)", std::regex::icase);
    std::smatch m;
    return std::regex_search(raw, m, header) ? std::string(m[1]) : std::string();
}

unsigned status_of(const std::string& raw)
{
    return raw.starts_with("HTTP/1.1 ") && raw.size() > 12 ? static_cast<unsigned>(std::stoul(raw.substr(9, 3))) : 0;
}

using environment = std::map<std::string, std::string, std::less<>>;

// The version `file` loads as with `env` as the whole environment.
std::string version_with(const std::string& file, const environment& env)
{
    return mapping::load_compiled_config(file,
                                         [&env](std::string_view name) -> std::optional<std::string> {
                                             const auto it = env.find(name);
                                             return it == env.end() ? std::nullopt
                                                                    : std::optional<std::string>(it->second);
                                         })
        ->version;
}

} // namespace

BOOST_AUTO_TEST_SUITE(config_version)

// The version is sent to unauthenticated callers: were a secret's value in it, whoever
// knows the rest of the config could confirm a guessed key offline.
BOOST_AUTO_TEST_CASE(no_secret_value_changes_the_version_and_every_other_variable_does)
{
    config_spec spec;
    spec.secrets_from_environment = true;
    // One base URL from the environment too: a variable that is not a secret.
    spec.base_urls["anthropic"] = "${ANTHROPIC_BASE_URL}";
    const std::string yaml = config_yaml(spec);
    temp_dir dir;
    const std::string file = dir.write("gateway.yaml", yaml);

    environment base = secret_environment(spec.creds);
    base["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:1";
    const std::string version = version_with(file, base);
    BOOST_TEST(version_with(file, base) == version);

    // Every secret of the config: targets' secrets and both client keys.
    BOOST_TEST_REQUIRE(base.size() == 9u);
    for (const auto& [name, value] : secret_environment(spec.creds)) {
        environment rotated = base;
        rotated[name] = value + "-rotated-0123456789";
        BOOST_TEST(version_with(file, rotated) == version, name << " changed the version");
    }
    environment all_rotated = base;
    for (auto& [name, value] : all_rotated)
        if (name != "ANTHROPIC_BASE_URL")
            value = "another-value-of-" + name;
    BOOST_TEST(version_with(file, all_rotated) == version);

    environment moved = base;
    moved["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:2";
    BOOST_TEST(version_with(file, moved) != version);
    // Unset and empty differ too (the default-less variable is required, so use a file
    // whose base URL has a default).
    config_spec with_default = spec;
    with_default.base_urls["anthropic"] = "${ANTHROPIC_BASE_URL:-http://127.0.0.1:1}";
    const std::string defaulted = dir.write("defaulted.yaml", config_yaml(with_default));
    environment unset = base;
    unset.erase("ANTHROPIC_BASE_URL");
    environment empty = base;
    empty["ANTHROPIC_BASE_URL"] = "";
    BOOST_TEST(version_with(defaulted, unset) != version_with(defaulted, empty));

    // Any edit of the file changes it, a secret's variable's name included.
    std::string renamed = yaml;
    const std::string token = "${GORULES_TOKEN}";
    renamed.replace(renamed.find(token), token.size(), "${GORULES_TOKEN_2}");
    environment renamed_env = base;
    renamed_env["GORULES_TOKEN_2"] = base["GORULES_TOKEN"];
    BOOST_TEST(version_with(dir.write("renamed.yaml", renamed), renamed_env) != version);
}

BOOST_AUTO_TEST_CASE(every_reply_names_the_config_it_was_made_with)
{
    emulator::server emulators;
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    gateway gw(config_yaml(spec));
    const std::string version = gw.current()->version;
    const std::string key = "Bearer " + std::string(client_key);

    struct exchange {
        std::string name;
        emulator::test_request request;
        unsigned status;
    };
    const std::vector<exchange> exchanges{
        {"healthz", {"GET", "/healthz", {}, ""}, 200},
        {"readyz", {"GET", "/readyz", {}, ""}, 200},
        {"metrics", {"GET", "/metrics", {}, ""}, 200},
        {"openapi", {"GET", "/openapi.json", {}, ""}, 200},
        {"not found", {"GET", "/nowhere", {}, ""}, 404},
        {"wrong method", {"DELETE", std::string(invite_path), {}, ""}, 405},
        {"invited", invite_request(invite_body({{"v@example.com", "member"}}, std::vector<std::string>{"gorules"})),
         200},
        {"no key", invite_request("{}", {.key = std::nullopt}), 401},
        {"media type",
         {"POST", std::string(invite_path), {{"Authorization", key}, {"Content-Type", "text/csv"}}, "a"},
         415},
        {"invalid", invite_request(R"({"invitations":[]})"), 422},
        {"not admin", {"POST", "/admin/reload", {{"Authorization", key}}, ""}, 403},
    };
    for (const auto& e : exchanges) {
        emulator::test_client client("127.0.0.1", gw.port());
        const auto reply = client.send(e.request);
        BOOST_TEST_REQUIRE(reply.ok(), e.name << ": " << reply.error);
        BOOST_TEST(reply.status == e.status, e.name);
        BOOST_TEST(reply.header("X-Config-Version").value_or("") == version, e.name);
    }

    // Refused before a request could be parsed, on a connection's first request.
    const std::string malformed = raw_exchange(gw.port(), "NOT HTTP AT ALL\r\n\r\n");
    BOOST_TEST(status_of(malformed) == 400u, malformed);
    BOOST_TEST(version_in(malformed) == version, malformed);
    const std::string huge = raw_exchange(
        gw.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(20'000, 'p') + "\r\n\r\n");
    BOOST_TEST(status_of(huge) == 431u, huge.substr(0, 300));
    BOOST_TEST(version_in(huge) == version, huge.substr(0, 300));
}

BOOST_AUTO_TEST_CASE(a_connection_refused_at_the_cap_names_the_config_too)
{
    config_spec spec;
    spec.max_connections = 1;
    gateway gw(config_yaml(spec));
    emulator::test_client holder("127.0.0.1", gw.port());
    const auto first = holder.send({"GET", "/healthz", {}, ""});
    BOOST_TEST_REQUIRE(first.status == 200u);
    BOOST_TEST_REQUIRE(holder.connected()); // kept alive: the one connection allowed

    // Not a probe: probes still get through the connections kept for them.
    const auto refused = http_request(gw.port(), "GET", "/metrics");
    BOOST_TEST_REQUIRE(refused.ok(), refused.error);
    BOOST_TEST(refused.status == 503u);
    BOOST_TEST(refused.header("Retry-After").value_or("") == "1");
    BOOST_TEST(refused.header("X-Config-Version").value_or("") == gw.current()->version);
}

BOOST_AUTO_TEST_SUITE_END()
