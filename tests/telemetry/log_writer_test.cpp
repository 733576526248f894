// A log destination that stalls (a pipe nobody reads) must cost the threads that log
// nothing: they hand lines to the log's writer thread, lines beyond its queue are
// dropped and counted (in /metrics too), and once the destination drains, lines arrive
// whole, never mixed with one another.

#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/metrics.hpp"

#include <boost/test/unit_test.hpp>

#include <simdjson.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace igw;
using namespace std::chrono_literals;

namespace {

namespace dom = simdjson::dom;

// Both ends of a pipe, closed on destruction.
struct pipe_ends {
    int read = -1, write = -1;
    pipe_ends()
    {
        int fds[2];
        BOOST_TEST_REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        read = fds[0];
        write = fds[1];
    }
    ~pipe_ends()
    {
        close_write();
        if (read >= 0)
            ::close(read);
    }
    void close_write()
    {
        if (write >= 0)
            ::close(write);
        write = -1;
    }
};

void set_blocking(int fd, bool blocking)
{
    const int flags = ::fcntl(fd, F_GETFL);
    BOOST_TEST_REQUIRE(::fcntl(fd, F_SETFL, blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK) == 0);
}

// Fills the pipe with whole "filler" lines, as a reader that stopped reading leaves it,
// and makes its writes blocking again, like a stderr nobody reads.
std::size_t fill(int fd)
{
    set_blocking(fd, false);
    std::size_t filled = 0;
    for (int i = 0; i < 1'000'000; ++i) { // a pipe holds at most 1 MiB by default
        if (::write(fd, "filler\n", 7) != 7)
            break;
        filled += 7;
    }
    set_blocking(fd, true);
    return filled;
}

// Reads `fd` until end of file, on a thread of its own.
class drain {
public:
    explicit drain(int fd)
        : done_(std::async(std::launch::async, [fd] {
              std::string text;
              char buffer[65536];
              for (;;) {
                  const ssize_t n = ::read(fd, buffer, sizeof buffer);
                  if (n > 0)
                      text.append(buffer, static_cast<std::size_t>(n));
                  else if (n == 0 || errno != EINTR)
                      return text;
              }
          }))
    {
    }
    // Everything read, once the write end is closed.
    std::string text()
    {
        BOOST_TEST_REQUIRE((done_.wait_for(30s) == std::future_status::ready), "the pipe never reached its end");
        return done_.get();
    }

private:
    std::future<std::string> done_;
};

// Points the log at `fd` for the test's duration, then back at stderr.
struct log_to {
    explicit log_to(int fd) { telemetry::configure_logging({.level = telemetry::log_level::info, .fd = fd}); }
    ~log_to() { telemetry::configure_logging({}); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(log_writer)

BOOST_AUTO_TEST_CASE(a_stalled_destination_drops_and_counts_lines_instead_of_blocking_the_caller)
{
    pipe_ends pipe;
    const std::size_t filler_bytes = fill(pipe.write);
    BOOST_TEST_REQUIRE(filler_bytes > 0u);
    std::optional<drain> reader;
    std::vector<std::string> lines;
    std::uint64_t dropped = 0;
    constexpr int burst = 100'000;
    constexpr int after_threads = 4, after_per_thread = 250;
    const std::string padding(100, 'p');
    const std::string long_padding(3 * PIPE_BUF, 'l'); // longer than one atomic pipe write
    {
        log_to guard(pipe.write);
        const std::uint64_t dropped_before = telemetry::log_lines_dropped();

        // On another thread, so that a log() that blocks cannot hang the test: the pipe is
        // drained if the burst does not return in time, which lets a blocking one finish.
        auto calls = std::async(std::launch::async, [&] {
            const auto start = std::chrono::steady_clock::now();
            for (int i = 0; i < burst; ++i)
                telemetry::log(telemetry::log_level::info, "burst", {{"seq", i}, {"pad", padding}});
            return std::chrono::steady_clock::now() - start;
        });
        const bool returned = calls.wait_for(20s) == std::future_status::ready;
        BOOST_TEST(returned, "100000 log calls did not return while the destination was stalled");
        if (!returned)
            reader.emplace(pipe.read);
        const double elapsed_ms = std::chrono::duration<double, std::milli>(calls.get()).count();
        BOOST_TEST_MESSAGE(burst << " log calls against a stalled pipe took " << elapsed_ms << " ms");

        dropped = telemetry::log_lines_dropped() - dropped_before;
        BOOST_TEST(dropped > 0u);
        BOOST_TEST(dropped < static_cast<std::uint64_t>(burst));
        if (!reader) // the destination is stalled: a flush gives up, it does not hang
            BOOST_TEST(!telemetry::flush_logs(100ms));

        // The count is what /metrics exposes.
        telemetry::registry metrics;
        std::string exposition;
        metrics.write_prometheus(exposition);
        BOOST_TEST(exposition.find("# TYPE invitegw_log_lines_dropped_total counter\n") != std::string::npos);
        const std::string sample = "\ninvitegw_log_lines_dropped_total " +
                                   std::to_string(telemetry::log_lines_dropped()) + "\n";
        BOOST_TEST(exposition.find(sample) != std::string::npos, exposition);

        // Someone reads again: what was queued is written, then lines logged from several
        // threads at once, one of them longer than a pipe writes atomically, arrive whole.
        if (!reader)
            reader.emplace(pipe.read);
        BOOST_TEST_REQUIRE(telemetry::flush_logs(20s));
        std::vector<std::thread> threads;
        for (int t = 0; t < after_threads; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < after_per_thread; ++i)
                    telemetry::log(telemetry::log_level::info, "after",
                                   {{"thread", t}, {"seq", i}, {"pad", i == 100 ? long_padding : padding}});
            });
        for (auto& thread : threads)
            thread.join();
    } // back to stderr, after writing everything to the pipe
    pipe.close_write();
    const std::string text = reader->text();

