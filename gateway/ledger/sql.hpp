#pragma once
// The ledger's internal view of a database: one connection, used by the writer thread
// only, running SQL that both backends accept ($1-style parameters, ON CONFLICT,
// RETURNING, integers for times). Each operation is written once, against this.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace igw::ledger {

struct settings;

namespace sql {

using deadline = std::chrono::steady_clock::time_point;

struct null_t {};
using value = std::variant<null_t, std::int64_t, std::string>;

inline value opt(const std::optional<std::string>& s) { return s ? value{*s} : value{null_t{}}; }

class row {
public:
    explicit row(std::vector<std::optional<std::string>> cells) : cells_(std::move(cells)) {}
    bool is_null(std::size_t i) const { return !cells_.at(i); }
    const std::string& text(std::size_t i) const; // "" when NULL
    std::optional<std::string> opt_text(std::size_t i) const { return cells_.at(i); }
    std::int64_t integer(std::size_t i) const; // 0 when NULL

private:
    std::vector<std::optional<std::string>> cells_;
};

struct result {
    std::vector<row> rows;
    std::uint64_t affected = 0; // rows changed by INSERT/UPDATE/DELETE
};

enum class failure : std::uint8_t {
    unavailable, // no connection, timeout, busy, lost connection: try again later
    conflict,    // serialization failure or deadlock (PostgreSQL): the batch may be retried
    rejected,    // the statement itself failed (a constraint, a bug): isolate the operation
};

// Thrown by a connection and caught by the writer thread, which turns it into an error
// value for the operations of the batch: nothing leaves the ledger as an exception.
class error : public std::runtime_error {
public:
    error(failure kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
    failure kind() const noexcept { return kind_; }

private:
    failure kind_;
};

class connection {
public:
    virtual ~connection() = default;
    // Connects (and creates the database file) if needed; throws sql::error.
    virtual void open(deadline until) = 0;
    virtual bool is_open() const noexcept = 0;
    virtual void close() noexcept = 0;
    virtual result exec(std::string_view statement, std::span<const value> params, deadline until) = 0;
    result exec(std::string_view statement, deadline until) { return exec(statement, {}, until); }
    // One read-write transaction; the SQLite one takes the write lock at once.
    virtual void begin(deadline until) = 0;
    virtual void commit(deadline until) = 0;
    virtual void rollback() noexcept = 0;
    // Held around migrations so that two instances opening one database at once do not
    // both migrate it (PostgreSQL: an advisory lock; SQLite: the transaction's own lock).
    virtual void lock_schema(deadline until) = 0;
    virtual void unlock_schema(deadline until) = 0;
    virtual std::string_view name() const noexcept = 0;
};

std::unique_ptr<connection> open_sqlite(const settings& s);
std::unique_ptr<connection> open_postgres(const settings& s);

} // namespace sql
} // namespace igw::ledger
