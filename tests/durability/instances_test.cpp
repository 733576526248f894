// Several gateway instances on one PostgreSQL database share requests and keys.

#include "tests/durability/support/deployment.hpp"

#include <boost/test/unit_test.hpp>

#include <future>

using namespace igw::durability;
using igw::emulator::vendor;

BOOST_AUTO_TEST_SUITE(instances)

BOOST_AUTO_TEST_CASE(a_request_on_one_instance_replays_on_another)
{
    deployment d(igw::ledger::backend_kind::postgres);
    auto a = d.start("instance-a");
    auto b = d.start("instance-b");
    const std::string body = invite_body({"kim@example.com"}, {"anthropic", "warpstream"});
    request_options keyed;
    keyed.idempotency_key = "shared-key";
    const auto on_a = post(a->port(), body, keyed);
    BOOST_REQUIRE_EQUAL(on_a.status, 200u);
    const auto on_b = post(b->port(), body, keyed);
    BOOST_TEST(on_b.status == 200u);
    BOOST_TEST(on_b.body == on_a.body);
    BOOST_TEST(on_b.header("Idempotent-Replayed").value_or("") == "true");
    const std::string id = on_a.header("X-Request-Id").value_or("");
    BOOST_TEST(get(b->port(), "/v1/requests/" + id).status == 200u);
    BOOST_TEST(calls_to(d.emulators(), vendor::anthropic) == 1u);
    BOOST_TEST(calls_to(d.emulators(), vendor::warpstream) == 1u);
}

BOOST_AUTO_TEST_CASE(one_key_on_two_instances_at_once_reaches_the_vendor_once)
{
    deployment d(igw::ledger::backend_kind::postgres);
    d.emulators().inject(vendor::anthropic,
                         {.kind = igw::emulator::fault_kind::delay, .delay = std::chrono::milliseconds(1500)});
    auto a = d.start("instance-a");
    auto b = d.start("instance-b");
    const std::string body = invite_body({"lee@example.com"}, {"anthropic"});
    request_options keyed;
    keyed.idempotency_key = "racing-key";
    auto first = std::async(std::launch::async, [&] { return post(a->port(), body, keyed); });
    BOOST_REQUIRE(wait_for_connection(d.emulators(), vendor::anthropic));
    const auto second = post(b->port(), body, keyed);
    BOOST_TEST(second.status == 409u);
    BOOST_TEST(first.get().status == 200u);
    const auto later = post(b->port(), body, keyed);
    BOOST_TEST(later.status == 200u);
    BOOST_TEST(later.header("Idempotent-Replayed").value_or("") == "true");
    BOOST_TEST(calls_to(d.emulators(), vendor::anthropic) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
