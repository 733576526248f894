#include "gateway/dispatch/job_runner.hpp"

#include "gateway/dispatch/fan_out.hpp"
#include "gateway/dispatch/job_executor.hpp"
#include "gateway/dispatch/ledger_await.hpp"
#include "gateway/dispatch/recorded_dispatch.hpp"
#include "gateway/json/writer.hpp"
#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/metrics.hpp"
#include "gateway/webhook/backoff.hpp"
#include "gateway/webhook/delivery.hpp"
#include "gateway/webhook/signature.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>
#include <thread>

// GCC 12 at -O2 pairs the coroutines' frame allocation (Asio's awaitable_frame_base
// operator new) with the wrong delete and warns; both are Asio's matching pair (a known
// GCC coroutine false positive, as in fan_out.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace igw::dispatch {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

// Deliveries taken from the outbox at once, and how long they are this instance's to send.
constexpr std::size_t delivery_batch = 16;
constexpr std::chrono::milliseconds delivery_lease{120'000};
// How often the job counts of /metrics are refreshed.
constexpr std::chrono::milliseconds census_interval{5'000};

const config::client_config* find_client(const config::gateway_config& config, std::string_view name)
{
    for (const auto& client : config.clients)
        if (client.name == name)
            return &client;
    return nullptr;
}

// The event a completed job sends (Standard Webhooks: type, timestamp, data).
ledger::webhook_delivery completion_event(const ledger::job_claim& claim, const ledger::job_counts& counts)
{
    ledger::webhook_delivery event;
    event.delivery_id = "msg_" + random_hex(32);
    event.client = claim.request.client;
    event.event_type = "invitation.job.completed";
    json::writer w(event.payload);
    w.begin_object();
    w.member("type", event.event_type);
    w.member("timestamp", ledger::to_rfc3339(ledger::now(), false));
    w.key("data").begin_object();
    w.member("job_id", claim.request.request_id);
    w.member("status", "completed");
    w.key("summary").begin_object();
    w.member("items", counts.total);
    w.member("invited", counts.invited);
    w.member("failed", counts.failed);
    w.member("unknown", counts.unknown);
    w.end_object();
    w.key("links").begin_object();
    w.member("job", "/v1/jobs/" + claim.request.request_id);
    w.end_object();
    w.end_object();
    w.end_object();
    return event;
}

} // namespace

struct job_runner::impl {
    impl(std::shared_ptr<mapping::config_source> c, pipeline_options o, job_runner_options r)
        : configs(std::move(c)), options(std::move(o)), runner(r), wake_timer(ioc), census_timer(ioc)
    {
    }

    net::io_context ioc{1};
    std::shared_ptr<mapping::config_source> configs;
    pipeline_options options;
    job_runner_options runner;
    job_gauges gauges;
    net::steady_timer wake_timer; // the work loop's sleep; cancelled to wake it
    net::steady_timer census_timer;
    net::cancellation_signal stop_work, stop_deliveries, stop_census;
    // The job being carried out (one at a time): cut by a lost lease or by stopping; and
    // its heartbeat, stopped once the job is done.
    net::cancellation_signal job_cut, beat_stop;
    std::unique_ptr<job_executor> executor;
    std::unique_ptr<webhook::sender> sender;
    std::thread thread;

    ledger::store& store() { return *options.ledger; }

    static bool cancelled(const net::cancellation_state& state)
    {
        return state.cancelled() != net::cancellation_type::none;
    }

    net::awaitable<void> sleep(net::steady_timer& timer, std::chrono::milliseconds d)
    {
        timer.expires_after(d);
        auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
        (void)ec; // woken, or stopping: the caller looks at its cancellation state
    }

    // The loops end on their cancellation (the destructor), which their awaits report
    // instead of throwing.
    net::awaitable<void> work_loop()
    {
        co_await net::this_coro::throw_if_cancelled(false);
        for (;;) {
            if (cancelled(co_await net::this_coro::cancellation_state))
                co_return;
            const auto claimed = co_await await_ledger<std::optional<ledger::job_claim>>(
                [&](auto done) { store().claim_job(std::move(done)); });
            if (!claimed.ok() || !claimed.value) {
                co_await sleep(wake_timer, runner.poll_interval);
                continue;
            }
            // A job left for a reason of this runner's (the ledger away, stopping) is taken
            // again only after a pause: at once, it would be claimed back and left again.
            if (!co_await run_one(*claimed.value))
                co_await sleep(wake_timer, runner.poll_interval);
        }
    }

    // Renews the job's lease (with the counts so far) at a third of it, so that a chunk
    // slower than the lease does not lose the job; stops the job when the lease is lost.
    net::awaitable<void> heartbeat(std::string id, std::shared_ptr<ledger::job_counts> live, std::shared_ptr<bool> lost)
    {
        co_await net::this_coro::throw_if_cancelled(false);
        net::steady_timer timer(co_await net::this_coro::executor);
        const auto every = std::max<std::chrono::milliseconds>(store().config().job_lease / 3, 100ms);
        for (;;) {
            co_await sleep(timer, every);
            if (cancelled(co_await net::this_coro::cancellation_state))
                co_return;
            const auto renewed = co_await await_ledger<ledger::done>(
                [&](auto d) { store().job_progress(id, *live, std::move(d)); });
            if (renewed.error.code == ledger::errc::lost_ownership) {
                *lost = true;
                job_cut.emit(net::cancellation_type::terminal);
                co_return;
            }
        }
    }

    // False when the job was left unfinished by this runner (see work_loop).
    net::awaitable<bool> run_one(const ledger::job_claim& claim)
    {
        const std::string& id = claim.request.request_id;
        const auto loaded = configs->current();
        telemetry::log(telemetry::log_level::info, "job_started",
                       {{"job_id", id},
                        {"client", claim.request.client},
                        {"items", claim.counts.total},
                        {"pending", claim.counts.pending}});
        auto live = std::make_shared<ledger::job_counts>(claim.counts);
        auto lost = std::make_shared<bool>(false);
        const auto here = co_await net::this_coro::executor;
        net::co_spawn(here, heartbeat(id, live, lost),
                      net::bind_cancellation_slot(beat_stop.slot(), [](std::exception_ptr) {}));
        std::optional<ledger::job_counts> outcome;
        std::string failure;
        try {
            outcome = co_await net::co_spawn(here, executor->run_job(claim, loaded, *live),
                                             net::bind_cancellation_slot(job_cut.slot(), net::use_awaitable));
        } catch (const std::exception& e) {
            // Mostly cut (stopping, or the lease lost): an await of the job's threw
            // operation_aborted.
            failure = e.what();
        }
        if (!failure.empty() && !*lost && !cancelled(co_await net::this_coro::cancellation_state))
            telemetry::log(telemetry::log_level::error, "job_failed", {{"job_id", id}, {"what", failure}});
        beat_stop.emit(net::cancellation_type::terminal);
        if (!outcome || *lost) {
            if (!*lost)
                store().release(id, log_if_failed("release", id));
            telemetry::log(telemetry::log_level::warn, "job_left",
                           {{"job_id", id},
                            {"reason", *lost ? "another runner took the job over"
                                             : "stopped, or the ledger did not answer; the job is taken up again"}});
            co_return *lost;
        }
        std::optional<ledger::webhook_delivery> event;
        const config::client_config* client = find_client(loaded->config, claim.request.client);
        if (client && client->webhook)
            event = completion_event(claim, *outcome);
        const auto completed = co_await await_ledger<ledger::done>(
            [&](auto d) { store().complete_job(id, *outcome, event, std::move(d)); });
        if (!completed.ok()) {
            log_if_failed("complete_job", id)(completed);
            co_return false;
        }
        gauges.completed_here.fetch_add(1, std::memory_order_relaxed);
        telemetry::log(telemetry::log_level::info, "job_completed",
                       {{"job_id", id},
                        {"items", outcome->total},
                        {"invited", outcome->invited},
                        {"failed", outcome->failed},
                        {"unknown", outcome->unknown},
                        {"webhook", event ? event->delivery_id : std::string()}});
        if (event)
            net::post(ioc, [this] { delivery_timer_cancel(); });
        co_return true;
    }

    // ---- the outbox ----------------------------------------------------------------
    net::steady_timer* delivery_timer = nullptr;
    void delivery_timer_cancel()
    {
        if (delivery_timer)
            delivery_timer->cancel();
    }

    net::awaitable<void> delivery_loop()
    {
        net::steady_timer timer(co_await net::this_coro::executor);
        delivery_timer = &timer;
        struct forget {
            net::steady_timer*& t;
            ~forget() { t = nullptr; }
        } forget_timer{delivery_timer};
        co_await net::this_coro::throw_if_cancelled(false);
        std::mt19937_64 rng{std::random_device{}()};
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        for (;;) {
            if (cancelled(co_await net::this_coro::cancellation_state))
                co_return;
            const auto due = co_await await_ledger<std::vector<ledger::webhook_delivery>>(
                [&](auto d) { store().claim_deliveries(delivery_batch, delivery_lease, std::move(d)); });
            if (!due.ok() || due.value.empty()) {
                co_await sleep(timer, runner.poll_interval);
                continue;
            }
            for (const auto& delivery : due.value) {
                if (cancelled(co_await net::this_coro::cancellation_state))
                    co_return;
                co_await deliver(delivery, uniform(rng));
            }
        }
    }

    net::awaitable<void> deliver(const ledger::webhook_delivery& delivery, double jitter)
    {
        const auto loaded = configs->current();
        const config::client_config* client = find_client(loaded->config, delivery.client);
        ledger::attempt_outcome outcome;
        outcome.attempt.attempt = delivery.attempts + 1;
        outcome.attempt.at = ledger::now();
        if (!client || !client->webhook) {
            outcome.attempt.error = "the client " + delivery.client + " has no webhook configured any more";
        } else {
            const auto timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count();
            const std::string stamp = std::to_string(timestamp);
            const std::string signature = webhook::sign(client->webhook->secret, delivery.delivery_id, timestamp,
                                                        delivery.payload);
            const std::array<webhook::header, 4> headers{{{"Content-Type", "application/json"},
                                                          {"webhook-id", delivery.delivery_id},
                                                          {"webhook-timestamp", stamp},
                                                          {"webhook-signature", signature}}};
            const webhook::delivery_request request{client->webhook->url, headers, delivery.payload,
                                                    runner.webhook_timeout};
            const webhook::attempt_result sent = co_await sender->deliver(request);
            outcome.attempt.status = sent.status;
            outcome.attempt.error = sent.error;
            outcome.attempt.duration_ms = static_cast<std::uint32_t>(sent.duration.count());
            outcome.delivered = sent.ok;
        }
        // Without a webhook (the config changed) there is nowhere to deliver: no retries.
        if (!outcome.delivered && client && client->webhook) {
            gauges.delivery_failures.fetch_add(1, std::memory_order_relaxed);
            const auto first = std::chrono::time_point_cast<std::chrono::system_clock::duration>(delivery.created_at);
            if (const auto next = webhook::next_attempt(outcome.attempt.attempt, first,
                                                        std::chrono::system_clock::now(), jitter))
                outcome.next_attempt_at = std::chrono::time_point_cast<std::chrono::milliseconds>(*next);
        } else if (outcome.delivered) {
            gauges.deliveries_sent.fetch_add(1, std::memory_order_relaxed);
        }
        telemetry::log(outcome.delivered ? telemetry::log_level::info : telemetry::log_level::warn, "webhook_attempt",
                       {{"delivery_id", delivery.delivery_id},
                        {"job_id", delivery.request_id},
                        {"attempt", outcome.attempt.attempt},
                        {"status", outcome.attempt.status},
                        {"delivered", outcome.delivered},
                        {"error", outcome.attempt.error},
                        {"gives_up", !outcome.delivered && !outcome.next_attempt_at}});
        const auto recorded = co_await await_ledger<ledger::done>(
            [&](auto d) { store().record_attempt(delivery.delivery_id, outcome, std::move(d)); });
        if (!recorded.ok())
            log_if_failed("record_attempt", delivery.request_id)(recorded);
    }

    net::awaitable<void> census_loop()
    {
        co_await net::this_coro::throw_if_cancelled(false);
        for (;;) {
            if (cancelled(co_await net::this_coro::cancellation_state))
                co_return;
            const auto census = co_await await_ledger<ledger::job_census>(
                [&](auto d) { store().count_jobs(std::move(d)); });
            if (census.ok()) {
                gauges.queued = census.value.queued;
                gauges.running = census.value.running;
                gauges.leased_here = census.value.leased_here;
                gauges.deliveries_pending = census.value.deliveries_pending;
            }
            co_await sleep(census_timer, census_interval);
        }
    }
};

job_runner::job_runner(std::shared_ptr<mapping::config_source> configs, pipeline_options options,
                       job_runner_options runner)
    : impl_(std::make_unique<impl>(std::move(configs), std::move(options), runner))
{
    impl* self = impl_.get();
    self->sender = std::make_unique<webhook::sender>();
    self->thread = std::thread([self] {
        self->executor = make_job_executor(self->ioc.get_executor(), self->options);
        const auto report = [](std::string_view loop) {
            return [loop = std::string(loop)](std::exception_ptr e) {
                if (!e)
                    return;
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& error) {
                    telemetry::log(telemetry::log_level::error, "job_runner_failed",
                                   {{"loop", loop}, {"what", error.what()}});
                } catch (...) {
                }
            };
        };
        net::co_spawn(self->ioc, self->work_loop(),
                      net::bind_cancellation_slot(self->stop_work.slot(), report("jobs")));
        net::co_spawn(self->ioc, self->delivery_loop(),
                      net::bind_cancellation_slot(self->stop_deliveries.slot(), report("webhooks")));
        net::co_spawn(self->ioc, self->census_loop(),
                      net::bind_cancellation_slot(self->stop_census.slot(), report("census")));
        self->ioc.run();
        // On this thread, with nothing left running: its pools close.
        self->executor.reset();
    });
}

