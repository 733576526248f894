#include "gateway/dispatch/retry_after.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace igw::dispatch {
namespace {

namespace chrono = std::chrono;

constexpr std::array<std::string_view, 7> short_days{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> long_days{"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                    "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads an HTTP-date left to right; every step fails without consuming on a mismatch.
// The grammar is case-sensitive (RFC 9110 §5.6.7).
class cursor {
public:
    explicit cursor(std::string_view text) : text_(text) {}

    bool literal(std::string_view expected)
    {
        if (!text_.starts_with(expected))
            return false;
        text_.remove_prefix(expected.size());
        return true;
    }

    bool digits(std::size_t count, int& value)
    {
        if (text_.size() < count)
            return false;
        int n = 0;
        for (std::size_t i = 0; i < count; ++i) {
            if (!is_digit(text_[i]))
                return false;
            n = n * 10 + (text_[i] - '0');
        }
        value = n;
        text_.remove_prefix(count);
        return true;
    }

    template <std::size_t N>
    bool name(const std::array<std::string_view, N>& names, int* index = nullptr)
    {
        for (std::size_t i = 0; i < N; ++i)
            if (literal(names[i])) {
                if (index)
                    *index = static_cast<int>(i);
                return true;
            }
        return false;
    }

    // hour ":" minute ":" second; 60 seconds is a leap second.
    bool time_of_day(chrono::seconds& since_midnight)
    {
        int h = 0, m = 0, s = 0;
        if (!digits(2, h) || !literal(":") || !digits(2, m) || !literal(":") || !digits(2, s) || h > 23 || m > 59 ||
            s > 60)
            return false;
        since_midnight = chrono::hours(h) + chrono::minutes(m) + chrono::seconds(s);
        return true;
    }

    bool done() const { return text_.empty(); }

private:
    std::string_view text_;
};

struct date_parts {
    int year = 0, month = 0, day = 0; // month 0-based
    chrono::seconds time{0};
};

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
bool imf_fixdate(std::string_view text, date_parts& d)
{
    cursor c(text);
    return c.name(short_days) && c.literal(", ") && c.digits(2, d.day) && c.literal(" ") && c.name(months, &d.month) &&
           c.literal(" ") && c.digits(4, d.year) && c.literal(" ") && c.time_of_day(d.time) && c.literal(" GMT") &&
           c.done();
}

// RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". The two-digit year is the one in this or
// the last century that is not more than 50 years ahead (RFC 9110 §5.6.7).
bool rfc850_date(std::string_view text, chrono::year this_year, date_parts& d)
{
    cursor c(text);
    int yy = 0;
    if (!(c.name(long_days) && c.literal(", ") && c.digits(2, d.day) && c.literal("-") && c.name(months, &d.month) &&
          c.literal("-") && c.digits(2, yy) && c.literal(" ") && c.time_of_day(d.time) && c.literal(" GMT") &&
          c.done()))
        return false;
    const int now = static_cast<int>(this_year);
    d.year = now - now % 100 + yy;
    if (d.year > now + 50)
        d.year -= 100;
    return true;
}

// asctime: "Sun Nov  6 08:49:37 1994" (a day below 10 is padded with a space).
bool asctime_date(std::string_view text, date_parts& d)
{
    cursor c(text);
    return c.name(short_days) && c.literal(" ") && c.name(months, &d.month) && c.literal(" ") &&
           (c.digits(2, d.day) || (c.literal(" ") && c.digits(1, d.day))) && c.literal(" ") && c.time_of_day(d.time) &&
           c.literal(" ") && c.digits(4, d.year) && c.done();
}

std::string_view trim_ows(std::string_view value)
{
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
    return value;
}

} // namespace

std::optional<chrono::seconds> parse_retry_after(std::string_view value, chrono::system_clock::time_point now)
{
    value = trim_ows(value);
    if (value.empty())
        return std::nullopt;

    if (is_digit(value.front())) {
        // delay-seconds = 1*DIGIT. Ten digits already pass max_retry_after.
        std::int64_t seconds = 0;
        for (char c : value) {
            if (!is_digit(c))
                return std::nullopt;
            if (seconds <= max_retry_after.count())
                seconds = seconds * 10 + (c - '0');
        }
        return chrono::seconds(std::min(seconds, static_cast<std::int64_t>(max_retry_after.count())));
    }

    const auto today = chrono::floor<chrono::days>(now);
    date_parts d;
    if (!imf_fixdate(value, d) && !rfc850_date(value, chrono::year_month_day(today).year(), d) &&
        !asctime_date(value, d))
        return std::nullopt;
    const chrono::year_month_day date{chrono::year(d.year), chrono::month(static_cast<unsigned>(d.month + 1)),
                                      chrono::day(static_cast<unsigned>(d.day))};
    if (!date.ok())
        return std::nullopt; // "31 Feb"
    const auto at = chrono::sys_days(date) + d.time;
    if (at <= now)
        return chrono::seconds(0);
    return std::min(chrono::ceil<chrono::seconds>(at - now), max_retry_after);
}

} // namespace igw::dispatch
