#include "gateway/ledger/operations.hpp"

#include "gateway/ledger/rows.hpp"

#include <algorithm>
#include <string>

namespace igw::ledger::ops {
namespace detail {

loaded_request read_request(const sql::row& r)
{
    loaded_request out;
    request_record& q = out.record;
    q.request_id = r.text(0);
    q.client = r.text(1);
    q.route = r.text(2);
    q.config_version = r.text(3);
    q.idempotency_key = r.opt_text(4);
    q.fingerprint = r.text(5);
    q.state = parse_request_state(r.text(6)).value_or(request_state::running);
    q.created_at = from_ms(r.integer(7));
    q.updated_at = from_ms(r.integer(8));
    if (!r.is_null(9)) {
        q.completed_at = from_ms(r.integer(9));
    }
    if (!r.is_null(10)) {
        q.reply = stored_reply{static_cast<unsigned>(r.integer(10)), decode_headers(r.text(11)), r.text(12)};
    }
    out.lease_until = from_ms(r.integer(13));
    q.send_email = r.integer(14) != 0;
    q.mode = r.text(15) == "async" ? request_mode::async : request_mode::sync;
    if (!r.is_null(16)) {
        q.started_at = from_ms(r.integer(16));
    }
    return out;
}

item_record read_item(const sql::row& r)
{
    item_record i;
    i.request_id = r.text(0);
    i.invitation = static_cast<std::uint32_t>(r.integer(1));
    i.target = static_cast<std::uint32_t>(r.integer(2));
    i.email = r.text(3);
    i.ref = r.opt_text(4);
    i.target_name = r.text(5);
    i.role = r.text(6);
    i.status = parse_item_status(r.text(7)).value_or(item_status::unknown);
    i.error_code = r.text(8);
    i.message = r.text(9);
    i.invitation_id = r.text(10);
    i.expires_at = r.text(11);
    i.vendor_status = r.text(12);
    i.upstream_status = static_cast<unsigned>(r.integer(13));
    i.attempts = static_cast<std::uint32_t>(r.integer(14));
    i.created_at = from_ms(r.integer(15));
    i.updated_at = from_ms(r.integer(16));
    i.already_invited = r.integer(17) != 0;
    i.reconciled = r.integer(18) != 0;
    return i;
}

std::optional<loaded_request> load_request(context& c, const std::string& request_id)
{
    const auto res = c.db.exec(std::string("SELECT ") + request_columns + " FROM requests WHERE request_id = $1",
                               params{text(request_id)}, c.until);
    if (res.rows.empty()) {
        return std::nullopt;
    }
    return read_request(res.rows.front());
}

std::vector<item_record> load_items(context& c, const std::string& request_id)
{
    const auto res = c.db.exec(std::string("SELECT ") + item_columns +
                                   " FROM items WHERE request_id = $1 ORDER BY invitation, target",
                               params{text(request_id)}, c.until);
    std::vector<item_record> items;
    items.reserve(res.rows.size());
    for (const auto& row : res.rows) {
        items.push_back(read_item(row));
    }
    return items;
}

std::optional<request_with_items> load_full(context& c, const std::string& request_id)
{
    auto request = load_request(c, request_id);
    if (!request) {
        return std::nullopt;
    }
    return request_with_items{std::move(request->record), load_items(c, request_id)};
}

job_counts count_items(context& c, const std::string& request_id)
{
    job_counts counts;
    const auto res = c.db.exec("SELECT status, count(*) FROM items WHERE request_id = $1 GROUP BY status",
                               params{text(request_id)}, c.until);
    for (const auto& row : res.rows) {
        const auto n = static_cast<std::uint32_t>(row.integer(1));
        counts.total += n;
        switch (parse_item_status(row.text(0)).value_or(item_status::unknown)) {
        case item_status::pending: counts.pending += n; break;
        case item_status::sending: counts.sending += n; break;
        case item_status::invited: counts.invited += n; break;
        case item_status::failed: counts.failed += n; break;
        case item_status::unknown: counts.unknown += n; break;
        }
    }
    return counts;
}

// "$k, $k+1, ..." for n parameters starting at k, each wrapped by `wrap` when given.
std::string placeholders(std::size_t first, std::size_t n, std::string_view wrap_before, std::string_view wrap_after)
{
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        if (i) {
            out += ", ";
        }
        out += wrap_before;
        out += '$';
        out += std::to_string(first + i);
        out += wrap_after;
    }
    return out;
}

} // namespace detail

