#pragma once
// The calls a request would make, written out instead of sent: how operators check a
// mapping (`?dry_run=true` and `invitegw explain`). Secrets are redacted.

#include "gateway/canonical/invite_request.hpp"
#include "gateway/mapping/dispatch_plan.hpp"

#include <string>
#include <string_view>

namespace igw::dispatch {

void write_dry_run(std::string_view request_id, const canonical::invite_request& request,
                   const mapping::route_plan& route, const mapping::dispatch_plan& plan, std::string& out);

} // namespace igw::dispatch
