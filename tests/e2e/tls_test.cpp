// HTTPS to the vendors: a trusted certificate works end to end; an untrusted one or one
// for another host name fails every call before anything is sent (the upstream suite
// checks the verifier's detail, which only operators see).

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

emulator::options tls_options(const std::string& certificate, const std::string& key)
{
    emulator::options o;
    o.tls_certificate_file = certificate;
    o.tls_private_key_file = key;
    return o;
}

// Every base URL as https://<host>:<port>.
std::vector<std::pair<std::string, std::string>> https_urls(const emulator::server& emulators, const std::string& host)
{
    std::vector<std::pair<std::string, std::string>> env;
    for (std::size_t i = 0; i < emulator::all_vendors.size(); ++i)
        env.emplace_back(base_url_variables[i],
                         "https://" + host + ":" + std::to_string(emulators.port(emulator::all_vendors[i])));
    return env;
}

const std::string body = invite_body({{"jane@example.com", "developer"}, {"ops@example.com", "member"}});

// Every (invitation, target) failed as unreachable, and no request reached a vendor.
void every_call_fails_the_handshake(const emulator::test_response& reply, const emulator::server& emulators)
{
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
    const merged_reply merged = parse_merged_reply(reply.body);
    BOOST_TEST_REQUIRE(merged.results.size() == 10u);
    for (const auto& r : merged.results) {
        BOOST_TEST_CONTEXT(r.index << "/" << r.target)
        {
            BOOST_TEST(r.status == "failed");
            BOOST_TEST(r.error_code.value_or("") == "upstream_unreachable");
            // The verifier's own words are in the operator's log, not in the reply.
            BOOST_TEST(r.error_message.value_or("") == "TLS handshake with target " + r.target + " failed");
        }
    }
    BOOST_TEST(merged.failed == 10u);
    BOOST_TEST(emulators.requests().empty());
}

} // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(trusted_certificates_invite_everyone)
{
    const test::test_certificates pki;
    emulator::server emulators(tls_options(pki.certificate_file(), pki.private_key_file()));
    BOOST_TEST(emulators.base_url(vendor::anthropic).starts_with("https://127.0.0.1:"));
    config_variant variant;
    variant.ca_file = pki.ca_file();
    gateway gw(emulators, {.variant = variant, .env = https_urls(emulators, "127.0.0.1")});

    const auto reply = post_invite(gw.port(), body);
    BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
    const merged_reply merged = parse_merged_reply(reply.body);
    BOOST_TEST(merged.invited == 10u);
    BOOST_TEST_REQUIRE(merged.results.size() == 10u);
    for (const auto& r : merged.results)
        BOOST_TEST(r.status == "invited", r.index << "/" << r.target);
    for (vendor v : emulator::all_vendors)
        BOOST_TEST(!emulators.requests(v).empty(), emulator::name(v));
}

BOOST_AUTO_TEST_CASE(an_untrusted_certificate_fails_every_call_as_unreachable)
{
    const test::test_certificates pki;
    emulator::server emulators(tls_options(pki.certificate_file(), pki.private_key_file()));
    config_variant variant;
    variant.ca_file = pki.untrusted_ca_file();
    gateway gw(emulators, {.variant = variant, .env = https_urls(emulators, "127.0.0.1")});

    every_call_fails_the_handshake(post_invite(gw.port(), body), emulators);
}

BOOST_AUTO_TEST_CASE(a_certificate_for_another_host_name_fails_every_call_as_unreachable)
{
    const test::test_certificates pki;
    // Signed by the trusted CA, but it names only wrong-host.invalid.
    emulator::server emulators(tls_options(pki.wrong_host_certificate_file(), pki.wrong_host_private_key_file()));
    config_variant variant;
    variant.ca_file = pki.ca_file();
    gateway gw(emulators, {.variant = variant, .env = https_urls(emulators, "localhost")});

    every_call_fails_the_handshake(post_invite(gw.port(), body), emulators);
}

BOOST_AUTO_TEST_SUITE_END()
