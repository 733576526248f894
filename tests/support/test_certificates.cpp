#include "tests/support/test_certificates.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <utility>

namespace igw::test {
namespace {

struct free_key {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct free_cert {
    void operator()(X509* p) const noexcept { X509_free(p); }
};
struct free_bio {
    void operator()(BIO* p) const noexcept { BIO_free(p); }
};
struct free_bn {
    void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
struct free_ext {
    void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, free_key>;
using cert_ptr = std::unique_ptr<X509, free_cert>;

[[noreturn]] void fail(const char* what)
{
    char detail[256] = "no OpenSSL error queued";
    if (const unsigned long code = ERR_get_error(); code != 0)
        ERR_error_string_n(code, detail, sizeof detail);
    throw std::runtime_error(std::string("test certificates: ") + what + ": " + detail);
}

void check(int ok, const char* what)
{
    if (ok != 1)
        fail(what);
}

key_ptr make_key()
{
    key_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key)
        fail("EC key generation");
    return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value)
{
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
    std::unique_ptr<X509_EXTENSION, free_ext> extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value));
    if (!extension)
        fail(value);
    check(X509_add_ext(cert, extension.get(), -1), "X509_add_ext");
}

// The client certificates' alt_names: none, but clientAuth.
constexpr const char* client_usage = "client";

// A certificate for `key` named `common_name`, signed by issuer/issuer_key (self-signed
// when issuer is null). `alt_names` non-empty makes it a server certificate, or a client
// certificate when it is client_usage.
cert_ptr make_certificate(EVP_PKEY* key, const std::string& common_name, X509* issuer, EVP_PKEY* issuer_key,
                          const std::string& alt_names)
{
    cert_ptr cert(X509_new());
    if (!cert)
        fail("X509_new");
    check(X509_set_version(cert.get(), 2), "X509_set_version");
    std::unique_ptr<BIGNUM, free_bn> serial(BN_new());
    if (!serial || BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
        fail("serial number");
    // Valid from an hour ago, so clock skew between steps never makes it "not yet valid".
    if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7L * 24 * 3600))
        fail("validity");
    check(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");
    X509_NAME* subject = X509_get_subject_name(cert.get());
    check(X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>("invitegw tests"), -1, -1, 0),
          "subject O");
    check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0),
          "subject CN");
    X509* signer = issuer ? issuer : cert.get();
    check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)), "X509_set_issuer_name");

    add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
    add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    if (alt_names.empty()) {
        add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else if (alt_names == client_usage) {
        add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
        add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
        add_extension(cert.get(), signer, NID_ext_key_usage, "clientAuth");
    } else {
        add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
        add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
        add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
        add_extension(cert.get(), signer, NID_subject_alt_name, alt_names.c_str());
    }
    if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
        fail("X509_sign");
    return cert;
}

std::unique_ptr<BIO, free_bio> open_for_writing(const std::string& path)
{
    std::unique_ptr<BIO, free_bio> file(BIO_new_file(path.c_str(), "w"));
    if (!file)
        fail(path.c_str());
    return file;
}

void write_certificate(const std::string& path, X509* cert)
{
    auto file = open_for_writing(path);
    check(PEM_write_bio_X509(file.get(), cert), "PEM_write_bio_X509");
}

void write_key(const std::string& path, EVP_PKEY* key)
{
    auto file = open_for_writing(path);
    check(PEM_write_bio_PrivateKey(file.get(), key, nullptr, nullptr, 0, nullptr, nullptr), "PEM_write_bio_PrivateKey");
}

bool is_ip_address(const std::string& host)
{
    unsigned char address[16];
    return inet_pton(AF_INET, host.c_str(), address) == 1 || inet_pton(AF_INET6, host.c_str(), address) == 1;
}

} // namespace

struct test_certificates::authorities {
    key_ptr ca_key;
    cert_ptr ca;
    key_ptr other_ca_key;
    cert_ptr other_ca;
};

