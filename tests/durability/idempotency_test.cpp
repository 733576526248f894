// Idempotency-Key over HTTP, against the real binary, on SQLite and on PostgreSQL.

#include "tests/durability/support/deployment.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <future>

namespace bdata = boost::unit_test::data;
using namespace igw::durability;
using igw::emulator::vendor;
using igw::test::both_backends;

BOOST_AUTO_TEST_SUITE(idempotency)

BOOST_DATA_TEST_CASE(a_repeated_key_replays_the_first_reply_and_calls_nobody_again, bdata::make(both_backends), backend)
{
    deployment d(backend);
    auto gateway = d.start();
    const std::string body = invite_body({"jane@example.com"}, {"anthropic", "clickhouse"});
    request_options keyed;
    keyed.idempotency_key = "onboarding-2026-12-01/jane";

    const auto first = post(gateway->port(), body, keyed);
    BOOST_REQUIRE_MESSAGE(first.ok(), first.error);
    BOOST_REQUIRE_EQUAL(first.status, 200u);
    BOOST_TEST(!first.header("Idempotent-Replayed"));
    BOOST_TEST(calls_to(d.emulators(), vendor::anthropic) == 1u);
    BOOST_TEST(calls_to(d.emulators(), vendor::clickhouse) == 1u);

    // The same request again, in another spelling (email case, spacing): the same one.
    const std::string respelled =
        R"({ "targets": ["anthropic","clickhouse"], "invitations": [{"role": "developer", "email": "JANE@example.com"}]})";
    const auto second = post(gateway->port(), respelled, keyed);
    BOOST_REQUIRE_MESSAGE(second.ok(), second.error);
    BOOST_TEST(second.status == first.status);
    BOOST_TEST(second.body == first.body);
    BOOST_TEST(second.header("Idempotent-Replayed").value_or("") == "true");
    BOOST_TEST(second.header("X-Request-Id").value_or("") == first.header("X-Request-Id").value_or("-"));
    BOOST_TEST(calls_to(d.emulators(), vendor::anthropic) == 1u);
    BOOST_TEST(calls_to(d.emulators(), vendor::clickhouse) == 1u);

    // The same key for another request is refused, and sends nothing.
    const auto changed = post(gateway->port(), invite_body({"joe@example.com"}, {"anthropic"}), keyed);
    BOOST_TEST(changed.status == 422u);
    BOOST_TEST(json_member(changed.body, "type") == "/problems/idempotency-key-reused");
    BOOST_TEST(calls_to(d.emulators(), vendor::anthropic) == 1u);

    // Keys are the client's own: another client's same key is another request.
    request_options other = keyed;
    other.key = std::string(other_client_key);
    const auto theirs = post(gateway->port(), body, other);
    BOOST_TEST(theirs.status == 200u);
    BOOST_TEST(!theirs.header("Idempotent-Replayed"));
    BOOST_TEST(calls_to(d.emulators(), vendor::anthropic) == 2u);
}

BOOST_DATA_TEST_CASE(the_recorded_result_is_there_by_request_id_for_its_client_only, bdata::make(both_backends),
                     backend)
{
    deployment d(backend);
    auto gateway = d.start();
    request_options options;
    options.headers.emplace_back("X-Request-Id", "lookup-test-1");
    const auto reply = post(gateway->port(), invite_body({"ann@example.com", "bob@example.com"}, {"anthropic"}),
                            options);
    BOOST_REQUIRE_EQUAL(reply.status, 200u);
    BOOST_REQUIRE(reply.header("X-Request-Id").value_or("") == "lookup-test-1");

    const auto found = get(gateway->port(), "/v1/requests/lookup-test-1");
    BOOST_REQUIRE_EQUAL(found.status, 200u);
    BOOST_TEST(json_member(found.body, "state") == "completed");
    BOOST_TEST(json_member(found.body, "request_id") == "lookup-test-1");
    const std::vector<result_row> expected{{"ann@example.com", "anthropic", "invited", ""},
                                           {"bob@example.com", "anthropic", "invited", ""}};
    BOOST_TEST(result_rows(found.body) == expected, boost::test_tools::per_element());
    BOOST_TEST(result_rows(reply.body) == expected, boost::test_tools::per_element());

    BOOST_TEST(get(gateway->port(), "/v1/requests/lookup-test-1", other_client_key).status == 404u);
    const auto metrics = get(gateway->port(), "/metrics", "");
    BOOST_TEST(metrics.body.find("invitegw_ledger_operations_total ") != std::string::npos);
    BOOST_TEST(metrics.body.find("invitegw_ledger_operation_duration_seconds_bucket{le=\"+Inf\"}") !=
               std::string::npos);
    BOOST_TEST(get(gateway->port(), "/v1/requests/no-such-request").status == 404u);
    const auto anonymous = get(gateway->port(), "/v1/requests/lookup-test-1", "");
    BOOST_TEST(anonymous.status == 401u);
    BOOST_TEST(anonymous.header("WWW-Authenticate").has_value());

    // An id that names a recorded request cannot be taken by another one.
    const std::size_t calls = calls_to(d.emulators(), vendor::anthropic);
    const auto reused = post(gateway->port(), invite_body({"cy@example.com"}, {"anthropic"}), options);
    BOOST_TEST(reused.status == 409u);
    BOOST_TEST(json_member(reused.body, "type") == "/problems/request-id-in-use");
    // The same client sending the same request under the same id: a retry of it.
    const auto again = post(gateway->port(), invite_body({"ann@example.com", "bob@example.com"}, {"anthropic"}),
                            options);
    BOOST_TEST(again.status == 200u);
    BOOST_TEST(again.body == reply.body);
    BOOST_TEST(calls_to(d.emulators(), vendor::anthropic) == calls);
}

