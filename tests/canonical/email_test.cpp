// Email normalisation and the accepted address syntax.

#include "gateway/canonical/email.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>
#include <string_view>

using namespace igw::canonical;
namespace bdata = boost::unit_test::data;

namespace {

struct rejected_case {
    std::string address;
    std::string_view reason;
};

std::ostream& operator<<(std::ostream& out, const rejected_case& c)
{
    return out << '[' << c.address << "] -> " << c.reason;
}

const std::string local_64 = std::string(64, 'l');
const std::string label_63 = std::string(63, 'd');
// 64 + 1 + 189 = 254 bytes: the longest address accepted.
const std::string longest = local_64 + "@" + std::string(61, 'a') + "." + std::string(63, 'b') + "." +
                            std::string(63, 'c');

const std::string accepted_addresses[] = {
    "a@b.co",
    "first.last@example.com",
    "user+tag@sub.example.co.uk",
    "!#$%&'*+-/=?^_`{|}~@example.com",
    "o'brien@example.ie",
    "x@123.example",
    "x@my-host.example",
    "x@a.b",
    local_64 + "@example.com",
    "x@" + label_63 + ".com",
    longest,
};

const rejected_case rejected_addresses[] = {
    {"", "the address is empty"},
    {longest + "c", "the address is longer than 254 bytes"},
    {"j\xC3\xB6rg@example.com", "internationalised addresses (non-ASCII characters) are not supported"},
    {"jorg@ex\xC3\xA4mple.com", "internationalised addresses (non-ASCII characters) are not supported"},
    {"\"john doe\"@example.com", "quoted local parts are not supported"},
    {"john.\"doe\"@example.com", "quoted local parts are not supported"},
    {"john doe@example.com", "spaces are not allowed"},
    {"john@exa mple.com", "spaces are not allowed"},
    {"john\t@example.com", "control characters are not allowed"},
    {std::string("jo\0hn@example.com", 17), "control characters are not allowed"},
    {"john\x7F@example.com", "control characters are not allowed"},
    {"john.example.com", "'@' is missing"},
    {"john@doe@example.com", "there is more than one '@'"},
    {"@example.com", "the local part (before '@') is empty"},
    {local_64 + "l@example.com", "the local part (before '@') is longer than 64 bytes"},
    {".john@example.com", "the local part starts or ends with '.'"},
    {"john.@example.com", "the local part starts or ends with '.'"},
    {"jo..hn@example.com", "the local part contains consecutive dots"},
    {"jo(hn)@example.com", "the local part may only contain letters, digits, '.' and !#$%&'*+-/=?^_`{|}~"},
    {"jo,hn@example.com", "the local part may only contain letters, digits, '.' and !#$%&'*+-/=?^_`{|}~"},
    {"jo\\hn@example.com", "the local part may only contain letters, digits, '.' and !#$%&'*+-/=?^_`{|}~"},
    {"john@", "the domain (after '@') is empty"},
    {"john@[192.0.2.1]", "address literals such as [192.0.2.1] are not supported"},
    {"john@localhost", "the domain needs at least two labels, such as example.com"},
    {"john@.example.com", "the domain starts or ends with '.' or contains consecutive dots"},
    {"john@example.com.", "the domain starts or ends with '.' or contains consecutive dots"},
    {"john@example..com", "the domain starts or ends with '.' or contains consecutive dots"},
    {"john@" + label_63 + "d.com", "a domain label is longer than 63 bytes"},
    {"john@exa_mple.com", "the domain may only contain letters, digits, '-' and '.'"},
    {"john@example.com:25", "the domain may only contain letters, digits, '-' and '.'"},
    {"john@-example.com", "a domain label starts or ends with '-'"},
    {"john@example-.com", "a domain label starts or ends with '-'"},
};

} // namespace

BOOST_AUTO_TEST_SUITE(email)

BOOST_AUTO_TEST_CASE(normalise_trims_ascii_whitespace_and_lowercases_ascii)
{
    BOOST_TEST(normalise_email("  Jane.Doe@Example.COM\t\r\n") == "jane.doe@example.com");
    BOOST_TEST(normalise_email("\f\vA@B.CO") == "a@b.co");
    BOOST_TEST(normalise_email("already@lower.case") == "already@lower.case");
    BOOST_TEST(normalise_email("") == "");
    BOOST_TEST(normalise_email(" \t\n ") == "");
    // Inner whitespace is not trimmed (it makes the address invalid later).
    BOOST_TEST(normalise_email(" a b@c.d ") == "a b@c.d");
    // Non-ASCII bytes are left alone, never case-folded or mangled.
    BOOST_TEST(normalise_email("\xC3\x84Z@X.COM") == "\xC3\x84z@x.com");
    // U+00A0 (no-break space) is not ASCII whitespace.
    BOOST_TEST(normalise_email("\xC2\xA0x@y.zz") == "\xC2\xA0x@y.zz");
}

BOOST_DATA_TEST_CASE(accepts, bdata::make(accepted_addresses), address)
{
    const auto problem = email_problem(address);
    BOOST_TEST(!problem.has_value(), address << " rejected: " << problem.value_or(""));
}

BOOST_DATA_TEST_CASE(rejects_with_a_clear_reason, bdata::make(rejected_addresses), c)
{
    const auto problem = email_problem(c.address);
    BOOST_REQUIRE_MESSAGE(problem.has_value(), c.address << " was accepted");
    BOOST_TEST(*problem == c.reason);
}

BOOST_AUTO_TEST_CASE(the_longest_accepted_address_is_254_bytes) { BOOST_TEST(longest.size() == 254u); }

BOOST_AUTO_TEST_CASE(huge_inputs_are_rejected_for_their_length)
{
    const std::string huge(4 * 1024 * 1024, 'a');
    BOOST_TEST(email_problem(huge).value_or("") == "the address is longer than 254 bytes");
    BOOST_TEST(email_problem(normalise_email(huge + "@EXAMPLE.COM")).value_or("") ==
               "the address is longer than 254 bytes");
}

BOOST_AUTO_TEST_SUITE_END()
