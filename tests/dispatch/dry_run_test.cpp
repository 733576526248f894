// The dry run: what operators read to check a mapping, so it shows every call as it
// would be sent except the secrets.

#include "gateway/dispatch/dry_run.hpp"

#include "tests/dispatch/support/small_config.hpp"

#include <boost/test/unit_test.hpp>
#include <simdjson.h>

#include <string>

namespace dispatch = igw::dispatch;
namespace mapping = igw::mapping;
using namespace igw::dispatch::test;

BOOST_AUTO_TEST_SUITE(dry_run)

BOOST_AUTO_TEST_CASE(shows_every_call_with_secrets_redacted_and_the_results_that_need_no_call)
{
    const small_config config;
    const auto request = make_request({{"ann@example.com", "admin"}, {"ben@example.com", "developer"}});
    mapping::dispatch_plan plan;
    mapping::render_calls(request, config.route(), config.get().config.roles, plan);
    std::string out;
    dispatch::write_dry_run("req-7", request, config.route(), plan, out);

    // No secret, however it is spelled in a header, is written out.
    BOOST_TEST(out.find(anthropic_key) == std::string::npos, out);
    BOOST_TEST(out.find(gorules_token) == std::string::npos, out);

    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    BOOST_TEST_REQUIRE(!parser.parse(out).get(doc), out);
    BOOST_TEST(std::string_view(doc["request_id"]) == "req-7");
    BOOST_TEST(bool(doc["dry_run"]) == true);

    simdjson::dom::array calls = doc["calls"];
    BOOST_TEST_REQUIRE(calls.size() == plan.calls.size());
    // anthropic gets only the developer (admin is unsupported there); gorules gets both.
    BOOST_TEST_REQUIRE(plan.calls.size() == 2u);
    std::size_t index = 0;
    bool redacted_seen = false;
    for (simdjson::dom::element call : calls) {
        const mapping::upstream_call& planned = plan.calls[index++];
        BOOST_TEST(std::string_view(call["target"]) == planned.target->name);
        BOOST_TEST(std::string_view(call["method"]) == planned.target->method);
        BOOST_TEST(std::string_view(call["url"]) == planned.target->url());
        BOOST_TEST(std::string_view(call["headers"]["Host"]) == planned.target->host_header);
        for (const auto& header : planned.target->headers) {
            const std::string_view shown = call["headers"][header.name];
            if (header.secret) {
                BOOST_TEST(shown == "<redacted>");
                redacted_seen = true;
            } else {
                BOOST_TEST(shown == header.value);
            }
        }
        // The body byte for byte, as a string.
        BOOST_TEST(std::string_view(call["body"]) == plan.body_of(planned));
        simdjson::dom::array invitations = call["invitations"];
        BOOST_TEST(invitations.size() == plan.items_of(planned).size());
    }
    BOOST_TEST(redacted_seen); // both targets authenticate through a secret header

    simdjson::dom::array results = doc["results"];
    BOOST_TEST_REQUIRE(results.size() == 1u);
    simdjson::dom::element immediate = results.at(0);
    BOOST_TEST(int64_t(immediate["index"]) == 0);
    BOOST_TEST(std::string_view(immediate["email"]) == "ann@example.com");
    BOOST_TEST(std::string_view(immediate["target"]) == "anthropic");
    BOOST_TEST(std::string_view(immediate["status"]) == "failed");
    BOOST_TEST(std::string_view(immediate["error"]["code"]) == "role_not_supported");
}

BOOST_AUTO_TEST_CASE(an_empty_request_id_is_left_out)
{
    const small_config config;
    const auto request = make_request({{"ann@example.com", "developer"}});
    mapping::dispatch_plan plan;
    mapping::render_calls(request, config.route(), config.get().config.roles, plan);
    std::string out;
    dispatch::write_dry_run("", request, config.route(), plan, out);
    BOOST_TEST(out.find("request_id") == std::string::npos, out);
    BOOST_TEST(out.starts_with(R"({"dry_run":true,"calls":[)"), out);
}

BOOST_AUTO_TEST_SUITE_END()
