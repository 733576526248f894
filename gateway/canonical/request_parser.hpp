#pragma once
// Turns a request body into a validated canonical invite request (docs/api.md
// "2. Canonical request"), or into the problem reply that says everything wrong with it.

#include "gateway/canonical/email.hpp"
#include "gateway/canonical/invite_request.hpp"
#include "gateway/canonical/problem.hpp"
#include "gateway/canonical/problems.hpp"

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace igw::canonical {

struct validation_context {
    std::span<const std::string> roles;         // canonical roles from config, index = role id
    std::span<const std::string> route_targets; // the route's target names, in order
    std::size_t max_invitations = 1000;
    std::size_t max_body_bytes = 1 << 20;
    // The client whose own max_invitations is `max_invitations`, named when a request is
    // over it; empty when it is the gateway's limit.
    std::string_view limiting_client{};
};

// Limits on the request's own strings, beyond which a value is a field error.
inline constexpr std::size_t max_ref_bytes = 256;
// Containers nested deeper than this anywhere in the body make it malformed: a valid
// request needs three levels, and walking hostile nesting costs time for nothing.
inline constexpr std::size_t max_json_depth = 16;
// Entries in a 422's `errors`, the last of which says how many more were found.
inline constexpr std::size_t max_listed_errors = 100;

// One per thread: it keeps its JSON parser and scratch buffers across requests, so
// a warmed-up parser allocates little beyond the result. Not thread-safe. A
// moved-from parser may only be assigned to or destroyed.
//
// Every problem is reported, each with the JSON Pointer of the offending value; a
// required member that is missing is reported at the pointer it should have had
// (`/invitations/0/role`). Syntax always wins: a body that is not well-formed JSON
// gets a 400 even if its well-formed part also breaks the rules.
class request_parser {
public:
    request_parser();
    ~request_parser();
    request_parser(request_parser&&) noexcept;
    request_parser& operator=(request_parser&&) noexcept;
    request_parser(const request_parser&) = delete;
    request_parser& operator=(const request_parser&) = delete;

    // `body` may have its capacity grown to give the JSON parser the padding it reads
    // past the end; its contents are not changed.
    std::variant<invite_request, problem> parse(std::string& body, const validation_context& context);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace igw::canonical
