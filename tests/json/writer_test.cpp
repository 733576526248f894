#include "gateway/json/writer.hpp"

#include <boost/test/unit_test.hpp>

#include <simdjson.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>

namespace json = igw::json;
using namespace std::string_literals;

namespace {

std::string escaped(std::string_view text)
{
    std::string out;
    json::append_escaped(out, text);
    return out;
}

const std::string fffd = "\xEF\xBF\xBD";

// An independent model of the replacement the writer promises: decode code point by
// code point (RFC 3629 arithmetic, not a lead-byte table) and replace each byte that
// does not start a well-formed sequence by U+FFFD.
std::string replace_invalid_utf8(std::string_view text)
{
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        std::uint32_t cp = 0;
        if (lead < 0x80) {
            length = 1;
            cp = lead;
        } else if ((lead & 0xE0) == 0xC0) {
            length = 2;
            cp = lead & 0x1F;
        } else if ((lead & 0xF0) == 0xE0) {
            length = 3;
            cp = lead & 0x0F;
        } else if ((lead & 0xF8) == 0xF0) {
            length = 4;
            cp = lead & 0x07;
        }
        bool ok = length != 0 && i + length <= text.size();
        for (std::size_t k = 1; ok && k < length; ++k) {
            const auto c = static_cast<unsigned char>(text[i + k]);
            ok = (c & 0xC0) == 0x80;
            cp = (cp << 6) | (c & 0x3F);
        }
        if (ok) {
            static constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
            ok = cp >= smallest[length] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
        }
        if (ok) {
            out.append(text.substr(i, length));
            i += length;
        } else {
            out.append(fffd);
            ++i;
        }
    }
    return out;
}

std::string encode_utf8(std::uint32_t cp)
{
    std::string out;
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    return out;
}

// A random mix of what values arriving from clients and vendors can hold.
std::string random_text(std::mt19937& rng)
{
    const auto pick = [&](std::uint32_t lo, std::uint32_t hi) {
        return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng);
    };
    std::string text;
    const std::uint32_t pieces = pick(0, 24);
    for (std::uint32_t p = 0; p < pieces; ++p) {
        switch (pick(0, 7)) {
        case 0: text.push_back(static_cast<char>(pick(0x20, 0x7E))); break;
        case 1: text.push_back(static_cast<char>(pick(0x00, 0x1F))); break;
        case 2: text.push_back("\"\\/\x7F"[pick(0, 3)]); break;
        case 3: text += encode_utf8(pick(0x80, 0x7FF)); break;
        case 4: {
            std::uint32_t cp = pick(0x800, 0xFFFF);
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD;
            text += encode_utf8(cp);
            break;
        }
        case 5: text += encode_utf8(pick(0x10000, 0x10FFFF)); break;
        case 6: text.push_back(static_cast<char>(pick(0x80, 0xFF))); break;
        default: {
            // A valid sequence cut short, or a lead byte in front of ASCII.
            const std::string full = encode_utf8(pick(0x800, 0x10FFFF));
            text += full.substr(0, pick(1, static_cast<std::uint32_t>(full.size()) - 1));
        }
        }
    }
    return text;
}

} // namespace

BOOST_AUTO_TEST_SUITE(json_writer)

BOOST_AUTO_TEST_CASE(writes_nested_objects_and_arrays_with_commas)
{
    std::string out;
    json::writer w(out);
    w.begin_object()
        .member("name", "a")
        .key("list")
        .begin_array()
        .integer(1)
        .string("two")
        .begin_object()
        .end_object()
        .begin_array()
        .end_array()
        .begin_array()
        .null()
        .boolean(true)
        .end_array()
        .end_array()
        .key("inner")
        .begin_object()
        .member("t", true)
        .member("f", false)
        .key("n")
        .null()
        .end_object()
        .member("last", 7)
        .end_object();
    BOOST_TEST(out ==
               R"({"name":"a","list":[1,"two",{},[],[null,true]],"inner":{"t":true,"f":false,"n":null},"last":7})");
}

BOOST_AUTO_TEST_CASE(empty_containers)
{
    std::string out;
    json::writer(out).begin_object().end_object();
    BOOST_TEST(out == "{}");
    out.clear();
    json::writer(out).begin_array().end_array();
    BOOST_TEST(out == "[]");
    out.clear();
    json::writer(out)
        .begin_object()
        .key("a")
        .begin_array()
        .end_array()
        .key("b")
        .begin_object()
        .end_object()
        .end_object();
    BOOST_TEST(out == R"({"a":[],"b":{}})");
}

BOOST_AUTO_TEST_CASE(appends_to_the_callers_buffer)
{
    std::string out = "prefix:";
    json::writer w(out);
    w.begin_array().integer(0).end_array();
    BOOST_TEST(out == "prefix:[0]");
    BOOST_TEST(&w.buffer() == &out);
}

