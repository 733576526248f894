#include "gateway/telemetry/log.hpp"

#include "gateway/json/writer.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <thread>

namespace igw::telemetry {
namespace {

log_settings settings_;

// How long the writer gathers lines once woken, and how much it writes without waiting
// longer: a line reaches the log at most this late, and a burst goes out in large writes.
constexpr std::chrono::milliseconds gather_time{2};
constexpr std::size_t gather_bytes = 64 * 1024;

// Whole lines, from any thread, to the one thread that writes them.
class log_writer {
public:
    log_writer() : fd_(settings_.fd), thread_([this] { run(); })
    {
        // Lines queued when main returns (or exit() is called) still reach the log, unless
        // the destination stays stalled.
        std::atexit([] { flush_logs(std::chrono::seconds(2)); });
    }

    // The caller's thread: a copy under a lock held for no I/O; never waits for the writer.
    void push(std::string_view line)
    {
        std::unique_lock lock(mutex_);
        if (pending_.size() + line.size() > log_queue_bytes) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        pending_.append(line);
        ++pending_lines_;
        ++queued_;
        if (writer_idle_) {
            writer_idle_ = false;
            lock.unlock();
            wake_.notify_one();
        }
    }

    bool flush(std::chrono::milliseconds timeout)
    {
        std::unique_lock lock(mutex_);
        const std::uint64_t target = queued_;
        ++flushing_; // the writer stops gathering: what is queued goes now
        lock.unlock();
        wake_.notify_one();
        lock.lock();
        const bool done = done_.wait_for(lock, timeout, [&] { return written_ >= target; });
        --flushing_;
        return done;
    }

    void set_fd(int fd)
    {
        std::lock_guard lock(mutex_);
        fd_ = fd;
    }

    std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

private:
    void run()
    {
        // A destination whose reader went away (`invitegw serve | head`) fails with EPIPE
        // and counts drops; the signal would end the process.
        sigset_t pipe_signal;
        sigemptyset(&pipe_signal);
        sigaddset(&pipe_signal, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
        std::string batch;
        for (;;) {
            int fd = -1;
            std::uint64_t lines = 0;
            {
                std::unique_lock lock(mutex_);
                while (pending_.empty()) {
                    writer_idle_ = true;
                    wake_.wait(lock);
                }
                writer_idle_ = false;
                // Gather for a moment before writing: one wake-up and one write per
                // gather_time of lines instead of one per line. Where the writer shares a
                // core with the workers (a pinned or one-core gateway), each wake-up
                // was a pair of context switches on the request path (benchmarks/run:
                // gateway-shipped against gateway-1x1).
                wake_.wait_for(lock, gather_time, [&] { return pending_.size() >= gather_bytes || flushing_ > 0; });
                batch.swap(pending_); // both keep their capacity: no allocation per line
                lines = pending_lines_;
                pending_lines_ = 0;
                fd = fd_;
            }
            const std::uint64_t lost = write_lines(fd, batch);
            batch.clear();
            if (lost > 0)
                dropped_.fetch_add(lost, std::memory_order_relaxed);
            {
                std::lock_guard lock(mutex_);
                written_ += lines;
            }
            done_.notify_all();
        }
    }

    // Writes `data` (whole lines) in pieces of whole lines of at most PIPE_BUF bytes,
    // which a pipe writes atomically: another writer of the same pipe (a message on
    // std::cerr) never lands inside a line. Returns the lines it could not write.
    static std::uint64_t write_lines(int fd, std::string_view data)
    {
        while (!data.empty()) {
            std::size_t size = data.size();
            if (size > PIPE_BUF) {
                std::size_t end = data.rfind('\n', PIPE_BUF - 1);
                if (end == std::string_view::npos)
                    end = data.find('\n'); // a longer line goes alone
                size = end == std::string_view::npos ? data.size() : end + 1;
            }
            std::string_view piece = data.substr(0, size);
            while (!piece.empty()) {
                const ssize_t n = ::write(fd, piece.data(), piece.size());
                if (n > 0) {
                    piece.remove_prefix(static_cast<std::size_t>(n));
                    continue;
                }
                if (n < 0 && errno == EINTR)
                    continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                    // A non-blocking destination: wait for room here, on the writer's thread.
                    pollfd p{fd, POLLOUT, 0};
                    ::poll(&p, 1, 1000);
                    continue;
                }
                // Nowhere to report a failing destination but the drop count.
                return static_cast<std::uint64_t>(std::count(data.begin(), data.end(), '\n'));
            }
            data.remove_prefix(size);
        }
        return 0;
    }

