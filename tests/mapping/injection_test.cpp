// Values from clients and from config can never change the shape of what is sent:
// bodies stay the same JSON structure whatever the strings hold, a path parameter
// stays one path segment, and a secret or parameter that would split a header stops
// the config from loading (without the message giving the secret away).

#include "gateway/canonical/request_parser.hpp"
#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/target_plan.hpp"

#include "tests/mapping/support/mapping_support.hpp"

#include <boost/test/unit_test.hpp>

#include <simdjson.h>

#include <string>

namespace mapping = igw::mapping;
namespace canonical = igw::canonical;
using namespace igw::mapping::test;

namespace {

std::string segment(std::string_view value)
{
    std::string out;
    mapping::append_path_segment(out, value);
    return out;
}

std::vector<std::string> keys(simdjson::dom::object object)
{
    std::vector<std::string> out;
    for (auto [key, value] : object)
        out.emplace_back(key);
    return out;
}

std::vector<std::string> strings(simdjson::dom::array array)
{
    std::vector<std::string> out;
    for (simdjson::dom::element e : array)
        out.emplace_back(e.get_string().value());
    return out;
}

using strings_t = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(injection)

BOOST_AUTO_TEST_CASE(canonical_validation_refuses_such_emails_first)
{
    const auto config = load(shipped_config_path(), golden_env());
    canonical::validation_context context{config->config.roles, config->mappings.routes[0].target_names};
    canonical::request_parser parser;
    // ('}' alone is fine: it is atext in RFC 5322, so the renderer must cope with it.)
    for (std::string email : {R"(a\"b@x.com)", R"(a\\b@x.com)", R"(a\nb@x.com)", R"(a\u0000b@x.com)"}) {
        std::string body = R"({"invitations":[{"email":")" + email + R"(","role":"developer"}]})";
        auto parsed = parser.parse(body, context);
        BOOST_TEST(std::holds_alternative<canonical::problem>(parsed), email);
    }
}

BOOST_AUTO_TEST_CASE(hostile_emails_and_role_values_keep_every_body_s_structure)
{
    env_map vars = golden_env();
    const std::string role = R"(pri_"},{"email":"injected@x.com","user_role_id":"pri_admin0001)";
    vars["WARPSTREAM_ROLE_MEMBER"] = role;
    const auto config = load(shipped_config_path(), vars);

    // Built by hand: canonical validation would refuse every one of these emails.
    canonical::invite_request request;
    const strings_t emails = {
        R"(quote"},{"email":"x@y.com)",
        R"(back\slash\"@x.com)",
        "brace}]}@x.com",
        [] {
            // Control characters and an embedded NUL: the length must come from the array,
            // not strlen (and not a hand count).
            static constexpr char text[] = "ctl\x01\x1f\n\r\t\x7f\0nul@x.com";
            return std::string(text, sizeof text - 1);
        }(),
        "caf\xc3\xa9\xe2\x82\xac@x.com",
    };
    for (const auto& email : emails)
        request.invitations.push_back({email, 2 /* member */, std::nullopt});
    request.targets = {0, 1, 2, 3, 4};
    request.send_email = false;

    mapping::dispatch_plan plan;
    mapping::render_calls(request, config->mappings.routes[0], config->config.roles, plan);
    BOOST_TEST_REQUIRE(plan.calls.size() == 5u + 5u + 1u + 1u + 1u);

    simdjson::dom::parser parser;
    for (const auto& call : plan.calls) {
        const std::string body(plan.body_of(call));
        BOOST_TEST_CONTEXT(call.target->name << ": " << body)
        {
            simdjson::dom::element doc;
            BOOST_TEST_REQUIRE(!parser.parse(body).get(doc));
            const std::string provider = call.target->provider->name;
            const auto items = plan.items_of(call);
            if (provider == "anthropic" || provider == "clickhouse") {
                BOOST_TEST(keys(doc.get_object()) == (strings_t{"email", "role"}), boost::test_tools::per_element());
                BOOST_TEST(std::string(doc["email"].get_string().value()) == emails[items[0]]);
                BOOST_TEST(std::string(doc["role"].get_string().value()) ==
                           (provider == "anthropic" ? "user" : "developer"));
            } else if (provider == "warpstream") {
                BOOST_TEST(keys(doc.get_object()) == strings_t{"invitations"}, boost::test_tools::per_element());
                simdjson::dom::array invitations = doc["invitations"].get_array();
                BOOST_TEST_REQUIRE(invitations.size() == emails.size());
                std::size_t i = 0;
                for (simdjson::dom::element invitation : invitations) {
                    BOOST_TEST(keys(invitation.get_object()) == (strings_t{"email", "user_role_id"}),
                               boost::test_tools::per_element());
                    BOOST_TEST(std::string(invitation["email"].get_string().value()) == emails[i++]);
                    BOOST_TEST(std::string(invitation["user_role_id"].get_string().value()) == role);
                }
            } else if (provider == "gorules") {
                BOOST_TEST(keys(doc.get_object()) == strings_t{"emails"}, boost::test_tools::per_element());
                BOOST_TEST(strings(doc["emails"].get_array()) == emails, boost::test_tools::per_element());
            } else {
                BOOST_TEST(keys(doc.get_object()) == (strings_t{"emails", "org_roles", "type", "send_email"}),
                           boost::test_tools::per_element());
                BOOST_TEST(strings(doc["emails"].get_array()) == emails, boost::test_tools::per_element());
                BOOST_TEST(doc["org_roles"].get_array().size() == 1u);
                BOOST_TEST(int64_t(doc["org_roles"].at(0).get_int64().value()) == 13);
                BOOST_TEST(doc["send_email"].get_bool().value() == false);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(a_path_parameter_is_always_one_segment)
{
    BOOST_TEST(segment("../x") == "..%2Fx");
    BOOST_TEST(segment("a/b?c#d") == "a%2Fb%3Fc%23d");
    BOOST_TEST(segment("..") == "%2E%2E");
    BOOST_TEST(segment(".") == "%2E");
    BOOST_TEST(segment("...") == "...");
    BOOST_TEST(segment("a b%20\r\n") == "a%20b%2520%0D%0A");
    BOOST_TEST(segment("caf\xc3\xa9") == "caf%C3%A9");
    BOOST_TEST(segment("AZaz09-._~") == "AZaz09-._~");
    BOOST_TEST(segment(std::string_view("\0@:;=+", 6)) == "%00%40%3A%3B%3D%2B");

    env_map vars = golden_env();
    vars["CLICKHOUSE_ORG_ID"] = "../../admin?x=1#\r\nHost: evil";
    const auto config = load(shipped_config_path(), vars);
    const auto& clickhouse = config->mappings.targets.at(1);
    BOOST_TEST(clickhouse.target == "/v1/organizations/..%2F..%2Fadmin%3Fx%3D1%23%0D%0AHost%3A%20evil/invitations");
    vars["CLICKHOUSE_ORG_ID"] = "..";
    BOOST_TEST(load(shipped_config_path(), vars)->mappings.targets.at(1).target ==
               "/v1/organizations/%2E%2E/invitations");
}

BOOST_AUTO_TEST_CASE(a_secret_or_parameter_that_would_split_a_header_stops_the_load)
{
    struct variant {
        const char* variable;
        std::string value;
        const char* key; // where the diagnostic points
    };
    const std::string secret = "s3cr3t-VALUE";
    for (const variant& v : {
             variant{"ANTHROPIC_ADMIN_KEY", secret + "\r\nX-Injected: 1", "targets.anthropic.headers.x-api-key"},
             variant{"ANTHROPIC_ADMIN_KEY", secret + "\n", "targets.anthropic.headers.x-api-key"},
             variant{"GORULES_TOKEN", secret + "\rX", "targets.gorules.headers.Authorization"},
             variant{"WARPSTREAM_API_KEY", std::string(1, '\0') + secret,
                     "targets.warpstream.headers.warpstream-api-key"},
             variant{"CLICKHOUSE_KEY_SECRET", secret + "\r\n", "targets.clickhouse.basic_auth.password"},
             variant{"CLICKHOUSE_KEY_ID", "id\n" + secret, "targets.clickhouse.basic_auth.username"},
             variant{"ATOMICWORK_WORKSPACE_ID", "42\r\nX-" + secret + ": 1",
                     "targets.atomicwork.headers.X-Workspace-Id"},
         }) {
        BOOST_TEST_CONTEXT(v.variable)
        {
            env_map vars = golden_env();
            vars[v.variable] = v.value;
            const auto errors = load_errors(shipped_config_path(), vars);
            BOOST_TEST_REQUIRE(errors.size() == 1u, joined(errors));
            BOOST_TEST(errors[0].find(std::string(v.key) + ": ") != std::string::npos, errors[0]);
            BOOST_TEST(errors[0].find("control character") != std::string::npos, errors[0]);
            BOOST_TEST(errors[0].starts_with(shipped_config_path() + ":"), errors[0]);
            BOOST_TEST(errors[0].find(secret) == std::string::npos, errors[0]);
            BOOST_TEST(errors[0].find("X-Injected") == std::string::npos, errors[0]);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
