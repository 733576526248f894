// HTTPS on every vendor port, with certificates made at run time.

#include "tests/emulator/support/checks.hpp"
#include "tests/support/files.hpp"
#include "tests/support/test_certificates.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>

using namespace igw::emulator;
using namespace igw::emulator::testing;
using igw::test::read_file;
using igw::test::test_certificates;

namespace {

options tls_options(const test_certificates& pki)
{
    options o;
    o.tls_certificate_file = pki.certificate_file();
    o.tls_private_key_file = pki.private_key_file();
    return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(certificates_are_pem_files_in_a_directory_removed_afterwards)
{
    std::string directory;
    {
        const test_certificates pki;
        directory = pki.directory();
        for (const std::string& file :
             {pki.ca_file(), pki.certificate_file(), pki.untrusted_ca_file(), pki.wrong_host_certificate_file()})
            BOOST_TEST(read_file(file).starts_with("-----BEGIN CERTIFICATE-----"), file);
        for (const std::string& file : {pki.private_key_file(), pki.wrong_host_private_key_file()})
            BOOST_TEST(read_file(file).starts_with("-----BEGIN PRIVATE KEY-----"), file);
        BOOST_TEST(read_file(pki.ca_file()) != read_file(pki.untrusted_ca_file()));
    }
    BOOST_TEST(!std::filesystem::exists(directory));
}

BOOST_AUTO_TEST_CASE(https_request_verified_against_the_generated_ca)
{
    const test_certificates pki;
    server s(tls_options(pki));
    for (const vendor v : all_vendors) {
        BOOST_TEST_CONTEXT(name(v))
        {
            BOOST_TEST(s.base_url(v) == "https://127.0.0.1:" + std::to_string(s.port(v)));
            test_client client("127.0.0.1", s.port(v), tls_settings{pki.ca_file(), "localhost"});
            const test_response response = client.send(documented_request(s, v));
            BOOST_TEST_REQUIRE(response.ok(), response.error);
            BOOST_TEST(response.status == 200u);
            // Keep-alive works over TLS too.
            BOOST_TEST(client.send(documented_request(s, v)).status == 200u);
            BOOST_TEST(s.connections_accepted(v) == 1u);
        }
    }
    // The certificate also names the IP address.
    test_client by_ip("127.0.0.1", s.port(vendor::gorules), tls_settings{pki.ca_file(), "127.0.0.1"});
    BOOST_TEST(by_ip.send(documented_request(s, vendor::gorules)).status == 200u);
}

BOOST_AUTO_TEST_CASE(extra_host_name_is_in_the_certificate)
{
    const test_certificates pki("invitegw.test");
    server s(tls_options(pki));
    test_client client("127.0.0.1", s.port(vendor::anthropic), tls_settings{pki.ca_file(), "invitegw.test"});
    const test_response response = client.send(documented_request(s, vendor::anthropic));
    BOOST_TEST_REQUIRE(response.ok(), response.error);
    BOOST_TEST(response.status == 200u);
}

BOOST_AUTO_TEST_CASE(untrusted_ca_wrong_host_and_plain_http_fail)
{
    const test_certificates pki;
    server s(tls_options(pki));
    const vendor v = vendor::warpstream;

    test_client untrusted("127.0.0.1", s.port(v), tls_settings{pki.untrusted_ca_file(), "localhost"});
    BOOST_TEST(!untrusted.send(documented_request(s, v)).ok());

    test_client wrong_name("127.0.0.1", s.port(v), tls_settings{pki.ca_file(), "example.com"});
    BOOST_TEST(!wrong_name.send(documented_request(s, v)).ok());

    test_client plain("127.0.0.1", s.port(v));
    const test_response response = plain.send(documented_request(s, v));
    BOOST_TEST((!response.ok() || response.status != 200u));
    BOOST_TEST(s.requests(v).empty()); // nothing reached the vendor logic

    // A server presenting the wrong-host certificate fails verification for "localhost".
    options o;
    o.tls_certificate_file = pki.wrong_host_certificate_file();
    o.tls_private_key_file = pki.wrong_host_private_key_file();
    server wrong(o);
    test_client client("127.0.0.1", wrong.port(v), tls_settings{pki.ca_file(), "localhost"});
    BOOST_TEST(!client.send(documented_request(wrong, v)).ok());
    test_client named("127.0.0.1", wrong.port(v), tls_settings{pki.ca_file(), "wrong-host.invalid"});
    BOOST_TEST(named.send(documented_request(wrong, v)).status == 200u);
}

BOOST_AUTO_TEST_CASE(certificate_without_key_is_refused_at_start)
{
    const test_certificates pki;
    options o;
    o.tls_certificate_file = pki.certificate_file();
    BOOST_CHECK_THROW(server{o}, std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