    BOOST_TEST_REQUIRE(text.size() > filler_bytes);
    BOOST_TEST(text.back() == '\n');
    dom::parser parser;
    std::uint64_t burst_lines = 0;
    int last_burst_seq = -1;
    std::vector<int> next_after(after_threads, 0);
    std::size_t at = 0, fillers = 0;
    while (at < text.size()) {
        const std::size_t end = text.find('\n', at);
        BOOST_TEST_REQUIRE(end != std::string::npos, "a line without its end: " << text.substr(at, 200));
        const std::string line = text.substr(at, end - at);
        at = end + 1;
        if (line == "filler") {
            ++fillers;
            continue;
        }
        BOOST_TEST_CONTEXT(line.substr(0, 200))
        {
            dom::object o;
            BOOST_TEST_REQUIRE(!parser.parse(line).get_object().get(o), "not a whole JSON line");
            std::string_view event, pad;
            std::int64_t seq = -1;
            BOOST_TEST_REQUIRE(!o["event"].get_string().get(event));
            BOOST_TEST_REQUIRE(!o["seq"].get_int64().get(seq));
            BOOST_TEST_REQUIRE(!o["pad"].get_string().get(pad));
            if (event == "burst") {
                BOOST_TEST(fillers * 7 == filler_bytes, "a log line inside the filler");
                BOOST_TEST(seq > last_burst_seq, "burst lines out of order");
                BOOST_TEST(pad == padding);
                last_burst_seq = static_cast<int>(seq);
                ++burst_lines;
            } else {
                BOOST_TEST_REQUIRE(event == "after");
                std::int64_t thread = -1;
                BOOST_TEST_REQUIRE(!o["thread"].get_int64().get(thread));
                BOOST_TEST_REQUIRE((thread >= 0 && thread < after_threads));
                BOOST_TEST(seq == next_after[thread], "lines of one thread out of order or missing");
                BOOST_TEST(pad == (seq == 100 ? long_padding : padding));
                next_after[thread] = static_cast<int>(seq) + 1;
            }
        }
    }
    BOOST_TEST(fillers * 7 == filler_bytes);
    // Every call was either written or counted as dropped.
    BOOST_TEST(burst_lines + dropped == static_cast<std::uint64_t>(burst));
    for (int t = 0; t < after_threads; ++t)
        BOOST_TEST(next_after[t] == after_per_thread, "thread " << t);
}

BOOST_AUTO_TEST_CASE(a_flush_returns_once_every_line_logged_before_it_is_written)
{
    char name[] = "/tmp/igw-log-XXXXXX";
    const int fd = ::mkstemp(name);
    BOOST_TEST_REQUIRE(fd >= 0);
    ::unlink(name);
    {
        log_to guard(fd);
        for (int i = 0; i < 5000; ++i)
            telemetry::log(telemetry::log_level::info, "line", {{"seq", i}});
        BOOST_TEST_REQUIRE(telemetry::flush_logs(20s));
        // Straight from the file: no line may still be waiting in the queue.
        const off_t size = ::lseek(fd, 0, SEEK_END);
        std::string text(static_cast<std::size_t>(size), '\0');
        BOOST_TEST_REQUIRE(::pread(fd, text.data(), text.size(), 0) == size);
        std::size_t lines = 0;
        for (char c : text)
            lines += c == '\n';
        BOOST_TEST(lines == 5000u);
        BOOST_TEST(text.find("\"seq\":4999}") != std::string::npos);
    }
    ::close(fd);
}

BOOST_AUTO_TEST_CASE(a_destination_that_fails_counts_its_lines_as_dropped)
{
    pipe_ends pipe;
    ::close(pipe.read); // nobody will ever read: writes fail with EPIPE, and must not end the process
    pipe.read = -1;
    std::uint64_t before = 0;
    {
        log_to guard(pipe.write);
        before = telemetry::log_lines_dropped();
        for (int i = 0; i < 10; ++i)
            telemetry::log(telemetry::log_level::info, "lost", {{"seq", i}});
        BOOST_TEST_REQUIRE(telemetry::flush_logs(20s));
        BOOST_TEST(telemetry::log_lines_dropped() - before == 10u);
    }
}

BOOST_AUTO_TEST_SUITE_END()