namespace {

using namespace detail;

std::int64_t lease_end(const context& c) { return ms(c.now + c.config.request_lease); }

// Takes over a running request whose lease has run out. The UPDATE on the request row goes
// first: on PostgreSQL it locks the row, so of two instances resuming at once the second
// waits, re-reads the now live lease and takes nothing.
// `holder` names the operation that took it (the begin's own request id), so that only
// that operation's failure releases it again.
bool take_over(context& c, const std::string& request_id, const std::string& holder)
{
    const auto taken = c.db.exec(
        "UPDATE requests SET owner = $2, owner_token = $3, lease_until = $4, updated_at = $5, lease_holder = $6 "
        "WHERE request_id = $1 AND state = 'running' AND lease_until <= $5",
        params{text(request_id), text(c.config.instance), text(c.token), num(lease_end(c)), num(ms(c.now)),
               text(holder)},
        c.until);
    if (taken.affected == 0) {
        return false;
    }
    c.db.exec("UPDATE items SET status = 'unknown', error_code = $2, message = $3, updated_at = $4 "
              "WHERE request_id = $1 AND status = 'sending'",
              params{text(request_id), text(std::string(interrupted_code)), text(std::string(interrupted_message)),
                     num(ms(c.now))},
              c.until);
    return true;
}

// What a key (or a resume) finds when the request is not the caller's new one.
result<begin_outcome> existing_outcome(context& c, const std::string& request_id, const std::string& holder)
{
    auto request = load_request(c, request_id);
    if (!request) {
        return fail<begin_outcome>(errc::not_found, "no such request");
    }
    if (request->record.mode == request_mode::async) {
        // A job is the job runners' to carry out, whatever its state; its items are not
        // loaded (a job may have a hundred thousand).
        return {{}, begin_outcome{begin_kind::job, request_with_items{std::move(request->record), {}}}};
    }
    if (request->record.state == request_state::completed) {
        return {{}, begin_outcome{begin_kind::replay, load_full(c, request_id)}};
    }
    if (request->lease_until > c.now || !take_over(c, request_id, holder)) {
        return {{}, begin_outcome{begin_kind::in_progress, load_full(c, request_id)}};
    }
    return {{}, begin_outcome{begin_kind::resumed, load_full(c, request_id)}};
}

void insert_items(context& c, const new_request& r)
{
    constexpr std::size_t columns = 13;
    for (std::size_t start = 0; start < r.items.size(); start += rows_per_statement) {
        const std::size_t n = std::min(rows_per_statement, r.items.size() - start);
        std::string statement = "INSERT INTO items (request_id, invitation, target, email, ref, target_name, role, "
                                "status, error_code, message, attempts, created_at, updated_at) VALUES ";
        params p;
        p.reserve(n * columns);
        for (std::size_t i = 0; i < n; ++i) {
            const new_item& item = r.items[start + i];
            statement += i ? ", (" : "(";
            statement += placeholders(i * columns + 1, columns);
            statement += ')';
            p.push_back(text(r.request_id));
            p.push_back(num(item.invitation));
            p.push_back(num(item.target));
            p.push_back(text(item.email));
            p.push_back(sql::opt(item.ref));
            p.push_back(text(item.target_name));
            p.push_back(text(item.role));
            p.push_back(text(std::string(to_string(item.status))));
            p.push_back(text(item.error_code));
            p.push_back(text(item.message));
            p.push_back(num(item.status == item_status::sending ? 1 : 0));
            p.push_back(num(ms(c.now)));
            p.push_back(num(ms(c.now)));
        }
        // A batch repeated after a lost connection finds its own rows: keep them.
        statement += " ON CONFLICT (request_id, invitation, target) DO NOTHING";
        c.db.exec(statement, p, c.until);
    }
}

// Renews the lease when the caller still owns the request. Returns false when it does not
// (or the request is gone, or already completed).
// A job's lease is the shorter settings::job_lease, so that another runner takes over soon
// after this one died.
constexpr const char* renewed_lease = "CASE WHEN mode = 'async' THEN CAST($5 AS BIGINT) ELSE CAST($2 AS BIGINT) END";

bool renew(context& c, const std::string& request_id)
{
    return c.db.exec(std::string("UPDATE requests SET lease_until = ") + renewed_lease +
                         ", updated_at = $3 WHERE request_id = $1 AND owner_token = $4 AND state = 'running'",
                     params{text(request_id), num(lease_end(c)), num(ms(c.now)), text(c.token),
                            num(ms(c.now + c.config.job_lease))},
                     c.until)
               .affected > 0;
}

// Renews the lease only once half of it has run out: a request's outcomes arrive call
// after call, and rewriting the request row (and its index entry) for each would cost more
// than the outcome itself. A lease thus stays at least half its length ahead of the
// request's last write.
void renew_if_stale(context& c, const std::string& request_id)
{
    c.db.exec(std::string("UPDATE requests SET lease_until = ") + renewed_lease +
                  ", updated_at = $3 WHERE request_id = $1 AND owner_token = $4 AND state = 'running' AND "
                  "lease_until < CASE WHEN mode = 'async' THEN CAST($7 AS BIGINT) ELSE CAST($6 AS BIGINT) END",
              params{text(request_id), num(lease_end(c)), num(ms(c.now)), text(c.token),
                     num(ms(c.now + c.config.job_lease)), num(ms(c.now + c.config.request_lease / 2)),
                     num(ms(c.now + c.config.job_lease / 2))},
              c.until);
}

} // namespace

