#include "gateway/dispatch/invite_pipeline.hpp"

#include "gateway/dispatch/job_executor.hpp"

#include "gateway/canonical/request_parser.hpp"
#include "gateway/canonical/target_scope.hpp"
#include "gateway/dispatch/dry_run.hpp"
#include "gateway/dispatch/merge.hpp"
#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/reply_mapper.hpp"

#include "gateway/canonical/problems.hpp"
#include "gateway/dispatch/ledger_await.hpp"
#include "gateway/dispatch/ledger_record.hpp"
#include "gateway/dispatch/reconcile.hpp"
#include "gateway/dispatch/recorded_dispatch.hpp"
#include "gateway/server/client_auth.hpp"
#include "gateway/telemetry/log.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

// GCC 12 at -O2 pairs the coroutines' frame allocation (Asio's awaitable_frame_base
// operator new) with the wrong delete and warns; both are Asio's matching pair (a known
// GCC coroutine false positive, as in fan_out.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace igw::dispatch {
namespace {

namespace net = boost::asio;

// `?dry_run=true` (or `=1`) anywhere in the query.
bool wants_dry_run(std::string_view target)
{
    const std::size_t query = target.find('?');
    if (query == std::string_view::npos)
        return false;
    std::string_view rest = target.substr(query + 1);
    while (!rest.empty()) {
        const std::size_t amp = rest.find('&');
        const std::string_view param = rest.substr(0, amp);
        if (param == "dry_run=true" || param == "dry_run=1")
            return true;
        if (amp == std::string_view::npos)
            break;
        rest.remove_prefix(amp + 1);
    }
    return false;
}

server::handler_reply problem_reply(const canonical::problem& problem)
{
    server::handler_reply reply;
    reply.status = problem.status;
    reply.content_type = "application/problem+json";
    problem.write_json(reply.body);
    return reply;
}

// What a worker derives from one loaded config: connection endpoints and header views.
struct target_routes {
    std::shared_ptr<const mapping::compiled_config> config; // keeps the views valid
    std::vector<target_route> routes;                       // by config target index; views into `config`
};

// Invitations a job sends at a time: what it holds in memory is one chunk's items,
// plan and results, whatever its size.
constexpr std::uint32_t job_chunk = 500;
// A job's page of results in GET /v1/jobs/{id}, in invitations.
constexpr std::uint32_t job_page = 1000;
// How long a finished job's lookups of its unknown items may take in all (each page is
// still bounded by its target's timeout): a job has no client waiting on a deadline.
constexpr std::chrono::minutes job_reconcile_budget{5};

void count_item(ledger::job_counts& counts, ledger::item_status status, int delta)
{
    std::uint32_t* cell = nullptr;
    switch (status) {
    case ledger::item_status::pending: cell = &counts.pending; break;
    case ledger::item_status::sending: cell = &counts.sending; break;
    case ledger::item_status::invited: cell = &counts.invited; break;
    case ledger::item_status::failed: cell = &counts.failed; break;
    case ledger::item_status::unknown: cell = &counts.unknown; break;
    }
    *cell = static_cast<std::uint32_t>(static_cast<std::int64_t>(*cell) + delta);
}

ledger::item_status ledger_status(mapping::item_status status)
{
    switch (status) {
    case mapping::item_status::invited: return ledger::item_status::invited;
    case mapping::item_status::failed: return ledger::item_status::failed;
    case mapping::item_status::unknown: return ledger::item_status::unknown;
    }
    return ledger::item_status::unknown;
}

// `cursor=N` in a query; 0 without one, nullopt when malformed.
std::optional<std::uint32_t> parse_cursor(std::string_view query)
{
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view param = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (!param.starts_with("cursor="))
            continue;
        const std::string_view digits = param.substr(7);
        std::uint32_t value = 0;
        if (digits.empty() || digits.size() > 9)
            return std::nullopt;
        for (const char ch : digits) {
            if (ch < '0' || ch > '9')
                return std::nullopt;
            value = value * 10 + static_cast<std::uint32_t>(ch - '0');
        }
        return value;
    }
    return 0;
}

class invite_pipeline final : public server::invite_handler, public job_executor {
public:
    invite_pipeline(net::any_io_executor executor, pipeline_options options)
        : client_(executor, options.upstream), retries_(options.retries), metrics_(options.metrics),
          ledger_(options.ledger), on_job_accepted_(std::move(options.on_job_accepted)),
          guards_(options.guards ? std::move(options.guards) : std::make_shared<resilience::target_guards>())
    {
    }

