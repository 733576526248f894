// The harness's variants are the shipped config/gateway.yaml with their overrides and
// nothing else, so that what the suite exercises is the file the package installs.

#include "tests/e2e/support/harness.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace igw;
using namespace igw::e2e;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(harness_config)

BOOST_AUTO_TEST_CASE(a_variant_is_the_shipped_config_with_its_overrides)
{
    emulator::server emulators;
    const gateway shipped(emulators);
    config_variant overrides;
    overrides.request_timeout = "750ms";
    overrides.timeouts["gorules"] = "300ms";
    overrides.limited_client = true;
    const gateway variant(emulators, {.variant = overrides, .env = {}});
    const config::gateway_config& a = shipped.config().config;
    const config::gateway_config& b = variant.config().config;

    // What the variant changes.
    BOOST_TEST(b.limits.request_timeout.count() == 750);
    BOOST_TEST(a.limits.request_timeout.count() == 30'000);
    BOOST_TEST(b.find_target("gorules")->timeout.count() == 300);
    BOOST_REQUIRE(b.clients.size() == 2u);
    BOOST_TEST(b.clients[1].name == "limited");
    BOOST_REQUIRE(b.routes.size() == 2u);
    BOOST_TEST(b.routes[1].path == std::string(limited_route));

    // Everything else is the shipped file's.
    BOOST_TEST(b.providers_dir == a.providers_dir);
    BOOST_TEST(b.roles == a.roles);
    BOOST_TEST(b.clients[0].name == a.clients[0].name);
    BOOST_TEST((b.clients[0].keys_sha256 == a.clients[0].keys_sha256));
    BOOST_TEST(b.routes[0].path == a.routes[0].path);
    BOOST_TEST(b.routes[0].targets == a.routes[0].targets);
    BOOST_TEST(b.limits.max_body_bytes == a.limits.max_body_bytes);
    BOOST_TEST(b.limits.max_in_flight_requests == a.limits.max_in_flight_requests);
    BOOST_TEST(b.limits.idle_timeout.count() == a.limits.idle_timeout.count());
    BOOST_TEST(b.limits.shutdown_grace.count() == a.limits.shutdown_grace.count());
    BOOST_REQUIRE(b.targets.size() == a.targets.size());
    for (std::size_t i = 0; i < a.targets.size(); ++i) {
        const config::target_config& want = a.targets[i];
        const config::target_config& got = b.targets[i];
        BOOST_TEST_CONTEXT(want.name)
        {
            BOOST_TEST(got.name == want.name);
            BOOST_TEST(got.provider == want.provider);
            BOOST_TEST(got.url.host == want.url.host);
            BOOST_TEST(got.url.port == want.url.port);
            BOOST_TEST((got.params == want.params));
            BOOST_TEST((got.secrets == want.secrets));
            BOOST_TEST(got.roles.size() == want.roles.size());
            BOOST_TEST(got.max_in_flight == want.max_in_flight);
            if (want.name != "gorules")
                BOOST_TEST(got.timeout.count() == want.timeout.count());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
