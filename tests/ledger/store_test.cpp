// The ledger's behaviour, the same cases on SQLite and on PostgreSQL.

#include "gateway/ledger/operations.hpp"
#include "gateway/ledger/schema.hpp"
#include "gateway/ledger/store.hpp"
#include "tests/ledger/support/backends.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <thread>

namespace bdata = boost::unit_test::data;
using namespace igw::ledger;
using namespace igw::test;

BOOST_AUTO_TEST_SUITE(ledger_store)

BOOST_DATA_TEST_CASE(begin_records_the_request_and_every_item_pending, bdata::make(both_backends), kind)
{
    test_database db(kind);
    store s(db.settings());
    auto r = begin(s, make_request("req-1", "app", std::nullopt));
    BOOST_REQUIRE_MESSAGE(r.ok(), r.error.message);
    BOOST_TEST(r.value.kind == begin_kind::claimed);

    auto found = find(s, "req-1", "app");
    BOOST_REQUIRE_MESSAGE(found.ok(), found.error.message);
    BOOST_TEST(found.value.request.client == "app");
    BOOST_TEST(found.value.request.route == "/v1/invitations");
    BOOST_TEST(found.value.request.config_version == "cfg-1");
    BOOST_TEST(!found.value.request.idempotency_key);
    BOOST_TEST(found.value.request.state == request_state::running);
    BOOST_TEST(found.value.request.send_email);
    BOOST_REQUIRE_EQUAL(found.value.items.size(), 5u);
    for (std::uint32_t t = 0; t < 5; ++t) {
        const auto& item = found.value.items[t];
        BOOST_TEST(item.target == t);
        BOOST_TEST(item.status == item_status::pending);
        BOOST_TEST(item.email == "jane.doe@example.com");
        BOOST_TEST(item.ref.value_or("") == "crm-1");
        BOOST_TEST(item.target_name == "target-" + std::to_string(t));
        BOOST_TEST(item.attempts == 0u);
    }
    // The SQLite file was created, with its folder, on first use.
    if (kind == backend_kind::sqlite) {
        BOOST_TEST(std::filesystem::exists(s.config().path));
    }
}

BOOST_DATA_TEST_CASE(begin_may_record_items_already_sending_or_settled, bdata::make(both_backends), kind)
{
    // What the request path does: one commit records the request and marks the items its
    // calls send at once, and settles those no call is made for.
    test_database db(kind);
    auto request = make_request("req-1", "app", std::nullopt);
    request.items[1].status = item_status::sending;
    request.items[2].status = item_status::failed;
    request.items[2].error_code = "role_not_supported";
    request.items[2].message = "target-2 has no role for developer";
    {
        store before(db.settings());
        BOOST_REQUIRE(begin(before, request).ok());
        auto found = find(before, "req-1", "app");
        BOOST_REQUIRE_MESSAGE(found.ok(), found.error.message);
        const auto& items = found.value.items;
        BOOST_TEST(items[0].status == item_status::pending);
        BOOST_TEST(items[0].attempts == 0u);
        BOOST_TEST(items[1].status == item_status::sending);
        BOOST_TEST(items[1].attempts == 1u);
        BOOST_TEST(items[2].status == item_status::failed);
        BOOST_TEST(items[2].error_code == "role_not_supported");
        BOOST_TEST(items[2].message == "target-2 has no role for developer");
        BOOST_TEST(items[2].attempts == 0u);
        // The process stops here.
    }
    // The item marked at begin is interrupted like any other `sending` one, the pending
    // one stays to be sent, the settled one is kept.
    store after(db.settings());
    auto r = recover(after);
    BOOST_REQUIRE_MESSAGE(r.ok(), r.error.message);
    BOOST_TEST(r.value.interrupted_items == 1u);
    BOOST_REQUIRE_EQUAL(r.value.requests.size(), 1u);
    const auto& items = r.value.requests[0].items;
    BOOST_TEST(items[0].status == item_status::pending);
    BOOST_TEST(items[1].status == item_status::unknown);
    BOOST_TEST(items[1].error_code == std::string(interrupted_code));
    BOOST_TEST(items[2].status == item_status::failed);
}

