#pragma once
// Reading and writing the ledger's rows: what operations.cpp and job_operations.cpp share.

#include "gateway/ledger/operations.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace igw::ledger::ops::detail {

using sql::value;
using params = std::vector<value>;

inline std::int64_t ms(time_point t) { return t.time_since_epoch().count(); }
inline time_point from_ms(std::int64_t v) { return time_point(std::chrono::milliseconds(v)); }
inline value num(std::int64_t v) { return value{v}; }
inline value text(std::string s) { return value{std::move(s)}; }

inline constexpr std::string_view interrupted_message =
    "the gateway stopped while this item was being sent; the vendor may have created it";

// Rows per multi-row statement: far below SQLite's 32766 and PostgreSQL's 65535 parameters.
inline constexpr std::size_t rows_per_statement = 200;

inline constexpr const char* request_columns =
    "request_id, client, route, config_version, idempotency_key, fingerprint, state, created_at, updated_at, "
    "completed_at, reply_status, reply_headers, reply_body, lease_until, send_email, mode, started_at";

inline constexpr const char* item_columns =
    "request_id, invitation, target, email, ref, target_name, role, status, error_code, message, invitation_id, "
    "expires_at, vendor_status, upstream_status, attempts, created_at, updated_at, already_invited, reconciled";

struct loaded_request {
    request_record record;
    time_point lease_until{};
};

loaded_request read_request(const sql::row& r);
item_record read_item(const sql::row& r);
std::optional<loaded_request> load_request(context& c, const std::string& request_id);
std::vector<item_record> load_items(context& c, const std::string& request_id);
std::optional<request_with_items> load_full(context& c, const std::string& request_id);
// A request's items by status, counted in the database.
job_counts count_items(context& c, const std::string& request_id);
// "$k, $k+1, ..." for n parameters starting at k, each wrapped by `wrap` when given.
std::string placeholders(std::size_t first, std::size_t n, std::string_view wrap_before = {},
                         std::string_view wrap_after = {});

} // namespace igw::ledger::ops::detail
