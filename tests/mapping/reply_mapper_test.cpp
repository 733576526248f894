// Turning each vendor's replies into per-item results (docs/api.md "Error codes"): success shapes,
// error bodies and statuses, and bodies that cannot be trusted. Replies are written
// out here as the vendors document them (shared/vendors/*.md); the last cases take
// real error replies from the strict emulators.

#include "gateway/json/base64.hpp"
#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/reply_mapper.hpp"

#include "tests/mapping/support/mapping_support.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace mapping = igw::mapping;
namespace emulator = igw::emulator;
using namespace igw::mapping::test;
using mapping::error_code;
using mapping::item_status;

namespace {

struct reply_fixture {
    std::shared_ptr<const mapping::compiled_config> config = load(shipped_config_path(), golden_env());
    // Three developers: supported everywhere, so every target gets exactly these items.
    igw::canonical::invite_request request = parse_request(
        *config,
        R"({"invitations":[{"email":"ann@example.com","role":"developer"},)"
        R"({"email":"Ben.Stone@Example.com","role":"developer"},{"email":"cat@example.com","role":"developer"}]})");
    mapping::dispatch_plan plan;
    mapping::reply_mapper mapper;

    reply_fixture() { mapping::render_calls(request, config->mappings.routes[0], config->config.roles, plan); }

    const mapping::upstream_call& first_call(std::string_view target) const
    {
        for (const auto& call : plan.calls)
            if (call.target->name == target)
                return call;
        BOOST_TEST_REQUIRE(false, "no call to " << target);
        return plan.calls.front();
    }

    std::vector<mapping::item_result> map(std::string_view target, unsigned status, std::string body)
    {
        const mapping::upstream_call& call = first_call(target);
        std::vector<mapping::item_result> out;
        const std::string original = body;
        mapper.map_reply(request, plan, call, status, body, out);
        BOOST_TEST(body == original); // map_reply may only add capacity
        BOOST_TEST_REQUIRE(out.size() == call.item_count);
        for (std::size_t i = 0; i < out.size(); ++i) {
            BOOST_TEST(out[i].invitation == plan.items_of(call)[i]);
            BOOST_TEST(out[i].target == call.target_index);
            BOOST_TEST(out[i].upstream_status == status);
        }
        return out;
    }

    // Every item has this outcome.
    void expect_all(std::string_view target, unsigned status, std::string body, item_status outcome, error_code code,
                    std::string_view message = {})
    {
        BOOST_TEST_CONTEXT(target << " HTTP " << status << " body [" << body << "]")
        {
            for (const auto& r : map(target, status, body)) {
                BOOST_TEST(r.status == outcome);
                BOOST_TEST(r.error == code);
                if (!message.empty())
                    BOOST_TEST(r.message == message);
                if (outcome != item_status::invited)
                    BOOST_TEST(!r.message.empty());
                BOOST_TEST(r.invitation_id.empty());
            }
        }
    }
};

// The documented 200 of each object vendor.
const std::string anthropic_ok = R"({
  "id": "invite_015gWxCN9Hfg2QhZwTK7Mdeu",
  "type": "invite",
  "email": "ann@example.com",
  "role": "developer",
  "invited_at": "2024-10-30T23:58:27.427722Z",
  "expires_at": "2024-11-20T23:58:27.427722Z",
  "status": "pending"
})";
const std::string clickhouse_ok =
    R"({"status":200,"requestId":"5e0f6a3e-8a5c-4b6e-9a7d-2f1c3b4d5e6f","result":{"role":"developer",)"
    R"("id":"9f1e2d3c-4b5a-4c6d-8e7f-0a1b2c3d4e5f","email":"ann@example.com",)"
    R"("createdAt":"2024-10-30T23:58:27Z","expireAt":"2024-11-29T23:58:27Z"}})";

} // namespace

BOOST_FIXTURE_TEST_SUITE(reply_mapper, reply_fixture)