BOOST_DATA_TEST_CASE(send_email_is_kept_for_resuming_without_the_body, bdata::make(both_backends), kind)
{
    test_database db(kind);
    store s(db.settings());
    auto request = make_request("req-1", "app", std::nullopt);
    request.send_email = false;
    BOOST_REQUIRE(begin(s, request).ok());
    auto found = find(s, "req-1", "app");
    BOOST_REQUIRE_MESSAGE(found.ok(), found.error.message);
    BOOST_TEST(!found.value.request.send_email);
}

BOOST_DATA_TEST_CASE(a_request_id_never_merges_into_another_request, bdata::make(both_backends), kind)
{
    test_database db(kind);
    store s(db.settings());
    BOOST_REQUIRE(begin(s, make_request("req-1", "app", std::nullopt)).ok());
    BOOST_REQUIRE(complete(s, "req-1", sample_reply("req-1")).ok());
    // Another request (another fingerprint, or another client) under the same id.
    auto other = begin(s, make_request("req-1", "app", std::nullopt, 5, "fp-2"));
    BOOST_REQUIRE(other.ok());
    BOOST_TEST(other.value.kind == begin_kind::duplicate_id);
    BOOST_TEST(!other.value.existing);
    auto theirs = begin(s, make_request("req-1", "other-app", std::string("k")));
    BOOST_REQUIRE(theirs.ok());
    BOOST_TEST(theirs.value.kind == begin_kind::duplicate_id);
    // The same client with the same request under the same id: a retry, replayed.
    auto again = begin(s, make_request("req-1", "app", std::nullopt));
    BOOST_REQUIRE(again.ok());
    BOOST_TEST(again.value.kind == begin_kind::replay);
    // The key the refused begin carried stays free.
    auto keyed = begin(s, make_request("req-2", "other-app", std::string("k")));
    BOOST_REQUIRE(keyed.ok());
    BOOST_TEST(keyed.value.kind == begin_kind::claimed);
}

BOOST_DATA_TEST_CASE(items_move_pending_sending_then_settled, bdata::make(both_backends), kind)
{
    test_database db(kind);
    store s(db.settings());
    const auto request = make_request("req-1", "app", std::nullopt);
    BOOST_REQUIRE(begin(s, request).ok());
    BOOST_REQUIRE(mark_sending(s, "req-1", {{0, 0}, {0, 1}, {0, 2}}).ok());
    // A retried call of the same items counts a second attempt.
    BOOST_REQUIRE(mark_sending(s, "req-1", {{0, 0}}).ok());

    auto after_send = find(s, "req-1", std::nullopt);
    BOOST_REQUIRE(after_send.ok());
    BOOST_TEST(after_send.value.items[0].status == item_status::sending);
    BOOST_TEST(after_send.value.items[0].attempts == 2u);
    BOOST_TEST(after_send.value.items[1].attempts == 1u);
    BOOST_TEST(after_send.value.items[3].status == item_status::pending);

    item_outcome failed;
    failed.invitation = 0;
    failed.target = 1;
    failed.status = item_status::failed;
    failed.error_code = "upstream_rejected";
    failed.message = "email is invalid";
    failed.upstream_status = 400;
    item_outcome unsupported; // decided without a call: settled straight from pending
    unsupported.invitation = 0;
    unsupported.target = 3;
    unsupported.status = item_status::failed;
    unsupported.error_code = "role_not_supported";
    BOOST_REQUIRE(settle(s, "req-1", {invited(0, 0, "inv-0"), failed, unsupported}).ok());

    auto found = find(s, "req-1", "app");
    BOOST_REQUIRE(found.ok());
    const auto& items = found.value.items;
    BOOST_TEST(items[0].status == item_status::invited);
    BOOST_TEST(items[0].invitation_id == "inv-0");
    BOOST_TEST(items[0].expires_at == "2026-12-08T00:00:00Z");
    BOOST_TEST(items[0].vendor_status == "pending");
    BOOST_TEST(items[0].upstream_status == 201u);
    BOOST_TEST(items[1].status == item_status::failed);
    BOOST_TEST(items[1].error_code == "upstream_rejected");
    BOOST_TEST(items[1].message == "email is invalid");
    BOOST_TEST(items[1].upstream_status == 400u);
    BOOST_TEST(items[2].status == item_status::sending);
    BOOST_TEST(items[3].status == item_status::failed);
    BOOST_TEST(items[3].attempts == 0u);

    // A settled item is never put back to sending.
    BOOST_REQUIRE(mark_sending(s, "req-1", {{0, 0}}).ok());
    BOOST_TEST(find(s, "req-1", "app").value.items[0].status == item_status::invited);
    // pending/sending are not outcomes.
    item_outcome bogus;
    bogus.status = item_status::pending;
    BOOST_TEST(settle(s, "req-1", {bogus}).error.code == errc::invalid);
    BOOST_TEST(settle(s, "no-such", {invited(0, 0)}).error.code == errc::not_found);
    BOOST_TEST(mark_sending(s, "no-such", {{0, 0}}).error.code == errc::not_found);
}

