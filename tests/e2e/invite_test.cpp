// The happy path through the whole gateway: the shipped config, every target, real sockets.

#include "tests/e2e/support/harness.hpp"
#include "tests/e2e/support/merged_reply.hpp"

#include <boost/test/unit_test.hpp>

#include <simdjson.h>

using namespace igw;
using namespace igw::e2e;
using emulator::vendor;

namespace {

bool is_hex_id(const std::string& text)
{
    if (text.size() != 32)
        return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

} // namespace

BOOST_AUTO_TEST_SUITE(invite)

BOOST_AUTO_TEST_CASE(one_invitation_reaches_all_five_targets_in_route_order)
{
    emulator::server emulators;
    gateway gw(emulators);

    const auto reply = post_invite(gw.port(), invite_body({{"  Jane.Doe@Example.com ", "developer", "crm-8812"}}));
    BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error);
    BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
    BOOST_TEST(reply.header("Content-Type").value_or("") == "application/json");

    const merged_reply merged = parse_merged_reply(reply.body);
    BOOST_TEST(is_hex_id(merged.request_id), merged.request_id);
    BOOST_TEST(reply.header("X-Request-Id").value_or("") == merged.request_id);
    BOOST_TEST(merged.invitations == 1u);
    BOOST_TEST(merged.targets == 5u);
    BOOST_TEST(merged.invited == 5u);
    BOOST_TEST(merged.failed == 0u);
    BOOST_TEST(merged.unknown == 0u);

    BOOST_TEST_REQUIRE(merged.results.size() == 5u);
    for (std::size_t i = 0; i < 5; ++i) {
        const result_entry& r = merged.results[i];
        BOOST_TEST_CONTEXT("result " << i)
        {
            BOOST_TEST(r.index == 0u);
            BOOST_TEST(r.ref.value_or("") == "crm-8812");
            BOOST_TEST(r.email == "jane.doe@example.com");
            BOOST_TEST(r.target == route_order[i]);
            BOOST_TEST(r.status == "invited");
            BOOST_TEST(r.upstream_status.value_or(0) == 200u);
            BOOST_TEST(!r.error_code);
        }
    }
    const result_entry& anthropic = merged.results[0];
    BOOST_TEST(anthropic.invitation_id.value_or("").starts_with("invite_"), anthropic.invitation_id.value_or(""));
    BOOST_TEST(anthropic.vendor_status.value_or("") == "pending");
    BOOST_TEST(!anthropic.expires_at.value_or("").empty());
    const result_entry& clickhouse = merged.results[1];
    BOOST_TEST(looks_like_uuid(clickhouse.invitation_id.value_or("")), clickhouse.invitation_id.value_or(""));
    BOOST_TEST(!clickhouse.expires_at.value_or("").empty());
    // WarpStream and Atomicwork acknowledge with {}: nothing to report but the status.
    BOOST_TEST(!merged.results[2].invitation_id);
    BOOST_TEST(!merged.results[4].invitation_id);
    const result_entry& gorules = merged.results[3];
    BOOST_TEST(looks_like_uuid(gorules.invitation_id.value_or("")), gorules.invitation_id.value_or(""));
    BOOST_TEST(gorules.vendor_status.value_or("") == "pending");