// ---- success shapes -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(anthropic_object_reply_gives_id_expiry_and_status)
{
    const auto out = map("anthropic", 200, anthropic_ok);
    BOOST_TEST(out[0].status == item_status::invited);
    BOOST_TEST(out[0].error == error_code::none);
    BOOST_TEST(out[0].invitation_id == "invite_015gWxCN9Hfg2QhZwTK7Mdeu");
    BOOST_TEST(out[0].expires_at == "2024-11-20T23:58:27.427722Z");
    BOOST_TEST(out[0].vendor_status == "pending");
    BOOST_TEST(out[0].message.empty());
}

BOOST_AUTO_TEST_CASE(clickhouse_reply_is_read_under_its_result_root)
{
    const auto out = map("clickhouse", 200, clickhouse_ok);
    BOOST_TEST(out[0].status == item_status::invited);
    BOOST_TEST(out[0].invitation_id == "9f1e2d3c-4b5a-4c6d-8e7f-0a1b2c3d4e5f");
    BOOST_TEST(out[0].expires_at == "2024-11-29T23:58:27Z");
    BOOST_TEST(out[0].vendor_status.empty()); // ClickHouse returns no invitation status
}

BOOST_AUTO_TEST_CASE(object_reply_fields_may_be_missing_numbers_or_null)
{
    auto out = map("anthropic", 200, R"({"id": 12345, "expires_at": null, "status": "pending"})");
    BOOST_TEST(out[0].status == item_status::invited);
    BOOST_TEST(out[0].invitation_id == "12345"); // an integer id is kept as its digits
    BOOST_TEST(out[0].expires_at.empty());
    BOOST_TEST(out[0].vendor_status == "pending");
    // A boolean is no status: it is reported, never turned into the text "true".
    out = map("anthropic", 200, R"({"id": "inv_1", "status": true})");
    BOOST_TEST(out[0].status == item_status::unknown);
    BOOST_TEST(out[0].error == error_code::bad_upstream_response);
    BOOST_TEST(out[0].message.find("/status is not a string or an integer") != std::string::npos, out[0].message);
    out = map("anthropic", 200, "{}");
    BOOST_TEST(out[0].status == item_status::invited);
    BOOST_TEST(out[0].invitation_id.empty());
}

BOOST_AUTO_TEST_CASE(acknowledgement_replies_accept_every_item_of_the_call)
{
    for (std::string_view target : {"warpstream", "atomicwork"}) {
        BOOST_TEST(first_call(target).item_count == 3u);
        expect_all(target, 200, "{}", item_status::invited, error_code::none);
        expect_all(target, 200, "", item_status::invited, error_code::none);
        expect_all(target, 200, " \r\n", item_status::invited, error_code::none);
        expect_all(target, 200, R"({"accepted": 3, "extra": {"nested": [1, 2]}})", item_status::invited,
                   error_code::none);
    }
}

BOOST_AUTO_TEST_CASE(array_reply_is_matched_back_by_email_in_any_order_and_case)
{
    const auto out = map("gorules", 200, R"([
      {"id":"c0000000-0000-4000-8000-000000000003","email":"CAT@example.com","status":"pending",
       "userId":"u3","createdAt":"2024-10-30T23:58:27.427Z","expiresAt":null},
      {"id":"b0000000-0000-4000-8000-000000000002","email":"ben.stone@EXAMPLE.com","status":"pending",
       "userId":"u2","createdAt":"2024-10-30T23:58:27.427Z","expiresAt":"2024-11-06T23:58:27.427Z"},
      {"id":"a0000000-0000-4000-8000-000000000001","email":"ann@example.com","status":"accepted",
       "userId":"u1","createdAt":"2024-10-30T23:58:27.427Z","expiresAt":"2024-11-06T23:58:27.427Z"}
    ])");
    BOOST_TEST(out[0].status == item_status::invited);
    BOOST_TEST(out[0].invitation_id == "a0000000-0000-4000-8000-000000000001");
    BOOST_TEST(out[0].vendor_status == "accepted");
    BOOST_TEST(out[1].status == item_status::invited);
    BOOST_TEST(out[1].invitation_id == "b0000000-0000-4000-8000-000000000002");
    BOOST_TEST(out[1].expires_at == "2024-11-06T23:58:27.427Z");
    BOOST_TEST(out[2].status == item_status::invited);
    BOOST_TEST(out[2].invitation_id == "c0000000-0000-4000-8000-000000000003");
    BOOST_TEST(out[2].expires_at.empty()); // expiresAt is nullable
}