BOOST_DATA_TEST_CASE(the_already_invited_and_reconciled_flags_round_trip, bdata::make(both_backends), kind)
{
    test_database db(kind);
    store s(db.settings());
    BOOST_REQUIRE(begin(s, make_request("req-1", "app", std::nullopt)).ok());
    item_outcome already = invited(0, 0, "90001");
    already.already_invited = true;
    already.upstream_status = 409;
    item_outcome reconciled = invited(0, 1, "90002");
    reconciled.reconciled = true;
    item_outcome not_created;
    not_created.invitation = 0;
    not_created.target = 2;
    not_created.status = item_status::failed;
    not_created.error_code = "not_created";
    not_created.reconciled = true;
    BOOST_REQUIRE(settle(s, "req-1", {already, reconciled, not_created, invited(0, 3)}).ok());

    const auto found = find(s, "req-1", "app");
    BOOST_REQUIRE(found.ok());
    const auto& items = found.value.items;
    BOOST_TEST(items[0].already_invited);
    BOOST_TEST(!items[0].reconciled);
    BOOST_TEST(items[0].upstream_status == 409u);
    BOOST_TEST(!items[1].already_invited);
    BOOST_TEST(items[1].reconciled);
    BOOST_TEST(items[2].reconciled);
    BOOST_TEST(items[2].error_code == "not_created");
    BOOST_TEST(!items[3].already_invited);
    BOOST_TEST(!items[3].reconciled);

    // Settling again (a reconcile overturning an outcome) writes the flags, not only sets them.
    item_outcome plain = invited(0, 0, "90001");
    BOOST_REQUIRE(settle(s, "req-1", {plain}).ok());
    BOOST_TEST(!find(s, "req-1", "app").value.items[0].already_invited);
}

BOOST_DATA_TEST_CASE(a_key_is_claimed_once_then_replayed, bdata::make(both_backends), kind)
{
    test_database db(kind);
    store s(db.settings());
    const auto first = make_request("req-1", "app", "key-1");
    auto claimed = begin(s, first);
    BOOST_REQUIRE_MESSAGE(claimed.ok(), claimed.error.message);
    BOOST_TEST(claimed.value.kind == begin_kind::claimed);
    BOOST_REQUIRE(mark_sending(s, "req-1", all_keys(first)).ok());
    std::vector<item_outcome> outcomes;
    for (std::uint32_t t = 0; t < 5; ++t) {
        outcomes.push_back(invited(0, t, "inv-" + std::to_string(t)));
    }
    BOOST_REQUIRE(settle(s, "req-1", outcomes).ok());
    BOOST_REQUIRE(complete(s, "req-1", sample_reply("req-1")).ok());

    auto again = begin(s, make_request("req-2", "app", "key-1"));
    BOOST_REQUIRE(again.ok());
    BOOST_TEST(again.value.kind == begin_kind::replay);
    BOOST_REQUIRE(again.value.existing);
    BOOST_TEST(again.value.existing->request.request_id == "req-1");
    BOOST_REQUIRE(again.value.existing->request.reply);
    BOOST_TEST(*again.value.existing->request.reply == sample_reply("req-1"));
    BOOST_TEST(again.value.existing->items.size() == 5u);
    // The replay recorded nothing new.
    BOOST_TEST(find(s, "req-2", std::nullopt).error.code == errc::not_found);
    // Completing twice with the same reply is a harmless repeat.
    BOOST_TEST(complete(s, "req-1", sample_reply("req-1")).ok());
}

