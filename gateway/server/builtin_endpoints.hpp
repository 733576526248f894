#pragma once
// The endpoints the gateway answers itself (the probes, metrics, the API description,
// config reloads): a table from endpoint kind to handler. Free of Beast: a handler
// returns a plain reply, which the connection sends like any other.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/canonical/problem.hpp"
#include "gateway/config/config.hpp"
#include "gateway/server/router.hpp"
#include "gateway/server/services.hpp"

namespace igw::server::detail {

struct plain_reply {
    unsigned status = 200;
    std::string content_type;
    std::string body;
    // Set after Content-Type and X-Request-Id (e.g. WWW-Authenticate on a 401).
    std::vector<std::pair<std::string, std::string>> headers;
};

// An application/problem+json reply.
plain_reply problem_reply(const canonical::problem& p);

// What a built-in endpoint may look at.
struct builtin_request {
    const server_services& services;
    std::span<const config::client_config> clients; // of the config the request is served with
    std::string_view authorization;                 // the request's Authorization value
    std::string_view config_version;                // of that config
    bool ready = false;                             // listening, and not stopping
    std::string_view certificate_cn{};              // subject CN of the connection's verified client certificate
};

// None when the endpoint's service is missing: the request is answered 404.
using builtin_handler = std::optional<plain_reply> (*)(const builtin_request&);

struct builtin_endpoint {
    endpoint kind;
    builtin_handler handle;
    // The handler may change the config served; its reply names the config after it.
    bool changes_config = false;
};

// The built-in endpoint of `kind`; null for invite routes and endpoint::not_found.
const builtin_endpoint* find_builtin(endpoint kind) noexcept;

} // namespace igw::server::detail
