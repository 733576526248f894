// What a failed call tells whom: the client gets a short, stable message naming the
// target; the operator's upstream_call_failed log line gets the detail (host:port,
// resolver and TLS library errors) with the request id.

#include "tests/e2e/support/custom_gateway.hpp"
#include "tests/e2e/support/harness.hpp"
#include "tests/e2e/support/merged_reply.hpp"
#include "tests/support/test_certificates.hpp"

#include <boost/test/unit_test.hpp>

using namespace igw;
using namespace igw::e2e;
using emulator::vendor;

namespace {

const std::vector<std::string> base_url_variables{"ANTHROPIC_BASE_URL", "CLICKHOUSE_BASE_URL", "WARPSTREAM_BASE_URL",
                                                  "GORULES_BASE_URL", "ATOMICWORK_BASE_URL"};

// What only an operator should read: addresses and library wording.
void check_client_message(const std::string& message, const std::string& expected)
{
    BOOST_TEST(message == expected);
    for (const char* internal : {"127.0.0.1", "localhost", ":", "certificate", "verify", "OpenSSL", "SSL", "errno"})
        BOOST_TEST(message.find(internal) == std::string::npos, internal << " in " << message);
}

} // namespace

BOOST_AUTO_TEST_SUITE(failure_messages)

BOOST_AUTO_TEST_CASE(an_untrusted_certificate_is_a_short_message_for_the_client_and_the_detail_in_the_log)
{
    const test::test_certificates pki;
    emulator::options o;
    o.tls_certificate_file = pki.certificate_file();
    o.tls_private_key_file = pki.private_key_file();
    emulator::server emulators(o);
    std::vector<std::pair<std::string, std::string>> env;
    for (std::size_t i = 0; i < emulator::all_vendors.size(); ++i)
        env.emplace_back(base_url_variables[i],
                         "https://127.0.0.1:" + std::to_string(emulators.port(emulator::all_vendors[i])));
    config_variant variant;
    variant.ca_file = pki.untrusted_ca_file();

    captured_log log;
    gateway gw(emulators, {.variant = variant, .env = env});
    const auto reply = post_invite(
        gw.port(), invite_body({{"jane@example.com", "developer"}}, std::vector<std::string>{"gorules"}));
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
    const merged_reply merged = parse_merged_reply(reply.body);
    BOOST_TEST_REQUIRE(merged.results.size() == 1u);
    BOOST_TEST(merged.results[0].status == "failed");
    BOOST_TEST(merged.results[0].error_code.value_or("") == "upstream_unreachable");
    check_client_message(merged.results[0].error_message.value_or(""), "TLS handshake with target gorules failed");

    const auto lines = log.events("upstream_call_failed");
    BOOST_TEST_REQUIRE(lines.size() == 1u);
    const std::string& line = lines[0];
    BOOST_TEST(line.find("\"request_id\":\"" + merged.request_id + "\"") != std::string::npos, line);
    BOOST_TEST(line.find("\"detail\":\"TLS handshake with 127.0.0.1:" +
                         std::to_string(emulators.port(vendor::gorules))) != std::string::npos,
               line);
    BOOST_TEST(line.find("certificate verify failed") != std::string::npos, line);
    BOOST_TEST(emulators.requests().empty());
}

BOOST_AUTO_TEST_CASE(a_refused_connection_names_the_target_only)
{
    emulator::server emulators;
    const std::uint16_t dead = closed_port();
    captured_log log;
    gateway gw(emulators,
               {.variant = std::nullopt, .env = {{"WARPSTREAM_BASE_URL", "http://127.0.0.1:" + std::to_string(dead)}}});
    const auto reply = post_invite(
        gw.port(), invite_body({{"dan@example.com", "member"}}, std::vector<std::string>{"warpstream"}));
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
    const merged_reply merged = parse_merged_reply(reply.body);
    BOOST_TEST_REQUIRE(merged.results.size() == 1u);
    BOOST_TEST(merged.results[0].error_code.value_or("") == "upstream_unreachable");
    check_client_message(merged.results[0].error_message.value_or(""), "could not reach target warpstream");

    const auto lines = log.events("upstream_call_failed");
    BOOST_TEST_REQUIRE(lines.size() == 1u);
    BOOST_TEST(lines[0].find("\"detail\":\"cannot connect to 127.0.0.1:" + std::to_string(dead)) != std::string::npos,
               lines[0]);
    BOOST_TEST(lines[0].find("\"request_id\":\"" + merged.request_id + "\"") != std::string::npos, lines[0]);
}

BOOST_AUTO_TEST_SUITE_END()
