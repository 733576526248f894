// The listener's `tls` and clients' `certificate_cn`: files read relative to the config's
// folder and checked at load (a certificate that does not parse, a key of another
// certificate), each problem at the key that names it.

#include "gateway/config/loader.hpp"
#include "gateway/config/yaml_reader.hpp"

#include "tests/config/support/config_files.hpp"
#include "tests/support/test_certificates.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>

namespace cfg = igw::config;
using cfg::test::has_line;
using cfg::test::load_errors;
using cfg::test::map_env;
using cfg::test::minimal_config;
using cfg::test::position;
using cfg::test::read_file;
using cfg::test::temp_dir;

namespace {

const std::map<std::string, std::string> no_vars;

// A config folder holding the test PKI's server certificate, key and CA under tls/.
struct tls_folder {
    igw::test::test_certificates pki;
    temp_dir dir;

    tls_folder()
    {
        dir.write("tls/server.pem", read_file(pki.certificate_file()));
        dir.write("tls/server.key", read_file(pki.private_key_file()));
        dir.write("tls/clients-ca.pem", read_file(pki.ca_file()));
        dir.write("tls/other.key", read_file(pki.wrong_host_private_key_file()));
    }

    std::string write(const std::string& text) const { return dir.write("gateway.yaml", text); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(files_are_read_relative_to_the_config_and_kept)
{
    const tls_folder f;
    const std::string path = f.write(minimal_config + "tls:\n  cert: tls/server.pem\n  key: tls/server.key\n"
                                                      "  client_ca: tls/clients-ca.pem\n");
    const cfg::gateway_config c = cfg::load_gateway_config(path, map_env(no_vars));
    BOOST_TEST_REQUIRE(c.tls.has_value());
    BOOST_TEST(c.tls->cert_file == (f.dir.path() / "tls/server.pem").string());
    BOOST_TEST(c.tls->key_file == (f.dir.path() / "tls/server.key").string());
    BOOST_TEST(c.tls->client_ca_file == (f.dir.path() / "tls/clients-ca.pem").string());
    BOOST_TEST(c.tls->cert_pem == read_file(f.pki.certificate_file()));
    BOOST_TEST(c.tls->key_pem == read_file(f.pki.private_key_file()));
    BOOST_TEST(c.tls->client_ca_pem == read_file(f.pki.ca_file()));
}

BOOST_AUTO_TEST_CASE(without_tls_the_listener_is_plain)
{
    const tls_folder f;
    BOOST_TEST(!cfg::load_gateway_config(f.write(minimal_config), map_env(no_vars)).tls.has_value());
}

BOOST_AUTO_TEST_CASE(a_missing_file_an_unparsable_certificate_and_a_foreign_key_are_named_where_written)
{
    const tls_folder f;
    f.dir.write("tls/garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
    const std::string dir = f.dir.path().string();

    std::string text = minimal_config + "tls: {cert: tls/missing.pem, key: tls/server.key}\n";
    std::string path = f.write(text);
    BOOST_TEST(has_line(load_errors(path, map_env(no_vars)), path + ":" + position(text, "tls/missing.pem") +
                                                                 ": tls.cert: cannot read " + dir +
                                                                 "/tls/missing.pem"));

    text = minimal_config + "tls: {cert: tls/garbage.pem, key: tls/server.key}\n";
    path = f.write(text);
    BOOST_TEST(has_line(load_errors(path, map_env(no_vars)),
                        path + ":" + position(text, "tls/garbage.pem") + ": tls.cert: " + dir +
                            "/tls/garbage.pem holds no PEM certificate (or one does not parse)"));

    text = minimal_config + "tls: {cert: tls/server.pem, key: tls/other.key}\n";
    path = f.write(text);
    const auto errors = load_errors(path, map_env(no_vars));
    BOOST_TEST(errors.size() == 1u);
    BOOST_TEST(has_line(errors, path + ":" + position(text, "tls/other.key") + ": tls.key: " + dir +
                                    "/tls/other.key is not the private key of the certificate in tls.cert"));
    // The message names the file, never its contents (a key is a secret).
    for (const auto& e : errors)
        BOOST_TEST(e.find("PRIVATE KEY") == std::string::npos);

    text = minimal_config + "tls: {cert: tls/server.pem}\n";
    path = f.write(text);
    BOOST_TEST(load_errors(path, map_env(no_vars)).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_client_named_by_certificate_needs_client_ca_and_no_key)
{
    const tls_folder f;
    const std::string tls = "tls: {cert: tls/server.pem, key: tls/server.key, client_ca: tls/clients-ca.pem}\n";
    const std::string clients = "  - name: billing\n    certificate_cn: billing.internal\n";
    std::string text = minimal_config;
    text.insert(text.find("targets:"), clients);
    const cfg::gateway_config c = cfg::load_gateway_config(f.write(text + tls), map_env(no_vars));
    BOOST_TEST_REQUIRE(c.clients.size() == 2u);
    BOOST_TEST(c.clients[0].keys_sha256.size() == 1u);
    BOOST_TEST(c.clients[0].certificate_cn.empty());
    BOOST_TEST(c.clients[1].keys_sha256.empty());
    BOOST_TEST(c.clients[1].certificate_cn == "billing.internal");

    // Without client_ca no certificate is verified, so none may name a client.
    std::string path = f.write(text + "tls: {cert: tls/server.pem, key: tls/server.key}\n");
    BOOST_TEST(has_line(load_errors(path, map_env(no_vars)),
                        path + ":" + position(text, "billing.internal") +
                            ": clients[1].certificate_cn: needs `tls.client_ca`: only a client certificate verified "
                            "by the listener can name a client"));

    std::string twice = minimal_config;
    twice.insert(twice.find("targets:"), clients + "  - name: billing2\n    certificate_cn: billing.internal\n");
    path = f.write(twice + tls);
    BOOST_TEST(has_line(load_errors(path, map_env(no_vars)),
                        path + ":" + position(twice, "billing.internal", 2) +
                            ": clients[2].certificate_cn: another client has certificate_cn \"billing.internal\""));
}

BOOST_AUTO_TEST_SUITE_END()
