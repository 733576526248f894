#include "gateway/dispatch/fan_out.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <iostream>
#include <random>

namespace igw::dispatch {
namespace {

namespace net = boost::asio;
using clock = std::chrono::steady_clock;
using mapping::error_code;
using mapping::item_status;

std::chrono::milliseconds jittered(std::chrono::milliseconds delay)
{
    // Up to +25%, so clients rate-limited together do not retry in lockstep.
    thread_local std::minstd_rand random{std::random_device{}()};
    std::uniform_int_distribution<long> extra(0, delay.count() / 4);
    return delay + std::chrono::milliseconds(extra(random));
}

void record_failure(const upstream::response& reply, const mapping::dispatch_plan& plan,
                    const mapping::upstream_call& call, std::vector<mapping::item_result>& results)
{
    const std::string& target = call.target->name;
    item_status status = item_status::unknown;
    error_code code = error_code::upstream_error;
    std::string message;
    switch (reply.error) {
    case upstream::failure::connect_failed:
        status = item_status::failed;
        code = error_code::upstream_unreachable;
        message = "could not reach target " + target + ": " + reply.message;
        break;
    case upstream::failure::timeout_before_send:
        status = item_status::failed;
        code = error_code::upstream_timeout;
        message = "target " + target + " timed out before the call was sent: " + reply.message;
        break;
    case upstream::failure::timeout_after_send:
        code = error_code::upstream_timeout;
        message = "target " + target + " did not reply in time: " + reply.message;
        break;
    case upstream::failure::connection_lost:
        code = error_code::upstream_error;
        message = "target " + target + " closed the connection before replying: " + reply.message;
        break;
    case upstream::failure::bad_reply:
        code = error_code::bad_upstream_response;
        message = "unreadable reply from target " + target + ": " + reply.message;
        break;
    case upstream::failure::invalid_request:
        status = item_status::failed;
        code = error_code::upstream_error;
        message = "the call to target " + target + " could not be sent: " + reply.message;
        break;
    case upstream::failure::none: break;
    }
    mapping::fail_call(plan, call, status, code, 0, message, results);
}

bool worth_retrying(const upstream::response& reply)
{
    if (reply.error != upstream::failure::none)
        return false; // transport failures after sending may have created the invite
    // 429 never processed the call; 503 with Retry-After says so and when to come back.
    return reply.status == 429 || (reply.status == 503 && !reply.retry_after.empty());
}

net::awaitable<void> run_call(const canonical::invite_request& request, const mapping::dispatch_plan& plan,
                              const mapping::upstream_call& call, const target_route& route,
                              upstream::client& client, mapping::reply_mapper& mapper, clock::time_point deadline,
                              const retry_policy& policy, std::vector<mapping::item_result>& results,
                              fan_out_stats& stats)
{
    const mapping::target_plan& target = *call.target;
    const upstream::request outgoing{target.method, target.target, route.headers, plan.body_of(call)};
    upstream::response reply;
    for (unsigned attempt = 1;; ++attempt) {
        const clock::time_point attempt_deadline = std::min(deadline, clock::now() + target.timeout);
        reply = co_await client.send(route.endpoint, outgoing, attempt_deadline, target.max_in_flight);
        if (attempt >= policy.max_attempts || !worth_retrying(reply))
            break;
        const std::optional<std::chrono::milliseconds> asked = parse_retry_after(reply.retry_after);
        // The vendor's own Retry-After is a floor, not a hint: coming back earlier than it
        // asked would only be refused again. Longer than we are willing to wait, and the
        // reply we have is the answer.
        if (asked && *asked > policy.max_backoff)
            break;
        std::chrono::milliseconds delay =
            asked.value_or(std::min(policy.max_backoff, policy.base_backoff * (1u << (attempt - 1))));
        delay = jittered(delay);
        if (clock::now() + delay >= deadline)
            break; // the reply we have is the answer
        net::steady_timer timer(co_await net::this_coro::executor);
        timer.expires_after(delay);
        co_await timer.async_wait(net::as_tuple(net::use_awaitable));
        ++stats.retries;
    }
    if (reply.error != upstream::failure::none)
        record_failure(reply, plan, call, results);
    else
        mapper.map_reply(request, plan, call, reply.status, reply.body, results);
}

} // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value)
{
    while (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ')
        value.remove_suffix(1);
    unsigned long seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size() || seconds > 86'400)
        return std::nullopt;
    return std::chrono::milliseconds(seconds * 1000);
}

net::awaitable<void> run_calls(const canonical::invite_request& request, const mapping::dispatch_plan& plan,
                               const std::vector<target_route>& routes, upstream::client& client,
                               mapping::reply_mapper& mapper, clock::time_point deadline, const retry_policy& policy,
                               std::vector<mapping::item_result>& results, fan_out_stats& stats)
{
    stats.calls += static_cast<unsigned>(plan.calls.size());
    if (plan.calls.empty())
        co_return;
    const auto executor = co_await net::this_coro::executor;
    if (plan.calls.size() == 1) {
        const auto& call = plan.calls.front();
        co_await run_call(request, plan, call, routes[call.target->config_index], client, mapper, deadline, policy,
                          results, stats);
        co_return;
    }
    using operation = decltype(net::co_spawn(executor, net::awaitable<void>{}, net::deferred));
    std::vector<operation> operations;
    operations.reserve(plan.calls.size());
    for (const auto& call : plan.calls)
        operations.push_back(net::co_spawn(executor,
                                           run_call(request, plan, call, routes[call.target->config_index], client,
                                                    mapper, deadline, policy, results, stats),
                                           net::deferred));
    // The group forwards cancellation to every call and completes only once all have,
    // so nothing outlives the data it refers to.
    auto [order, exceptions] = co_await net::experimental::make_parallel_group(std::move(operations))
                                   .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
    for (std::size_t i = 0; i < exceptions.size(); ++i) {
        if (!exceptions[i])
            continue;
        // A bug, not a network condition: the call's items stay `unknown` (the merge
        // fills in every missing result) and the cause is logged.
        try {
            std::rethrow_exception(exceptions[i]);
        } catch (const std::exception& e) {
            std::cerr << "invitegw: call to target " << plan.calls[i].target->name << " failed: " << e.what() << "\n";
        } catch (...) {
            std::cerr << "invitegw: call to target " << plan.calls[i].target->name << " failed: unknown exception\n";
        }
    }
}

} // namespace igw::dispatch
