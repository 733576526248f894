// Requests the gateway refuses itself: the right status and problem, and not a single
// byte to any vendor.

#include "tests/e2e/support/harness.hpp"
#include "tests/e2e/support/merged_reply.hpp"

#include <boost/test/unit_test.hpp>

using namespace igw;
using namespace igw::e2e;
using emulator::vendor;

namespace {

void check_nothing_reached_a_vendor(const emulator::server& emulators)
{
    BOOST_TEST(emulators.requests().empty());
    for (vendor v : emulator::all_vendors)
        BOOST_TEST(emulators.connections_accepted(v) == 0u, emulator::name(v));
}

void check_problem(const emulator::test_response& reply, unsigned status)
{
    BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error);
    BOOST_TEST(reply.status == status, reply.body);
    BOOST_TEST(reply.header("Content-Type").value_or("") == "application/problem+json");
    const problem_reply problem = parse_problem(reply.body);
    BOOST_TEST(problem.status == status);
    BOOST_TEST(!reply.header("X-Request-Id").value_or("").empty());
}

const std::string good_body = invite_body({{"jane@example.com", "developer"}});

} // namespace

BOOST_AUTO_TEST_SUITE(rejection)

BOOST_AUTO_TEST_CASE(missing_or_wrong_client_key_is_401_with_www_authenticate)
{
    emulator::server emulators;
    gateway gw(emulators);

    const auto missing = post_invite(gw.port(), good_body, {.key = std::nullopt});
    check_problem(missing, 401);
    BOOST_TEST(missing.header("WWW-Authenticate").value_or("").starts_with("Bearer"));

    const auto wrong = post_invite(gw.port(), good_body, {.key = "not-the-key-0123456789"});
    check_problem(wrong, 401);
    BOOST_TEST(wrong.header("WWW-Authenticate").value_or("").starts_with("Bearer"));

    check_nothing_reached_a_vendor(emulators);
}

BOOST_AUTO_TEST_CASE(a_client_not_allowed_on_the_route_is_403)
{
    emulator::server emulators;
    config_variant variant;
    variant.limited_client = true;
    gateway gw(emulators, {.variant = variant, .env = {}});

    check_problem(post_invite(gw.port(), good_body, {.key = std::string(limited_client_key)}), 403);
    check_nothing_reached_a_vendor(emulators);

    // The same key is good on its own route: the 403 is about the route, not the key.
    const auto allowed = post_invite(gw.port(), good_body,
                                     {.target = std::string(limited_route), .key = std::string(limited_client_key)});
    BOOST_TEST(allowed.status == 200u, allowed.body);
    BOOST_TEST(emulators.requests(vendor::anthropic).size() == 1u);
}

BOOST_AUTO_TEST_CASE(malformed_json_is_400)
{
    emulator::server emulators;
    gateway gw(emulators);
    check_problem(post_invite(gw.port(), R"({"invitations": [{"email": "jane@example.com", "role": )"), 400);
    check_nothing_reached_a_vendor(emulators);
}

BOOST_AUTO_TEST_CASE(a_body_over_max_body_bytes_is_413)
{
    emulator::server emulators;
    config_variant variant;
    variant.max_body_bytes = "4096";
    gateway gw(emulators, {.variant = variant, .env = {}});

    std::vector<invitation_spec> many;
    for (int i = 0; i < 200; ++i)
        many.push_back({"user" + std::to_string(i) + "@example.com", "member"});
    const std::string body = invite_body(many);
    BOOST_TEST_REQUIRE(body.size() > 4096u);
    check_problem(post_invite(gw.port(), body), 413);
    check_nothing_reached_a_vendor(emulators);
}

BOOST_AUTO_TEST_CASE(a_body_over_the_shipped_one_mebibyte_limit_is_413)
{
    emulator::server emulators;
    gateway gw(emulators);
    const std::string body = R"({"invitations": [], "padding": ")" + std::string(1'100'000, 'x') + R"("})";
    check_problem(post_invite(gw.port(), body), 413);
    check_nothing_reached_a_vendor(emulators);
}

BOOST_AUTO_TEST_CASE(a_body_that_is_not_json_media_type_is_415)
{
    emulator::server emulators;
    gateway gw(emulators);
    check_problem(post_invite(gw.port(), good_body, {.content_type = "text/plain"}), 415);
    check_nothing_reached_a_vendor(emulators);
}

BOOST_AUTO_TEST_CASE(an_invalid_email_is_422_pointing_at_it)
{
    emulator::server emulators;
    gateway gw(emulators);
    const auto reply = post_invite(
        gw.port(),
        invite_body({{"ok@example.com", "member"}, {"ok2@example.com", "member"}, {"not-an-email", "member"}}));
    check_problem(reply, 422);
    const problem_reply problem = parse_problem(reply.body);
    BOOST_TEST_REQUIRE(problem.errors.size() == 1u);
    BOOST_TEST(problem.errors[0].pointer == "/invitations/2/email");
    BOOST_TEST(!problem.errors[0].detail.empty());
    check_nothing_reached_a_vendor(emulators);
}

BOOST_AUTO_TEST_CASE(duplicates_unknown_roles_and_unknown_targets_are_refused_before_sending)
{
    emulator::server emulators;
    gateway gw(emulators);

    const auto duplicate = post_invite(
        gw.port(), invite_body({{"Jane@Example.com", "member"}, {" jane@example.com", "developer"}}));
    BOOST_TEST((duplicate.status == 400u || duplicate.status == 422u), duplicate.status);
    check_problem(duplicate, duplicate.status);
    const problem_reply duplicate_problem = parse_problem(duplicate.body);
    BOOST_TEST_REQUIRE(duplicate_problem.errors.size() == 1u);
    BOOST_TEST(duplicate_problem.errors[0].pointer == "/invitations/1/email");

    const auto role = post_invite(gw.port(), invite_body({{"jane@example.com", "owner"}}));
    BOOST_TEST((role.status == 400u || role.status == 422u), role.status);
    check_problem(role, role.status);
    const problem_reply role_problem = parse_problem(role.body);
    BOOST_TEST_REQUIRE(role_problem.errors.size() == 1u);
    BOOST_TEST(role_problem.errors[0].pointer == "/invitations/0/role");

    const auto target = post_invite(
        gw.port(), invite_body({{"jane@example.com", "member"}}, std::vector<std::string>{"anthropic", "slack"}));
    BOOST_TEST((target.status == 400u || target.status == 422u), target.status);
    check_problem(target, target.status);
    const problem_reply target_problem = parse_problem(target.body);
    BOOST_TEST_REQUIRE(target_problem.errors.size() == 1u);
    BOOST_TEST(target_problem.errors[0].pointer == "/targets/1");

    check_nothing_reached_a_vendor(emulators);
}

BOOST_AUTO_TEST_SUITE_END()
