// A slow, locked, stopped or unreachable database, and a full queue: every operation gets
// an answer by its deadline (`unavailable`), and the store recovers when the database does.
// Also: the writer really batches (group commit), and closing drains the queue.

#include "gateway/ledger/store.hpp"
#include "tests/ledger/support/backends.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <poll.h>

#include <atomic>
#include <thread>

namespace bdata = boost::unit_test::data;
using namespace igw::ledger;
using namespace igw::test;
using steady = std::chrono::steady_clock;

namespace {

// A loopback port that accepts connections (the kernel completes the handshake) and then
// never says a word: a database that does not answer.
class silent_listener {
public:
    silent_listener()
    {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        BOOST_REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        BOOST_REQUIRE(::listen(fd_, 16) == 0);
        socklen_t len = sizeof addr;
        BOOST_REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
    }
    ~silent_listener() { ::close(fd_); }
    unsigned short port() const { return port_; }

private:
    int fd_ = -1;
    unsigned short port_ = 0;
};

// A loopback TCP relay to the test server that can lose the server's answer to the next
// COMMIT: the commit happens, the client never hears of it (a connection dying at the
// worst moment).
class commit_eating_relay {
public:
    explicit commit_eating_relay(unsigned short upstream) : upstream_(upstream)
    {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr = loopback(0);
        BOOST_REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        BOOST_REQUIRE(::listen(listener_, 16) == 0);
        socklen_t len = sizeof addr;
        BOOST_REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    ~commit_eating_relay()
    {
        stop_ = true;
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        acceptor_.join();
        for (auto& t : pumps_) {
            t.join();
        }
    }
    unsigned short port() const { return port_; }
    void eat_next_commit() { armed_ = true; }

private:
    static sockaddr_in loopback(unsigned short port)
    {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(port);
        return addr;
    }

    void accept_loop()
    {
        while (!stop_) {
            const int client = ::accept(listener_, nullptr, nullptr);
            if (client < 0) {
                return;
            }
            const int server = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in addr = loopback(upstream_);
            if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
                ::close(client);
                ::close(server);
                continue;
            }
            pumps_.emplace_back([this, client, server] { pump(client, server); });
        }
    }

    // Until either side closes (or the relay stops: polls are bounded to notice).
    void pump(int client, int server)
    {
        bool muted = false;
        char buffer[65536];
        while (!stop_) {
            pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
            if (::poll(fds, 2, 100) <= 0) {
                continue;
            }
            if (fds[0].revents) {
                const auto n = ::read(client, buffer, sizeof buffer);
                if (n <= 0) {
                    break;
                }
                if (armed_ &&
                    std::string_view(buffer, static_cast<std::size_t>(n)).find("COMMIT") != std::string_view::npos) {
                    armed_ = false;
                    muted = true;
                }
                if (::write(server, buffer, static_cast<std::size_t>(n)) != n) {
                    break;
                }
            }
            if (fds[1].revents) {
                const auto n = ::read(server, buffer, sizeof buffer);
                if (n <= 0) {
                    break;
                }
                if (!muted && ::write(client, buffer, static_cast<std::size_t>(n)) != n) {
                    break;
                }
            }
        }
        ::close(client);
        ::close(server);
    }

