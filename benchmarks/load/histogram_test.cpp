#include "benchmarks/load/histogram.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>

using igw::load::histogram;

BOOST_AUTO_TEST_SUITE(load_histogram)

BOOST_AUTO_TEST_CASE(empty_histogram_reports_zeroes)
{
    const histogram h;
    BOOST_TEST(h.count() == 0u);
    BOOST_TEST(h.value_at_percentile(50) == 0u);
    BOOST_TEST(h.max() == 0u);
    BOOST_TEST(h.percentile_curve().empty());
}

BOOST_AUTO_TEST_CASE(buckets_tile_the_range_without_gaps_and_within_one_percent)
{
    BOOST_TEST(histogram::bucket_lowest(0) == 0u);
    for (std::size_t i = 0; i + 1 < histogram::bucket_count(); ++i) {
        BOOST_TEST_REQUIRE(histogram::bucket_highest(i) + 1 == histogram::bucket_lowest(i + 1));
        const auto width = histogram::bucket_highest(i) - histogram::bucket_lowest(i) + 1;
        if (i < 256)
            BOOST_TEST_REQUIRE(width == 1u); // small values are exact
        else
            BOOST_TEST_REQUIRE(static_cast<double>(width) / static_cast<double>(histogram::bucket_lowest(i)) <=
                               1.0 / 128);
    }
    BOOST_TEST(histogram::bucket_highest(histogram::bucket_count() - 1) == histogram::highest_trackable);
    // Every value lands in the bucket whose range holds it.
    for (std::uint64_t v : {0ull, 1ull, 255ull, 256ull, 257ull, 1000ull, 123456789ull, (1ull << 41) + 12345})
        BOOST_TEST((histogram::bucket_lowest(histogram::bucket_index(v)) <= v &&
                    v <= histogram::bucket_highest(histogram::bucket_index(v))));
}

BOOST_AUTO_TEST_CASE(small_values_are_exact)
{
    histogram h;
    for (std::uint64_t v = 1; v <= 100; ++v)
        h.record(v);
    BOOST_TEST(h.count() == 100u);
    BOOST_TEST(h.min() == 1u);
    BOOST_TEST(h.value_at_percentile(50) == 50u);
    BOOST_TEST(h.value_at_percentile(99) == 99u);
    BOOST_TEST(h.value_at_percentile(100) == 100u);
    BOOST_TEST(h.value_at_percentile(0) == 1u);
    BOOST_TEST(h.mean() == 50.5, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(uniform_distribution_percentiles_within_one_percent)
{
    // 1 µs .. 1 s in ns, uniformly: the p-th percentile is p % of the range.
    histogram h;
    constexpr std::uint64_t n = 1'000'000;
    for (std::uint64_t i = 1; i <= n; ++i)
        h.record(i * 1000);
    for (double p : {10.0, 50.0, 90.0, 99.0, 99.9, 99.99}) {
        const double expected = p / 100.0 * n * 1000;
        const double got = static_cast<double>(h.value_at_percentile(p));
        BOOST_TEST(std::abs(got - expected) / expected <= 0.01, "p" << p << ": " << got << " vs " << expected);
    }
    BOOST_TEST(h.max() == n * 1000);
}

BOOST_AUTO_TEST_CASE(exponential_distribution_percentiles_within_one_percent)
{
    // Latency-like: long tail. Compare with the exact order statistics of the same sample.
    std::mt19937_64 random(42);
    std::exponential_distribution<double> exponential(1.0 / 2e6); // mean 2 ms
    std::vector<std::uint64_t> values(200'000);
    histogram h;
    for (auto& v : values) {
        v = 50'000 + static_cast<std::uint64_t>(exponential(random));
        h.record(v);
    }
    std::sort(values.begin(), values.end());
    for (double p : {50.0, 90.0, 99.0, 99.9}) {
        const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * values.size())) - 1;
        const double exact = static_cast<double>(values[rank]);
        const double got = static_cast<double>(h.value_at_percentile(p));
        BOOST_TEST(std::abs(got - exact) / exact <= 0.01, "p" << p << ": " << got << " vs " << exact);
    }
}

BOOST_AUTO_TEST_CASE(bimodal_distribution_puts_the_tail_in_the_tail)
{
    histogram h;
    h.record(1'000'000, 990); // 99 % at 1 ms
    h.record(50'000'000, 10); // 1 % at 50 ms
    BOOST_TEST(h.value_at_percentile(99) <= 1'010'000u);
    BOOST_TEST(h.value_at_percentile(99.5) >= 49'500'000u);
    BOOST_TEST(h.max() == 50'000'000u);
}

BOOST_AUTO_TEST_CASE(merge_is_the_same_as_recording_everything_in_one)
{
    histogram a, b, all;
    for (std::uint64_t i = 0; i < 5000; ++i) {
        (i % 3 ? a : b).record(i * 777);
        all.record(i * 777);
    }
    a.merge(b);
    BOOST_TEST(a.count() == all.count());
    BOOST_TEST(a.min() == all.min());
    BOOST_TEST(a.max() == all.max());
    for (double p : {1.0, 50.0, 99.0, 99.99})
        BOOST_TEST(a.value_at_percentile(p) == all.value_at_percentile(p));
}

BOOST_AUTO_TEST_CASE(values_beyond_the_range_are_clamped_not_lost)
{
    histogram h;
    h.record(std::uint64_t{1} << 60);
    BOOST_TEST(h.count() == 1u);
    BOOST_TEST(h.max() == histogram::highest_trackable);
}

BOOST_AUTO_TEST_CASE(percentile_curve_follows_hdrhistogram_ticks)
{
    histogram h;
    for (std::uint64_t i = 1; i <= 100'000; ++i)
        h.record(i);
    const auto curve = h.percentile_curve(5);
    BOOST_TEST_REQUIRE(curve.size() > 20u);
    BOOST_TEST(curve.front().percentile == 0.0);
    BOOST_TEST(curve.back().percentile == 100.0);
    BOOST_TEST(curve.back().value == 100'000u);
    // 10 % steps up to 50 %, then 5 %, then 2.5 %...
    BOOST_TEST(curve[1].percentile == 10.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(curve[5].percentile == 50.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(curve[6].percentile == 55.0, boost::test_tools::tolerance(1e-9));
    // The same number of points in each halving of the distance to 100 %, as on a
    // logarithmic axis: as many between 99 and 99.9 % as between 90 and 99 %.
    std::size_t from_90 = 0, from_99 = 0;
    for (std::size_t i = 1; i < curve.size(); ++i) {
        BOOST_TEST_REQUIRE(curve[i].percentile > curve[i - 1].percentile);
        BOOST_TEST_REQUIRE(curve[i].value >= curve[i - 1].value);
        from_90 += curve[i].percentile >= 90 && curve[i].percentile < 99;
        from_99 += curve[i].percentile >= 99 && curve[i].percentile < 99.9;
    }
    BOOST_TEST(from_90 >= 15u);
    BOOST_TEST(from_99 + 2 >= from_90);
    BOOST_TEST(from_99 <= from_90 + 2);
    // Stops once fewer than one sample lies beyond (then the maximum).
    BOOST_TEST(curve[curve.size() - 2].percentile < 100.0 * (1.0 - 1.0 / 100'000));
}

BOOST_AUTO_TEST_SUITE_END()
