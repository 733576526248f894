#pragma once
// How a ledger is opened. The app fills it from the config's `state` section
// (config::state_config, README "Ledger").

#include "gateway/ledger/records.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace igw::ledger {

enum class backend_kind : std::uint8_t { sqlite, postgres };

std::string_view to_string(backend_kind kind) noexcept;

struct settings {
    backend_kind backend = backend_kind::sqlite;
    // SQLite: the database file, created (with its folder) on first open.
    std::string path;
    // PostgreSQL: a libpq connection URI or key=value string. It may hold a password:
    // never log it (describe_target() gives a printable form).
    std::string url;

    std::chrono::milliseconds retention = std::chrono::hours(24 * 30);
    std::chrono::milliseconds idempotency_retention = std::chrono::hours(24);

    // How long an operation may wait in the queue and in the database before its callback
    // gets `unavailable`. The server turns that into a 503; it must stay well under the
    // client's own timeout.
    std::chrono::milliseconds op_timeout = std::chrono::seconds(2);
    std::size_t queue_capacity = 10000;
    // Group commit: at most this many queued operations share one transaction.
    std::size_t max_batch = 256;

    // A running request whose owner renewed nothing for this long is taken to be abandoned
    // (its process stopped) and may be resumed by another instance. The writes for the
    // request renew it (an outcome only once half of it has run out), so half of it has
    // to exceed the longest pause between two writes of one request (a vendor call with
    // its retries).
    std::chrono::milliseconds request_lease = std::chrono::minutes(5);
    // A job runner renews its job's lease at a third of this; a job whose lease ran out
    // (its runner died) is taken over by the next runner that looks for work.
    std::chrono::milliseconds job_lease = std::chrono::seconds(30);
    // Names this gateway instance among those sharing a database; recover() at start takes
    // over at once the requests a previous run of the same instance left. Unique per
    // instance; the default is the host name.
    std::string instance;

    // The first background prune runs one interval (at most a minute) after the start; 0
    // disables background pruning (prune() still works).
    std::chrono::milliseconds prune_interval = std::chrono::minutes(10);
    // Rows deleted per prune transaction, so that a large backlog never holds the writer
    // (and every request waiting on it) for long.
    std::size_t prune_batch = 1000;

    // Called on the writer thread after each background prune, with what it deleted (for
    // the log).
    std::function<void(const prune_counts&)> on_prune;

    // Time source (tests move it); system time when empty.
    std::function<time_point()> clock;
};

// The database as it may be logged: the SQLite path, or the PostgreSQL host, port and
// database name without user or password.
std::string describe_target(const settings& s);

} // namespace igw::ledger
