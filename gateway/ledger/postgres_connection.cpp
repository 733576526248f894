// The shared backend: one libpq connection, driven through its asynchronous API so that
// every wait (connect, query, commit) ends at the operation's deadline, never later.

#include "gateway/ledger/settings.hpp"
#include "gateway/ledger/sql.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <unordered_map>

namespace igw::ledger::sql {
namespace {

// Any constant works as long as every instance uses the same one for the ledger's schema.
constexpr const char* schema_lock_key = "7215311426018452113";

class postgres_connection final : public connection {
public:
    explicit postgres_connection(std::string url) : url_(std::move(url)) {}
    using connection::exec;
    ~postgres_connection() override { close(); }

    void open(deadline until) override
    {
        if (conn_) {
            return;
        }
        PGconn* conn = PQconnectStart(url_.c_str());
        if (!conn) {
            throw error(failure::unavailable, "postgres: out of memory");
        }
        conn_ = conn;
        if (PQstatus(conn_) == CONNECTION_BAD) {
            fail_connection("cannot connect");
        }
        // Notices ("relation already exists, skipping") are not errors; keep them off stderr.
        PQsetNoticeProcessor(
            conn_, [](void*, const char*) {}, nullptr);
        PostgresPollingStatusType state = PGRES_POLLING_WRITING;
        for (;;) {
            if (state == PGRES_POLLING_OK) {
                break;
            }
            if (state == PGRES_POLLING_FAILED) {
                fail_connection("cannot connect");
            }
            wait(state == PGRES_POLLING_READING ? POLLIN : POLLOUT, until, "connecting");
            state = PQconnectPoll(conn_);
        }
        if (PQsetnonblocking(conn_, 1) != 0) {
            fail_connection("cannot switch to non-blocking mode");
        }
    }

    bool is_open() const noexcept override { return conn_ != nullptr; }

    void close() noexcept override
    {
        if (conn_) {
            // Dropping the connection is what aborts a query that overran its deadline: the
            // server rolls the transaction back when it notices.
            PQfinish(conn_);
            conn_ = nullptr;
            prepared_.clear();
        }
    }

    result exec(std::string_view statement, std::span<const value> params, deadline until) override
    {
        if (!conn_) {
            throw error(failure::unavailable, "postgres: not connected");
        }
        std::vector<std::string> texts;
        std::vector<const char*> values;
        texts.reserve(params.size());
        values.reserve(params.size());
        for (const value& v : params) {
            if (const auto* n = std::get_if<std::int64_t>(&v)) {
                texts.push_back(std::to_string(*n));
                values.push_back(texts.back().c_str());
            } else if (const auto* s = std::get_if<std::string>(&v)) {
                texts.push_back(*s);
                values.push_back(texts.back().c_str());
            } else {
                texts.emplace_back();
                values.push_back(nullptr);
            }
        }
        // texts may have reallocated while growing: take the pointers again.
        for (std::size_t i = 0; i < params.size(); ++i) {
            if (values[i]) {
                values[i] = texts[i].c_str();
            }
        }
        const std::string text(statement);
        if (params.empty()) {
            if (!PQsendQueryParams(conn_, text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0)) {
                fail_connection("cannot send a query");
            }
            return collect(until);
        }
        // Parsed and planned once per connection: the same few statements run for every
        // request, and each parse would be one more thing the writer waits for.
        auto known = prepared_.find(text);
        if (known == prepared_.end()) {
            const std::string name = "igw" + std::to_string(prepared_.size());
            if (!PQsendPrepare(conn_, name.c_str(), text.c_str(), static_cast<int>(params.size()), nullptr)) {
                fail_connection("cannot send a query");
            }
            collect(until);
            known = prepared_.emplace(text, name).first;
        }
        if (!PQsendQueryPrepared(conn_, known->second.c_str(), static_cast<int>(params.size()), values.data(), nullptr,
                                 nullptr, 0)) {
            fail_connection("cannot send a query");
        }
        return collect(until);
    }