    std::mutex mutex_;
    std::condition_variable wake_; // lines to write
    std::condition_variable done_; // lines written
    std::string pending_;
    std::uint64_t pending_lines_ = 0;
    std::uint64_t queued_ = 0;  // lines accepted, ever
    std::uint64_t written_ = 0; // of those, lines the writer is done with
    bool writer_idle_ = false;
    unsigned flushing_ = 0; // callers waiting in flush()
    int fd_;
    std::atomic<std::uint64_t> dropped_{0};
    std::thread thread_;
};

// Never destroyed: a line logged from a static destructor, or the exit-time flush, must
// still find it (and its thread) alive.
log_writer& writer()
{
    static log_writer* instance = new log_writer;
    return *instance;
}

void append_timestamp(std::string& out)
{
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    out.append(text, n);
    std::snprintf(text, sizeof text, ".%03dZ", static_cast<int>(millis));
    out.append(text);
}

bool needs_quotes(std::string_view text)
{
    if (text.empty())
        return true;
    for (char c : text)
        if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20)
            return true;
    return false;
}

} // namespace

std::string_view to_string(log_level level) noexcept
{
    switch (level) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
    }
    return "info";
}

bool parse_log_level(std::string_view text, log_level& level) noexcept
{
    for (auto candidate : {log_level::debug, log_level::info, log_level::warn, log_level::error})
        if (text == to_string(candidate)) {
            level = candidate;
            return true;
        }
    return false;
}

void configure_logging(const log_settings& settings)
{
    log_writer& w = writer();
    // Lines queued for the old destination go there: a caller may close it next.
    w.flush(std::chrono::seconds(5));
    settings_ = settings;
    w.set_fd(settings.fd);
}

const log_settings& logging() noexcept { return settings_; }

std::uint64_t log_lines_dropped() { return writer().dropped(); }

bool flush_logs(std::chrono::milliseconds timeout) { return writer().flush(timeout); }

void format_log_line(std::string& out, log_format format, log_level level, std::string_view event,
                     std::initializer_list<log_field> fields)
{
    if (format == log_format::json) {
        json::writer w(out);
        w.begin_object();
        w.key("ts");
        std::string ts;
        append_timestamp(ts);
        w.string(ts);
        w.member("level", to_string(level));
        w.member("event", event);
        for (const auto& field : fields) {
            w.key(field.key);
            std::visit(
                [&](const auto& value) {
                    using type = std::decay_t<decltype(value)>;
                    if constexpr (std::is_same_v<type, std::string_view>)
                        w.string(value);
                    else if constexpr (std::is_same_v<type, bool>)
                        w.boolean(value);
                    else if constexpr (std::is_same_v<type, std::int64_t>)
                        w.integer(value);
                    else
                        w.number(value);
                },
                field.value);
        }
        w.end_object();
    } else {
        append_timestamp(out);
        out.push_back(' ');
        std::string_view name = to_string(level);
        for (char c : name)
            out.push_back(static_cast<char>(c - 'a' + 'A'));
        out.push_back(' ');
        out.append(event);
        for (const auto& field : fields) {
            out.push_back(' ');
            out.append(field.key);
            out.push_back('=');
            std::visit(
                [&](const auto& value) {
                    using type = std::decay_t<decltype(value)>;
                    if constexpr (std::is_same_v<type, std::string_view>) {
                        if (needs_quotes(value)) {
                            out.push_back('"');
                            json::append_escaped(out, value);
                            out.push_back('"');
                        } else {
                            out.append(value);
                        }
                    } else if constexpr (std::is_same_v<type, bool>) {
                        out.append(value ? "true" : "false");
                    } else if constexpr (std::is_same_v<type, std::int64_t>) {
                        out.append(std::to_string(value));
                    } else {
                        char text[32];
                        const int n = std::snprintf(text, sizeof text, "%.3f", value);
                        out.append(text, static_cast<std::size_t>(n));
                    }
                },
                field.value);
        }
    }
    out.push_back('\n');
}

void log(log_level level, std::string_view event, std::initializer_list<log_field> fields)
{
    if (!log_enabled(level))
        return;
    thread_local std::string line;
    line.clear();
    format_log_line(line, settings_.format, level, event, fields);
    writer().push(line);
}

} // namespace igw::telemetry
