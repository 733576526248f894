#pragma once
// `at` as an IMF-fixdate (RFC 9110 §5.6.7), the form servers send in Retry-After: for the
// tests of its parser and of the retries it drives.

#include <chrono>
#include <ctime>
#include <string>

namespace igw::test {

inline std::string imf_fixdate(std::chrono::system_clock::time_point at)
{
    const std::time_t t = std::chrono::system_clock::to_time_t(at);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char text[64];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return text;
}

} // namespace igw::test
