#include "benchmarks/load/result_io.hpp"

#include "gateway/json/writer.hpp"

#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ostream>

namespace igw::load {
namespace {

namespace od = simdjson::ondemand;

double to_us(std::uint64_t nanoseconds) { return static_cast<double>(nanoseconds) / 1e3; }

// Latencies are written as integer tenths of a microsecond: the JSON writer has no
// floating-point values, and a fixed resolution keeps results diffable.
void write_us(json::writer& w, std::string_view name, double microseconds)
{
    w.key(name).integer(static_cast<std::int64_t>(std::llround(microseconds * 10)));
}

} // namespace

std::string format_latency(double ns)
{
    char text[32];
    if (ns < 1e6)
        std::snprintf(text, sizeof text, "%.0f us", ns / 1e3);
    else if (ns < 1e9)
        std::snprintf(text, sizeof text, ns < 1e7 ? "%.2f ms" : "%.1f ms", ns / 1e6);
    else
        std::snprintf(text, sizeof text, "%.2f s", ns / 1e9);
    return text;
}

void print_summary(std::ostream& out, const run_result& r)
{
    const load_options& o = r.options;
    char line[256];
    out << "invitegw-load: " << o.host << ":" << o.port << " POST " << o.path << ", ";
    if (o.rate > 0)
        out << "fixed rate " << o.rate << "/s";
    else
        out << "as fast as possible";
    out << ", " << o.connections << " connection(s), " << o.threads << " thread(s), ";
    if (!o.raw_body_file.empty())
        out << "body " << o.raw_body_file;
    else
        out << o.invitations << " invitation(s) x "
            << (o.targets.empty() ? std::string("all") : std::to_string(o.targets.size())) << " target(s)";
    out << "\n";
    std::snprintf(line, sizeof line,
                  "  requests: %llu sent, %llu completed, %llu errors; throughput %.1f/s over %.2f s\n",
                  static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.completed),
                  static_cast<unsigned long long>(r.errors()), r.throughput(), r.window_seconds);
    out << line;
    out << "  status:";
    for (const auto& [status, count] : r.statuses)
        out << " " << status << " x " << count;
    if (r.statuses.empty())
        out << " none";
    out << "\n";
    if (r.connect_errors || r.io_errors || r.timeouts || r.unsent)
        out << "  errors: connect " << r.connect_errors << ", connection lost " << r.io_errors << ", timeout "
            << r.timeouts << ", never sent (backlog) " << r.unsent << "\n";
    const histogram& h = r.latency;
    out << "  latency (" << (o.rate > 0 ? "from the scheduled send time" : "from the send") << "): p50 "
        << format_latency(h.value_at_percentile(50)) << "  p90 " << format_latency(h.value_at_percentile(90))
        << "  p99 " << format_latency(h.value_at_percentile(99)) << "  p99.9 "
        << format_latency(h.value_at_percentile(99.9)) << "  max " << format_latency(h.max()) << "  (mean "
        << format_latency(h.mean()) << ")\n";
    if (r.process) {
        const process_usage& p = *r.process;
        const double per_request = p.window_requests ? p.cpu_seconds / static_cast<double>(p.window_requests) : 0;
        std::snprintf(
            line, sizeof line, "  process %d: cpu %.2f s (%.1f us/request), rss %.1f -> %.1f MB, peak %.1f MB\n", p.pid,
            p.cpu_seconds, per_request * 1e6, p.rss_start_kb / 1024.0, p.rss_end_kb / 1024.0, p.hwm_kb / 1024.0);
        out << line;
    }
    if (!r.failure.empty())
        out << "  generator failure: " << r.failure << "\n";
}

