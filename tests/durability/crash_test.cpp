// kill -9 of the gateway and a restart on the same ledger: nothing sent twice, nothing
// missing, every item as it truly is. The emulators' records are the judge.

#include "gateway/dispatch/ledger_record.hpp"
#include "tests/durability/support/deployment.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <future>
#include <thread>

namespace bdata = boost::unit_test::data;
using namespace igw::durability;
using igw::emulator::vendor;
using igw::test::both_backends;
namespace ledger = igw::ledger;

namespace {

// Polls the ledger, from this process, until `done` holds for the request (bounded).
template <class Done>
bool wait_in_ledger(ledger::store& store, const std::string& id, Done done,
                    std::chrono::milliseconds bound = std::chrono::seconds(10))
{
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto found = igw::test::find(store, id, std::nullopt);
        if (found.ok() && done(found.value))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

// Retries while the request is still being finished (409), bounded.
igw::emulator::test_response post_until_settled(std::uint16_t port, const std::string& body,
                                                const request_options& options)
{
    igw::emulator::test_response reply;
    for (int attempt = 0; attempt < 100; ++attempt) {
        reply = post(port, body, options);
        if (reply.status != 409)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return reply;
}

} // namespace

BOOST_AUTO_TEST_SUITE(crash)

BOOST_DATA_TEST_CASE(a_crash_with_calls_in_flight_keeps_what_was_answered_and_resends_nothing,
                     bdata::make(both_backends), backend)
{
    deployment d(backend);
    // anthropic answers after the crash; clickhouse answers at once.
    d.emulators().inject(vendor::anthropic,
                         {.kind = igw::emulator::fault_kind::delay, .delay = std::chrono::milliseconds(4000)});
    const std::string body = invite_body({"jane@example.com"}, {"anthropic", "clickhouse"});
    request_options keyed;
    keyed.idempotency_key = "crash-in-flight";
    keyed.headers.emplace_back("X-Request-Id", "crash-b");

    auto gateway = d.start();
    auto lost = std::async(std::launch::async, [&] { return post(gateway->port(), body, keyed); });
    BOOST_REQUIRE(wait_for_connection(d.emulators(), vendor::anthropic));
    {
        // Kill only once clickhouse's outcome is in the ledger: it was answered before
        // the crash, so it must survive it.
        ledger::store reader(d.ledger_settings("test-reader"));
        BOOST_REQUIRE(wait_in_ledger(reader, "crash-b", [](const ledger::request_with_items& r) {
            return r.items.size() == 2 && r.items[1].status == ledger::item_status::invited &&
                   r.items[0].status == ledger::item_status::sending;
        }));
    }
    gateway->kill_hard();
    const auto cut = lost.get();
    BOOST_TEST(!cut.ok()); // the client saw its connection close: no reply

    auto restarted = d.start();
    const auto retry = post_until_settled(restarted->port(), body, keyed);
    BOOST_REQUIRE_EQUAL(retry.status, 207u);
    BOOST_TEST(retry.header("X-Request-Id").value_or("") == "crash-b");
    const std::vector<result_row> expected{{"jane@example.com", "anthropic", "unknown", "interrupted"},
                                           {"jane@example.com", "clickhouse", "invited", ""}};
    BOOST_TEST(result_rows(retry.body) == expected, boost::test_tools::per_element());
    const auto document = get(restarted->port(), "/v1/requests/crash-b");
    BOOST_REQUIRE_EQUAL(document.status, 200u);
    BOOST_TEST(json_member(document.body, "state") == "completed");
    BOOST_TEST(result_rows(document.body) == expected, boost::test_tools::per_element());

    // The emulator records a call once it has answered it: wait out the slow one it is
    // still holding, then count: once each.
    BOOST_REQUIRE(wait_for_calls(d.emulators(), vendor::anthropic, 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    BOOST_TEST(calls_to(d.emulators(), vendor::anthropic) == 1u);
    BOOST_TEST(calls_to(d.emulators(), vendor::clickhouse) == 1u);

    // What an operator sees: the item to check with the vendor, and the request.
    const std::string unknown = d.run_cli({"ledger", "unknown", "--config", d.config_file()});
    BOOST_TEST(unknown.find("crash-b") != std::string::npos, unknown);
    BOOST_TEST(unknown.find("interrupted") != std::string::npos, unknown);
    BOOST_TEST(unknown.find("anthropic") != std::string::npos, unknown);
    const std::string shown = d.run_cli({"ledger", "show", "crash-b", "--config", d.config_file()});
    BOOST_TEST(json_member(shown, "state") == "completed", shown);
    BOOST_TEST(result_rows(shown) == expected, boost::test_tools::per_element());
    const std::string listed = d.run_cli({"ledger", "requests", "--config", d.config_file()});
    BOOST_TEST(listed.find("crash-b") != std::string::npos, listed);
}

BOOST_DATA_TEST_CASE(a_stop_past_its_grace_period_still_answers_and_records_the_cut_call, bdata::make(both_backends),
                     backend)
{
    deployment d(backend);
    // anthropic answers long after the grace period; clickhouse at once.
    d.emulators().inject(vendor::anthropic,
                         {.kind = igw::emulator::fault_kind::delay, .delay = std::chrono::milliseconds(4000)});
    const std::string body = invite_body({"jane@example.com"}, {"anthropic", "clickhouse"});
    request_options keyed;
    keyed.idempotency_key = "cut-by-stop";
    keyed.headers.emplace_back("X-Request-Id", "stop-a");

    auto gateway = d.start();
    auto answered = std::async(std::launch::async, [&] { return post(gateway->port(), body, keyed); });
    BOOST_REQUIRE(wait_for_connection(d.emulators(), vendor::anthropic));
    BOOST_REQUIRE(wait_for_calls(d.emulators(), vendor::clickhouse, 1));
    const auto stopping = std::chrono::steady_clock::now();
    BOOST_REQUIRE_EQUAL(gateway->terminate(), 0); // SIGTERM: grace, then the calls are cut
    BOOST_TEST((std::chrono::steady_clock::now() - stopping < std::chrono::milliseconds(3000)));

    // The client has the merged reply: what was answered, and the cut call `interrupted`.
    BOOST_REQUIRE((answered.wait_for(std::chrono::seconds(5)) == std::future_status::ready));
    const auto reply = answered.get();
    BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error);
    BOOST_REQUIRE_EQUAL(reply.status, 207u);
    const std::vector<result_row> expected{{"jane@example.com", "anthropic", "unknown", "interrupted"},
                                           {"jane@example.com", "clickhouse", "invited", ""}};
    BOOST_TEST(result_rows(reply.body) == expected, boost::test_tools::per_element());

    // And so has the ledger: the request is complete, and the retry with the key replays
    // that reply after the restart instead of sending anything again.
    const std::string shown = d.run_cli({"ledger", "show", "stop-a", "--config", d.config_file()});
    BOOST_TEST(json_member(shown, "state") == "completed", shown);
    BOOST_TEST(result_rows(shown) == expected, boost::test_tools::per_element());
    auto restarted = d.start();
    const auto replay = post(restarted->port(), body, keyed);
    BOOST_REQUIRE_EQUAL(replay.status, 207u);
    BOOST_TEST(replay.header("Idempotent-Replayed").value_or("") == "true");
    BOOST_TEST(replay.body == reply.body);
    BOOST_REQUIRE(wait_for_calls(d.emulators(), vendor::anthropic, 1)); // the held call, answered late
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    BOOST_TEST(calls_to(d.emulators(), vendor::anthropic) == 1u);
    BOOST_TEST(calls_to(d.emulators(), vendor::clickhouse) == 1u);
}

BOOST_DATA_TEST_CASE(items_a_crash_left_pending_are_sent_at_the_next_start_once, bdata::make(both_backends), backend)
{
    deployment d(backend);
    // What a gateway that crashed right after recording a request leaves: the request and
    // its items, all pending (nothing was sent). Written with the gateway's own record.
    igw::canonical::invite_request invite;
    invite.invitations.push_back({"gus@example.com", 1, std::string("crm-7")}); // developer
    invite.targets = {0, 1};                                                    // anthropic, clickhouse
    const std::vector<std::string> roles{"admin", "developer", "member", "billing"};
    igw::mapping::route_plan route;
    route.path = std::string(invite_path);
    route.target_names = {"anthropic", "clickhouse", "warpstream", "gorules", "atomicwork"};
    {
        ledger::store writer(d.ledger_settings("instance-a"));
        const auto begun = igw::test::begin(
            writer,
            igw::dispatch::describe_request("crash-a", "default", "before-crash", "crash-a-key", invite, roles, route));
        BOOST_REQUIRE_MESSAGE(begun.ok(), begun.error.message);
        BOOST_REQUIRE(begun.value.kind == ledger::begin_kind::claimed);
    }

    auto gateway = d.start("instance-a"); // the same instance: its own unfinished requests
    BOOST_REQUIRE(wait_for_calls(d.emulators(), vendor::anthropic, 1));
    BOOST_REQUIRE(wait_for_calls(d.emulators(), vendor::clickhouse, 1));
    igw::emulator::test_response document;
    for (int attempt = 0; attempt < 100; ++attempt) {
        document = get(gateway->port(), "/v1/requests/crash-a");
        if (json_member(document.body, "state") == "completed")
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    BOOST_REQUIRE_EQUAL(json_member(document.body, "state"), "completed");
    const std::vector<result_row> expected{{"gus@example.com", "anthropic", "invited", ""},
                                           {"gus@example.com", "clickhouse", "invited", ""}};
    BOOST_TEST(result_rows(document.body) == expected, boost::test_tools::per_element());

    // The client's retry with its key gets that outcome; nothing is sent again.
    request_options keyed;
    keyed.idempotency_key = "crash-a-key";
    const std::string body = R"({"invitations": [{"email": "gus@example.com", "role": "developer", "ref": "crm-7"}],)"
                             R"( "targets": ["anthropic", "clickhouse"]})";
    const auto retry = post(gateway->port(), body, keyed);
    BOOST_REQUIRE_EQUAL(retry.status, 200u);
    BOOST_TEST(retry.header("Idempotent-Replayed").value_or("") == "true");
    BOOST_TEST(retry.header("X-Request-Id").value_or("") == "crash-a");
    BOOST_TEST(result_rows(retry.body) == expected, boost::test_tools::per_element());
    BOOST_TEST(calls_to(d.emulators(), vendor::anthropic) == 1u);
    BOOST_TEST(calls_to(d.emulators(), vendor::clickhouse) == 1u);
}

BOOST_DATA_TEST_CASE(a_crash_after_every_answer_replays_them_all, bdata::make(both_backends), backend)
{
    deployment d(backend);
    const std::string body = invite_body({"ida@example.com", "jo@example.com"}, {"anthropic", "gorules"});
    request_options keyed;
    keyed.idempotency_key = "crash-after-answers";
    keyed.headers.emplace_back("X-Request-Id", "crash-c");
    auto gateway = d.start();
    const auto first = post(gateway->port(), body, keyed);
    BOOST_REQUIRE_EQUAL(first.status, 200u);
    const std::size_t anthropic_calls = calls_to(d.emulators(), vendor::anthropic);
    const std::size_t gorules_calls = calls_to(d.emulators(), vendor::gorules);
    BOOST_REQUIRE(anthropic_calls > 0u);
    BOOST_REQUIRE(gorules_calls > 0u);
    gateway->kill_hard();

    auto restarted = d.start();
    const auto retry = post(restarted->port(), body, keyed);
    BOOST_TEST(retry.status == 200u);
    BOOST_TEST(retry.body == first.body);
    BOOST_TEST(retry.header("Idempotent-Replayed").value_or("") == "true");
    BOOST_TEST(calls_to(d.emulators(), vendor::anthropic) == anthropic_calls);
    BOOST_TEST(calls_to(d.emulators(), vendor::gorules) == gorules_calls);
}

BOOST_AUTO_TEST_SUITE_END()
