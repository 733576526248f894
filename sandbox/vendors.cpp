#include "sandbox/vendors.hpp"

#include "gateway/json/base64.hpp"
#include "gateway/json/writer.hpp"
#include "gateway/net/ows.hpp"

#include <boost/beast/core/string.hpp>
#include <simdjson.h>

#include <algorithm>
#include <array>
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

bool route(vendor v, const request_view& r, bool path_matches, reply& out)
{
    if (!path_matches) {
        error_reply(v, 404, "no route for " + std::string(r.path), out);
        return false;
    }
    if (r.method != "POST") {
        error_reply(v, 405, "method " + std::string(r.method) + " not allowed; use POST", out);
        out.allow_post = true;
        return false;
    }
    return true;
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

void anthropic(const account& a, const request_view& r, email_filter* filter, reply& out)
{
    constexpr vendor v = vendor::anthropic;
    if (!route(v, r, r.path == "/v1/organizations/invites", out))
        return;
    if (!r.x_api_key || *r.x_api_key != a.creds.anthropic_api_key)
        return error_reply(v, 401, "invalid x-api-key", out);
    if (!r.anthropic_version)
        return error_reply(v, 400, "anthropic-version: header is required", out);
    if (*r.anthropic_version != "2023-06-01")
        return error_reply(v, 400, "anthropic-version: invalid version " + std::string(*r.anthropic_version), out);
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
    std::string id = "invite_";
    std::uniform_int_distribution<int> digit(0, 61);
    for (int i = 0; i < 24; ++i)
        id += base62[digit(random_engine())];
    const auto now = std::chrono::system_clock::now();
    out.status = 200;
    out.body.clear();
    json::writer(out.body)
        .begin_object()
        .member("id", id)
        .member("type", "invite")
        .member("email", email)
        .member("role", role)
        .member("invited_at", rfc3339(now, 6))
        .member("expires_at", rfc3339(now + std::chrono::days(21), 6))
        .member("status", "pending")
        .end_object();
}

void clickhouse(const account& a, const request_view& r, email_filter* filter, reply& out)
{
    constexpr vendor v = vendor::clickhouse;
    constexpr std::string_view head = "/v1/organizations/", tail = "/invitations";
    std::string_view organization;
    const bool matches = r.path.size() > head.size() + tail.size() && r.path.starts_with(head) &&
                         r.path.ends_with(tail);
    if (matches)
        organization = r.path.substr(head.size(), r.path.size() - head.size() - tail.size());
    if (!route(v, r, matches && organization.find('/') == std::string_view::npos, out))
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
    out.status = 200;
    out.body.clear();
    json::writer(out.body)
        .begin_object()
        .member("status", 200)
        .member("requestId", random_uuid())
        .key("result")
        .begin_object()
        .member("role", role)
        .member("id", random_uuid())
        .member("email", lower(email))
        .member("createdAt", rfc3339(now, 0))
        .member("expireAt", rfc3339(now + std::chrono::days(30), 0))
        .end_object()
        .end_object();
}

void warpstream(const account& a, const request_view& r, email_filter* filter, reply& out)
{
    constexpr vendor v = vendor::warpstream;
    if (!route(v, r, r.path == "/api/v1/users/create_invitations", out))
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
    if (!route(v, r, r.path == "/api/users", out))
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
    if (!route(v, r, r.path == "/api/v1/users/invite", out))
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

void handle(vendor target, const account& a, const request_view& request, email_filter* filter, reply& out)
{
    out.clear();
    switch (target) {
    case vendor::anthropic: return anthropic(a, request, filter, out);
    case vendor::clickhouse: return clickhouse(a, request, filter, out);
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
