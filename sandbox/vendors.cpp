#include "sandbox/vendors.hpp"

#include "gateway/json/base64.hpp"
#include "gateway/json/writer.hpp"
#include "gateway/net/ows.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/url/parse.hpp>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

namespace igw::emulator::detail {
namespace {

namespace od = simdjson::ondemand;
using namespace std::chrono_literals;

// An error message, empty when all is well.
using problem = std::string;

std::mt19937_64& random_engine()
{
    thread_local std::mt19937_64 engine{[] {
        std::random_device device;
        return (static_cast<std::uint64_t>(device()) << 32) ^ device();
    }()};
    return engine;
}

using boost::beast::iequals;

char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        c = ascii_lower(c);
    return out;
}

constexpr auto trim = net_text::trim_ows;

// "<scheme> <token>" with the scheme compared without regard to case (RFC 9110 §11.1).
std::optional<std::string_view> credentials_for_scheme(std::optional<std::string_view> header,
                                                       std::string_view scheme) noexcept
{
    if (!header)
        return std::nullopt;
    const std::string_view value = trim(*header);
    if (value.size() <= scheme.size() || !iequals(value.substr(0, scheme.size()), scheme) ||
        value[scheme.size()] != ' ')
        return std::nullopt;
    return trim(value.substr(scheme.size() + 1));
}

// ---- JSON input ---------------------------------------------------------------------

struct json_input {
    od::parser parser;
    std::string buffer; // the body copied with SIMDJSON_PADDING spare bytes
};

json_input& input()
{
    thread_local json_input state;
    return state;
}

simdjson::error_code parse(std::string_view body, od::document& doc)
{
    json_input& in = input();
    in.buffer.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    in.buffer.assign(body);
    return in.parser.iterate(simdjson::padded_string_view(in.buffer.data(), in.buffer.size(), in.buffer.capacity()))
        .get(doc);
}

// Calls on_member(key, value) for each member of the object `json` (a document or value)
// until one returns a problem. On-Demand parses lazily, so every value must be consumed by
// on_member: that is also what makes malformed JSON anywhere in the body an error here.
template <class Json, class OnMember>
problem walk_object(Json& json, std::string_view what, OnMember&& on_member)
{
    od::object object;
    if (json.get_object().get(object))
        return std::string(what) + " must be a JSON object";
    for (auto member : object) {
        od::field field;
        if (std::move(member).get(field))
            return "malformed JSON";
        std::string_view key;
        if (field.unescaped_key().get(key))
            return "malformed JSON";
        if (problem p = on_member(key, field.value()); !p.empty())
            return p;
    }
    return {};
}

// Calls on_element(value, index) for each element of the array `value`.
template <class OnElement>
problem walk_array(od::value& value, std::string_view what, OnElement&& on_element)
{
    od::array array;
    if (value.get_array().get(array))
        return std::string(what) + " must be an array";
    std::size_t index = 0;
    for (auto element : array) {
        od::value item;
        if (std::move(element).get(item))
            return "malformed JSON";
        if (problem p = on_element(item, index++); !p.empty())
            return p;
    }
    return {};
}

// The document must hold nothing after its root value: once the root is consumed, the
// iterator's location is past the end.
problem finish(od::document& doc, problem p)
{
    if (p.empty() && doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
        p = "unexpected content after the JSON value";
    return p;
}

problem duplicate(std::string_view key) { return "duplicate field " + std::string(key); }

problem int64_array(od::value& value, std::string_view what, std::vector<std::int64_t>* out)
{
    return walk_array(value, what, [&](od::value& item, std::size_t index) -> problem {
        std::int64_t n = 0;
        if (item.get_int64().get(n))
            return std::string(what) + "[" + std::to_string(index) + "] must be a 64-bit integer";
        if (out)
            out->push_back(n);
        return {};
    });
}

// Emails of one request, for the duplicate check and the email filter.
std::vector<std::string_view>& email_list()
{
    thread_local std::vector<std::string_view> emails;
    emails.clear();
    return emails;
}

std::optional<std::string_view> first_duplicate(const std::vector<std::string_view>& emails)
{
    for (std::size_t i = 0; i < emails.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (iequals(emails[i], emails[j]))
                return emails[i];
    return std::nullopt;
}

// ---- replies ------------------------------------------------------------------------

// Anthropic's documented error types (https://docs.anthropic.com/en/api/errors).
std::string_view anthropic_error_type(unsigned status) noexcept
{
    switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 529: return "overloaded_error";
    default: return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

// WarpStream documents no error body. Its API is written in Go and answers errors as JSON
// with a machine-readable code and a human message, so the emulator uses
// {"code": "<snake_case code>", "message": "..."}; the gateway's mapping must only rely on
// the HTTP status and, at most, a "message" string.
std::string_view warpstream_code(unsigned status) noexcept
{
    switch (status) {
    case 400: return "invalid_argument";
    case 401: return "unauthenticated";
    case 403: return "permission_denied";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 413: return "request_too_large";
    case 415: return "unsupported_media_type";
    case 429: return "rate_limited";
    case 503: return "unavailable";
    default: return status >= 500 ? "internal" : "invalid_argument";
    }
}

enum class call { create, list };

// Which call a request on a vendor's path is: 404 off the path; POST creates; GET lists
// where the vendor publishes a list endpoint on the same path (`lists`); anything else is
// 405 with the methods that path allows.
std::optional<call> route(vendor v, const request_view& r, bool path_matches, bool lists, reply& out)
{
    if (!path_matches) {
        error_reply(v, 404, "no route for " + std::string(r.path), out);
        return std::nullopt;
    }
    if (r.method == "POST")
        return call::create;
    if (lists && r.method == "GET")
        return call::list;
    error_reply(v, 405, "method " + std::string(r.method) + " not allowed; use " + (lists ? "GET or POST" : "POST"),
                out);
    out.allow = lists ? "GET, POST" : "POST";
    return std::nullopt;
}

// A GET carries no body: neither bytes nor framing that announces some.
bool carries_body(const request_view& r) noexcept
{
    return !r.body.empty() || r.transfer_encoding || (r.content_length && trim(*r.content_length) != "0");
}

// The query's parameters, percent-decoded, by name: each must be one of `names` (values
// lands at the same index) and appear at most once.
template <std::size_t N>
problem query_parameters(std::string_view query, const std::array<std::string_view, N>& names,
                         std::array<std::optional<std::string>, N>& values)
{
    if (query.empty())
        return {};
    const std::string origin = "/?" + std::string(query); // the parsed views refer into it
    const auto parsed = boost::urls::parse_origin_form(origin);
    if (!parsed)
        return "malformed query string";
    for (const auto& param : parsed->params()) {
        const auto it = std::find(names.begin(), names.end(), param.key);
        if (it == names.end())
            return "query parameter " + param.key + ": Extra inputs are not permitted";
        std::optional<std::string>& slot = values[static_cast<std::size_t>(it - names.begin())];
        if (slot)
            return "query parameter " + param.key + " given more than once";
        slot = param.value;
    }
    return {};
}

bool json_body_declared(vendor v, const request_view& r, reply& out)
{
    if (r.content_type && is_json_media_type(*r.content_type))
        return true;
    error_reply(v, 415,
                r.content_type
                    ? "unsupported content type " + std::string(*r.content_type) + "; expected application/json"
                    : std::string("missing Content-Type; expected application/json"),
                out);
    return false;
}

bool bad_request(vendor v, const problem& p, reply& out)
{
    if (p.empty())
        return false;
    error_reply(v, 400, p, out);
    return true;
}

bool refused_by_filter(vendor v, email_filter* filter, std::span<const std::string_view> emails, reply& out)
{
    if (!filter)
        return false;
    const std::optional<std::string> email = filter->rejected(emails);
    if (!email)
        return false;
    email_rejected_reply(v, *email, out);
    return true;
}

// ---- the five contracts -------------------------------------------------------------

void write_anthropic_invite(json::writer& w, const stored_invitation& invite)
{
    w.begin_object()
        .member("id", invite.id)
        .member("type", "invite")
        .member("email", invite.email)
        .member("role", invite.role)
        .member("invited_at", invite.created_at)
        .member("expires_at", invite.expires_at)
        .member("status", "pending")
        .end_object();
}

// GET /v1/organizations/invites: a page of invites in creation order, by limit and an
// after_id / before_id cursor (an invite id).
void anthropic_list(const request_view& r, const invitation_store* store, reply& out)
{
    constexpr vendor v = vendor::anthropic;
    if (carries_body(r))
        return error_reply(v, 400, "a GET request must not carry a body", out);
    static constexpr std::array<std::string_view, 3> names{"limit", "after_id", "before_id"};
    std::array<std::optional<std::string>, 3> values;
    if (bad_request(v, query_parameters(r.query, names, values), out))
        return;
    const auto& [limit_text, after_id, before_id] = values;
    std::size_t limit = 20;
    if (limit_text) {
        const std::string& text = *limit_text;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
        if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
            return error_reply(v, 400, "limit: Input should be a valid integer", out);
        if (limit < 1)
            return error_reply(v, 400, "limit: Input should be greater than or equal to 1", out);
        if (limit > 1000)
            return error_reply(v, 400, "limit: Input should be less than or equal to 1000", out);
    }
    if (after_id && before_id)
        return error_reply(v, 400, "after_id, before_id: only one of them may be given", out);
    const std::optional<std::string>& cursor = after_id ? after_id : before_id;
    invitation_store::page page;
    if (store)
        page = store->read(cursor ? std::optional<std::string_view>(*cursor) : std::nullopt, before_id.has_value(),
                           limit);
    else
        page.cursor_found = !cursor;
    if (!page.cursor_found)
        return error_reply(v, 404, (after_id ? "after_id: invite " : "before_id: invite ") + *cursor + " not found",
                           out);

    out.status = 200;
    out.body.clear();
    json::writer w(out.body);
    w.begin_object().key("data").begin_array();
    for (const stored_invitation& invite : page.items)
        write_anthropic_invite(w, invite);
    w.end_array().member("has_more", page.has_more);
    if (page.items.empty())
        w.key("first_id").null().key("last_id").null();
    else
        w.member("first_id", page.items.front().id).member("last_id", page.items.back().id);
    w.end_object();
}

void anthropic(const account& a, const request_view& r, email_filter* filter, invitation_store* store, reply& out)
{
    constexpr vendor v = vendor::anthropic;
    const std::optional<call> what = route(v, r, r.path == "/v1/organizations/invites", true, out);
    if (!what)
        return;
    if (!r.x_api_key || *r.x_api_key != a.creds.anthropic_api_key)
        return error_reply(v, 401, "invalid x-api-key", out);
    if (!r.anthropic_version)
        return error_reply(v, 400, "anthropic-version: header is required", out);
    if (*r.anthropic_version != "2023-06-01")
        return error_reply(v, 400, "anthropic-version: invalid version " + std::string(*r.anthropic_version), out);
    if (*what == call::list)
        return anthropic_list(r, store, out);
    if (!json_body_declared(v, r, out))
        return;

    od::document doc;
    if (parse(r.body, doc))
        return error_reply(v, 400, "There was an issue with your request body: invalid JSON", out);
    std::string_view email, role;
    bool has_email = false, has_role = false;
    problem p = walk_object(doc, "body", [&](std::string_view key, od::value& value) -> problem {
        if (key == "email") {
            if (std::exchange(has_email, true))
                return duplicate(key);
            if (value.get_string().get(email))
                return "email: Input should be a valid string";
            if (!looks_like_email(email))
                return "email: value is not a valid email address";
            return {};
        }
        if (key == "role") {
            if (std::exchange(has_role, true))
                return duplicate(key);
            if (value.get_string().get(role) || (role != "user" && role != "developer" && role != "billing"))
                return "role: Input should be 'user', 'developer' or 'billing'";
            return {};
        }
        return std::string(key) + ": Extra inputs are not permitted";
    });
    p = finish(doc, std::move(p));
    if (p.empty() && !has_email)
        p = "email: Field required";
    if (p.empty() && !has_role)
        p = "role: Field required";
    if (bad_request(v, p, out))
        return;
    const std::array<std::string_view, 1> emails{email};
    if (refused_by_filter(v, filter, emails, out))
        return;

    static constexpr char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    stored_invitation invite;
    invite.id = "invite_";
    std::uniform_int_distribution<int> digit(0, 61);
    for (int i = 0; i < 24; ++i)
        invite.id += base62[digit(random_engine())];
    const auto now = std::chrono::system_clock::now();
    invite.email = email;
    invite.role = role;
    invite.created_at = rfc3339(now, 6);
    invite.expires_at = rfc3339(now + std::chrono::days(21), 6);
    out.status = 200;
    out.body.clear();
    json::writer w(out.body);
    write_anthropic_invite(w, invite);
    if (store)
        store->add(std::move(invite));
}

void write_clickhouse_invitation(json::writer& w, const stored_invitation& invitation)
{
    w.begin_object()
        .member("role", invitation.role)
        .member("id", invitation.id)
        .member("email", invitation.email)
        .member("createdAt", invitation.created_at)
        .member("expireAt", invitation.expires_at)
        .end_object();
}

// GET /v1/organizations/{organizationId}/invitations: every invitation, no paging.
void clickhouse_list(const request_view& r, const invitation_store* store, reply& out)
{
    constexpr vendor v = vendor::clickhouse;
    if (carries_body(r))
        return error_reply(v, 400, "GET request must not have a body", out);
    if (!r.query.empty())
        return error_reply(v, 400, "this call takes no query parameters", out); // none documented
    out.status = 200;
    out.body.clear();
    json::writer w(out.body);
    w.begin_object().member("status", 200).member("requestId", random_uuid()).key("result").begin_array();
    if (store)
        for (const stored_invitation& invitation : store->all())
            write_clickhouse_invitation(w, invitation);
    w.end_array().end_object();
}

void clickhouse(const account& a, const request_view& r, email_filter* filter, invitation_store* store, reply& out)
{
    constexpr vendor v = vendor::clickhouse;
    constexpr std::string_view head = "/v1/organizations/", tail = "/invitations";
    std::string_view organization;
    const bool matches = r.path.size() > head.size() + tail.size() && r.path.starts_with(head) &&
                         r.path.ends_with(tail);
    if (matches)
        organization = r.path.substr(head.size(), r.path.size() - head.size() - tail.size());
    const std::optional<call> what = route(v, r, matches && organization.find('/') == std::string_view::npos, true,
                                           out);
    if (!what)
        return;
    const auto token = credentials_for_scheme(r.authorization, "Basic");
    if (!token || *token != a.clickhouse_basic_token) {
        error_reply(v, 401, "Unauthorized: invalid key id or key secret", out);
        out.www_authenticate = "Basic realm=\"ClickHouse Cloud\"";
        return;
    }
    if (!is_uuid(organization))
        return error_reply(v, 400, "organizationId must be a UUID", out);
    if (!iequals(organization, a.creds.clickhouse_org_id))
        return error_reply(v, 404, "Organization not found", out);
    if (*what == call::list)
        return clickhouse_list(r, store, out);
    if (!json_body_declared(v, r, out))
        return;

    od::document doc;
    if (parse(r.body, doc))
        return error_reply(v, 400, "Invalid JSON in request body", out);
    std::string_view email, role;
    bool has_email = false, has_role = false;
    problem p = walk_object(doc, "request body", [&](std::string_view key, od::value& value) -> problem {
        if (key == "email") {
            if (std::exchange(has_email, true))
                return duplicate(key);
            if (value.get_string().get(email) || !looks_like_email(email))
                return "email: must be a valid email";
            return {};
        }
        if (key == "role") {
            if (std::exchange(has_role, true))
                return duplicate(key);
            if (value.get_string().get(role) || (role != "admin" && role != "developer"))
                return "role: must be one of admin, developer";
            return {};
        }
        return "unknown field " + std::string(key);
    });
    p = finish(doc, std::move(p));
    if (p.empty() && !has_email)
        p = "email: is required";
    if (p.empty() && !has_role)
        p = "role: is required";
    if (bad_request(v, p, out))
        return;
    const std::array<std::string_view, 1> emails{email};
    if (refused_by_filter(v, filter, emails, out))
        return;

    const auto now = std::chrono::system_clock::now();
    stored_invitation invitation{
        .id = random_uuid(),
        .email = lower(email),
        .role = std::string(role),
        .created_at = rfc3339(now, 0),
        .expires_at = rfc3339(now + std::chrono::days(30), 0),
    };
    out.status = 200;
    out.body.clear();
    json::writer w(out.body);
    w.begin_object().member("status", 200).member("requestId", random_uuid()).key("result");
    write_clickhouse_invitation(w, invitation);
    w.end_object();
    if (store)
        store->add(std::move(invitation));
}

void warpstream(const account& a, const request_view& r, email_filter* filter, reply& out)
{
    constexpr vendor v = vendor::warpstream;
    if (!route(v, r, r.path == "/api/v1/users/create_invitations", false, out))
        return;
    if (!r.warpstream_api_key || *r.warpstream_api_key != a.creds.warpstream_api_key)
        return error_reply(v, 401, "invalid or missing warpstream-api-key", out);
    if (!json_body_declared(v, r, out))
        return;

    od::document doc;
    if (parse(r.body, doc))
        return error_reply(v, 400, "invalid JSON request body", out);
    auto& emails = email_list();
    bool has_invitations = false;
    problem p = walk_object(doc, "request body", [&](std::string_view key, od::value& value) -> problem {
        if (key != "invitations")
            return "unknown field \"" + std::string(key) + "\"";
        if (std::exchange(has_invitations, true))
            return duplicate(key);
        return walk_array(value, "invitations", [&](od::value& item, std::size_t index) -> problem {
            const std::string at = "invitations[" + std::to_string(index) + "]";
            std::string_view email, role_id;
            bool has_email = false, has_role = false;
            problem q = walk_object(item, at, [&](std::string_view field, od::value& member) -> problem {
                if (field == "email") {
                    if (std::exchange(has_email, true))
                        return duplicate(field);
                    if (member.get_string().get(email) || !looks_like_email(email))
                        return at + ".email: invalid email address";
                    return {};
                }
                if (field == "user_role_id") {
                    if (std::exchange(has_role, true))
                        return duplicate(field);
                    if (member.get_string().get(role_id))
                        return at + ".user_role_id: must be a string";
                    const auto& ids = a.creds.warpstream_role_ids;
                    if (std::find(ids.begin(), ids.end(), role_id) == ids.end())
                        return at + ".user_role_id: role " + std::string(role_id) + " does not exist in this account";
                    return {};
                }
                return at + ": unknown field \"" + std::string(field) + "\"";
            });
            if (q.empty() && !has_email)
                q = at + ".email: required";
            if (q.empty() && !has_role)
                q = at + ".user_role_id: required";
            if (q.empty() && emails.size() == a.warpstream_max_batch)
                q = "too many invitations: at most " + std::to_string(a.warpstream_max_batch) + " per request";
            if (q.empty())
                emails.push_back(email);
            return q;
        });
    });
    p = finish(doc, std::move(p));
    if (p.empty() && !has_invitations)
        p = "invitations: required";
    if (p.empty() && emails.empty())
        p = "invitations: must contain at least one invitation";
    if (p.empty())
        if (const auto dup = first_duplicate(emails))
            p = "duplicate invitation for " + std::string(*dup);
    if (bad_request(v, p, out) || refused_by_filter(v, filter, emails, out))
        return;
    out.status = 200;
    out.body = "{}";
}

// GoRules documents no error body; its BRMS API answers errors with a JSON object whose
// "message" says what went wrong, so the emulator answers {"message": "..."}.
void gorules(const account& a, const request_view& r, email_filter* filter, reply& out)
{
    constexpr vendor v = vendor::gorules;
    if (!route(v, r, r.path == "/api/users", false, out))
        return;
    const auto token = credentials_for_scheme(r.authorization, "Bearer");
    if (!token || *token != a.creds.gorules_token) {
        error_reply(v, 401, "Unauthorized", out);
        out.www_authenticate = "Bearer";
        return;
    }
    if (!json_body_declared(v, r, out))
        return;

    od::document doc;
    if (parse(r.body, doc))
        return error_reply(v, 400, "Invalid JSON body", out);
    auto& emails = email_list();
    bool has_emails = false;
    problem p = walk_object(doc, "body", [&](std::string_view key, od::value& value) -> problem {
        if (key != "emails")
            return "property " + std::string(key) + " should not exist";
        if (std::exchange(has_emails, true))
            return duplicate(key);
        return walk_array(value, "emails", [&](od::value& item, std::size_t index) -> problem {
            std::string_view email;
            if (item.get_string().get(email) || !looks_like_email(email))
                return "emails[" + std::to_string(index) + "] must be an email";
            if (emails.size() == 10)
                return std::string("emails must contain no more than 10 elements");
            emails.push_back(email);
            return {};
        });
    });
    p = finish(doc, std::move(p));
    if (p.empty() && !has_emails)
        p = "emails should not be empty";
    if (p.empty() && emails.empty())
        p = "emails must contain at least 1 elements";
    // Not documented; a duplicate in one call can only be a client bug, so refuse it.
    if (p.empty())
        if (const auto dup = first_duplicate(emails))
            p = "emails must contain unique values: " + std::string(*dup);
    if (bad_request(v, p, out) || refused_by_filter(v, filter, emails, out))
        return;

    const auto now = std::chrono::system_clock::now();
    const std::string created = rfc3339(now, 3);
    const std::string expires = rfc3339(now + std::chrono::days(7), 3);
    out.status = 200;
    out.body.clear();
    json::writer w(out.body);
    w.begin_array();
    for (const std::string_view email : emails)
        w.begin_object()
            .member("id", random_uuid())
            .member("email", lower(email))
            .member("status", "pending")
            .member("userId", random_uuid())
            .member("createdAt", created)
            .member("expiresAt", expires)
            .end_object();
    w.end_array();
}

// Atomicwork documents no error body either; {"message": "..."} is the emulator's choice.
void atomicwork(const account& a, const request_view& r, email_filter* filter, reply& out)
{
    constexpr vendor v = vendor::atomicwork;
    if (!route(v, r, r.path == "/api/v1/users/invite", false, out))
        return;
    if (!r.x_api_key || *r.x_api_key != a.creds.atomicwork_api_key)
        return error_reply(v, 401, "Invalid API key", out);
    // The header is optional; when sent it must name a workspace this key can act in.
    if (r.workspace_id && !a.creds.atomicwork_workspace_id.empty() &&
        *r.workspace_id != a.creds.atomicwork_workspace_id)
        return error_reply(v, 403, "workspace " + std::string(*r.workspace_id) + " is not accessible", out);
    if (!json_body_declared(v, r, out))
        return;

    od::document doc;
    if (parse(r.body, doc))
        return error_reply(v, 400, "Malformed JSON request", out);
    auto& emails = email_list();
    std::vector<std::int64_t> org_roles;
    std::uint32_t seen = 0;
    const auto once = [&](int bit) {
        const bool was = (seen >> bit) & 1u;
        seen |= 1u << bit;
        return !was;
    };
    problem p = walk_object(doc, "body", [&](std::string_view key, od::value& value) -> problem {
        if (key == "emails") {
            if (!once(0))
                return duplicate(key);
            return walk_array(value, "emails", [&](od::value& item, std::size_t index) -> problem {
                std::string_view email;
                if (item.get_string().get(email) || !looks_like_email(email))
                    return "emails[" + std::to_string(index) + "] is not a valid email";
                emails.push_back(email);
                return {};
            });
        }
        if (key == "org_roles") {
            if (!once(1))
                return duplicate(key);
            return int64_array(value, "org_roles", &org_roles);
        }
        if (key == "type") {
            if (!once(2))
                return duplicate(key);
            std::string_view type;
            if (value.get_string().get(type) || (type != "EMPLOYEE" && type != "EXTERNAL" && type != "AI_EMPLOYEE"))
                return std::string("type must be one of EMPLOYEE, EXTERNAL, AI_EMPLOYEE");
            return {};
        }
        if (key == "send_email") {
            if (!once(3))
                return duplicate(key);
            bool flag = false;
            if (value.get_bool().get(flag))
                return std::string("send_email must be a boolean");
            return {};
        }
        if (key == "workspaces") {
            if (!once(4))
                return duplicate(key);
            return walk_array(value, "workspaces", [&](od::value& item, std::size_t index) -> problem {
                const std::string at = "workspaces[" + std::to_string(index) + "]";
                bool has_id = false, has_roles = false;
                return walk_object(item, at, [&](std::string_view field, od::value& member) -> problem {
                    if (field == "id") {
                        if (std::exchange(has_id, true))
                            return duplicate(field);
                        std::int64_t id = 0;
                        if (member.get_int64().get(id))
                            return at + ".id must be a 64-bit integer";
                        return {};
                    }
                    if (field == "roles") {
                        if (std::exchange(has_roles, true))
                            return duplicate(field);
                        return int64_array(member, at + ".roles", nullptr);
                    }
                    return at + ": unknown field " + std::string(field);
                });
            });
        }
        if (key == "workspace_roles") {
            if (!once(5))
                return duplicate(key);
            return int64_array(value, "workspace_roles", nullptr);
        }
        if (key == "workspace_ids") {
            if (!once(6))
                return duplicate(key);
            return int64_array(value, "workspace_ids", nullptr);
        }
        return "unknown field " + std::string(key);
    });
    p = finish(doc, std::move(p));
    if (p.empty() && emails.empty())
        p = "emails must not be empty";
    if (p.empty())
        if (const auto dup = first_duplicate(emails))
            p = "duplicate email " + std::string(*dup);
    if (p.empty()) {
        const auto& ids = a.creds.atomicwork_role_ids;
        for (const std::int64_t role : org_roles)
            if (std::find(ids.begin(), ids.end(), role) == ids.end()) {
                p = "org role " + std::to_string(role) + " does not exist";
                break;
            }
    }
    if (bad_request(v, p, out) || refused_by_filter(v, filter, emails, out))
        return;
    out.status = 200;
    out.body = "{}";
}

} // namespace

account::account(const options& o)
    : creds(o.creds), warpstream_max_batch(o.warpstream_max_batch),
      clickhouse_basic_token(json::base64(o.creds.clickhouse_key_id + ":" + o.creds.clickhouse_key_secret))
{
}

void invitation_store::add(stored_invitation invitation)
{
    if (limit_ == 0)
        return;
    std::lock_guard lock(mutex_);
    if (items_.size() == limit_) {
        ids_.erase(items_.front().id);
        items_.pop_front();
        ++front_sequence_;
    }
    ids_.emplace(invitation.id, front_sequence_ + items_.size());
    items_.push_back(std::move(invitation));
}

void invitation_store::clear()
{
    std::lock_guard lock(mutex_);
    front_sequence_ += items_.size();
    items_.clear();
    ids_.clear();
}

invitation_store::page invitation_store::read(std::optional<std::string_view> cursor_id, bool before,
                                              std::size_t limit) const
{
    page out;
    std::lock_guard lock(mutex_);
    // [first, last) of items_: from the start, or after / before the cursor.
    std::size_t first = 0, last = items_.size();
    if (cursor_id) {
        const auto it = ids_.find(std::string(*cursor_id));
        if (it == ids_.end()) {
            out.cursor_found = false;
            return out;
        }
        const auto at = static_cast<std::size_t>(it->second - front_sequence_);
        if (before)
            last = at;
        else
            first = at + 1;
    }
    if (before) {
        out.has_more = last - first > limit;
        first = out.has_more ? last - limit : first;
    } else {
        out.has_more = last - first > limit;
        last = out.has_more ? first + limit : last;
    }
    out.items.assign(items_.begin() + static_cast<std::ptrdiff_t>(first),
                     items_.begin() + static_cast<std::ptrdiff_t>(last));
    return out;
}

std::vector<stored_invitation> invitation_store::all() const
{
    std::lock_guard lock(mutex_);
    return {items_.begin(), items_.end()};
}

void handle(vendor target, const account& a, const request_view& request, email_filter* filter, invitation_store* store,
            reply& out)
{
    out.clear();
    switch (target) {
    case vendor::anthropic: return anthropic(a, request, filter, store, out);
    case vendor::clickhouse: return clickhouse(a, request, filter, store, out);
    case vendor::warpstream: return warpstream(a, request, filter, out);
    case vendor::gorules: return gorules(a, request, filter, out);
    case vendor::atomicwork: return atomicwork(a, request, filter, out);
    }
}

void error_reply(vendor target, unsigned status, std::string_view message, reply& out)
{
    out.status = status;
    out.body.clear();
    json::writer w(out.body);
    switch (target) {
    case vendor::anthropic:
        w.begin_object()
            .member("type", "error")
            .key("error")
            .begin_object()
            .member("type", anthropic_error_type(status))
            .member("message", message)
            .end_object()
            .end_object();
        return;
    case vendor::clickhouse: w.begin_object().member("status", status).member("error", message).end_object(); return;
    case vendor::warpstream:
        w.begin_object().member("code", warpstream_code(status)).member("message", message).end_object();
        return;
    case vendor::gorules:
    case vendor::atomicwork: w.begin_object().member("message", message).end_object(); return;
    }
}

void email_rejected_reply(vendor target, std::string_view email, reply& out)
{
    error_reply(target, 400, "cannot invite " + std::string(email) + ": address rejected", out);
}

bool looks_like_email(std::string_view text) noexcept
{
    if (text.empty() || text.size() > 254)
        return false;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7F)
            return false;
        if (std::string_view("\"(),:;<>[\\]").find(c) != std::string_view::npos)
            return false;
    }
    const std::size_t at = text.find('@');
    if (at == std::string_view::npos || at == 0 || text.find('@', at + 1) != std::string_view::npos)
        return false;
    std::string_view domain = text.substr(at + 1);
    if (domain.find('.') == std::string_view::npos)
        return false;
    // Every dot-separated label non-empty: rejects "a@.com", "a@b..com", "a@b.com.".
    while (!domain.empty()) {
        const std::size_t dot = domain.find('.');
        if (dot == 0)
            return false;
        if (dot == std::string_view::npos)
            break;
        domain.remove_prefix(dot + 1);
        if (domain.empty())
            return false;
    }
    return true;
}

bool is_json_media_type(std::string_view content_type) noexcept
{
    const std::size_t semicolon = content_type.find(';');
    return iequals(trim(content_type.substr(0, semicolon)), "application/json");
}

std::string rfc3339(std::chrono::system_clock::time_point when, int fraction_digits)
{
    const auto seconds = std::chrono::floor<std::chrono::seconds>(when);
    const std::time_t t = std::chrono::system_clock::to_time_t(seconds);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char text[48];
    std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(when - seconds).count();
    if (fraction_digits == 6)
        n += static_cast<std::size_t>(
            std::snprintf(text + n, sizeof text - n, ".%06lld", static_cast<long long>(micros)));
    else if (fraction_digits == 3)
        n += static_cast<std::size_t>(
            std::snprintf(text + n, sizeof text - n, ".%03lld", static_cast<long long>(micros / 1000)));
    return std::string(text, n) + "Z";
}

std::string random_uuid()
{
    auto& engine = random_engine();
    std::uint64_t high = engine(), low = engine();
    high = (high & ~0xF000ull) | 0x4000ull;               // version 4
    low = (low & ~(0xC000ull << 48)) | (0x8000ull << 48); // RFC 4122 variant
    char text[37];
    std::snprintf(text, sizeof text, "%08llx-%04llx-%04llx-%04llx-%012llx", static_cast<unsigned long long>(high >> 32),
                  static_cast<unsigned long long>((high >> 16) & 0xFFFF),
                  static_cast<unsigned long long>(high & 0xFFFF), static_cast<unsigned long long>(low >> 48),
                  static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFull));
    return std::string(text, 36);
}

bool is_uuid(std::string_view text) noexcept
{
    if (text.size() != 36)
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

} // namespace igw::emulator::detail
