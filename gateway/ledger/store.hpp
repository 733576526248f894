#pragma once
// The ledger: durable record of every accepted request and of each (invitation, target)
// item, the idempotency keys that point at them, and the recovery after a crash.
//
// What is recorded when:
//  - begin_request, before any vendor call: the request (client name, route, config
//    version, fingerprint, key) and all its items, `pending` unless the caller marked them
//    already (new_item::status: `sending` for what goes out right after the commit, settled
//    for what no call is made for), so that a new request costs one commit before its
//    calls; the idempotency key is claimed in the same transaction, so a key always points
//    at a recorded request.
//  - mark_sending, right before a resumed request's items go out: `pending` -> `sending`.
//    From then on they may exist at the vendor, and nothing sends them again on its own.
//  - settle, when a call's outcome is known: `invited` / `failed` / `unknown` with code,
//    vendor ids, expires_at and upstream status. Outcomes are never dropped.
//  - complete_request, once the reply is built: the reply a replay returns.
//  - recover, at start: items left `sending` become `unknown` with code `interrupted`;
//    `pending` ones stay, to be sent by whoever resumes the request (a retry with its key,
//    or the gateway's own recovery through resume()).
// No secret is stored: the client is its configured name, headers are the replay's own.
//
// Why a writer thread with group commit: a durable commit costs an fsync (SQLite) or a
// round trip (PostgreSQL), and the request path must never wait on the disk from an event
// loop. Every operation is queued to one thread that takes everything waiting (up to
// max_batch) and runs it in one transaction, so N concurrent requests share one commit
// instead of paying N. Callbacks run on that thread after the commit (never before: a
// `claimed` seen by the caller is durable); the caller posts them back to its own
// executor. Each operation carries a deadline: a full queue, an unreachable database or
// one that does not answer in time gives `unavailable` (the server's 503), never a hang.
// A lost PostgreSQL connection is reopened by the writer on the next batch, and a batch
// cut by a disconnect is retried once: every operation is written to be safe to repeat.
// Outcomes (settle, complete) the database could not take are kept by the writer and
// written before anything else once it answers again: an outcome is never dropped because
// the database was briefly away.

#include "gateway/ledger/records.hpp"
#include "gateway/ledger/result.hpp"
#include "gateway/ledger/settings.hpp"
#include "gateway/ledger/stats.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace igw::ledger {

template <class T>
using callback = std::function<void(result<T>)>;

class store {
public:
    // Starts the writer thread; it opens (and migrates) the database on the first
    // operation and again after a connection is lost. Nothing here waits on the database:
    // ping() tells whether it can be reached. Throws std::invalid_argument on bad settings.
    explicit store(ledger::settings s);
    // Runs every operation already queued (each callback is called), then stops.
    ~store();
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    // Callbacks run on the writer thread; when the queue is full or the store is closing,
    // the callback runs at once, on the calling thread, with `unavailable`. A callback must
    // not throw and should only post its result elsewhere: every other request waits on
    // the writer while it runs.

    // Records a new request with all its items `pending` and, when it has a key, claims
    // the key for it atomically (across instances on PostgreSQL). On `unavailable` send
    // nothing: the store releases whatever this call may have committed, so that the
    // client's retry resumes it.
    void begin_request(new_request request, callback<begin_outcome> done);
    // Takes over a request left unfinished by a stopped process (see recover()): resumed,
    // or in_progress when another owner holds it, or replay when it completed meanwhile.
    void resume(std::string request_id, callback<begin_outcome> done);
    // `pending` (or, for a retry of the same call, `sending`) -> `sending`; one attempt more.
    // lost_ownership when another instance has resumed the request. Send only on success.
    void mark_sending(std::string request_id, std::vector<item_key> items, callback<done> done);
    // Records outcomes whoever owns the request (an outcome is what happened). On
    // `unavailable` the store keeps them and writes them once the database is back.
    void settle(std::string request_id, std::vector<item_outcome> outcomes, callback<done> done);
    void complete_request(std::string request_id, stored_reply reply, callback<done> done);
    // Gives up a request this store holds and will send nothing more of (a mark_sending
    // that came back `unavailable`): its lease ends now, so that the client's retry with
    // the same key resumes it instead of meeting a 409. Kept like an outcome when the
    // database is away.
    void release(std::string request_id, callback<done> done);
    // The request with its items; not_found when it does not exist or belongs to another
    // client (nothing tells the two apart). No client: any (for operators).
    void find_request(std::string request_id, std::optional<std::string> client, callback<request_with_items> done);
    // At start: interrupts the `sending` items of every request this instance left
    // unfinished (or whose owner's lease expired) and releases those requests.
    void recover(callback<recovered> done);
    // Deletes requests older than the retention and expired keys, in bounded transactions.
    void prune(time_point now, callback<prune_counts> done);
    void list_recent(std::size_t limit, callback<std::vector<request_summary>> done);
    void list_unknown(std::size_t limit, callback<std::vector<item_record>> done);
    // Settles `unknown` items from a lookup (see ops::reconcile_items): how many changed.
    void reconcile_items(std::string request_id, std::vector<item_outcome> outcomes, callback<std::uint32_t> done);
    // Opens and migrates the database if needed.
    void ping(callback<done> done);

    // Jobs (begin_request with new_request::mode async records one `queued`); see
    // ops::claim_job and the others in operations.hpp for what each does.
    void claim_job(callback<std::optional<job_claim>> done);
    void job_progress(std::string request_id, job_counts counts, callback<done> done);
    void job_items(std::string request_id, std::uint32_t first, std::uint32_t count,
                   callback<std::vector<item_record>> done);
    // Kept like an outcome when the database is away.
    void complete_job(std::string request_id, job_counts counts, std::optional<webhook_delivery> event,
                      callback<done> done);
    void find_job(std::string request_id, std::optional<std::string> client, callback<job_record> done);
    void claim_deliveries(std::size_t limit, std::chrono::milliseconds lease,
                          callback<std::vector<webhook_delivery>> done);
    // Kept like an outcome when the database is away.
    void record_attempt(std::string delivery_id, attempt_outcome outcome, callback<done> done);
    void count_jobs(callback<job_census> done);
    // This instance's heartbeat among those sharing the database; the count of live ones
    // (heard from within `live_within`), this one included. leave() withdraws it.
    void heartbeat(std::chrono::milliseconds live_within, callback<std::uint32_t> done);
    void leave(callback<done> done);

    stats_snapshot stats() const noexcept;
    const ledger::settings& config() const noexcept;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace igw::ledger
