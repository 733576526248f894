#include "gateway/dispatch/fan_out.hpp"

#include "gateway/mapping/outcome.hpp"
#include "gateway/telemetry/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <random>
#include <span>
#include <utility>

namespace igw::dispatch {
namespace {

namespace net = boost::asio;
using clock = std::chrono::steady_clock;
using mapping::item_status;

std::minstd_rand& random_engine();

// The pool cap of a call whose target's guard already holds it to max_in_flight: targets
// sharing an endpoint then never share each other's limit.
constexpr unsigned unbounded_pool = 1u << 16;

// A log line stays one short line whatever a failure's detail holds.
constexpr std::size_t max_detail_bytes = 1024;

std::chrono::milliseconds jittered(std::chrono::milliseconds delay)
{
    // Up to +25%, so clients rate-limited together do not retry in lockstep.
    std::uniform_int_distribution<long> extra(0, delay.count() / 4);
    return delay + std::chrono::milliseconds(extra(random_engine()));
}

// Items of a call that got no usable reply. Clients get a short, stable message that
// names the target only (mapping/outcome.hpp): the upstream client's detail (hosts,
// ports, files, resolver, TLS library errors) is for operators, and goes to the
// upstream_call_failed log line.
void record_failure(const upstream::response& reply, const mapping::dispatch_plan& plan,
                    const mapping::upstream_call& call, std::vector<mapping::item_result>& results)
{
    // The status when a whole reply header arrived before the failure (a body over the
    // limit, a connection lost mid-body), as the log line reports it too.
    mapping::fail_call(plan, call, mapping::outcome_of_transport_failure(reply.error, reply.step, call.target->name),
                       reply.status, results);
}

bool worth_retrying(const upstream::response& reply)
{
    if (reply.error != upstream::failure::none)
        return false; // transport failures after sending may have created the invite
    // 429 never processed the call; 503 with Retry-After says so and when to come back.
    return reply.status == 429 || (reply.status == 503 && !reply.retry_after.empty());
}

std::minstd_rand& random_engine()
{
    thread_local std::minstd_rand random{std::random_device{}()};
    return random;
}

// Random lower-case hex digits (trace and span ids, delivery ids): sixteen from each 64-bit
// draw, not one draw per digit.
void append_hex(std::string& out, std::size_t digits)
{
    thread_local std::mt19937_64 engine{(std::uint64_t{std::random_device{}()} << 32) | std::random_device{}()};
    static constexpr char hex[] = "0123456789abcdef";
    while (digits > 0) {
        std::uint64_t bits = engine();
        for (int i = 0; i < 16 && digits > 0; ++i, --digits, bits >>= 4)
            out.push_back(hex[bits & 0xF]);
    }
}

bool is_lower_hex(std::string_view text)
{
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Upstream headers of one call: the target's, plus this call's traceparent. Kept in
// the coroutine frame, so a call allocates nothing for them.
class call_headers {
public:
    call_headers(const std::vector<upstream::header>& base, std::string_view traceparent)
    {
        if (base.size() < inline_.size()) {
            std::copy(base.begin(), base.end(), inline_.begin());
            inline_[base.size()] = upstream::header{"traceparent", traceparent};
            view_ = {inline_.data(), base.size() + 1};
        } else {
            spill_.assign(base.begin(), base.end());
            spill_.push_back(upstream::header{"traceparent", traceparent});
            view_ = spill_;
        }
    }
    std::span<const upstream::header> view() const noexcept { return view_; }

private:
    std::array<upstream::header, 24> inline_{};
    std::vector<upstream::header> spill_;
    std::span<const upstream::header> view_;
};

// GCC 12 at -O2 pairs these coroutines' frame allocation (Asio's awaitable_frame_base
// operator new) with the wrong delete and warns; both are Asio's matching pair (a known
// GCC coroutine false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// What the attempts of one call ended with.
struct attempts_result {
    upstream::response reply;
    unsigned attempts = 0; // attempts sent
    // Set when the vendor asked for a wait the gateway will not make: the reply it has
    // is the answer, and the client learns when the vendor will take calls again.
    std::optional<std::chrono::seconds> not_waited;
    // Set when the target's guard kept the call from being sent at all.
    std::optional<resilience::admission> refused;
};

// What the circuit breaker counts against a target: it did not answer, or answered 5xx.
bool breaker_failure(const upstream::response& reply)
{
    if (reply.error == upstream::failure::invalid_request)
        return false; // the gateway's own request could not be written: not the vendor's fault
    return reply.error != upstream::failure::none || reply.status >= 500;
}

// Waits for an admitted call's slot. False when the wait was cancelled (shutdown).
net::awaitable<bool> wait_for_slot(clock::time_point send_at)
{
    if (send_at <= clock::now())
        co_return true;
    net::steady_timer timer(co_await net::this_coro::executor);
    timer.expires_at(send_at);
    auto [waited] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    co_return !waited;
}

// One of a target's in-flight slots, given back when it goes out of scope.
class held_slot {
public:
    explicit held_slot(resilience::target_guard* guard = nullptr) : guard_(guard) {}
    held_slot(held_slot&& other) noexcept : guard_(std::exchange(other.guard_, nullptr)) {}
    held_slot& operator=(held_slot&& other) noexcept
    {
        reset();
        guard_ = std::exchange(other.guard_, nullptr);
        return *this;
    }
    ~held_slot() { reset(); }
    explicit operator bool() const noexcept { return guard_ != nullptr; }
    void reset()
    {
        if (guard_)
            std::exchange(guard_, nullptr)->release();
    }

private:
    resilience::target_guard* guard_;
};

// Waits, until `deadline`, for one of the target's max_in_flight slots, which every worker
// thread's calls share. An empty slot when none freed up in time (or on cancellation).
net::awaitable<held_slot> take_slot(resilience::target_guard& guard, clock::time_point deadline)
{
    const auto executor = co_await net::this_coro::executor;
    net::steady_timer timer(executor);
    // The wake-up runs on this thread, and finds the timer through `link`, which this frame
    // empties on its way out (on this thread too): a wake-up posted by a release that raced
    // with the end of the wait then touches nothing. (The waiter itself may outlive the
    // frame, held by the releasing thread, so it cannot tell.)
    auto link = std::make_shared<net::steady_timer*>(&timer);
    struct unlink_on_exit {
        std::shared_ptr<net::steady_timer*> link;
        ~unlink_on_exit() { *link = nullptr; }
    } unlink{link};
    auto waiter = std::make_shared<resilience::slot_waiter>();
    waiter->wake = [executor, link] {
        net::post(executor, [link] {
            if (*link)
                (*link)->cancel();
        });
    };
    if (guard.acquire(waiter))
        co_return held_slot(&guard);
    timer.expires_at(deadline);
    co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    // Granted meanwhile (or right as the wait ended): the slot is this call's.
    if (guard.withdraw(waiter))
        co_return held_slot(&guard);
    co_return held_slot();
}

// Sends `outgoing`, again after a 429 (or a 503 with Retry-After) while the retry
// policy and the deadline allow. The target's guard admits every attempt; a first
// attempt it refuses is never sent (attempts_result::refused).
net::awaitable<attempts_result> send_with_retries(const mapping::target_plan& target, const target_route& route,
                                                  const upstream::request& outgoing, call_context& context)
{
    attempts_result out;
    for (;;) {
        resilience::admission admitted;
        if (route.guard) {
            admitted = route.guard->admit(clock::now(), context.deadline);
            if (admitted.decision != resilience::admission::verdict::send) {
                if (out.attempts == 0)
                    out.refused = admitted;
                break; // a retry refused: the reply we have is the answer
            }
            if (!co_await wait_for_slot(admitted.send_at)) {
                route.guard->abandon(admitted);
                if (out.attempts == 0) {
                    out.reply.error = upstream::failure::timeout_before_send;
                    out.reply.message = "cancelled while waiting for the target's rate budget";
                }
                break;
            }
        }
        // The target's max_in_flight holds across worker threads; the pool then never binds.
        held_slot slot;
        if (route.guard) {
            slot = co_await take_slot(*route.guard, std::min(context.deadline, clock::now() + target.timeout));
            if (!slot) {
                route.guard->abandon(admitted);
                if (out.attempts == 0) {
                    out.reply.error = upstream::failure::timeout_before_send;
                    out.reply.message = "no in-flight slot of the target freed up before the deadline";
                }
                break;
            }
        }
        ++out.attempts;
        const clock::time_point attempt_deadline = std::min(context.deadline, clock::now() + target.timeout);
        out.reply = co_await context.client->send(route.endpoint, outgoing, attempt_deadline,
                                                  route.guard ? unbounded_pool : target.max_in_flight);
        slot.reset();
        if (route.guard) {
            const auto state = co_await net::this_coro::cancellation_state;
            if (state.cancelled() != net::cancellation_type::none)
                route.guard->abandon(admitted); // cut by a shutdown: says nothing of the vendor
            else
                route.guard->record(admitted, breaker_failure(out.reply), clock::now());
        }
        if (!worth_retrying(out.reply))
            break;
        const std::optional<std::chrono::seconds> asked = parse_retry_after(out.reply.retry_after);
        std::chrono::milliseconds delay = asked ? std::chrono::milliseconds(*asked)
                                                : std::min(context.retries.max_backoff,
                                                           context.retries.base_backoff * (1u << (out.attempts - 1)));
        // The vendor is refusing calls: every request holds back, not only this one.
        if (route.guard)
            route.guard->pause(clock::now(), clock::now() + delay);
        // The vendor's own Retry-After is a floor, not a hint: coming back earlier than it
        // asked would only be refused again.
        if (asked && *asked > context.retries.max_backoff) {
            out.not_waited = asked;
            break;
        }
        if (out.attempts >= context.retries.max_attempts)
            break;
        delay = jittered(delay);
        if (clock::now() + delay >= context.deadline) {
            out.not_waited = asked;
            break; // the reply we have is the answer
        }
        net::steady_timer timer(co_await net::this_coro::executor);
        timer.expires_after(delay);
        auto [waited] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
        if (waited)
            break; // cancelled (shutdown past its grace): the reply we have is the answer
    }
    co_return out;
}

// Counts the call and its items' outcomes, and logs a call whose items did not all
// succeed. `first_result` is where the call's results start in `results`.
void report_call(const mapping::upstream_call& call, const target_route& route, const attempts_result& sent,
                 clock::duration elapsed, call_context& context, const std::vector<mapping::item_result>& results,
                 std::size_t first_result)
{
    const mapping::target_plan& target = *call.target;
    const upstream::response& reply = sent.reply;
    const unsigned attempt = sent.attempts;
    if (telemetry::target_metrics* cells = context.metrics ? context.metrics->get(target.name) : nullptr) {
        cells->calls.add(attempt);
        if (attempt > 1)
            cells->retries.add(attempt - 1);
        cells->call_duration.observe(elapsed);
        for (std::size_t i = first_result; i < results.size(); ++i)
            cells->results[static_cast<std::size_t>(results[i].status)][static_cast<std::size_t>(results[i].error)]
                .add();
        const auto pool = context.client->stats(route.endpoint);
        cells->open_connections.set(static_cast<std::int64_t>(pool.open));
        cells->idle_connections.set(static_cast<std::int64_t>(pool.idle));
    }
    if (sent.refused)
        return; // never sent: counted in the guard's metrics, and its transitions are logged
    const bool failed = reply.error != upstream::failure::none ||
                        (first_result < results.size() && results[first_result].status != item_status::invited);
    if (failed && first_result < results.size() && telemetry::log_enabled(telemetry::log_level::warn)) {
        // The line reports what the call's items report: one source for both.
        const mapping::item_result& sample = results[first_result];
        // The client's own words, which may quote what a vendor sent (a redirect's
        // target, a certificate's names): held to the same redaction as replies.
        const std::string detail = target.redact(reply.message, max_detail_bytes);
        telemetry::log(telemetry::log_level::warn, "upstream_call_failed",
                       {{"request_id", context.request_id},
                        {"target", target.name},
                        {"upstream_status", sample.upstream_status},
                        {"outcome", mapping::to_string(sample.status)},
                        {"error", mapping::to_string(sample.error)},
                        {"transport", upstream::to_string(reply.error)},
                        {"detail", detail},
                        {"items", call.item_count},
                        {"attempts", attempt},
                        {"duration_ms", std::chrono::duration<double, std::milli>(elapsed).count()},
                        {"trace_id", context.trace_id}});
    }
}

net::awaitable<void> run_call(const canonical::invite_request& request, const mapping::dispatch_plan& plan,
                              const mapping::upstream_call& call, call_context& context,
                              std::vector<mapping::item_result>& results)
{
    const mapping::target_plan& target = *call.target;
    const target_route& route = (*context.routes)[target.config_index];
    std::string traceparent = "00-";
    traceparent.append(context.trace_id).push_back('-');
    append_hex(traceparent, 16); // this call's span
    traceparent.push_back('-');
    traceparent.append(context.trace_flags);
    const call_headers headers(route.headers, traceparent);
    const upstream::request outgoing{target.method, target.target, headers.view(), plan.body_of(call)};

    const auto started = clock::now();
    attempts_result sent = co_await send_with_retries(target, route, outgoing, context);
    const auto elapsed = clock::now() - started;
    context.attempts += sent.attempts;

    const std::size_t first_result = results.size();
    if (sent.refused) {
        // Nothing was sent: the client may retry at once, or once the target is back.
        std::optional<std::chrono::seconds> retry_in;
        if (sent.refused->until)
            retry_in = std::chrono::ceil<std::chrono::seconds>(*sent.refused->until - clock::now());
        mapping::fail_call(plan, call,
                           sent.refused->decision == resilience::admission::verdict::ejected
                               ? mapping::outcome_of_open_circuit(target.name, retry_in)
                               : mapping::outcome_of_rate_budget(target.name, retry_in),
                           0, results);
    } else if (sent.reply.error != upstream::failure::none) {
        record_failure(sent.reply, plan, call, results);
        // Cut by a shutdown past its grace period: what may have reached the vendor is
        // `interrupted`, as after a crash, and the reply still goes out with it.
        const auto state = co_await net::this_coro::cancellation_state;
        if (state.cancelled() != net::cancellation_type::none)
            for (std::size_t i = first_result; i < results.size(); ++i)
                if (results[i].status == mapping::item_status::unknown) {
                    results[i].error = mapping::error_code::interrupted;
                    results[i].message = "the gateway was stopping (past its shutdown grace period) while this call "
                                         "was in flight; the vendor may have created the invitation";
                }
    } else
        context.mapper->map_reply(request, plan, call, sent.reply.status, sent.reply.body, results);
    if (sent.not_waited) {
        const std::string message = mapping::retry_not_waited_message(sent.reply.status, target.name, *sent.not_waited);
        for (std::size_t i = first_result; i < results.size(); ++i)
            results[i].message = message;
    }
    report_call(call, route, sent, elapsed, context, results, first_result);
    if (context.on_results)
        context.on_results(std::span<const mapping::item_result>(results).subspan(first_result));
}

// One call, with the contract of run_calls: a bug leaves its items without results (the
// merge reports them `unknown`) and is logged, never thrown.
net::awaitable<void> run_call_guarded(const canonical::invite_request& request, const mapping::dispatch_plan& plan,
                                      const mapping::upstream_call& call, call_context& context,
                                      std::vector<mapping::item_result>& results)
{
    std::string what;
    try {
        co_await run_call(request, plan, call, context, results);
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
        what = "an exception that is not a std::exception";
    }
    if (!what.empty())
        telemetry::log(telemetry::log_level::error, "call_crashed",
                       {{"request_id", context.request_id}, {"target", call.target->name}, {"what", what}});
}

// A target's calls, in order, by max_in_flight workers: each call is marked (before_send)
// only when a worker is about to send it, so that what waits its turn stays `pending` in
// the ledger and a crash leaves `sending` only the calls that were on their way (or next).
net::awaitable<void> run_paced(const canonical::invite_request& request, const mapping::dispatch_plan& plan,
                               call_context& context, std::vector<mapping::item_result>& results)
{
    struct lane {
        std::vector<std::size_t> calls; // indexes into plan.calls, in order
        std::size_t next = 0;
    };
    std::vector<lane> lanes;
    std::vector<const mapping::target_plan*> lane_target;
    for (std::size_t i = 0; i < plan.calls.size(); ++i) {
        const mapping::target_plan* target = plan.calls[i].target;
        auto at = std::find(lane_target.begin(), lane_target.end(), target);
        if (at == lane_target.end()) {
            lane_target.push_back(target);
            lanes.emplace_back();
            at = lane_target.end() - 1;
        }
        lanes[static_cast<std::size_t>(at - lane_target.begin())].calls.push_back(i);
    }
    const auto executor = co_await net::this_coro::executor;
    // Each worker marks its next call while the current one is in flight, so that the
    // ledger's commit is not waited for between two calls: at most two calls per worker
    // are `sending` at once, one on its way and one about to go.
    const auto worker = [&](lane& l) -> net::awaitable<void> {
        const auto take = [&l]() -> std::optional<std::size_t> {
            if (l.next >= l.calls.size())
                return std::nullopt;
            return l.calls[l.next++];
        };
        std::optional<std::size_t> current = take();
        bool marked = current && co_await context.before_send(plan.calls[*current]);
        while (current) {
            if (!marked) {
                context.not_sent.push_back(*current);
                current = take();
                marked = current && co_await context.before_send(plan.calls[*current]);
                continue;
            }
            const std::optional<std::size_t> next = take();
            const mapping::upstream_call& call = plan.calls[*current];
            if (!next) {
                co_await run_call_guarded(request, plan, call, context, results);
                break;
            }
            auto [order, sent, marking, next_marked] =
                co_await net::experimental::make_parallel_group(
                    net::co_spawn(executor, run_call_guarded(request, plan, call, context, results), net::deferred),
                    net::co_spawn(executor, context.before_send(plan.calls[*next]), net::deferred))
                    .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
            (void)order;
            (void)sent; // run_call_guarded throws nothing
            if (marking)
                std::rethrow_exception(marking);
            current = next;
            marked = next_marked;
        }
    };
    using operation = decltype(net::co_spawn(executor, net::awaitable<void>{}, net::deferred));
    std::vector<operation> operations;
    for (std::size_t i = 0; i < lanes.size(); ++i) {
        const std::size_t workers = std::min<std::size_t>(std::max(1u, lane_target[i]->max_in_flight),
                                                          lanes[i].calls.size());
        for (std::size_t w = 0; w < workers; ++w)
            operations.push_back(net::co_spawn(executor, worker(lanes[i]), net::deferred));
    }
    auto [order, exceptions] = co_await net::experimental::make_parallel_group(std::move(operations))
                                   .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
    (void)order;
    for (const auto& e : exceptions)
        if (e)
            std::rethrow_exception(e); // before_send threw: not a call's bug
}

#pragma GCC diagnostic pop

} // namespace

target_cells::target_cells(telemetry::registry* registry) : registry_(registry)
{
    if (registry_)
        thread_ = &registry_->add_thread();
}

telemetry::target_metrics* target_cells::get(std::string_view target)
{
    if (!registry_)
        return nullptr;
    for (const auto& [name, cells] : cells_)
        if (name == target)
            return cells;
    telemetry::target_metrics* cells = &registry_->target(*thread_, target);
    cells_.emplace_back(std::string(target), cells);
    return cells;
}

std::optional<std::string_view> trace_id_of(std::string_view traceparent)
{
    // version "00": 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters.
    if (traceparent.size() != 55 || traceparent.substr(0, 3) != "00-" || traceparent[35] != '-' ||
        traceparent[52] != '-')
        return std::nullopt;
    const std::string_view trace = traceparent.substr(3, 32);
    const std::string_view parent = traceparent.substr(36, 16);
    if (!is_lower_hex(trace) || !is_lower_hex(parent) || !is_lower_hex(traceparent.substr(53)) ||
        trace == std::string_view("00000000000000000000000000000000") || parent == std::string_view("0000000000000000"))
        return std::nullopt;
    return trace;
}

std::string random_hex(std::size_t digits)
{
    std::string id;
    id.reserve(digits);
    append_hex(id, digits);
    return id;
}

std::string new_trace_id() { return random_hex(32); }

net::awaitable<void> run_calls(const canonical::invite_request& request, const mapping::dispatch_plan& plan,
                               call_context& context, std::vector<mapping::item_result>& results)
{
    if (plan.calls.empty())
        co_return;
    // Paced (a job's chunk): every call, even a lone one, goes only once it is marked.
    if (context.before_send) {
        co_await run_paced(request, plan, context, results);
        co_return;
    }
    if (plan.calls.size() == 1) {
        co_await run_call_guarded(request, plan, plan.calls.front(), context, results);
        co_return;
    }
    const auto executor = co_await net::this_coro::executor;
    using operation = decltype(net::co_spawn(executor, net::awaitable<void>{}, net::deferred));
    std::vector<operation> operations;
    operations.reserve(plan.calls.size());
    for (const auto& call : plan.calls)
        operations.push_back(net::co_spawn(executor, run_call(request, plan, call, context, results), net::deferred));
    // The group forwards cancellation to every call and completes only once all have,
    // so nothing outlives the data it refers to.
    auto [order, exceptions] = co_await net::experimental::make_parallel_group(std::move(operations))
                                   .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
    for (std::size_t i = 0; i < exceptions.size(); ++i) {
        if (!exceptions[i])
            continue;
        // A bug, not a network condition: the call's items stay `unknown` (the merge
        // fills in every missing result) and the cause is logged.
        std::string what = "unknown exception";
        try {
            std::rethrow_exception(exceptions[i]);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
            what = "an exception that is not a std::exception";
        }
        telemetry::log(telemetry::log_level::error, "call_crashed",
                       {{"request_id", context.request_id}, {"target", plan.calls[i].target->name}, {"what", what}});
    }
}

} // namespace igw::dispatch
