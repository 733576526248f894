#pragma once
// Shared helpers of the emulator's own tests: each vendor's documented example request,
// small request edits, and reply parsing.

#include "sandbox/emulator.hpp"
#include "tests/emulator/test_client.hpp"

#include <simdjson.h>

#include <string>
#include <string_view>

namespace igw::emulator::testing {

// The vendor's documented example request, with the sandbox credentials of `s`.
test_request documented_request(const server& s, vendor v);

// The request path of vendor `v` (path prefix included).
std::string invite_path(const server& s, vendor v);

// A GET of the list endpoint of `v` (Anthropic or ClickHouse: the invite path) with the
// sandbox credentials of `s`, no body, and `query` ("limit=3", without '?') when non-empty.
test_request list_request(const server& s, vendor v, std::string_view query = {});

// Sends `request` on a fresh connection to `v`'s port.
test_response send_once(const server& s, vendor v, const test_request& request);

test_request with_header(test_request request, std::string_view name, std::string value);
test_request without_header(test_request request, std::string_view name);
test_request with_body(test_request request, std::string body);
test_request with_target(test_request request, std::string target);

// Parses a reply body; the element lives as long as `parser` is not reused.
simdjson::dom::element parse_json(simdjson::dom::parser& parser, const std::string& body);

// The string at `value`; throws (failing the test case) when it is missing or not a string.
std::string text(simdjson::simdjson_result<simdjson::dom::element> value);

// The "message"-like text of a vendor error reply, "" when the body is not that shape.
std::string error_message(vendor v, const std::string& body);

bool looks_like_uuid(std::string_view text);

} // namespace igw::emulator::testing