    net::awaitable<server::handler_reply> handle(server::handler_request& request) override
    {
        // Held for the whole request: a reload meanwhile does not change what it sees.
        const std::shared_ptr<const mapping::compiled_config> loaded = request.config;
        if (!loaded || request.route_index >= loaded->mappings.routes.size())
            co_return problem_reply(canonical::not_found_problem(request.target));
        const mapping::route_plan& route = loaded->mappings.routes[request.route_index];

        std::optional<std::string> key;
        if (auto refusal = check_idempotency_key(request, loaded->config.routes[request.route_index], key))
            co_return problem_reply(*refusal);
        // Without a ledger there is nowhere to keep a job: the preference is not applied
        // and the request is served synchronously (RFC 7240 lets a server ignore it).
        if (request.respond_async && ledger_ && !wants_dry_run(request.target))
            co_return co_await accept_job(request, loaded, route, std::move(key));

        auto parsed = parse_request(request, loaded->config, route, loaded->config.limits.max_invitations,
                                    loaded->config.limits.max_body_bytes);
        if (auto* problem = std::get_if<canonical::problem>(&parsed))
            co_return problem_reply(*problem);
        const canonical::invite_request& invite = std::get<canonical::invite_request>(parsed);

        std::unique_ptr<mapping::dispatch_plan> plan = take_plan();
        mapping::render_calls(invite, route, loaded->config.roles, *plan);

        server::handler_reply reply;
        if (wants_dry_run(request.target)) {
            reply.stats.invitations = invite.invitations.size();
            reply.stats.targets = invite.targets.size();
            write_dry_run(request.request_id, invite, route, *plan, reply.body);
        } else {
            std::string trace_id;
            call_context calls = make_call_context(request.request_id, request.traceparent, request.deadline, loaded,
                                                   trace_id);
            if (ledger_)
                reply = co_await serve_recorded(request, *loaded, route, invite, *plan, calls, std::move(key));
            else
                co_await serve_unrecorded(request.request_id, invite, route, *plan, calls, reply);
            reply.stats.trace_id = std::move(trace_id);
        }
        give_back(std::move(plan));
        co_return reply;
    }

    net::awaitable<server::handler_reply> lookup(server::lookup_request& request) override
    {
        if (!ledger_)
            co_return co_await invite_handler::lookup(request);
        if (request.job)
            co_return co_await lookup_job(request);
        const auto found = co_await await_ledger<ledger::request_with_items>([&](auto done) {
            ledger_->find_request(std::string(request.recorded_id), request.client->name, std::move(done));
        });
        if (found.error.code == ledger::errc::not_found)
            co_return co_await invite_handler::lookup(request);
        if (!found.ok())
            co_return ledger_unavailable_reply("the ledger did not answer in time; retry");
        server::handler_reply reply;
        if (found.value.request.mode == ledger::request_mode::async) {
            // A job's results are paged: its own document says where it stands.
            reply.status = 303;
            reply.headers.emplace_back("Location", "/v1/jobs/" + found.value.request.request_id);
            reply.body = "{}";
            co_return reply;
        }
        write_request_document(found.value, reply.body);
        co_return reply;
    }

    net::awaitable<server::handler_reply> reconcile(server::lookup_request& request) override
    {
        if (!ledger_)
            co_return co_await invite_handler::reconcile(request);
        const std::string id(request.recorded_id);
        const auto found = co_await await_ledger<ledger::request_with_items>(
            [&](auto done) { ledger_->find_request(id, request.client->name, std::move(done)); });
        if (found.error.code == ledger::errc::not_found)
            co_return co_await invite_handler::reconcile(request);
        if (!found.ok())
            co_return ledger_unavailable_reply("the ledger did not answer in time; retry");
        if (found.value.request.state != ledger::request_state::completed) {
            // Its calls may still settle the items; looking them up now could find an
            // invitation a call in flight is about to create, or miss it.
            server::handler_reply reply = problem_reply(canonical::http_problem(
                409, "request " + id + " is still running; reconcile it once it has completed"));
            reply.headers.emplace_back("Retry-After", "1");
            co_return reply;
        }
        const mapping::route_plan* route = route_plan_of(*request.config, found.value.request.route);
        reconcile_counts counts;
        std::vector<ledger::item_outcome> settled;
        if (route) {
            reconcile_result looked = co_await dispatch::reconcile(client_, *route, found.value,
                                                                   std::chrono::steady_clock::now() +
                                                                       request.config->config.limits.request_timeout);
            counts.looked_up = looked.looked_up;
            counts.without_lookup = looked.without_lookup;
            settled = std::move(looked.settled);
        } else {
            counts.without_lookup = static_cast<std::uint32_t>(
                std::count_if(found.value.items.begin(), found.value.items.end(),
                              [](const auto& item) { return item.status == ledger::item_status::unknown; }));
        }
        for (const auto& outcome : settled)
            ++(outcome.status == ledger::item_status::invited ? counts.invited : counts.not_created);
        counts.unknown = counts.looked_up - counts.invited - counts.not_created;
        if (!settled.empty()) {
            const auto recorded = co_await await_ledger<std::uint32_t>(
                [&](auto done) { ledger_->reconcile_items(id, settled, std::move(done)); });
            if (!recorded.ok())
                co_return ledger_unavailable_reply(
                    "the ledger could not record what the vendors' listings say in time; retry");
            telemetry::log(telemetry::log_level::info, "request_reconciled",
                           {{"request_id", id},
                            {"looked_up", counts.looked_up},
                            {"invited", counts.invited},
                            {"not_created", counts.not_created},
                            {"unknown", counts.unknown},
                            {"recorded", recorded.value}});
        }
        // The items as the ledger has them now (another reconcile may have settled some first).
        const auto after = co_await await_ledger<ledger::request_with_items>(
            [&](auto done) { ledger_->find_request(id, request.client->name, std::move(done)); });
        if (!after.ok())
            co_return ledger_unavailable_reply("the ledger did not answer in time; retry");
        // Both lists are ordered by invitation, then target.
        std::vector<ledger::item_record> looked_up;
        const auto& now = after.value.items;
        for (const auto& before : found.value.items) {
            if (before.status != ledger::item_status::unknown)
                continue;
            const auto at = std::lower_bound(
                now.begin(), now.end(), before.key(),
                [](const ledger::item_record& item, const ledger::item_key& key) { return item.key() < key; });
            if (at != now.end() && at->key() == before.key())
                looked_up.push_back(*at);
        }
        server::handler_reply reply;
        write_reconcile_report(id, counts, looked_up, reply.body);
        reply.headers.emplace_back(
            "Content-Location",
            (found.value.request.mode == ledger::request_mode::async ? "/v1/jobs/" : "/v1/requests/") + id);
        co_return reply;
    }

private:
    // The canonical request, within the client's own limits (README "Scoped client keys"):
    // at most its max_invitations, and only targets it may invite to, checked before
    // anything is recorded, planned or sent (dry runs and jobs included).
    std::variant<canonical::invite_request, canonical::problem>
    parse_request(const server::handler_request& request, const config::gateway_config& config,
                  const mapping::route_plan& route, std::size_t max_invitations, std::size_t max_body_bytes)
    {
        const config::client_config& client = *request.client;
        const std::size_t limit = server::client_invitation_limit(client, max_invitations);
        const canonical::validation_context context{config.roles, route.target_names, limit, max_body_bytes,
                                                    limit < max_invitations ? std::string_view(client.name)
                                                                            : std::string_view()};
        auto parsed = parser_.parse(request.body, context);
        if (auto* invite = std::get_if<canonical::invite_request>(&parsed))
            if (auto refusal = canonical::restrict_targets(*invite, route.target_names, client.targets))
                return std::move(*refusal);
        return parsed;
    }

