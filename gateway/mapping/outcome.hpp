#pragma once
// The rules that decide an item's outcome when it is not simply invited: what an
// unsupported role, a transport failure or a vendor's HTTP status means for an
// invitation (failed or unknown: could the vendor have created it?), which error code
// the client gets, and the short, stable message it reads. docs/api.md "Error codes"
// holds the same rules as a table for users.
//
// They sit in mapping, beside the item_status and error_code they produce, because the
// renderer and reply mapper (here) and the fan-out (dispatch) all apply them; dispatch
// depends on mapping, never the reverse. Transport failures are named through
// upstream/failure.hpp, which holds only the enums, so mapping links nothing of the
// upstream client.

#include "gateway/mapping/item_result.hpp"
#include "gateway/upstream/failure.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace igw::mapping {

struct outcome {
    item_status status = item_status::unknown;
    error_code code = error_code::none;
    // For the client: short and stable, naming the target only. A vendor's own words are
    // passed through as given; whoever stores them redacts and caps them (fail_call).
    std::string message;
};

// An invitation whose role the target's role map marks unsupported: no call is made.
outcome outcome_of_unsupported_role(std::string_view role, std::string_view target);

// A call that got no usable HTTP reply. `step` says which connection step failed, for
// connect_failed. The upstream client's own detail (hosts, ports, resolver and TLS
// errors) never reaches the outcome: it is for operators' logs.
outcome outcome_of_transport_failure(upstream::failure failed, upstream::connect_step step, std::string_view target);

// A complete reply whose status is not one of the provider's success statuses.
// `vendor_text` is the vendor's own message from its error body, "" when it had none;
// it is the message for an error status (>= 400), and ignored for an unexpected one.
outcome outcome_of_status(unsigned status, std::string_view target, std::string_view vendor_text);

// A success status whose body the provider's reply plan cannot read; `why` names what
// was wrong ("unreadable reply", "reply is not the expected array"...).
outcome outcome_of_unreadable_reply(std::string_view why, unsigned status, std::string_view target);

// A success reply listing items that does not list this item's email: the call was
// accepted, so the item may or may not have been created.
outcome outcome_of_unlisted_item(std::string_view target);

// A call the target's circuit breaker kept back (the target is ejected after repeated
// failures): nothing was sent, so a retry is safe. `retry_in` is how long the ejection
// still lasts, when known.
outcome outcome_of_open_circuit(std::string_view target, std::optional<std::chrono::seconds> retry_in);

// A call the target's rate budget (or a vendor's pause) could not fit before the
// request's deadline: nothing was sent.
outcome outcome_of_rate_budget(std::string_view target, std::optional<std::chrono::seconds> retry_in);

// The message of a 429 or 503 whose Retry-After the gateway did not wait for (longer
// than its ceiling, or past the deadline): the client learns when to come back.
std::string retry_not_waited_message(unsigned status, std::string_view target, std::chrono::seconds retry_after);

} // namespace igw::mapping
