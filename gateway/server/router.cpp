#include "gateway/server/router.hpp"

#include <algorithm>

namespace igw::server {

route_match match_route(std::string_view method, std::string_view target,
                        const std::vector<config::route_config>& routes) noexcept
{
    const std::string_view path = target.substr(0, target.find('?'));
    // HEAD wherever GET is (RFC 9110 §9.3.2): the same header, without the body.
    const bool get = method == "GET" || method == "HEAD";
    if (path == "/healthz")
        return {endpoint::healthz, 0, get, "GET, HEAD", {}};
    if (path == "/readyz")
        return {endpoint::readyz, 0, get, "GET, HEAD", {}};
    if (path == "/metrics")
        return {endpoint::metrics, 0, get, "GET, HEAD", {}};
    if (path == "/openapi.json")
        return {endpoint::openapi, 0, get, "GET, HEAD", {}};
    if (path == "/admin/reload")
        return {endpoint::admin_reload, 0, method == "POST", "POST", {}};
    if (path.starts_with(request_lookup_prefix) && path.ends_with(reconcile_suffix)) {
        const std::string_view id = path.substr(request_lookup_prefix.size(),
                                                path.size() - request_lookup_prefix.size() -
                                                    std::min(path.size(), reconcile_suffix.size()));
        if (path.size() > request_lookup_prefix.size() + reconcile_suffix.size() &&
            id.find('/') == std::string_view::npos)
            return {endpoint::reconcile, 0, method == "POST", "POST", id};
    }
    for (const auto& [prefix, kind] : {std::pair{request_lookup_prefix, endpoint::request_lookup},
                                       std::pair{job_lookup_prefix, endpoint::job_lookup}}) {
        if (!path.starts_with(prefix))
            continue;
        // One segment: anything below it is not a request (nor a job).
        const std::string_view id = path.substr(prefix.size());
        if (!id.empty() && id.find('/') == std::string_view::npos)
            return {kind, 0, get, "GET, HEAD", id};
    }
    for (std::size_t i = 0; i < routes.size(); ++i) {
        if (routes[i].path == path)
            return {endpoint::invite, i, method == "POST", "POST", {}};
    }
    return {};
}

} // namespace igw::server
