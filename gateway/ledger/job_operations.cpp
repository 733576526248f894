// The ledger's job operations: claiming jobs with leases, their progress and completion,
// and the webhook outbox. SQL both backends accept, except the row locks of PostgreSQL
// (FOR UPDATE SKIP LOCKED), which SQLite's single writer makes unnecessary.

#include "gateway/ledger/operations.hpp"
#include "gateway/ledger/rows.hpp"

namespace igw::ledger::ops {
namespace {

using namespace detail;

bool shared_database(const context& c) { return c.config.backend == backend_kind::postgres; }

std::int64_t job_lease_end(const context& c) { return ms(c.now + c.config.job_lease); }

constexpr const char* count_columns = "job_total, job_pending, job_sending, job_invited, job_failed, job_unknown";

job_counts read_counts(const sql::row& r, std::size_t first)
{
    job_counts counts;
    counts.total = static_cast<std::uint32_t>(r.integer(first));
    counts.pending = static_cast<std::uint32_t>(r.integer(first + 1));
    counts.sending = static_cast<std::uint32_t>(r.integer(first + 2));
    counts.invited = static_cast<std::uint32_t>(r.integer(first + 3));
    counts.failed = static_cast<std::uint32_t>(r.integer(first + 4));
    counts.unknown = static_cast<std::uint32_t>(r.integer(first + 5));
    return counts;
}

// Parameters first..first+5 of a statement that sets the count columns.
void push_counts(params& p, const job_counts& counts)
{
    for (const std::uint32_t n :
         {counts.total, counts.pending, counts.sending, counts.invited, counts.failed, counts.unknown}) {
        p.push_back(num(n));
    }
}

constexpr const char* delivery_columns =
    "delivery_id, request_id, client, event_type, payload, state, attempts, next_attempt_at, created_at";

webhook_delivery read_delivery(const sql::row& r)
{
    webhook_delivery d;
    d.delivery_id = r.text(0);
    d.request_id = r.text(1);
    d.client = r.text(2);
    d.event_type = r.text(3);
    d.payload = r.text(4);
    d.state = parse_delivery_state(r.text(5)).value_or(delivery_state::pending);
    d.attempts = static_cast<std::uint32_t>(r.integer(6));
    d.next_attempt_at = from_ms(r.integer(7));
    d.created_at = from_ms(r.integer(8));
    return d;
}

} // namespace

result<std::optional<job_claim>> claim_job(context& c)
{
    // Queued, or running under a lease that ran out, or left by an earlier run of this very
    // instance (restarted: it need not wait for its own lease): the oldest first.
    constexpr const char* claimable = "mode = 'async' AND (state = 'queued' OR (state = 'running' AND "
                                      "(lease_until <= $1 OR (owner = $2 AND owner_token <> $3))))";
    std::string pick = std::string("SELECT request_id FROM requests WHERE ") + claimable +
                       " ORDER BY created_at, request_id LIMIT 1";
    if (shared_database(c)) {
        pick += " FOR UPDATE SKIP LOCKED";
    }
    const auto picked = c.db.exec(pick, params{num(ms(c.now)), text(c.config.instance), text(c.token)}, c.until);
    if (picked.rows.empty()) {
        return {{}, std::nullopt};
    }
    const std::string id = picked.rows[0].text(0);
    const auto taken = c.db.exec(
        "UPDATE requests SET state = 'running', owner = $2, owner_token = $3, lease_until = $4, "
        "lease_holder = $5, started_at = COALESCE(started_at, $1), updated_at = $1 "
        "WHERE request_id = $5 AND " +
            std::string(claimable),
        params{num(ms(c.now)), text(c.config.instance), text(c.token), num(job_lease_end(c)), text(id)}, c.until);
    if (taken.affected == 0) {
        return {{}, std::nullopt};
    }
    // What the runner before this one may have sent: never sent again.
    c.db.exec(
        "UPDATE items SET status = 'unknown', error_code = $2, message = $3, updated_at = $4 "
        "WHERE request_id = $1 AND status = 'sending'",
        params{text(id), text(std::string(interrupted_code)), text(std::string(interrupted_message)), num(ms(c.now))},
        c.until);
    job_claim claim;
    claim.counts = count_items(c, id);
    params p{text(id)};
    push_counts(p, claim.counts);
    c.db.exec("UPDATE requests SET job_total = $2, job_pending = $3, job_sending = $4, job_invited = $5, "
              "job_failed = $6, job_unknown = $7 WHERE request_id = $1",
              p, c.until);
    auto request = load_request(c, id);
    if (!request) {
        return fail<std::optional<job_claim>>(errc::internal, "a claimed job has no row");
    }
    claim.request = std::move(request->record);
    return {{}, std::move(claim)};
}

result<done> job_progress(context& c, const std::string& request_id, const job_counts& counts)
{
    params p{text(request_id), num(job_lease_end(c)), num(ms(c.now)), text(c.token)};
    push_counts(p, counts);
    const auto res = c.db.exec(
        "UPDATE requests SET lease_until = $2, updated_at = $3, job_total = $5, job_pending = $6, "
        "job_sending = $7, job_invited = $8, job_failed = $9, job_unknown = $10 "
        "WHERE request_id = $1 AND owner_token = $4 AND state = 'running'",
        p, c.until);
    if (res.affected == 0) {
        return fail<done>(errc::lost_ownership, "the job is no longer this runner's");
    }
    return {};
}

result<std::vector<item_record>> job_items(context& c, const std::string& request_id, std::uint32_t first,
                                           std::uint32_t count)
{
    const auto res = c.db.exec(std::string("SELECT ") + item_columns +
                                   " FROM items WHERE request_id = $1 AND invitation >= $2 AND invitation < $3 "
                                   "ORDER BY invitation, target",
                               params{text(request_id), num(first), num(std::int64_t{first} + count)}, c.until);
    std::vector<item_record> items;
    items.reserve(res.rows.size());
    for (const auto& row : res.rows) {
        items.push_back(read_item(row));
    }
    return {{}, std::move(items)};
}

result<done> complete_job(context& c, const std::string& request_id, const job_counts& counts,
                          const std::optional<webhook_delivery>& event)
{
    params p{text(request_id), num(ms(c.now)), text(c.token)};
    push_counts(p, counts);
    const auto res = c.db.exec("UPDATE requests SET state = 'completed', completed_at = $2, updated_at = $2, "
                               "lease_until = 0, job_total = $4, job_pending = $5, job_sending = $6, "
                               "job_invited = $7, job_failed = $8, job_unknown = $9 "
                               "WHERE request_id = $1 AND owner_token = $3 AND state = 'running'",
                               p, c.until);
    if (res.affected == 0) {
        auto request = load_request(c, request_id);
        if (request && request->record.state == request_state::completed) {
            return {}; // the same completion again (a batch retried after a lost connection)
        }
        return fail<done>(errc::lost_ownership, "the job is no longer this runner's to complete");
    }
    if (event) {
        c.db.exec("INSERT INTO webhook_deliveries (delivery_id, request_id, client, event_type, payload, state, "
                  "attempts, next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, "
                  "$6, $6, $6) ON CONFLICT (delivery_id) DO NOTHING",
                  params{text(event->delivery_id), text(request_id), text(event->client), text(event->event_type),
                         text(event->payload), num(ms(c.now))},
                  c.until);
    }
    return {};
}

result<job_record> find_job(context& c, const std::string& request_id, const std::optional<std::string>& client)
{
    const auto res = c.db.exec(std::string("SELECT ") + request_columns + ", " + count_columns +
                                   " FROM requests WHERE request_id = $1",
                               params{text(request_id)}, c.until);
    if (res.rows.empty()) {
        return fail<job_record>(errc::not_found, "no such job");
    }
    job_record job;
    job.request = read_request(res.rows[0]).record;
    if (job.request.mode != request_mode::async || (client && job.request.client != *client)) {
        return fail<job_record>(errc::not_found, "no such job");
    }
    job.counts = read_counts(res.rows[0], 17);
    const auto deliveries = c.db.exec(std::string("SELECT ") + delivery_columns +
                                          " FROM webhook_deliveries WHERE request_id = $1 ORDER BY created_at",
                                      params{text(request_id)}, c.until);
    for (const auto& row : deliveries.rows) {
        webhook_delivery d = read_delivery(row);
        const auto attempts = c.db.exec("SELECT attempt, at, status, error, duration_ms FROM webhook_attempts "
                                        "WHERE delivery_id = $1 ORDER BY attempt",
                                        params{text(d.delivery_id)}, c.until);
        for (const auto& a : attempts.rows) {
            d.history.push_back({static_cast<std::uint32_t>(a.integer(0)), from_ms(a.integer(1)),
                                 static_cast<unsigned>(a.integer(2)), a.text(3),
                                 static_cast<std::uint32_t>(a.integer(4))});
        }
        job.deliveries.push_back(std::move(d));
    }
    return {{}, std::move(job)};
}

result<std::vector<webhook_delivery>> claim_deliveries(context& c, std::size_t limit, std::chrono::milliseconds lease)
{
    std::string pick = std::string("SELECT ") + delivery_columns +
                       " FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1 AND "
                       "lease_until <= $1 ORDER BY next_attempt_at LIMIT $2";
    if (shared_database(c)) {
        pick += " FOR UPDATE SKIP LOCKED";
    }
    const auto due = c.db.exec(pick, params{num(ms(c.now)), num(static_cast<std::int64_t>(limit))}, c.until);
    std::vector<webhook_delivery> out;
    for (const auto& row : due.rows) {
        out.push_back(read_delivery(row));
        c.db.exec("UPDATE webhook_deliveries SET lease_until = $2 WHERE delivery_id = $1",
                  params{text(out.back().delivery_id), num(ms(c.now + lease))}, c.until);
    }
    return {{}, std::move(out)};
}

result<done> record_attempt(context& c, const std::string& delivery_id, const attempt_outcome& outcome)
{
    const delivery_attempt& a = outcome.attempt;
    c.db.exec(
        "INSERT INTO webhook_attempts (delivery_id, attempt, at, status, error, duration_ms) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id, attempt) DO NOTHING",
        params{text(delivery_id), num(a.attempt), num(ms(a.at)), num(a.status), text(a.error), num(a.duration_ms)},
        c.until);
    const char* state = outcome.delivered ? "delivered" : outcome.next_attempt_at ? "pending" : "failed";
    const std::int64_t next = outcome.next_attempt_at ? ms(*outcome.next_attempt_at) : ms(c.now);
    const auto res = c.db.exec("UPDATE webhook_deliveries SET state = $2, attempts = $3, next_attempt_at = $4, "
                               "lease_until = 0, updated_at = $5 WHERE delivery_id = $1",
                               params{text(delivery_id), text(state), num(a.attempt), num(next), num(ms(c.now))},
                               c.until);
    if (res.affected == 0) {
        return fail<done>(errc::not_found, "no such delivery");
    }
    return {};
}

result<job_census> count_jobs(context& c)
{
    job_census census;
    const auto res = c.db.exec("SELECT state, CASE WHEN owner_token = $1 THEN 1 ELSE 0 END AS mine, count(*) "
                               "FROM requests WHERE mode = 'async' AND state <> 'completed' GROUP BY state, mine",
                               params{text(c.token)}, c.until);
    for (const auto& row : res.rows) {
        const auto n = static_cast<std::uint64_t>(row.integer(2));
        if (row.text(0) == "queued") {
            census.queued += n;
        } else {
            census.running += n;
            if (row.integer(1) != 0) {
                census.leased_here += n;
            }
        }
    }
    const auto deliveries = c.db.exec("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'", params{},
                                      c.until);
    census.deliveries_pending = static_cast<std::uint64_t>(deliveries.rows.at(0).integer(0));
    return {{}, census};
}

result<std::uint32_t> heartbeat(context& c, std::chrono::milliseconds live_within)
{
    const std::int64_t now = ms(c.now);
    c.db.exec("INSERT INTO instances (token, name, heartbeat_at) VALUES ($1, $2, $3) "
              "ON CONFLICT (token) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
              params{text(c.token), text(c.config.instance), num(now)}, c.until);
    c.db.exec("DELETE FROM instances WHERE heartbeat_at < $1", params{num(now - 10 * live_within.count())}, c.until);
    const auto live = c.db.exec("SELECT count(*) FROM instances WHERE heartbeat_at >= $1",
                                params{num(now - live_within.count())}, c.until);
    return {{}, static_cast<std::uint32_t>(live.rows.at(0).integer(0))};
}

result<done> leave(context& c)
{
    c.db.exec("DELETE FROM instances WHERE token = $1", params{text(c.token)}, c.until);
    return {};
}

} // namespace igw::ledger::ops
