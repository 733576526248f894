#include "tests/upstream/support/test_certs.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <unistd.h>

namespace igw::upstream::testing {

namespace {

struct free_pkey { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct free_x509 { void operator()(X509* p) const { X509_free(p); } };
struct free_bio { void operator()(BIO* p) const { BIO_free(p); } };
using pkey_ptr = std::unique_ptr<EVP_PKEY, free_pkey>;
using x509_ptr = std::unique_ptr<X509, free_x509>;
using bio_ptr = std::unique_ptr<BIO, free_bio>;

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test certificate: ") + what + " failed");
}

pkey_ptr make_key() {
    pkey_ptr key(EVP_EC_gen("P-256"));
    check(key != nullptr, "EVP_EC_gen");
    return key;
}

std::string bio_string(BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string key_pem(EVP_PKEY* key) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "writing a key");
    return bio_string(bio.get());
}

std::string cert_pem(X509* cert) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_X509(bio.get(), cert) == 1, "writing a certificate");
    return bio_string(bio.get());
}

pkey_ptr read_key(const std::string& pem) {
    bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    pkey_ptr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    check(key != nullptr, "reading a key");
    return key;
}

x509_ptr read_cert(const std::string& pem) {
    bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    x509_ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    check(cert != nullptr, "reading a certificate");
    return cert;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    check(ext != nullptr, "building an extension");
    const int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    check(ok == 1, "adding an extension");
}

x509_ptr new_cert(EVP_PKEY* subject_key, const std::string& common_name) {
    x509_ptr cert(X509_new());
    check(cert != nullptr, "X509_new");
    check(X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_set_version");
    unsigned char serial[16];
    check(RAND_bytes(serial, sizeof serial) == 1, "RAND_bytes");
    serial[0] &= 0x7f;  // keep it positive
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    check(bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr, "serial");
    BN_free(bn);
    // Back-dated an hour so that clock skew between the steps cannot matter.
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 3600);
    check(X509_set_pubkey(cert.get(), subject_key) == 1, "X509_set_pubkey");
    X509_NAME* name = X509_get_subject_name(cert.get());
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1,
          "subject name");
    return cert;
}

}  // namespace

certificate_authority make_ca(const std::string& common_name) {
    auto key = make_key();
    auto cert = new_cert(key.get(), common_name);
    check(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) == 1, "issuer name");
    add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
    check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "signing the CA");
    return {cert_pem(cert.get()), key_pem(key.get())};
}

server_identity make_server_certificate(const certificate_authority& ca, const std::vector<std::string>& dns_names,
                                        const std::vector<std::string>& ip_addresses) {
    auto ca_key = read_key(ca.key_pem);
    auto ca_cert = read_cert(ca.cert_pem);
    auto key = make_key();
    auto cert = new_cert(key.get(), dns_names.empty() ? "test server" : dns_names.front());
    check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())) == 1, "issuer name");
    std::string san;
    for (const auto& n : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + n;
    for (const auto& ip : ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
    add_extension(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth");
    if (!san.empty()) add_extension(cert.get(), ca_cert.get(), NID_subject_alt_name, san);
    add_extension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always");
    check(X509_sign(cert.get(), ca_key.get(), EVP_sha256()) > 0, "signing the server certificate");
    return {cert_pem(cert.get()), key_pem(key.get())};
}

temp_file::temp_file(const std::string& stem, const std::string& content) {
    static std::atomic<unsigned> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("igw-upstream-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + stem);
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) throw std::runtime_error("cannot write " + path_.string());
}

temp_file::~temp_file() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
}

}  // namespace igw::upstream::testing