    unsigned short upstream_;
    int listener_ = -1;
    unsigned short port_ = 0;
    std::atomic<bool> armed_{false};
    std::atomic<bool> stop_{false};
    std::thread acceptor_;
    std::vector<std::thread> pumps_;
};

unsigned short port_of(const std::string& url)
{
    const auto colon = url.rfind(':');
    return static_cast<unsigned short>(std::stoi(url.substr(colon + 1)));
}

// Submits `n` operations at once and waits for all; returns their codes.
std::vector<errc> begin_many(store& s, int n, const std::string& prefix)
{
    std::vector<std::future<result<begin_outcome>>> futures;
    for (int i = 0; i < n; ++i) {
        auto p = std::make_shared<std::promise<result<begin_outcome>>>();
        futures.push_back(p->get_future());
        s.begin_request(make_request(prefix + std::to_string(i), "app", std::nullopt),
                        [p](auto r) { p->set_value(std::move(r)); });
    }
    std::vector<errc> codes;
    for (auto& f : futures) {
        BOOST_REQUIRE(f.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
        codes.push_back(f.get().error.code);
    }
    return codes;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ledger_availability)

BOOST_AUTO_TEST_CASE(a_database_that_never_answers_gives_unavailable_by_the_deadline)
{
    silent_listener silent;
    settings config;
    config.backend = backend_kind::postgres;
    config.url = "postgresql://postgres@127.0.0.1:" + std::to_string(silent.port()) + "/postgres";
    config.op_timeout = std::chrono::milliseconds(300);
    config.prune_interval = std::chrono::milliseconds(0);
    store s(config);
    const auto start = steady::now();
    const auto codes = begin_many(s, 5, "req-");
    const auto elapsed = steady::now() - start;
    for (auto code : codes) {
        BOOST_TEST(code == errc::unavailable);
    }
    // Bounded by the deadline (plus scheduling slack), not by any TCP or libpq timeout.
    BOOST_TEST((elapsed < config.op_timeout + std::chrono::seconds(2)));
    BOOST_TEST(s.stats().unavailable == 5u);
}

BOOST_AUTO_TEST_CASE(a_refused_connection_gives_unavailable)
{
    settings config;
    config.backend = backend_kind::postgres;
    {
        silent_listener closed; // a port that was free a moment ago and is closed now
        config.url = "postgresql://postgres@127.0.0.1:" + std::to_string(closed.port()) + "/postgres";
    }
    config.op_timeout = std::chrono::milliseconds(500);
    config.prune_interval = std::chrono::milliseconds(0);
    store s(config);
    auto r = begin(s, make_request("req-1", "app", "key"));
    BOOST_TEST(r.error.code == errc::unavailable);
    BOOST_TEST(r.error.message.find("connect") != std::string::npos, r.error.message);
}

BOOST_AUTO_TEST_CASE(a_stopped_server_gives_unavailable_and_the_store_reconnects_when_it_is_back)
{
    test_database db(backend_kind::postgres);
    auto config = db.settings();
    config.op_timeout = std::chrono::milliseconds(1000);
    store s(config);
    BOOST_REQUIRE(begin(s, make_request("req-1", "app", "key-1")).ok());

    postgres_server::stop();
    const auto start = steady::now();
    auto down = begin(s, make_request("req-2", "app", "key-2"));
    BOOST_TEST(down.error.code == errc::unavailable);
    BOOST_TEST((steady::now() - start < config.op_timeout + std::chrono::seconds(2)));
    // An outcome learnt while the database is down is not lost: the caller hears
    // `unavailable`, and the store keeps it until the database answers again.
    auto settle_down = settle(s, "req-1", {invited(0, 0, "inv-while-down")});
    BOOST_TEST(settle_down.error.code == errc::unavailable);
    BOOST_TEST(settle_down.error.message.find("kept") != std::string::npos, settle_down.error.message);
    // Kept: the settle, and the release of the begin that failed.
    BOOST_TEST(s.stats().kept_outcomes == 2u);

    postgres_server::restart();
    // The first operation after the restart already succeeds (the writer reopens the
    // connection it found dead), and the kept outcome went in before it.
    auto up = find(s, "req-1", "app");
    BOOST_REQUIRE_MESSAGE(up.ok(), up.error.message);
    BOOST_TEST(up.value.items[0].status == item_status::invited);
    BOOST_TEST(up.value.items[0].invitation_id == "inv-while-down");
    BOOST_TEST(s.stats().reconnects >= 1u);
    BOOST_TEST(s.stats().kept_outcomes == 0u);
    BOOST_TEST(s.stats().recovered_outcomes == 2u);
    BOOST_TEST(s.stats().lost_outcomes == 0u);
}

BOOST_AUTO_TEST_CASE(a_begin_whose_commit_answer_was_lost_is_resumed_by_the_retry)
{
    test_database db(backend_kind::postgres);
    commit_eating_relay relay(port_of(postgres_server::url()));
    auto config = db.settings();
    const auto server_port = std::to_string(port_of(postgres_server::url()));
    config.url.replace(config.url.find(":" + server_port + "/"), server_port.size() + 2,
                       ":" + std::to_string(relay.port()) + "/");
    config.op_timeout = std::chrono::milliseconds(500);
    manual_clock clock;
    config.clock = clock.function();
    store s(config);
    BOOST_REQUIRE(ping(s).ok());

    relay.eat_next_commit();
    const auto request = make_request("req-1", "app", "key-1");
    auto lost = begin(s, request);
    BOOST_TEST(lost.error.code == errc::unavailable);
    // It was committed all the same; the caller, told otherwise, sent nothing. Its retry
    // must not meet a 409 for the whole lease: it takes the request over and sends it.
    auto retry = begin(s, make_request("req-2", "app", "key-1"));
    BOOST_REQUIRE_MESSAGE(retry.ok(), retry.error.message);
    BOOST_TEST(retry.value.kind == begin_kind::resumed);
    BOOST_REQUIRE(retry.value.existing);
    BOOST_TEST(retry.value.existing->request.request_id == "req-1");
    for (const auto& item : retry.value.existing->items) {
        BOOST_TEST(item.status == item_status::pending);
    }
    BOOST_TEST(mark_sending(s, "req-1", all_keys(request)).ok());

    // The same when the lost COMMIT was that of a takeover (the key's request was left by a
    // stopped owner): the request taken over is released, not only the new id.
    BOOST_REQUIRE(begin(s, make_request("req-10", "app", "key-10")).ok());
    clock.advance(config.request_lease + std::chrono::seconds(1));
    relay.eat_next_commit();
    BOOST_TEST(begin(s, make_request("req-11", "app", "key-10")).error.code == errc::unavailable);
    auto again = begin(s, make_request("req-12", "app", "key-10"));
    BOOST_REQUIRE_MESSAGE(again.ok(), again.error.message);
    BOOST_TEST(again.value.kind == begin_kind::resumed);
    BOOST_TEST(again.value.existing->request.request_id == "req-10");

    // But a duplicate that only found the key in use releases nothing: the request it
    // points at is still being worked on.
    BOOST_REQUIRE(begin(s, make_request("req-20", "app", "key-20")).ok());
    relay.eat_next_commit();
    BOOST_TEST(begin(s, make_request("req-21", "app", "key-20")).error.code == errc::unavailable);
    BOOST_TEST(begin(s, make_request("req-22", "app", "key-20")).value.kind == begin_kind::in_progress);
    BOOST_TEST(mark_sending(s, "req-20", {{0, 0}}).ok());
}

BOOST_AUTO_TEST_CASE(a_locked_sqlite_file_gives_unavailable_by_the_deadline)
{
    test_database db(backend_kind::sqlite);
    auto config = db.settings();
    config.op_timeout = std::chrono::milliseconds(300);
    store s(config);
    BOOST_REQUIRE(ping(s).ok()); // created and migrated

    sqlite3* other = nullptr;
    BOOST_REQUIRE(sqlite3_open(config.path.c_str(), &other) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
    const auto start = steady::now();
    auto r = begin(s, make_request("req-1", "app", "key-1"));
    BOOST_TEST(r.error.code == errc::unavailable);
    BOOST_TEST(r.error.message.find("busy") != std::string::npos, r.error.message);
    BOOST_TEST((steady::now() - start < config.op_timeout + std::chrono::seconds(2)));

    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
    BOOST_TEST(begin(s, make_request("req-1", "app", "key-1")).value.kind == begin_kind::claimed);
}

BOOST_DATA_TEST_CASE(a_full_queue_refuses_at_once_and_a_stuck_writer_times_out, bdata::make(both_backends), kind)
{
    test_database db(kind);
    auto config = db.settings();
    config.queue_capacity = 3;
    config.op_timeout = std::chrono::milliseconds(300);
    store s(config);
    BOOST_REQUIRE(ping(s).ok());

    // The writer is kept busy inside a callback, as a database stalled in one batch would.
    std::promise<void> release;
    auto released = release.get_future().share();
    std::promise<void> entered;
    s.ping([&entered, released](result<done>) {
        entered.set_value();
        released.wait();
    });
    entered.get_future().wait();

    std::vector<std::future<result<done>>> queued;
    for (int i = 0; i < 3; ++i) {
        auto p = std::make_shared<std::promise<result<done>>>();
        queued.push_back(p->get_future());
        s.ping([p](auto r) { p->set_value(std::move(r)); });
    }
    // The fourth does not fit: refused on the spot, on this thread.
    std::optional<result<done>> refused;
    s.ping([&refused](auto r) { refused = std::move(r); });
    BOOST_REQUIRE(refused);
    BOOST_TEST(refused->error.code == errc::unavailable);
    BOOST_TEST(refused->error.message.find("full") != std::string::npos);
    BOOST_TEST(s.stats().rejected_full == 1u);
    BOOST_TEST(s.stats().queue_depth == 3u);

    // Held past their deadline, the queued ones are answered `unavailable` as soon as the
    // writer is free, without touching the database.
    std::this_thread::sleep_for(config.op_timeout + std::chrono::milliseconds(100));
    release.set_value();
    for (auto& f : queued) {
        BOOST_REQUIRE(f.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
        BOOST_TEST(f.get().error.code == errc::unavailable);
    }
    BOOST_TEST(ping(s).ok());
}

BOOST_DATA_TEST_CASE(group_commit_puts_queued_operations_in_one_transaction, bdata::make(both_backends), kind)
{
    for (std::size_t max_batch : {std::size_t{256}, std::size_t{10}}) {
        test_database db(kind);
        auto config = db.settings();
        config.max_batch = max_batch;
        store s(config);
        BOOST_REQUIRE(ping(s).ok());
        const auto before = s.stats();

        // Hold the writer in a callback (alone in its batch) until 100 more operations are
        // queued.
        std::promise<void> queued_all;
        auto queued = queued_all.get_future().share();
        std::promise<void> entered;
        s.ping([queued, &entered](result<done>) {
            entered.set_value();
            queued.wait();
        });
        entered.get_future().wait();
        constexpr int n = 100;
        std::vector<std::future<result<begin_outcome>>> futures;
        for (int i = 0; i < n; ++i) {
            auto p = std::make_shared<std::promise<result<begin_outcome>>>();
            futures.push_back(p->get_future());
            s.begin_request(make_request("req-" + std::to_string(i), "app", "key-" + std::to_string(i)),
                            [p](auto r) { p->set_value(std::move(r)); });
        }
        queued_all.set_value();
        for (auto& f : futures) {
            BOOST_REQUIRE(f.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
            BOOST_TEST(f.get().value.kind == begin_kind::claimed);
        }
        const auto after = s.stats();
        BOOST_TEST(after.operations - before.operations == n + 1u);
        // The ping alone, then the 100 in ceil(100 / max_batch) transactions.
        BOOST_TEST(after.transactions - before.transactions == 1 + (n + max_batch - 1) / max_batch);
        BOOST_TEST(after.max_queue_depth >= std::uint64_t{n});
        std::uint64_t counted = 0;
        for (auto b : after.latency_buckets) {
            counted += b;
        }
        BOOST_TEST(counted == after.operations);
    }
}

BOOST_AUTO_TEST_CASE(an_operation_the_database_refuses_fails_alone_not_its_batch)
{
    // PostgreSQL refuses text that is not UTF-8; SQLite stores it, so this one needs PG.
    test_database db(backend_kind::postgres);
    store s(db.settings());
    BOOST_REQUIRE(ping(s).ok());
    std::promise<void> queued_all;
    auto queued = queued_all.get_future().share();
    std::promise<void> entered;
    s.ping([queued, &entered](result<done>) {
        entered.set_value();
        queued.wait();
    });
    entered.get_future().wait();
    const auto before = s.stats().transactions;
    std::vector<std::future<result<begin_outcome>>> futures;
    for (int i = 0; i < 5; ++i) {
        auto request = make_request("req-" + std::to_string(i), "app", "key-" + std::to_string(i));
        if (i == 2) {
            request.items[0].ref = std::string("\xff\xfe");
        }
        auto p = std::make_shared<std::promise<result<begin_outcome>>>();
        futures.push_back(p->get_future());
        s.begin_request(std::move(request), [p](auto r) { p->set_value(std::move(r)); });
    }
    queued_all.set_value();
    for (int i = 0; i < 5; ++i) {
        BOOST_REQUIRE(futures[i].wait_for(std::chrono::seconds(20)) == std::future_status::ready);
        const auto r = futures[i].get();
        if (i == 2) {
            BOOST_TEST(r.error.code == errc::internal);
        } else {
            BOOST_TEST(r.ok(), r.error.message);
        }
    }
    // The whole batch failed once, then each operation ran alone: four commits.
    BOOST_TEST(s.stats().transactions - before == 4u);
    BOOST_TEST(s.stats().internal_errors == 1u);
    BOOST_TEST(find(s, "req-2", "app").error.code == errc::not_found); // nothing half-written
    BOOST_TEST(find(s, "req-3", "app").ok());
}

BOOST_DATA_TEST_CASE(closing_the_store_runs_what_is_queued, bdata::make(both_backends), kind)
{
    test_database db(kind);
    std::atomic<int> ok{0};
    {
        store s(db.settings());
        for (int i = 0; i < 50; ++i) {
            s.begin_request(make_request("req-" + std::to_string(i), "app", std::nullopt), [&ok](auto r) {
                if (r.ok()) {
                    ++ok;
                }
            });
        }
    }
    BOOST_TEST(ok.load() == 50);
    store again(db.settings());
    BOOST_TEST(find(again, "req-49", "app").ok());
}

BOOST_AUTO_TEST_SUITE_END()