BOOST_DATA_TEST_CASE(one_key_from_two_connections_reaches_the_vendor_once, bdata::make(both_backends), backend)
{
    deployment d(backend);
    // The first call is slow, so that the second request arrives while it runs.
    d.emulators().inject(vendor::anthropic,
                         {.kind = igw::emulator::fault_kind::delay, .delay = std::chrono::milliseconds(1500)});
    auto gateway = d.start();
    const std::string body = invite_body({"dee@example.com"}, {"anthropic"});
    request_options keyed;
    keyed.idempotency_key = "concurrent-key";
    auto first = std::async(std::launch::async, [&] { return post(gateway->port(), body, keyed); });
    BOOST_REQUIRE(wait_for_connection(d.emulators(), vendor::anthropic));
    const auto second = post(gateway->port(), body, keyed);
    const auto first_reply = first.get();
    BOOST_REQUIRE_MESSAGE(first_reply.ok(), first_reply.error);
    BOOST_TEST(first_reply.status == 200u);
    BOOST_TEST(second.status == 409u);
    BOOST_TEST(json_member(second.body, "type") == "/problems/idempotency-key-in-use");
    BOOST_TEST(second.header("Retry-After").has_value());
    // Once the first is done, the same key replays it.
    const auto later = post(gateway->port(), body, keyed);
    BOOST_TEST(later.status == 200u);
    BOOST_TEST(later.header("Idempotent-Replayed").value_or("") == "true");
    BOOST_TEST(calls_to(d.emulators(), vendor::anthropic) == 1u);
}

BOOST_DATA_TEST_CASE(a_route_may_require_a_key_and_a_key_must_be_well_formed, bdata::make(both_backends), backend)
{
    deployment d(backend);
    auto gateway = d.start();
    request_options strict;
    strict.path = std::string(strict_path);
    const std::string body = invite_body({"eve@example.com"}, {"anthropic"});
    const auto missing = post(gateway->port(), body, strict);
    BOOST_TEST(missing.status == 400u);
    BOOST_TEST(json_member(missing.body, "type") == "/problems/idempotency-key-required");

    strict.idempotency_key = std::string(256, 'k');
    const auto too_long = post(gateway->port(), body, strict);
    BOOST_TEST(too_long.status == 400u);
    BOOST_TEST(json_member(too_long.body, "type") == "/problems/idempotency-key-invalid");

    request_options twice = strict;
    twice.idempotency_key = "first";
    twice.headers.emplace_back("Idempotency-Key", "second");
    BOOST_TEST(post(gateway->port(), body, twice).status == 400u);
    BOOST_TEST(calls_to(d.emulators(), vendor::anthropic) == 0u);

    strict.idempotency_key = "a key with spaces ~ and symbols!";
    BOOST_TEST(post(gateway->port(), body, strict).status == 200u);
    BOOST_TEST(calls_to(d.emulators(), vendor::anthropic) == 1u);
}

BOOST_AUTO_TEST_CASE(no_secret_reaches_the_ledger_file)
{
    deployment d(igw::ledger::backend_kind::sqlite);
    {
        auto gateway = d.start();
        request_options keyed;
        keyed.idempotency_key = "secret-check";
        BOOST_REQUIRE_EQUAL(
            post(gateway->port(),
                 invite_body({"fay@example.com"}, {"anthropic", "clickhouse", "warpstream", "gorules", "atomicwork"}),
                 keyed)
                .status,
            200u);
        BOOST_REQUIRE_EQUAL(gateway->terminate(), 0);
    }
    std::string stored;
    for (const char* suffix : {"", "-wal"})
        if (std::filesystem::exists(d.sqlite_path() + suffix))
            stored += igw::test::read_file(d.sqlite_path() + suffix);
    BOOST_REQUIRE(stored.find("fay@example.com") != std::string::npos); // the file is the ledger
    const igw::emulator::credentials creds;
    for (const std::string& secret : {std::string(client_key), creds.anthropic_api_key, creds.clickhouse_key_secret,
                                      creds.warpstream_api_key, creds.gorules_token, creds.atomicwork_api_key})
        BOOST_TEST(stored.find(secret) == std::string::npos, "the ledger holds a secret: " << secret);
}

BOOST_AUTO_TEST_SUITE_END()
