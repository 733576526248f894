// W3C trace context: which traceparent headers are taken from a client, and the ids
// the gateway makes itself when there is none.

#include "gateway/dispatch/fan_out.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

namespace dispatch = igw::dispatch;

namespace {

const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string parent = "00f067aa0ba902b7";

bool lower_hex(std::string_view text) { return text.find_first_not_of("0123456789abcdef") == std::string_view::npos; }

} // namespace

BOOST_AUTO_TEST_SUITE(trace_context)

BOOST_AUTO_TEST_CASE(a_valid_traceparent_gives_its_trace_id_and_flags)
{
    const std::string header = "00-" + trace + "-" + parent + "-01";
    const auto id = dispatch::trace_id_of(header);
    BOOST_TEST_REQUIRE(id.has_value());
    BOOST_TEST(*id == trace);
    BOOST_TEST(dispatch::trace_flags_of(header) == "01");
    BOOST_TEST(dispatch::trace_flags_of("00-" + trace + "-" + parent + "-00") == "00");
}

BOOST_AUTO_TEST_CASE(malformed_traceparents_are_ignored)
{
    for (const std::string& header : {
             std::string(),
             "01-" + trace + "-" + parent + "-01",                    // unknown version
             "00-" + trace + "-" + parent + "-01-extra",              // version 00 has no more fields
             "00-" + trace + "-" + parent + "-1",                     // short flags
             "00-" + std::string(32, '0') + "-" + parent + "-01",     // all-zero trace id
             "00-" + trace + "-" + std::string(16, '0') + "-01",      // all-zero parent id
             "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + parent + "-01", // upper case
             "00-" + trace + "_" + parent + "-01",                    // wrong separator
             "00-" + trace.substr(1) + "x-" + parent + "-01",         // not hex
             "00-" + trace + "-" + parent + "-0g",
         })
        BOOST_TEST(!dispatch::trace_id_of(header).has_value(), "[" << header << "]");
}

BOOST_AUTO_TEST_CASE(new_trace_ids_are_32_lower_hex_digits_and_differ)
{
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const std::string id = dispatch::new_trace_id();
        BOOST_TEST(id.size() == 32u);
        BOOST_TEST(lower_hex(id), id);
        // What the gateway makes must pass its own check when sent on.
        BOOST_TEST(dispatch::trace_id_of("00-" + id + "-" + parent + "-01").has_value());
        seen.insert(id);
    }
    BOOST_TEST(seen.size() == 100u);
}

BOOST_AUTO_TEST_SUITE_END()
