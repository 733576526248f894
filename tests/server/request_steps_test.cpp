// The connection's pure steps: the built-in endpoint table, admission into the
// in-flight cap, and the request record, written once.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "gateway/server/admission.hpp"
#include "gateway/server/builtin_endpoints.hpp"
#include "gateway/server/request_record.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace srv = igw::server;
namespace detail = igw::server::detail;

namespace {

detail::builtin_request request_for(const srv::server_services& services, bool ready = true)
{
    return {services, {}, "", "v7", ready};
}

std::optional<detail::plain_reply> call(srv::endpoint kind, const detail::builtin_request& request)
{
    const detail::builtin_endpoint* builtin = detail::find_builtin(kind);
    BOOST_TEST_REQUIRE(builtin != nullptr);
    BOOST_TEST_REQUIRE((builtin->kind == kind));
    return builtin->handle(request);
}

} // namespace

BOOST_AUTO_TEST_SUITE(server_request_steps)

BOOST_AUTO_TEST_CASE(the_table_holds_the_builtin_endpoints_and_not_invites)
{
    for (const auto kind : {srv::endpoint::healthz, srv::endpoint::readyz, srv::endpoint::metrics,
                            srv::endpoint::openapi, srv::endpoint::admin_reload})
        BOOST_TEST(detail::find_builtin(kind) != nullptr);
    BOOST_TEST(detail::find_builtin(srv::endpoint::invite) == nullptr);
    BOOST_TEST(detail::find_builtin(srv::endpoint::not_found) == nullptr);
    // Only a reload changes the config that its reply names.
    BOOST_TEST(detail::find_builtin(srv::endpoint::admin_reload)->changes_config);
    BOOST_TEST(!detail::find_builtin(srv::endpoint::readyz)->changes_config);
}

BOOST_AUTO_TEST_CASE(probes_answer_and_readyz_refuses_while_not_ready)
{
    const srv::server_services none;
    const auto health = call(srv::endpoint::healthz, request_for(none, false));
    BOOST_TEST_REQUIRE(health.has_value());
    BOOST_TEST(health->status == 200u);
    BOOST_TEST(health->body == R"({"status":"ok"})");

    const auto ready = call(srv::endpoint::readyz, request_for(none));
    BOOST_TEST_REQUIRE(ready.has_value());
    BOOST_TEST(ready->status == 200u);
    BOOST_TEST(ready->body == R"({"status":"ready","config_version":"v7"})");

    const auto stopping = call(srv::endpoint::readyz, request_for(none, false));
    BOOST_TEST_REQUIRE(stopping.has_value());
    BOOST_TEST(stopping->status == 503u);
    BOOST_TEST(stopping->content_type == "application/problem+json");
}

BOOST_AUTO_TEST_CASE(endpoints_without_their_service_are_not_found)
{
    const srv::server_services none;
    BOOST_TEST(!call(srv::endpoint::metrics, request_for(none)).has_value());
    BOOST_TEST(!call(srv::endpoint::openapi, request_for(none)).has_value());
    BOOST_TEST(!call(srv::endpoint::admin_reload, request_for(none)).has_value());

    srv::server_services with_openapi;
    with_openapi.openapi = R"({"openapi":"3.1.0"})";
    const auto doc = call(srv::endpoint::openapi, request_for(with_openapi));
    BOOST_TEST_REQUIRE(doc.has_value());
    BOOST_TEST(doc->body == R"({"openapi":"3.1.0"})");
}

BOOST_AUTO_TEST_CASE(a_reload_without_a_valid_key_is_refused_before_it_runs)
{
    bool reloaded = false;
    srv::server_services services;
    services.reload = [&] {
        reloaded = true;
        return srv::reload_outcome{};
    };
    const auto reply = call(srv::endpoint::admin_reload, {services, {}, "Bearer nope", "v1", true});
    BOOST_TEST_REQUIRE(reply.has_value());
    BOOST_TEST(reply->status == 401u);
    BOOST_TEST_REQUIRE(reply->headers.size() == 1u);
    BOOST_TEST(reply->headers[0].first == "WWW-Authenticate");
    BOOST_TEST(!reloaded);
}

BOOST_AUTO_TEST_CASE(the_in_flight_cap_admits_up_to_its_size_and_slots_come_back)
{
    std::atomic<std::size_t> in_flight{0};
    igw::telemetry::thread_metrics metrics;
    std::vector<detail::in_flight_slot> slots;
    for (int i = 0; i < 2; ++i) {
        auto slot = detail::in_flight_slot::try_take(in_flight, 2, &metrics);
        BOOST_TEST_REQUIRE(slot.has_value());
        slots.push_back(std::move(*slot));
    }
    BOOST_TEST(in_flight.load() == 2u);
    BOOST_TEST(metrics.in_flight.value() == 2);
    BOOST_TEST(!detail::in_flight_slot::try_take(in_flight, 2, &metrics).has_value());
    BOOST_TEST(in_flight.load() == 2u); // a refusal counts nothing
    slots[0].release();
    slots[0].release(); // once only
    BOOST_TEST(in_flight.load() == 1u);
    BOOST_TEST(metrics.in_flight.value() == 1);
    slots.clear();
    BOOST_TEST(in_flight.load() == 0u);
    BOOST_TEST(metrics.in_flight.value() == 0);
}

BOOST_AUTO_TEST_CASE(a_probes_only_connection_is_served_the_probes_alone)
{
    BOOST_TEST(detail::probes_only_admits({srv::endpoint::healthz, 0, true, {}}));
    BOOST_TEST(detail::probes_only_admits({srv::endpoint::readyz, 0, true, {}}));
    BOOST_TEST(!detail::probes_only_admits({srv::endpoint::healthz, 0, false, "GET, HEAD"}));
    BOOST_TEST(!detail::probes_only_admits({srv::endpoint::metrics, 0, true, {}}));
    BOOST_TEST(!detail::probes_only_admits({srv::endpoint::invite, 0, true, {}}));
}

BOOST_AUTO_TEST_CASE(the_request_record_is_written_once_and_only_for_invites)
{
    igw::telemetry::route_metrics cells;
    detail::request_record record;
    record.reset(detail::request_record::clock::now());
    BOOST_TEST(!record.pending());
    record.write(200, &cells, false, "v1"); // not an invite route: nothing
    BOOST_TEST(cells.by_status[200].value() == 0u);

    record.open("/v1/invitations", "req-1");
    BOOST_TEST(record.pending());
    BOOST_TEST(record.route() == "/v1/invitations");
    record.write(202, &cells, false, "v1");
    record.write(detail::client_closed_status, &cells, false, "v1"); // already written
    BOOST_TEST(!record.pending());
    BOOST_TEST(cells.by_status[202].value() == 1u);
    BOOST_TEST(cells.by_status[499].value() == 0u);
    BOOST_TEST(cells.duration.count.value() == 1u);

    record.reset(detail::request_record::clock::now()); // the next request on the connection
    BOOST_TEST(!record.pending());
}

BOOST_AUTO_TEST_SUITE_END()
