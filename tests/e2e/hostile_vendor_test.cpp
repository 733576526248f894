// Vendors that misbehave in ways no emulator does, seen from the gateway's clients:
// endless reply framing, error messages quoting the gateway's credentials, a request
// read in full and then dropped, replies cut short after their header, and a reload
// that leaves a vendor's connections behind.

#include "gateway/json/base64.hpp"
#include "tests/e2e/support/custom_gateway.hpp"
#include "tests/e2e/support/harness.hpp"
#include "tests/e2e/support/merged_reply.hpp"
#include "tests/e2e/support/scripted_vendor.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>

using namespace igw;
using namespace igw::e2e;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view hostile_client_key = "hostile-client-key-0123456789";

// Credentials of the two test targets: `keyed` sends its key as X-Api-Key and as a
// Bearer token; `basic` sends HTTP Basic credentials.
const std::string api_key = "sk-live-hostile-0123456789abcdef";
const std::string key_id = "AKID1234567";
const std::string key_secret = "s3cr3t-value-xyz"; // "AKID1234567:s3cr3t-value-xyz" pads with "=="

const std::map<std::string, std::string> providers{{"keyed", R"(description: a vendor authenticated by an API key
secrets: [api_key]
request:
  method: PUT
  path: /invites
  headers:
    X-Api-Key: "{secret.api_key}"
    Authorization: "Bearer {secret.api_key}"
  body:
    email: {$item: email}
batch:
  max_items: 1
roles:
  type: none
reply:
  success: [200]
  items: none
  error_message: [/message]
)"},
                                                   {"basic", R"(description: a vendor authenticated with HTTP Basic
secrets: [key_id, key_secret]
request:
  method: POST
  path: /invites
  basic_auth:
    username: "{secret.key_id}"
    password: "{secret.key_secret}"
  body:
    email: {$item: email}
batch:
  max_items: 1
roles:
  type: none
reply:
  success: [200]
  items: none
  error_message: [/message]
)"}};

struct target_spec {
    std::string name, provider, base_url;
};

std::string config_yaml(const std::vector<target_spec>& targets)
{
    std::string y = "listen: 127.0.0.1:0\nthreads: 1\nproviders_dir: providers\n"
                    "limits:\n  request_timeout: 10s\n"
                    "roles: [member]\n"
                    "clients:\n  - name: app\n    key: " +
                    std::string(hostile_client_key) + "\nroutes:\n  - path: " + std::string(invite_path) +
                    "\n    targets: [";
    for (std::size_t i = 0; i < targets.size(); ++i)
        y += (i ? ", " : "") + targets[i].name;
    y += "]\ntargets:\n";
    for (const auto& t : targets) {
        y += "  - name: " + t.name + "\n    provider: " + t.provider + "\n    base_url: " + t.base_url +
             "\n    timeout: 5s\n    secrets:\n";
        if (t.provider == "keyed")
            y += "      api_key: \"" + api_key + "\"\n";
        else
            y += "      key_id: \"" + key_id + "\"\n      key_secret: \"" + key_secret + "\"\n";
    }
    return y;
}

emulator::test_response invite(const custom_gateway& gw, const std::string& email)
{
    return post_invite(gw.port(), invite_body({{email, "member"}}), {.key = std::string(hostile_client_key)});
}

// Every text the client or an operator sees must be free of these.
const std::vector<std::string>& secret_forms()
{
    static const std::vector<std::string> forms = [] {
        std::string basic = json::base64(key_id + ":" + key_secret);
        std::vector<std::string> f{api_key, key_secret, key_id, basic};
        while (basic.back() == '=')
            basic.pop_back();
        f.push_back(basic);
        return f;
    }();
    return forms;
}

} // namespace

BOOST_AUTO_TEST_SUITE(hostile_vendor)

