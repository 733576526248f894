#pragma once
// The ledger's operations as SQL, written once for both backends. Each runs inside the
// writer's open transaction and may run again after a failed batch, so each is safe to
// repeat. Database failures are thrown as sql::error (the writer turns them into values);
// what the caller did wrong or asked for in vain comes back in the result.

#include "gateway/ledger/records.hpp"
#include "gateway/ledger/result.hpp"
#include "gateway/ledger/settings.hpp"
#include "gateway/ledger/sql.hpp"

#include <optional>
#include <string>
#include <vector>

namespace igw::ledger::ops {

struct context {
    sql::connection& db;
    sql::deadline until;
    time_point now;
    const ledger::settings& config;
    const std::string& token; // this store's ownership token, unique per open
};

result<begin_outcome> begin_request(context& c, const new_request& r);
result<begin_outcome> resume(context& c, const std::string& request_id);
// Gives up a request this store claimed or resumed and sent nothing more of (see
// store::begin_request and store::release): its lease ends now, so that the client's
// retry resumes it.
result<done> release(context& c, const std::string& request_id);
result<done> mark_sending(context& c, const std::string& request_id, const std::vector<item_key>& items);
result<done> settle(context& c, const std::string& request_id, const std::vector<item_outcome>& outcomes);
result<done> complete_request(context& c, const std::string& request_id, const stored_reply& reply);
result<request_with_items> find_request(context& c, const std::string& request_id,
                                        const std::optional<std::string>& client);
result<recovered> recover(context& c);
// One bounded chunk; `more` tells whether another may be due.
result<prune_counts> prune_chunk(context& c, time_point now, bool& more);
result<std::vector<request_summary>> list_recent(context& c, std::size_t limit);
result<std::vector<item_record>> list_unknown(context& c, std::size_t limit);
// What a lookup of the vendor's listing established about `unknown` items (reconcile):
// only items still unknown change, each marked reconciled; a job's counts follow. The
// number of items changed.
result<std::uint32_t> reconcile_items(context& c, const std::string& request_id,
                                      const std::vector<item_outcome>& outcomes);

// Jobs and their webhook outbox (job_operations.cpp).

// Takes the oldest job that is queued, or running under a lease that ran out (its runner
// died: its `sending` items become `unknown`/interrupted), for this store, under a lease
// of settings::job_lease. On PostgreSQL FOR UPDATE SKIP LOCKED: two instances never take
// the same job. Nothing to do: an empty optional.
result<std::optional<job_claim>> claim_job(context& c);
// Stores a running job's progress and renews its lease; lost_ownership when another
// runner took it over meanwhile (this one must stop sending).
result<done> job_progress(context& c, const std::string& request_id, const job_counts& counts);
// The items of invitations [first, first + count), ordered by invitation then target.
result<std::vector<item_record>> job_items(context& c, const std::string& request_id, std::uint32_t first,
                                           std::uint32_t count);
// Marks the job completed with its final counts and, in the same transaction, queues its
// webhook event (when the client has a webhook).
result<done> complete_job(context& c, const std::string& request_id, const job_counts& counts,
                          const std::optional<webhook_delivery>& event);
// The job (no items) with its deliveries and their attempts; not_found when it does not
// exist, is not a job, or belongs to another client.
result<job_record> find_job(context& c, const std::string& request_id, const std::optional<std::string>& client);
// Due webhook deliveries, leased to this store for `lease` so that no other instance
// sends them meanwhile.
result<std::vector<webhook_delivery>> claim_deliveries(context& c, std::size_t limit, std::chrono::milliseconds lease);
result<done> record_attempt(context& c, const std::string& delivery_id, const attempt_outcome& outcome);
result<job_census> count_jobs(context& c);
// Records this store's heartbeat, forgets instances silent for ten times `live_within`,
// and counts those (this one included) heard from within `live_within`.
result<std::uint32_t> heartbeat(context& c, std::chrono::milliseconds live_within);
// Removes this store's heartbeat (at shutdown), so the others take up its share at once.
result<done> leave(context& c);

std::string encode_headers(const std::vector<header>& headers);
std::vector<header> decode_headers(std::string_view text);

} // namespace igw::ledger::ops