BOOST_AUTO_TEST_CASE(an_email_missing_from_an_array_reply_is_unknown_the_others_invited)
{
    const auto out = map("gorules", 200,
                         R"([{"id":"1","email":"ann@example.com","status":"pending"},)"
                         R"({"id":"3","email":"Cat@Example.com","status":"pending"},)"
                         R"({"id":"9","email":"stranger@example.com","status":"pending"}])");
    BOOST_TEST(out[0].status == item_status::invited);
    BOOST_TEST(out[0].invitation_id == "1");
    BOOST_TEST(out[1].status == item_status::unknown);
    BOOST_TEST(out[1].error == error_code::bad_upstream_response);
    BOOST_TEST(out[1].message == "the reply from target gorules does not list this email");
    BOOST_TEST(out[1].invitation_id.empty());
    BOOST_TEST(out[2].status == item_status::invited);
    BOOST_TEST(out[2].invitation_id == "3");
}

BOOST_AUTO_TEST_CASE(an_empty_array_or_elements_without_email_leave_every_item_unknown)
{
    expect_all("gorules", 200, "[]", item_status::unknown, error_code::bad_upstream_response);
    expect_all("gorules", 200, R"([{"id":"1"},{"id":"2","email":null},{"id":"3","email":7}])", item_status::unknown,
               error_code::bad_upstream_response);
}

// ---- error statuses -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(client_errors_carry_each_vendor_message)
{
    // The error bodies each vendor (or its emulator, where undocumented) sends.
    expect_all(
        "anthropic", 400,
        R"({"type":"error","error":{"type":"invalid_request_error","message":"role: Input should be 'user', 'developer' or 'billing'"}})",
        item_status::failed, error_code::upstream_rejected, "role: Input should be 'user', 'developer' or 'billing'");
    expect_all("clickhouse", 400, R"({"status":400,"error":"email: must be a valid email"})", item_status::failed,
               error_code::upstream_rejected, "email: must be a valid email");
    expect_all("clickhouse", 404, R"({"status":404,"error":"Organization not found"})", item_status::failed,
               error_code::upstream_rejected, "Organization not found");
    expect_all("warpstream", 400,
               R"({"code":"invalid_argument","message":"invitations[1].email: invalid email address"})",
               item_status::failed, error_code::upstream_rejected, "invitations[1].email: invalid email address");
    expect_all("gorules", 400, R"({"message":"emails must contain no more than 10 elements"})", item_status::failed,
               error_code::upstream_rejected, "emails must contain no more than 10 elements");
    expect_all("gorules", 422, R"({"error":"second pointer"})", item_status::failed, error_code::upstream_rejected,
               "second pointer");
    expect_all("atomicwork", 400, R"({"message":"org role 99 does not exist"})", item_status::failed,
               error_code::upstream_rejected, "org role 99 does not exist");
}

BOOST_AUTO_TEST_CASE(error_bodies_without_a_message_get_a_generic_one)
{
    expect_all("anthropic", 400, "", item_status::failed, error_code::upstream_rejected,
               "HTTP 400 from target anthropic");
    expect_all("gorules", 400, "<html><body>Bad Request</body></html>", item_status::failed,
               error_code::upstream_rejected, "HTTP 400 from target gorules");
    expect_all("warpstream", 409, R"({"message": 42, "error": ""})", item_status::failed, error_code::upstream_rejected,
               "HTTP 409 from target warpstream");
    expect_all("atomicwork", 400, R"({"message":"trunc)", item_status::failed, error_code::upstream_rejected,
               "HTTP 400 from target atomicwork");
}

