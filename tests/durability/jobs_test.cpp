// Asynchronous requests (jobs) through the real binary: accepted at once, carried out in
// the background like the synchronous path, resumed after kill -9 without sending
// anything twice, taken over by another instance, and announced by a signed webhook.

#include "tests/durability/support/deployment.hpp"
#include "tests/durability/support/webhook_receiver.hpp"
#include "tests/support/files.hpp"
#include "tests/support/invite_body.hpp"
#include "tests/support/paths.hpp"

#include <simdjson.h>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <map>
#include <set>
#include <thread>

namespace bdata = boost::unit_test::data;
using namespace igw::durability;
using igw::emulator::vendor;
using igw::test::both_backends;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> all_targets{"anthropic", "clickhouse", "warpstream", "gorules", "atomicwork"};

std::vector<std::string> emails(std::size_t n, std::size_t first = 0)
{
    std::vector<std::string> out;
    for (std::size_t i = first; i < first + n; ++i)
        out.push_back("job" + std::to_string(i) + "@example.com");
    return out;
}

request_options async(std::optional<std::string> key = std::nullopt)
{
    request_options options;
    options.headers.emplace_back("Prefer", "respond-async");
    options.idempotency_key = std::move(key);
    return options;
}

struct job_view {
    std::string status;
    std::uint64_t items = 0, pending = 0, sending = 0, invited = 0, failed = 0, unknown = 0;
    std::string next_cursor; // empty when null or absent
    std::size_t deliveries = 0;
    std::string delivery_state;
    std::vector<unsigned> attempt_statuses;
};

job_view read_job(const std::string& body)
{
    simdjson::dom::parser parser;
    simdjson::dom::element root = parser.parse(body);
    job_view v;
    v.status = std::string(root["status"].get_string().value());
    const auto progress = root["progress"];
    v.items = progress["items"].get_uint64().value();
    v.pending = progress["pending"].get_uint64().value();
    v.sending = progress["sending"].get_uint64().value();
    v.invited = progress["invited"].get_uint64().value();
    v.failed = progress["failed"].get_uint64().value();
    v.unknown = progress["unknown"].get_uint64().value();
    if (std::string_view cursor; !root["next_cursor"].get(cursor))
        v.next_cursor = std::string(cursor);
    for (simdjson::dom::element d : root["webhook_deliveries"].get_array()) {
        ++v.deliveries;
        v.delivery_state = std::string(d["state"].get_string().value());
        for (simdjson::dom::element a : d["attempts"].get_array()) {
            std::uint64_t status = 0;
            if (a["status"].get(status) != simdjson::SUCCESS)
                status = 0;
            v.attempt_statuses.push_back(static_cast<unsigned>(status));
        }
    }
    return v;
}

// Polls the job until it completes (bounded); calls `seen` with each document.
template <class Seen>
job_view wait_for_job(std::uint16_t port, const std::string& location, Seen seen, std::chrono::seconds bound = 120s)
{
    const auto deadline = std::chrono::steady_clock::now() + bound;
    job_view v;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto doc = get(port, location);
        BOOST_REQUIRE_EQUAL(doc.status, 200u);
        v = read_job(doc.body);
        seen(v);
        if (v.status == "completed")
            return v;
        std::this_thread::sleep_for(50ms);
    }
    BOOST_FAIL("the job did not complete in time");
    return v;
}

// Every page of a completed job's results, following next_cursor.
std::vector<result_row> all_rows(std::uint16_t port, const std::string& location, std::size_t& pages)
{
    std::vector<result_row> rows;
    std::string path = location;
    for (pages = 0; pages < 100; ++pages) {
        const auto doc = get(port, path);
        BOOST_REQUIRE_EQUAL(doc.status, 200u);
        const auto page = result_rows(doc.body);
        rows.insert(rows.end(), page.begin(), page.end());
        const auto view = read_job(doc.body);
        if (view.next_cursor.empty()) {
            ++pages;
            break;
        }
        path = location + "?cursor=" + view.next_cursor;
    }
    return rows;
}

