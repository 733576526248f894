#include "benchmarks/load/runner.hpp"

#include "benchmarks/load/process_stats.hpp"
#include "benchmarks/load/request_body.hpp"
#include "benchmarks/load/schedule.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <thread>

namespace igw::load {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// Large-batch replies (thousands of results) are a few MB; anything beyond this is a bug.
constexpr std::uint64_t max_response_bytes = 256ull << 20;

// After a failed connect, as-fast-as-possible mode would otherwise spin on a dead port.
constexpr std::chrono::milliseconds reconnect_pause{10};

// Everything the connections of all lanes read; immutable while the run lasts.
struct run_setup {
    const load_options& options;
    tcp::resolver::results_type endpoints{};
    std::string host_header{};
    steady::time_point start{};
    steady::time_point window_start{}; // start + warmup
};

// One thread's share of the run. Only its own thread touches it until the join.
struct lane {
    lane(const schedule_settings& settings, unsigned index, unsigned count) : source(settings, index, count) {}

    net::io_context io{1};
    request_source source;
    histogram latency;
    std::map<unsigned, std::uint64_t> statuses;
    std::uint64_t sent = 0, completed = 0, connect_errors = 0, io_errors = 0, timeouts = 0;
    std::uint64_t total_sent = 0, total_completed = 0, window_completed = 0;
    steady::time_point last_measured{};
    std::string failure;
};

net::awaitable<void> drive_connection(const run_setup& setup, lane& l)
{
    const load_options& o = setup.options;
    const auto executor = co_await net::this_coro::executor;
    beast::tcp_stream stream(executor);
    net::steady_timer timer(executor);
    beast::flat_buffer buffer;
    bool open = false;

    http::request<http::string_body> request{http::verb::post, o.path, 11};
    request.set(http::field::host, setup.host_header);
    request.set(http::field::user_agent, "invitegw-load");
    request.set(http::field::content_type, "application/json");
    if (!o.key.empty())
        request.set(http::field::authorization, "Bearer " + o.key);
    for (const auto& [name, value] : o.headers)
        request.set(name, value); // after the defaults, so --header can replace them
    request.keep_alive(true);
    if (!o.raw_body_file.empty()) {
        request.body() = o.raw_body;
        request.prepare_payload();
    }

    // Nothing starts before the common start time: otherwise the first requests would be
    // timed from before the run began.
    timer.expires_at(setup.start);
    co_await timer.async_wait(use_tuple);

    const bool fixed_rate = l.source.fixed_rate();
    for (;;) {
        const steady::time_point now = steady::now();
        const std::optional<request_slot> slot = l.source.next(now - setup.start);
        if (!slot)
            break;
        if (fixed_rate && setup.start + slot->due > now) {
            timer.expires_at(setup.start + slot->due);
            co_await timer.async_wait(use_tuple);
        }
        ++l.total_sent;
        if (slot->measured)
            ++l.sent;

        if (!open) {
            stream.expires_after(o.timeout);
            auto [ec, endpoint] = co_await stream.async_connect(setup.endpoints, use_tuple);
            if (ec) {
                stream.close();
                if (slot->measured)
                    ++(ec == beast::error::timeout ? l.timeouts : l.connect_errors);
                timer.expires_after(reconnect_pause);
                co_await timer.async_wait(use_tuple);
                continue;
            }
            stream.socket().set_option(tcp::no_delay(true));
            open = true;
        }
        if (o.raw_body_file.empty()) {
            canonical_body(o, slot->index, request.body());
            request.prepare_payload();
        }

        const steady::time_point sent_at = steady::now();
        stream.expires_after(o.timeout);
        auto [write_ec, written] = co_await http::async_write(stream, request, use_tuple);
        http::response_parser<http::string_body> parser;
        parser.body_limit(max_response_bytes);
        boost::system::error_code read_ec = write_ec;
        if (!write_ec) {
            auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
            read_ec = ec;
        }
        const steady::time_point done = steady::now();

        if (read_ec) {
            // Whatever was in flight is lost with the connection: start afresh.
            stream.close();
            buffer.clear();
            open = false;
            if (slot->measured)
                ++(read_ec == beast::error::timeout ? l.timeouts : l.io_errors);
            continue;
        }
        ++l.total_completed;
        if (done >= setup.window_start)
            ++l.window_completed;
        if (slot->measured) {
            ++l.completed;
            ++l.statuses[parser.get().result_int()];
            l.latency.record(static_cast<std::uint64_t>(
                request_latency(fixed_rate, slot->due, sent_at - setup.start, done - setup.start).count()));
            l.last_measured = std::max(l.last_measured, done);
        }
        if (!parser.get().keep_alive()) {
            stream.close();
            buffer.clear();
            open = false;
        }
    }
    if (open) {
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    }
}

// Samples the watched process when the warmup ends.
net::awaitable<void> sample_at(steady::time_point when, int pid, std::optional<process_snapshot>& out)
{
    net::steady_timer timer(co_await net::this_coro::executor, when);
    co_await timer.async_wait(use_tuple);
    out = read_process(pid);
}

} // namespace