    // Exactly one call per vendor, each accepted by the strict emulator.
    for (vendor v : emulator::all_vendors) {
        const auto calls = emulators.requests(v);
        BOOST_TEST_CONTEXT(emulator::name(v))
        {
            BOOST_TEST_REQUIRE(calls.size() == 1u);
            BOOST_TEST(calls[0].status == 200u, calls[0].body);
            BOOST_TEST(calls[0].body.find("jane.doe@example.com") != std::string::npos, calls[0].body);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_well_formed_client_request_id_is_echoed_and_a_bad_one_replaced)
{
    emulator::server emulators;
    gateway gw(emulators);
    const std::string body = invite_body({{"ops@example.com", "member"}}, std::vector<std::string>{"gorules"});

    invite_options mine;
    mine.headers.emplace_back("X-Request-Id", "client-req.42:abc");
    const auto echoed = post_invite(gw.port(), body, mine);
    BOOST_TEST_REQUIRE(echoed.status == 200u, echoed.body);
    BOOST_TEST(echoed.header("X-Request-Id").value_or("") == "client-req.42:abc");
    const merged_reply merged = parse_merged_reply(echoed.body);
    BOOST_TEST(merged.request_id == "client-req.42:abc");
    BOOST_TEST_REQUIRE(merged.results.size() == 1u);
    BOOST_TEST(merged.results[0].target == "gorules");
    BOOST_TEST(merged.results[0].status == "invited");

    invite_options unsafe;
    unsafe.headers.emplace_back("X-Request-Id", "has spaces/and slashes");
    const auto replaced = post_invite(gw.port(), body, unsafe);
    BOOST_TEST_REQUIRE(replaced.status == 200u, replaced.body);
    const merged_reply second = parse_merged_reply(replaced.body);
    BOOST_TEST(is_hex_id(second.request_id), second.request_id);
    BOOST_TEST(replaced.header("X-Request-Id").value_or("") == second.request_id);
}

BOOST_AUTO_TEST_CASE(dry_run_lists_the_calls_with_secrets_redacted_and_sends_nothing)
{
    emulator::server emulators;
    gateway gw(emulators);
    invite_options options;
    options.target = std::string(invite_path) + "?dry_run=true";
    const auto reply = post_invite(
        gw.port(), invite_body({{"jane@example.com", "developer"}, {"ops@example.com", "admin"}}), options);
    BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);

    simdjson::dom::parser parser;
    simdjson::dom::element root = parser.parse(reply.body);
    BOOST_TEST(bool(root["dry_run"].get_bool().value()));
    BOOST_TEST(std::string(root["request_id"].get_string().value()) ==
               reply.header("X-Request-Id").value_or("missing"));

    // anthropic 1 (admin is unsupported there), clickhouse 2, warpstream 1, gorules 1,
    // atomicwork 2 (one per role group).
    std::map<std::string, int> calls_per_target;
    for (simdjson::dom::element call : root["calls"].get_array()) {
        const std::string target(call["target"].get_string().value());
        ++calls_per_target[target];
        BOOST_TEST(std::string(call["method"].get_string().value()) == "POST");
        BOOST_TEST(std::string(call["url"].get_string().value()).starts_with("http://127.0.0.1:"));
        simdjson::dom::object headers = call["headers"].get_object();
        const auto header = [&](const char* name) { return std::string(headers[name].get_string().value()); };
        if (target == "anthropic") {
            BOOST_TEST(header("x-api-key") == "<redacted>");
            BOOST_TEST(header("anthropic-version") == "2023-06-01");
        } else if (target == "clickhouse") {
            BOOST_TEST(header("Authorization") == "<redacted>");
        } else if (target == "warpstream") {
            BOOST_TEST(header("warpstream-api-key") == "<redacted>");
        } else if (target == "gorules") {
            BOOST_TEST(header("Authorization") == "<redacted>");
        } else if (target == "atomicwork") {
            BOOST_TEST(header("X-Api-Key") == "<redacted>");
        }
    }
    BOOST_TEST(calls_per_target ==
               (std::map<std::string, int>{
                   {"anthropic", 1}, {"clickhouse", 2}, {"warpstream", 1}, {"gorules", 1}, {"atomicwork", 2}}));

    simdjson::dom::array immediate = root["results"].get_array();
    BOOST_TEST_REQUIRE(immediate.size() == 1u);
    BOOST_TEST(std::string(immediate.at(0)["target"].get_string().value()) == "anthropic");
    BOOST_TEST(std::string(immediate.at(0)["error"]["code"].get_string().value()) == "role_not_supported");

    // No secret leaks anywhere in the body, and no vendor was called.
    for (const auto& [name, value] : emulator::environment_for(emulators))
        if (name.find("KEY") != std::string::npos || name.find("TOKEN") != std::string::npos ||
            name.find("SECRET") != std::string::npos)
            BOOST_TEST(reply.body.find(value) == std::string::npos, name << " leaked");
    BOOST_TEST(emulators.requests().empty());
    for (vendor v : emulator::all_vendors)
        BOOST_TEST(emulators.connections_accepted(v) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
