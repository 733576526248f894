#include "gateway/mapping/timestamp.hpp"

#include <ostream>

namespace igw::mapping {
namespace {

constexpr std::int64_t seconds_per_day = 86'400;
// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: what four year digits can write.
constexpr std::int64_t earliest_second = -62'167'219'200;
constexpr std::int64_t latest_second = 253'402'300'799;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day)
{
    year -= month <= 2;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const auto year_of_era = static_cast<unsigned>(year - era * 400);
    const unsigned day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146'097 + static_cast<std::int64_t>(day_of_era) - 719'468;
}

struct civil_date {
    std::int64_t year;
    unsigned month, day;
};

civil_date civil_from_days(std::int64_t days)
{
    days += 719'468;
    const std::int64_t era = (days >= 0 ? days : days - 146'096) / 146'097;
    const auto day_of_era = static_cast<unsigned>(days - era * 146'097);
    const unsigned year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
    const unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const unsigned mp = (5 * day_of_year + 2) / 153;
    const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
    const unsigned month = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2), month, day};
}

bool leap_year(std::int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned days_in_month(std::int64_t year, unsigned month)
{
    static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && leap_year(year) ? 29 : days[month - 1];
}

void append_digits(timestamp_text& out, std::int64_t value, int width)
{
    char buffer[8];
    for (int i = width - 1; i >= 0; --i) {
        buffer[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    out.append(std::string_view(buffer, static_cast<std::size_t>(width)));
}

// Everything but the fraction and the `Z`.
void append_date_time(std::int64_t seconds, timestamp_text& out)
{
    std::int64_t days = seconds / seconds_per_day;
    std::int64_t in_day = seconds % seconds_per_day;
    if (in_day < 0) {
        in_day += seconds_per_day;
        --days;
    }
    const civil_date date = civil_from_days(days);
    append_digits(out, date.year, 4);
    out.push_back('-');
    append_digits(out, date.month, 2);
    out.push_back('-');
    append_digits(out, date.day, 2);
    out.push_back('T');
    append_digits(out, in_day / 3600, 2);
    out.push_back(':');
    append_digits(out, in_day / 60 % 60, 2);
    out.push_back(':');
    append_digits(out, in_day % 60, 2);
}

// `count` digits at `text[at]`, as a number; false unless all are digits.
bool read_number(std::string_view text, std::size_t at, std::size_t count, unsigned& value)
{
    if (at + count > text.size())
        return false;
    value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        value = value * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return true;
}

} // namespace

bool append_rfc3339_from_unix_seconds(std::int64_t seconds, timestamp_text& out)
{
    if (seconds < earliest_second || seconds > latest_second)
        return false;
    append_date_time(seconds, out);
    out.push_back('Z');
    return true;
}

bool append_rfc3339_from_unix_millis(std::int64_t millis, timestamp_text& out)
{
    std::int64_t seconds = millis / 1000;
    std::int64_t fraction = millis % 1000;
    if (fraction < 0) {
        fraction += 1000;
        --seconds;
    }
    if (seconds < earliest_second || seconds > latest_second)
        return false;
    append_date_time(seconds, out);
    if (fraction != 0) {
        out.push_back('.');
        append_digits(out, fraction, 3);
    }
    out.push_back('Z');
    return true;
}

bool append_normalised_rfc3339(std::string_view text, timestamp_text& out)
{
    // date-time = full-date "T" partial-time time-offset (RFC 3339 section 5.6)
    unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!read_number(text, 0, 4, year) || text.size() < 20 || text[4] != '-' || !read_number(text, 5, 2, month) ||
        text[7] != '-' || !read_number(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't') ||
        !read_number(text, 11, 2, hour) || text[13] != ':' || !read_number(text, 14, 2, minute) || text[16] != ':' ||
        !read_number(text, 17, 2, second))
        return false;
    // A leap second (:60) is allowed by RFC 3339; in UTC it reads as the next second's start.
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
        second > 60)
        return false;
    std::size_t at = 19;
    std::string_view fraction;
    if (text[at] == '.') {
        const std::size_t begin = ++at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9')
            ++at;
        if (at == begin)
            return false;
        fraction = text.substr(begin, at - begin);
    }
    std::int64_t offset = 0;
    if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
        ++at;
    } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
        unsigned offset_hours = 0, offset_minutes = 0;
        if (!read_number(text, at + 1, 2, offset_hours) || at + 3 >= text.size() || text[at + 3] != ':' ||
            !read_number(text, at + 4, 2, offset_minutes) || offset_hours > 23 || offset_minutes > 59)
            return false;
        offset = (text[at] == '-' ? -1 : 1) * static_cast<std::int64_t>(offset_hours * 3600 + offset_minutes * 60);
        at += 6;
    } else {
        return false;
    }
    if (at != text.size())
        return false;
    const std::int64_t utc = days_from_civil(year, month, day) * seconds_per_day + hour * 3600 + minute * 60 + second -
                             offset;
    if (utc < earliest_second || utc > latest_second)
        return false;
    append_date_time(utc, out);
    if (!fraction.empty()) {
        out.push_back('.');
        out.append(fraction.substr(0, timestamp_text::max_fraction_digits));
    }
    out.push_back('Z');
    return true;
}

std::ostream& operator<<(std::ostream& out, const timestamp_text& text) { return out << text.view(); }

} // namespace igw::mapping