    // Everything the calls of one request share.
    call_context make_call_context(std::string_view request_id, std::string_view traceparent,
                                   std::chrono::steady_clock::time_point deadline,
                                   const std::shared_ptr<const mapping::compiled_config>& loaded, std::string& trace_id)
    {
        // Vendors see the client's trace, or a new one.
        const auto client_trace = trace_id_of(traceparent);
        trace_id = client_trace ? std::string(*client_trace) : new_trace_id();
        call_context calls;
        calls.request_id = request_id;
        calls.trace_id = trace_id;
        if (client_trace)
            calls.trace_flags = trace_flags_of(traceparent);
        const std::shared_ptr<const target_routes> routes = routes_for(loaded);
        calls.routes_owner = std::shared_ptr<const std::vector<target_route>>(routes, &routes->routes);
        calls.routes = calls.routes_owner.get();
        calls.client = &client_;
        calls.mapper = &mapper_;
        calls.metrics = &metrics_;
        calls.retries = retries_;
        calls.deadline = deadline;
        return calls;
    }

    // Without a ledger: the calls, then the merge.
    net::awaitable<void> serve_unrecorded(std::string_view request_id, const canonical::invite_request& invite,
                                          const mapping::route_plan& route, const mapping::dispatch_plan& plan,
                                          call_context& calls, server::handler_reply& reply)
    {
        std::vector<mapping::item_result> results = plan.immediate;
        results.reserve(plan.immediate.size() + plan.items.size());
        co_await run_calls(invite, plan, calls, results);
        count_immediate(route, plan.immediate);
        finish_reply(request_id, invite, route, results, calls, reply);
    }

    void finish_reply(std::string_view request_id, const canonical::invite_request& invite,
                      const mapping::route_plan& route, const std::vector<mapping::item_result>& results,
                      const call_context& calls, server::handler_reply& reply)
    {
        const merge_summary summary = write_merged_reply(request_id, invite, route, results, reply.body);
        reply.status = summary.status;
        reply.stats.invitations = invite.invitations.size();
        reply.stats.targets = invite.targets.size();
        reply.stats.calls = calls.attempts;
        reply.stats.invited = summary.invited;
        reply.stats.failed = summary.failed;
        reply.stats.unknown = summary.unknown;
    }

    // The Idempotency-Key header's rules (README "Idempotency"); `key` is set when one
    // applies.
    std::optional<canonical::problem> check_idempotency_key(const server::handler_request& request,
                                                            const config::route_config& route,
                                                            std::optional<std::string>& key) const
    {
        if (request.idempotency_keys > 1)
            return canonical::idempotency_key_invalid_problem("send one Idempotency-Key header, not several");
        if (request.idempotency_keys == 1) {
            if (!ledger_)
                return canonical::idempotency_key_invalid_problem(
                    "this gateway runs without a ledger (state.backend: none), so it cannot honour an "
                    "Idempotency-Key; send the request without one");
            if (!ledger::is_valid_key(request.idempotency_key))
                return canonical::idempotency_key_invalid_problem(
                    "an Idempotency-Key is 1 to 255 printable ASCII characters");
            key = std::string(request.idempotency_key);
        } else if (route.idempotency == config::idempotency_mode::required) {
            return canonical::idempotency_key_required_problem(route.path);
        }
        return std::nullopt;
    }

