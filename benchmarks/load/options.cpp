#include "benchmarks/load/options.hpp"

#include "gateway/net/ows.hpp"

#include <charconv>
#include <cmath>

namespace igw::load {
namespace {

using namespace std::chrono_literals;

bool parse_number(std::string_view text, double& out)
{
    if (text.empty())
        return false;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size() && std::isfinite(out);
}

template <class Unsigned>
bool parse_unsigned(std::string_view text, Unsigned& out, Unsigned low, Unsigned high)
{
    Unsigned value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < low || value > high)
        return false;
    out = value;
    return true;
}

constexpr auto trim = net_text::trim_ows;

// http://host[:port] (a bracketed IPv6 host allowed); the request target comes from --path.
std::string parse_url(std::string_view url, load_options& o)
{
    constexpr std::string_view scheme = "http://";
    if (!url.starts_with(scheme))
        return "--url must start with http:// (TLS is not supported)";
    url.remove_prefix(scheme.size());
    if (url.ends_with('/'))
        url.remove_suffix(1);
    if (url.find('/') != std::string_view::npos)
        return "--url takes no path; use --path";
    std::string_view host = url, port = "80";
    if (url.starts_with('[')) {
        const auto close = url.find(']');
        if (close == std::string_view::npos)
            return "--url: unbalanced [ in the host";
        host = url.substr(1, close - 1);
        const std::string_view rest = url.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':')
                return "--url: expected :port after ]";
            port = rest.substr(1);
        }
    } else if (const auto colon = url.rfind(':'); colon != std::string_view::npos) {
        host = url.substr(0, colon);
        port = url.substr(colon + 1);
    }
    unsigned number = 0;
    if (host.empty() || !parse_unsigned(port, number, 1u, 65535u))
        return "--url: expected http://host:port";
    o.host = host;
    o.port = port;
    return {};
}

} // namespace

std::string_view usage() noexcept
{
    return R"(usage: invitegw-load [run] [options]
       invitegw-load report --out FILE.html|FILE.svg RUN.json...

Sends invite requests over HTTP/1.1 keep-alive connections and reports latency
percentiles. At a fixed --rate, latency counts from when each request was due on the
schedule, so time spent waiting for a free connection is included (open loop).

target:
  --url http://HOST:PORT     where to send (default http://127.0.0.1:8080)
  --path PATH                request target (default /v1/invitations)
  --key KEY                  client key, sent as Authorization: Bearer KEY
  --header 'NAME: VALUE'     extra request header (repeatable)
request body:
  --invitations K            invitations per canonical request (default 1; emails are
                             unique per request: u<request>-<i>@load.example.com)
  --targets a,b              the request's targets (default: left out, i.e. all)
  --roles r1,r2              canonical roles, cycled over invitations (default developer)
  --raw-body FILE            send FILE's bytes as is instead (e.g. to a vendor emulator)
load:
  --rate R                   requests per second; 0 = as fast as possible (default 0)
  --connections N            keep-alive connections (default 16)
  --threads T                event-loop threads (default 1)
  --warmup D                 not measured (default 2s)
  --duration D               measured (default 10s); D is 500ms, 10s, 2m...
  --requests N               stop after N requests in all (default: no limit)
  --timeout D                per request (default 10s)
  --expect-status S          other statuses count as errors (default 200)
output:
  --json FILE                write the result (with its percentile curve) as JSON
  --label TEXT               the run's name in reports (default: the JSON file's name)
  --watch-pid PID            report this process's CPU time and memory over the run
  --print-body               print the first request's body and exit
)";
}

