#pragma once
// `invitegw-load report`: several runs' latency-by-percentile curves, side by side, as a
// self-contained SVG or HTML page (no scripts, no external files). The percentile axis is
// logarithmic in the distance to 100 % (0, 90, 99, 99.9 ...), as HdrHistogram plots are.

#include "benchmarks/load/result_io.hpp"

#include <string>
#include <vector>

namespace igw::load {

// One overlay chart of every run (logarithmic latency axis, so sub-millisecond and
// 50 ms runs can be compared), then one small chart per run (linear latency axis).
std::string render_svg(const std::vector<run_summary>& runs, std::string_view title);

// The same SVG inside an HTML page, above a table of each run's figures.
std::string render_html(const std::vector<run_summary>& runs, std::string_view title);

// x position (in decades) of a percentile: 0 -> 0, 90 -> 1, 99 -> 2, 99.9 -> 3.
double percentile_decades(double percentile) noexcept;

} // namespace igw::load
