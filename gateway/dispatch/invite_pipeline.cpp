#include "gateway/dispatch/invite_pipeline.hpp"

#include "gateway/canonical/request_parser.hpp"
#include "gateway/dispatch/dry_run.hpp"
#include "gateway/dispatch/merge.hpp"
#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/reply_mapper.hpp"

#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <memory>
#include <vector>

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
    std::vector<target_route> routes; // by config target index; views into `config`
};

class invite_pipeline final : public server::invite_handler {
public:
    invite_pipeline(net::any_io_executor executor, pipeline_options options)
        : client_(executor, options.upstream), retries_(options.retries), metrics_(options.metrics)
    {
    }

    net::awaitable<server::handler_reply> handle(server::handler_request& request) override
    {
        // Held for the whole request: a reload meanwhile does not change what it sees.
        const std::shared_ptr<const mapping::compiled_config> loaded = request.config;
        if (!loaded || request.route_index >= loaded->mappings.routes.size())
            co_return problem_reply(canonical::not_found_problem(request.target));
        const mapping::route_plan& route = loaded->mappings.routes[request.route_index];

        const canonical::validation_context context{loaded->config.roles, route.target_names,
                                                    loaded->config.limits.max_invitations,
                                                    loaded->config.limits.max_body_bytes};
        auto parsed = parser_.parse(request.body, context);
        if (auto* problem = std::get_if<canonical::problem>(&parsed))
            co_return problem_reply(*problem);
        const canonical::invite_request& invite = std::get<canonical::invite_request>(parsed);

        std::unique_ptr<mapping::dispatch_plan> plan = take_plan();
        mapping::render_calls(invite, route, loaded->config.roles, *plan);

        server::handler_reply reply;
        reply.stats.invitations = invite.invitations.size();
        reply.stats.targets = invite.targets.size();
        if (wants_dry_run(request.target)) {
            write_dry_run(request.request_id, invite, route, *plan, reply.body);
            give_back(std::move(plan));
            co_return reply;
        }

        // Vendors see the client's trace, or a new one.
        const auto client_trace = trace_id_of(request.traceparent);
        reply.stats.trace_id = client_trace ? std::string(*client_trace) : new_trace_id();

        std::vector<mapping::item_result> results = plan->immediate;
        results.reserve(plan->immediate.size() + plan->items.size());
        call_context calls;
        calls.request_id = request.request_id;
        calls.trace_id = reply.stats.trace_id;
        if (client_trace)
            calls.trace_flags = trace_flags_of(request.traceparent);
        const std::shared_ptr<const target_routes> routes = routes_for(loaded);
        calls.routes = &routes->routes;
        calls.client = &client_;
        calls.mapper = &mapper_;
        calls.metrics = &metrics_;
        calls.retries = retries_;
        calls.deadline = request.deadline;
        co_await run_calls(invite, *plan, calls, results);
        count_immediate(route, plan->immediate);

        const merge_summary summary = write_merged_reply(request.request_id, invite, route, results, reply.body);
        reply.status = summary.status;
        reply.stats.calls = calls.attempts;
        reply.stats.invited = summary.invited;
        reply.stats.failed = summary.failed;
        reply.stats.unknown = summary.unknown;
        give_back(std::move(plan));
        co_return reply;
    }

private:
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

    upstream::client client_;
    canonical::request_parser parser_;
    mapping::reply_mapper mapper_;
    retry_policy retries_;
    target_cells metrics_;
    std::shared_ptr<const target_routes> current_; // for the newest config this worker has seen
    std::vector<std::weak_ptr<const target_routes>> older_; // older configs', while requests use them
    std::vector<std::weak_ptr<const mapping::compiled_config>> older_configs_; // to tell an old config from a new one
    std::vector<std::unique_ptr<mapping::dispatch_plan>> spare_plans_;
};

} // namespace

server::handler_factory make_pipeline_factory(pipeline_options options)
{
    return [options](net::any_io_executor executor) {
        return std::unique_ptr<server::invite_handler>(new invite_pipeline(std::move(executor), options));
    };
}

} // namespace igw::dispatch
