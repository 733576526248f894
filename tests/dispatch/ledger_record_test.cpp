// Between canonical requests and ledger records: the fingerprint an Idempotency-Key is
// compared on, the items recorded before any call, and the results read back.

#include "gateway/dispatch/ledger_record.hpp"

#include <boost/test/unit_test.hpp>
#include <simdjson.h>

#include <string>
#include <vector>

namespace dispatch = igw::dispatch;
namespace ledger = igw::ledger;
namespace mapping = igw::mapping;

namespace {

const std::vector<std::string> roles{"admin", "developer", "member"};

mapping::route_plan route()
{
    mapping::route_plan r;
    r.path = "/v1/invitations";
    r.target_names = {"alpha", "beta", "gamma"};
    return r;
}

igw::canonical::invite_request request(std::vector<std::uint32_t> targets = {0, 2})
{
    igw::canonical::invite_request r;
    r.invitations.push_back({"ann@example.com", 1, std::string("crm-1")});
    r.invitations.push_back({"bob@example.com", 2, std::nullopt});
    r.targets = std::move(targets);
    return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ledger_record)

BOOST_AUTO_TEST_CASE(the_fingerprint_changes_with_every_part_of_the_request_and_nothing_else)
{
    const auto base = dispatch::request_fingerprint("/v1/invitations", request(), roles, route());
    BOOST_TEST(base.size() == 64u);
    BOOST_TEST(dispatch::request_fingerprint("/v1/invitations", request(), roles, route()) == base);
    BOOST_TEST(dispatch::request_fingerprint("/v1/other", request(), roles, route()) != base);
    BOOST_TEST(dispatch::request_fingerprint("/v1/invitations", request({0}), roles, route()) != base);
    auto no_email = request();
    no_email.send_email = false;
    BOOST_TEST(dispatch::request_fingerprint("/v1/invitations", no_email, roles, route()) != base);
    auto other_role = request();
    other_role.invitations[1].role = 0;
    BOOST_TEST(dispatch::request_fingerprint("/v1/invitations", other_role, roles, route()) != base);
    auto no_ref = request();
    no_ref.invitations[0].ref.reset();
    BOOST_TEST(dispatch::request_fingerprint("/v1/invitations", no_ref, roles, route()) != base);
    auto empty_ref = request();
    empty_ref.invitations[0].ref = "";
    BOOST_TEST(dispatch::request_fingerprint("/v1/invitations", empty_ref, roles, route()) != base);
    BOOST_TEST(dispatch::request_fingerprint("/v1/invitations", empty_ref, roles, route()) !=
               dispatch::request_fingerprint("/v1/invitations", no_ref, roles, route()));
    // Field boundaries count: "ab" + "c" is not "a" + "bc".
    auto split = request();
    split.invitations[0].email = "ann@example.co";
    split.invitations[0].ref = "mcrm-1";
    BOOST_TEST(dispatch::request_fingerprint("/v1/invitations", split, roles, route()) != base);
}

BOOST_AUTO_TEST_CASE(one_pending_item_per_invitation_and_selected_target)
{
    const auto record = dispatch::describe_request("req-1", "app", "cfg-1", std::string("key-1"), request(), roles,
                                                   route());
    BOOST_TEST(record.request_id == "req-1");
    BOOST_TEST(record.client == "app");
    BOOST_TEST(record.route == "/v1/invitations");
    BOOST_TEST(record.idempotency_key.value_or("") == "key-1");
    BOOST_TEST(record.send_email);
    BOOST_REQUIRE_EQUAL(record.items.size(), 4u);
    BOOST_TEST(record.items[0].target == 0u);
    BOOST_TEST(record.items[1].target == 2u);
    BOOST_TEST(record.items[1].target_name == "gamma");
    BOOST_TEST(record.items[2].invitation == 1u);
    BOOST_TEST(record.items[2].role == "member");
    BOOST_TEST(record.items[0].ref.value_or("") == "crm-1");
    BOOST_TEST(!record.items[3].ref);
}

BOOST_AUTO_TEST_CASE(planned_marks_fold_into_the_record)
{
    auto record = dispatch::describe_request("req-1", "app", "cfg-1", std::nullopt, request(), roles, route());
    mapping::dispatch_plan plan;
    // One call to target 0 with both invitations; invitation 1 has no role at target 2.
    plan.items = {0, 1};
    mapping::upstream_call call;
    call.target_index = 0;
    call.first_item = 0;
    call.item_count = 2;
    plan.calls.push_back(call);
    mapping::item_result unsupported;
    unsupported.invitation = 1;
    unsupported.target = 2;
    unsupported.status = mapping::item_status::failed;
    unsupported.error = mapping::error_code::role_not_supported;
    unsupported.message = "no such role at gamma";
    plan.immediate.push_back(unsupported);

    dispatch::mark_planned(record, plan);
    BOOST_REQUIRE_EQUAL(record.items.size(), 4u);
    // (invitation, target): (0, 0), (0, 2), (1, 0), (1, 2).
    BOOST_TEST((record.items[0].status == ledger::item_status::sending));
    BOOST_TEST((record.items[1].status == ledger::item_status::pending)); // no call planned
    BOOST_TEST((record.items[2].status == ledger::item_status::sending));
    BOOST_TEST((record.items[3].status == ledger::item_status::failed));
    BOOST_TEST(record.items[3].error_code == "role_not_supported");
    BOOST_TEST(record.items[3].message == "no such role at gamma");
}

BOOST_AUTO_TEST_CASE(a_record_reads_back_as_the_result_it_stands_for)
{
    ledger::item_record item;
    item.invitation = 1;
    item.target = 2;
    item.status = ledger::item_status::pending;
    BOOST_TEST(!dispatch::recorded_result(item));

    item.status = ledger::item_status::sending; // its process is gone
    auto interrupted = dispatch::recorded_result(item);
    BOOST_REQUIRE(interrupted);
    BOOST_TEST((interrupted->status == mapping::item_status::unknown));
    BOOST_TEST((interrupted->error == mapping::error_code::interrupted));

    item.status = ledger::item_status::failed;
    item.error_code = "upstream_rejected";
    item.message = "bad email";
    item.upstream_status = 400;
    auto failed = dispatch::recorded_result(item);
    BOOST_REQUIRE(failed);
    BOOST_TEST((failed->error == mapping::error_code::upstream_rejected));
    BOOST_TEST(failed->upstream_status == 400u);
    BOOST_TEST(failed->message == "bad email");

    // Round trip through an outcome.
    const auto outcome = dispatch::to_outcome(*failed);
    BOOST_TEST((outcome.status == ledger::item_status::failed));
    BOOST_TEST(outcome.error_code == "upstream_rejected");
    BOOST_TEST(outcome.invitation == 1u);
    BOOST_TEST(outcome.target == 2u);
}

BOOST_AUTO_TEST_CASE(a_record_rebuilds_its_request_and_names_what_can_no_longer_be_sent)
{
    const auto record = dispatch::describe_request("req-1", "app", "cfg-1", std::nullopt, request(), roles, route());
    ledger::request_with_items stored;
    stored.request.request_id = "req-1";
    stored.request.route = "/v1/invitations";
    stored.request.send_email = false;
    for (const auto& item : record.items) {
        ledger::item_record r;
        r.invitation = item.invitation;
        r.target = item.target;
        r.email = item.email;
        r.ref = item.ref;
        r.target_name = item.target_name;
        r.role = item.role;
        stored.items.push_back(r);
    }
    std::vector<ledger::item_outcome> cannot_send;
    const auto rebuilt = dispatch::rebuild_request(stored, roles, route(), cannot_send);
    BOOST_TEST(cannot_send.empty());
    BOOST_TEST(!rebuilt.send_email);
    BOOST_TEST((rebuilt.targets == std::vector<std::uint32_t>{0, 2}));
    BOOST_REQUIRE_EQUAL(rebuilt.invitations.size(), 2u);
    BOOST_TEST(rebuilt.invitations[1].email == "bob@example.com");
    BOOST_TEST(rebuilt.invitations[1].role == 2u);
    auto same = request();
    same.send_email = false;
    BOOST_TEST(dispatch::request_fingerprint("/v1/invitations", rebuilt, roles, route()) ==
               dispatch::request_fingerprint("/v1/invitations", same, roles, route()));

    // The config lost role "member" and target "gamma" meanwhile.
    const std::vector<std::string> fewer_roles{"admin", "developer"};
    auto shorter = route();
    shorter.target_names = {"alpha", "beta"};
    cannot_send.clear();
    dispatch::rebuild_request(stored, fewer_roles, shorter, cannot_send);
    BOOST_REQUIRE_EQUAL(cannot_send.size(), 3u); // ann@gamma, bob@alpha, bob@gamma
    for (const auto& outcome : cannot_send)
        BOOST_TEST((outcome.status == ledger::item_status::failed));
    BOOST_TEST(cannot_send[0].error_code == "target_unavailable");
    BOOST_TEST(cannot_send[1].error_code == "role_not_supported");
}

BOOST_AUTO_TEST_CASE(the_request_document_has_the_merged_shape_and_the_state)
{
    ledger::request_with_items stored;
    stored.request.request_id = "req-9";
    stored.request.route = "/v1/invitations";
    stored.request.config_version = "cfg-9";
    stored.request.state = ledger::request_state::running;
    ledger::item_record invited;
    invited.email = "ann@example.com";
    invited.target_name = "alpha";
    invited.status = ledger::item_status::invited;
    invited.invitation_id = "inv-1";
    invited.upstream_status = 201;
    invited.attempts = 1;
    ledger::item_record sending = invited;
    sending.target = 1;
    sending.target_name = "beta";
    sending.status = ledger::item_status::sending;
    sending.invitation_id.clear();
    sending.upstream_status = 0;
    stored.items = {invited, sending};

    std::string body;
    dispatch::write_request_document(stored, body);
    simdjson::dom::parser parser;
    const simdjson::dom::element doc = parser.parse(body);
    BOOST_TEST(std::string_view(doc["state"]) == "running");
    BOOST_TEST(std::string_view(doc["request_id"]) == "req-9");
    BOOST_TEST(int64_t(doc["summary"]["invitations"]) == 1);
    BOOST_TEST(int64_t(doc["summary"]["targets"]) == 2);
    BOOST_TEST(int64_t(doc["summary"]["invited"]) == 1);
    BOOST_TEST(int64_t(doc["summary"]["sending"]) == 1);
    BOOST_TEST(doc["summary"]["pending"].error() == simdjson::NO_SUCH_FIELD);
    const auto results = doc["results"].get_array();
    BOOST_REQUIRE_EQUAL(results.size(), 2u);
    BOOST_TEST(std::string_view(results.at(0)["invitation_id"]) == "inv-1");
    BOOST_TEST(int64_t(results.at(0)["upstream_status"]) == 201);
    BOOST_TEST(std::string_view(results.at(1)["status"]) == "sending");
    BOOST_TEST(results.at(1)["error"].error() == simdjson::NO_SUCH_FIELD);
}

BOOST_AUTO_TEST_CASE(the_already_invited_and_reconciled_flags_pass_through_and_are_written_only_when_true)
{
    mapping::item_result result;
    result.status = mapping::item_status::invited;
    result.invitation_id = "90001";
    result.upstream_status = 409;
    result.already_invited = true;
    const ledger::item_outcome outcome = dispatch::to_outcome(result);
    BOOST_TEST(outcome.already_invited);
    BOOST_TEST(!outcome.reconciled);

    ledger::item_record already;
    already.email = "ann@example.com";
    already.target_name = "alpha";
    already.status = ledger::item_status::invited;
    already.invitation_id = "90001";
    already.already_invited = outcome.already_invited;
    ledger::item_record not_created = already;
    not_created.target = 1;
    not_created.target_name = "beta";
    not_created.status = ledger::item_status::failed;
    not_created.error_code = "not_created";
    not_created.message = "not in the listing of target beta";
    not_created.already_invited = false;
    not_created.reconciled = true;
    ledger::item_record plain = already;
    plain.target = 2;
    plain.target_name = "gamma";
    plain.already_invited = false;

    const auto read_back = dispatch::recorded_result(not_created);
    BOOST_REQUIRE(read_back);
    BOOST_TEST(read_back->reconciled);
    BOOST_TEST(!read_back->already_invited);
    BOOST_TEST((read_back->error == mapping::error_code::not_created));
    BOOST_TEST(dispatch::recorded_result(already)->already_invited);

    ledger::request_with_items stored;
    stored.request.request_id = "req-10";
    stored.request.state = ledger::request_state::completed;
    stored.items = {already, not_created, plain};
    std::string body;
    dispatch::write_request_document(stored, body);
    simdjson::dom::parser parser;
    const auto results = parser.parse(body)["results"].get_array();
    BOOST_REQUIRE_EQUAL(results.size(), 3u);
    BOOST_TEST(bool(results.at(0)["already_invited"]));
    BOOST_TEST(results.at(0)["reconciled"].error() == simdjson::NO_SUCH_FIELD);
    BOOST_TEST(bool(results.at(1)["reconciled"]));
    BOOST_TEST(results.at(1)["already_invited"].error() == simdjson::NO_SUCH_FIELD);
    BOOST_TEST(std::string_view(results.at(1)["error"]["code"]) == "not_created");
    BOOST_TEST(results.at(2)["already_invited"].error() == simdjson::NO_SUCH_FIELD);
    BOOST_TEST(results.at(2)["reconciled"].error() == simdjson::NO_SUCH_FIELD);
}

BOOST_AUTO_TEST_SUITE_END()