// How many times each email reached `target` (from the emulator's records).
std::map<std::string, int> calls_per_email(const igw::emulator::server& emulators, vendor target)
{
    std::map<std::string, int> seen;
    for (const auto& r : emulators.requests(target))
        for (std::size_t at = r.body.find("@example.com"); at != std::string::npos;
             at = r.body.find("@example.com", at + 1)) {
            const std::size_t start = r.body.rfind('"', at) + 1;
            ++seen[r.body.substr(start, at + 12 - start)];
        }
    return seen;
}

// scripts/verify-webhook, written from the Standard Webhooks specification.
int verify_webhook(const received_webhook& hook, const igw::test::temp_dir& dir)
{
    const std::string body_file = dir.write("webhook-body.json", hook.body);
    const auto header = [&](const char* name) {
        const auto found = hook.headers.find(name);
        return found == hook.headers.end() ? std::string() : found->second;
    };
    const std::string command = "python3 '" + igw::test::test_data_dir() + "/../scripts/verify-webhook' --id '" +
                                header("webhook-id") + "' --timestamp '" + header("webhook-timestamp") +
                                "' --signature '" + header("webhook-signature") + "' --body '" + body_file + "' '" +
                                std::string(webhook_secret) + "' >/dev/null 2>&1";
    return std::system(command.c_str());
}

} // namespace

BOOST_AUTO_TEST_SUITE(jobs)

BOOST_AUTO_TEST_CASE(a_big_job_runs_in_the_background_as_the_synchronous_path_would_and_announces_itself)
{
    webhook_receiver hooks(2); // the first two deliveries fail: retried until one succeeds
    deployment d(igw::ledger::backend_kind::sqlite, {.webhook_url = hooks.url()});
    auto gateway = d.start();
    const std::string body = invite_body(emails(2000), all_targets);

    const auto sent = std::chrono::steady_clock::now();
    const auto accepted = post(gateway->port(), body, async("big-job"));
    BOOST_REQUIRE_EQUAL(accepted.status, 202u);
    BOOST_TEST((std::chrono::steady_clock::now() - sent < 3s)); // at once, not after the calls
    const std::string location = accepted.header("Location").value_or("");
    const std::string job_id = accepted.header("X-Request-Id").value_or("");
    BOOST_REQUIRE(location == "/v1/jobs/" + job_id);
    BOOST_TEST(accepted.header("Preference-Applied").value_or("") == "respond-async");
    BOOST_TEST(json_member(accepted.body, "job_id") == job_id);

    // The key makes the 202 itself idempotent: the same job, nothing recorded again.
    const auto again = post(gateway->port(), body, async("big-job"));
    BOOST_REQUIRE_EQUAL(again.status, 202u);
    BOOST_TEST(again.header("Location").value_or("") == location);
    BOOST_TEST(again.header("Idempotent-Replayed").value_or("") == "true");
    // Only its client sees it.
    BOOST_TEST(get(gateway->port(), location, other_client_key).status == 404u);

    bool saw_progress = false;
    const auto done = wait_for_job(gateway->port(), location, [&](const job_view& v) {
        BOOST_TEST(v.items == 10000u);
        BOOST_TEST(v.pending + v.sending + v.invited + v.failed + v.unknown == v.items);
        if (v.status == "running" && v.invited > 0 && v.invited < v.items)
            saw_progress = true;
    });
    BOOST_TEST(saw_progress);
    BOOST_TEST(done.invited == 10000u);

    std::size_t pages = 0;
    const auto job_rows = all_rows(gateway->port(), location, pages);
    BOOST_TEST(pages == 2u); // 1000 invitations a page
    BOOST_REQUIRE_EQUAL(job_rows.size(), 10000u);

    // The synchronous path, on a deployment of its own (fresh vendor accounts), in two
    // requests of the synchronous limit: the same rows in the same order.
    deployment sync_side(igw::ledger::backend_kind::sqlite);
    auto sync_gateway = sync_side.start();
    std::vector<result_row> sync_rows;
    for (std::size_t half = 0; half < 2; ++half) {
        const auto reply = post(sync_gateway->port(), invite_body(emails(1000, half * 1000), all_targets));
        BOOST_REQUIRE_EQUAL(reply.status, 200u);
        const auto rows = result_rows(reply.body);
        sync_rows.insert(sync_rows.end(), rows.begin(), rows.end());
    }
    BOOST_TEST(job_rows == sync_rows, boost::test_tools::per_element());
    for (const vendor v :
         {vendor::anthropic, vendor::clickhouse, vendor::warpstream, vendor::gorules, vendor::atomicwork})
        BOOST_TEST(calls_to(d.emulators(), v) == calls_to(sync_side.emulators(), v));

    // The webhook: 503, 503, then 204, each attempt signed as the specification says and
    // recorded in the job document; delivered once.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (hooks.received().size() < 3 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    std::this_thread::sleep_for(1500ms); // nothing more comes
    const auto received = hooks.received();
    BOOST_REQUIRE_EQUAL(received.size(), 3u);
    igw::test::temp_dir dir;
    for (const auto& hook : received) {
        BOOST_TEST(hook.headers.at("webhook-id") == received[0].headers.at("webhook-id"));
        BOOST_TEST(hook.body == received[0].body);
        BOOST_TEST(verify_webhook(hook, dir) == 0, hook.headers.at("webhook-signature"));
    }
    BOOST_TEST(received[2].answered == 204u);
    received_webhook forged = received[2];
    forged.body.replace(forged.body.find("10000"), 5, "10001");
    BOOST_TEST(verify_webhook(forged, dir) != 0); // the verifier does check
    BOOST_TEST(json_member(received[0].body, "type") == "invitation.job.completed");
    BOOST_TEST(received[0].body.find("\"job_id\":\"" + job_id + "\"") != std::string::npos, received[0].body);
    const auto final_view = read_job(get(gateway->port(), location).body);
    BOOST_TEST(final_view.deliveries == 1u);
    BOOST_TEST(final_view.delivery_state == "delivered");
    BOOST_TEST(final_view.attempt_statuses == (std::vector<unsigned>{503, 503, 204}), boost::test_tools::per_element());
}

