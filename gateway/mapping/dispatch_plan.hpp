#pragma once
// The upstream calls one canonical request turns into, plus the results that need no
// call. A dispatch_plan is meant to be reused by one thread across requests: clear()
// keeps its capacity, so rendering allocates nothing in steady state.

#include "gateway/canonical/invite_request.hpp"
#include "gateway/mapping/item_result.hpp"
#include "gateway/mapping/mapping_set.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace igw::mapping {

struct upstream_call {
    const target_plan* target = nullptr;
    std::uint32_t target_index = 0; // in the route's targets
    std::uint32_t first_item = 0;   // range in dispatch_plan::items
    std::uint32_t item_count = 0;
    std::size_t body_offset = 0; // range in dispatch_plan::bodies
    std::size_t body_size = 0;
};

struct dispatch_plan {
    std::vector<upstream_call> calls;
    std::vector<std::uint32_t> items;   // invitation indexes, call after call
    std::string bodies;                 // all bodies, call after call
    std::vector<item_result> immediate; // e.g. role_not_supported

    std::span<const std::uint32_t> items_of(const upstream_call& call) const noexcept
    {
        return {items.data() + call.first_item, call.item_count};
    }
    std::string_view body_of(const upstream_call& call) const noexcept
    {
        return std::string_view(bodies).substr(call.body_offset, call.body_size);
    }
    void clear() noexcept
    {
        calls.clear();
        items.clear();
        bodies.clear();
        immediate.clear();
    }
};

// Fills `plan` with the calls `request` makes on `route` (its selected targets, in
// route order; per target, items grouped as the provider requires and split into
// batches of at most max_items, in invitation order).
void render_calls(const canonical::invite_request& request, const route_plan& route,
                  std::span<const std::string> canonical_roles, dispatch_plan& plan);

} // namespace igw::mapping