std::string encode_headers(const std::vector<header>& headers)
{
    std::string out;
    for (const auto& h : headers) {
        out += h.name;
        out += ": ";
        out += h.value;
        out += '\n';
    }
    return out;
}

std::vector<header> decode_headers(std::string_view text)
{
    std::vector<header> out;
    while (!text.empty()) {
        const auto end = text.find('\n');
        const std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        const auto colon = line.find(": ");
        if (colon != std::string_view::npos) {
            out.push_back({std::string(line.substr(0, colon)), std::string(line.substr(colon + 2))});
        }
    }
    return out;
}

result<begin_outcome> begin_request(context& c, const new_request& r)
{
    if (r.request_id.empty() || r.client.empty()) {
        return fail<begin_outcome>(errc::invalid, "a request needs an id and a client");
    }
    if (r.idempotency_key && !is_valid_key(*r.idempotency_key)) {
        return fail<begin_outcome>(errc::invalid, "an idempotency key is 1 to 255 printable characters");
    }

    // The id may already name a request: this very begin repeated after a lost connection
    // (its COMMIT went through), or a client that reused its X-Request-Id. The same client
    // sending the same request again is a retry of it, answered like a key's (replay, 409
    // while it runs, resumed once abandoned) so that nothing is sent twice; anything else
    // must not merge into that request's record. (A repeated begin thus meets its own
    // request as in progress: the client sees a 409 where a lost commit hid a success.)
    const auto same_id = c.db.exec("SELECT client, fingerprint FROM requests WHERE request_id = $1",
                                   params{text(r.request_id)}, c.until);
    if (!same_id.rows.empty()) {
        if (same_id.rows[0].text(0) == r.client && same_id.rows[0].text(1) == r.fingerprint) {
            return existing_outcome(c, r.request_id, r.request_id);
        }
        return {{}, begin_outcome{begin_kind::duplicate_id, std::nullopt}};
    }
    if (r.idempotency_key) {
        // Claims the key, or takes over one that has expired; a repeat of the caller's own
        // claim (a batch retried after a lost connection) matches on request_id. On
        // PostgreSQL a concurrent claim of the same key waits for the first transaction and
        // then re-checks this WHERE against the row it committed: exactly one instance wins.
        // The WHERE must only read that row: a subquery would use the statement's snapshot,
        // taken before the winner committed, and see its request as missing.
        const auto claim = c.db.exec(
            "INSERT INTO idempotency_keys (client, idempotency_key, request_id, fingerprint, created_at, expires_at) "
            "VALUES ($1, $2, $3, $4, $5, $6) "
            "ON CONFLICT (client, idempotency_key) DO UPDATE SET request_id = excluded.request_id, "
            "fingerprint = excluded.fingerprint, created_at = excluded.created_at, expires_at = excluded.expires_at "
            "WHERE idempotency_keys.expires_at <= $5 OR idempotency_keys.request_id = $3 "
            "RETURNING request_id",
            params{text(r.client), text(*r.idempotency_key), text(r.request_id), text(r.fingerprint), num(ms(c.now)),
                   num(ms(c.now + c.config.idempotency_retention))},
            c.until);
        if (claim.rows.empty()) {
            const auto held = c.db.exec(
                "SELECT request_id, fingerprint FROM idempotency_keys WHERE client = $1 AND idempotency_key = $2",
                params{text(r.client), text(*r.idempotency_key)}, c.until);
            if (held.rows.empty()) {
                // Only a concurrent prune can remove it between the two statements.
                return fail<begin_outcome>(errc::unavailable, "the idempotency key changed during the claim; retry");
            }
            const std::string held_by = held.rows[0].text(0);
            if (load_request(c, held_by)) {
                if (held.rows[0].text(1) != r.fingerprint) {
                    return {{}, begin_outcome{begin_kind::mismatch, std::nullopt}};
                }
                return existing_outcome(c, held_by, r.request_id);
            }
            // The key outlived its request (a key retention longer than the request
            // retention): it is free. Compare-and-set on the holder, so that of two callers
            // only one takes it.
            const auto taken = c.db.exec(
                "UPDATE idempotency_keys SET request_id = $3, fingerprint = $4, created_at = $5, expires_at = $6 "
                "WHERE client = $1 AND idempotency_key = $2 AND request_id = $7",
                params{text(r.client), text(*r.idempotency_key), text(r.request_id), text(r.fingerprint),
                       num(ms(c.now)), num(ms(c.now + c.config.idempotency_retention)), text(held_by)},
                c.until);
            if (taken.affected == 0) {
                return fail<begin_outcome>(errc::unavailable, "the idempotency key changed during the claim; retry");
            }
        }
    }
    // A job waits for a runner: owned by nobody, its lease already over.
    const bool job = r.mode == request_mode::async;
    const auto n = static_cast<std::int64_t>(r.items.size());
    c.db.exec("INSERT INTO requests (request_id, client, route, config_version, idempotency_key, fingerprint, state, "
              "owner, owner_token, lease_until, lease_holder, created_at, updated_at, send_email, mode, job_total, "
              "job_pending) "
              "VALUES ($1, $2, $3, $4, $5, $6, $12, $7, $8, $9, $1, $10, $10, $11, $13, $14, $14) "
              "ON CONFLICT (request_id) DO NOTHING",
              params{text(r.request_id), text(r.client), text(r.route), text(r.config_version),
                     sql::opt(r.idempotency_key), text(r.fingerprint), text(job ? "" : c.config.instance),
                     text(job ? "" : c.token), num(job ? 0 : lease_end(c)), num(ms(c.now)), num(r.send_email ? 1 : 0),
                     text(job ? "queued" : "running"), text(job ? "async" : "sync"), num(job ? n : 0)},
              c.until);
    insert_items(c, r);
    return {{}, begin_outcome{begin_kind::claimed, std::nullopt}};
}