BOOST_DATA_TEST_CASE(a_job_killed_mid_way_resumes_after_a_restart_and_sends_nothing_twice, bdata::make(both_backends),
                     backend)
{
    deployment d(backend);
    d.emulators().inject(vendor::anthropic, {.kind = igw::emulator::fault_kind::delay, .delay = 20ms, .times = 0});
    const std::size_t n = 300;
    auto gateway = d.start();
    const auto accepted = post(gateway->port(), invite_body(emails(n), {"anthropic"}), async("killed-job"));
    BOOST_REQUIRE_EQUAL(accepted.status, 202u);
    const std::string location = accepted.header("Location").value_or("");
    BOOST_REQUIRE(wait_for_calls(d.emulators(), vendor::anthropic, n / 3, 30s));
    gateway->kill_hard();

    auto restarted = d.start(); // the same instance: it takes its job back at once
    const auto done = wait_for_job(restarted->port(), location, [](const job_view&) {});
    BOOST_TEST(done.items == n);
    BOOST_TEST(done.pending == 0u);
    BOOST_TEST(done.sending == 0u);
    // What was in flight at the kill may have reached the vendor: unknown/interrupted, never
    // resent, and then looked up in the vendor's listing (Anthropic has one) before the job
    // completes: invited if the vendor made it, failed/not_created if the call never got there.
    BOOST_TEST(done.invited + done.failed + done.unknown == n);
    BOOST_TEST(done.failed + done.unknown <= 16u); // at most the calls in flight
    const auto per_email = calls_per_email(d.emulators(), vendor::anthropic);
    for (const auto& [email, count] : per_email)
        BOOST_TEST(count == 1, email << " was sent " << count << " times");
    BOOST_TEST(per_email.size() >= done.invited);
    std::size_t pages = 0;
    const auto rows = all_rows(restarted->port(), location, pages);
    BOOST_REQUIRE_EQUAL(rows.size(), n);
    for (const auto& row : rows) {
        if (row.status == "unknown")
            BOOST_TEST(row.code == "interrupted");
        if (row.status == "failed") {
            BOOST_TEST(row.code == "not_created");
            BOOST_TEST(!per_email.contains(row.email), row.email << " reached the vendor");
        }
        if (row.status == "invited")
            BOOST_TEST(per_email.contains(row.email), row.email << " never reached the vendor");
    }
}

