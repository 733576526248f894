#pragma once
// Versioned schema migrations, applied when a connection opens.

#include "gateway/ledger/sql.hpp"

namespace igw::ledger::schema {

// The version a fully migrated database has.
int latest_version() noexcept;

// Brings the database to latest_version(): each missing migration in its own transaction,
// recorded in schema_migrations; already applied ones are skipped, so it is safe on every
// open and from several instances at once. Throws sql::error.
void migrate(sql::connection& db, sql::deadline until);

} // namespace igw::ledger::schema
