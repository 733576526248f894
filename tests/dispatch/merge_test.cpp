// The merged reply: one result per (invitation, selected target) in invitation then
// route order, the summary and status code clients branch on, and what a bug that
// loses or doubles a result cannot do to it.

#include "gateway/dispatch/merge.hpp"

#include "tests/dispatch/support/small_config.hpp"

#include <boost/test/unit_test.hpp>
#include <simdjson.h>

#include <string>
#include <vector>

namespace dispatch = igw::dispatch;
namespace mapping = igw::mapping;
using namespace igw::dispatch::test;
using mapping::error_code;
using mapping::item_status;

namespace {

mapping::item_result result(std::uint32_t invitation, std::uint32_t target, item_status status,
                            error_code code = error_code::none, std::string message = {})
{
    mapping::item_result r;
    r.invitation = invitation;
    r.target = target;
    r.status = status;
    r.error = code;
    r.message = std::move(message);
    return r;
}

struct merged {
    dispatch::merge_summary summary;
    std::string body;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;

    merged(const small_config& config, const igw::canonical::invite_request& request,
           const std::vector<mapping::item_result>& results)
    {
        summary = dispatch::write_merged_reply("req-1", request, config.route(), results, body);
        BOOST_TEST_REQUIRE(!parser.parse(body).get(doc), body);
    }
    simdjson::dom::element at(std::string_view pointer) { return doc.at_pointer(pointer).value(); }
    std::string text(std::string_view pointer) { return std::string(std::string_view(at(pointer))); }
    std::int64_t number(std::string_view pointer) { return std::int64_t(at(pointer)); }
    bool has(std::string_view pointer) { return !doc.at_pointer(pointer).error(); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(merge)

BOOST_AUTO_TEST_CASE(all_invited_is_200_with_results_in_invitation_then_route_order)
{
    const small_config config;
    auto request = make_request({{"ann@example.com", "developer"}, {"ben@example.com", "developer"}});
    request.invitations[1].ref = "crm-2";
    // Results arrive in completion order, not request order.
    std::vector<mapping::item_result> results = {result(1, 1, item_status::invited), result(0, 1, item_status::invited),
                                                 result(1, 0, item_status::invited),
                                                 result(0, 0, item_status::invited)};
    results[2].invitation_id = "inv-b0";
    results[2].upstream_status = 201;
    merged m(config, request, results);
    BOOST_TEST(m.summary.status == 200u);
    BOOST_TEST(m.text("/request_id") == "req-1");
    BOOST_TEST(m.number("/summary/invitations") == 2);
    BOOST_TEST(m.number("/summary/targets") == 2);
    BOOST_TEST(m.number("/summary/invited") == 4);
    const char* expected[][3] = {{"0", "ann@example.com", "anthropic"},
                                 {"0", "ann@example.com", "gorules"},
                                 {"1", "ben@example.com", "anthropic"},
                                 {"1", "ben@example.com", "gorules"}};
    for (int i = 0; i < 4; ++i) {
        const std::string at = "/results/" + std::to_string(i);
        BOOST_TEST(std::to_string(m.number(at + "/index")) == expected[i][0]);
        BOOST_TEST(m.text(at + "/email") == expected[i][1]);
        BOOST_TEST(m.text(at + "/target") == expected[i][2]);
        BOOST_TEST(m.text(at + "/status") == "invited");
        BOOST_TEST(!m.has(at + "/error")); // only results that are not invited carry one
    }
    BOOST_TEST(!m.has("/results/0/ref"));
    BOOST_TEST(m.text("/results/2/ref") == "crm-2");
    BOOST_TEST(m.text("/results/2/invitation_id") == "inv-b0");
    BOOST_TEST(m.number("/results/2/upstream_status") == 201);
    BOOST_TEST(!m.has("/results/0/upstream_status")); // 0: no reply header arrived
    BOOST_TEST(!m.has("/results/4"));
}

BOOST_AUTO_TEST_CASE(any_result_not_invited_is_207_and_counted)
{
    const small_config config;
    const auto request = make_request({{"ann@example.com", "admin"}, {"ben@example.com", "developer"}});
    merged m(config, request,
             {result(0, 0, item_status::failed, error_code::role_not_supported, "role admin has no mapping"),
              result(0, 1, item_status::invited),
              result(1, 0, item_status::unknown, error_code::upstream_timeout, "late"),
              result(1, 1, item_status::invited)});
    BOOST_TEST(m.summary.status == 207u);
    BOOST_TEST(m.summary.invited == 2u);
    BOOST_TEST(m.summary.failed == 1u);
    BOOST_TEST(m.summary.unknown == 1u);
    BOOST_TEST(m.number("/summary/failed") == 1);
    BOOST_TEST(m.number("/summary/unknown") == 1);
    BOOST_TEST(m.text("/results/0/error/code") == "role_not_supported");
    BOOST_TEST(m.text("/results/0/error/message") == "role admin has no mapping");
    BOOST_TEST(m.text("/results/2/status") == "unknown");
    BOOST_TEST(m.text("/results/2/error/code") == "upstream_timeout");
}

BOOST_AUTO_TEST_CASE(a_lost_result_is_unknown_never_dropped_and_a_doubled_one_keeps_the_first)
{
    const small_config config;
    const auto request = make_request({{"ann@example.com", "developer"}});
    merged m(config, request,
             {result(0, 1, item_status::invited), result(0, 1, item_status::failed, error_code::upstream_rejected, "x"),
              // Out of range: ignored, not a crash.
              result(7, 0, item_status::invited), result(0, 9, item_status::invited)});
    BOOST_TEST(m.summary.status == 207u);
    BOOST_TEST(m.summary.invited == 1u);
    BOOST_TEST(m.summary.unknown == 1u);
    BOOST_TEST(m.text("/results/0/target") == "anthropic");
    BOOST_TEST(m.text("/results/0/status") == "unknown");
    BOOST_TEST(m.text("/results/0/error/code") == "upstream_error");
    BOOST_TEST(m.text("/results/0/error/message") == "the gateway recorded no outcome for this call");
    BOOST_TEST(m.text("/results/1/status") == "invited");
    BOOST_TEST(!m.has("/results/2"));
}

BOOST_AUTO_TEST_CASE(only_the_selected_targets_are_reported)
{
    const small_config config;
    const auto request = make_request({{"ann@example.com", "developer"}}, {1});
    merged m(config, request, {result(0, 0, item_status::invited), result(0, 1, item_status::invited)});
    BOOST_TEST(m.summary.status == 200u);
    BOOST_TEST(m.number("/summary/targets") == 1);
    BOOST_TEST(m.text("/results/0/target") == "gorules");
    BOOST_TEST(!m.has("/results/1"));
}

BOOST_AUTO_TEST_SUITE_END()
