#pragma once
// The merged reply (docs/api.md "3. Merged response"): one result per (invitation, selected target), ordered by
// invitation then route order, with a summary; 200 when all were invited, else 207.

#include "gateway/canonical/invite_request.hpp"
#include "gateway/mapping/item_result.hpp"
#include "gateway/mapping/mapping_set.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace igw::dispatch {

struct merge_summary {
    unsigned status = 200;
    std::size_t invited = 0, failed = 0, unknown = 0;
};

// Writes the reply body into `out`. A (invitation, target) pair that has no result
// (which only a bug could cause) is reported `unknown`, never dropped; a pair with
// several results keeps the first.
merge_summary write_merged_reply(std::string_view request_id, const canonical::invite_request& request,
                                 const mapping::route_plan& route, const std::vector<mapping::item_result>& results,
                                 std::string& out);

} // namespace igw::dispatch
