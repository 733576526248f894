#include "gateway/telemetry/log.hpp"

#include "gateway/json/writer.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace igw::telemetry {
namespace {

log_settings settings_;

void append_timestamp(std::string& out)
{
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
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

void configure_logging(const log_settings& settings) { settings_ = settings; }
const log_settings& logging() noexcept { return settings_; }

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
    const char* data = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        const ssize_t n = ::write(settings_.fd, data, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; // nowhere to report a failing log destination
        data += n;
        left -= static_cast<std::size_t>(n);
    }
}

} // namespace igw::telemetry
