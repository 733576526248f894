#include "gateway/config/pem.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <climits>
#include <memory>

namespace igw::config {
namespace {

struct free_bio {
    void operator()(BIO* p) const noexcept { BIO_free(p); }
};
struct free_cert {
    void operator()(X509* p) const noexcept { X509_free(p); }
};
struct free_key {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using bio_ptr = std::unique_ptr<BIO, free_bio>;
using cert_ptr = std::unique_ptr<X509, free_cert>;

bio_ptr memory_bio(std::string_view pem)
{
    if (pem.size() > INT_MAX)
        return nullptr;
    return bio_ptr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// A passphrase callback that gives none: an encrypted key fails instead of prompting on
// the terminal (OpenSSL's default).
int no_passphrase(char*, int, int, void*) { return 0; }

cert_ptr first_certificate(std::string_view pem)
{
    bio_ptr bio = memory_bio(pem);
    return cert_ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
}

} // namespace

std::size_t count_pem_certificates(std::string_view pem, const std::function<void(x509_st*)>& each)
{
    bio_ptr bio = memory_bio(pem);
    if (!bio)
        return 0;
    std::size_t count = 0;
    while (cert_ptr cert{PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr)}) {
        if (each)
            each(cert.get());
        ++count;
    }
    // The loop ends on "no start line" at the end of the text; any other error is a
    // certificate that does not parse.
    const unsigned long error = ERR_peek_last_error();
    const bool clean_end = ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE;
    ERR_clear_error();
    return count > 0 && clean_end ? count : 0;
}

std::string check_private_key(std::string_view key_pem, std::string_view cert_pem)
{
    bio_ptr bio = memory_bio(key_pem);
    std::unique_ptr<EVP_PKEY, free_key> key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr)
                                                : nullptr);
    ERR_clear_error();
    if (!key)
        return "holds no PEM private key (an encrypted key is not supported)";
    const cert_ptr cert = first_certificate(cert_pem);
    const bool matches = cert && X509_check_private_key(cert.get(), key.get()) == 1;
    ERR_clear_error();
    if (!matches)
        return "is not the private key of the certificate in tls.cert";
    return {};
}

std::string first_certificate_subject(std::string_view pem)
{
    const cert_ptr cert = first_certificate(pem);
    ERR_clear_error();
    if (!cert)
        return {};
    bio_ptr out(BIO_new(BIO_s_mem()));
    if (!out || X509_NAME_print_ex(out.get(), X509_get_subject_name(cert.get()), 0, XN_FLAG_RFC2253) < 0)
        return {};
    char* data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

} // namespace igw::config
