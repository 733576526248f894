#include "gateway/ledger/schema.hpp"

#include "gateway/ledger/records.hpp"

#include <initializer_list>
#include <string_view>
#include <vector>

namespace igw::ledger::schema {
namespace {

struct migration {
    int version;
    std::vector<std::string_view> statements; // SQL both backends accept
};

// Append only: a released migration is never edited, a change is a new version. Times are
// integer milliseconds since the epoch; statuses are the lower-case names of records.hpp.
// The owner/lease columns on requests are the hook the durable job queue builds on (it
// claims rows with FOR UPDATE SKIP LOCKED on PostgreSQL).
const std::vector<migration>& migrations()
{
    static const std::vector<migration> list{
        {1,
         {
             R"(CREATE TABLE requests (
                  request_id TEXT PRIMARY KEY,
                  client TEXT NOT NULL,
                  route TEXT NOT NULL,
                  config_version TEXT NOT NULL,
                  idempotency_key TEXT,
                  fingerprint TEXT NOT NULL,
                  state TEXT NOT NULL,
                  owner TEXT NOT NULL,
                  owner_token TEXT NOT NULL,
                  lease_until BIGINT NOT NULL,
                  lease_holder TEXT NOT NULL,
                  created_at BIGINT NOT NULL,
                  updated_at BIGINT NOT NULL,
                  completed_at BIGINT,
                  reply_status INTEGER,
                  reply_headers TEXT,
                  reply_body TEXT))",
             "CREATE INDEX requests_created ON requests (created_at)",
             "CREATE INDEX requests_running ON requests (lease_until) WHERE state = 'running'",
             R"(CREATE TABLE items (
                  request_id TEXT NOT NULL,
                  invitation INTEGER NOT NULL,
                  target INTEGER NOT NULL,
                  email TEXT NOT NULL,
                  ref TEXT,
                  target_name TEXT NOT NULL,
                  role TEXT NOT NULL,
                  status TEXT NOT NULL,
                  error_code TEXT NOT NULL DEFAULT '',
                  message TEXT NOT NULL DEFAULT '',
                  invitation_id TEXT NOT NULL DEFAULT '',
                  expires_at TEXT NOT NULL DEFAULT '',
                  vendor_status TEXT NOT NULL DEFAULT '',
                  upstream_status INTEGER NOT NULL DEFAULT 0,
                  attempts INTEGER NOT NULL DEFAULT 0,
                  created_at BIGINT NOT NULL,
                  updated_at BIGINT NOT NULL,
                  PRIMARY KEY (request_id, invitation, target)))",
             "CREATE INDEX items_open ON items (status, updated_at) WHERE status IN ('sending', 'unknown')",
             R"(CREATE TABLE idempotency_keys (
                  client TEXT NOT NULL,
                  idempotency_key TEXT NOT NULL,
                  request_id TEXT NOT NULL,
                  fingerprint TEXT NOT NULL,
                  created_at BIGINT NOT NULL,
                  expires_at BIGINT NOT NULL,
                  PRIMARY KEY (client, idempotency_key)))",
             "CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at)",
         }},
        // What resuming a request after a crash needs besides its items, so that the
        // gateway can send its pending items without the client's body.
        {2, {"ALTER TABLE requests ADD COLUMN send_email INTEGER NOT NULL DEFAULT 1"}},
        // Asynchronous jobs: requests recorded `queued`, claimed by a job runner with a
        // lease, their progress kept on the request row (so that polling a job reads one
        // row, not its items), and the durable outbox of the webhook events they send.
        {3,
         {
             "ALTER TABLE requests ADD COLUMN mode TEXT NOT NULL DEFAULT 'sync'",
             "ALTER TABLE requests ADD COLUMN started_at BIGINT",
             "ALTER TABLE requests ADD COLUMN job_total INTEGER NOT NULL DEFAULT 0",
             "ALTER TABLE requests ADD COLUMN job_pending INTEGER NOT NULL DEFAULT 0",
             "ALTER TABLE requests ADD COLUMN job_sending INTEGER NOT NULL DEFAULT 0",
             "ALTER TABLE requests ADD COLUMN job_invited INTEGER NOT NULL DEFAULT 0",
             "ALTER TABLE requests ADD COLUMN job_failed INTEGER NOT NULL DEFAULT 0",
             "ALTER TABLE requests ADD COLUMN job_unknown INTEGER NOT NULL DEFAULT 0",
             "CREATE INDEX requests_open_jobs ON requests (created_at) WHERE mode = 'async' AND state <> 'completed'",
             R"(CREATE TABLE webhook_deliveries (
                  delivery_id TEXT PRIMARY KEY,
                  request_id TEXT NOT NULL,
                  client TEXT NOT NULL,
                  event_type TEXT NOT NULL,
                  payload TEXT NOT NULL,
                  state TEXT NOT NULL,
                  attempts INTEGER NOT NULL DEFAULT 0,
                  next_attempt_at BIGINT NOT NULL,
                  lease_until BIGINT NOT NULL DEFAULT 0,
                  created_at BIGINT NOT NULL,
                  updated_at BIGINT NOT NULL))",
             "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending'",
             "CREATE INDEX webhook_deliveries_request ON webhook_deliveries (request_id)",
             R"(CREATE TABLE webhook_attempts (
                  delivery_id TEXT NOT NULL,
                  attempt INTEGER NOT NULL,
                  at BIGINT NOT NULL,
                  status INTEGER NOT NULL,
                  error TEXT NOT NULL,
                  duration_ms INTEGER NOT NULL,
                  PRIMARY KEY (delivery_id, attempt)))",
         }},
        // Two facts about how an item was settled, for the client: the vendor answered that
        // the person was already invited (mapping's already-invited rules), or the item was
        // settled afterwards by looking it up at the vendor (reconcile).
        {4,
         {
             "ALTER TABLE items ADD COLUMN already_invited INTEGER NOT NULL DEFAULT 0",
             "ALTER TABLE items ADD COLUMN reconciled INTEGER NOT NULL DEFAULT 0",
         }},
        // The gateways sharing the database, by the heartbeat each writes: a target's rate
        // budget is the deployment's, each live instance using its share.
        {5,
         {
             R"(CREATE TABLE instances (
                  token TEXT PRIMARY KEY,
                  name TEXT NOT NULL,
                  heartbeat_at BIGINT NOT NULL))",
         }},
    };
    return list;
}

} // namespace