bool parse_duration(std::string_view text, std::chrono::nanoseconds& out)
{
    struct unit {
        std::string_view suffix;
        double nanoseconds;
    };
    static constexpr unit units[] = {{"ms", 1e6}, {"us", 1e3}, {"ns", 1}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    double scale = 1e9;
    for (const unit& u : units)
        if (text.size() > u.suffix.size() && text.ends_with(u.suffix)) {
            // "ms" ends with "s" too: units are tried longest-first where it matters.
            text.remove_suffix(u.suffix.size());
            scale = u.nanoseconds;
            break;
        }
    double value = 0;
    if (!parse_number(text, value) || value < 0 || value * scale > 1e9 * 86400 * 7)
        return false;
    out = std::chrono::nanoseconds(std::llround(value * scale));
    return true;
}

std::vector<std::string> split_list(std::string_view text)
{
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string_view part = trim(text.substr(0, comma));
        if (!part.empty())
            out.emplace_back(part);
        if (comma == std::string_view::npos)
            break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

parsed_options parse_options(const std::vector<std::string_view>& args)
{
    parsed_options parsed;
    load_options& o = parsed.options;
    const auto fail = [&](std::string message) {
        parsed.error = std::move(message);
        return parsed;
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view flag = args[i];
        if (flag == "-h" || flag == "--help") {
            parsed.help = true;
            return parsed;
        }
        if (flag == "--print-body") {
            o.print_body = true;
            continue;
        }
        if (i + 1 >= args.size())
            return fail("unknown option or missing value: " + std::string(flag));
        const std::string_view value = args[++i];
        const auto bad = [&] { return fail("bad value for " + std::string(flag) + ": " + std::string(value)); };
        if (flag == "--url") {
            if (std::string problem = parse_url(value, o); !problem.empty())
                return fail(problem);
        } else if (flag == "--path") {
            if (!value.starts_with('/'))
                return bad();
            o.path = value;
        } else if (flag == "--key") {
            o.key = value;
        } else if (flag == "--header") {
            const auto colon = value.find(':');
            if (colon == std::string_view::npos || trim(value.substr(0, colon)).empty())
                return fail("--header takes 'Name: value', got: " + std::string(value));
            o.headers.emplace_back(trim(value.substr(0, colon)), trim(value.substr(colon + 1)));
        } else if (flag == "--raw-body") {
            o.raw_body_file = value;
        } else if (flag == "--invitations") {
            if (!parse_unsigned(value, o.invitations, 1u, 100'000u))
                return bad();
        } else if (flag == "--targets") {
            o.targets = split_list(value);
        } else if (flag == "--roles") {
            o.roles = split_list(value);
            if (o.roles.empty())
                return bad();
        } else if (flag == "--rate") {
            if (!parse_number(value, o.rate) || o.rate < 0 || o.rate > 10e6)
                return bad();
        } else if (flag == "--connections") {
            if (!parse_unsigned(value, o.connections, 1u, 10'000u))
                return bad();
        } else if (flag == "--threads") {
            if (!parse_unsigned(value, o.threads, 1u, 64u))
                return bad();
        } else if (flag == "--warmup") {
            if (!parse_duration(value, o.warmup))
                return bad();
        } else if (flag == "--duration") {
            if (!parse_duration(value, o.duration) || o.duration.count() == 0)
                return bad();
        } else if (flag == "--timeout") {
            if (!parse_duration(value, o.timeout) || o.timeout < std::chrono::milliseconds(1))
                return bad();
        } else if (flag == "--requests") {
            if (!parse_unsigned(value, o.max_requests, std::uint64_t{1}, std::uint64_t{1} << 40))
                return bad();
        } else if (flag == "--expect-status") {
            if (!parse_unsigned(value, o.expect_status, 100u, 599u))
                return bad();
        } else if (flag == "--json") {
            o.json_file = value;
        } else if (flag == "--label") {
            o.label = value;
        } else if (flag == "--watch-pid") {
            if (!parse_unsigned(value, o.watch_pid, 1, 1 << 30))
                return bad();
        } else {
            return fail("unknown option: " + std::string(flag));
        }
    }
    if (o.threads > o.connections)
        return fail("--threads must not exceed --connections");
    if (o.label.empty() && !o.json_file.empty()) {
        std::string_view name = o.json_file;
        if (const auto slash = name.rfind('/'); slash != std::string_view::npos)
            name.remove_prefix(slash + 1);
        if (name.ends_with(".json"))
            name.remove_suffix(5);
        o.label = name;
    }
    return parsed;
}

} // namespace igw::load