BOOST_AUTO_TEST_CASE(endless_reply_framing_is_an_unknown_bad_upstream_response)
{
    // 64 MiB of one chunk extension, or of one trailer field, that never ends.
    for (const std::string& head : {std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;ext="),
                                    std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\ny\r\n0\r\n"
                                                "X-Pad: ")}) {
        BOOST_TEST_CONTEXT(head.substr(head.size() - 8))
        {
            scripted_vendor vendor(
                [&](const scripted_request&) { return scripted_reply{.bytes = head, .pad_mebibytes = 64}; });
            custom_gateway gw(config_yaml({{"keyed", "keyed", vendor.base_url()}}), providers);
            const auto reply = invite(gw, "endless@example.com");
            BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
            const merged_reply merged = parse_merged_reply(reply.body);
            BOOST_TEST_REQUIRE(merged.results.size() == 1u);
            BOOST_TEST(merged.results[0].status == "unknown");
            BOOST_TEST(merged.results[0].error_code.value_or("") == "bad_upstream_response");
            BOOST_TEST(merged.results[0].error_message.value_or("") == "unreadable reply from target keyed");
        }
    }
}

BOOST_AUTO_TEST_CASE(a_vendor_quoting_the_gateways_credentials_never_shows_them)
{
    // Each vendor refuses the call and quotes what it was sent, as some do in their
    // error messages, in every form the credentials travel in.
    scripted_vendor keyed([](const scripted_request& r) {
        return http_reply(401, R"({"message":"invalid x-api-key )" + r.header("X-Api-Key").value_or("") +
                                   " (Authorization: " + r.header("Authorization").value_or("") + ")\"}");
    });
    scripted_vendor basic([](const scripted_request& r) {
        const std::string authorization = r.header("Authorization").value_or("");
        std::string unpadded = authorization.substr(authorization.find(' ') + 1);
        while (!unpadded.empty() && unpadded.back() == '=')
            unpadded.pop_back();
        return http_reply(400, R"({"message":"bad credentials )" + authorization + " / " + unpadded + " / " + key_id +
                                   ":" + key_secret + R"("})");
    });
    captured_log log;
    custom_gateway gw(config_yaml({{"keyed", "keyed", keyed.base_url()}, {"basic", "basic", basic.base_url()}}),
                      providers);
    const auto reply = invite(gw, "quoted@example.com");
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
    // The vendors did see (and quote) the real credentials.
    BOOST_TEST_REQUIRE(keyed.requests().size() == 1u);
    BOOST_TEST(keyed.requests()[0].header("X-Api-Key").value_or("") == api_key);
    BOOST_TEST_REQUIRE(basic.requests().size() == 1u);
    BOOST_TEST(basic.requests()[0].header("Authorization").value_or("") ==
               "Basic " + json::base64(key_id + ":" + key_secret));

    for (const std::string& secret : secret_forms()) {
        BOOST_TEST(reply.body.find(secret) == std::string::npos, secret << " in " << reply.body);
        for (const auto& line : log.lines())
            BOOST_TEST(line.find(secret) == std::string::npos, secret << " in " << line);
    }
    const merged_reply merged = parse_merged_reply(reply.body);
    BOOST_TEST_REQUIRE(merged.results.size() == 2u);
    BOOST_TEST(merged.results[0].error_code.value_or("") == "upstream_unauthorized");
    BOOST_TEST(merged.results[0].error_message.value_or("") ==
               "invalid x-api-key [redacted] (Authorization: [redacted])");
    BOOST_TEST(merged.results[1].error_code.value_or("") == "upstream_rejected");
    BOOST_TEST(merged.results[1].error_message.value_or("") ==
               "bad credentials [redacted] / [redacted] / [redacted]:[redacted]");
}