result<begin_outcome> resume(context& c, const std::string& request_id)
{
    return existing_outcome(c, request_id, request_id);
}

result<done> release(context& c, const std::string& request_id)
{
    // Only what this very begin claimed or took over: a request of the same key that this
    // store is working on for an earlier call keeps its lease.
    c.db.exec("UPDATE requests SET lease_until = 0, updated_at = $2 "
              "WHERE owner_token = $3 AND state = 'running' AND lease_holder = $1",
              params{text(request_id), num(ms(c.now)), text(c.token)}, c.until);
    return {};
}

result<done> mark_sending(context& c, const std::string& request_id, const std::vector<item_key>& items)
{
    if (!renew(c, request_id)) {
        auto request = load_request(c, request_id);
        if (!request) {
            return fail<done>(errc::not_found, "no such request");
        }
        return fail<done>(errc::lost_ownership, "the request is no longer this instance's to send");
    }
    for (std::size_t start = 0; start < items.size(); start += rows_per_statement) {
        const std::size_t n = std::min(rows_per_statement, items.size() - start);
        // A join on the item's key, as in settle: `(invitation, target) IN (VALUES ...)` made
        // SQLite scan every item of the request, once per call of a job of 100,000 items.
        std::string statement = "UPDATE items SET status = 'sending', attempts = items.attempts + 1, updated_at = $2 "
                                "FROM (VALUES ";
        params p{text(request_id), num(ms(c.now))};
        for (std::size_t i = 0; i < n; ++i) {
            statement += i ? ", (" : "(";
            statement += placeholders(p.size() + 1, 2, "CAST(", " AS INTEGER)");
            statement += ")";
            p.push_back(num(items[start + i].invitation));
            p.push_back(num(items[start + i].target));
        }
        statement += ") AS v WHERE items.request_id = $1 AND items.invitation = v.column1 AND "
                     "items.target = v.column2 AND items.status IN ('pending', 'sending')";
        c.db.exec(statement, p, c.until);
    }
    return {};
}