int latest_version() noexcept { return migrations().back().version; }

void migrate(sql::connection& db, sql::deadline until)
{
    db.lock_schema(until);
    struct unlock_on_exit {
        sql::connection& db;
        sql::deadline until;
        bool armed = true;
        ~unlock_on_exit()
        {
            if (armed && db.is_open()) {
                try {
                    db.unlock_schema(until);
                } catch (const sql::error&) {
                    // The lock is the session's: it goes with the connection, which the
                    // failed unlock has closed.
                }
            }
        }
    } unlock{db, until};
    db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
            until);
    for (const migration& m : migrations()) {
        db.begin(until);
        try {
            // Read inside the transaction: on SQLite that is what serialises two openers.
            const auto done = db.exec("SELECT count(*) FROM schema_migrations WHERE version = $1",
                                      std::vector<sql::value>{std::int64_t{m.version}}, until);
            if (done.rows.at(0).integer(0) == 0) {
                for (std::string_view statement : m.statements) {
                    db.exec(statement, until);
                }
                db.exec("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                        std::vector<sql::value>{std::int64_t{m.version}, now().time_since_epoch().count()}, until);
            }
            db.commit(until);
        } catch (...) {
            db.rollback();
            throw;
        }
    }
}

} // namespace igw::ledger::schema
