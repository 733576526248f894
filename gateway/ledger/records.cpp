#include "gateway/ledger/records.hpp"
#include "gateway/ledger/result.hpp"
#include "gateway/ledger/settings.hpp"
#include "gateway/ledger/sql.hpp"
#include "gateway/ledger/stats.hpp"

#include <libpq-fe.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

namespace igw::ledger {

time_point now() noexcept
{
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::string to_rfc3339(time_point t, bool with_milliseconds)
{
    const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
    const std::time_t tt = std::chrono::system_clock::to_time_t(seconds);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char text[80]; // room for any int the format could meet
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    std::string out = text;
    if (with_milliseconds) {
        std::snprintf(text, sizeof text, ".%03d", static_cast<int>((t - seconds).count()));
        out += text;
    }
    out += 'Z';
    return out;
}

std::string_view to_string(request_state state) noexcept
{
    switch (state) {
    case request_state::queued: return "queued";
    case request_state::running: return "running";
    case request_state::completed: return "completed";
    }
    return "running";
}

std::string_view to_string(delivery_state state) noexcept
{
    switch (state) {
    case delivery_state::pending: return "pending";
    case delivery_state::delivered: return "delivered";
    case delivery_state::failed: return "failed";
    }
    return "pending";
}

std::optional<delivery_state> parse_delivery_state(std::string_view text) noexcept
{
    for (auto s : {delivery_state::pending, delivery_state::delivered, delivery_state::failed}) {
        if (to_string(s) == text) {
            return s;
        }
    }
    return std::nullopt;
}

std::string_view to_string(item_status status) noexcept
{
    switch (status) {
    case item_status::pending: return "pending";
    case item_status::sending: return "sending";
    case item_status::invited: return "invited";
    case item_status::failed: return "failed";
    case item_status::unknown: return "unknown";
    }
    return "unknown";
}

std::optional<request_state> parse_request_state(std::string_view text) noexcept
{
    if (text == "queued") {
        return request_state::queued;
    }
    if (text == "running") {
        return request_state::running;
    }
    if (text == "completed") {
        return request_state::completed;
    }
    return std::nullopt;
}

std::optional<item_status> parse_item_status(std::string_view text) noexcept
{
    for (auto s : {item_status::pending, item_status::sending, item_status::invited, item_status::failed,
                   item_status::unknown}) {
        if (to_string(s) == text) {
            return s;
        }
    }
    return std::nullopt;
}

std::string_view to_string(begin_kind kind) noexcept
{
    switch (kind) {
    case begin_kind::claimed: return "claimed";
    case begin_kind::replay: return "replay";
    case begin_kind::in_progress: return "in_progress";
    case begin_kind::mismatch: return "mismatch";
    case begin_kind::resumed: return "resumed";
    case begin_kind::duplicate_id: return "duplicate_id";
    case begin_kind::job: return "job";
    }
    return "claimed";
}

std::string_view to_string(errc code) noexcept
{
    switch (code) {
    case errc::ok: return "ok";
    case errc::unavailable: return "unavailable";
    case errc::not_found: return "not_found";
    case errc::lost_ownership: return "lost_ownership";
    case errc::invalid: return "invalid";
    case errc::internal: return "internal";
    }
    return "internal";
}

std::string_view to_string(backend_kind kind) noexcept
{
    return kind == backend_kind::postgres ? "postgres" : "sqlite";
}

bool is_valid_key(std::string_view key) noexcept
{
    if (key.empty() || key.size() > 255) {
        return false;
    }
    for (unsigned char ch : key) {
        if (ch < 0x20 || ch > 0x7e) {
            return false;
        }
    }
    return true;
}

std::string describe_target(const settings& s)
{
    if (s.backend == backend_kind::sqlite) {
        return "sqlite:" + s.path;
    }
    char* err = nullptr;
    PQconninfoOption* options = PQconninfoParse(s.url.c_str(), &err);
    if (!options) {
        PQfreemem(err);
        return "postgres:(unparsable url)";
    }
    std::string host, port, dbname;
    for (PQconninfoOption* o = options; o->keyword; ++o) {
        const std::string_view k = o->keyword;
        const std::string v = o->val ? o->val : "";
        if (k == "host" || (k == "hostaddr" && host.empty())) {
            host = v;
        } else if (k == "port") {
            port = v;
        } else if (k == "dbname") {
            dbname = v;
        }
    }
    PQconninfoFree(options);
    return "postgres://" + (host.empty() ? std::string("localhost") : host) + (port.empty() ? "" : ":" + port) + "/" +
           dbname;
}

void stats::record_latency(std::chrono::steady_clock::duration d) noexcept
{
    const double ms = std::chrono::duration<double, std::milli>(d).count();
    std::size_t bucket = 0;
    while (bucket < latency_bounds_ms.size() && ms > latency_bounds_ms[bucket]) {
        ++bucket;
    }
    buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
    latency_sum_us_.fetch_add(
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()),
        std::memory_order_relaxed);
}

stats_snapshot stats::snapshot() const noexcept
{
    stats_snapshot s;
    s.operations = operations.load(std::memory_order_relaxed);
    s.unavailable = unavailable.load(std::memory_order_relaxed);
    s.internal_errors = internal_errors.load(std::memory_order_relaxed);
    s.rejected_full = rejected_full.load(std::memory_order_relaxed);
    s.transactions = transactions.load(std::memory_order_relaxed);
    s.reconnects = reconnects.load(std::memory_order_relaxed);
    s.queue_depth = queue_depth.load(std::memory_order_relaxed);
    s.max_queue_depth = max_queue_depth.load(std::memory_order_relaxed);
    s.pruned_requests = pruned_requests.load(std::memory_order_relaxed);
    s.pruned_keys = pruned_keys.load(std::memory_order_relaxed);
    s.kept_outcomes = kept_outcomes.load(std::memory_order_relaxed);
    s.recovered_outcomes = recovered_outcomes.load(std::memory_order_relaxed);
    s.lost_outcomes = lost_outcomes.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        s.latency_buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    }
    s.latency_sum_us = latency_sum_us_.load(std::memory_order_relaxed);
    return s;
}

namespace sql {

const std::string& row::text(std::size_t i) const
{
    static const std::string empty;
    const auto& cell = cells_.at(i);
    return cell ? *cell : empty;
}

std::int64_t row::integer(std::size_t i) const
{
    const auto& cell = cells_.at(i);
    if (!cell || cell->empty()) {
        return 0;
    }
    return std::stoll(*cell);
}

} // namespace sql
} // namespace igw::ledger
