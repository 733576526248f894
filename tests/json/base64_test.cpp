#include "gateway/json/base64.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

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