BOOST_AUTO_TEST_CASE(a_put_the_vendor_read_in_full_then_dropped_is_sent_once_and_unknown)
{
    // The first call is answered on a keep-alive connection; the vendor reads the second
    // in full on that same connection, then closes it without a word.
    std::atomic<int> seen{0};
    scripted_vendor vendor(
        [&](const scripted_request&) { return ++seen == 1 ? http_reply(200, "{}") : scripted_reply{.close = true}; });
    custom_gateway gw(config_yaml({{"keyed", "keyed", vendor.base_url()}}), providers);
    const auto first = invite(gw, "first@example.com");
    BOOST_TEST_REQUIRE(first.status == 200u, first.body);

    const auto second = invite(gw, "second@example.com");
    BOOST_TEST_REQUIRE(second.status == 207u, second.body);
    const merged_reply merged = parse_merged_reply(second.body);
    BOOST_TEST_REQUIRE(merged.results.size() == 1u);
    BOOST_TEST(merged.results[0].status == "unknown");
    BOOST_TEST(merged.results[0].error_code.value_or("") == "upstream_error");

    const auto received = vendor.requests();
    BOOST_TEST_REQUIRE(received.size() == 2u); // the invitation of the second call: exactly once
    BOOST_TEST(received[1].method == "PUT");
    BOOST_TEST(received[1].body.find("second@example.com") != std::string::npos);
    BOOST_TEST(received[1].connection == received[0].connection); // it went on the reused connection
    BOOST_TEST(vendor.connections_accepted() == 1u);
}

BOOST_AUTO_TEST_CASE(the_log_line_and_the_reply_agree_on_the_upstream_status)
{
    // A whole 200 header, then a body over the reply limit (4 MiB): the vendor answered,
    // but nothing it said can be used.
    scripted_vendor vendor([](const scripted_request&) {
        return scripted_reply{.bytes = "HTTP/1.1 200 OK\r\nContent-Length: 8388608\r\n\r\n", .close = true};
    });
    captured_log log;
    custom_gateway gw(config_yaml({{"keyed", "keyed", vendor.base_url()}}), providers);
    const auto reply = invite(gw, "big@example.com");
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
    const merged_reply merged = parse_merged_reply(reply.body);
    BOOST_TEST_REQUIRE(merged.results.size() == 1u);
    BOOST_TEST(merged.results[0].status == "unknown");
    BOOST_TEST(merged.results[0].error_code.value_or("") == "bad_upstream_response");
    BOOST_TEST(merged.results[0].upstream_status.value_or(0) == 200u);

    const auto lines = log.events("upstream_call_failed");
    BOOST_TEST_REQUIRE(lines.size() == 1u);
    BOOST_TEST(lines[0].find("\"upstream_status\":200") != std::string::npos, lines[0]);
    BOOST_TEST(lines[0].find("\"request_id\":\"" + merged.request_id + "\"") != std::string::npos, lines[0]);
    BOOST_TEST(lines[0].find("reply body larger than") != std::string::npos, lines[0]); // the detail
}

BOOST_AUTO_TEST_CASE(a_reload_that_drops_a_target_closes_its_pooled_connections)
{
    scripted_vendor kept([](const scripted_request&) { return http_reply(200, "{}"); });
    scripted_vendor dropped([](const scripted_request&) { return http_reply(200, "{}"); });
    custom_gateway gw(config_yaml({{"keyed", "keyed", kept.base_url()}, {"basic", "basic", dropped.base_url()}}),
                      providers);
    const auto before = invite(gw, "before@example.com");
    BOOST_TEST_REQUIRE(before.status == 200u, before.body);
    // Each vendor's connection waits in the gateway's pool for the next call.
    BOOST_TEST_REQUIRE(kept.wait_open(1, 5s));
    BOOST_TEST_REQUIRE(dropped.wait_open(1, 5s));

    gw.reload(config_yaml({{"keyed", "keyed", kept.base_url()}}));
    const auto after = invite(gw, "after@example.com");
    BOOST_TEST_REQUIRE(after.status == 200u, after.body);
    // Well before the pool's own idle timeout (30 s).
    BOOST_TEST(dropped.wait_open(0, 5s),
               "the dropped vendor still has " << dropped.connections_open() << " connection(s) open");
    BOOST_TEST(kept.connections_open() == 1u); // still pooled, and used again
    BOOST_TEST(kept.connections_accepted() == 1u);
    BOOST_TEST(dropped.requests().size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