BOOST_DATA_TEST_CASE(a_key_reused_for_another_request_is_a_mismatch, bdata::make(both_backends), kind)
{
    test_database db(kind);
    store s(db.settings());
    BOOST_REQUIRE(begin(s, make_request("req-1", "app", "key-1", 5, "fp-1")).ok());
    auto running = begin(s, make_request("req-2", "app", "key-1", 5, "fp-2"));
    BOOST_REQUIRE(running.ok());
    BOOST_TEST(running.value.kind == begin_kind::mismatch);
    BOOST_TEST(!running.value.existing);
    BOOST_REQUIRE(complete(s, "req-1", sample_reply("req-1")).ok());
    BOOST_TEST(begin(s, make_request("req-3", "app", "key-1", 5, "fp-2")).value.kind == begin_kind::mismatch);
}

BOOST_DATA_TEST_CASE(a_key_in_use_is_in_progress, bdata::make(both_backends), kind)
{
    test_database db(kind);
    store s(db.settings());
    BOOST_REQUIRE(begin(s, make_request("req-1", "app", "key-1")).ok());
    auto second = begin(s, make_request("req-2", "app", "key-1"));
    BOOST_REQUIRE(second.ok());
    BOOST_TEST(second.value.kind == begin_kind::in_progress);
    BOOST_REQUIRE(second.value.existing);
    BOOST_TEST(second.value.existing->request.request_id == "req-1");
}

BOOST_DATA_TEST_CASE(keys_are_scoped_to_the_client, bdata::make(both_backends), kind)
{
    test_database db(kind);
    store s(db.settings());
    BOOST_REQUIRE(begin(s, make_request("req-1", "app", "key-1")).ok());
    BOOST_TEST(begin(s, make_request("req-2", "other-app", "key-1", 5, "fp-x")).value.kind == begin_kind::claimed);
    // And so is reading a request back.
    BOOST_TEST(find(s, "req-1", "other-app").error.code == errc::not_found);
    BOOST_TEST(find(s, "req-1", "app").ok());
}

BOOST_DATA_TEST_CASE(invalid_keys_are_refused, bdata::make(both_backends), kind)
{
    test_database db(kind);
    store s(db.settings());
    BOOST_TEST(begin(s, make_request("req-1", "app", std::string())).error.code == errc::invalid);
    BOOST_TEST(begin(s, make_request("req-2", "app", std::string(256, 'k'))).error.code == errc::invalid);
    BOOST_TEST(begin(s, make_request("req-3", "app", std::string("a\nb"))).error.code == errc::invalid);
    BOOST_TEST(begin(s, make_request("req-4", "app", std::string(255, 'k'))).ok());
}