job_runner::~job_runner()
{
    net::post(impl_->ioc, [self = impl_.get()] {
        self->stop_work.emit(net::cancellation_type::terminal);
        self->stop_deliveries.emit(net::cancellation_type::terminal);
        self->stop_census.emit(net::cancellation_type::terminal);
        self->job_cut.emit(net::cancellation_type::terminal);
        self->beat_stop.emit(net::cancellation_type::terminal);
        self->wake_timer.cancel();
        self->census_timer.cancel();
        self->delivery_timer_cancel();
    });
    impl_->thread.join();
}

void job_runner::wake()
{
    net::post(impl_->ioc, [self = impl_.get()] { self->wake_timer.cancel(); });
}

const job_gauges& job_runner::gauges() const noexcept { return impl_->gauges; }

void write_job_metrics(const job_gauges& g, std::string& out)
{
    const auto gauge = [&](const char* name, const char* help, const char* type, std::uint64_t value) {
        telemetry::write_metric(out, name, type, help, value);
    };
    gauge("invitegw_jobs_queued", "Jobs waiting for a runner (all instances).", "gauge", g.queued.load());
    gauge("invitegw_jobs_running", "Jobs being carried out (all instances).", "gauge", g.running.load());
    gauge("invitegw_jobs_leased", "Jobs this instance is carrying out.", "gauge", g.leased_here.load());
    gauge("invitegw_jobs_completed_total", "Jobs this instance completed since it started.", "counter",
          g.completed_here.load());
    gauge("invitegw_webhook_deliveries_pending", "Webhook events waiting to be delivered (all instances).", "gauge",
          g.deliveries_pending.load());
    gauge("invitegw_webhook_deliveries_total", "Webhook events this instance delivered.", "counter",
          g.deliveries_sent.load());
    gauge("invitegw_webhook_attempt_failures_total", "Webhook delivery attempts that failed here.", "counter",
          g.delivery_failures.load());
}

} // namespace igw::dispatch

#pragma GCC diagnostic pop
