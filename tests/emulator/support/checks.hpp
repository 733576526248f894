#pragma once
// Boost.Test checks shared by the emulator's tests.

#include "tests/emulator/support/fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <ctime>
#include <optional>
#include <regex>

namespace igw::emulator::testing {

// Sends `request` to `v` and checks that it is refused with `status`, in the vendor's error
// shape, labelled as JSON. Returns the vendor's error message.
inline std::string expect_refused(const server& s, vendor v, const test_request& request, unsigned status)
{
    const test_response response = send_once(s, v, request);
    BOOST_TEST_REQUIRE(response.ok(), response.error);
    BOOST_TEST(response.status == status, "status " << response.status << " body " << response.body);
    BOOST_TEST(response.header("Content-Type").value_or("") == "application/json");
    const std::string message = error_message(v, response.body);
    BOOST_TEST(!message.empty(), "not the vendor's error shape: " << response.body);
    return message;
}

inline test_response expect_accepted(const server& s, vendor v, const test_request& request)
{
    test_response response = send_once(s, v, request);
    BOOST_TEST_REQUIRE(response.ok(), response.error);
    BOOST_TEST_REQUIRE(response.status == 200u, "status " << response.status << " body " << response.body);
    BOOST_TEST(response.header("Content-Type").value_or("") == "application/json");
    return response;
}

// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS[.fraction]Z" when `text` has exactly
// `fraction_digits` fraction digits (0: none).
inline std::optional<std::time_t> utc_seconds(const std::string& text, int fraction_digits)
{
    const std::string fraction = fraction_digits ? "\\.\\d{" + std::to_string(fraction_digits) + "}" : "";
    if (!std::regex_match(text, std::regex("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}" + fraction + "Z")))
        return std::nullopt;
    std::tm utc{};
    if (!strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &utc))
        return std::nullopt;
    return timegm(&utc);
}

} // namespace igw::emulator::testing
