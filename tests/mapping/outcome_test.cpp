// The outcome rules, row by row of README "Error codes": each transport failure and
// each kind of vendor status, with the status, error code and client message it gives.

#include "gateway/mapping/outcome.hpp"

#include "tests/mapping/support/mapping_support.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

namespace mapping = igw::mapping;
namespace upstream = igw::upstream;
using mapping::error_code;
using mapping::item_status;
using upstream::connect_step;
using upstream::failure;

namespace {

void expect(const mapping::outcome& got, item_status status, error_code code, std::string_view message)
{
    BOOST_TEST(got.status == status);
    BOOST_TEST(got.code == code);
    BOOST_TEST(got.message == message);
}

} // namespace

BOOST_AUTO_TEST_SUITE(outcome)

// ---- no call made -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(an_unsupported_role_is_failed_role_not_supported)
{
    expect(mapping::outcome_of_unsupported_role("admin", "acme"), item_status::failed, error_code::role_not_supported,
           "role admin has no mapping on target acme");
}

// ---- transport failures ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(nothing_sent_because_unreachable_is_failed_upstream_unreachable)
{
    for (const connect_step step : {connect_step::none, connect_step::resolve, connect_step::connect})
        expect(mapping::outcome_of_transport_failure(failure::connect_failed, step, "acme"), item_status::failed,
               error_code::upstream_unreachable, "could not reach target acme");
    expect(mapping::outcome_of_transport_failure(failure::connect_failed, connect_step::tls_handshake, "acme"),
           item_status::failed, error_code::upstream_unreachable, "TLS handshake with target acme failed");
    expect(mapping::outcome_of_transport_failure(failure::connect_failed, connect_step::tls_setup, "acme"),
           item_status::failed, error_code::upstream_unreachable, "TLS setup for target acme failed");
}

BOOST_AUTO_TEST_CASE(a_timeout_is_failed_before_the_call_was_sent_and_unknown_after)
{
    expect(mapping::outcome_of_transport_failure(failure::timeout_before_send, connect_step::connect, "acme"),
           item_status::failed, error_code::upstream_timeout, "target acme timed out before the call was sent");
    expect(mapping::outcome_of_transport_failure(failure::timeout_after_send, connect_step::none, "acme"),
           item_status::unknown, error_code::upstream_timeout, "target acme did not reply in time");
}

BOOST_AUTO_TEST_CASE(a_connection_lost_after_sending_is_unknown_upstream_error)
{
    expect(mapping::outcome_of_transport_failure(failure::connection_lost, connect_step::none, "acme"),
           item_status::unknown, error_code::upstream_error, "target acme closed the connection before replying");
}

BOOST_AUTO_TEST_CASE(an_unreadable_http_reply_is_unknown_bad_upstream_response)
{
    expect(mapping::outcome_of_transport_failure(failure::bad_reply, connect_step::none, "acme"), item_status::unknown,
           error_code::bad_upstream_response, "unreadable reply from target acme");
}

BOOST_AUTO_TEST_CASE(a_call_that_could_not_be_written_is_failed)
{
    expect(mapping::outcome_of_transport_failure(failure::invalid_request, connect_step::none, "acme"),
           item_status::failed, error_code::upstream_error, "the call to target acme could not be sent");
}

BOOST_AUTO_TEST_CASE(transport_messages_name_the_target_only)
{
    for (const failure f : {failure::connect_failed, failure::timeout_before_send, failure::timeout_after_send,
                            failure::connection_lost, failure::bad_reply, failure::invalid_request}) {
        const mapping::outcome got = mapping::outcome_of_transport_failure(f, connect_step::tls_handshake, "t-1");
        BOOST_TEST_CONTEXT("failure " << static_cast<int>(f))
        {
            BOOST_TEST(got.message.find("t-1") != std::string::npos);
            BOOST_TEST(got.code != error_code::none);
            BOOST_TEST(got.status != item_status::invited);
        }
    }
}

// ---- vendor statuses -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_4xx_is_failed_upstream_rejected_with_the_vendors_message)
{
    for (const unsigned status : {400u, 404u, 409u, 422u, 499u})
        BOOST_TEST_CONTEXT(status)
        {
            expect(mapping::outcome_of_status(status, "acme", "email is taken"), item_status::failed,
                   error_code::upstream_rejected, "email is taken");
        }
    expect(mapping::outcome_of_status(409, "acme", ""), item_status::failed, error_code::upstream_rejected,
           "HTTP 409 from target acme");
}

BOOST_AUTO_TEST_CASE(a_401_or_403_is_failed_upstream_unauthorized)
{
    expect(mapping::outcome_of_status(401, "acme", "bad key"), item_status::failed, error_code::upstream_unauthorized,
           "bad key");
    expect(mapping::outcome_of_status(403, "acme", ""), item_status::failed, error_code::upstream_unauthorized,
           "HTTP 403 from target acme");
}

BOOST_AUTO_TEST_CASE(a_429_is_failed_rate_limited)
{
    expect(mapping::outcome_of_status(429, "acme", "slow down"), item_status::failed, error_code::rate_limited,
           "slow down");
    expect(mapping::outcome_of_status(429, "acme", ""), item_status::failed, error_code::rate_limited,
           "HTTP 429 from target acme");
}

BOOST_AUTO_TEST_CASE(a_503_is_failed_upstream_error_other_5xx_unknown)
{
    expect(mapping::outcome_of_status(503, "acme", ""), item_status::failed, error_code::upstream_error,
           "HTTP 503 from target acme");
    for (const unsigned status : {500u, 502u, 504u, 599u})
        BOOST_TEST_CONTEXT(status)
        {
            expect(mapping::outcome_of_status(status, "acme", "oops"), item_status::unknown, error_code::upstream_error,
                   "oops");
        }
}

BOOST_AUTO_TEST_CASE(an_unexpected_status_below_400_is_unknown_and_ignores_the_body)
{
    for (const unsigned status : {100u, 202u, 204u, 302u, 399u})
        BOOST_TEST_CONTEXT(status)
        {
            expect(mapping::outcome_of_status(status, "acme", "looks fine"), item_status::unknown,
                   error_code::bad_upstream_response,
                   "unexpected HTTP " + std::to_string(status) + " from target acme");
        }
}

// ---- success replies that cannot be trusted ------------------------------------------

BOOST_AUTO_TEST_CASE(an_unreadable_success_reply_is_unknown_bad_upstream_response)
{
    expect(mapping::outcome_of_unreadable_reply("reply is not the expected array", 200, "acme"), item_status::unknown,
           error_code::bad_upstream_response, "reply is not the expected array from target acme (HTTP 200)");
    expect(mapping::outcome_of_unlisted_item("acme"), item_status::unknown, error_code::bad_upstream_response,
           "the reply from target acme does not list this email");
}

BOOST_AUTO_TEST_CASE(a_wait_not_made_is_reported_with_the_vendors_delay)
{
    BOOST_TEST(mapping::retry_not_waited_message(429, "acme", std::chrono::seconds(30)) ==
               "rate limited by target acme: retry after 30 s");
    BOOST_TEST(mapping::retry_not_waited_message(503, "acme", std::chrono::seconds(3600)) ==
               "target acme is unavailable: retry after 3600 s");
}

BOOST_AUTO_TEST_SUITE_END()
