#pragma once
// Running a request's calls through the ledger's states (README "Ledger"): pending ->
// sending (durable before anything goes out) -> invited / failed / unknown (settled as
// each call ends), then the reply stored for replays.

#include "gateway/canonical/invite_request.hpp"
#include "gateway/dispatch/fan_out.hpp"
#include "gateway/ledger/store.hpp"
#include "gateway/mapping/dispatch_plan.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace igw::dispatch {

struct recorded_send {
    ledger::store& store;
    std::string request_id;
    // A resumed request's record: its settled items are merged, not sent; only calls
    // whose items are all still pending go out. Null for a request just claimed.
    const ledger::request_with_items* existing = nullptr;
    // A request just claimed whose begin_request already recorded its calls' items
    // `sending` and its immediate results (mark_planned): nothing more to write first.
    bool marked = false;
    // A job runs a chunk of its invitations at a time: the canonical request (and
    // `existing`) number them from 0, the ledger from this offset.
    std::uint32_t invitation_offset = 0;
    // Marks each call's items `sending` only when the call is about to go (paced, at most
    // a target's max_in_flight at once) instead of all at once before the first: a job's
    // chunk holds hundreds of calls, and a crash must leave `sending` only those on their way.
    bool mark_per_call = false;
};

enum class send_verdict {
    sent,               // every call that could go went; `results` has what they established
    ledger_unavailable, // nothing was sent: the ledger could not record the calls going out
    lost_ownership,     // nothing was sent: another instance resumed the request meanwhile
};

// Fills `results` with the recorded outcomes (resumed) and the immediate ones, marks the
// items of the calls to send `sending` and waits for that to be durable (unless begin did
// both: recorded_send::marked), runs the calls
// (their outcomes settled one call at a time), and settles as `unknown` whatever no call
// accounted for. Calls left out are removed from `plan`.
boost::asio::awaitable<send_verdict> send_recorded(recorded_send& recorded, const canonical::invite_request& request,
                                                   mapping::dispatch_plan& plan, call_context& calls,
                                                   std::vector<mapping::item_result>& results);

// Stores the reply a replay returns, and waits for it: a retry that arrives right after
// the client has its reply is answered with it.
boost::asio::awaitable<void> complete_recorded(ledger::store& store, const std::string& request_id, unsigned status,
                                               std::string_view body);

// For the store's fire-and-forget writes: logs a write the ledger could not take.
ledger::callback<ledger::done> log_if_failed(std::string_view operation, std::string_view request_id);

} // namespace igw::dispatch