    // With a ledger: recorded before any call, or answered from the record.
    net::awaitable<server::handler_reply> serve_recorded(const server::handler_request& request,
                                                         const mapping::compiled_config& loaded,
                                                         const mapping::route_plan& route,
                                                         const canonical::invite_request& invite,
                                                         mapping::dispatch_plan& plan, call_context& calls,
                                                         std::optional<std::string> key)
    {
        ledger::new_request record = describe_request(request.request_id, request.client->name, loaded.version,
                                                      std::move(key), invite, loaded.config.roles, route);
        // One commit records the request and the marks of everything it sends at once.
        mark_planned(record, plan);
        const auto begun = co_await await_ledger<ledger::begin_outcome>(
            [&](auto done) { ledger_->begin_request(std::move(record), std::move(done)); });
        if (!begun.ok()) {
            if (begun.error.code != ledger::errc::unavailable)
                telemetry::log(telemetry::log_level::error, "ledger_begin_failed",
                               {{"request_id", request.request_id}, {"message", begun.error.message}});
            co_return ledger_unavailable_reply(
                "the ledger could not record the request in time; nothing was sent, retry");
        }
        const ledger::begin_outcome& outcome = begun.value;
        switch (outcome.kind) {
        case ledger::begin_kind::replay: co_return replay_reply(*outcome.existing);
        // The key (or id) names a job: the same request again is answered with it, as
        // with Prefer: respond-async; nothing is sent.
        case ledger::begin_kind::job:
            co_return co_await existing_job_reply(outcome.existing->request.request_id, request.client->name);
        case ledger::begin_kind::in_progress:
            co_return in_progress_reply(outcome.existing ? outcome.existing->request.request_id : "");
        case ledger::begin_kind::mismatch: co_return problem_reply(canonical::idempotency_key_reused_problem());
        case ledger::begin_kind::duplicate_id:
            co_return problem_reply(canonical::request_id_in_use_problem(request.request_id));
        case ledger::begin_kind::claimed:
        case ledger::begin_kind::resumed: break;
        }
        // A resumed request keeps its own id: the reply, the log and the ledger agree.
        const std::string id = outcome.kind == ledger::begin_kind::resumed ? outcome.existing->request.request_id
                                                                           : std::string(request.request_id);
        calls.request_id = id;
        server::handler_reply reply;
        const bool resumed = outcome.kind == ledger::begin_kind::resumed;
        co_await send_and_complete(id, resumed ? &*outcome.existing : nullptr, !resumed, invite, route, plan, calls,
                                   reply);
        if (resumed)
            reply.request_id = id;
        co_return reply;
    }

    // Sends what is still to be sent of a recorded request, merges, stores the reply.
    net::awaitable<void> send_and_complete(const std::string& id, const ledger::request_with_items* existing,
                                           bool marked, const canonical::invite_request& invite,
                                           const mapping::route_plan& route, mapping::dispatch_plan& plan,
                                           call_context& calls, server::handler_reply& reply)
    {
        recorded_send recorded{*ledger_, id, existing, marked};
        std::vector<mapping::item_result> results;
        results.reserve(plan.immediate.size() + plan.items.size());
        const send_verdict verdict = co_await send_recorded(recorded, invite, plan, calls, results);
        if (verdict == send_verdict::lost_ownership) {
            reply = in_progress_reply(id);
            co_return;
        }
        if (verdict == send_verdict::ledger_unavailable) {
            reply = ledger_unavailable_reply("the ledger could not record the calls going out; nothing was sent, "
                                             "retry (with the same Idempotency-Key, if any)");
            co_return;
        }
        count_immediate(route, plan.immediate);
        finish_reply(id, invite, route, results, calls, reply);
        co_await complete_recorded(*ledger_, id, reply.status, reply.body);
    }

public:
    net::awaitable<std::optional<ledger::job_counts>> run_job(const ledger::job_claim& claim,
                                                              std::shared_ptr<const mapping::compiled_config> loaded,
                                                              ledger::job_counts& live) override
    {
        const std::string& id = claim.request.request_id;
        const mapping::route_plan* found_route = route_plan_of(*loaded, claim.request.route);
        if (!found_route)
            co_return co_await fail_pending(claim, "the job's route " + claim.request.route +
                                                       " is no longer configured; nothing was sent");
        const mapping::route_plan& route = *found_route;
        live = claim.counts;
        for (std::uint32_t first = 0;; first += job_chunk) {
            const auto state = co_await net::this_coro::cancellation_state;
            if (state.cancelled() != net::cancellation_type::none)
                co_return std::nullopt;
            auto loaded_items = co_await await_ledger<std::vector<ledger::item_record>>(
                [&](auto done) { ledger_->job_items(id, first, job_chunk, std::move(done)); });
            if (!loaded_items.ok())
                co_return std::nullopt; // the ledger is away: the job waits for its lease to run out
            if (loaded_items.value.empty())
                break;
            ledger::request_with_items chunk{claim.request, std::move(loaded_items.value)};
            if (std::none_of(chunk.items.begin(), chunk.items.end(),
                             [](const auto& item) { return item.status == ledger::item_status::pending; }))
                continue;
            // While the chunk runs, its pending items count as `sending` (the heartbeat may
            // store the counts meanwhile); once it is done, every item as it ended.
            const auto during = [](ledger::item_status s) {
                return s == ledger::item_status::pending ? ledger::item_status::sending : s;
            };
            for (auto& item : chunk.items) {
                count_item(live, item.status, -1);
                count_item(live, during(item.status), +1);
                item.invitation -= first;
            }
            std::vector<ledger::item_status> chunk_statuses;
            chunk_statuses.reserve(chunk.items.size());
            for (const auto& item : chunk.items)
                chunk_statuses.push_back(during(item.status));
            const canonical::invite_request invite = rebuild_and_settle(chunk, loaded->config.roles, route, first);
            std::unique_ptr<mapping::dispatch_plan> plan = take_plan();
            mapping::render_calls(invite, route, loaded->config.roles, *plan);
            std::string trace_id;
            // A chunk queues many calls per target behind max_in_flight: its deadline is
            // for the whole chunk, each call keeps its own target timeout.
            call_context calls = make_call_context(
                id, {}, std::chrono::steady_clock::now() + 10 * loaded->config.limits.request_timeout, loaded,
                trace_id);
            recorded_send recorded{*ledger_, id, &chunk, false, first, true};
            std::vector<mapping::item_result> results;
            results.reserve(chunk.items.size());
            const send_verdict verdict = co_await send_recorded(recorded, invite, *plan, calls, results);
            if (verdict == send_verdict::sent)
                count_immediate(route, plan->immediate);
            give_back(std::move(plan));
            if (verdict != send_verdict::sent)
                co_return std::nullopt;
            for (const ledger::item_status status : chunk_statuses)
                count_item(live, status, -1);
            for (const auto& result : results)
                count_item(live, ledger_status(result.status), +1);
            const auto progress = co_await await_ledger<ledger::done>(
                [&](auto done) { ledger_->job_progress(id, live, std::move(done)); });
            if (progress.error.code == ledger::errc::lost_ownership)
                co_return std::nullopt;
        }
        if (live.unknown > 0 && !co_await reconcile_job(id, route, live))
            co_return std::nullopt;
        co_return live;
    }