BOOST_AUTO_TEST_CASE(malformed_error_bodies_are_not_searched_for_a_message)
{
    // Each of these providers tries two pointers: a failed first lookup in a malformed
    // document must not leave the second one to rewind an abandoned parser.
    expect_all("atomicwork", 400, R"({"detail":"x",})", item_status::failed, error_code::upstream_rejected,
               "HTTP 400 from target atomicwork");
    expect_all("atomicwork", 500, R"({"detail":"x",})", item_status::unknown, error_code::upstream_error,
               "HTTP 500 from target atomicwork");
    expect_all("anthropic", 400, R"({"type":"error","error":{"type":"x", "message": })", item_status::failed,
               error_code::upstream_rejected, "HTTP 400 from target anthropic");
    expect_all("gorules", 400, R"({"message":"kept"} trailing)", item_status::failed, error_code::upstream_rejected,
               "HTTP 400 from target gorules");
}

BOOST_AUTO_TEST_CASE(a_huge_vendor_message_is_capped)
{
    const std::string huge(100'000, 'x');
    const auto out = map("gorules", 400, R"({"message":")" + huge + R"("})");
    BOOST_TEST(out[0].message.size() == 512u);
    BOOST_TEST(out[0].message == huge.substr(0, 512));
}

// ---- the gateway's credentials in vendor messages ----------------------------------------

namespace {

const std::string& secret_of(const mapping::compiled_config& config, std::string_view target, const std::string& name)
{
    for (const auto& t : config.config.targets)
        if (t.name == target)
            return t.secrets.at(name);
    throw std::runtime_error("no target " + std::string(target));
}

} // namespace

BOOST_AUTO_TEST_CASE(vendor_messages_quoting_the_targets_secrets_are_redacted)
{
    const std::string& api_key = secret_of(*config, "anthropic", "api_key");
    expect_all("anthropic", 401,
               R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key )" + api_key +
                   R"("}})",
               item_status::failed, error_code::upstream_unauthorized, "invalid x-api-key [redacted]");

    // HTTP Basic: the credentials in base64, with or without their padding, and in clear.
    const std::string& key_id = secret_of(*config, "clickhouse", "key_id");
    const std::string& key_secret = secret_of(*config, "clickhouse", "key_secret");
    std::string basic = igw::json::base64(key_id + ":" + key_secret);
    expect_all("clickhouse", 401, R"({"error":"rejected Authorization: Basic )" + basic + R"("})", item_status::failed,
               error_code::upstream_unauthorized, "rejected Authorization: [redacted]");
    while (basic.ends_with('='))
        basic.pop_back();
    expect_all("clickhouse", 403, R"({"error":"token )" + basic + " for " + key_id + ":" + key_secret + R"("})",
               item_status::failed, error_code::upstream_unauthorized, "token [redacted] for [redacted]:[redacted]");
}

