// A sixth vendor described only in YAML (tests/mapping/providers/acme.yaml): rendered
// and its replies mapped by the same engine, with no C++ written for it.

#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/reply_mapper.hpp"

#include "tests/mapping/support/mapping_support.hpp"

#include <boost/test/unit_test.hpp>

#include <simdjson.h>

#include "tests/support/paths.hpp"
#include <string>

namespace mapping = igw::mapping;
using namespace igw::mapping::test;
using mapping::error_code;
using mapping::item_status;

namespace {

const std::string acme_config = ::igw::test::test_data_dir() + "/mapping/acme_gateway.yaml";

env_map acme_env() { return {{"ACME_US_TOKEN", "acme-us-test-token"}, {"ACME_EU_TOKEN", "acme-eu-test-token"}}; }

const std::string request_json = R"({"invitations":[)"
                                 R"({"email":"Boss@Acme.test","role":"admin","ref":"hr-1"},)"
                                 R"({"email":"dev@acme.test","role":"developer"},)"
                                 R"({"email":"pay@acme.test","role":"billing","ref":"hr-\"3\""}],"send_email":false})";

struct acme_fixture {
    std::shared_ptr<const mapping::compiled_config> config = load(acme_config, acme_env());
    igw::canonical::invite_request request = parse_request(*config, request_json);
    mapping::dispatch_plan plan;
    mapping::reply_mapper mapper;

    acme_fixture() { mapping::render_calls(request, config->mappings.routes[0], config->config.roles, plan); }

    std::vector<mapping::item_result> map(std::size_t call, unsigned status, std::string body)
    {
        std::vector<mapping::item_result> out;
        mapper.map_reply(request, plan, plan.calls.at(call), status, body, out);
        BOOST_TEST_REQUIRE(out.size() == 1u);
        return out;
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(acme_vendor, acme_fixture)

BOOST_AUTO_TEST_CASE(renders_as_the_yaml_describes)
{
    check_golden("acme", describe(*config, request_json, plan));

    // acme-us: one call per invitation (max_items 1); acme-eu: only developer is mapped.
    BOOST_TEST_REQUIRE(plan.calls.size() == 4u);
    BOOST_TEST(plan.calls[0].target->url() == "https://api.acme.test/v2/organizations/org_us/invites");
    BOOST_TEST(plan.calls[3].target->url() == "https://eu.acme.test:8443/api/v2/organizations/org%2Feu/invites");
    BOOST_TEST(plan.immediate.size() == 2u);

    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    BOOST_TEST_REQUIRE(!parser.parse(plan.body_of(plan.calls[2])).get(doc));
    BOOST_TEST(std::string(doc["invite"]["address"].get_string().value()) == "pay@acme.test");
    BOOST_TEST(std::string(doc["invite"]["role"].get_string().value()) == "viewer");
    BOOST_TEST(std::string(doc["invite"]["external_id"].get_string().value()) == "hr-\"3\"");
    BOOST_TEST(doc["notify"].get_bool().value() == false);
    BOOST_TEST(int64_t(doc["seat_pool"].get_int64().value()) == 7);
    BOOST_TEST_REQUIRE(!parser.parse(plan.body_of(plan.calls[1])).get(doc));
    BOOST_TEST(doc["invite"]["external_id"].is_null()); // no ref given
}

BOOST_AUTO_TEST_CASE(its_created_reply_is_read_under_data)
{
    const auto out = map(0, 201,
                         R"({"data":{"id":"inv_8f2c","expires":"2025-02-01T00:00:00Z","state":"sent",)"
                         R"("address":"boss@acme.test"},"meta":{"request":"r-1"}})");
    BOOST_TEST(out[0].status == item_status::invited);
    BOOST_TEST(out[0].invitation == 0u);
    BOOST_TEST(out[0].target == 0u);
    BOOST_TEST(out[0].invitation_id == "inv_8f2c");
    BOOST_TEST(out[0].expires_at == "2025-02-01T00:00:00Z");
    BOOST_TEST(out[0].vendor_status == "sent");
    BOOST_TEST(out[0].upstream_status == 201u);
}

BOOST_AUTO_TEST_CASE(its_errors_are_read_from_the_first_error_detail)
{
    auto out = map(1, 422, R"({"errors":[{"detail":"address is already a member"},{"detail":"second"}]})");
    BOOST_TEST(out[0].status == item_status::failed);
    BOOST_TEST(out[0].error == error_code::upstream_rejected);
    BOOST_TEST(out[0].message == "address is already a member");
    out = map(1, 401, R"({"errors":[{"detail":"token expired"}]})");
    BOOST_TEST(out[0].error == error_code::upstream_unauthorized);
    BOOST_TEST(out[0].message == "token expired");
    out = map(1, 400, R"({"errors":[]})");
    BOOST_TEST(out[0].message == "HTTP 400 from target acme-us");
}

BOOST_AUTO_TEST_CASE(only_its_declared_success_status_counts)
{
    // 200 is not what Acme answers on creation: the invite may or may not exist.
    auto out = map(0, 200, R"({"data":{"id":"inv_1"}})");
    BOOST_TEST(out[0].status == item_status::unknown);
    BOOST_TEST(out[0].error == error_code::bad_upstream_response);
    out = map(0, 201, R"({"id":"inv_1"})"); // no /data
    BOOST_TEST(out[0].status == item_status::unknown);
}

BOOST_AUTO_TEST_CASE(its_bindings_are_checked_like_any_vendor)
{
    env_map vars = acme_env();
    vars["ACME_US_POOL"] = "seven";
    const auto errors = load_errors(acme_config, vars);
    BOOST_TEST(errors.size() == 1u, joined(errors));
    BOOST_TEST(has_diagnostic(errors, acme_config + ":", "targets.acme-us.params.seat_pool: must be an integer"),
               joined(errors));
    vars = acme_env();
    vars.erase("ACME_EU_TOKEN");
    BOOST_TEST(!load_errors(acme_config, vars).empty());
}

BOOST_AUTO_TEST_SUITE_END()