    // Once every call of a job has ended with some items unknown: waits until any call the
    // vendor may still be processing is past its deadline (every call started before now,
    // so now + the longest timeout of the targets concerned), then looks those items up
    // and records what the listings say, adjusting `live`. False when the job must be left
    // (stopping, the ledger away): whoever takes it up again reconciles it then.
    net::awaitable<bool> reconcile_job(const std::string& id, const mapping::route_plan& route,
                                       ledger::job_counts& live)
    {
        ledger::request_with_items unknown;
        unknown.request.request_id = id;
        for (std::uint32_t first = 0;; first += job_chunk) {
            auto items = co_await await_ledger<std::vector<ledger::item_record>>(
                [&](auto done) { ledger_->job_items(id, first, job_chunk, std::move(done)); });
            if (!items.ok())
                co_return false;
            if (items.value.empty())
                break;
            for (auto& item : items.value)
                if (item.status == ledger::item_status::unknown)
                    unknown.items.push_back(std::move(item));
        }
        if (!has_reconcilable_items(route, unknown))
            co_return true;
        std::chrono::milliseconds wait{0};
        for (const auto& item : unknown.items)
            if (item.target < route.targets.size() && route.targets[item.target]->has_lookup())
                wait = std::max(wait, route.targets[item.target]->timeout);
        net::steady_timer timer(co_await net::this_coro::executor, wait);
        co_await timer.async_wait(net::use_awaitable);
        const reconcile_result looked = co_await dispatch::reconcile(
            client_, route, unknown, std::chrono::steady_clock::now() + job_reconcile_budget);
        if (looked.settled.empty())
            co_return true;
        const auto recorded = co_await await_ledger<std::uint32_t>(
            [&](auto done) { ledger_->reconcile_items(id, looked.settled, std::move(done)); });
        if (!recorded.ok())
            co_return false;
        for (const auto& outcome : looked.settled) {
            --live.unknown;
            ++(outcome.status == ledger::item_status::invited ? live.invited : live.failed);
        }
        telemetry::log(telemetry::log_level::info, "job_reconciled",
                       {{"job_id", id},
                        {"looked_up", looked.looked_up},
                        {"settled", looked.settled.size()},
                        {"recorded", recorded.value}});
        co_return true;
    }

    // The route plan of a recorded request's route, or null when the config no longer has it.
    static const mapping::route_plan* route_plan_of(const mapping::compiled_config& loaded, std::string_view path)
    {
        const config::route_config* found = loaded.config.find_route(path);
        if (!found)
            return nullptr;
        return &loaded.mappings.routes[static_cast<std::size_t>(found - loaded.config.routes.data())];
    }

    // The canonical request a record stands for (a resumed request, or a job's chunk whose
    // invitations start at `offset` in the ledger). Its items the config can no longer
    // send are settled `failed`, in the record (so that they merge as such) and in the
    // ledger.
    canonical::invite_request rebuild_and_settle(ledger::request_with_items& record, std::span<const std::string> roles,
                                                 const mapping::route_plan& route, std::uint32_t offset)
    {
        std::vector<ledger::item_outcome> cannot_send;
        canonical::invite_request invite = rebuild_request(record, roles, route, cannot_send);
        if (cannot_send.empty())
            return invite;
        for (auto& outcome : cannot_send) {
            for (auto& item : record.items)
                if (item.invitation == outcome.invitation && item.target == outcome.target) {
                    item.status = outcome.status;
                    item.error_code = outcome.error_code;
                    item.message = outcome.message;
                }
            outcome.invitation += offset;
        }
        const std::string& id = record.request.request_id;
        ledger_->settle(id, std::move(cannot_send), log_if_failed("settle", id));
        return invite;
    }

    // Settles every pending item of a job that cannot be sent as failed (target_unavailable:
    // nothing was sent, a new request may be sent), so that the job completes and says so.
    net::awaitable<std::optional<ledger::job_counts>> fail_pending(const ledger::job_claim& claim, std::string why)
    {
        const std::string& id = claim.request.request_id;
        telemetry::log(telemetry::log_level::warn, "job_cannot_run", {{"job_id", id}, {"reason", why}});
        ledger::job_counts counts = claim.counts;
        for (std::uint32_t first = 0;; first += job_chunk) {
            auto items = co_await await_ledger<std::vector<ledger::item_record>>(
                [&](auto done) { ledger_->job_items(id, first, job_chunk, std::move(done)); });
            if (!items.ok())
                co_return std::nullopt;
            if (items.value.empty())
                break;
            std::vector<ledger::item_outcome> failed;
            for (const auto& item : items.value)
                if (item.status == ledger::item_status::pending) {
                    ledger::item_outcome& o = failed.emplace_back();
                    o.invitation = item.invitation;
                    o.target = item.target;
                    o.status = ledger::item_status::failed;
                    o.error_code = mapping::to_string(mapping::error_code::target_unavailable);
                    o.message = why;
                }
            if (failed.empty())
                continue;
            const auto settled = co_await await_ledger<ledger::done>(
                [&](auto done) { ledger_->settle(id, failed, std::move(done)); });
            if (!settled.ok())
                co_return std::nullopt;
            counts.pending -= static_cast<std::uint32_t>(failed.size());
            counts.failed += static_cast<std::uint32_t>(failed.size());
        }
        co_return counts;
    }

