// clients[].webhook {url, secret} and the top-level webhooks {allow_http_loopback}: what
// loads, into what, and every refusal at its file:line:column.

#include "gateway/config/loader.hpp"
#include "gateway/config/yaml_reader.hpp"
#include "gateway/webhook/signature.hpp"

#include "tests/config/support/config_files.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

namespace cfg = igw::config;
using cfg::test::has_line;
using cfg::test::map_env;
using cfg::test::minimal_config;
using cfg::test::position;
using cfg::test::temp_dir;

namespace {

constexpr std::string_view secret_text = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string key_line = "    key: 0123456789abcdef\n";

// minimal_config whose client has `webhook` (the YAML after "webhook:"), preceded by `top`.
std::string with_webhook(const std::string& webhook, const std::string& top = "")
{
    std::string text = top + minimal_config;
    const std::size_t at = text.find(key_line);
    BOOST_TEST_REQUIRE(at != std::string::npos);
    return text.insert(at + key_line.size(), "    webhook: " + webhook + "\n");
}

cfg::gateway_config load(const std::string& text, const std::map<std::string, std::string>& vars = {})
{
    temp_dir dir;
    return cfg::load_gateway_config(dir.write("gateway.yaml", text), map_env(vars));
}

// The single diagnostic loading `text` gives must be `key: message` at `needle`.
void check_error(const std::string& text, const std::string& needle, const std::string& key, const std::string& message,
                 const std::map<std::string, std::string>& vars = {})
{
    temp_dir dir;
    const std::string path = dir.write("gateway.yaml", text);
    const std::vector<std::string> errors = cfg::test::load_errors(path, map_env(vars));
    const std::string line = path + ":" + position(text, needle) + ": " + key + ": " + message;
    BOOST_TEST(errors.size() == 1u);
    BOOST_TEST(has_line(errors, line), "no \"" << line << "\" in " << (errors.empty() ? "" : errors[0]));
    for (const auto& e : errors)
        BOOST_TEST(e.find("MfKQ9r8G") == std::string::npos, "the secret is quoted back: " << e);
}

} // namespace

BOOST_AUTO_TEST_SUITE(config_webhooks)

BOOST_AUTO_TEST_CASE(a_client_without_a_webhook_has_none_and_http_loopback_is_off_by_default)
{
    const auto c = load(minimal_config);
    BOOST_TEST(!c.clients.at(0).webhook.has_value());
    BOOST_TEST(!c.webhooks.allow_http_loopback);
}

BOOST_AUTO_TEST_CASE(an_https_webhook_keeps_its_url_and_the_key_bytes_of_its_secret)
{
    const auto c = load(
        with_webhook("{url: \"https://hooks.example.com/invitegw?tenant=a\", secret: \"${HOOK_SECRET}\"}"),
        {{"HOOK_SECRET", std::string(secret_text)}});
    const auto& hook = c.clients.at(0).webhook;
    BOOST_TEST_REQUIRE(hook.has_value());
    BOOST_TEST(hook->url == "https://hooks.example.com/invitegw?tenant=a");
    BOOST_TEST((hook->secret == *igw::webhook::parse_secret(secret_text)));
    BOOST_TEST(hook->secret.key.size() == 24u);
    // A secret like any other: what is derived from the config leaves its variable out.
    BOOST_TEST(c.secret_variables.count("HOOK_SECRET") == 1u);
}

