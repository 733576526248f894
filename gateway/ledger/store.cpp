#include "gateway/ledger/store.hpp"

#include "gateway/ledger/operations.hpp"
#include "gateway/ledger/schema.hpp"
#include "gateway/ledger/sql.hpp"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

namespace igw::ledger {
namespace {

using steady = std::chrono::steady_clock;

std::string host_name()
{
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') {
        return "localhost";
    }
    return name;
}

std::string random_token()
{
    std::random_device rd;
    char out[33];
    for (int i = 0; i < 4; ++i) {
        std::snprintf(out + i * 8, 9, "%08x", static_cast<unsigned>(rd()));
    }
    return std::string(out, 32);
}

struct queued_op {
    steady::time_point enqueued;
    steady::time_point deadline;
    // Runs inside the batch's transaction and keeps its result; may run again when the
    // batch is retried. Returns the result's code, for the stats.
    std::function<errc(ops::context&)> run;
    std::function<void()> deliver;   // the kept result, after the commit
    std::function<void(error)> fail; // an error instead
    // An outcome (settle, complete): when the database is unavailable its caller is told,
    // and the writer keeps it and tries again until it is stored.
    bool durable = false;
    bool retry = false; // a kept copy: its caller has had its answer
    // Runs when the caller is told `unavailable`.
    std::function<void()> on_unavailable;
};

// How often kept outcomes are tried again while nothing else runs.
constexpr auto retry_interval = std::chrono::seconds(1);

template <class T>
struct op_state {
    callback<T> done;
    result<T> kept;
};

} // namespace

struct store::impl {
    explicit impl(ledger::settings s) : config(std::move(s)), token(random_token())
    {
        if (config.instance.empty()) {
            config.instance = host_name();
        }
        if (config.backend == backend_kind::sqlite && config.path.empty()) {
            throw std::invalid_argument("ledger: the SQLite backend needs a file path (state.path)");
        }
        if (config.backend == backend_kind::postgres && config.url.empty()) {
            throw std::invalid_argument("ledger: the PostgreSQL backend needs a URL (state.url)");
        }
        if (config.max_batch == 0 || config.queue_capacity == 0 || config.prune_batch == 0) {
            throw std::invalid_argument("ledger: max_batch, queue_capacity and prune_batch must be positive");
        }
        db = config.backend == backend_kind::sqlite ? sql::open_sqlite(config) : sql::open_postgres(config);
        if (config.prune_interval.count() > 0) {
            next_prune = steady::now() + std::min<steady::duration>(config.prune_interval, std::chrono::minutes(1));
        }
        writer = std::thread([this] { run(); });
    }

    ~impl()
    {
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        wake.notify_all();
        writer.join();
        db->close();
    }

    time_point clock() const { return config.clock ? config.clock() : now(); }

    template <class T, class Body>
    void submit(callback<T> done, Body body, bool internal = false, bool durable = false,
                std::function<void()> on_unavailable = {})
    {
        auto state = std::make_shared<op_state<T>>();
        state->done = std::move(done);
        queued_op op;
        op.enqueued = steady::now();
        op.deadline = op.enqueued + config.op_timeout;
        op.run = [state, body = std::move(body)](ops::context& c) {
            state->kept = body(c);
            return state->kept.error.code;
        };
        op.deliver = [state] { state->done(std::move(state->kept)); };
        op.fail = [state](error e) { state->done(result<T>{std::move(e), T{}}); };
        op.durable = durable;
        op.on_unavailable = std::move(on_unavailable);
        enqueue(std::move(op), internal);
    }

