#include "gateway/json/base64.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <string_view>

using igw::json::base64;

BOOST_AUTO_TEST_CASE(base64_matches_the_rfc_4648_test_vectors)
{
    BOOST_TEST(base64("") == "");
    BOOST_TEST(base64("f") == "Zg==");
    BOOST_TEST(base64("fo") == "Zm8=");
    BOOST_TEST(base64("foo") == "Zm9v");
    BOOST_TEST(base64("foob") == "Zm9vYg==");
    BOOST_TEST(base64("fooba") == "Zm9vYmE=");
    BOOST_TEST(base64("foobar") == "Zm9vYmFy");
}

BOOST_AUTO_TEST_CASE(base64_encodes_every_byte_value_without_line_breaks)
{
    std::string bytes;
    for (int i = 0; i < 256; ++i)
        bytes.push_back(static_cast<char>(i));
    const std::string encoded = base64(bytes + bytes);
    BOOST_TEST(encoded.size() == 4 * ((512 + 2) / 3));
    BOOST_TEST(encoded.find('\n') == std::string::npos);
    BOOST_TEST(encoded.substr(0, 8) == "AAECAwQF");
    BOOST_TEST(encoded.substr(encoded.size() - 4) == "/v8=");
    BOOST_TEST(base64("sandbox-key-id:sandbox-key-secret") == "c2FuZGJveC1rZXktaWQ6c2FuZGJveC1rZXktc2VjcmV0");
}

namespace {

// base64_decode's result, printable in a failed assertion.
std::string decoded(std::string_view text)
{
    const std::optional<std::string> bytes = igw::json::base64_decode(text);
    return bytes ? *bytes : "<rejected>";
}

} // namespace

BOOST_AUTO_TEST_CASE(base64_decode_reverses_the_rfc_4648_test_vectors)
{
    BOOST_TEST(decoded("") == "");
    BOOST_TEST(decoded("Zg==") == "f");
    BOOST_TEST(decoded("Zm8=") == "fo");
    BOOST_TEST(decoded("Zm9v") == "foo");
    BOOST_TEST(decoded("Zm9vYmFy") == "foobar");
    std::string bytes;
    for (int i = 0; i < 256; ++i)
        bytes.push_back(static_cast<char>(i));
    BOOST_TEST(decoded(base64(bytes)) == bytes);
}

BOOST_AUTO_TEST_CASE(base64_decode_rejects_anything_but_padded_base64)
{
    BOOST_TEST(decoded("Zg") == "<rejected>"); // unpadded
    BOOST_TEST(decoded("Zg=") == "<rejected>");
    BOOST_TEST(decoded(" Zm9v") == "<rejected>"); // whitespace is not skipped
    BOOST_TEST(decoded("Zm9v\n") == "<rejected>");
    BOOST_TEST(decoded("Zm9-") == "<rejected>"); // URL-safe alphabet
    BOOST_TEST(decoded("Z=9v") == "<rejected>"); // padding in the middle
    BOOST_TEST(decoded("Zg==Zg==") == "<rejected>");
    BOOST_TEST(decoded("====") == "<rejected>");
}