BOOST_AUTO_TEST_CASE(http_goes_only_to_a_loopback_host_and_only_when_the_config_allows_it)
{
    const std::string allow = "webhooks: {allow_http_loopback: true}\n";
    const std::string secret = ", secret: " + std::string(secret_text) + "}";
    for (const std::string url : {"http://127.0.0.1:9000/hooks", "http://127.9.8.7/hooks", "http://[::1]:9000/hooks",
                                  "http://localhost/h", "http://LOCALHOST:8080/h"}) {
        const auto c = load(with_webhook("{url: \"" + url + "\"" + secret, allow));
        BOOST_TEST(c.webhooks.allow_http_loopback);
        BOOST_TEST(c.clients.at(0).webhook->url == url);
    }
    check_error(with_webhook("{url: \"http://127.0.0.1:9000/hooks\"" + secret), "\"http://127",
                "clients[0].webhook.url",
                "http to a loopback host needs `webhooks: {allow_http_loopback: true}` at the top level; otherwise "
                "use https");
    for (const std::string url : {"http://hooks.example.com/h", "http://10.0.0.1/h", "http://128.0.0.1/h",
                                  "http://[::ffff:127.0.0.1]/h", "http://localhost.example.com/h"})
        check_error(with_webhook("{url: \"" + url + "\"" + secret, allow), "\"http://", "clients[0].webhook.url",
                    "a webhook URL must be https; http is allowed only to a loopback host (127.0.0.0/8, ::1, "
                    "localhost)");
}

BOOST_AUTO_TEST_CASE(unusable_webhook_urls_are_refused_where_they_are)
{
    const std::string secret = ", secret: " + std::string(secret_text) + "}";
    const std::string key = "clients[0].webhook.url";
    check_error(with_webhook("{url: \"ftp://hooks.example.com/\"" + secret), "\"ftp://", key,
                "a webhook URL must be https");
    check_error(with_webhook("{url: \"hooks.example.com/x\"" + secret), "\"hooks.example.com/x", key,
                "not an absolute URL");
    check_error(with_webhook("{url: \"https://user:pw@hooks.example.com/\"" + secret), "\"https://", key,
                "a webhook URL takes no credentials: the receiver checks the signature");
    check_error(with_webhook("{url: \"https://hooks.example.com/#x\"" + secret), "\"https://", key,
                "a webhook URL takes no fragment");
    check_error(with_webhook("{url: \"https:///x\"" + secret), "\"https://", key, "the URL has no host");
}

BOOST_AUTO_TEST_CASE(secrets_that_do_not_parse_are_refused_and_never_quoted)
{
    const std::string url = "{url: \"https://hooks.example.com/\", secret: ";
    const std::string key = "clients[0].webhook.secret";
    const std::string message = "must be `whsec_` followed by the base64 of a 24 to 64 byte key";
    check_error(with_webhook(url + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}"), "MfKQ9r8G", key, message);
    check_error(with_webhook(url + "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa}"), "whsec_", key, message);   // not base64
    check_error(with_webhook(url + "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRY=}"), "whsec_", key, message); // 23 bytes
    check_error(with_webhook(url + "\"whsec_MfKQ9r8G!qrTwjUPD8ILPZIo2LaLaSw\"}"), "\"whsec_", key, message);
    check_error(with_webhook(url + "\"${HOOK_SECRET}\"}"), "\"${HOOK_SECRET}", key, message,
                {{"HOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw="}});
}

BOOST_AUTO_TEST_CASE(a_webhook_needs_both_keys_and_no_others)
{
    check_error(with_webhook("{url: \"https://hooks.example.com/\"}"), "{url", "clients[0].webhook.secret",
                "is required");
    temp_dir dir;
    const std::string text = with_webhook("{url: \"https://h.example/\", secret: " + std::string(secret_text) +
                                          ", retries: 3}");
    const std::string path = dir.write("gateway.yaml", text);
    const auto errors = cfg::test::load_errors(path, map_env({}));
    BOOST_TEST(cfg::test::has_prefix(errors, path + ":" + position(text, "retries") + ": clients[0].webhook"));
    const std::string top = "webhooks: {allow_http: true}\n" + minimal_config;
    const std::string top_path = dir.write("top.yaml", top);
    BOOST_TEST(cfg::test::has_prefix(cfg::test::load_errors(top_path, map_env({})),
                                     top_path + ":" + position(top, "allow_http") + ": webhooks"));
}

BOOST_AUTO_TEST_SUITE_END()
