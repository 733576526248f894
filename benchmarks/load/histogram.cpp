#include "benchmarks/load/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace igw::load {
namespace {

constexpr std::uint64_t sub_buckets = std::uint64_t{1} << histogram::sub_bucket_bits;

} // namespace

std::size_t histogram::bucket_count() noexcept { return bucket_index(highest_trackable) + 1; }

// Below 2*sub_buckets a value is its own bucket. Above, with `shift` the number of low bits
// dropped so that value >> shift lies in [sub_buckets, 2*sub_buckets), the index is
// shift*sub_buckets + (value >> shift): consecutive ranges, no gaps.
std::size_t histogram::bucket_index(std::uint64_t value) noexcept
{
    value = std::min(value, highest_trackable);
    if (value < 2 * sub_buckets)
        return static_cast<std::size_t>(value);
    const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(value));
    const unsigned shift = msb - sub_bucket_bits;
    return static_cast<std::size_t>(shift * sub_buckets + (value >> shift));
}

std::uint64_t histogram::bucket_lowest(std::size_t index) noexcept
{
    if (index < 2 * sub_buckets)
        return index;
    const std::uint64_t shift = index / sub_buckets - 1;
    return (index - shift * sub_buckets) << shift;
}

std::uint64_t histogram::bucket_highest(std::size_t index) noexcept
{
    if (index < 2 * sub_buckets)
        return index;
    const std::uint64_t shift = index / sub_buckets - 1;
    return bucket_lowest(index) + (std::uint64_t{1} << shift) - 1;
}

histogram::histogram() : counts_(bucket_count(), 0) {}

void histogram::record(std::uint64_t value, std::uint64_t count) noexcept
{
    if (count == 0)
        return;
    value = std::min(value, highest_trackable);
    counts_[bucket_index(value)] += count;
    min_ = total_ == 0 ? value : std::min(min_, value);
    max_ = std::max(max_, value);
    total_ += count;
    sum_ += static_cast<double>(value) * static_cast<double>(count);
}

void histogram::merge(const histogram& other) noexcept
{
    if (other.total_ == 0)
        return;
    for (std::size_t i = 0; i < counts_.size(); ++i)
        counts_[i] += other.counts_[i];
    min_ = total_ == 0 ? other.min_ : std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    total_ += other.total_;
    sum_ += other.sum_;
}

void histogram::reset() noexcept
{
    std::fill(counts_.begin(), counts_.end(), 0);
    total_ = min_ = max_ = 0;
    sum_ = 0;
}

double histogram::mean() const noexcept { return total_ ? sum_ / static_cast<double>(total_) : 0.0; }

std::uint64_t histogram::value_at_percentile(double percentile) const noexcept
{
    if (total_ == 0)
        return 0;
    if (!(percentile > 0))
        return min_;
    if (percentile >= 100)
        return max_;
    // The rank of the value asked for, 1-based: at least one value must be at or below it.
    const double exact = percentile / 100.0 * static_cast<double>(total_);
    const std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(exact - 1e-9)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= rank)
            return std::clamp(bucket_highest(i), min_, max_);
    }
    return max_;
}

std::vector<histogram::point> histogram::percentile_curve(unsigned ticks_per_half_distance) const
{
    std::vector<point> curve;
    if (total_ == 0)
        return curve;
    ticks_per_half_distance = std::max(1u, ticks_per_half_distance);
    // Stop once less than one recorded value lies above the level: further points would
    // all show the maximum. The iteration count is bounded regardless (64 halvings).
    const double last_level = 100.0 * (1.0 - 1.0 / static_cast<double>(total_));
    double level = 0;
    for (int halvings = 0; halvings < 64 && level < last_level;) {
        curve.push_back({level, value_at_percentile(level)});
        const double remaining = 100.0 - level;
        halvings = static_cast<int>(std::floor(std::log2(100.0 / remaining) + 1e-9));
        const double ticks = ticks_per_half_distance * std::ldexp(1.0, halvings + 1);
        level += 100.0 / ticks;
    }
    curve.push_back({100.0, max_});
    return curve;
}

} // namespace igw::load