BOOST_AUTO_TEST_CASE(another_instance_finishes_the_job_of_one_that_died_after_its_lease)
{
    deployment d(igw::ledger::backend_kind::postgres);
    d.emulators().inject(vendor::anthropic, {.kind = igw::emulator::fault_kind::delay, .delay = 20ms, .times = 0});
    const std::size_t n = 300;
    auto a = d.start("instance-a");
    auto b = d.start("instance-b");
    const auto accepted = post(a->port(), invite_body(emails(n), {"anthropic"}), async("shared-job"));
    BOOST_REQUIRE_EQUAL(accepted.status, 202u);
    const std::string location = accepted.header("Location").value_or("");
    BOOST_REQUIRE(wait_for_calls(d.emulators(), vendor::anthropic, n / 3, 30s));
    // Whichever instance took it (a was woken at once, b polls) is killed.
    const bool a_runs = a->log().find("\"event\":\"job_started\"") != std::string::npos;
    BOOST_REQUIRE(a_runs || b->log().find("\"event\":\"job_started\"") != std::string::npos);
    auto& runner = a_runs ? a : b;
    auto& survivor = a_runs ? b : a;
    const auto killed = std::chrono::steady_clock::now();
    runner->kill_hard();

    const auto done = wait_for_job(survivor->port(), location, [](const job_view&) {});
    // Not before the dead runner's lease ran out.
    BOOST_TEST((std::chrono::steady_clock::now() - killed >= std::chrono::milliseconds(job_lease_ms / 2)));
    BOOST_TEST(survivor->log().find("\"event\":\"job_completed\"") != std::string::npos);
    // The interrupted items were looked up before the job completed (see above).
    BOOST_TEST(done.invited + done.failed + done.unknown == n);
    BOOST_TEST(done.failed + done.unknown <= 16u);
    for (const auto& [email, count] : calls_per_email(d.emulators(), vendor::anthropic))
        BOOST_TEST(count == 1, email << " was sent " << count << " times");
}

BOOST_AUTO_TEST_CASE(a_job_needs_a_well_formed_cursor_and_its_own_limits)
{
    deployment d(igw::ledger::backend_kind::sqlite);
    auto gateway = d.start();
    const std::string small = invite_body(emails(3), {"anthropic"});
    const auto accepted = post(gateway->port(), small, async("small-job"));
    BOOST_REQUIRE_EQUAL(accepted.status, 202u);
    const std::string location = accepted.header("Location").value_or("");
    wait_for_job(gateway->port(), location, [](const job_view&) {});
    BOOST_TEST(get(gateway->port(), location + "?cursor=abc").status == 400u);
    BOOST_TEST(get(gateway->port(), location + "?cursor=1000").status == 400u); // past the last page
    // The same key without Prefer is the same request: answered with the job, nothing sent.
    const auto calls_before = calls_to(d.emulators(), vendor::anthropic);
    request_options keyed;
    keyed.idempotency_key = "small-job";
    const auto same_key = post(gateway->port(), small, keyed);
    BOOST_TEST(same_key.status == 202u);
    BOOST_TEST(same_key.header("Location").value_or("") == location);
    BOOST_TEST(same_key.header("Idempotent-Replayed").value_or("") == "true");
    BOOST_TEST(same_key.body.find("\"result\"") == std::string::npos, same_key.body); // results are paged
    BOOST_TEST(calls_to(d.emulators(), vendor::anthropic) == calls_before);
    // The request lookup points at the job's own document.
    const std::string job_id = location.substr(std::string("/v1/jobs/").size());
    const auto looked_up = get(gateway->port(), "/v1/requests/" + job_id);
    BOOST_TEST(looked_up.status == 303u);
    BOOST_TEST(looked_up.header("Location").value_or("") == location);
    BOOST_TEST(get(gateway->port(), "/v1/jobs/no-such-job").status == 404u);
    // The probes and the metrics tell of the jobs.
    const auto ready = get(gateway->port(), "/readyz", "");
    BOOST_TEST(ready.body.find(R"("jobs":{"queued":)") != std::string::npos, ready.body);
    const auto scraped = get(gateway->port(), "/metrics", "");
    BOOST_TEST(scraped.body.find("invitegw_jobs_leased ") != std::string::npos);
    BOOST_TEST(scraped.body.find("invitegw_jobs_completed_total 1") != std::string::npos);
    // A job of one call marks it `sending` before it goes, like any other (attempts 1).
    const auto single = post(gateway->port(), invite_body(emails(1, 500), {"anthropic"}), async());
    BOOST_REQUIRE_EQUAL(single.status, 202u);
    const std::string single_location = single.header("Location").value_or("");
    wait_for_job(gateway->port(), single_location, [](const job_view&) {});
    const auto single_doc = get(gateway->port(), single_location);
    BOOST_TEST(single_doc.body.find(R"("status":"invited")") != std::string::npos, single_doc.body);
    BOOST_TEST(single_doc.body.find(R"("attempts":1})") != std::string::npos, single_doc.body);
    // More than the synchronous limit (1000) is a job's to take, not a synchronous request's.
    const std::string big = invite_body(emails(1200), {"anthropic"});
    BOOST_TEST(post(gateway->port(), big).status == 422u);
    const auto big_job = post(gateway->port(), big, async());
    BOOST_TEST(big_job.status == 202u);
}

