#include "gateway/server/builtin_endpoints.hpp"

#include <algorithm>
#include <array>

#include "gateway/canonical/problems.hpp"
#include "gateway/json/writer.hpp"
#include "gateway/server/client_auth.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace igw::server::detail {
namespace {

plain_reply json_reply(unsigned status, std::string body) { return {status, "application/json", std::move(body), {}}; }

// The probes are outside the in-flight cap: an overloaded gateway is alive and should
// not be restarted for answering 503 to invites.
std::optional<plain_reply> healthz(const builtin_request&)
{
    std::string body;
    json::writer(body).begin_object().member("status", "ok").end_object();
    return json_reply(200, std::move(body));
}

std::optional<plain_reply> readyz(const builtin_request& request)
{
    if (!request.ready)
        return problem_reply(canonical::http_problem(503, "the gateway is shutting down"));
    std::string body;
    json::writer w(body);
    w.begin_object().member("status", "ready").member("config_version", request.config_version);
    if (request.services.jobs) {
        const jobs_readiness jobs = request.services.jobs();
        w.key("jobs")
            .begin_object()
            .member("queued", jobs.queued)
            .member("running", jobs.running)
            .member("leased_here", jobs.leased_here)
            .end_object();
    }
    if (request.services.ejected_targets) {
        w.key("ejected_targets").begin_array();
        for (const std::string& target : request.services.ejected_targets())
            w.string(target);
        w.end_array();
    }
    w.end_object();
    return json_reply(200, std::move(body));
}

std::optional<plain_reply> metrics(const builtin_request& request)
{
    if (!request.services.metrics)
        return std::nullopt;
    plain_reply reply{200, "text/plain; version=0.0.4; charset=utf-8", {}, {}};
    request.services.metrics->write_prometheus(reply.body);
    return reply;
}

std::optional<plain_reply> openapi(const builtin_request& request)
{
    if (request.services.openapi.empty())
        return std::nullopt;
    return json_reply(200, std::string(request.services.openapi));
}

std::string reload_body(const reload_outcome& outcome)
{
    std::string body;
    json::writer w(body);
    w.begin_object().member("reloaded", outcome.reloaded).member("config_version", outcome.version);
    w.key("errors").begin_array();
    for (const auto& error : outcome.errors)
        w.string(error);
    w.end_array().key("notes").begin_array();
    for (const auto& note : outcome.notes)
        w.string(note);
    w.end_array().end_object();
    return body;
}

std::optional<plain_reply> admin_reload(const builtin_request& request)
{
    if (!request.services.reload)
        return std::nullopt;
    const config::client_config* client = authenticate(request.authorization, request.certificate_cn, request.clients);
    if (!client) {
        plain_reply reply = problem_reply(canonical::unauthorized_problem());
        reply.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="invitegw")");
        return reply;
    }
    if (!client->admin)
        return problem_reply(canonical::forbidden_problem("/admin/reload"));
    // Loading reads and compiles files: a few milliseconds on this worker, for an
    // operator's rare request.
    const reload_outcome outcome = request.services.reload();
    return json_reply(outcome.reloaded ? 200 : 422, reload_body(outcome));
}

constexpr std::array<builtin_endpoint, 5> builtins{{
    {endpoint::healthz, healthz},
    {endpoint::readyz, readyz},
    {endpoint::metrics, metrics},
    {endpoint::openapi, openapi},
    {endpoint::admin_reload, admin_reload, true},
}};

} // namespace

plain_reply problem_reply(const canonical::problem& p)
{
    plain_reply reply{p.status, "application/problem+json", {}, {}};
    p.write_json(reply.body);
    return reply;
}

const builtin_endpoint* find_builtin(endpoint kind) noexcept
{
    const auto it = std::ranges::find(builtins, kind, &builtin_endpoint::kind);
    return it == builtins.end() ? nullptr : &*it;
}

} // namespace igw::server::detail
