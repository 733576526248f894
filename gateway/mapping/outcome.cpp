#include "gateway/mapping/outcome.hpp"

#include <utility>

namespace igw::mapping {
namespace {

outcome make(item_status status, error_code code, std::string message)
{
    return outcome{status, code, std::move(message)};
}

std::string of_target(std::string_view target) { return "target " + std::string(target); }

} // namespace

outcome outcome_of_unsupported_role(std::string_view role, std::string_view target)
{
    return make(item_status::failed, error_code::role_not_supported,
                "role " + std::string(role) + " has no mapping on target " + std::string(target));
}

outcome outcome_of_transport_failure(upstream::failure failed, upstream::connect_step step, std::string_view target)
{
    using failure = upstream::failure;
    const std::string name(target);
    switch (failed) {
    case failure::connect_failed:
        // Nothing was sent, whichever step failed.
        if (step == upstream::connect_step::tls_handshake)
            return make(item_status::failed, error_code::upstream_unreachable,
                        "TLS handshake with target " + name + " failed");
        if (step == upstream::connect_step::tls_setup)
            return make(item_status::failed, error_code::upstream_unreachable,
                        "TLS setup for target " + name + " failed");
        return make(item_status::failed, error_code::upstream_unreachable, "could not reach target " + name);
    case failure::timeout_before_send:
        return make(item_status::failed, error_code::upstream_timeout,
                    of_target(name) + " timed out before the call was sent");
    case failure::timeout_after_send:
        // The vendor may have acted on what it received.
        return make(item_status::unknown, error_code::upstream_timeout, of_target(name) + " did not reply in time");
    case failure::connection_lost:
        return make(item_status::unknown, error_code::upstream_error,
                    of_target(name) + " closed the connection before replying");
    case failure::bad_reply:
        return make(item_status::unknown, error_code::bad_upstream_response, "unreadable reply from target " + name);
    case failure::invalid_request:
        // The request could not even be written: a bug in the caller or its data.
        return make(item_status::failed, error_code::upstream_error,
                    "the call to target " + name + " could not be sent");
    case failure::none: break;
    }
    return make(item_status::unknown, error_code::upstream_error, "");
}

outcome outcome_of_status(unsigned status, std::string_view target, std::string_view vendor_text)
{
    const std::string name(target);
    if (status < 400) // a 1xx-3xx the provider does not list as success: nothing to read
        return make(item_status::unknown, error_code::bad_upstream_response,
                    "unexpected HTTP " + std::to_string(status) + " from target " + name);
    std::string message = vendor_text.empty() ? "HTTP " + std::to_string(status) + " from target " + name
                                              : std::string(vendor_text);
    if (status == 401 || status == 403)
        return make(item_status::failed, error_code::upstream_unauthorized, std::move(message));
    if (status == 429)
        return make(item_status::failed, error_code::rate_limited, std::move(message));
    if (status == 503) // "Service unavailable": the vendor declined to process the call.
        return make(item_status::failed, error_code::upstream_error, std::move(message));
    if (status >= 500) // anything else from a server in trouble may have come after the invite was created
        return make(item_status::unknown, error_code::upstream_error, std::move(message));
    return make(item_status::failed, error_code::upstream_rejected, std::move(message));
}

outcome outcome_of_unreadable_reply(std::string_view why, unsigned status, std::string_view target)
{
    return make(item_status::unknown, error_code::bad_upstream_response,
                std::string(why) + " from target " + std::string(target) + " (HTTP " + std::to_string(status) + ")");
}

outcome outcome_of_unlisted_item(std::string_view target)
{
    return make(item_status::unknown, error_code::bad_upstream_response,
                "the reply from target " + std::string(target) + " does not list this email");
}

outcome outcome_of_open_circuit(std::string_view target, std::optional<std::chrono::seconds> retry_in)
{
    std::string message = "target " + std::string(target) +
                          " is ejected after repeated failures (circuit open); nothing was sent";
    if (retry_in)
        message += ": retry after " + std::to_string(retry_in->count()) + " s";
    return make(item_status::failed, error_code::target_unavailable, std::move(message));
}

outcome outcome_of_rate_budget(std::string_view target, std::optional<std::chrono::seconds> retry_in)
{
    std::string message = retry_in ? "target " + std::string(target) + " is paused at the vendor's request"
                                   : "the rate budget of target " + std::string(target) +
                                         " had no slot before the request's deadline";
    message += "; nothing was sent";
    if (retry_in)
        message += ": retry after " + std::to_string(retry_in->count()) + " s";
    return make(item_status::failed, error_code::rate_limited, std::move(message));
}

std::string retry_not_waited_message(unsigned status, std::string_view target, std::chrono::seconds retry_after)
{
    const std::string name(target);
    return (status == 429 ? "rate limited by target " + name : "target " + name + " is unavailable") +
           ": retry after " + std::to_string(retry_after.count()) + " s";
}

} // namespace igw::mapping
