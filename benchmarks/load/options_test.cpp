#include "benchmarks/load/options.hpp"

#include <boost/test/unit_test.hpp>

using namespace igw::load;
using namespace std::chrono_literals;

namespace {

parsed_options parse(std::initializer_list<std::string_view> args) { return parse_options({args}); }

} // namespace

BOOST_AUTO_TEST_SUITE(load_options_parsing)

BOOST_AUTO_TEST_CASE(durations_take_units)
{
    std::chrono::nanoseconds d{};
    BOOST_TEST(parse_duration("10s", d));
    BOOST_TEST(d == 10s);
    BOOST_TEST(parse_duration("500ms", d));
    BOOST_TEST(d == 500ms);
    BOOST_TEST(parse_duration("2m", d));
    BOOST_TEST(d == 120s);
    BOOST_TEST(parse_duration("250us", d));
    BOOST_TEST(d == 250us);
    BOOST_TEST(parse_duration("1.5", d));
    BOOST_TEST(d == 1500ms);
    BOOST_TEST(!parse_duration("", d));
    BOOST_TEST(!parse_duration("s", d));
    BOOST_TEST(!parse_duration("-1s", d));
    BOOST_TEST(!parse_duration("10x", d));
    BOOST_TEST(!parse_duration("100000h", d)); // bounded: a week at most
}

BOOST_AUTO_TEST_CASE(lists_split_on_commas_and_drop_empty_parts)
{
    BOOST_TEST((split_list("a, b,,c") == std::vector<std::string>{"a", "b", "c"}));
    BOOST_TEST(split_list("").empty());
}

BOOST_AUTO_TEST_CASE(a_full_command_line)
{
    const auto p = parse({"--url",           "http://127.0.0.1:9000",
                          "--path",          "/v1/invitations",
                          "--key",           "k123",
                          "--rate",          "500",
                          "--connections",   "32",
                          "--threads",       "2",
                          "--invitations",   "3",
                          "--targets",       "anthropic,gorules",
                          "--roles",         "developer,member",
                          "--warmup",        "1s",
                          "--duration",      "5s",
                          "--requests",      "100",
                          "--header",        "X-A:  b c ",
                          "--json",          "/tmp/out/fanout.json",
                          "--watch-pid",     "77",
                          "--expect-status", "207"});
    BOOST_TEST_REQUIRE(p.error.empty(), p.error);
    const load_options& o = p.options;
    BOOST_TEST(o.host == "127.0.0.1");
    BOOST_TEST(o.port == "9000");
    BOOST_TEST(o.key == "k123");
    BOOST_TEST(o.rate == 500.0);
    BOOST_TEST(o.connections == 32u);
    BOOST_TEST(o.threads == 2u);
    BOOST_TEST(o.invitations == 3u);
    BOOST_TEST(o.targets.size() == 2u);
    BOOST_TEST(o.roles.size() == 2u);
    BOOST_TEST(o.warmup == 1s);
    BOOST_TEST(o.duration == 5s);
    BOOST_TEST(o.max_requests == 100u);
    BOOST_TEST_REQUIRE(o.headers.size() == 1u);
    BOOST_TEST(o.headers[0].first == "X-A");
    BOOST_TEST(o.headers[0].second == "b c");
    BOOST_TEST(o.label == "fanout"); // from the JSON file's name
    BOOST_TEST(o.watch_pid == 77);
    BOOST_TEST(o.expect_status == 207u);
}

BOOST_AUTO_TEST_CASE(ipv6_urls_and_defaults)
{
    const auto p = parse({"--url", "http://[::1]:8081"});
    BOOST_TEST_REQUIRE(p.error.empty(), p.error);
    BOOST_TEST(p.options.host == "::1");
    BOOST_TEST(p.options.port == "8081");
    BOOST_TEST(p.options.rate == 0.0);
    BOOST_TEST(p.options.path == "/v1/invitations");
}

BOOST_AUTO_TEST_CASE(bad_values_are_refused_with_a_reason)
{
    for (auto args : std::vector<std::vector<std::string_view>>{
             {"--url", "https://x:1"},
             {"--url", "http://x:99999"},
             {"--url", "http://x:1/path"},
             {"--rate", "-1"},
             {"--rate", "fast"},
             {"--connections", "0"},
             {"--connections", "20000"},
             {"--threads", "4", "--connections", "2"},
             {"--invitations", "0"},
             {"--header", "no colon"},
             {"--path", "relative"},
             {"--duration", "0s"},
             {"--unknown", "1"},
             {"--rate"},
         }) {
        const auto p = parse_options(args);
        BOOST_TEST(!p.error.empty(), "accepted: " << args.front());
    }
}

BOOST_AUTO_TEST_SUITE_END()
