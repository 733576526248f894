#pragma once
// Structured logs: one line per event, JSON by default (`--log-format text` for
// humans). Callers pass typed fields; no email address, key or secret is ever a
// field (lines carry counts, names and ids instead).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace igw::telemetry {

enum class log_level : std::uint8_t { debug, info, warn, error };
enum class log_format : std::uint8_t { json, text };

struct log_field {
    std::string_view key;
    std::variant<std::string_view, std::int64_t, double, bool> value;

    log_field(std::string_view k, std::string_view v) : key(k), value(v) {}
    log_field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
    log_field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
    log_field(std::string_view k, std::int64_t v) : key(k), value(v) {}
    log_field(std::string_view k, int v) : key(k), value(std::int64_t{v}) {}
    log_field(std::string_view k, unsigned v) : key(k), value(std::int64_t{v}) {}
    log_field(std::string_view k, std::size_t v) : key(k), value(static_cast<std::int64_t>(v)) {}
    log_field(std::string_view k, double v) : key(k), value(v) {}
    log_field(std::string_view k, bool v) : key(k), value(v) {}
};

std::string_view to_string(log_level level) noexcept;
bool parse_log_level(std::string_view text, log_level& level) noexcept;

// Process-wide settings, set once at start-up before worker threads run.
struct log_settings {
    log_level level = log_level::info;
    log_format format = log_format::json;
    int fd = 2; // stderr
};
// Writes the lines logged so far to the old destination first (see flush_logs()).
void configure_logging(const log_settings& settings);
const log_settings& logging() noexcept;

inline bool log_enabled(log_level level) noexcept { return level >= logging().level; }

// Formats one line on the calling thread and queues it for the one writer thread, so a
// destination that stalls (a pipe nobody reads, a slow disk) never holds up an event
// loop. A line that would take the queue past log_queue_bytes is dropped and counted
// instead (besides the queue, the writer holds the batch it is writing). The writer
// takes the whole queue at once and writes it in pieces of whole lines, each at most
// PIPE_BUF bytes unless one line is longer: log lines never interleave with each other,
// and on a pipe a piece is never split by another writer's output (std::cerr).
void log(log_level level, std::string_view event, std::initializer_list<log_field> fields);

inline constexpr std::size_t log_queue_bytes = 1 << 20;

// Lines dropped because the queue was full or the destination failed
// (invitegw_log_lines_dropped_total).
std::uint64_t log_lines_dropped();

// Waits until every line logged before the call is written (or dropped by a failing
// destination), at most `timeout`; false when the destination is still stalled then.
// Called before the process stops; an exit() also waits for it, up to 2 s.
bool flush_logs(std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Formats one line (without writing it); used by log() and by tests.
void format_log_line(std::string& out, log_format format, log_level level, std::string_view event,
                     std::initializer_list<log_field> fields);

} // namespace igw::telemetry