test_certificates::test_certificates(std::string_view host_name)
{
    dir_ = std::make_unique<temp_dir>();
    directory_ = dir_->path().string();
    const std::string host(host_name);
    std::string alt_names = "DNS:localhost,IP:127.0.0.1";
    if (!host.empty() && host != "localhost" && host != "127.0.0.1")
        alt_names += (is_ip_address(host) ? ",IP:" : ",DNS:") + host;

    alt_names_ = alt_names;
    authorities_ = std::make_unique<authorities>();
    authorities_->ca_key = make_key();
    authorities_->ca = make_certificate(authorities_->ca_key.get(), "invitegw test CA", nullptr, nullptr, {});
    EVP_PKEY* ca_key = authorities_->ca_key.get();
    X509* ca = authorities_->ca.get();
    const key_ptr server_key = make_key();
    const cert_ptr server = make_certificate(server_key.get(), host.empty() ? "localhost" : host, ca, ca_key,
                                             alt_names);
    const key_ptr wrong_key = make_key();
    const cert_ptr wrong = make_certificate(wrong_key.get(), "wrong-host.invalid", ca, ca_key,
                                            "DNS:wrong-host.invalid");
    authorities_->other_ca_key = make_key();
    authorities_->other_ca = make_certificate(authorities_->other_ca_key.get(), "invitegw untrusted CA", nullptr,
                                              nullptr, {});

    ca_file_ = directory_ + "/ca.pem";
    certificate_file_ = directory_ + "/server.pem";
    private_key_file_ = directory_ + "/server.key";
    wrong_host_certificate_file_ = directory_ + "/wrong-host.pem";
    wrong_host_private_key_file_ = directory_ + "/wrong-host.key";
    untrusted_ca_file_ = directory_ + "/untrusted-ca.pem";
    write_certificate(ca_file_, ca);
    write_certificate(certificate_file_, server.get());
    write_key(private_key_file_, server_key.get());
    write_certificate(wrong_host_certificate_file_, wrong.get());
    write_key(wrong_host_private_key_file_, wrong_key.get());
    write_certificate(untrusted_ca_file_, authorities_->other_ca.get());
}

certificate_files test_certificates::issue_server(const std::string& stem)
{
    const key_ptr key = make_key();
    const cert_ptr cert = make_certificate(key.get(), "localhost", authorities_->ca.get(), authorities_->ca_key.get(),
                                           alt_names_);
    certificate_files files{directory_ + "/" + stem + ".pem", directory_ + "/" + stem + ".key"};
    write_certificate(files.certificate_file, cert.get());
    write_key(files.private_key_file, key.get());
    return files;
}

certificate_files test_certificates::issue_client(const std::string& common_name, bool trusted)
{
    X509* issuer = trusted ? authorities_->ca.get() : authorities_->other_ca.get();
    EVP_PKEY* issuer_key = trusted ? authorities_->ca_key.get() : authorities_->other_ca_key.get();
    const key_ptr key = make_key();
    const cert_ptr cert = make_certificate(key.get(), common_name, issuer, issuer_key, client_usage);
    const std::string stem = directory_ + "/client-" + common_name + (trusted ? "" : "-untrusted");
    certificate_files files{stem + ".pem", stem + ".key"};
    write_certificate(files.certificate_file, cert.get());
    write_key(files.private_key_file, key.get());
    return files;
}

std::string test_certificates::serial_of(const std::string& certificate_file)
{
    std::unique_ptr<BIO, free_bio> file(BIO_new_file(certificate_file.c_str(), "r"));
    if (!file)
        fail(certificate_file.c_str());
    const cert_ptr cert(PEM_read_bio_X509(file.get(), nullptr, nullptr, nullptr));
    if (!cert)
        fail("PEM_read_bio_X509");
    std::unique_ptr<BIGNUM, free_bn> serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
    char* hex = serial ? BN_bn2hex(serial.get()) : nullptr;
    if (!hex)
        fail("serial number");
    std::string text(hex);
    OPENSSL_free(hex);
    return text;
}

test_certificates::~test_certificates() = default;
test_certificates::test_certificates(test_certificates&&) noexcept = default;
test_certificates& test_certificates::operator=(test_certificates&&) noexcept = default;

} // namespace igw::test
