#include "gateway/telemetry/metrics.hpp"

#include "gateway/mapping/item_result.hpp"
#include "gateway/telemetry/log.hpp"

#include <map>

namespace igw::telemetry {
namespace {

void append_number(std::string& out, double value)
{
    char text[32];
    const int n = std::snprintf(text, sizeof text, "%.9g", value);
    out.append(text, static_cast<std::size_t>(n));
}

// Histograms summed over threads, keyed by the label value.
struct histogram_sum {
    std::array<std::uint64_t, histogram::bounds.size() + 1> buckets{};
    std::uint64_t sum_ns = 0, count = 0;
    void add(const histogram& h)
    {
        for (std::size_t i = 0; i < buckets.size(); ++i)
            buckets[i] += h.buckets[i].value();
        sum_ns += h.sum_ns.value();
        count += h.count.value();
    }
};

void write_histogram(std::string& out, std::string_view name, std::string_view label,
                     const std::map<std::string, histogram_sum>& sums)
{
    for (const auto& [value, sum] : sums) {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < sum.buckets.size(); ++i) {
            cumulative += sum.buckets[i];
            out.append(name).append("_bucket{").append(label).append("=\"");
            append_label_value(out, value);
            out.append("\",le=\"");
            if (i < histogram::bounds.size())
                append_number(out, histogram::bounds[i]);
            else
                out.append("+Inf");
            out.append("\"} ").append(std::to_string(cumulative)).append("\n");
        }
        out.append(name).append("_sum{").append(label).append("=\"");
        append_label_value(out, value);
        out.append("\"} ");
        append_number(out, static_cast<double>(sum.sum_ns) / 1e9);
        out.append("\n");
        out.append(name).append("_count{").append(label).append("=\"");
        append_label_value(out, value);
        out.append("\"} ").append(std::to_string(sum.count)).append("\n");
    }
}

} // namespace

void histogram::observe(std::chrono::nanoseconds elapsed) noexcept
{
    const double seconds = std::chrono::duration<double>(elapsed).count();
    std::size_t i = 0;
    while (i < bounds.size() && seconds > bounds[i])
        ++i;
    buckets[i].add();
    sum_ns.add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, elapsed.count())));
    count.add();
}

thread_metrics& registry::add_thread()
{
    std::lock_guard lock(mutex_);
    return threads_.emplace_back();
}

target_metrics& registry::target(thread_metrics& thread, std::string_view name)
{
    std::lock_guard lock(mutex_);
    for (auto& [key, cells] : thread.targets)
        if (key == name)
            return cells;
    thread.targets.emplace_back(std::piecewise_construct, std::forward_as_tuple(name), std::forward_as_tuple());
    return thread.targets.back().second;
}

route_metrics& registry::route(thread_metrics& thread, std::string_view path)
{
    std::lock_guard lock(mutex_);
    for (auto& [key, cells] : thread.routes)
        if (key == path)
            return cells;
    thread.routes.emplace_back(std::piecewise_construct, std::forward_as_tuple(path), std::forward_as_tuple());
    return thread.routes.back().second;
}