BOOST_AUTO_TEST_CASE(integers_cover_the_int64_range)
{
    std::string out;
    json::writer(out)
        .begin_array()
        .integer(0)
        .integer(-1)
        .integer(42)
        .integer(std::numeric_limits<std::int64_t>::min())
        .integer(std::numeric_limits<std::int64_t>::max())
        .end_array();
    BOOST_TEST(out == "[0,-1,42,-9223372036854775808,9223372036854775807]");
}

BOOST_AUTO_TEST_CASE(member_overloads_pick_the_right_json_type)
{
    std::string out;
    json::writer(out)
        .begin_object()
        .member("s", std::string_view("x"))
        .member("c", "y")
        .member("i64", std::int64_t{-5})
        .member("i", -3)
        .member("u", 4u)
        .member("z", std::size_t{18446744073709551ull})
        .member("b", false)
        .end_object();
    BOOST_TEST(out == R"({"s":"x","c":"y","i64":-5,"i":-3,"u":4,"z":18446744073709551,"b":false})");
}

BOOST_AUTO_TEST_CASE(escapes_quote_and_backslash)
{
    BOOST_TEST(escaped(R"(say "hi" \ bye)") == R"(say \"hi\" \\ bye)");
    BOOST_TEST(escaped("/") == "/");
    BOOST_TEST(escaped("") == "");
}

BOOST_AUTO_TEST_CASE(escapes_every_control_character)
{
    static const char* const expected[0x20] = {
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",     "\\u000e", "\\u000f",
        "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
    };
    for (int c = 0; c < 0x20; ++c) {
        const std::string input(1, static_cast<char>(c));
        BOOST_TEST(escaped(input) == expected[c], "control character " << c);
        BOOST_TEST(escaped("a" + input + "b") == "a"s + expected[c] + "b", "control character " << c);
    }
}

BOOST_AUTO_TEST_CASE(passes_del_and_non_ascii_through)
{
    BOOST_TEST(escaped("\x7F") == "\x7F");
    BOOST_TEST(escaped("caf\xC3\xA9") == "caf\xC3\xA9");                           // é
    BOOST_TEST(escaped("\xE2\x82\xAC 5") == "\xE2\x82\xAC 5");                     // €
    BOOST_TEST(escaped("\xF0\x9F\x98\x80") == "\xF0\x9F\x98\x80");                 // U+1F600
    BOOST_TEST(escaped("\xF4\x8F\xBF\xBF") == "\xF4\x8F\xBF\xBF");                 // U+10FFFF
    BOOST_TEST(escaped("\xEF\xBB\xBF") == "\xEF\xBB\xBF");                         // BOM, a character like any
    BOOST_TEST(escaped("\xE2\x80\xA8\xE2\x80\xA9") == "\xE2\x80\xA8\xE2\x80\xA9"); // U+2028/2029
}

BOOST_AUTO_TEST_CASE(replaces_invalid_utf8_by_the_replacement_character)
{
    const std::string r = fffd;
    BOOST_TEST(escaped("a\x80z") == "a" + r + "z"); // lone continuation byte
    BOOST_TEST(escaped("\xBF\x80") == r + r);
    BOOST_TEST(escaped("\xC3") == r); // truncated 2-byte
    BOOST_TEST(escaped("\xC3z") == r + "z");
    BOOST_TEST(escaped("\xE2\x82") == r + r);         // truncated 3-byte
    BOOST_TEST(escaped("\xF0\x9F\x98") == r + r + r); // truncated 4-byte
    BOOST_TEST(escaped("\xC0\xAF") == r + r);         // overlong '/'
    BOOST_TEST(escaped("\xC1\xBF") == r + r);
    BOOST_TEST(escaped("\xE0\x80\xAF") == r + r + r);         // overlong '/'
    BOOST_TEST(escaped("\xF0\x80\x80\xAF") == r + r + r + r); // overlong '/'
    BOOST_TEST(escaped("\xED\xA0\x80") == r + r + r);         // U+D800 surrogate
    BOOST_TEST(escaped("\xED\xBF\xBF") == r + r + r);         // U+DFFF surrogate
    BOOST_TEST(escaped("\xF4\x90\x80\x80") == r + r + r + r); // U+110000
    BOOST_TEST(escaped("\xF5\x80\x80\x80") == r + r + r + r);
    BOOST_TEST(escaped("\xFF") == r);
    BOOST_TEST(escaped("\xFE\xFF") == r + r);
    // A bad byte before a quote must not swallow it: the quote is still escaped.
    BOOST_TEST(escaped("\xC3\"") == r + "\\\"");
    BOOST_TEST(escaped("\xE2\x82\\") == r + r + "\\\\");
    // The largest valid neighbours of the rejected ranges pass through.
    BOOST_TEST(escaped("\xED\x9F\xBF") == "\xED\x9F\xBF");         // U+D7FF
    BOOST_TEST(escaped("\xEE\x80\x80") == "\xEE\x80\x80");         // U+E000
    BOOST_TEST(escaped("\xC2\x80") == "\xC2\x80");                 // U+0080
    BOOST_TEST(escaped("\xE0\xA0\x80") == "\xE0\xA0\x80");         // U+0800
    BOOST_TEST(escaped("\xF0\x90\x80\x80") == "\xF0\x90\x80\x80"); // U+10000
}