result<done> settle(context& c, const std::string& request_id, const std::vector<item_outcome>& outcomes)
{
    for (const auto& o : outcomes) {
        if (o.status == item_status::pending || o.status == item_status::sending) {
            return fail<done>(errc::invalid, "an outcome is invited, failed or unknown");
        }
    }
    // An outcome is recorded whoever owns the request now: it is what happened.
    renew_if_stale(c, request_id);
    std::uint64_t matched = 0;
    for (std::size_t start = 0; start < outcomes.size(); start += rows_per_statement) {
        const std::size_t n = std::min(rows_per_statement, outcomes.size() - start);
        // VALUES columns are column1..column11 on both backends.
        std::string statement = "UPDATE items SET status = v.column3, error_code = v.column4, message = v.column5, "
                                "invitation_id = v.column6, expires_at = v.column7, vendor_status = v.column8, "
                                "upstream_status = v.column9, already_invited = v.column10, "
                                "reconciled = v.column11, updated_at = $2 FROM (VALUES ";
        params p{text(request_id), num(ms(c.now))};
        for (std::size_t i = 0; i < n; ++i) {
            const item_outcome& o = outcomes[start + i];
            const std::size_t k = p.size() + 1;
            statement += i ? ", (" : "(";
            statement += "CAST($" + std::to_string(k) + " AS INTEGER), CAST($" + std::to_string(k + 1) +
                         " AS INTEGER), " + placeholders(k + 2, 6) + ", " +
                         placeholders(k + 8, 3, "CAST(", " AS INTEGER)") + ")";
            p.push_back(num(o.invitation));
            p.push_back(num(o.target));
            p.push_back(text(std::string(to_string(o.status))));
            p.push_back(text(o.error_code));
            p.push_back(text(o.message));
            p.push_back(text(o.invitation_id));
            p.push_back(text(o.expires_at));
            p.push_back(text(o.vendor_status));
            p.push_back(num(o.upstream_status));
            p.push_back(num(o.already_invited ? 1 : 0));
            p.push_back(num(o.reconciled ? 1 : 0));
        }
        statement += ") AS v WHERE items.request_id = $1 AND items.invitation = v.column1 AND items.target = v.column2";
        matched += c.db.exec(statement, p, c.until).affected;
    }
    if (matched == 0 && !outcomes.empty()) {
        return fail<done>(errc::not_found, "no such request or items");
    }
    return {};
}