void registry::write_prometheus(std::string& out) const
{
    std::lock_guard lock(mutex_);

    std::map<std::pair<std::string, unsigned>, std::uint64_t> requests;
    std::map<std::string, histogram_sum> request_durations;
    std::map<std::tuple<std::string, std::size_t, std::size_t>, std::uint64_t> results;
    std::map<std::string, std::uint64_t> calls, retries;
    std::map<std::string, histogram_sum> call_durations;
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> connections;
    std::int64_t in_flight = 0;

    for (const thread_metrics& thread : threads_) {
        in_flight += thread.in_flight.value();
        for (const auto& [path, cells] : thread.routes) {
            for (unsigned status = 0; status < cells.by_status.size(); ++status)
                if (const auto n = cells.by_status[status].value())
                    requests[{path, status}] += n;
            request_durations[path].add(cells.duration);
        }
        for (const auto& [name, cells] : thread.targets) {
            for (std::size_t s = 0; s < target_metrics::statuses; ++s)
                for (std::size_t c = 0; c < target_metrics::error_codes; ++c)
                    if (const auto n = cells.results[s][c].value())
                        results[{name, s, c}] += n;
            calls[name] += cells.calls.value();
            retries[name] += cells.retries.value();
            call_durations[name].add(cells.call_duration);
            connections[name].first += cells.open_connections.value();
            connections[name].second += cells.idle_connections.value();
        }
    }

    write_metric_header(out, "invitegw_requests_total", "counter", "Requests answered, by route and HTTP status.");
    for (const auto& [key, n] : requests) {
        out.append("invitegw_requests_total{route=\"");
        append_label_value(out, key.first);
        out.append("\",status=\"")
            .append(std::to_string(key.second))
            .append("\"} ")
            .append(std::to_string(n))
            .append("\n");
    }
    write_metric_header(out, "invitegw_request_duration_seconds", "histogram", "Time to answer an invite request.");
    write_histogram(out, "invitegw_request_duration_seconds", "route", request_durations);
    write_metric_header(out, "invitegw_requests_in_flight", "gauge", "Invite requests being processed.");
    out.append("invitegw_requests_in_flight ").append(std::to_string(in_flight)).append("\n");

    write_metric_header(out, "invitegw_results_total", "counter",
                        "Per (invitation, target) outcomes, by target, status and error code.");
    for (const auto& [key, n] : results) {
        const auto& [name, s, c] = key;
        out.append("invitegw_results_total{target=\"");
        append_label_value(out, name);
        out.append("\",status=\"").append(mapping::to_string(static_cast<mapping::item_status>(s)));
        const std::string_view code = mapping::to_string(static_cast<mapping::error_code>(c));
        out.append("\",code=\"")
            .append(code.empty() ? "none" : code)
            .append("\"} ")
            .append(std::to_string(n))
            .append("\n");
    }
    write_metric_header(out, "invitegw_upstream_calls_total", "counter",
                        "Calls sent to vendors, by target (retries included).");
    for (const auto& [name, n] : calls) {
        out.append("invitegw_upstream_calls_total{target=\"");
        append_label_value(out, name);
        out.append("\"} ").append(std::to_string(n)).append("\n");
    }
    write_metric_header(out, "invitegw_upstream_retries_total", "counter",
                        "Calls retried after 429 or 503, by target.");
    for (const auto& [name, n] : retries) {
        out.append("invitegw_upstream_retries_total{target=\"");
        append_label_value(out, name);
        out.append("\"} ").append(std::to_string(n)).append("\n");
    }
    write_metric_header(out, "invitegw_upstream_call_duration_seconds", "histogram",
                        "Time of one vendor call, retries included.");
    write_histogram(out, "invitegw_upstream_call_duration_seconds", "target", call_durations);
    write_metric_header(out, "invitegw_upstream_connections", "gauge",
                        "Pooled connections per target, open (in use or idle) and idle.");
    for (const auto& [name, counts] : connections) {
        for (const auto& [state, n] : {std::pair{"open", counts.first}, std::pair{"idle", counts.second}}) {
            out.append("invitegw_upstream_connections{target=\"");
            append_label_value(out, name);
            out.append("\",state=\"").append(state).append("\"} ").append(std::to_string(n)).append("\n");
        }
    }
    write_metric_header(out, "invitegw_config_reloads_total", "counter", "Config reloads, by result.");
    out.append("invitegw_config_reloads_total{result=\"success\"} ")
        .append(std::to_string(reloads_succeeded.load(std::memory_order_relaxed)))
        .append("\n");
    out.append("invitegw_config_reloads_total{result=\"failure\"} ")
        .append(std::to_string(reloads_failed.load(std::memory_order_relaxed)))
        .append("\n");
    write_metric_header(out, "invitegw_log_lines_dropped_total", "counter",
                        "Log lines dropped because the log destination did not keep up (or failed).");
    out.append("invitegw_log_lines_dropped_total ").append(std::to_string(log_lines_dropped())).append("\n");
    for (const auto& section : sections_)
        section(out);
}

void registry::add_section(std::function<void(std::string&)> writer)
{
    std::lock_guard lock(mutex_);
    sections_.push_back(std::move(writer));
}

void write_metric_header(std::string& out, std::string_view name, std::string_view type, std::string_view help)
{
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void write_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                  std::uint64_t value)
{
    write_metric_header(out, name, type, help);
    out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

void append_label_value(std::string& out, std::string_view value)
{
    for (char c : value) {
        if (c == '\\' || c == '"')
            out.push_back('\\');
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out.push_back(c);
    }
}

} // namespace igw::telemetry
