#include "benchmarks/load/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace igw::load {
namespace {

constexpr const char* palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                   "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

constexpr double max_decades = 6; // 99.9999 %: beyond, no run here has the samples

const char* colour(std::size_t i) { return palette[i % std::size(palette)]; }

// Text from run labels (user input) goes into XML: escape it.
std::string xml(std::string_view text)
{
    std::string out;
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default:
            if (static_cast<unsigned char>(c) >= 0x20 || c == '\t')
                out += c;
        }
    }
    return out;
}

std::string number(double value, const char* format = "%.1f")
{
    char text[48];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

std::string latency_label(double us)
{
    if (us < 1000)
        return number(us, us < 10 ? "%.1f µs" : "%.0f µs");
    if (us < 1e6)
        return number(us / 1e3, us < 1e4 ? "%.2g ms" : "%.0f ms");
    return number(us / 1e6, "%.3g s");
}

std::string percentile_label(int decades)
{
    // 0 -> 0 %, 1 -> 90 %, 2 -> 99 %, 3 -> 99.9 %, 4 -> 99.99 % ...
    switch (decades) {
    case 0: return "0%";
    case 1: return "90%";
    case 2: return "99%";
    default: return "99." + std::string(static_cast<std::size_t>(decades - 2), '9') + "%";
    }
}

struct frame {
    double x, y, width, height; // plot area, in SVG units
    double x_max;               // decades
    bool log_y;
    double y_min, y_max; // µs (log: both > 0)

    double px(double decades) const { return x + width * std::min(decades, x_max) / x_max; }
    double py(double us) const
    {
        double t;
        if (log_y)
            t = (std::log10(std::max(us, y_min)) - std::log10(y_min)) / (std::log10(y_max) - std::log10(y_min));
        else
            t = us / y_max;
        return y + height * (1 - std::clamp(t, 0.0, 1.0));
    }
};

double nice_ceiling(double value)
{
    if (value <= 0)
        return 1;
    const double magnitude = std::pow(10, std::floor(std::log10(value)));
    for (double step : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (value <= step * magnitude)
            return step * magnitude;
    return 10 * magnitude;
}

void axes(std::string& svg, const frame& f, std::string_view title)
{
    svg += "<rect x='" + number(f.x) + "' y='" + number(f.y) + "' width='" + number(f.width) + "' height='" +
           number(f.height) + "' fill='#fff' stroke='#999'/>\n";
    svg += "<text x='" + number(f.x + f.width / 2) + "' y='" + number(f.y - 8) +
           "' text-anchor='middle' font-weight='bold'>" + xml(title) + "</text>\n";
    for (int d = 0; d <= static_cast<int>(f.x_max); ++d) {
        const double x = f.px(d);
        svg += "<line x1='" + number(x) + "' y1='" + number(f.y) + "' x2='" + number(x) + "' y2='" +
               number(f.y + f.height) + "' stroke='#ddd'/>\n";
        svg += "<text x='" + number(x) + "' y='" + number(f.y + f.height + 14) + "' text-anchor='middle'>" +
               percentile_label(d) + "</text>\n";
    }
    std::vector<double> ticks;
    if (f.log_y) {
        for (double decade = f.y_min; decade <= f.y_max * 1.0001; decade *= 10)
            for (double m : {1.0, 2.0, 5.0})
                if (decade * m <= f.y_max * 1.0001)
                    ticks.push_back(decade * m);
    } else {
        for (int i = 0; i <= 5; ++i)
            ticks.push_back(f.y_max * i / 5);
    }
    for (double t : ticks) {
        const double y = f.py(t);
        svg += "<line x1='" + number(f.x) + "' y1='" + number(y) + "' x2='" + number(f.x + f.width) + "' y2='" +
               number(y) + "' stroke='#eee'/>\n";
        svg += "<text x='" + number(f.x - 4) + "' y='" + number(y + 4) + "' text-anchor='end'>" + latency_label(t) +
               "</text>\n";
    }
}

void curve(std::string& svg, const frame& f, const run_summary& run, const char* stroke)
{
    if (run.curve.empty())
        return;
    svg += "<polyline fill='none' stroke-width='2' stroke='" + std::string(stroke) + "' points='";
    for (const auto& [percentile, us] : run.curve) {
        const double decades = percentile >= 100 ? f.x_max : percentile_decades(percentile);
        svg += number(f.px(decades)) + "," + number(f.py(us)) + " ";
    }
    svg += "'><title>" + xml(run.label) + "</title></polyline>\n";
}

double decades_needed(const std::vector<run_summary>& runs)
{
    double most = 0;
    for (const auto& run : runs)
        for (const auto& [percentile, us] : run.curve)
            if (percentile < 100)
                most = std::max(most, percentile_decades(percentile));
    return std::clamp(std::ceil(most), 2.0, max_decades);
}

} // namespace

double percentile_decades(double percentile) noexcept
{
    if (percentile >= 100)
        return max_decades;
    return std::log10(100.0 / (100.0 - std::max(0.0, percentile)));
}

std::string render_svg(const std::vector<run_summary>& runs, std::string_view title)
{
    constexpr double width = 1000, overlay_height = 420, panel_width = 300, panel_height = 200;
    constexpr int per_row = 3;
    const double x_max = decades_needed(runs);
    const std::size_t rows = (runs.size() + per_row - 1) / per_row;
    const double legend_height = 20.0 * static_cast<double>(runs.size());
    const double height = 60 + overlay_height + 60 + legend_height + static_cast<double>(rows) * (panel_height + 70);

    std::string svg;
    svg += "<svg xmlns='http://www.w3.org/2000/svg' width='" + number(width, "%.0f") + "' height='" +
           number(height, "%.0f") + "' viewBox='0 0 " + number(width, "%.0f") + " " + number(height, "%.0f") +
           "' font-family='sans-serif' font-size='11'>\n";
    svg += "<rect width='100%' height='100%' fill='#fafafa'/>\n";

    double low = 1e300, high = 0;
    for (const auto& run : runs)
        for (const auto& [percentile, us] : run.curve) {
            if (us > 0)
                low = std::min(low, us);
            high = std::max(high, us);
        }
    if (high <= 0) {
        low = 1;
        high = 10;
    }
    low = std::pow(10, std::floor(std::log10(std::max(low, 0.1))));
    high = std::pow(10, std::ceil(std::log10(std::max(high, low * 10))));
    const frame overlay{90, 50, width - 130, overlay_height - 40, x_max, true, low, high};
    axes(svg, overlay, std::string(title) + ": latency by percentile (all runs, log scale)");
    for (std::size_t i = 0; i < runs.size(); ++i)
        curve(svg, overlay, runs[i], colour(i));

    double y = overlay.y + overlay.height + 40;
    for (std::size_t i = 0; i < runs.size(); ++i, y += 20) {
        const run_summary& r = runs[i];
        svg += "<rect x='90' y='" + number(y - 10) + "' width='14' height='10' fill='" + colour(i) + "'/>\n";
        svg += "<text x='110' y='" + number(y) + "'>" + xml(r.label) + ": " + number(r.throughput_rps, "%.0f") +
               " req/s, p50 " + latency_label(r.p50_us) + ", p99 " + latency_label(r.p99_us) + ", max " +
               latency_label(r.max_us) + (r.errors ? ", " + std::to_string(r.errors) + " errors" : "") + "</text>\n";
    }

    y += 40;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const double x = 70 + static_cast<double>(i % per_row) * (panel_width + 30);
        const double top = y + static_cast<double>(i / per_row) * (panel_height + 70);
        double most = 0;
        for (const auto& [percentile, us] : runs[i].curve)
            most = std::max(most, us);
        const frame panel{x, top, panel_width - 60, panel_height - 30, x_max, false, 0, nice_ceiling(most)};
        axes(svg, panel, runs[i].label);
        curve(svg, panel, runs[i], colour(i));
    }
    svg += "</svg>\n";
    return svg;
}