    // Finishes one request recovered at start (see recovery).
    net::awaitable<void> finish_recovered(std::string request_id,
                                          std::shared_ptr<const mapping::compiled_config> loaded)
    {
        const auto resumed = co_await await_ledger<ledger::begin_outcome>(
            [&](auto done) { ledger_->resume(request_id, std::move(done)); });
        if (!resumed.ok() || resumed.value.kind != ledger::begin_kind::resumed)
            co_return; // a client's retry (or another instance) has it, or the ledger is away
        ledger::request_with_items existing = *resumed.value.existing;
        const mapping::route_plan* found_route = route_plan_of(*loaded, existing.request.route);
        if (!found_route) {
            telemetry::log(telemetry::log_level::warn, "ledger_recovery_skipped",
                           {{"request_id", request_id},
                            {"route", existing.request.route},
                            {"reason", "the route is no longer configured; its pending items stay pending"}});
            ledger_->release(request_id, log_if_failed("release", request_id));
            co_return;
        }
        const mapping::route_plan& route = *found_route;
        const canonical::invite_request invite = rebuild_and_settle(existing, loaded->config.roles, route, 0);
        std::unique_ptr<mapping::dispatch_plan> plan = take_plan();
        mapping::render_calls(invite, route, loaded->config.roles, *plan);
        std::string trace_id;
        call_context calls = make_call_context(
            request_id, {}, std::chrono::steady_clock::now() + loaded->config.limits.request_timeout, loaded, trace_id);
        server::handler_reply reply;
        co_await send_and_complete(request_id, &existing, false, invite, route, *plan, calls, reply);
        give_back(std::move(plan));
        telemetry::log(telemetry::log_level::info, "ledger_request_recovered",
                       {{"request_id", request_id},
                        {"status", reply.status},
                        {"calls", calls.attempts},
                        {"invited", reply.stats.invited},
                        {"failed", reply.stats.failed},
                        {"unknown", reply.stats.unknown}});
    }

private:
    static server::handler_reply replay_reply(const ledger::request_with_items& existing)
    {
        server::handler_reply reply;
        const ledger::stored_reply& stored = existing.request.reply.value();
        reply.status = stored.status;
        reply.body = stored.body;
        for (const auto& header : stored.headers)
            if (boost::beast::iequals(header.name, "Content-Type"))
                reply.content_type = header.value;
        reply.headers.emplace_back("Idempotent-Replayed", "true");
        reply.request_id = existing.request.request_id;
        return reply;
    }

    static server::handler_reply in_progress_reply(std::string_view request_id)
    {
        server::handler_reply reply = problem_reply(canonical::idempotency_key_in_use_problem(request_id));
        reply.headers.emplace_back("Retry-After", "1");
        return reply;
    }

    static server::handler_reply ledger_unavailable_reply(std::string_view detail)
    {
        server::handler_reply reply = problem_reply(canonical::ledger_unavailable_problem(detail));
        reply.headers.emplace_back("Retry-After", "1");
        return reply;
    }

    // Results that needed no call are outcomes too (role_not_supported).
    void count_immediate(const mapping::route_plan& route, const std::vector<mapping::item_result>& immediate)
    {
        for (const auto& result : immediate)
            if (telemetry::target_metrics* cells = metrics_.get(route.target_names[result.target]))
                cells->results[static_cast<std::size_t>(result.status)][static_cast<std::size_t>(result.error)].add();
    }

    // Endpoints and header views are derived once per loaded config. A request holds
    // its own reference, so dropping an entry never pulls them from under it.
    std::shared_ptr<const target_routes> routes_for(const std::shared_ptr<const mapping::compiled_config>& loaded)
    {
        if (!older_.empty())
            forget_finished();
        if (current_ && current_->config == loaded)
            return current_;
        for (const auto& weak : older_)
            if (auto known = weak.lock(); known && known->config == loaded)
                return known;

        auto next = std::make_shared<target_routes>();
        next->config = loaded;
        for (const auto& target : loaded->mappings.targets) {
            target_route route;
            route.endpoint = upstream::endpoint{target.tls, target.host, target.port, target.ca_file};
            route.guard = guards_->get(loaded->config.targets[target.config_index]);
            for (const auto& header : target.headers)
                route.headers.push_back(upstream::header{header.name, header.value});
            next->routes.push_back(std::move(route));
        }
        // A config seen before the current one is a request that started before a reload
        // (a slow client, say): it is served, but does not take the current one's place.
        const bool older = std::any_of(older_configs_.begin(), older_configs_.end(), [&](const auto& seen) {
            return !seen.owner_before(loaded) && !loaded.owner_before(seen);
        });
        if (older) {
            older_.push_back(next);
        } else {
            if (current_) {
                older_.push_back(current_);
                older_configs_.push_back(current_->config);
            }
            current_ = next;
        }
        retain_endpoints();
        return next;
    }

