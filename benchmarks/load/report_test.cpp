#include "benchmarks/load/report.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace igw::load;

namespace {

run_result sample_result(std::string label, std::uint64_t base_ns)
{
    run_result r;
    r.label = std::move(label);
    r.options.rate = 500;
    r.sent = r.completed = 1000;
    r.statuses[200] = 998;
    r.statuses[503] = 2;
    r.timeouts = 1;
    r.window_seconds = 2.0;
    for (std::uint64_t i = 1; i <= 1000; ++i)
        r.latency.record(base_ns + i * 1000);
    return r;
}

std::size_t count(const std::string& text, std::string_view what)
{
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(load_report)

BOOST_AUTO_TEST_CASE(json_round_trips_the_figures_a_report_needs)
{
    const run_result r = sample_result("gateway 1x5", 50'000'000);
    run_summary s;
    std::string error;
    BOOST_TEST_REQUIRE(parse_run_json(to_json(r), s, error), error);
    BOOST_TEST(s.label == "gateway 1x5");
    BOOST_TEST(s.completed == 1000u);
    BOOST_TEST(s.errors == 3u); // two 503s and a timeout
    BOOST_TEST(s.throughput_rps == 500.0);
    BOOST_TEST(s.p50_us == r.latency.value_at_percentile(50) / 1e3, boost::test_tools::tolerance(0.1));
    BOOST_TEST(s.max_us == 51'000.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST_REQUIRE(s.curve.size() == r.latency.percentile_curve().size());
    BOOST_TEST(s.curve.front().first == 0.0);
    BOOST_TEST(s.curve.back().first == 100.0);
    BOOST_TEST(s.curve.back().second == 51'000.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(broken_json_is_refused_with_a_reason)
{
    run_summary s;
    std::string error;
    BOOST_TEST(!parse_run_json("{\"label\": 1}", s, error));
    BOOST_TEST(!error.empty());
    BOOST_TEST(!parse_run_json("not json", s, error));
}

BOOST_AUTO_TEST_CASE(percentile_axis_is_logarithmic_in_the_distance_to_100)
{
    BOOST_TEST(percentile_decades(0) == 0.0);
    BOOST_TEST(percentile_decades(90) == 1.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(percentile_decades(99) == 2.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(percentile_decades(99.9) == 3.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(svg_and_html_draw_every_run_and_escape_labels)
{
    std::vector<run_summary> runs(2);
    std::string error;
    BOOST_TEST_REQUIRE(parse_run_json(to_json(sample_result("direct <floor>", 100'000)), runs[0], error));
    BOOST_TEST_REQUIRE(parse_run_json(to_json(sample_result("fan-out & more", 50'000'000)), runs[1], error));
    const std::string svg = render_svg(runs, "bench");
    BOOST_TEST(svg.starts_with("<svg xmlns='http://www.w3.org/2000/svg'"));
    BOOST_TEST(count(svg, "<polyline") == 4u); // each run in the overlay and in its own panel
    BOOST_TEST(svg.find("direct &lt;floor&gt;") != std::string::npos);
    BOOST_TEST(svg.find("fan-out &amp; more") != std::string::npos);
    BOOST_TEST(svg.find("<floor>") == std::string::npos);
    BOOST_TEST(svg.find(">99.9%<") != std::string::npos);
    const std::string html = render_html(runs, "bench");
    BOOST_TEST(html.starts_with("<!DOCTYPE html>"));
    BOOST_TEST(count(html, "<tr><td>") == 2u);
    BOOST_TEST(html.find("<script") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
