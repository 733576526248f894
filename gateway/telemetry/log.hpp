#pragma once
// Structured logs: one line per event, JSON by default (`--log-format text` for
// humans). Callers pass typed fields; no email address, key or secret is ever a
// field (log counts, hashes or domains instead).

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
void configure_logging(const log_settings& settings);
const log_settings& logging() noexcept;

inline bool log_enabled(log_level level) noexcept { return level >= logging().level; }

// Writes one line with one write(2), so lines from several threads never interleave.
void log(log_level level, std::string_view event, std::initializer_list<log_field> fields);

// Formats one line (without writing it); used by log() and by tests.
void format_log_line(std::string& out, log_format format, log_level level, std::string_view event,
                     std::initializer_list<log_field> fields);

} // namespace igw::telemetry