BOOST_DATA_TEST_CASE(threads_racing_on_one_key_claim_it_once, bdata::make(both_backends), kind)
{
    test_database db(kind);
    store s(db.settings());
    constexpr int racers = 16;
    std::atomic<int> claimed{0}, in_progress{0}, other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < racers; ++i) {
        threads.emplace_back([&, i] {
            auto r = begin(s, make_request("req-" + std::to_string(i), "app", "shared-key"));
            if (r.ok() && r.value.kind == begin_kind::claimed) {
                ++claimed;
            } else if (r.ok() && r.value.kind == begin_kind::in_progress) {
                ++in_progress;
            } else {
                ++other;
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    BOOST_TEST(claimed.load() == 1);
    BOOST_TEST(in_progress.load() == racers - 1);
    BOOST_TEST(other.load() == 0);
}

BOOST_DATA_TEST_CASE(two_instances_on_one_database_claim_once_and_replay_each_other, bdata::make(both_backends), kind)
{
    test_database db(kind);
    store a(db.settings("instance-a"));
    store b(db.settings("instance-b"));
    constexpr int rounds = 20;
    int claimed_total = 0;
    for (int round = 0; round < rounds; ++round) {
        const std::string key = "key-" + std::to_string(round);
        // Both instances submit before either waits: their claims race in the database.
        auto pa = std::make_shared<std::promise<result<begin_outcome>>>();
        auto pb = std::make_shared<std::promise<result<begin_outcome>>>();
        a.begin_request(make_request("a-" + key, "app", key), [pa](auto r) { pa->set_value(std::move(r)); });
        b.begin_request(make_request("b-" + key, "app", key), [pb](auto r) { pb->set_value(std::move(r)); });
        auto fa = pa->get_future();
        auto fb = pb->get_future();
        BOOST_REQUIRE(fa.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
        BOOST_REQUIRE(fb.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
        const auto ra = fa.get();
        const auto rb = fb.get();
        BOOST_REQUIRE_MESSAGE(ra.ok(), ra.error.message);
        BOOST_REQUIRE_MESSAGE(rb.ok(), rb.error.message);
        const int claims = (ra.value.kind == begin_kind::claimed) + (rb.value.kind == begin_kind::claimed);
        BOOST_TEST(claims == 1);
        claimed_total += claims;
        const bool a_won = ra.value.kind == begin_kind::claimed;
        BOOST_TEST((a_won ? rb : ra).value.kind == begin_kind::in_progress);
    }
    BOOST_TEST(claimed_total == rounds);

    // Completed on A, replayed on B.
    const auto request = make_request("req-done", "app", "key-done");
    BOOST_REQUIRE(begin(a, request).ok());
    BOOST_REQUIRE(settle(a, "req-done", {invited(0, 0)}).ok());
    BOOST_REQUIRE(complete(a, "req-done", sample_reply("req-done", 207)).ok());
    auto replay = begin(b, make_request("req-other", "app", "key-done"));
    BOOST_REQUIRE(replay.ok());
    BOOST_TEST(replay.value.kind == begin_kind::replay);
    BOOST_REQUIRE(replay.value.existing && replay.value.existing->request.reply);
    BOOST_TEST(replay.value.existing->request.reply->status == 207u);
    BOOST_TEST(find(b, "req-done", "app").value.items[0].status == item_status::invited);
}

BOOST_DATA_TEST_CASE(instances_sharing_a_database_count_each_others_heartbeats, bdata::make(both_backends), kind)
{
    test_database db(kind);
    manual_clock clock;
    auto settings_a = db.settings("instance-a");
    auto settings_b = db.settings("instance-b");
    settings_a.clock = settings_b.clock = clock.function();
    store a(settings_a);
    store b(settings_b);
    constexpr std::chrono::milliseconds live_within{6'000};
    const auto beat = [&](store& s) {
        const auto r = wait_for<std::uint32_t>([&](auto done) { s.heartbeat(live_within, std::move(done)); });
        BOOST_REQUIRE_MESSAGE(r.ok(), r.error.message);
        return r.value;
    };
    BOOST_TEST(beat(a) == 1u);
    BOOST_TEST(beat(b) == 2u);
    BOOST_TEST(beat(a) == 2u);
    // B falls silent: once its last heartbeat is older than live_within, it no longer counts.
    clock.advance(std::chrono::milliseconds(4'000));
    BOOST_TEST(beat(a) == 2u);
    clock.advance(std::chrono::milliseconds(2'500));
    BOOST_TEST(beat(a) == 1u);
    // Back, then leaving: the other counts alone at once.
    BOOST_TEST(beat(b) == 2u);
    BOOST_REQUIRE(wait_for<done>([&](auto done) { b.leave(std::move(done)); }).ok());
    BOOST_TEST(beat(a) == 1u);
}

BOOST_DATA_TEST_CASE(recover_after_a_crash_interrupts_sending_and_keeps_pending, bdata::make(both_backends), kind)
{
    test_database db(kind);
    const auto request = make_request("req-1", "app", "key-1");
    {
        store before(db.settings());
        BOOST_REQUIRE(begin(before, request).ok());
        BOOST_REQUIRE(mark_sending(before, "req-1", {{0, 0}, {0, 1}, {0, 2}}).ok());
        BOOST_REQUIRE(settle(before, "req-1", {invited(0, 0, "inv-0")}).ok());
        BOOST_REQUIRE(begin(before, make_request("req-done", "app", "key-done")).ok());
        BOOST_REQUIRE(complete(before, "req-done", sample_reply("req-done")).ok());
        // The process stops here: nothing completes req-1.
    }
    store after(db.settings()); // the same instance, started again
    auto r = recover(after);
    BOOST_REQUIRE_MESSAGE(r.ok(), r.error.message);
    BOOST_TEST(r.value.interrupted_items == 2u);
    BOOST_REQUIRE_EQUAL(r.value.requests.size(), 1u);
    const auto& items = r.value.requests[0].items;
    BOOST_TEST(r.value.requests[0].request.request_id == "req-1");
    BOOST_TEST(items[0].status == item_status::invited); // recorded outcomes stay
    BOOST_TEST(items[1].status == item_status::unknown);
    BOOST_TEST(items[1].error_code == std::string(interrupted_code));
    BOOST_TEST(items[2].status == item_status::unknown);
    BOOST_TEST(items[3].status == item_status::pending);
    BOOST_TEST(items[4].status == item_status::pending);
    // Until someone resumes it, it stays on the list (with nothing more to interrupt).
    auto again = recover(after);
    BOOST_TEST(again.value.requests.size() == 1u);
    BOOST_TEST(again.value.interrupted_items == 0u);

    // The client's retry with the key takes the request over: it sends only the pending
    // items, and then the request completes like any other.
    auto retry = begin(after, make_request("req-retry", "app", "key-1"));
    BOOST_REQUIRE(retry.ok());
    BOOST_TEST(retry.value.kind == begin_kind::resumed);
    BOOST_REQUIRE(retry.value.existing);
    BOOST_TEST(retry.value.existing->request.request_id == "req-1");
    BOOST_TEST(retry.value.existing->items[1].status == item_status::unknown);
    BOOST_TEST(retry.value.existing->items[3].status == item_status::pending);
    // Someone else resuming now finds it taken, and it is no longer left unfinished.
    BOOST_TEST(resume(after, "req-1").value.kind == begin_kind::in_progress);
    BOOST_TEST(recover(after).value.requests.empty());
    BOOST_REQUIRE(mark_sending(after, "req-1", {{0, 3}, {0, 4}}).ok());
    BOOST_REQUIRE(settle(after, "req-1", {invited(0, 3), invited(0, 4)}).ok());
    BOOST_REQUIRE(complete(after, "req-1", sample_reply("req-1", 207)).ok());
    BOOST_TEST(begin(after, make_request("req-again", "app", "key-1")).value.kind == begin_kind::replay);
    BOOST_TEST(resume(after, "req-1").value.kind == begin_kind::replay);
    BOOST_TEST(resume(after, "no-such").error.code == errc::not_found);
}

BOOST_DATA_TEST_CASE(a_request_left_by_a_stopped_instance_is_resumed_after_its_lease, bdata::make(both_backends), kind)
{
    test_database db(kind);
    manual_clock clock;
    auto sa = db.settings("instance-a");
    sa.clock = clock.function();
    auto sb = db.settings("instance-b");
    sb.clock = clock.function();
    store a(sa);
    store b(sb);
    BOOST_REQUIRE(begin(a, make_request("req-1", "app", "key-1")).ok());
    BOOST_REQUIRE(mark_sending(a, "req-1", {{0, 0}}).ok());
    // B starting up leaves A's live request alone.
    BOOST_TEST(recover(b).value.requests.empty());
    BOOST_TEST(begin(b, make_request("req-2", "app", "key-1")).value.kind == begin_kind::in_progress);

    clock.advance(sa.request_lease + std::chrono::seconds(1)); // A is gone
    auto resumed = begin(b, make_request("req-2", "app", "key-1"));
    BOOST_REQUIRE(resumed.ok());
    BOOST_TEST(resumed.value.kind == begin_kind::resumed);
    BOOST_TEST(resumed.value.existing->items[0].status == item_status::unknown);
    BOOST_TEST(resumed.value.existing->items[0].error_code == std::string(interrupted_code));
    BOOST_TEST(resumed.value.existing->items[1].status == item_status::pending);

    // Were A only slow, it may not send nor complete any more; what it learnt still counts.
    BOOST_TEST(mark_sending(a, "req-1", {{0, 1}}).error.code == errc::lost_ownership);
    BOOST_TEST(settle(a, "req-1", {invited(0, 0, "late")}).ok());
    BOOST_TEST(complete(a, "req-1", sample_reply("req-1")).error.code == errc::lost_ownership);
    BOOST_TEST(find(b, "req-1", "app").value.items[0].invitation_id == "late");
    BOOST_TEST(mark_sending(b, "req-1", {{0, 1}}).ok());
    BOOST_TEST(complete(b, "req-1", sample_reply("req-1")).ok());
}

BOOST_DATA_TEST_CASE(pruning_removes_old_requests_and_expired_keys, bdata::make(both_backends), kind)
{
    test_database db(kind);
    manual_clock clock;
    auto config = db.settings();
    config.clock = clock.function();
    config.prune_batch = 2; // several chunks
    store s(config);
    for (int i = 0; i < 5; ++i) {
        const std::string id = "old-" + std::to_string(i);
        BOOST_REQUIRE(begin(s, make_request(id, "app", "key-" + std::to_string(i))).ok());
        BOOST_REQUIRE(complete(s, id, sample_reply(id)).ok());
    }
    clock.advance(std::chrono::hours(25)); // past the key retention (24 h), within 30 days
    BOOST_REQUIRE(begin(s, make_request("recent", "app", "key-recent")).ok());

    auto first = prune(s, clock.now());
    BOOST_REQUIRE_MESSAGE(first.ok(), first.error.message);
    BOOST_TEST(first.value.requests == 0u);
    BOOST_TEST(first.value.keys == 5u);
    BOOST_TEST(find(s, "old-0", "app").ok());
    // An expired key is free again, though its request is still kept.
    BOOST_TEST(begin(s, make_request("new-0", "app", "key-0", 5, "fp-other")).value.kind == begin_kind::claimed);

    clock.advance(std::chrono::hours(24 * 29)); // old ones are now 30 days + 1 h old
    auto second = prune(s, clock.now());
    BOOST_REQUIRE(second.ok());
    BOOST_TEST(second.value.requests == 5u);
    BOOST_TEST(second.value.items == 25u);
    BOOST_TEST(find(s, "old-4", "app").error.code == errc::not_found);
    BOOST_TEST(find(s, "recent", "app").ok());
    BOOST_TEST(find(s, "new-0", "app").ok());
    BOOST_TEST(s.stats().pruned_requests == 5u);
}

BOOST_DATA_TEST_CASE(the_background_pruner_prunes_on_its_own, bdata::make(both_backends), kind)
{
    test_database db(kind);
    manual_clock clock;
    auto config = db.settings();
    config.clock = clock.function();
    config.retention = std::chrono::hours(1);
    config.prune_interval = std::chrono::milliseconds(20);
    auto pruned = std::make_shared<std::promise<prune_counts>>();
    auto once = std::make_shared<std::atomic<bool>>(false);
    config.on_prune = [pruned, once](const prune_counts& counts) {
        if (counts.requests > 0 && !once->exchange(true)) {
            pruned->set_value(counts);
        }
    };
    store s(config);
    BOOST_REQUIRE(begin(s, make_request("req-1", "app", std::nullopt)).ok());
    clock.advance(std::chrono::hours(2));
    auto future = pruned->get_future();
    BOOST_REQUIRE(future.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    BOOST_TEST(future.get().items == 5u);
    BOOST_TEST(find(s, "req-1", "app").error.code == errc::not_found);
}

BOOST_DATA_TEST_CASE(a_key_that_outlived_its_request_is_free, bdata::make(both_backends), kind)
{
    test_database db(kind);
    manual_clock clock;
    auto config = db.settings();
    config.clock = clock.function();
    config.retention = std::chrono::hours(24);
    config.idempotency_retention = std::chrono::hours(48);
    store s(config);
    BOOST_REQUIRE(begin(s, make_request("req-1", "app", "key-1")).ok());
    BOOST_REQUIRE(complete(s, "req-1", sample_reply("req-1")).ok());
    clock.advance(std::chrono::hours(25));
    auto pruned = prune(s, clock.now());
    BOOST_REQUIRE(pruned.ok());
    BOOST_TEST(pruned.value.requests == 1u);
    BOOST_TEST(pruned.value.keys == 0u);
    // Nothing is left to replay or to compare with: the key starts afresh.
    BOOST_TEST(begin(s, make_request("req-2", "app", "key-1", 5, "fp-2")).value.kind == begin_kind::claimed);
    BOOST_TEST(begin(s, make_request("req-3", "app", "key-1", 5, "fp-2")).value.kind == begin_kind::in_progress);
}

BOOST_DATA_TEST_CASE(a_key_expires_after_its_retention_without_a_prune, bdata::make(both_backends), kind)
{
    test_database db(kind);
    manual_clock clock;
    auto config = db.settings();
    config.clock = clock.function();
    config.idempotency_retention = std::chrono::hours(1);
    store s(config);
    BOOST_REQUIRE(begin(s, make_request("req-1", "app", "key-1")).ok());
    BOOST_REQUIRE(complete(s, "req-1", sample_reply("req-1")).ok());
    clock.advance(std::chrono::minutes(59));
    BOOST_TEST(begin(s, make_request("req-2", "app", "key-1")).value.kind == begin_kind::replay);
    clock.advance(std::chrono::minutes(2));
    BOOST_TEST(begin(s, make_request("req-3", "app", "key-1")).value.kind == begin_kind::claimed);
}

BOOST_DATA_TEST_CASE(listings_for_operators, bdata::make(both_backends), kind)
{
    test_database db(kind);
    manual_clock clock;
    auto config = db.settings();
    config.clock = clock.function();
    store s(config);
    BOOST_REQUIRE(begin(s, make_request("req-1", "app", std::nullopt)).ok());
    clock.advance(std::chrono::seconds(1));
    BOOST_REQUIRE(begin(s, make_request("req-2", "app", std::nullopt)).ok());
    item_outcome timeout;
    timeout.invitation = 0;
    timeout.target = 2;
    timeout.status = item_status::unknown;
    timeout.error_code = "upstream_timeout";
    BOOST_REQUIRE(settle(s, "req-2", {invited(0, 0), timeout}).ok());

    auto recent = wait_for<std::vector<request_summary>>([&](auto cb) { s.list_recent(10, cb); });
    BOOST_REQUIRE(recent.ok());
    BOOST_REQUIRE_EQUAL(recent.value.size(), 2u);
    BOOST_TEST(recent.value[0].request.request_id == "req-2"); // newest first
    BOOST_TEST(recent.value[0].items == 5u);
    BOOST_TEST(recent.value[0].invited == 1u);
    BOOST_TEST(recent.value[0].unknown == 1u);
    BOOST_TEST(recent.value[0].pending == 3u);

    auto unknown = wait_for<std::vector<item_record>>([&](auto cb) { s.list_unknown(10, cb); });
    BOOST_REQUIRE(unknown.ok());
    BOOST_REQUIRE_EQUAL(unknown.value.size(), 1u);
    BOOST_TEST(unknown.value[0].request_id == "req-2");
    BOOST_TEST(unknown.value[0].error_code == "upstream_timeout");
}

BOOST_DATA_TEST_CASE(migrations_apply_once_even_when_instances_open_together, bdata::make(both_backends), kind)
{
    test_database db(kind);
    std::vector<std::unique_ptr<store>> stores;
    for (int i = 0; i < 4; ++i) {
        stores.push_back(std::make_unique<store>(db.settings("instance-" + std::to_string(i))));
    }
    // All submit before any waits, so the openings (and migrations) overlap.
    std::vector<std::future<result<done>>> pings;
    for (auto& s : stores) {
        auto p = std::make_shared<std::promise<result<done>>>();
        pings.push_back(p->get_future());
        s->ping([p](auto r) { p->set_value(std::move(r)); });
    }
    for (auto& f : pings) {
        BOOST_REQUIRE(f.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
        const auto r = f.get();
        BOOST_TEST(r.ok(), r.error.message);
    }
    stores.clear();
    store again(db.settings());
    BOOST_TEST(begin(again, make_request("req-1", "app", "k")).ok());
    BOOST_TEST(schema::latest_version() == 5);
}

BOOST_AUTO_TEST_CASE(reply_headers_round_trip)
{
    const std::vector<header> headers{{"Content-Type", "application/json"}, {"X-Request-Id", "abc"}, {"Empty", ""}};
    BOOST_TEST(ops::decode_headers(ops::encode_headers(headers)) == headers);
}

BOOST_AUTO_TEST_CASE(the_printable_target_never_shows_a_password)
{
    settings s;
    s.backend = backend_kind::postgres;
    s.url = "postgresql://gateway:s3cret@db.internal:5433/ledger";
    BOOST_TEST(describe_target(s) == "postgres://db.internal:5433/ledger");
    s.url = "host=db.internal dbname=ledger password=s3cret";
    BOOST_TEST(describe_target(s) == "postgres://db.internal/ledger");
}

BOOST_AUTO_TEST_SUITE_END()
