#pragma once
// A vendor's invite API as described by providers/<name>.yaml, compiled once at load
// into plain data: nothing here is parsed again on the request path.

#include "gateway/config/env.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace igw::mapping {

// A header value or URL path as literal text interleaved with references to the
// target's secrets and parameters, e.g. "Bearer {secret.token}".
struct text_template {
    struct part {
        enum class kind : std::uint8_t { literal, secret, param };
        kind what = kind::literal;
        std::string text; // the literal, or the secret/param name
    };
    std::vector<part> parts;
    bool uses_secret() const noexcept;
};

// The JSON body as a flat program: nodes in document order, with `each_begin` ..
// `each_end` repeated once per item of the call. A flat vector keeps rendering a
// tight loop over contiguous memory.
struct body_node {
    enum class kind : std::uint8_t {
        object_begin,
        object_end,
        array_begin,
        array_end,
        key,           // text: the member name
        string_value,  // text
        integer_value, // number
        bool_value,    // flag
        null_value,
        item_email,         // the invitation's normalised email
        item_role,          // the target's mapped value for the invitation's role
        item_ref,           // the client's ref, or null
        send_email,         // the request's send_email
        param_string,       // text: parameter name (bound to a constant per target)
        param_integer,      // text: parameter name, written as a JSON integer
        param_integer_list, // text: parameter name (a list parameter), written as an array of integers
        param_string_list,  // text: parameter name (a list parameter), written as an array of strings
        each_begin,         // jump: index of the matching each_end
        each_end,           // jump: index of the matching each_begin
    };
    kind what = kind::null_value;
    bool flag = false;
    std::int64_t number = 0;
    std::uint32_t jump = 0;
    std::string text;
};

// What role values a target of this provider must map canonical roles to.
struct role_spec {
    enum class kind : std::uint8_t { none, string, integer, integer_list };
    kind type = kind::none;
    std::vector<std::string> allowed; // for strings: the vendor's enum; empty: any
};

// How a vendor writes a reply's expiry; the gateway hands every form on as RFC 3339 UTC.
enum class time_format : std::uint8_t {
    rfc3339,      // a string, e.g. "2026-12-15T11:20:19+01:00"
    unix_seconds, // an integer
    unix_millis,  // an integer
};

// A non-success reply that means the person is already invited (or already a member):
// the item is then `invited` with `already_invited`, not failed. The pointers are
// absolute, into the error body.
struct already_invited_rule {
    unsigned status = 0;
    std::string pointer; // to a string (or integer) in the error body
    std::string text;    // what it must be (`equals`), or contain, lower-cased (`contains`)
    bool contains = false;
    std::string invitation_id; // pointer to the existing invitation's id; "" when none
};

struct reply_plan {
    enum class items_kind : std::uint8_t {
        none,   // a bare acknowledgement such as {}: every item of the call is accepted
        object, // one object describing the single item of the call
        array,  // one element per item, matched back by email
    };
    std::vector<unsigned> success_statuses;
    items_kind items = items_kind::none;
    std::string root_pointer; // RFC 6901 pointer to the object or array; "" = the document
    std::string match_member; // array: the element member holding the email
    // Object replies: absolute pointers (YAML gives them relative to `root`);
    // array replies: member names of each element.
    std::string invitation_id, expires_at, vendor_status;
    time_format expires_at_format = time_format::rfc3339;
    std::vector<std::string> error_message_pointers;   // first string found wins
    std::vector<already_invited_rule> already_invited; // first match wins
};

// How to list the invitations a vendor holds, so that an item left `unknown` can be
// settled by asking (POST /v1/requests/{id}/reconcile). A GET with the create call's
// headers (credentials included) and no body, paged by cursor when the vendor pages.
struct lookup_plan {
    text_template path;                                     // like request.path: {param.NAME} allowed
    std::vector<std::pair<std::string, std::string>> query; // fixed query parameters, in order
    std::string items_pointer;                              // the array of invitations in a page; "" = the page
    std::string match_member;                               // the element member holding the email
    std::string invitation_id_member;                       // the element member holding the vendor's id
    // Paging by cursor; without `cursor_param` the first page is the whole listing.
    std::string cursor_param;        // the query parameter that asks for the page after a cursor
    std::string next_cursor_pointer; // where a page gives the next cursor; absent, null or "" ends
    std::string has_more_pointer;    // optional boolean; false ends the listing even with a cursor
    unsigned max_pages = 100;        // past this the listing counts as incomplete
};

struct header_spec {
    std::string name;
    text_template value;
};

// A JSON text from the provider file and where it was written ("file:line:col").
struct example_json {
    std::string text;
    std::string origin;
};

// A reply as the vendor documents it: its status and its body.
struct example_reply {
    unsigned status = 0;
    std::string status_origin;
    example_json body;
};

// The vendor's documented example exchange (`example:`), checked against the mapping
// by check_contract_example (contract_example.hpp). Kept as text: the check runs at
// load and never on the request path.
struct contract_example {
    std::string origin; // of the `example` key
    example_json request;
    // Members of the example request the vendor documents as optional, which the
    // mapping may leave out: pointer -> origin.
    std::map<std::string, std::string> optional_members;
    example_reply reply;
    std::optional<example_reply> error;
    // Where each reply pointer is declared (`reply.root`, `reply.match`,
    // `reply.fields.NAME`), so that a pointer the example lacks is reported at its
    // declaration. (The error_message pointers are alternatives: an error example that
    // none of them reads is reported at the example.)
    std::map<std::string, std::string> declared_at;
};

struct provider_plan {
    std::string name;
    std::string file;
    std::vector<std::string> secrets;         // secrets every target must give
    std::vector<std::string> required_params; // parameters every target must give
    std::vector<std::string> optional_params; // headers using an absent one are left out

    std::string method;
    text_template path;
    std::vector<header_spec> headers;
    bool basic_auth = false;
    text_template basic_username, basic_password;
    std::vector<body_node> body;

    unsigned max_items = 1;
    bool group_by_role = false;
    role_spec roles;
    reply_plan reply;
    std::optional<lookup_plan> lookup; // absent: this vendor's unknown items cannot be looked up
    std::optional<contract_example> example;
};

// Loads and checks providers/<name>.yaml; throws config::config_error with every
// problem as "file:line:column: key: message".
provider_plan load_provider_plan(const std::string& name, const std::string& file,
                                 const config::env_lookup& env = config::process_environment());

} // namespace igw::mapping
