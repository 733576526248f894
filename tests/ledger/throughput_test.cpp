// Throughput of the ledger's request path: begin_request + settle + complete for a 1 x 5
// request, on each backend, one writer, many requests in flight. Prints figures (no timed
// assertion); max_batch = 1 (no group commit) runs beside it as the baseline.

#include "gateway/ledger/store.hpp"
#include "tests/ledger/support/backends.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdio>

using namespace igw::ledger;
using namespace igw::test;

namespace {

struct figures {
    double requests_per_s = 0;
    double ops_per_s = 0;
    double ops_per_transaction = 0;
    double mean_latency_ms = 0;
};

// `requests` requests, `in_flight` at a time; each request's next step starts from the
// previous one's callback, as the gateway's request path would.
figures run(store& s, int requests, int in_flight)
{
    std::atomic<int> started{0}, finished{0}, failed{0};
    std::promise<void> all_done;
    std::function<void()> next;
    next = [&] {
        const int n = started.fetch_add(1);
        if (n >= requests) {
            return;
        }
        const std::string id = "req-" + std::to_string(n);
        auto request = make_request(id, "app", "key-" + std::to_string(n));
        s.begin_request(std::move(request), [&, id](result<begin_outcome> r) {
            if (!r.ok()) {
                ++failed;
            }
            std::vector<item_outcome> outcomes;
            for (std::uint32_t t = 0; t < 5; ++t) {
                outcomes.push_back(invited(0, t, "inv-" + std::to_string(t)));
            }
            s.settle(id, std::move(outcomes), [&, id](result<done> r2) {
                if (!r2.ok()) {
                    ++failed;
                }
                s.complete_request(id, sample_reply(id), [&](result<done> r3) {
                    if (!r3.ok()) {
                        ++failed;
                    }
                    if (finished.fetch_add(1) + 1 == requests) {
                        all_done.set_value();
                    } else {
                        next();
                    }
                });
            });
        });
    };
    const auto before = s.stats();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < in_flight; ++i) {
        next();
    }
    auto future = all_done.get_future();
    BOOST_REQUIRE(future.wait_for(std::chrono::seconds(120)) == std::future_status::ready);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto after = s.stats();
    BOOST_TEST(failed.load() == 0);
    figures f;
    f.requests_per_s = requests / seconds;
    f.ops_per_s = 3.0 * requests / seconds;
    const auto ops = after.operations - before.operations;
    f.ops_per_transaction = static_cast<double>(ops) / static_cast<double>(after.transactions - before.transactions);
    f.mean_latency_ms = static_cast<double>(after.latency_sum_us - before.latency_sum_us) / 1000.0 /
                        static_cast<double>(ops);
    return f;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ledger_throughput)

BOOST_AUTO_TEST_CASE(begin_settle_complete_per_second)
{
    // Small counts keep the suite quick; IGW_LEDGER_BENCH_REQUESTS raises them.
    const char* env = std::getenv("IGW_LEDGER_BENCH_REQUESTS");
    const int requests = env ? std::atoi(env) : 1000;
    for (auto kind : both_backends) {
        for (std::size_t max_batch : {std::size_t{256}, std::size_t{1}}) {
            test_database db(kind);
            auto config = db.settings();
            config.max_batch = max_batch;
            config.op_timeout = std::chrono::seconds(30);
            store s(config);
            BOOST_REQUIRE(ping(s).ok());
            const int n = max_batch == 1 ? std::max(requests / 5, 50) : requests;
            const auto f = run(s, n, 64);
            char line[256];
            std::snprintf(line, sizeof line,
                          "ledger %-8s max_batch=%-3zu %5d requests, 64 in flight: %8.0f requests/s %8.0f ops/s "
                          "%6.1f ops/transaction, mean op latency %.2f ms",
                          std::string(to_string(kind)).c_str(), max_batch, n, f.requests_per_s, f.ops_per_s,
                          f.ops_per_transaction, f.mean_latency_ms);
            BOOST_TEST_MESSAGE(line);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