std::uint64_t run_result::unexpected_statuses() const noexcept
{
    std::uint64_t n = 0;
    for (const auto& [status, count] : statuses)
        if (status != options.expect_status)
            n += count;
    return n;
}

std::uint64_t run_result::errors() const noexcept
{
    return unexpected_statuses() + connect_errors + io_errors + timeouts + unsent;
}

double run_result::throughput() const noexcept
{
    return window_seconds > 0 ? static_cast<double>(completed) / window_seconds : 0.0;
}

run_result run_load(const load_options& options)
{
    run_result result;
    result.label = options.label;
    result.options = options;

    run_setup setup{.options = options};
    {
        net::io_context resolver_io;
        tcp::resolver resolver(resolver_io);
        boost::system::error_code ec;
        setup.endpoints = resolver.resolve(options.host, options.port, ec);
        if (ec)
            throw std::runtime_error("cannot resolve " + options.host + ":" + options.port + ": " + ec.message());
    }
    setup.host_header = options.host.find(':') != std::string::npos ? "[" + options.host + "]:" + options.port
                                                                    : options.host + ":" + options.port;

    const schedule_settings settings{
        .rate = options.rate,
        .warmup = options.warmup,
        .duration = options.duration,
        .max_requests = options.max_requests,
        // A backlog still unsent one timeout after the end would only measure the queue.
        .drain = options.timeout,
    };
    std::vector<std::unique_ptr<lane>> lanes;
    for (unsigned i = 0; i < options.threads; ++i)
        lanes.push_back(std::make_unique<lane>(settings, i, options.threads));

    // A moment for the threads to start, so the first requests are not already late.
    setup.start = steady::now() + std::chrono::milliseconds(5);
    setup.window_start = setup.start + options.warmup;

    std::optional<process_snapshot> before;
    const auto log_failure = [](lane& l) {
        return [&l](std::exception_ptr e) {
            if (!e)
                return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                if (l.failure.empty())
                    l.failure = x.what();
                std::cerr << "invitegw-load: " << x.what() << "\n";
            }
        };
    };
    for (unsigned c = 0; c < options.connections; ++c) {
        lane& l = *lanes[c % lanes.size()];
        net::co_spawn(l.io, drive_connection(setup, l), log_failure(l));
    }
    if (options.watch_pid > 0)
        net::co_spawn(lanes[0]->io, sample_at(setup.window_start, options.watch_pid, before), log_failure(*lanes[0]));

    std::vector<std::thread> threads;
    for (auto& l : lanes)
        threads.emplace_back([&io = l->io] { io.run(); });
    for (auto& t : threads)
        t.join();

    if (options.watch_pid > 0) {
        // Sampled now if the run ended before its warmup did (e.g. --requests).
        const std::optional<process_snapshot> after = read_process(options.watch_pid);
        if (before && after) {
            process_usage usage;
            usage.pid = options.watch_pid;
            usage.cpu_seconds = after->cpu_seconds - before->cpu_seconds;
            usage.rss_start_kb = before->rss_kb;
            usage.rss_end_kb = after->rss_kb;
            usage.hwm_kb = after->hwm_kb;
            result.process = usage;
        }
    }

    steady::time_point last = setup.window_start;
    for (auto& l : lanes) {
        result.latency.merge(l->latency);
        for (const auto& [status, count] : l->statuses)
            result.statuses[status] += count;
        result.sent += l->sent;
        result.completed += l->completed;
        result.connect_errors += l->connect_errors;
        result.io_errors += l->io_errors;
        result.timeouts += l->timeouts;
        result.unsent += l->source.unsent();
        result.total_sent += l->total_sent;
        result.total_completed += l->total_completed;
        if (result.process)
            result.process->window_requests += l->window_completed;
        last = std::max(last, l->last_measured);
        if (result.failure.empty())
            result.failure = l->failure;
    }
    result.window_seconds = std::chrono::duration<double>(last - setup.window_start).count();
    return result;
}

} // namespace igw::load
