#include "tests/canonical/support/parser_fixture.hpp"

namespace igw::canonical::testing {

std::string escaped(std::string_view text)
{
    std::string out;
    for (char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out;
}

namespace {

template <class Errors>
std::string problem_text(std::string_view type, std::string_view title, unsigned status, std::string_view detail,
                         const Errors& errors)
{
    std::string out = "{\"type\":\"" + std::string(type) + "\",\"title\":\"" + std::string(title) +
                      "\",\"status\":" + std::to_string(status) + ",\"detail\":\"" + escaped(detail) + "\"";
    if (errors.size() > 0) {
        out += ",\"errors\":[";
        bool first = true;
        for (const expected_error& error : errors) {
            if (!first)
                out += ',';
            first = false;
            out += "{\"pointer\":\"" + escaped(error.pointer) + "\",\"detail\":\"" + escaped(error.detail) + "\"}";
        }
        out += ']';
    }
    out += '}';
    return out;
}

} // namespace

std::string expected_problem(std::string_view type, std::string_view title, unsigned status, std::string_view detail,
                             std::initializer_list<expected_error> errors)
{
    return problem_text(type, title, status, detail, errors);
}

std::string expected_invalid(std::size_t total, const std::vector<expected_error>& errors)
{
    const std::string detail = std::to_string(total) + (total == 1 ? " problem" : " problems") + " in the request";
    return problem_text("/problems/invalid-request", "Invalid request", 422, detail, errors);
}

std::string expected_invalid(std::initializer_list<expected_error> errors)
{
    return expected_invalid(errors.size(), std::vector<expected_error>(errors));
}

std::string expected_malformed(std::string_view detail)
{
    return expected_problem("/problems/malformed-json", "Malformed JSON", 400, detail, {{"", detail}});
}

std::string parser_fixture::problem_json(std::string body)
{
    auto result = parser.parse(body, context);
    const problem* p = std::get_if<problem>(&result);
    BOOST_REQUIRE_MESSAGE(p != nullptr, "expected a problem, the request was accepted");
    std::string out;
    p->write_json(out);
    return out;
}

invite_request parser_fixture::accepted(std::string body)
{
    auto result = parser.parse(body, context);
    if (const problem* p = std::get_if<problem>(&result)) {
        std::string text;
        p->write_json(text);
        BOOST_FAIL("expected the request to be accepted, got " << text);
    }
    return std::get<invite_request>(std::move(result));
}

} // namespace igw::canonical::testing