result<done> complete_request(context& c, const std::string& request_id, const stored_reply& reply)
{
    const auto res = c.db.exec(
        "UPDATE requests SET state = 'completed', reply_status = $2, reply_headers = $3, reply_body = $4, "
        "completed_at = $5, updated_at = $5 WHERE request_id = $1 AND owner_token = $6 AND state = 'running'",
        params{text(request_id), num(reply.status), text(encode_headers(reply.headers)), text(reply.body),
               num(ms(c.now)), text(c.token)},
        c.until);
    if (res.affected > 0) {
        return {};
    }
    auto request = load_request(c, request_id);
    if (!request) {
        return fail<done>(errc::not_found, "no such request");
    }
    if (request->record.state == request_state::completed && request->record.reply == reply) {
        return {}; // the same completion again
    }
    return fail<done>(errc::lost_ownership, "the request is no longer this instance's to complete");
}

result<request_with_items> find_request(context& c, const std::string& request_id,
                                        const std::optional<std::string>& client)
{
    auto full = load_full(c, request_id);
    if (!full || (client && full->request.client != *client)) {
        return fail<request_with_items>(errc::not_found, "no such request");
    }
    return {{}, std::move(*full)};
}

result<recovered> recover(context& c)
{
    // Ours from an earlier run (same instance name, another token), or anyone's whose lease
    // ran out: their processes stopped with these requests unfinished.
    // Jobs are not recovered here: the job runners claim them (claim_job).
    constexpr const char* abandoned =
        "state = 'running' AND mode = 'sync' AND ((owner = $1 AND owner_token <> $2) OR lease_until <= $3)";
    const params p{text(c.config.instance), text(c.token), num(ms(c.now))};
    const auto interrupted = c.db.exec(
        std::string("UPDATE items SET status = 'unknown', error_code = $4, message = $5, updated_at = $3 "
                    "WHERE status = 'sending' AND request_id IN (SELECT request_id FROM requests WHERE ") +
            abandoned + ")",
        params{p[0], p[1], p[2], text(std::string(interrupted_code)), text(std::string(interrupted_message))}, c.until);
    // Released (lease 0), so that the first retry with the key, or resume(), takes it.
    const auto released = c.db.exec(std::string("UPDATE requests SET lease_until = 0, owner_token = '' WHERE ") +
                                        abandoned + " RETURNING request_id",
                                    p, c.until);
    recovered out;
    out.interrupted_items = interrupted.affected;
    for (const auto& row : released.rows) {
        if (auto full = load_full(c, row.text(0))) {
            out.requests.push_back(std::move(*full));
        }
    }
    std::sort(out.requests.begin(), out.requests.end(),
              [](const auto& a, const auto& b) { return a.request.created_at < b.request.created_at; });
    return {{}, std::move(out)};
}

result<prune_counts> prune_chunk(context& c, time_point now, bool& more)
{
    const std::int64_t cutoff = ms(now - c.config.retention);
    const auto limit = static_cast<std::int64_t>(c.config.prune_batch);
    // The same ordered selection twice in one transaction: the items of exactly the
    // requests deleted next.
    constexpr const char* oldest =
        "SELECT request_id FROM requests WHERE created_at < $1 ORDER BY created_at, request_id LIMIT $2";
    prune_counts counts;
    c.db.exec(std::string("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT delivery_id FROM "
                          "webhook_deliveries WHERE request_id IN (") +
                  oldest + "))",
              params{num(cutoff), num(limit)}, c.until);
    c.db.exec(std::string("DELETE FROM webhook_deliveries WHERE request_id IN (") + oldest + ")",
              params{num(cutoff), num(limit)}, c.until);
    counts.items = c.db.exec(std::string("DELETE FROM items WHERE request_id IN (") + oldest + ")",
                             params{num(cutoff), num(limit)}, c.until)
                       .affected;
    counts.requests = c.db.exec(std::string("DELETE FROM requests WHERE request_id IN (") + oldest + ")",
                                params{num(cutoff), num(limit)}, c.until)
                          .affected;
    counts.keys = c.db.exec("DELETE FROM idempotency_keys WHERE (client, idempotency_key) IN ("
                            "SELECT client, idempotency_key FROM idempotency_keys WHERE expires_at <= $1 "
                            "ORDER BY expires_at LIMIT $2)",
                            params{num(ms(now)), num(limit)}, c.until)
                      .affected;
    more = counts.requests == c.config.prune_batch || counts.keys == c.config.prune_batch;
    return {{}, counts};
}

