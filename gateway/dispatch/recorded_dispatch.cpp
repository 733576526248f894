#include "gateway/dispatch/recorded_dispatch.hpp"

#include "gateway/dispatch/ledger_await.hpp"
#include "gateway/dispatch/ledger_record.hpp"
#include "gateway/telemetry/log.hpp"

#include <algorithm>
#include <cstdint>

namespace igw::dispatch {
namespace {

namespace net = boost::asio;

enum class slot_state : std::uint8_t { not_selected, pending, accounted };

// One slot per (invitation, route target) pair, to tell what is still to be sent.
class item_slots {
public:
    item_slots(const canonical::invite_request& request, slot_state initial)
    {
        for (const std::uint32_t t : request.targets)
            width_ = std::max<std::size_t>(width_, t + 1);
        states_.assign(request.invitations.size() * width_, slot_state::not_selected);
        for (std::size_t i = 0; i < request.invitations.size(); ++i)
            for (const std::uint32_t t : request.targets)
                states_[i * width_ + t] = initial;
    }
    // Null for a pair the request did not select.
    slot_state* at(std::uint32_t invitation, std::uint32_t target)
    {
        const std::size_t i = std::size_t{invitation} * width_ + target;
        if (target >= width_ || i >= states_.size() || states_[i] == slot_state::not_selected)
            return nullptr;
        return &states_[i];
    }
    std::size_t width() const noexcept { return width_; }
    std::size_t size() const noexcept { return states_.size(); }
    slot_state state(std::size_t i) const noexcept { return states_[i]; }

private:
    std::size_t width_ = 0;
    std::vector<slot_state> states_;
};

mapping::item_result unaccounted(std::uint32_t invitation, std::uint32_t target, std::string message)
{
    mapping::item_result r;
    r.invitation = invitation;
    r.target = target;
    r.status = mapping::item_status::unknown;
    r.error = mapping::error_code::upstream_error;
    r.message = std::move(message);
    return r;
}

std::vector<ledger::item_outcome> outcomes_of(std::span<const mapping::item_result> results, std::uint32_t offset)
{
    std::vector<ledger::item_outcome> out;
    out.reserve(results.size());
    for (const auto& r : results) {
        out.push_back(to_outcome(r));
        out.back().invitation += offset;
    }
    return out;
}

// Which calls go out: on a resumed request, only those whose items are all still
// pending. One mark_sending covers every call of a request, so a call's items are all
// pending or none is; a mix (a record written otherwise) is reported `unknown`, never
// sent again.
std::vector<ledger::item_key> choose_calls(mapping::dispatch_plan& plan, item_slots& slots,
                                           std::vector<mapping::item_result>& results,
                                           std::vector<ledger::item_outcome>& settle_now)
{
    std::vector<ledger::item_key> sending;
    std::erase_if(plan.calls, [&](const mapping::upstream_call& call) {
        const auto items = plan.items_of(call);
        const bool all_pending = std::all_of(items.begin(), items.end(), [&](std::uint32_t invitation) {
            const slot_state* slot = slots.at(invitation, call.target_index);
            return slot && *slot == slot_state::pending;
        });
        for (const std::uint32_t invitation : items) {
            slot_state* slot = slots.at(invitation, call.target_index);
            if (all_pending) {
                sending.push_back({invitation, call.target_index});
            } else if (slot && *slot == slot_state::pending) {
                results.push_back(unaccounted(invitation, call.target_index,
                                              "sent in one call with items of uncertain state; not sent again"));
                settle_now.push_back(to_outcome(results.back()));
                *slot = slot_state::accounted;
            }
        }
        return !all_pending;
    });
    return sending;
}

} // namespace

ledger::callback<ledger::done> log_if_failed(std::string_view operation, std::string_view request_id)
{
    return [operation = std::string(operation), id = std::string(request_id)](ledger::result<ledger::done> r) {
        if (!r.ok())
            telemetry::log(telemetry::log_level::warn, "ledger_write_failed",
                           {{"operation", operation},
                            {"request_id", id},
                            {"error", ledger::to_string(r.error.code)},
                            {"message", r.error.message}});
    };
}

net::awaitable<send_verdict> send_recorded(recorded_send& recorded, const canonical::invite_request& request,
                                           mapping::dispatch_plan& plan, call_context& calls,
                                           std::vector<mapping::item_result>& results)
{
    item_slots slots(request, recorded.existing ? slot_state::accounted : slot_state::pending);
    if (recorded.existing) {
        for (const auto& item : recorded.existing->items) {
            slot_state* slot = slots.at(item.invitation, item.target);
            if (!slot)
                continue;
            if (auto result = recorded_result(item))
                results.push_back(std::move(*result));
            else
                *slot = slot_state::pending;
        }
    }
    std::vector<ledger::item_outcome> settle_now;
    for (const auto& immediate : plan.immediate) {
        slot_state* slot = slots.at(immediate.invitation, immediate.target);
        if (!slot || *slot != slot_state::pending)
            continue;
        results.push_back(immediate);
        settle_now.push_back(to_outcome(immediate));
        *slot = slot_state::accounted;
    }
    std::vector<ledger::item_key> sending = choose_calls(plan, slots, results, settle_now);

    ledger::store& store = recorded.store;
    const std::string& id = recorded.request_id;
    const std::uint32_t offset = recorded.invitation_offset;
    for (auto& outcome : settle_now)
        outcome.invitation += offset;
    for (auto& key : sending)
        key.invitation += offset;
    // Queued before mark_sending: the writer takes both in one transaction.
    if (!settle_now.empty() && !recorded.marked)
        store.settle(id, std::move(settle_now), log_if_failed("settle", id));
    if (!sending.empty() && !recorded.marked && !recorded.mark_per_call) {
        const auto marked = co_await await_ledger<ledger::done>(
            [&](auto done) { store.mark_sending(id, std::move(sending), std::move(done)); });
        if (!marked.ok()) {
            if (marked.error.code == ledger::errc::lost_ownership)
                co_return send_verdict::lost_ownership;
            // Nothing went out: giving the request up lets a retry with its key send it.
            store.release(id, log_if_failed("release", id));
            co_return send_verdict::ledger_unavailable;
        }
    }

    const auto on_results = std::move(calls.on_results); // the caller's own, called after ours
    calls.on_results = [&store, &id, offset, &on_results](std::span<const mapping::item_result> settled) {
        if (!settled.empty())
            store.settle(id, outcomes_of(settled, offset), log_if_failed("settle", id));
        if (on_results)
            on_results(settled);
    };
    // Per call: refused when the mark could not be recorded; what it did not send stays
    // `pending` in the ledger, for whoever resumes the request.
    std::optional<send_verdict> refused;
    if (recorded.mark_per_call)
        calls.before_send = [&store, &id, &plan, offset,
                             &refused](const mapping::upstream_call& call) -> net::awaitable<bool> {
            if (refused)
                co_return false;
            std::vector<ledger::item_key> keys;
            for (const std::uint32_t invitation : plan.items_of(call))
                keys.push_back({invitation + offset, call.target_index});
            const auto marked = co_await await_ledger<ledger::done>(
                [&](auto done) { store.mark_sending(id, std::move(keys), std::move(done)); });
            if (!marked.ok())
                refused = marked.error.code == ledger::errc::lost_ownership ? send_verdict::lost_ownership
                                                                            : send_verdict::ledger_unavailable;
            co_return marked.ok();
        };
    co_await run_calls(request, plan, calls, results);
    calls.on_results = on_results;
    calls.before_send = nullptr;
    for (const std::size_t index : calls.not_sent)
        for (const std::uint32_t invitation : plan.items_of(plan.calls[index]))
            if (slot_state* slot = slots.at(invitation, plan.calls[index].target_index))
                *slot = slot_state::accounted; // still pending in the ledger: not sent, not settled

    // A call that crashed left its items without a result: the merge reports them
    // `unknown`, and so does the ledger.
    for (const auto& result : results)
        if (slot_state* slot = slots.at(result.invitation, result.target))
            *slot = slot_state::accounted;
    std::vector<mapping::item_result> missing;
    for (std::size_t i = 0; i < slots.size(); ++i)
        if (slots.state(i) == slot_state::pending)
            missing.push_back(unaccounted(static_cast<std::uint32_t>(i / slots.width()),
                                          static_cast<std::uint32_t>(i % slots.width()),
                                          "the gateway recorded no outcome for this call"));
    if (!missing.empty()) {
        store.settle(id, outcomes_of(missing, offset), log_if_failed("settle", id));
        results.insert(results.end(), missing.begin(), missing.end());
    }
    co_return refused.value_or(send_verdict::sent);
}

net::awaitable<void> complete_recorded(ledger::store& store, const std::string& request_id, unsigned status,
                                       std::string_view body)
{
    ledger::stored_reply reply{status, {{"Content-Type", "application/json"}}, std::string(body)};
    const auto completed = co_await await_ledger<ledger::done>(
        [&](auto done) { store.complete_request(request_id, std::move(reply), std::move(done)); });
    if (!completed.ok())
        log_if_failed("complete", request_id)(completed);
}

} // namespace igw::dispatch
