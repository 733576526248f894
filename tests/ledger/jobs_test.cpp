// Jobs in the ledger, the same cases on SQLite and on PostgreSQL: recorded queued, claimed
// under a lease by one runner at a time, taken over once the lease runs out, completed with
// their webhook event in the outbox.

#include "gateway/ledger/store.hpp"
#include "tests/ledger/support/backends.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <future>
#include <set>

namespace bdata = boost::unit_test::data;
using namespace igw::ledger;
using namespace igw::test;

namespace {

new_request make_job(const std::string& id, std::size_t invitations, std::optional<std::string> key = std::nullopt)
{
    new_request r = make_request(id, "app", std::move(key), 1);
    r.mode = request_mode::async;
    r.items.clear();
    for (std::uint32_t i = 0; i < invitations; ++i) {
        for (std::uint32_t t = 0; t < 2; ++t) {
            new_item& item = r.items.emplace_back();
            item.invitation = i;
            item.target = t;
            item.email = "u" + std::to_string(i) + "@example.com";
            item.target_name = "target-" + std::to_string(t);
            item.role = "developer";
        }
    }
    return r;
}

std::optional<job_claim> claim(store& s)
{
    auto r = wait_for<std::optional<job_claim>>([&](auto done) { s.claim_job(std::move(done)); });
    BOOST_REQUIRE_MESSAGE(r.ok(), r.error.message);
    return std::move(r.value);
}

result<job_record> find_job(store& s, const std::string& id, std::optional<std::string> client = "app")
{
    return wait_for<job_record>([&](auto done) { s.find_job(id, client, std::move(done)); });
}

} // namespace

BOOST_AUTO_TEST_SUITE(ledger_jobs)

BOOST_DATA_TEST_CASE(a_job_is_queued_then_claimed_by_one_runner_and_completed, bdata::make(both_backends), kind)
{
    test_database db(kind);
    store s(db.settings());
    BOOST_REQUIRE(begin(s, make_job("job-1", 3, "key-1")).ok());
    auto queued = find_job(s, "job-1");
    BOOST_REQUIRE_MESSAGE(queued.ok(), queued.error.message);
    BOOST_TEST(queued.value.request.state == request_state::queued);
    BOOST_TEST((queued.value.counts == (job_counts{6, 6, 0, 0, 0, 0})));
    BOOST_TEST(!queued.value.request.started_at);
    // Another client, or a synchronous request's id, is no job.
    BOOST_TEST(find_job(s, "job-1", "other").error.code == errc::not_found);

    // The same key again names the job: nothing new is recorded.
    auto again = begin(s, make_job("job-2", 3, "key-1"));
    BOOST_REQUIRE(again.ok());
    BOOST_TEST(again.value.kind == begin_kind::job);
    BOOST_REQUIRE(again.value.existing);
    BOOST_TEST(again.value.existing->request.request_id == "job-1");
    BOOST_TEST(again.value.existing->items.empty());

    const auto claimed = claim(s);
    BOOST_REQUIRE(claimed);
    BOOST_TEST(claimed->request.request_id == "job-1");
    BOOST_TEST(claimed->request.state == request_state::running);
    BOOST_TEST(claimed->counts.pending == 6u);
    BOOST_TEST(!claim(s)); // one runner at a time

    auto items = wait_for<std::vector<item_record>>([&](auto done) { s.job_items("job-1", 1, 2, std::move(done)); });
    BOOST_REQUIRE(items.ok());
    BOOST_REQUIRE_EQUAL(items.value.size(), 4u); // invitations 1 and 2, two targets each
    BOOST_TEST(items.value.front().invitation == 1u);
    BOOST_TEST(items.value.back().invitation == 2u);

    BOOST_REQUIRE(settle(s, "job-1", {invited(0, 0), invited(0, 1)}).ok());
    const job_counts progress{6, 4, 0, 2, 0, 0};
    BOOST_REQUIRE(wait_for<done>([&](auto d) { s.job_progress("job-1", progress, std::move(d)); }).ok());
    BOOST_TEST((find_job(s, "job-1").value.counts == progress));

    webhook_delivery event;
    event.delivery_id = "msg_1";
    event.client = "app";
    event.event_type = "invitation.job.completed";
    event.payload = R"({"type":"invitation.job.completed"})";
    const job_counts final_counts{6, 0, 0, 6, 0, 0};
    BOOST_REQUIRE(wait_for<done>([&](auto d) { s.complete_job("job-1", final_counts, event, std::move(d)); }).ok());
    auto completed = find_job(s, "job-1");
    BOOST_TEST(completed.value.request.state == request_state::completed);
    BOOST_TEST(completed.value.request.completed_at.has_value());
    BOOST_TEST(completed.value.request.started_at.has_value());
    BOOST_TEST((completed.value.counts == final_counts));
    BOOST_REQUIRE_EQUAL(completed.value.deliveries.size(), 1u);
    BOOST_TEST((completed.value.deliveries[0].state == delivery_state::pending));
    BOOST_TEST(!claim(s)); // completed jobs are nobody's work
}

