#pragma once
// Settling `unknown` items by asking the vendor (POST /v1/requests/{id}/reconcile, and
// once for a job that ends with unknown items). Each target whose provider declares a
// `lookup` lists its invitations, page by page, and each of its unknown items is then
// - found in the listing: `invited`, with the vendor's id;
// - absent from a complete listing: `failed` with code not_created (nothing to undo);
// - otherwise (the listing failed or was cut short): left `unknown`.
// Only settled items are returned; the caller records them (ledger::store::reconcile_items).

#include "gateway/ledger/records.hpp"
#include "gateway/mapping/mapping_set.hpp"
#include "gateway/upstream/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

namespace igw::dispatch {

struct reconcile_result {
    std::vector<ledger::item_outcome> settled;
    std::uint32_t looked_up = 0;      // unknown items of targets that have a lookup
    std::uint32_t without_lookup = 0; // unknown items of targets that have none (or are gone)
};

// `recorded`'s unknown items, looked up on `route`'s targets (matched by name, as the
// record names them). Every page is one call bounded by min(deadline, now + the target's
// timeout). Never throws for network conditions; failures are logged with `request_id`.
boost::asio::awaitable<reconcile_result> reconcile(upstream::client& client, const mapping::route_plan& route,
                                                   const ledger::request_with_items& recorded,
                                                   std::chrono::steady_clock::time_point deadline);

// True when an item of `recorded` is unknown on a target of `route` that has a lookup.
bool has_reconcilable_items(const mapping::route_plan& route, const ledger::request_with_items& recorded);

} // namespace igw::dispatch