BOOST_AUTO_TEST_CASE(a_secret_straddling_the_message_cap_is_redacted_whole)
{
    const std::string& api_key = secret_of(*config, "anthropic", "api_key");
    const std::string padding(505, 'x');
    const auto out = map("anthropic", 400, R"({"error":{"message":")" + padding + api_key + R"( and more"}})");
    BOOST_TEST(out[0].message.size() == 512u);
    BOOST_TEST(out[0].message == padding + std::string("[redacted]").substr(0, 7));
    BOOST_TEST(out[0].message.find(api_key.substr(0, 4)) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(redaction_replaces_overlapping_and_repeated_secrets_and_leaves_other_text_alone)
{
    mapping::target_plan plan;
    plan.redactions = {"Bearer abcdef", "cdefgh", "abcdef"}; // longest first, as bound
    BOOST_TEST(plan.redact("no secret here", 512) == "no secret here");
    BOOST_TEST(plan.redact("key abcdef, again abcdef.", 512) == "key [redacted], again [redacted].");
    BOOST_TEST(plan.redact("header Bearer abcdef", 512) == "header [redacted]");
    // "abcdefgh" holds two secrets that overlap: neither tail may be left.
    BOOST_TEST(plan.redact("x abcdefgh y", 512) == "x [redacted] y");
    BOOST_TEST(plan.redact("abcdef", 3) == "[re");
    BOOST_TEST(plan.redact(std::string(1'000'000, 'a') + "abcdef", 16) == std::string(16, 'a'));
    mapping::target_plan none;
    BOOST_TEST(none.redact("abcdef", 4) == "abcd");
}

BOOST_AUTO_TEST_CASE(binding_lists_every_secret_form_of_a_target)
{
    for (const auto& target : config->mappings.targets) {
        BOOST_TEST_CONTEXT(target.name)
        {
            for (const auto& t : config->config.targets)
                if (t.name == target.name)
                    for (const auto& [name, value] : t.secrets)
                        BOOST_TEST((std::find(target.redactions.begin(), target.redactions.end(), value) !=
                                    target.redactions.end()),
                                   name);
            for (const auto& header : target.headers)
                if (header.secret)
                    BOOST_TEST((std::find(target.redactions.begin(), target.redactions.end(), header.value) !=
                                target.redactions.end()),
                               header.name);
            BOOST_TEST(std::is_sorted(target.redactions.begin(), target.redactions.end(),
                                      [](const std::string& a, const std::string& b) { return a.size() > b.size(); }));
        }
    }
}

BOOST_AUTO_TEST_CASE(unauthorized_and_forbidden)
{
    expect_all("anthropic", 401,
               R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})",
               item_status::failed, error_code::upstream_unauthorized, "invalid x-api-key");
    expect_all("clickhouse", 401, "", item_status::failed, error_code::upstream_unauthorized);
    expect_all("atomicwork", 403, R"({"message":"workspace 7 is not accessible"})", item_status::failed,
               error_code::upstream_unauthorized, "workspace 7 is not accessible");
    expect_all("gorules", 403, "Forbidden", item_status::failed, error_code::upstream_unauthorized,
               "HTTP 403 from target gorules");
}

BOOST_AUTO_TEST_CASE(rate_limited_is_failed)
{
    expect_all("warpstream", 429, R"({"code":"rate_limited","message":"slow down"})", item_status::failed,
               error_code::rate_limited, "slow down");
    expect_all("anthropic", 429, "", item_status::failed, error_code::rate_limited);
}

BOOST_AUTO_TEST_CASE(server_errors_may_have_created_the_invite_except_503)
{
    expect_all("gorules", 500, R"({"message":"internal error"})", item_status::unknown, error_code::upstream_error,
               "internal error");
    expect_all("anthropic", 502, "<html>Bad Gateway</html>", item_status::unknown, error_code::upstream_error,
               "HTTP 502 from target anthropic");
    expect_all("atomicwork", 503, R"({"message":"maintenance"})", item_status::failed, error_code::upstream_error,
               "maintenance");
    expect_all("clickhouse", 503, "", item_status::failed, error_code::upstream_error);
}

BOOST_AUTO_TEST_CASE(an_undeclared_success_status_is_not_trusted)
{
    expect_all("anthropic", 201, anthropic_ok, item_status::unknown, error_code::bad_upstream_response,
               "unexpected HTTP 201 from target anthropic");
    expect_all("warpstream", 204, "", item_status::unknown, error_code::bad_upstream_response);
    expect_all("gorules", 302, "", item_status::unknown, error_code::bad_upstream_response);
}

// ---- unreadable bodies ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(unreadable_success_bodies_are_unknown)
{
    for (std::string_view target : {"anthropic", "clickhouse", "warpstream", "gorules", "atomicwork"})
        for (std::string body : {"<html><body>OK</body></html>", "{", "{\"id\":", "[", "nul", "\"text\"", "[]x"})
            expect_all(target, 200, body, item_status::unknown, error_code::bad_upstream_response);
}

BOOST_AUTO_TEST_CASE(empty_bodies_are_unknown_where_items_are_expected)
{
    for (std::string_view target : {"anthropic", "clickhouse", "gorules"}) {
        expect_all(target, 200, "", item_status::unknown, error_code::bad_upstream_response);
        expect_all(target, 200, "  \n", item_status::unknown, error_code::bad_upstream_response);
    }
}

