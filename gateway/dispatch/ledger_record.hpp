#pragma once
// Between a canonical request and its ledger record: what is recorded before any call,
// the outcomes settled after each call, and the results read back (for a resumed
// request, a replay and GET /v1/requests/{id}). Plain functions, no I/O.

#include "gateway/canonical/invite_request.hpp"
#include "gateway/config/config.hpp"
#include "gateway/ledger/records.hpp"
#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/item_result.hpp"
#include "gateway/mapping/mapping_set.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace igw::dispatch {

// SHA-256 (hex) of the normalised request: route, send_email, the selected targets and
// each invitation's normalised email, role and ref, by name. Two bodies that differ only
// in spacing, key order, email case or an explicit default are the same request.
std::string request_fingerprint(std::string_view route_path, const canonical::invite_request& request,
                                std::span<const std::string> roles, const mapping::route_plan& route);

// The record begin_request takes: one item per (invitation, selected target), pending.
ledger::new_request describe_request(std::string_view request_id, std::string_view client,
                                     std::string_view config_version, std::optional<std::string> idempotency_key,
                                     const canonical::invite_request& request, std::span<const std::string> roles,
                                     const mapping::route_plan& route);

// Folds the first marks into the record begin_request takes: the items of the plan's calls
// `sending`, its immediate results settled. The request is then recorded and marked in one
// commit, which send_recorded is told of (recorded_send::marked).
void mark_planned(ledger::new_request& record, const mapping::dispatch_plan& plan);

ledger::item_outcome to_outcome(const mapping::item_result& result);

// The result an item's record stands for; nullopt while it is pending. An item still
// `sending` (the process that sent it is gone) is `unknown`, code `interrupted`.
std::optional<mapping::item_result> recorded_result(const ledger::item_record& item);

// The canonical request a record was made from, with the current config's roles, for
// resuming it without the client's body. Items whose role or target the config no longer
// has cannot be sent: they are returned in `cannot_send` as failed outcomes.
canonical::invite_request rebuild_request(const ledger::request_with_items& recorded,
                                          std::span<const std::string> roles, const mapping::route_plan& route,
                                          std::vector<ledger::item_outcome>& cannot_send);

// GET /v1/requests/{id}: the merged reply's shape (request_id, summary, results) from the
// ledger, plus `state` (running or completed); while running, items not yet settled show
// as `pending` or `sending` and are counted in the summary under those names.
void write_request_document(const ledger::request_with_items& recorded, std::string& out);

// GET /v1/jobs/{id}: status, timestamps, progress by item status, the webhook deliveries
// with their attempts and, once completed, `result` in the synchronous reply's shape with
// the results of `page` (a range of invitations) and `next_cursor` (null on the last page).
// Without a page (the 202), no `result`, whatever the job's state.
void write_job_document(const ledger::job_record& job, std::optional<std::span<const ledger::item_record>> page,
                        std::optional<std::uint32_t> next_cursor, std::string& out);

// POST /v1/requests/{id}/reconcile: how many `unknown` items were looked up and what the
// vendors' listings settled, then each looked-up item's record as it stands now (the
// merged reply's result shape).
struct reconcile_counts {
    std::uint32_t looked_up = 0;      // unknown items on targets with a lookup
    std::uint32_t invited = 0;        // found in the vendor's listing
    std::uint32_t not_created = 0;    // absent from a complete listing
    std::uint32_t unknown = 0;        // the listing could not tell: still unknown
    std::uint32_t without_lookup = 0; // unknown items on targets without a lookup
};
void write_reconcile_report(std::string_view request_id, const reconcile_counts& counts,
                            std::span<const ledger::item_record> items, std::string& out);

} // namespace igw::dispatch