std::string render_html(const std::vector<run_summary>& runs, std::string_view title)
{
    std::string html = "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>" + xml(title) +
                       "</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                       "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
                       "td:first-child,th:first-child{text-align:left}</style></head><body>\n";
    html += "<h1>" + xml(title) +
            "</h1>\n<table><tr><th>run</th><th>req/s</th><th>p50</th><th>p90</th>"
            "<th>p99</th><th>p99.9</th><th>max</th><th>completed</th><th>errors</th></tr>\n";
    for (const auto& r : runs)
        html += "<tr><td>" + xml(r.label) + "</td><td>" + number(r.throughput_rps, "%.0f") + "</td><td>" +
                latency_label(r.p50_us) + "</td><td>" + latency_label(r.p90_us) + "</td><td>" +
                latency_label(r.p99_us) + "</td><td>" + latency_label(r.p999_us) + "</td><td>" +
                latency_label(r.max_us) + "</td><td>" + std::to_string(r.completed) + "</td><td>" +
                std::to_string(r.errors) + "</td></tr>\n";
    html += "</table>\n<p>Latency is measured from when each request was due on the fixed-rate schedule (open "
            "loop), or from its send in as-fast-as-possible runs. The percentile axis is logarithmic in the "
            "distance to 100 %; the last point of each curve is the maximum.</p>\n";
    html += render_svg(runs, title);
    html += "</body></html>\n";
    return html;
}

} // namespace igw::load
