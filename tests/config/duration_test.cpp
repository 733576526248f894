#include "gateway/config/yaml_reader.hpp"

#include <boost/test/unit_test.hpp>

using igw::config::duration;
using igw::config::parse_duration;

namespace {

// Milliseconds, or -1 when rejected (durations are never negative).
long long millis(std::string_view text)
{
    if (auto d = parse_duration(text))
        return d->count();
    return -1;
}

} // namespace

BOOST_AUTO_TEST_SUITE(durations)

BOOST_AUTO_TEST_CASE(every_unit)
{
    BOOST_TEST(millis("500ms") == 500);
    BOOST_TEST(millis("5s") == 5'000);
    BOOST_TEST(millis("2m") == 120'000);
    BOOST_TEST(millis("1h") == 3'600'000);
    BOOST_TEST(millis("0s") == 0);
    BOOST_TEST(millis("0ms") == 0);
    BOOST_TEST(millis("90s") == 90'000);
    BOOST_TEST(millis("8760h") == 8760LL * 3'600'000); // the longest taken: 365 days
    BOOST_TEST(millis("525600m") == 8760LL * 3'600'000);
    BOOST_TEST(millis("31536000s") == 8760LL * 3'600'000);
    BOOST_TEST(millis("31536000000ms") == 8760LL * 3'600'000);
    BOOST_TEST(igw::config::max_duration.count() == 8760LL * 3'600'000);
}

BOOST_AUTO_TEST_CASE(nothing_longer_than_the_maximum_and_no_overflow)
{
    // Each is a well-formed duration, longer than max_duration; several overflow int64
    // milliseconds when multiplied out, or nanoseconds when added to a clock.
    for (const char* text :
         {"8761h", "525601m", "31536000001ms", "31536001s", "9223372037s", "1099511627776h", "2562047788015216h",
          "9223372036854775807ms", "9223372036854775807h", "153722867280912931m", "99999999999999999999s"}) {
        bool too_long = false;
        BOOST_TEST(!parse_duration(text, &too_long).has_value(), "\"" << text << "\"");
        BOOST_TEST(too_long, "\"" << text << "\"");
    }
}

BOOST_AUTO_TEST_CASE(rejects_what_would_be_guessed)
{
    for (const char* text : {"",
                             "10",
                             "5x",
                             "ms",
                             "s",
                             "-5s",
                             "+5s",
                             "1.5s",
                             " 5s",
                             "5s ",
                             "5 s",
                             "5S",
                             "5MS",
                             "5sec",
                             "5min",
                             "1d",
                             "5s5",
                             "0x10s",
                             "99999999999999999999",
                             "-99999999999999999999s"}) {
        bool too_long = true;
        BOOST_TEST(!parse_duration(text, &too_long).has_value(), "\"" << text << "\"");
        BOOST_TEST(!too_long, "\"" << text << "\" is malformed, not too long");
    }
}

BOOST_AUTO_TEST_CASE(key_path_helpers)
{
    BOOST_TEST(igw::config::child_key("", "listen") == "listen");
    BOOST_TEST(igw::config::child_key("targets[1]", "roles") == "targets[1].roles");
    BOOST_TEST(igw::config::index_key("routes", 3) == "routes[3]");
}

BOOST_AUTO_TEST_SUITE_END()
