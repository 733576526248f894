#pragma once
// Which endpoint a request line names: a built-in one (probes, metrics, the API
// description, reload) or one of the configured routes.

#include <cstddef>
#include <string_view>
#include <vector>

#include "gateway/config/config.hpp"

namespace igw::server {

enum class endpoint {
    not_found,
    healthz,
    readyz,
    metrics,
    openapi,
    admin_reload,
    invite,
    request_lookup,
    job_lookup,
    reconcile,
};

// GET /v1/requests/{id}: the recorded result of an earlier request.
inline constexpr std::string_view request_lookup_prefix = "/v1/requests/";
// POST /v1/requests/{id}/reconcile: its `unknown` items looked up at the vendors.
inline constexpr std::string_view reconcile_suffix = "/reconcile";
// GET /v1/jobs/{id}: an asynchronous request's job document.
inline constexpr std::string_view job_lookup_prefix = "/v1/jobs/";

struct route_match {
    endpoint kind = endpoint::not_found;
    std::size_t route_index = 0; // for endpoint::invite
    bool method_allowed = false;
    std::string_view allow;         // the Allow header when the method is not allowed
    std::string_view resource_id{}; // for the lookups and reconcile: the {id}, a view into the target
};

// `target` is the request target in origin-form (see origin_form()); its query is ignored. Paths are matched
// exactly (no decoding, no trailing-slash folding), so a route means one URL.
route_match match_route(std::string_view method, std::string_view target,
                        const std::vector<config::route_config>& routes) noexcept;

} // namespace igw::server