    result collect(deadline until)
    {
        for (;;) {
            const int flushed = PQflush(conn_);
            if (flushed == 0) {
                break;
            }
            if (flushed < 0) {
                fail_connection("cannot send a query");
            }
            wait(POLLOUT | POLLIN, until, "sending a query");
            if (!PQconsumeInput(conn_)) {
                fail_connection("lost the connection");
            }
        }
        result out;
        std::optional<error> failed;
        for (;;) {
            while (PQisBusy(conn_)) {
                wait(POLLIN, until, "waiting for the database");
                if (!PQconsumeInput(conn_)) {
                    fail_connection("lost the connection");
                }
            }
            PGresult* res = PQgetResult(conn_);
            if (!res) {
                break;
            }
            const ExecStatusType status = PQresultStatus(res);
            if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
                const int rows = PQntuples(res);
                const int columns = PQnfields(res);
                for (int r = 0; r < rows; ++r) {
                    std::vector<std::optional<std::string>> cells;
                    cells.reserve(static_cast<std::size_t>(columns));
                    for (int c = 0; c < columns; ++c) {
                        if (PQgetisnull(res, r, c)) {
                            cells.emplace_back();
                        } else {
                            cells.emplace_back(
                                std::string(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c))));
                        }
                    }
                    out.rows.emplace_back(std::move(cells));
                }
                const char* affected = PQcmdTuples(res);
                out.affected = affected && *affected ? std::strtoull(affected, nullptr, 10) : 0;
            } else if (!failed) {
                failed = classify(res);
            }
            PQclear(res);
        }
        if (PQstatus(conn_) == CONNECTION_BAD) {
            fail_connection("lost the connection");
        }
        if (failed) {
            throw *failed;
        }
        return out;
    }

    void begin(deadline until) override { exec("BEGIN", until); }
    void commit(deadline until) override { exec("COMMIT", until); }
    void rollback() noexcept override
    {
        if (!conn_ || PQtransactionStatus(conn_) == PQTRANS_IDLE) {
            return;
        }
        try {
            exec("ROLLBACK", std::chrono::steady_clock::now() + std::chrono::seconds(1));
        } catch (const error&) {
            // A connection that cannot even roll back is dropped (exec closed it on a
            // connection failure; close() again is harmless), and the server discards the
            // open transaction with it.
            close();
        }
    }
    void lock_schema(deadline until) override
    {
        exec(std::string("SELECT pg_advisory_lock(") + schema_lock_key + ")", until);
    }
    void unlock_schema(deadline until) override
    {
        exec(std::string("SELECT pg_advisory_unlock(") + schema_lock_key + ")", until);
    }
    std::string_view name() const noexcept override { return "postgres"; }

private:
    void wait(short events, deadline until, const char* doing)
    {
        const int fd = PQsocket(conn_);
        if (fd < 0) {
            fail_connection("no socket");
        }
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until -
                                                                                    std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                close();
                throw error(failure::unavailable, std::string("postgres: timed out ") + doing);
            }
            pollfd p{fd, events, 0};
            const int n = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
            if (n > 0) {
                return;
            }
            if (n < 0 && errno != EINTR) {
                fail_connection("poll failed");
            }
        }
    }

    [[noreturn]] void fail_connection(const char* what)
    {
        std::string message = std::string("postgres: ") + what;
        if (conn_) {
            const char* detail = PQerrorMessage(conn_);
            if (detail && *detail) {
                message += ": ";
                message += detail;
                while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
                    message.pop_back();
                }
            }
        }
        close();
        throw error(failure::unavailable, message);
    }

    static error classify(const PGresult* res)
    {
        const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const std::string sqlstate = state ? state : "";
        std::string message = std::string("postgres: ") + PQresultErrorMessage(res);
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
            message.pop_back();
        }
        if (sqlstate == "40001" || sqlstate == "40P01") {
            return error(failure::conflict, message);
        }
        // Connection exceptions, resources, shutdown and cancellation: the server, not the
        // statement, is the problem.
        if (sqlstate.starts_with("08") || sqlstate.starts_with("53") || sqlstate.starts_with("57")) {
            return error(failure::unavailable, message);
        }
        return error(failure::rejected, message);
    }

    std::string url_;
    PGconn* conn_ = nullptr;
    std::unordered_map<std::string, std::string> prepared_; // statement text -> name
};

} // namespace

std::unique_ptr<connection> open_postgres(const settings& s) { return std::make_unique<postgres_connection>(s.url); }

} // namespace igw::ledger::sql