    // Drops what no request uses any more; once an older config's routes are gone, so
    // are the upstream pools only it used.
    void forget_finished()
    {
        const std::size_t before = older_.size();
        std::erase_if(older_, [](const auto& weak) { return weak.expired(); });
        // An expired config can never come back: nothing holds it to route a request with.
        std::erase_if(older_configs_, [](const auto& weak) { return weak.expired(); });
        if (older_.size() != before)
            retain_endpoints();
    }

    void retain_endpoints()
    {
        std::vector<upstream::endpoint> in_use;
        const auto add = [&](const target_routes& routes) {
            for (const auto& route : routes.routes)
                if (std::find(in_use.begin(), in_use.end(), route.endpoint) == in_use.end())
                    in_use.push_back(route.endpoint);
        };
        if (current_)
            add(*current_);
        for (const auto& weak : older_)
            if (auto routes = weak.lock())
                add(*routes);
        client_.retain_only(in_use);
    }

    // Plans are reused so that rendering allocates nothing once buffers have grown;
    // several requests of this thread may be in flight, each with its own plan.
    std::unique_ptr<mapping::dispatch_plan> take_plan()
    {
        if (spare_plans_.empty())
            return std::make_unique<mapping::dispatch_plan>();
        auto plan = std::move(spare_plans_.back());
        spare_plans_.pop_back();
        return plan;
    }

    void give_back(std::unique_ptr<mapping::dispatch_plan> plan)
    {
        // Keep a few, and not one that grew huge for a single giant request.
        constexpr std::size_t max_spare = 16;
        constexpr std::size_t max_kept_bytes = 1 << 20;
        if (spare_plans_.size() < max_spare && plan->bodies.capacity() <= max_kept_bytes)
            spare_plans_.push_back(std::move(plan));
    }

    // Prefer: respond-async: records the job (queued) and answers 202 at once; the job
    // runners send it. The same key (or id) again answers with the same job.
    net::awaitable<server::handler_reply> accept_job(server::handler_request& request,
                                                     const std::shared_ptr<const mapping::compiled_config>& loaded,
                                                     const mapping::route_plan& route, std::optional<std::string> key)
    {
        const config::limits_config& limits = loaded->config.limits;
        auto parsed = parse_request(request, loaded->config, route, limits.max_async_invitations,
                                    limits.max_async_body_bytes);
        if (auto* problem = std::get_if<canonical::problem>(&parsed))
            co_return problem_reply(*problem);
        const canonical::invite_request& invite = std::get<canonical::invite_request>(parsed);
        ledger::new_request record = describe_request(request.request_id, request.client->name, loaded->version,
                                                      std::move(key), invite, loaded->config.roles, route);
        record.mode = ledger::request_mode::async;
        ledger::job_record job;
        job.request.request_id = record.request_id;
        job.request.client = record.client;
        job.request.route = record.route;
        job.request.state = ledger::request_state::queued;
        job.request.mode = ledger::request_mode::async;
        job.request.created_at = ledger::now();
        job.counts.total = job.counts.pending = static_cast<std::uint32_t>(record.items.size());
        const auto begun = co_await await_ledger<ledger::begin_outcome>(
            [&](auto done) { ledger_->begin_request(std::move(record), std::move(done)); });
        if (!begun.ok()) {
            if (begun.error.code != ledger::errc::unavailable)
                telemetry::log(telemetry::log_level::error, "ledger_begin_failed",
                               {{"request_id", request.request_id}, {"message", begun.error.message}});
            co_return ledger_unavailable_reply("the ledger could not record the job in time; nothing was sent, retry");
        }
        const ledger::begin_outcome& outcome = begun.value;
        switch (outcome.kind) {
        case ledger::begin_kind::claimed: break;
        case ledger::begin_kind::job:
            co_return co_await existing_job_reply(outcome.existing->request.request_id, request.client->name);
        // The key (or id) belongs to a synchronous request: answered as for one.
        case ledger::begin_kind::replay: co_return replay_reply(*outcome.existing);
        case ledger::begin_kind::resumed:
            // Left unfinished by a stopped process: the recovery (or a synchronous retry)
            // finishes it; it is not turned into a job.
            ledger_->release(outcome.existing->request.request_id,
                             log_if_failed("release", outcome.existing->request.request_id));
            co_return in_progress_reply(outcome.existing->request.request_id);
        case ledger::begin_kind::in_progress:
            co_return in_progress_reply(outcome.existing ? outcome.existing->request.request_id : "");
        case ledger::begin_kind::mismatch: co_return problem_reply(canonical::idempotency_key_reused_problem());
        case ledger::begin_kind::duplicate_id:
            co_return problem_reply(canonical::request_id_in_use_problem(request.request_id));
        }
        if (on_job_accepted_)
            on_job_accepted_();
        server::handler_reply reply = job_accepted_reply(job);
        reply.stats.invitations = invite.invitations.size();
        reply.stats.targets = invite.targets.size();
        co_return reply;
    }

    // The 202 again, for a job recorded earlier under the same key (or id).
    net::awaitable<server::handler_reply> existing_job_reply(const std::string& id, const std::string& client)
    {
        const auto found = co_await await_ledger<ledger::job_record>(
            [&](auto done) { ledger_->find_job(id, client, std::move(done)); });
        if (!found.ok())
            co_return ledger_unavailable_reply("the ledger did not answer in time; retry");
        server::handler_reply reply = job_accepted_reply(found.value);
        reply.headers.emplace_back("Idempotent-Replayed", "true");
        co_return reply;
    }