std::string to_json(const run_result& r)
{
    const load_options& o = r.options;
    std::string out;
    json::writer w(out);
    w.begin_object();
    w.member("label", r.label);
    w.key("settings").begin_object();
    w.member("url", "http://" + o.host + ":" + o.port);
    w.member("path", o.path);
    w.member("mode", o.rate > 0 ? "fixed_rate" : "max_rate");
    w.member("rate_milli_rps", static_cast<std::int64_t>(std::llround(o.rate * 1000)));
    w.member("connections", o.connections);
    w.member("threads", o.threads);
    w.member("warmup_ms", static_cast<std::int64_t>(o.warmup.count() / 1'000'000));
    w.member("duration_ms", static_cast<std::int64_t>(o.duration.count() / 1'000'000));
    w.member("max_requests", static_cast<std::int64_t>(o.max_requests));
    if (!o.raw_body_file.empty()) {
        w.member("raw_body", o.raw_body_file);
    } else {
        w.member("invitations", o.invitations);
        w.key("targets").begin_array();
        for (const auto& t : o.targets)
            w.string(t);
        w.end_array();
        w.key("roles").begin_array();
        for (const auto& role : o.roles)
            w.string(role);
        w.end_array();
    }
    w.member("expect_status", o.expect_status);
    w.end_object();

    w.key("requests").begin_object();
    w.member("sent", static_cast<std::int64_t>(r.sent));
    w.member("completed", static_cast<std::int64_t>(r.completed));
    w.member("errors", static_cast<std::int64_t>(r.errors()));
    w.member("unexpected_status", static_cast<std::int64_t>(r.unexpected_statuses()));
    w.member("connect_errors", static_cast<std::int64_t>(r.connect_errors));
    w.member("connection_lost", static_cast<std::int64_t>(r.io_errors));
    w.member("timeouts", static_cast<std::int64_t>(r.timeouts));
    w.member("unsent", static_cast<std::int64_t>(r.unsent));
    w.member("total_sent", static_cast<std::int64_t>(r.total_sent));
    w.member("total_completed", static_cast<std::int64_t>(r.total_completed));
    w.end_object();
    w.key("status_counts").begin_object();
    for (const auto& [status, count] : r.statuses)
        w.member(std::to_string(status), static_cast<std::int64_t>(count));
    w.end_object();
    w.member("window_ms", static_cast<std::int64_t>(std::llround(r.window_seconds * 1000)));
    w.member("throughput_milli_rps", static_cast<std::int64_t>(std::llround(r.throughput() * 1000)));

    // Latencies in tenths of a microsecond ("_dus"), integers: the writer has no floats.
    const histogram& h = r.latency;
    w.key("latency_dus").begin_object();
    w.member("count", static_cast<std::int64_t>(h.count()));
    write_us(w, "min", to_us(h.min()));
    write_us(w, "mean", h.mean() / 1e3);
    write_us(w, "p50", to_us(h.value_at_percentile(50)));
    write_us(w, "p90", to_us(h.value_at_percentile(90)));
    write_us(w, "p99", to_us(h.value_at_percentile(99)));
    write_us(w, "p99_9", to_us(h.value_at_percentile(99.9)));
    write_us(w, "max", to_us(h.max()));
    w.end_object();
    // Percentiles in millionths of a percent, so 99.999 stays exact.
    w.key("percentile_curve").begin_array();
    for (const auto& point : h.percentile_curve())
        w.begin_array()
            .integer(static_cast<std::int64_t>(std::llround(point.percentile * 1e6)))
            .integer(static_cast<std::int64_t>(std::llround(to_us(point.value) * 10)))
            .end_array();
    w.end_array();

    if (r.process) {
        const process_usage& p = *r.process;
        w.key("process").begin_object();
        w.member("pid", p.pid);
        w.member("cpu_us", static_cast<std::int64_t>(std::llround(p.cpu_seconds * 1e6)));
        w.member("window_requests", static_cast<std::int64_t>(p.window_requests));
        w.member("rss_start_kb", static_cast<std::int64_t>(p.rss_start_kb));
        w.member("rss_end_kb", static_cast<std::int64_t>(p.rss_end_kb));
        w.member("hwm_kb", static_cast<std::int64_t>(p.hwm_kb));
        w.end_object();
    }
    if (!r.failure.empty())
        w.member("failure", r.failure);
    w.end_object();
    out += '\n';
    return out;
}

bool parse_run_json(std::string_view json, run_summary& out, std::string& error)
{
    od::parser parser;
    const simdjson::padded_string padded(json);
    od::document doc;
    if (auto e = parser.iterate(padded).get(doc)) {
        error = simdjson::error_message(e);
        return false;
    }
    const auto fail = [&](std::string_view what, simdjson::error_code e) {
        error = std::string(what) + ": " + simdjson::error_message(e);
        return false;
    };
    // Members are read in the order to_json writes them: On-Demand reads forward.
    std::string_view label;
    if (auto e = doc["label"].get_string().get(label))
        return fail("label", e);
    out.label = label;
    std::int64_t number = 0;
    od::object requests;
    if (auto e = doc["requests"].get_object().get(requests))
        return fail("requests", e);
    if (auto e = requests["completed"].get_int64().get(number))
        return fail("requests.completed", e);
    out.completed = static_cast<std::uint64_t>(number);
    if (auto e = requests["errors"].get_int64().get(number))
        return fail("requests.errors", e);
    out.errors = static_cast<std::uint64_t>(number);
    if (auto e = doc["throughput_milli_rps"].get_int64().get(number))
        return fail("throughput_milli_rps", e);
    out.throughput_rps = static_cast<double>(number) / 1000.0;
    const std::pair<const char*, double*> fields[] = {{"p50", &out.p50_us},
                                                      {"p90", &out.p90_us},
                                                      {"p99", &out.p99_us},
                                                      {"p99_9", &out.p999_us},
                                                      {"max", &out.max_us}};
    od::object latency;
    if (auto e = doc["latency_dus"].get_object().get(latency))
        return fail("latency_dus", e);
    for (const auto& [name, target] : fields) {
        if (auto e = latency[name].get_int64().get(number))
            return fail(std::string("latency_dus.") + name, e);
        *target = static_cast<double>(number) / 10.0;
    }
    od::array curve;
    if (auto e = doc["percentile_curve"].get_array().get(curve))
        return fail("percentile_curve", e);
    out.curve.clear();
    for (auto element : curve) {
        od::array pair;
        if (auto e = element.get_array().get(pair))
            return fail("percentile_curve[]", e);
        std::int64_t values[2] = {0, 0};
        std::size_t n = 0;
        for (auto v : pair) {
            if (n == 2)
                return fail("percentile_curve[] has more than 2 numbers", simdjson::INCORRECT_TYPE);
            if (auto e = v.get_int64().get(values[n++]))
                return fail("percentile_curve[]", e);
        }
        if (n != 2)
            return fail("percentile_curve[] needs 2 numbers", simdjson::INCORRECT_TYPE);
        out.curve.emplace_back(static_cast<double>(values[0]) / 1e6, static_cast<double>(values[1]) / 10.0);
    }
    return true;
}

} // namespace igw::load