BOOST_AUTO_TEST_CASE(wrong_shapes_are_unknown)
{
    expect_all("anthropic", 200, R"(["invite_1"])", item_status::unknown, error_code::bad_upstream_response);
    expect_all("clickhouse", 200, R"({"status":200,"requestId":"r"})", item_status::unknown,
               error_code::bad_upstream_response);
    expect_all("clickhouse", 200, R"({"status":200,"result":"id"})", item_status::unknown,
               error_code::bad_upstream_response);
    expect_all("gorules", 200, R"({"emails":["ann@example.com"]})", item_status::unknown,
               error_code::bad_upstream_response);
    expect_all("gorules", 200, R"([{"email":"ann@example.com"}, "ben.stone@example.com"])", item_status::unknown,
               error_code::bad_upstream_response);
    expect_all("warpstream", 200, "[]", item_status::unknown, error_code::bad_upstream_response);
    expect_all("atomicwork", 200, "null", item_status::unknown, error_code::bad_upstream_response);
}

BOOST_AUTO_TEST_CASE(truncated_replies_are_unknown)
{
    // Cut anywhere before its last byte, a documented reply cannot be trusted.
    for (std::size_t cut : {1u, 10u, 60u}) {
        expect_all("anthropic", 200, anthropic_ok.substr(0, anthropic_ok.size() - cut), item_status::unknown,
                   error_code::bad_upstream_response);
        expect_all("clickhouse", 200, clickhouse_ok.substr(0, clickhouse_ok.size() - cut), item_status::unknown,
                   error_code::bad_upstream_response);
    }
    expect_all("gorules", 200, R"([{"id":"1","email":"ann@example.com"},{"id":"2","email":"ben.stone@example.com"})",
               item_status::unknown, error_code::bad_upstream_response);
    expect_all("gorules", 200, R"([{"id":"1","email":"ann@example.com"},{"id":"2","email":"ben.stone@exa)",
               item_status::unknown, error_code::bad_upstream_response);
    expect_all("warpstream", 200, R"({"accepted":3)", item_status::unknown, error_code::bad_upstream_response);
}

BOOST_AUTO_TEST_CASE(trailing_content_after_the_reply_is_unknown)
{
    expect_all("anthropic", 200, anthropic_ok + " {}", item_status::unknown, error_code::bad_upstream_response);
    expect_all("clickhouse", 200, clickhouse_ok + "}", item_status::unknown, error_code::bad_upstream_response);
    expect_all("warpstream", 200, "{} {}", item_status::unknown, error_code::bad_upstream_response);
    expect_all("gorules", 200, R"([{"id":"1","email":"ann@example.com"}]])", item_status::unknown,
               error_code::bad_upstream_response);
}

BOOST_AUTO_TEST_CASE(the_mapper_is_reusable_after_a_bad_reply)
{
    expect_all("anthropic", 200, "{\"id\":", item_status::unknown, error_code::bad_upstream_response);
    const auto out = map("anthropic", 200, anthropic_ok);
    BOOST_TEST(out[0].status == item_status::invited);
    BOOST_TEST(out[0].invitation_id == "invite_015gWxCN9Hfg2QhZwTK7Mdeu");
}

BOOST_AUTO_TEST_CASE(fail_call_gives_every_item_the_same_outcome)
{
    const auto& call = first_call("gorules");
    std::vector<mapping::item_result> out;
    mapping::fail_call(plan, call, item_status::unknown, error_code::upstream_timeout, 0,
                       "no reply from target gorules within 10s", out);
    BOOST_TEST_REQUIRE(out.size() == 3u);
    for (std::uint32_t i = 0; i < 3; ++i) {
        BOOST_TEST(out[i].invitation == i);
        BOOST_TEST(out[i].target == 3u);
        BOOST_TEST(out[i].status == item_status::unknown);
        BOOST_TEST(out[i].error == error_code::upstream_timeout);
        BOOST_TEST(out[i].upstream_status == 0u);
        BOOST_TEST(out[i].message == "no reply from target gorules within 10s");
    }
}

BOOST_AUTO_TEST_SUITE_END()

// ---- the emulators' own error replies, over HTTP ------------------------------------

BOOST_AUTO_TEST_SUITE(reply_mapper_emulated)

