#include "gateway/dispatch/invite_pipeline.hpp"

#include "gateway/canonical/request_parser.hpp"
#include "gateway/dispatch/dry_run.hpp"
#include "gateway/dispatch/merge.hpp"
#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/reply_mapper.hpp"

#include <boost/asio/this_coro.hpp>

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

// What a worker derives from one config generation.
struct config_snapshot {
    std::shared_ptr<const mapping::compiled_config> config;
    std::vector<target_route> routes; // by config target index; views into `config`
};

class invite_pipeline final : public server::invite_handler {
public:
    invite_pipeline(net::any_io_executor executor, std::shared_ptr<config_source> configs, pipeline_options options)
        : configs_(std::move(configs)), client_(executor, options.upstream), retries_(options.retries)
    {
    }

    net::awaitable<server::handler_reply> handle(server::handler_request& request) override
    {
        // Held for the whole request: a reload meanwhile does not change what it sees.
        const std::shared_ptr<const config_snapshot> snapshot = current_snapshot();
        const mapping::compiled_config& loaded = *snapshot->config;
        if (request.route_index >= loaded.mappings.routes.size())
            co_return problem_reply(canonical::not_found_problem(request.target));
        const mapping::route_plan& route = loaded.mappings.routes[request.route_index];

        const canonical::validation_context context{loaded.config.roles, route.target_names,
                                                    loaded.config.limits.max_invitations,
                                                    loaded.config.limits.max_body_bytes};
        auto parsed = parser_.parse(request.body, context);
        if (auto* problem = std::get_if<canonical::problem>(&parsed))
            co_return problem_reply(*problem);
        const canonical::invite_request& invite = std::get<canonical::invite_request>(parsed);

        std::unique_ptr<mapping::dispatch_plan> plan = take_plan();
        mapping::render_calls(invite, route, loaded.config.roles, *plan);

        server::handler_reply reply;
        if (wants_dry_run(request.target)) {
            write_dry_run(request.request_id, invite, route, *plan, reply.body);
            give_back(std::move(plan));
            co_return reply;
        }

        std::vector<mapping::item_result> results = plan->immediate;
        results.reserve(plan->immediate.size() + plan->items.size());
        fan_out_stats stats;
        co_await run_calls(invite, *plan, snapshot->routes, client_, mapper_, request.deadline, retries_, results,
                           stats);
        const merge_summary summary = write_merged_reply(request.request_id, invite, route, results, reply.body);
        reply.status = summary.status;
        give_back(std::move(plan));
        co_return reply;
    }

private:
    std::shared_ptr<const config_snapshot> current_snapshot()
    {
        const std::uint64_t generation = configs_->generation();
        if (!snapshot_ || generation != generation_) {
            auto next = std::make_shared<config_snapshot>();
            next->config = configs_->current();
            for (const auto& target : next->config->mappings.targets) {
                target_route route;
                route.endpoint = upstream::endpoint{target.tls, target.host, target.port, target.ca_file};
                for (const auto& header : target.headers)
                    route.headers.push_back(upstream::header{header.name, header.value});
                next->routes.push_back(std::move(route));
            }
            snapshot_ = std::move(next);
            generation_ = generation;
        }
        return snapshot_;
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

    std::shared_ptr<config_source> configs_;
    std::shared_ptr<const config_snapshot> snapshot_;
    std::uint64_t generation_ = 0;
    upstream::client client_;
    canonical::request_parser parser_;
    mapping::reply_mapper mapper_;
    retry_policy retries_;
    std::vector<std::unique_ptr<mapping::dispatch_plan>> spare_plans_;
};

} // namespace

server::handler_factory make_pipeline_factory(std::shared_ptr<config_source> configs, pipeline_options options)
{
    return [configs = std::move(configs), options](net::any_io_executor executor) {
        return std::unique_ptr<server::invite_handler>(new invite_pipeline(std::move(executor), configs, options));
    };
}

} // namespace igw::dispatch