    void enqueue(queued_op op, bool internal)
    {
        std::unique_lock lock(mutex);
        if (stopping) {
            lock.unlock();
            finish_failed(op, {errc::unavailable, "the ledger is closing"});
            return;
        }
        // Internal work (the pruner's next chunk) is never refused: it is bounded by itself.
        if (!internal && queue.size() >= config.queue_capacity) {
            lock.unlock();
            stat.rejected_full.fetch_add(1, std::memory_order_relaxed);
            finish_failed(op, {errc::unavailable, "the ledger queue is full"});
            return;
        }
        queue.push_back(std::move(op));
        const auto depth = queue.size();
        stat.queue_depth.store(depth, std::memory_order_relaxed);
        if (depth > stat.max_queue_depth.load(std::memory_order_relaxed)) {
            stat.max_queue_depth.store(depth, std::memory_order_relaxed);
        }
        lock.unlock();
        wake.notify_one();
    }

    // `reached_database`: the operation ran in a transaction whose fate is unknown (not
    // refused at the door nor expired in the queue).
    void finish_failed(queued_op& op, error e, bool reached_database = false)
    {
        if (reached_database && e.code == errc::unavailable && op.on_unavailable && !op.retry) {
            op.on_unavailable();
        }
        if (op.durable && e.code == errc::unavailable) {
            keep(op);
            if (!op.retry) {
                e.message += "; the outcome is kept and stored once the database answers";
            }
        }
        if (op.retry) {
            return;
        }
        stat.operations.fetch_add(1, std::memory_order_relaxed);
        count_error(e.code);
        stat.record_latency(steady::now() - op.enqueued);
        op.fail(std::move(e));
    }

    // Kept work of the store's own, with nobody to call back.
    template <class Body>
    void keep_internal(Body body)
    {
        queued_op op;
        op.enqueued = steady::now();
        op.deadline = op.enqueued + config.op_timeout;
        op.run = [body = std::move(body)](ops::context& c) { return body(c).error.code; };
        op.deliver = [] {};
        op.fail = [](error) {};
        op.durable = true;
        op.retry = true;
        keep(op);
    }