BOOST_AUTO_TEST_CASE(each_vendor_refusing_one_address_is_upstream_rejected_with_its_message)
{
    emulator::options options;
    options.creds = test_credentials();
    emulator::server server(options);
    const auto config = load(shipped_config_path(), emulator_env(server));
    const auto request = parse_request(*config, R"({"invitations":[{"email":"no@example.com","role":"developer"}]})");
    mapping::dispatch_plan plan;
    mapping::render_calls(request, config->mappings.routes[0], config->config.roles, plan);
    BOOST_TEST_REQUIRE(plan.calls.size() == 5u);
    mapping::reply_mapper mapper;
    for (const auto& call : plan.calls) {
        BOOST_TEST_CONTEXT(call.target->name)
        {
            server.inject(vendor_of(*call.target),
                          {.kind = emulator::fault_kind::reject_email, .email = "NO@example.com"});
            auto response = send_call(server, plan, call);
            BOOST_TEST_REQUIRE(response.ok(), response.error);
            BOOST_TEST(response.status == 400u);
            std::vector<mapping::item_result> out;
            mapper.map_reply(request, plan, call, response.status, response.body, out);
            BOOST_TEST_REQUIRE(out.size() == 1u);
            BOOST_TEST(out[0].status == item_status::failed);
            BOOST_TEST(out[0].error == error_code::upstream_rejected);
            BOOST_TEST(out[0].message == "cannot invite no@example.com: address rejected");
        }
    }
}

BOOST_AUTO_TEST_CASE(wrong_credentials_are_upstream_unauthorized_and_statuses_follow_the_faults)
{
    emulator::options options; // the sandbox's credentials, not the ones configured
    emulator::server server(options);
    env_map vars = emulator_env(server);
    const emulator::credentials mine = test_credentials();
    vars["ANTHROPIC_ADMIN_KEY"] = mine.anthropic_api_key;
    vars["GORULES_TOKEN"] = mine.gorules_token;
    const auto config = load(shipped_config_path(), vars);
    const auto request = parse_request(
        *config, R"({"invitations":[{"email":"a@example.com","role":"developer"}],"targets":["anthropic","gorules"]})");
    mapping::dispatch_plan plan;
    mapping::render_calls(request, config->mappings.routes[0], config->config.roles, plan);
    BOOST_TEST_REQUIRE(plan.calls.size() == 2u);
    mapping::reply_mapper mapper;
    for (const auto& call : plan.calls) {
        auto response = send_call(server, plan, call);
        BOOST_TEST_REQUIRE(response.ok(), response.error);
        std::vector<mapping::item_result> out;
        mapper.map_reply(request, plan, call, response.status, response.body, out);
        BOOST_TEST_REQUIRE(out.size() == 1u);
        BOOST_TEST(out[0].upstream_status == 401u);
        BOOST_TEST(out[0].status == item_status::failed);
        BOOST_TEST(out[0].error == error_code::upstream_unauthorized);
        BOOST_TEST(out[0].message == (call.target->name == "anthropic" ? "invalid x-api-key" : "Unauthorized"));
    }

    struct expectation {
        unsigned status;
        item_status outcome;
        error_code code;
    };
    for (const expectation e : {expectation{429, item_status::failed, error_code::rate_limited},
                                expectation{500, item_status::unknown, error_code::upstream_error},
                                expectation{503, item_status::failed, error_code::upstream_error}}) {
        const auto& call = plan.calls[1]; // gorules, refused before its credentials are read
        server.inject(emulator::vendor::gorules, {.kind = emulator::fault_kind::status, .status = e.status});
        auto response = send_call(server, plan, call);
        BOOST_TEST_REQUIRE(response.ok(), response.error);
        BOOST_TEST(response.status == e.status);
        std::vector<mapping::item_result> out;
        mapper.map_reply(request, plan, call, response.status, response.body, out);
        BOOST_TEST_REQUIRE(out.size() == 1u);
        BOOST_TEST(out[0].status == e.outcome);
        BOOST_TEST(out[0].error == e.code);
        BOOST_TEST(out[0].upstream_status == e.status);
    }
}

BOOST_AUTO_TEST_SUITE_END()