BOOST_DATA_TEST_CASE(webhook_attempts_are_recorded_until_delivered, bdata::make(both_backends), kind)
{
    test_database db(kind);
    manual_clock clock;
    auto settings = db.settings();
    settings.clock = clock.function();
    store s(settings);
    BOOST_REQUIRE(begin(s, make_job("job-1", 1)).ok());
    BOOST_REQUIRE(claim(s));
    webhook_delivery event;
    event.delivery_id = "msg_1";
    event.client = "app";
    event.event_type = "invitation.job.completed";
    event.payload = "{}";
    BOOST_REQUIRE(wait_for<done>([&](auto d) { s.complete_job("job-1", {}, event, std::move(d)); }).ok());

    const auto take = [&] {
        auto r = wait_for<std::vector<webhook_delivery>>(
            [&](auto d) { s.claim_deliveries(10, std::chrono::seconds(60), std::move(d)); });
        BOOST_REQUIRE(r.ok());
        return r.value;
    };
    auto due = take();
    BOOST_REQUIRE_EQUAL(due.size(), 1u);
    BOOST_TEST(due[0].payload == "{}");
    BOOST_TEST(take().empty()); // leased: no second sender

    attempt_outcome failed;
    failed.attempt = {1, clock.now(), 500, "HTTP 500", 12};
    failed.next_attempt_at = clock.now() + std::chrono::seconds(5);
    BOOST_REQUIRE(wait_for<done>([&](auto d) { s.record_attempt("msg_1", failed, std::move(d)); }).ok());
    BOOST_TEST(take().empty()); // not due yet
    clock.advance(std::chrono::seconds(6));
    due = take();
    BOOST_REQUIRE_EQUAL(due.size(), 1u);
    BOOST_TEST(due[0].attempts == 1u);

    attempt_outcome delivered;
    delivered.attempt = {2, clock.now(), 204, "", 3};
    delivered.delivered = true;
    BOOST_REQUIRE(wait_for<done>([&](auto d) { s.record_attempt("msg_1", delivered, std::move(d)); }).ok());
    clock.advance(std::chrono::hours(1));
    BOOST_TEST(take().empty());
    const auto job = find_job(s, "job-1");
    BOOST_REQUIRE_EQUAL(job.value.deliveries.size(), 1u);
    const auto& d = job.value.deliveries[0];
    BOOST_TEST((d.state == delivery_state::delivered));
    BOOST_REQUIRE_EQUAL(d.history.size(), 2u);
    BOOST_TEST(d.history[0].status == 500u);
    BOOST_TEST(d.history[0].error == "HTTP 500");
    BOOST_TEST(d.history[1].status == 204u);
}

BOOST_DATA_TEST_CASE(a_job_whose_runner_died_is_taken_over_after_its_lease, bdata::make(both_backends), kind)
{
    test_database db(kind);
    manual_clock clock;
    auto settings = db.settings("instance-a");
    settings.clock = clock.function();
    settings.job_lease = std::chrono::seconds(10);
    store a(settings);
    settings.instance = "instance-b";
    store b(settings);
    BOOST_REQUIRE(begin(a, make_job("job-1", 2)).ok());
    BOOST_REQUIRE(claim(a));
    BOOST_REQUIRE(mark_sending(a, "job-1", {{0, 0}, {0, 1}}).ok());
    BOOST_TEST(!claim(b)); // a's lease holds

    clock.advance(std::chrono::seconds(11)); // a stopped renewing it
    const auto taken = claim(b);
    BOOST_REQUIRE(taken);
    // What a may have sent is never sent again; the rest is b's to send.
    BOOST_TEST(taken->counts.unknown == 2u);
    BOOST_TEST(taken->counts.pending == 2u);
    auto items = find(b, "job-1", "app");
    BOOST_TEST(items.value.items[0].status == item_status::unknown);
    BOOST_TEST(items.value.items[0].error_code == std::string(interrupted_code));
    // a finds out at its next heartbeat and stops.
    auto lost = wait_for<done>([&](auto d) { a.job_progress("job-1", {}, std::move(d)); });
    BOOST_TEST(lost.error.code == errc::lost_ownership);
    auto census = wait_for<job_census>([&](auto d) { b.count_jobs(std::move(d)); });
    BOOST_REQUIRE(census.ok());
    BOOST_TEST(census.value.running == 1u);
    BOOST_TEST(census.value.leased_here == 1u);
    BOOST_TEST(census.value.queued == 0u);
}

BOOST_DATA_TEST_CASE(recovery_of_synchronous_requests_leaves_jobs_to_the_runners, bdata::make(both_backends), kind)
{
    test_database db(kind);
    {
        store before(db.settings());
        BOOST_REQUIRE(begin(before, make_job("job-1", 1)).ok());
        BOOST_REQUIRE(claim(before));
    }
    store after(db.settings());
    auto r = recover(after);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r.value.requests.empty());
}

BOOST_AUTO_TEST_CASE(two_instances_claiming_at_once_never_take_the_same_job)
{
    test_database db(backend_kind::postgres);
    store a(db.settings("instance-a"));
    store b(db.settings("instance-b"));
    for (int i = 0; i < 6; ++i) {
        BOOST_REQUIRE(begin(a, make_job("job-" + std::to_string(i), 1)).ok());
    }
    std::set<std::string> taken;
    for (int round = 0; round < 3; ++round) {
        auto pa = std::make_shared<std::promise<result<std::optional<job_claim>>>>();
        auto pb = std::make_shared<std::promise<result<std::optional<job_claim>>>>();
        a.claim_job([pa](auto r) { pa->set_value(std::move(r)); });
        b.claim_job([pb](auto r) { pb->set_value(std::move(r)); });
        for (auto* p : {pa.get(), pb.get()}) {
            auto f = p->get_future();
            BOOST_REQUIRE(f.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
            auto r = f.get();
            BOOST_REQUIRE_MESSAGE(r.ok(), r.error.message);
            BOOST_REQUIRE(r.value);
            BOOST_TEST(taken.insert(r.value->request.request_id).second); // never twice
        }
    }
    BOOST_TEST(taken.size() == 6u);
}

BOOST_AUTO_TEST_SUITE_END()
