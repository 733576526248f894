#pragma once
// The problem kinds the gateway answers with itself. Every module builds its error
// replies through these factories, so a given kind always carries the same `type` URI,
// `title` and status code, and clients can switch on `type` alone.

#include "gateway/canonical/problem.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace igw::canonical {

// Relative references (RFC 3986 §4.2) resolved against the gateway's own base URL.
namespace problem_type {
inline constexpr std::string_view malformed_json = "/problems/malformed-json";
inline constexpr std::string_view invalid_request = "/problems/invalid-request";
inline constexpr std::string_view payload_too_large = "/problems/payload-too-large";
inline constexpr std::string_view unsupported_media_type = "/problems/unsupported-media-type";
inline constexpr std::string_view unauthorized = "/problems/unauthorized";
inline constexpr std::string_view forbidden = "/problems/forbidden";
inline constexpr std::string_view target_forbidden = "/problems/target-forbidden";
inline constexpr std::string_view rate_limited = "/problems/rate-limited";
inline constexpr std::string_view not_found = "/problems/not-found";
inline constexpr std::string_view method_not_allowed = "/problems/method-not-allowed";
inline constexpr std::string_view overloaded = "/problems/overloaded";
inline constexpr std::string_view idempotency_key_invalid = "/problems/idempotency-key-invalid";
inline constexpr std::string_view idempotency_key_required = "/problems/idempotency-key-required";
inline constexpr std::string_view idempotency_key_reused = "/problems/idempotency-key-reused";
inline constexpr std::string_view idempotency_key_in_use = "/problems/idempotency-key-in-use";
inline constexpr std::string_view request_id_in_use = "/problems/request-id-in-use";
inline constexpr std::string_view ledger_unavailable = "/problems/ledger-unavailable";
} // namespace problem_type

// 400: the body is not one well-formed JSON value. `detail` says what is wrong; it is
// also the single `errors` entry, with the pointer "" (the whole body).
problem malformed_json_problem(std::string detail);

// 422: the body is JSON but breaks the request's rules. `errors` are listed in the
// order found; `total` counts every problem found, which may exceed errors.size()
// when the list was capped (the last entry then says how many were left out).
problem invalid_request_problem(std::vector<problem_error> errors, std::size_t total);

problem payload_too_large_problem(std::size_t limit);         // 413
problem unsupported_media_type_problem(std::string_view got); // 415
problem unauthorized_problem();                               // 401, send WWW-Authenticate: Bearer
problem forbidden_problem(std::string_view route);            // 403
// 403: the client key may not invite to `targets` (named in the request), or, when the
// request named none, to any of the route's targets. `allowed`: those of the route's
// targets it may invite to. One `errors` entry per refused target, at /targets.
problem target_forbidden_problem(const std::vector<std::string>& targets, const std::vector<std::string>& allowed);
// 429 (send Retry-After, and the RateLimit headers): the client is over its own `rate`.
problem rate_limited_problem(std::string_view client, unsigned retry_after_seconds);
problem not_found_problem(std::string_view path);             // 404
problem method_not_allowed_problem(std::string_view method);  // 405
problem overloaded_problem();                                 // 503

// Idempotency-Key (README "Idempotency"): 400 for a key that is not 1..255 printable
// characters or given twice, 400 when the route requires one and none came, 422 when the
// key was used for a different request, 409 (send Retry-After) while its request runs.
problem idempotency_key_invalid_problem(std::string_view why);       // 400
problem idempotency_key_required_problem(std::string_view route);    // 400
problem idempotency_key_reused_problem();                            // 422
problem idempotency_key_in_use_problem(std::string_view request_id); // 409
// 409: the X-Request-Id names another request already recorded.
problem request_id_in_use_problem(std::string_view request_id);
// 503 (send Retry-After): the ledger could not record the request in time; nothing was sent.
problem ledger_unavailable_problem(std::string_view what);

// A refusal that is a plain HTTP condition with no gateway-specific kind: type
// "about:blank", titled with the status's reason phrase (RFC 9457 §4.2.1). 400 for a
// malformed HTTP message, 408 for a request not received in time, 414, 431, 500, 501
// for a transfer coding the gateway does not decode, and 503 while shutting down or at
// the connection cap.
problem http_problem(unsigned status, std::string_view detail);

} // namespace igw::canonical