    void keep(const queued_op& op)
    {
        queued_op copy = op;
        copy.retry = true;
        copy.deliver = [] {};
        copy.fail = [](error) {};
        std::lock_guard lock(mutex);
        if (kept.size() >= config.queue_capacity) {
            // Memory is bounded too: past this, the item stays `sending` in the database
            // and recover() makes it `unknown` — tracked, though its details are gone.
            stat.lost_outcomes.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        if (kept.empty()) {
            next_retry = steady::now() + retry_interval;
        }
        kept.push_back(std::move(copy));
        stat.kept_outcomes.store(kept.size(), std::memory_order_relaxed);
    }

    void count_error(errc code)
    {
        if (code == errc::unavailable) {
            stat.unavailable.fetch_add(1, std::memory_order_relaxed);
        } else if (code == errc::internal) {
            stat.internal_errors.fetch_add(1, std::memory_order_relaxed);
        }
    }

    void run()
    {
        std::unique_lock lock(mutex);
        for (;;) {
            const bool pruning = config.prune_interval.count() > 0 && !stopping;
            if (queue.empty()) {
                if (stopping && (kept.empty() || final_retry_done)) {
                    return;
                }
                auto until = steady::time_point::max();
                if (pruning) {
                    until = next_prune;
                }
                if (!kept.empty()) {
                    until = std::min(until, next_retry);
                }
                const auto woken = [&] { return stopping || !queue.empty(); };
                if (stopping) {
                    // Straight to the last attempt below.
                } else if (until == steady::time_point::max()) {
                    wake.wait(lock, woken);
                } else {
                    wake.wait_until(lock, until, woken);
                }
            }
            if (queue.empty() && !kept.empty() && (stopping || steady::now() >= next_retry)) {
                // Kept outcomes alone; on closing, one last attempt.
                final_retry_done = stopping;
                std::vector<queued_op> batch = take_kept();
                next_retry = steady::now() + retry_interval;
                lock.unlock();
                run_batch(batch);
                lock.lock();
                continue;
            }
            if (pruning && queue.empty() && steady::now() >= next_prune) {
                next_prune = steady::now() + config.prune_interval;
                lock.unlock();
                background_prune();
                lock.lock();
                continue;
            }
            if (queue.empty()) {
                continue;
            }
            // Kept outcomes go first in any batch: they are older than anything queued.
            std::vector<queued_op> batch = take_kept();
            const std::size_t n = std::min(queue.size(), config.max_batch);
            batch.reserve(batch.size() + n);
            for (std::size_t i = 0; i < n; ++i) {
                batch.push_back(std::move(queue.front()));
                queue.pop_front();
            }
            stat.queue_depth.store(queue.size(), std::memory_order_relaxed);
            lock.unlock();
            run_batch(batch);
            lock.lock();
        }
    }

    std::vector<queued_op> take_kept()
    {
        std::vector<queued_op> batch;
        const auto deadline = steady::now() + config.op_timeout;
        while (!kept.empty() && batch.size() < config.max_batch) {
            batch.push_back(std::move(kept.front()));
            kept.pop_front();
            batch.back().deadline = deadline;
        }
        stat.kept_outcomes.store(kept.size(), std::memory_order_relaxed);
        return batch;
    }

    void open(sql::deadline until)
    {
        if (db->is_open()) {
            return;
        }
        if (opened_once) {
            stat.reconnects.fetch_add(1, std::memory_order_relaxed);
        }
        db->open(until);
        try {
            schema::migrate(*db, until);
        } catch (...) {
            db->close();
            throw;
        }
        opened_once = true;
    }

    void run_batch(std::vector<queued_op>& batch)
    {
        const auto start = steady::now();
        std::vector<queued_op*> live;
        live.reserve(batch.size());
        for (auto& op : batch) {
            if (op.deadline <= start) {
                finish_failed(op, {errc::unavailable, "the ledger did not answer in time (queued past the deadline)"});
            } else {
                live.push_back(&op);
            }
        }
        if (!live.empty()) {
            run_ops(live);
        }
    }

    void run_ops(const std::vector<queued_op*>& live)
    {
        sql::deadline until = live.front()->deadline;
        for (const auto* op : live) {
            until = std::min(until, op->deadline);
        }
        std::vector<errc> codes(live.size(), errc::ok);
        for (int attempt = 0;; ++attempt) {
            try {
                open(until);
                db->begin(until);
                ops::context c{*db, until, clock(), config, token};
                for (std::size_t i = 0; i < live.size(); ++i) {
                    codes[i] = live[i]->run(c);
                }
                db->commit(until);
                stat.transactions.fetch_add(1, std::memory_order_relaxed);
                const auto end = steady::now();
                for (std::size_t i = 0; i < live.size(); ++i) {
                    if (live[i]->retry) {
                        stat.recovered_outcomes.fetch_add(1, std::memory_order_relaxed);
                        continue;
                    }
                    stat.operations.fetch_add(1, std::memory_order_relaxed);
                    count_error(codes[i]);
                    stat.record_latency(end - live[i]->enqueued);
                    live[i]->deliver();
                }
                return;
            } catch (const sql::error& e) {
                db->rollback();
                const bool time_left = steady::now() < until;
                if (e.kind() == sql::failure::rejected) {
                    isolate(live, e.what());
                    return;
                }
                // A serialisation failure is the database asking for the transaction again;
                // a dropped connection (closed by the failure) is reopened once.
                if (time_left && ((e.kind() == sql::failure::conflict && attempt < 3) ||
                                  (e.kind() == sql::failure::unavailable && attempt == 0 && !db->is_open()))) {
                    continue;
                }
                fail_all(live, {errc::unavailable, e.what()});
                return;
            } catch (const std::exception& e) {
                // Anything else is a bug or a corrupted row: never let it reach the thread.
                db->rollback();
                isolate(live, e.what());
                return;
            }
        }
    }

    // One operation's statement failed: the others of its batch must not pay for it, so
    // each runs again alone and only the faulty one gets the error.
    void isolate(const std::vector<queued_op*>& live, const std::string& message)
    {
        if (live.size() == 1) {
            fail_all(live, {errc::internal, message});
            return;
        }
        for (auto* op : live) {
            run_ops({op});
        }
    }

    void fail_all(const std::vector<queued_op*>& live, const error& e)
    {
        for (auto* op : live) {
            finish_failed(*op, e, true);
        }
    }

    // Chunk after chunk, each its own operation, so that requests queued meanwhile get
    // their turn between two chunks.
    void prune_from(time_point at, std::shared_ptr<prune_counts> total, callback<prune_counts> done, bool internal)
    {
        auto more = std::make_shared<bool>(false);
        submit<prune_counts>(
            [this, at, total, more, done = std::move(done), internal](result<prune_counts> r) mutable {
                if (r.ok()) {
                    total->requests += r.value.requests;
                    total->items += r.value.items;
                    total->keys += r.value.keys;
                    stat.pruned_requests.fetch_add(r.value.requests, std::memory_order_relaxed);
                    stat.pruned_keys.fetch_add(r.value.keys, std::memory_order_relaxed);
                    if (*more) {
                        prune_from(at, total, std::move(done), internal);
                        return;
                    }
                    r.value = *total;
                }
                if (done) {
                    done(std::move(r));
                }
            },
            [at, more](ops::context& c) { return ops::prune_chunk(c, at, *more); }, internal);
    }

    void background_prune()
    {
        callback<prune_counts> report;
        if (config.on_prune) {
            report = [this](result<prune_counts> r) {
                if (r.ok()) {
                    config.on_prune(r.value);
                }
            };
        }
        prune_from(clock(), std::make_shared<prune_counts>(), std::move(report), true);
    }

    ledger::settings config;
    const std::string token;
    std::unique_ptr<sql::connection> db; // the writer thread's alone
    bool opened_once = false;
    ledger::stats stat;

    std::mutex mutex;
    std::condition_variable wake;
    std::deque<queued_op> queue;
    std::deque<queued_op> kept; // outcomes waiting for the database
    steady::time_point next_retry{};
    bool final_retry_done = false;
    bool stopping = false;
    steady::time_point next_prune{};
    std::thread writer;
};

store::store(ledger::settings s) : impl_(std::make_unique<impl>(std::move(s))) {}
store::~store() = default;

void store::begin_request(new_request request, callback<begin_outcome> done)
{
    // `unavailable` may hide a commit that happened (the connection died while COMMIT's
    // answer was on its way). The caller sends nothing then, so every item is still
    // pending: releasing the request lets the client's retry resume it at once instead of
    // meeting a 409 until the lease runs out. Had nothing been committed, it changes nothing.
    auto* self = impl_.get();
    auto shared = std::make_shared<const new_request>(std::move(request));
    impl_->submit(
        std::move(done), [shared](ops::context& c) { return ops::begin_request(c, *shared); }, false, false,
        [self, shared] {
            self->keep_internal([shared](ops::context& c) { return ops::release(c, shared->request_id); });
        });
}

void store::release(std::string request_id, callback<ledger::done> done)
{
    impl_->submit(
        std::move(done), [id = std::move(request_id)](ops::context& c) { return ops::release(c, id); }, false, true);
}

void store::resume(std::string request_id, callback<begin_outcome> done)
{
    impl_->submit(std::move(done), [id = std::move(request_id)](ops::context& c) { return ops::resume(c, id); });
}

void store::mark_sending(std::string request_id, std::vector<item_key> items, callback<ledger::done> done)
{
    impl_->submit(std::move(done), [id = std::move(request_id), items = std::move(items)](ops::context& c) {
        return ops::mark_sending(c, id, items);
    });
}

void store::settle(std::string request_id, std::vector<item_outcome> outcomes, callback<ledger::done> done)
{
    impl_->submit(
        std::move(done),
        [id = std::move(request_id), outcomes = std::move(outcomes)](ops::context& c) {
            return ops::settle(c, id, outcomes);
        },
        false, true);
}

void store::complete_request(std::string request_id, stored_reply reply, callback<ledger::done> done)
{
    impl_->submit(
        std::move(done),
        [id = std::move(request_id), reply = std::move(reply)](ops::context& c) {
            return ops::complete_request(c, id, reply);
        },
        false, true);
}

void store::find_request(std::string request_id, std::optional<std::string> client, callback<request_with_items> done)
{
    impl_->submit(std::move(done), [id = std::move(request_id), client = std::move(client)](ops::context& c) {
        return ops::find_request(c, id, client);
    });
}

void store::recover(callback<recovered> done)
{
    impl_->submit(std::move(done), [](ops::context& c) { return ops::recover(c); });
}

void store::prune(time_point now, callback<prune_counts> done)
{
    impl_->prune_from(now, std::make_shared<prune_counts>(), std::move(done), false);
}

void store::list_recent(std::size_t limit, callback<std::vector<request_summary>> done)
{
    impl_->submit(std::move(done), [limit](ops::context& c) { return ops::list_recent(c, limit); });
}

void store::list_unknown(std::size_t limit, callback<std::vector<item_record>> done)
{
    impl_->submit(std::move(done), [limit](ops::context& c) { return ops::list_unknown(c, limit); });
}

void store::reconcile_items(std::string request_id, std::vector<item_outcome> outcomes, callback<std::uint32_t> done)
{
    impl_->submit(std::move(done), [id = std::move(request_id), outcomes = std::move(outcomes)](ops::context& c) {
        return ops::reconcile_items(c, id, outcomes);
    });
}

void store::ping(callback<ledger::done> done)
{
    impl_->submit(std::move(done), [](ops::context&) { return result<ledger::done>{}; });
}

void store::claim_job(callback<std::optional<job_claim>> done)
{
    impl_->submit(std::move(done), [](ops::context& c) { return ops::claim_job(c); });
}

void store::job_progress(std::string request_id, job_counts counts, callback<ledger::done> done)
{
    impl_->submit(std::move(done),
                  [id = std::move(request_id), counts](ops::context& c) { return ops::job_progress(c, id, counts); });
}

void store::job_items(std::string request_id, std::uint32_t first, std::uint32_t count,
                      callback<std::vector<item_record>> done)
{
    impl_->submit(std::move(done), [id = std::move(request_id), first, count](ops::context& c) {
        return ops::job_items(c, id, first, count);
    });
}

void store::complete_job(std::string request_id, job_counts counts, std::optional<webhook_delivery> event,
                         callback<ledger::done> done)
{
    impl_->submit(
        std::move(done),
        [id = std::move(request_id), counts, event = std::move(event)](ops::context& c) {
            return ops::complete_job(c, id, counts, event);
        },
        false, true);
}

void store::find_job(std::string request_id, std::optional<std::string> client, callback<job_record> done)
{
    impl_->submit(std::move(done), [id = std::move(request_id), client = std::move(client)](ops::context& c) {
        return ops::find_job(c, id, client);
    });
}

void store::claim_deliveries(std::size_t limit, std::chrono::milliseconds lease,
                             callback<std::vector<webhook_delivery>> done)
{
    impl_->submit(std::move(done), [limit, lease](ops::context& c) { return ops::claim_deliveries(c, limit, lease); });
}

void store::record_attempt(std::string delivery_id, attempt_outcome outcome, callback<ledger::done> done)
{
    impl_->submit(
        std::move(done),
        [id = std::move(delivery_id), outcome = std::move(outcome)](ops::context& c) {
            return ops::record_attempt(c, id, outcome);
        },
        false, true);
}

void store::count_jobs(callback<job_census> done)
{
    impl_->submit(std::move(done), [](ops::context& c) { return ops::count_jobs(c); });
}

void store::heartbeat(std::chrono::milliseconds live_within, callback<std::uint32_t> done)
{
    impl_->submit(std::move(done), [live_within](ops::context& c) { return ops::heartbeat(c, live_within); });
}

void store::leave(callback<ledger::done> done)
{
    impl_->submit(std::move(done), [](ops::context& c) { return ops::leave(c); });
}

stats_snapshot store::stats() const noexcept { return impl_->stat.snapshot(); }

const ledger::settings& store::config() const noexcept { return impl_->config; }

} // namespace igw::ledger