BOOST_AUTO_TEST_CASE(a_scoped_key_is_held_to_its_targets_and_invitation_limit_in_jobs_too)
{
    deployment d(igw::ledger::backend_kind::sqlite);
    auto gateway = d.start();
    request_options scoped = async();
    scoped.key = std::string(scoped_client_key);
    // A target outside the key's list: refused before anything is recorded.
    const auto refused = post(gateway->port(), invite_body(emails(1), {"anthropic", "gorules"}), scoped);
    BOOST_TEST_REQUIRE(refused.status == 403u, refused.body);
    BOOST_TEST(json_member(refused.body, "type") == "/problems/target-forbidden");
    BOOST_TEST(json_member(refused.body, "detail").find("\"gorules\"") != std::string::npos, refused.body);
    const std::string refused_id = refused.header("X-Request-Id").value_or("");
    BOOST_TEST(get(gateway->port(), "/v1/jobs/" + refused_id, scoped_client_key).status == 404u);
    // Over the key's own limit (the job limit is far higher): the same 422 as the global one.
    const auto too_many = post(gateway->port(), invite_body(emails(scoped_max_invitations + 1), {"anthropic"}), scoped);
    BOOST_TEST(too_many.status == 422u, too_many.body);
    // Naming no targets: the job goes to the allowed ones only.
    const auto accepted = post(gateway->port(), igw::test::invite_body({{"scoped0@example.com", "developer"}}), scoped);
    BOOST_TEST_REQUIRE(accepted.status == 202u, accepted.body);
    const std::string location = accepted.header("Location").value_or("");
    // The job is the scoped client's: polled with its key (bounded).
    igw::emulator::test_response doc;
    for (int i = 0; i < 600 && json_member(doc.body, "status") != "completed"; ++i) {
        if (i > 0)
            std::this_thread::sleep_for(50ms);
        doc = get(gateway->port(), location, scoped_client_key);
        BOOST_TEST_REQUIRE(doc.status == 200u, doc.body);
    }
    BOOST_TEST_REQUIRE(json_member(doc.body, "status") == "completed", doc.body);
    BOOST_TEST(read_job(doc.body).items == 2u);
    std::set<std::string> targets;
    for (const auto& row : result_rows(doc.body))
        targets.insert(row.target);
    BOOST_TEST((targets == std::set<std::string>{"anthropic", "clickhouse"}));
    for (const vendor other : {vendor::warpstream, vendor::gorules, vendor::atomicwork})
        BOOST_TEST(calls_to(d.emulators(), other) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
