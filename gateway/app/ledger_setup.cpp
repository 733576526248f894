#include "gateway/app/ledger_setup.hpp"

#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/metrics.hpp"

#include <stdexcept>
#include <thread>

namespace igw::app {

ledger::settings ledger_settings(const config::state_config& state)
{
    ledger::settings s;
    s.backend = state.backend == config::state_config::backend_kind::postgres ? ledger::backend_kind::postgres
                                                                              : ledger::backend_kind::sqlite;
    s.path = state.path;
    s.url = state.url;
    s.retention = state.retention;
    s.idempotency_retention = state.idempotency_retention;
    s.op_timeout = state.timeout;
    s.instance = state.instance;
    s.job_lease = state.job_lease;
    s.on_prune = [](const ledger::prune_counts& pruned) {
        if (pruned.requests > 0 || pruned.keys > 0)
            telemetry::log(telemetry::log_level::info, "ledger_pruned",
                           {{"requests", pruned.requests}, {"items", pruned.items}, {"keys", pruned.keys}});
    };
    return s;
}

std::unique_ptr<ledger::store> open_ledger(const config::state_config& state, std::chrono::milliseconds wait,
                                           std::string& error)
{
    std::unique_ptr<ledger::store> store;
    const ledger::settings settings = ledger_settings(state);
    try {
        store = std::make_unique<ledger::store>(settings);
    } catch (const std::invalid_argument& e) {
        error = e.what();
        return nullptr;
    }
    // A database still starting (a PostgreSQL beside the gateway) gets a few tries.
    const auto until = std::chrono::steady_clock::now() + wait;
    for (;;) {
        const auto pinged = wait_for<ledger::done>([&](auto done) { store->ping(std::move(done)); });
        if (pinged.ok())
            return store;
        if (std::chrono::steady_clock::now() >= until) {
            error = "the ledger at " + ledger::describe_target(settings) + " did not answer: " + pinged.error.message;
            return nullptr;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
}

void write_ledger_metrics(const ledger::stats_snapshot& s, std::string& out)
{
    telemetry::write_metric(out, "invitegw_ledger_operations_total", "counter",
                            "Ledger operations completed, with success or error.", s.operations);
    telemetry::write_metric(out, "invitegw_ledger_unavailable_total", "counter",
                            "Ledger operations answered unavailable (queue full, database slow or unreachable): 503s.",
                            s.unavailable);
    telemetry::write_metric(out, "invitegw_ledger_errors_total", "counter", "Statements the database refused.",
                            s.internal_errors);
    telemetry::write_metric(out, "invitegw_ledger_transactions_total", "counter",
                            "Transactions committed (operations per transaction shows the group commit).",
                            s.transactions);
    telemetry::write_metric(out, "invitegw_ledger_reconnects_total", "counter", "Database connections reopened.",
                            s.reconnects);
    telemetry::write_metric(out, "invitegw_ledger_queue_depth", "gauge", "Operations waiting for the ledger's writer.",
                            s.queue_depth);
    telemetry::write_metric(out, "invitegw_ledger_queue_depth_max", "gauge", "The deepest the writer's queue has been.",
                            s.max_queue_depth);
    telemetry::write_metric(out, "invitegw_ledger_kept_outcomes", "gauge",
                            "Outcomes waiting for the database to answer again, kept in memory.", s.kept_outcomes);
    telemetry::write_metric(out, "invitegw_ledger_lost_outcomes_total", "counter",
                            "Outcomes dropped because more were waiting than the queue holds (alert on any).",
                            s.lost_outcomes);
    telemetry::write_metric(out, "invitegw_ledger_recovered_outcomes_total", "counter",
                            "Outcomes kept in memory while the database did not answer, stored since.",
                            s.recovered_outcomes);
    telemetry::write_metric(out, "invitegw_ledger_queue_full_total", "counter",
                            "Operations refused because the writer's queue was full (part of the unavailable ones).",
                            s.rejected_full);
    telemetry::write_metric(out, "invitegw_ledger_pruned_requests_total", "counter",
                            "Requests deleted past the retention.", s.pruned_requests);
    telemetry::write_metric(out, "invitegw_ledger_pruned_keys_total", "counter",
                            "Idempotency keys deleted past their retention.", s.pruned_keys);
    const std::string_view name = "invitegw_ledger_operation_duration_seconds";
    telemetry::write_metric_header(out, name, "histogram", "Time from submitting a ledger operation to its result.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < ledger::latency_bounds_ms.size(); ++i) {
        cumulative += s.latency_buckets[i];
        out.append(name).append("_bucket{le=\"").append(std::to_string(ledger::latency_bounds_ms[i] / 1000.0));
        out.append("\"} ").append(std::to_string(cumulative)).append("\n");
    }
    cumulative += s.latency_buckets.back();
    out.append(name).append("_bucket{le=\"+Inf\"} ").append(std::to_string(cumulative)).append("\n");
    out.append(name).append("_sum ").append(std::to_string(static_cast<double>(s.latency_sum_us) / 1e6)).append("\n");
    out.append(name).append("_count ").append(std::to_string(cumulative)).append("\n");
}

} // namespace igw::app