result<std::vector<request_summary>> list_recent(context& c, std::size_t limit)
{
    const auto res = c.db.exec(std::string("SELECT ") + request_columns +
                                   " FROM requests ORDER BY created_at DESC, request_id LIMIT $1",
                               params{num(static_cast<std::int64_t>(limit))}, c.until);
    std::vector<request_summary> out;
    for (const auto& row : res.rows) {
        request_summary s;
        s.request = read_request(row).record;
        const job_counts n = count_items(c, s.request.request_id);
        s.items = n.total;
        s.pending = n.pending;
        s.sending = n.sending;
        s.invited = n.invited;
        s.failed = n.failed;
        s.unknown = n.unknown;
        out.push_back(std::move(s));
    }
    return {{}, std::move(out)};
}

result<std::vector<item_record>> list_unknown(context& c, std::size_t limit)
{
    const auto res = c.db.exec(std::string("SELECT ") + item_columns +
                                   " FROM items WHERE status = 'unknown' ORDER BY updated_at DESC, request_id, "
                                   "invitation, target LIMIT $1",
                               params{num(static_cast<std::int64_t>(limit))}, c.until);
    std::vector<item_record> out;
    for (const auto& row : res.rows) {
        out.push_back(read_item(row));
    }
    return {{}, std::move(out)};
}

result<std::uint32_t> reconcile_items(context& c, const std::string& request_id,
                                      const std::vector<item_outcome>& outcomes)
{
    for (const auto& o : outcomes) {
        if (o.status != item_status::invited && o.status != item_status::failed) {
            return fail<std::uint32_t>(errc::invalid, "a reconciled item is invited or failed");
        }
    }
    std::uint64_t changed = 0;
    for (std::size_t start = 0; start < outcomes.size(); start += rows_per_statement) {
        const std::size_t n = std::min(rows_per_statement, outcomes.size() - start);
        // Only an item still `unknown` changes: a second reconcile running at the same time
        // (another instance, the job runner) finds nothing left to do.
        std::string statement = "UPDATE items SET status = v.column3, error_code = v.column4, message = v.column5, "
                                "invitation_id = v.column6, reconciled = 1, updated_at = $2 FROM (VALUES ";
        params p{text(request_id), num(ms(c.now))};
        for (std::size_t i = 0; i < n; ++i) {
            const item_outcome& o = outcomes[start + i];
            const std::size_t k = p.size() + 1;
            statement += i ? ", (" : "(";
            statement += placeholders(k, 2, "CAST(", " AS INTEGER)") + ", " + placeholders(k + 2, 4);
            statement += ")";
            p.push_back(num(o.invitation));
            p.push_back(num(o.target));
            p.push_back(text(std::string(to_string(o.status))));
            p.push_back(text(o.error_code));
            p.push_back(text(o.message));
            p.push_back(text(o.invitation_id));
        }
        statement += ") AS v WHERE items.request_id = $1 AND items.invitation = v.column1 AND "
                     "items.target = v.column2 AND items.status = 'unknown'";
        changed += c.db.exec(statement, p, c.until).affected;
    }
    if (changed > 0) {
        // A job's document reads its counts from the request row.
        const job_counts counts = count_items(c, request_id);
        c.db.exec(
            "UPDATE requests SET job_invited = $2, job_failed = $3, job_unknown = $4, updated_at = $5 "
            "WHERE request_id = $1 AND mode = 'async'",
            params{text(request_id), num(counts.invited), num(counts.failed), num(counts.unknown), num(ms(c.now))},
            c.until);
    }
    return {{}, static_cast<std::uint32_t>(changed)};
}

} // namespace igw::ledger::ops
