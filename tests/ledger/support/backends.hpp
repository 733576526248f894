#pragma once
// What every ledger test needs: a throwaway PostgreSQL server for the whole test program
// (scripts/postgres), a fresh database per test on either backend, and a way to wait for
// a callback with a bound.

#include "gateway/ledger/store.hpp"
#include "tests/support/files.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <ostream>
#include <string>

namespace igw::ledger {
std::ostream& operator<<(std::ostream& out, backend_kind kind);
std::ostream& operator<<(std::ostream& out, begin_kind kind);
std::ostream& operator<<(std::ostream& out, errc code);
std::ostream& operator<<(std::ostream& out, item_status status);
std::ostream& operator<<(std::ostream& out, request_state state);
std::ostream& operator<<(std::ostream& out, const stored_reply& reply);
std::ostream& operator<<(std::ostream& out, const header& h);
} // namespace igw::ledger

namespace igw::test {

// The server started for this test program (a global fixture starts it, and fails the
// program when PostgreSQL is not installed: these tests never skip a backend).
struct postgres_server {
    static const std::string& url();
    static void stop();    // the same server, stopped...
    static void restart(); // ...and started again on its port
};

inline constexpr ledger::backend_kind both_backends[] = {ledger::backend_kind::sqlite, ledger::backend_kind::postgres};

// An empty database: a file in a temporary folder, or a schema of its own on the server.
class test_database {
public:
    explicit test_database(ledger::backend_kind kind);
    ledger::settings settings(std::string instance = "test-instance") const;
    ledger::backend_kind kind() const noexcept { return kind_; }

private:
    ledger::backend_kind kind_;
    temp_dir dir_;
    std::string url_;
};

// A clock the test moves by hand, shared by the stores given it.
struct manual_clock {
    std::shared_ptr<std::atomic<std::int64_t>> ms = std::make_shared<std::atomic<std::int64_t>>(
        ledger::now().time_since_epoch().count());
    std::function<ledger::time_point()> function() const
    {
        auto p = ms;
        return [p] { return ledger::time_point(std::chrono::milliseconds(p->load())); };
    }
    void advance(std::chrono::milliseconds d) { *ms += d.count(); }
    ledger::time_point now() const { return ledger::time_point(std::chrono::milliseconds(ms->load())); }
};

// Calls `start(callback)` and waits (bounded) for the callback's result.
template <class T, class Start>
ledger::result<T> wait_for(Start start, std::chrono::seconds bound = std::chrono::seconds(20))
{
    auto promise = std::make_shared<std::promise<ledger::result<T>>>();
    auto future = promise->get_future();
    start([promise](ledger::result<T> r) { promise->set_value(std::move(r)); });
    if (future.wait_for(bound) != std::future_status::ready) {
        BOOST_FAIL("the ledger did not call back in time");
    }
    return future.get();
}

// A 1 x n request of client `client` (n targets), with key when given.
ledger::new_request make_request(const std::string& id, const std::string& client, std::optional<std::string> key,
                                 std::size_t targets = 5, std::string fingerprint = "fp-1");

// Synchronous wrappers, so that a test reads as a sequence of steps.
ledger::result<ledger::begin_outcome> begin(ledger::store& s, ledger::new_request r);
ledger::result<ledger::begin_outcome> resume(ledger::store& s, const std::string& id);
ledger::result<ledger::done> mark_sending(ledger::store& s, const std::string& id, std::vector<ledger::item_key> keys);
ledger::result<ledger::done> settle(ledger::store& s, const std::string& id, std::vector<ledger::item_outcome> o);
ledger::result<ledger::done> complete(ledger::store& s, const std::string& id, ledger::stored_reply reply);
ledger::result<ledger::request_with_items> find(ledger::store& s, const std::string& id,
                                                std::optional<std::string> client);
ledger::result<ledger::recovered> recover(ledger::store& s);
ledger::result<ledger::prune_counts> prune(ledger::store& s, ledger::time_point now);
ledger::result<ledger::done> ping(ledger::store& s);

std::vector<ledger::item_key> all_keys(const ledger::new_request& r);
ledger::item_outcome invited(std::uint32_t invitation, std::uint32_t target, std::string id = "inv-1");
ledger::stored_reply sample_reply(const std::string& request_id, unsigned status = 200);

} // namespace igw::test
