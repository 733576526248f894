#include "gateway/config/env.hpp"

#include "tests/config/support/config_files.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

using igw::config::substitute_variables;
using igw::config::test::map_env;

namespace {

const std::map<std::string, std::string> vars = {
    {"HOST", "api.example.com"},        {"EMPTY", ""},      {"TENANT", "acme"},
    {"URL", "https://set.example.com"}, {"_under_9", "u9"},
};

std::string value_of(std::string_view text)
{
    const auto result = substitute_variables(text, map_env(vars));
    BOOST_TEST(result.error == "", "substituting " << text);
    return result.value;
}

std::string error_of(std::string_view text)
{
    const auto result = substitute_variables(text, map_env(vars));
    BOOST_TEST(result.error != "", "substituting " << text << " should fail");
    return result.error;
}

} // namespace

BOOST_AUTO_TEST_SUITE(env_substitution)

BOOST_AUTO_TEST_CASE(text_without_variables_is_unchanged)
{
    BOOST_TEST(value_of("") == "");
    BOOST_TEST(value_of("plain text") == "plain text");
    BOOST_TEST(value_of("cost: $5, $HOST, {braces}") == "cost: $5, $HOST, {braces}");
    BOOST_TEST(value_of("trailing $") == "trailing $");
}

BOOST_AUTO_TEST_CASE(replaces_variables)
{
    BOOST_TEST(value_of("${HOST}") == "api.example.com");
    BOOST_TEST(value_of("https://${HOST}/v1") == "https://api.example.com/v1");
    BOOST_TEST(value_of("${TENANT}-${HOST}") == "acme-api.example.com");
    BOOST_TEST(value_of("${_under_9}") == "u9");
    // Set but empty, without a default: the empty value is used.
    BOOST_TEST(value_of("[${EMPTY}]") == "[]");
}

BOOST_AUTO_TEST_CASE(defaults_apply_when_unset_or_empty)
{
    BOOST_TEST(value_of("${HOST:-fallback}") == "api.example.com");
    BOOST_TEST(value_of("${MISSING:-fallback}") == "fallback");
    BOOST_TEST(value_of("${EMPTY:-fallback}") == "fallback");
    BOOST_TEST(value_of("${MISSING:-}") == "");
    BOOST_TEST(value_of("${MISSING:-127.0.0.1:8080}") == "127.0.0.1:8080");
    BOOST_TEST(value_of("${MISSING:-a:-b}") == "a:-b");
}

BOOST_AUTO_TEST_CASE(nested_defaults_are_substituted_only_when_used)
{
    BOOST_TEST(value_of("${URL:-https://${TENANT}.example.com}") == "https://set.example.com");
    BOOST_TEST(value_of("${MISSING:-https://${TENANT}.example.com}") == "https://acme.example.com");
    // The inner variable is unset, but the outer one is set: no error.
    BOOST_TEST(value_of("${URL:-https://${NOT_SET}.example.com}") == "https://set.example.com");
    BOOST_TEST(value_of("${MISSING:-${ALSO_MISSING:-deep}}/x") == "deep/x");
    const std::string error = error_of("${MISSING:-https://${NOT_SET}.example.com}");
    BOOST_TEST(error.find("NOT_SET") != std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(double_dollar_writes_a_literal)
{
    BOOST_TEST(value_of("$${HOST}") == "${HOST}");
    BOOST_TEST(value_of("a$${b}c ${TENANT}") == "a${b}c acme");
    BOOST_TEST(value_of("$$HOST") == "$$HOST");
}

BOOST_AUTO_TEST_CASE(an_unset_variable_without_default_is_an_error_naming_it)
{
    BOOST_TEST(error_of("${NOT_SET}") ==
               "environment variable NOT_SET is not set (use ${NOT_SET:-default} for a default)");
    BOOST_TEST(error_of("prefix-${HOST}-${NOT_SET}").find("NOT_SET") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_references_are_errors)
{
    error_of("${HOST");
    error_of("${}");
    error_of("${1ABC}");
    error_of("${A-B}");
    error_of("${HOST:-unclosed");
}

BOOST_AUTO_TEST_CASE(errors_do_not_echo_the_text_around_the_reference)
{
    // The scalar may be a secret written inline; only the variable name may appear.
    for (const char* text :
         {"sk-live-TOPSECRET${", "sk-live-TOPSECRET${TOKEN", "${1x:-TOPSECRET}", "TOPSECRET-${NOT_SET}"}) {
        const auto result = substitute_variables(text, map_env(vars));
        BOOST_TEST(result.error != "", text);
        BOOST_TEST(result.error.find("TOPSECRET") == std::string::npos, result.error);
    }
}

BOOST_AUTO_TEST_CASE(process_environment_reads_the_real_environment)
{
    const auto& env = igw::config::process_environment();
    BOOST_TEST(env("IGW_SURELY_NOT_SET_7f3a").has_value() == false);
    BOOST_REQUIRE(env("PATH").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