BOOST_AUTO_TEST_CASE(is_valid_utf8_cases)
{
    BOOST_TEST(json::is_valid_utf8(""));
    BOOST_TEST(json::is_valid_utf8("plain ascii \x01\x7F"));
    BOOST_TEST(json::is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"));
    BOOST_TEST(json::is_valid_utf8("\xED\x9F\xBF\xEE\x80\x80"));
    BOOST_TEST(json::is_valid_utf8(std::string_view("a\0b", 3)));

    BOOST_TEST(!json::is_valid_utf8("\x80"));
    BOOST_TEST(!json::is_valid_utf8("ok\xC3"));
    BOOST_TEST(!json::is_valid_utf8("\xE2\x82"));
    BOOST_TEST(!json::is_valid_utf8("\xF0\x9F\x98"));
    BOOST_TEST(!json::is_valid_utf8("\xC0\xAF"));
    BOOST_TEST(!json::is_valid_utf8("\xE0\x80\xAF"));
    BOOST_TEST(!json::is_valid_utf8("\xF0\x8F\xBF\xBF"));
    BOOST_TEST(!json::is_valid_utf8("\xED\xA0\x80"));
    BOOST_TEST(!json::is_valid_utf8("\xF4\x90\x80\x80"));
    BOOST_TEST(!json::is_valid_utf8("\xFF"));
    BOOST_TEST(!json::is_valid_utf8("\xC3\x28"));
}

BOOST_AUTO_TEST_CASE(keys_are_escaped_like_values)
{
    std::string out;
    json::writer(out).begin_object().key("a\"b\n\xFF").string("v").end_object();
    BOOST_TEST(out == "{\"a\\\"b\\n" + fffd + "\":\"v\"}");
}

BOOST_AUTO_TEST_CASE(an_injection_attempt_stays_one_string_member)
{
    const std::string attack = R"("},"admin":true,"x":{")";
    std::string out;
    json::writer(out).begin_object().member("email", attack).member("role", "member").end_object();
    BOOST_TEST(out == R"({"email":"\"},\"admin\":true,\"x\":{\"","role":"member"})");

    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    BOOST_REQUIRE(parser.parse(out).get(doc) == simdjson::SUCCESS);
    simdjson::dom::object object;
    BOOST_REQUIRE(doc.get_object().get(object) == simdjson::SUCCESS);
    BOOST_TEST(object.size() == 2u);
    std::string_view email;
    BOOST_REQUIRE(object["email"].get_string().get(email) == simdjson::SUCCESS);
    BOOST_TEST(email == attack);
    BOOST_TEST(object["admin"].error() == simdjson::NO_SUCH_FIELD);
}

BOOST_AUTO_TEST_CASE(random_strings_round_trip_through_a_json_parser)
{
    const std::uint32_t seed = 20240611;
    std::mt19937 rng(seed);
    simdjson::dom::parser parser;
    int invalid_inputs = 0;
    for (int round = 0; round < 2000; ++round) {
        const std::string input = random_text(rng);
        const bool valid = json::is_valid_utf8(input);
        const std::string expected = replace_invalid_utf8(input);
        // The model and the writer's validator must agree on what is well-formed.
        BOOST_TEST_REQUIRE(valid == (expected == input), "seed " << seed << " round " << round);
        invalid_inputs += valid ? 0 : 1;

        std::string out;
        json::writer(out).begin_array().string(input).begin_object().key(input).integer(round).end_object().end_array();

        simdjson::dom::element doc;
        const auto error = parser.parse(out).get(doc);
        BOOST_TEST_REQUIRE(error == simdjson::SUCCESS,
                           "seed " << seed << " round " << round << ": " << simdjson::error_message(error));
        simdjson::dom::array array;
        BOOST_TEST_REQUIRE(doc.get_array().get(array) == simdjson::SUCCESS, "seed " << seed << " round " << round);
        BOOST_TEST_REQUIRE(array.size() == 2u, "seed " << seed << " round " << round);
        std::string_view value;
        BOOST_TEST_REQUIRE(array.at(0).get_string().get(value) == simdjson::SUCCESS);
        BOOST_TEST_REQUIRE(value == expected, "seed " << seed << " round " << round << " (value)");
        simdjson::dom::object object;
        BOOST_TEST_REQUIRE(array.at(1).get_object().get(object) == simdjson::SUCCESS);
        BOOST_TEST_REQUIRE(object.size() == 1u);
        for (auto [key, member] : object) {
            BOOST_TEST_REQUIRE(key == expected, "seed " << seed << " round " << round << " (key)");
            BOOST_TEST_REQUIRE(std::int64_t(member) == round);
        }
    }
    // The generator must actually exercise the replacement path, and the valid one.
    BOOST_TEST(invalid_inputs > 200);
    BOOST_TEST(invalid_inputs < 1900);
}

BOOST_AUTO_TEST_SUITE_END()
