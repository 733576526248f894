// The embedded backend: one SQLite file in WAL mode, used by the writer thread alone.

#include "gateway/ledger/settings.hpp"
#include "gateway/ledger/sql.hpp"

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace igw::ledger::sql {
namespace {

class sqlite_connection final : public connection {
public:
    explicit sqlite_connection(std::string path) : path_(std::move(path)) {}
    using connection::exec;
    ~sqlite_connection() override { close(); }

    void open(deadline until) override
    {
        if (db_) {
            return;
        }
        until_ = until;
        std::error_code ec;
        const auto parent = std::filesystem::path(path_).parent_path();
        if (!parent.empty()) {
            std::filesystem::create_directories(parent, ec);
            if (ec) {
                throw error(failure::unavailable, "cannot create the folder of " + path_ + ": " + ec.message());
            }
        }
        sqlite3* db = nullptr;
        const int rc = sqlite3_open_v2(path_.c_str(), &db,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
        if (rc != SQLITE_OK) {
            std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
            sqlite3_close(db);
            throw error(failure::unavailable, "cannot open " + path_ + ": " + message);
        }
        db_ = db;
        // A busy_timeout bounded by each operation's own deadline rather than a fixed one:
        // another process holding the write lock (an `invitegw ledger prune` run, say) makes
        // the batch wait exactly as long as its operations may, never longer.
        sqlite3_busy_handler(db_, &sqlite_connection::on_busy, this);
        try {
            // WAL: readers never block the writer, and a commit is one append to the log.
            exec("PRAGMA journal_mode=WAL", until);
            // FULL, not NORMAL: with NORMAL a power loss may drop the last commits, and the
            // ledger's promise is that an item marked `sending` stays so once the vendor
            // may have been called; losing that mark would make a retry send it again.
            // Group commit pays the extra fsync once per batch, not once per operation.
            exec("PRAGMA synchronous=FULL", until);
            exec("PRAGMA foreign_keys=OFF", until);
        } catch (...) {
            close();
            throw;
        }
    }

    bool is_open() const noexcept override { return db_ != nullptr; }

    void close() noexcept override
    {
        for (auto& [text, statement] : statements_) {
            sqlite3_finalize(statement.handle);
        }
        statements_.clear();
        if (db_) {
            sqlite3_close_v2(db_);
            db_ = nullptr;
        }
    }

    result exec(std::string_view text, std::span<const value> params, deadline until) override
    {
        if (!db_) {
            throw error(failure::unavailable, "the ledger database is not open");
        }
        until_ = until;
        const prepared& ready = prepare(text);
        sqlite3_stmt* statement = ready.handle;
        struct reset_on_exit {
            sqlite3_stmt* s;
            ~reset_on_exit()
            {
                sqlite3_reset(s);
                sqlite3_clear_bindings(s);
            }
        } reset{statement};
        for (std::size_t i = 0; i < params.size(); ++i) {
            const int index = i < ready.index_of.size() ? ready.index_of[i] : 0;
            if (index == 0) {
                continue;
            }
            const value& v = params[i];
            int rc = SQLITE_OK;
            if (const auto* n = std::get_if<std::int64_t>(&v)) {
                rc = sqlite3_bind_int64(statement, index, *n);
            } else if (const auto* s = std::get_if<std::string>(&v)) {
                rc = sqlite3_bind_text(statement, index, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
            } else {
                rc = sqlite3_bind_null(statement, index);
            }
            if (rc != SQLITE_OK) {
                fail(rc);
            }
        }
        result out;
        for (;;) {
            const int rc = sqlite3_step(statement);
            if (rc == SQLITE_DONE) {
                break;
            }
            if (rc != SQLITE_ROW) {
                fail(rc);
            }
            const int columns = sqlite3_column_count(statement);
            std::vector<std::optional<std::string>> cells;
            cells.reserve(static_cast<std::size_t>(columns));
            for (int c = 0; c < columns; ++c) {
                if (sqlite3_column_type(statement, c) == SQLITE_NULL) {
                    cells.emplace_back();
                } else {
                    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(statement, c));
                    cells.emplace_back(std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(statement, c))));
                }
            }
            out.rows.emplace_back(std::move(cells));
        }
        out.affected = static_cast<std::uint64_t>(sqlite3_changes64(db_));
        return out;
    }

    void begin(deadline until) override
    {
        // IMMEDIATE takes the write lock now, so that a busy database is found before any
        // work is done rather than at COMMIT.
        exec("BEGIN IMMEDIATE", until);
    }
    void commit(deadline until) override { exec("COMMIT", until); }
    void rollback() noexcept override
    {
        if (db_ && !sqlite3_get_autocommit(db_)) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        }
    }
    // BEGIN IMMEDIATE already serialises migrations between processes.
    void lock_schema(deadline) override {}
    void unlock_schema(deadline) override {}
    std::string_view name() const noexcept override { return "sqlite"; }

private:
    static int on_busy(void* self, int count)
    {
        auto* c = static_cast<sqlite_connection*>(self);
        if (std::chrono::steady_clock::now() >= c->until_) {
            return 0;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(count < 10 ? 200 : 2000));
        return 1;
    }

    // A cached statement, with where each $N parameter is bound: looking the names up at
    // every exec (sqlite3_bind_parameter_index) is linear in the parameters, quadratic for
    // a multi-row insert of a large job.
    struct prepared {
        sqlite3_stmt* handle = nullptr;
        std::vector<int> index_of; // [N - 1]: SQLite's index of $N, 0 when the text has none
    };

    const prepared& prepare(std::string_view text)
    {
        auto it = statements_.find(std::string(text));
        if (it != statements_.end()) {
            return it->second;
        }
        sqlite3_stmt* statement = nullptr;
        const int rc = sqlite3_prepare_v3(db_, text.data(), static_cast<int>(text.size()), SQLITE_PREPARE_PERSISTENT,
                                          &statement, nullptr);
        if (rc != SQLITE_OK) {
            fail(rc);
        }
        prepared ready{statement, {}};
        const int count = sqlite3_bind_parameter_count(statement);
        for (int i = 1; i <= count; ++i) {
            const char* name = sqlite3_bind_parameter_name(statement, i);
            if (!name || name[0] != '$') {
                continue;
            }
            const long n = std::strtol(name + 1, nullptr, 10);
            if (n <= 0) {
                continue;
            }
            if (ready.index_of.size() < static_cast<std::size_t>(n)) {
                ready.index_of.resize(static_cast<std::size_t>(n), 0);
            }
            ready.index_of[static_cast<std::size_t>(n - 1)] = i;
        }
        return statements_.emplace(std::string(text), std::move(ready)).first->second;
    }

    [[noreturn]] void fail(int rc)
    {
        const std::string message = std::string("sqlite: ") + sqlite3_errmsg(db_);
        switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED: throw error(failure::unavailable, "the ledger database is busy (" + message + ")");
        case SQLITE_IOERR:
        case SQLITE_FULL:
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB: throw error(failure::unavailable, message);
        default: throw error(failure::rejected, message);
        }
    }

    std::string path_;
    sqlite3* db_ = nullptr;
    deadline until_{};
    std::unordered_map<std::string, prepared> statements_;
};

} // namespace

std::unique_ptr<connection> open_sqlite(const settings& s) { return std::make_unique<sqlite_connection>(s.path); }

} // namespace igw::ledger::sql
