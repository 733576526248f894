#pragma once
// A latency histogram with HdrHistogram's log-linear layout: values below 256 have a
// bucket each, and every power of two above is split into 128 buckets, so a value is
// known to within 1/128 (< 0.8 %) of itself over the whole range, in fixed memory
// (4608 counters), however many values are recorded.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace igw::load {

class histogram {
public:
    static constexpr unsigned sub_bucket_bits = 7;
    // Larger values are recorded as this one (in nanoseconds: about 73 minutes).
    static constexpr std::uint64_t highest_trackable = (std::uint64_t{1} << 42) - 1;

    histogram();

    void record(std::uint64_t value, std::uint64_t count = 1) noexcept;
    void merge(const histogram& other) noexcept;
    void reset() noexcept;

    std::uint64_t count() const noexcept { return total_; }
    std::uint64_t min() const noexcept { return total_ ? min_ : 0; } // exact
    std::uint64_t max() const noexcept { return max_; }              // exact
    double mean() const noexcept;

    // The value at or below which `percentile` % of the recorded values lie, reported as
    // the highest value equivalent to it (as HdrHistogram does) but never above max().
    // 0 gives min(), 100 gives max(); 0 when empty.
    std::uint64_t value_at_percentile(double percentile) const noexcept;

    struct point {
        double percentile = 0;
        std::uint64_t value = 0;
    };
    // The latency-by-percentile curve HdrHistogram plots: `ticks_per_half_distance` points
    // in each halving of the distance to 100 % (0, 10, ... 50, 55, ... 75, 77.5, ...), down
    // to the last recorded value, then 100 % (the maximum). Empty when nothing was recorded.
    std::vector<point> percentile_curve(unsigned ticks_per_half_distance = 5) const;

    // The bucket layout, exposed for tests and for anyone exporting raw counts.
    static std::size_t bucket_index(std::uint64_t value) noexcept;
    static std::uint64_t bucket_lowest(std::size_t index) noexcept;
    static std::uint64_t bucket_highest(std::size_t index) noexcept;
    static std::size_t bucket_count() noexcept;

private:
    std::vector<std::uint64_t> counts_;
    std::uint64_t total_ = 0;
    std::uint64_t min_ = 0;
    std::uint64_t max_ = 0;
    double sum_ = 0;
};

} // namespace igw::load
