#pragma once
// Shared set-up for the request parser tests: a role list and a route like the
// shipped config's, and helpers that spell out the exact problem+json expected.

#include "gateway/canonical/request_parser.hpp"

#include <boost/test/unit_test.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace igw::canonical::testing {

struct expected_error {
    std::string_view pointer;
    std::string_view detail;
};

// The expected JSON text of a problem, spelled out independently of the JSON writer
// (only '"' and '\\' occur in the messages under test, so that is all it escapes).
std::string escaped(std::string_view text);
std::string expected_problem(std::string_view type, std::string_view title, unsigned status, std::string_view detail,
                             std::initializer_list<expected_error> errors);
std::string expected_invalid(std::initializer_list<expected_error> errors);
std::string expected_invalid(std::size_t total, const std::vector<expected_error>& errors);
std::string expected_malformed(std::string_view detail);

struct parser_fixture {
    std::vector<std::string> roles{"admin", "developer", "member", "billing"};
    std::vector<std::string> targets{"alpha", "beta", "gamma", "delta"};
    validation_context context{roles, targets};
    request_parser parser;

    // Parses `body`, requires a problem, returns its JSON text.
    std::string problem_json(std::string body);
    // Parses `body`, requires success.
    invite_request accepted(std::string body);
};

} // namespace igw::canonical::testing