    static server::handler_reply job_accepted_reply(const ledger::job_record& job)
    {
        server::handler_reply reply;
        reply.status = 202;
        // Progress only: the results are GET /v1/jobs/{id}'s to page through.
        write_job_document(job, std::nullopt, std::nullopt, reply.body);
        reply.headers.emplace_back("Location", "/v1/jobs/" + job.request.request_id);
        reply.headers.emplace_back("Retry-After", "1");
        reply.headers.emplace_back("Preference-Applied", "respond-async");
        reply.request_id = job.request.request_id;
        return reply;
    }

    net::awaitable<server::handler_reply> lookup_job(server::lookup_request& request)
    {
        const auto cursor = parse_cursor(request.query);
        if (!cursor)
            co_return problem_reply(canonical::http_problem(
                400, "cursor must be the next_cursor of an earlier page (a number of invitations)"));
        const std::string id(request.recorded_id);
        const auto found = co_await await_ledger<ledger::job_record>(
            [&](auto done) { ledger_->find_job(id, request.client->name, std::move(done)); });
        if (found.error.code == ledger::errc::not_found)
            co_return co_await invite_handler::lookup(request);
        if (!found.ok())
            co_return ledger_unavailable_reply("the ledger did not answer in time; retry");
        std::vector<ledger::item_record> page;
        std::optional<std::uint32_t> next;
        if (found.value.request.state == ledger::request_state::completed) {
            auto items = co_await await_ledger<std::vector<ledger::item_record>>(
                [&](auto done) { ledger_->job_items(id, *cursor, job_page, std::move(done)); });
            if (!items.ok())
                co_return ledger_unavailable_reply("the ledger did not answer in time; retry");
            page = std::move(items.value);
            if (page.empty() && *cursor > 0)
                co_return problem_reply(canonical::http_problem(400, "cursor is past the job's last page"));
            // Every invitation has one item per selected target.
            const auto targets = static_cast<std::uint32_t>(
                std::count_if(page.begin(), page.end(),
                              [&](const auto& item) { return item.invitation == page.front().invitation; }));
            const std::uint32_t invitations = targets ? found.value.counts.total / targets : 0;
            if (std::uint64_t{*cursor} + job_page < invitations)
                next = *cursor + job_page;
        }
        server::handler_reply reply;
        write_job_document(found.value, page, next, reply.body);
        co_return reply;
    }

    upstream::client client_;
    canonical::request_parser parser_;
    mapping::reply_mapper mapper_;
    retry_policy retries_;
    target_cells metrics_;
    ledger::store* ledger_;
    std::function<void()> on_job_accepted_;
    std::shared_ptr<resilience::target_guards> guards_; // process-wide, by target name
    std::shared_ptr<const target_routes> current_;          // for the newest config this worker has seen
    std::vector<std::weak_ptr<const target_routes>> older_; // older configs', while requests use them
    std::vector<std::weak_ptr<const mapping::compiled_config>> older_configs_; // to tell an old config from a new one
    std::vector<std::unique_ptr<mapping::dispatch_plan>> spare_plans_;
};

} // namespace

struct recovery::impl {
    net::io_context ioc{1};
    net::cancellation_signal cancel;
    std::atomic<bool> finished{false};
    std::thread thread;
};

namespace {

net::awaitable<void> finish_all(invite_pipeline& pipeline, std::vector<ledger::request_with_items> requests,
                                std::shared_ptr<const mapping::compiled_config> config)
{
    for (const auto& request : requests) {
        const auto state = co_await net::this_coro::cancellation_state;
        if (state.cancelled() != net::cancellation_type::none)
            co_return;
        co_await pipeline.finish_recovered(request.request.request_id, config);
    }
}

} // namespace

recovery::recovery(std::vector<ledger::request_with_items> requests,
                   std::shared_ptr<const mapping::compiled_config> config, pipeline_options options)
    : impl_(std::make_unique<impl>())
{
    impl* self = impl_.get();
    self->thread = std::thread([self, requests = std::move(requests), config = std::move(config), options]() mutable {
        auto pipeline = std::make_unique<invite_pipeline>(self->ioc.get_executor(), options);
        net::co_spawn(
            self->ioc, finish_all(*pipeline, std::move(requests), std::move(config)),
            net::bind_cancellation_slot(self->cancel.slot(), [self, &pipeline](std::exception_ptr e) {
                if (e) {
                    try {
                        std::rethrow_exception(e);
                    } catch (const std::exception& error) {
                        telemetry::log(telemetry::log_level::error, "ledger_recovery_failed", {{"what", error.what()}});
                    } catch (...) {
                    }
                }
                // On this thread, with the loop still running: its pools close.
                pipeline.reset();
                self->finished = true;
            }));
        self->ioc.run();
    });
}

recovery::~recovery()
{
    net::post(impl_->ioc, [self = impl_.get()] { self->cancel.emit(net::cancellation_type::terminal); });
    impl_->thread.join();
}

bool recovery::finished() const noexcept { return impl_->finished.load(); }

std::unique_ptr<job_executor> make_job_executor(net::any_io_executor executor, pipeline_options options)
{
    return std::make_unique<invite_pipeline>(std::move(executor), std::move(options));
}

server::handler_factory make_pipeline_factory(pipeline_options options)
{
    if (!options.guards)
        options.guards = std::make_shared<resilience::target_guards>();
    return [options](net::any_io_executor executor) {
        return std::unique_ptr<server::invite_handler>(new invite_pipeline(std::move(executor), options));
    };
}

} // namespace igw::dispatch

#pragma GCC diagnostic pop
