// The gateway against the strict Nimbus emulator (tests/e2e/support/nimbus_vendor.hpp),
// through the test-only provider tests/e2e/providers/nimbus.yaml: a vendor that needs a
// custom Accept media type, answers 201 with integer ids and unix-time expiry, takes a
// list of integer team ids, and answers a second invite with 409 "already invited" is
// served from provider YAML alone.

#include "tests/e2e/support/custom_gateway.hpp"
#include "tests/e2e/support/harness.hpp"
#include "tests/e2e/support/merged_reply.hpp"
#include "tests/e2e/support/nimbus_vendor.hpp"
#include "tests/support/paths.hpp"

#include "gateway/mapping/owned_headers.hpp"
#include "gateway/mapping/timestamp.hpp"

#include <boost/test/unit_test.hpp>

using namespace igw;
using namespace igw::e2e;

namespace {

constexpr std::string_view token = "nimbus-token-0123";
constexpr std::string_view workspace = "ws_7Q2";

std::string provider_file(const std::string& name)
{
    return test::read_file(test::test_data_dir() + "/e2e/providers/" + name + ".yaml");
}

std::string config_yaml(const std::string& provider, const std::string& base_url)
{
    return "listen: 127.0.0.1:0\nthreads: 1\nproviders_dir: providers\n"
           "limits:\n  request_timeout: 10s\n"
           "roles: [admin, member]\n"
           "clients:\n  - name: app\n    key: " +
           std::string(client_key) + "\nroutes:\n  - path: " + std::string(invite_path) +
           "\n    targets: [nimbus]\n"
           "targets:\n  - name: nimbus\n    provider: " +
           provider + "\n    base_url: " + base_url +
           "\n    timeout: 5s\n"
           "    params:\n      workspace: " +
           std::string(workspace) +
           "\n      team_ids: [7, 9]\n"
           "    secrets:\n      token: \"" +
           std::string(token) +
           "\"\n"
           "    roles:\n      admin: 10\n      member: 20\n";
}

struct nimbus_gateway {
    nimbus_vendor vendor{std::string(token), std::string(workspace), {10, 20}, {7, 8, 9}};
    custom_gateway gateway;

    explicit nimbus_gateway(const std::string& provider = "nimbus")
        : gateway(config_yaml(provider, vendor.base_url()), {{provider, provider_file(provider)}})
    {
    }

    result_entry invite(const std::string& email, const std::string& role = "member")
    {
        const auto reply = post_invite(gateway.port(), invite_body({{email, role}}));
        BOOST_TEST_REQUIRE(reply.ok(), reply.error);
        BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
        const merged_reply merged = parse_merged_reply(reply.body);
        BOOST_TEST_REQUIRE(merged.results.size() == 1u, reply.body);
        return merged.results.front();
    }
};

std::string rfc3339_seconds(std::int64_t seconds)
{
    mapping::timestamp_text out;
    BOOST_TEST_REQUIRE(mapping::append_rfc3339_from_unix_seconds(seconds, out));
    return std::string(out.view());
}

} // namespace

BOOST_AUTO_TEST_SUITE(nimbus)

BOOST_AUTO_TEST_CASE(an_invite_sends_one_vendor_accept_and_reads_the_201_typed_reply)
{
    nimbus_gateway nimbus;
    const result_entry r = nimbus.invite("New.Person@Example.test");
    BOOST_TEST(r.status == "invited");
    BOOST_TEST(!r.error_code.has_value());
    BOOST_TEST(r.upstream_status.value_or(0) == 201u);
    BOOST_TEST(!r.already_invited);

    const auto made = nimbus.vendor.invitations();
    BOOST_TEST_REQUIRE(made.size() == 1u);
    // The integer id as its decimal string; the unix-seconds expiry as RFC 3339 UTC.
    BOOST_TEST(r.invitation_id.value_or("") == std::string(std::to_string(made[0].id)));
    BOOST_TEST(r.expires_at.value_or("") == std::string(rfc3339_seconds(made[0].expires_at)));
    BOOST_TEST(r.vendor_status.value_or("") == std::string("pending"));
    BOOST_TEST(made[0].role_id == 20);
    BOOST_TEST((made[0].team_ids == std::vector<std::int64_t>{7, 9}));

    const auto requests = nimbus.vendor.requests();
    BOOST_TEST_REQUIRE(requests.size() == 1u);
    const scripted_request& sent = requests[0];
    std::size_t accept = 0;
    for (const auto& [name, value] : sent.headers)
        if (mapping::header_name_equals(name, "Accept")) {
            ++accept;
            BOOST_TEST(value == std::string(nimbus_media_type));
        }
    BOOST_TEST(accept == 1u);
    BOOST_TEST(sent.method == "POST");
    BOOST_TEST(sent.target == nimbus.vendor.invitations_path());
    // team_ids went out as a JSON array of integers.
    BOOST_TEST(sent.body == R"({"email":"new.person@example.test","role_id":20,"team_ids":[7,9],)"
                            R"("send_notification":true})");
}

BOOST_AUTO_TEST_CASE(the_millisecond_variant_reads_the_same_instant)
{
    nimbus_gateway nimbus("nimbus_millis");
    const result_entry r = nimbus.invite("ann@example.test", "admin");
    BOOST_TEST_REQUIRE(r.status == "invited");
    const auto made = nimbus.vendor.invitations();
    BOOST_TEST_REQUIRE(made.size() == 1u);
    mapping::timestamp_text expected;
    BOOST_TEST_REQUIRE(mapping::append_rfc3339_from_unix_millis(made[0].expires_at_ms, expected));
    BOOST_TEST(r.expires_at.value_or("") == std::string(expected.view()));
    BOOST_TEST(r.expires_at.value_or("") == std::string(rfc3339_seconds(made[0].expires_at)));
    BOOST_TEST(made[0].role_id == 10);
}

BOOST_AUTO_TEST_CASE(a_second_invite_is_invited_and_already_invited_with_the_existing_id)
{
    nimbus_gateway nimbus;
    const result_entry first = nimbus.invite("repeat@example.test");
    BOOST_TEST_REQUIRE(first.status == "invited");
    BOOST_TEST_REQUIRE(first.invitation_id.has_value());

    // A client's retry, in another case: the vendor answers 409 already_invited.
    const result_entry second = nimbus.invite("Repeat@Example.test");
    BOOST_TEST(second.status == "invited");
    BOOST_TEST(second.already_invited);
    BOOST_TEST(!second.error_code.has_value());
    BOOST_TEST(second.invitation_id.value_or("") == *first.invitation_id);
    BOOST_TEST(second.upstream_status.value_or(0) == 409u);
    BOOST_TEST(!second.expires_at.has_value()); // the 409 does not carry it
    BOOST_TEST(nimbus.vendor.invitations().size() == 1u);

    // One invited earlier by other means reads the same.
    const std::int64_t seeded = nimbus.vendor.seed("seeded@example.test");
    const result_entry third = nimbus.invite("seeded@example.test");
    BOOST_TEST(third.already_invited);
    BOOST_TEST(third.invitation_id.value_or("") == std::string(std::to_string(seeded)));
}

BOOST_AUTO_TEST_SUITE_END()
