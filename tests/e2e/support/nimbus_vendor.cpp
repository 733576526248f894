#include "tests/e2e/support/nimbus_vendor.hpp"

#include "gateway/json/writer.hpp"
#include "sandbox/vendors.hpp"

#include <boost/url/parse.hpp>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <strings.h>

namespace igw::e2e {
namespace {

namespace od = simdjson::ondemand;

// An error message, empty when all is well.
using problem = std::string;

constexpr std::int64_t first_id = 90001;
constexpr std::size_t default_page_size = 25, max_page_size = 100, max_team_ids = 20;
constexpr auto expiry = std::chrono::days(14);

bool iequals(std::string_view a, std::string_view b) noexcept
{
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string lower(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string_view trim(std::string_view text) noexcept
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

std::string_view error_code(unsigned status) noexcept
{
    switch (status) {
    case 400: return "invalid_request";
    case 401: return "unauthenticated";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "already_invited";
    case 415: return "unsupported_media_type";
    case 429: return "rate_limited";
    case 503: return "unavailable";
    default: return status >= 500 ? "internal" : "invalid_request";
    }
}

scripted_reply error(unsigned status, std::string_view message,
                     const std::vector<std::pair<std::string, std::string>>& headers = {})
{
    std::string body;
    json::writer(body)
        .begin_object()
        .key("error")
        .begin_object()
        .member("code", error_code(status))
        .member("message", message)
        .end_object()
        .end_object();
    return http_reply(status, body, headers);
}

std::size_t count_headers(const scripted_request& request, std::string_view name)
{
    return static_cast<std::size_t>(std::count_if(request.headers.begin(), request.headers.end(),
                                                  [&](const auto& field) { return iequals(field.first, name); }));
}

bool contains(const std::vector<std::int64_t>& ids, std::int64_t id)
{
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// ---- JSON input ---------------------------------------------------------------------

// Calls on_member(key, value) for each member of the document's root object until one
// returns a problem. On-Demand parses lazily: every value must be consumed by on_member,
// which is also what makes malformed JSON anywhere in the body an error here.
template <class OnMember>
problem walk_object(od::document& doc, OnMember&& on_member)
{
    od::object object;
    if (doc.get_object().get(object))
        return "body must be a JSON object";
    for (auto member : object) {
        od::field field;
        std::string_view key;
        if (std::move(member).get(field) || field.unescaped_key().get(key))
            return "malformed JSON";
        if (problem p = on_member(key, field.value()); !p.empty())
            return p;
    }
    // Nothing may follow the root value: once it is consumed the location is past the end.
    if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
        return "unexpected content after the JSON value";
    return {};
}

struct create_body {
    std::string_view email;
    std::int64_t role_id = 0;
    std::vector<std::int64_t> team_ids;
};

problem parse_create(std::string_view text, const std::vector<std::int64_t>& role_ids,
                     const std::vector<std::int64_t>& team_ids, od::parser& parser, simdjson::padded_string& buffer,
                     create_body& out)
{
    buffer = simdjson::padded_string(text);
    od::document doc;
    if (parser.iterate(buffer).get(doc))
        return "malformed JSON";
    bool has_email = false, has_role = false, has_teams = false, has_notification = false;
    problem p = walk_object(doc, [&](std::string_view key, od::value& value) -> problem {
        if (key == "email") {
            if (std::exchange(has_email, true))
                return "duplicate member email";
            if (value.get_string().get(out.email) || !igw::emulator::detail::looks_like_email(out.email))
                return "email must be a valid email address";
            return {};
        }
        if (key == "role_id") {
            if (std::exchange(has_role, true))
                return "duplicate member role_id";
            if (value.get_int64().get(out.role_id))
                return "role_id must be an integer";
            if (!contains(role_ids, out.role_id))
                return "role_id " + std::to_string(out.role_id) + " does not exist in this workspace";
            return {};
        }
        if (key == "team_ids") {
            if (std::exchange(has_teams, true))
                return "duplicate member team_ids";
            od::array array;
            if (value.get_array().get(array))
                return "team_ids must be an array of integers";
            for (auto element : array) {
                std::int64_t id = 0;
                if (std::move(element).get_int64().get(id))
                    return "team_ids[" + std::to_string(out.team_ids.size()) + "] must be an integer";
                if (!contains(team_ids, id))
                    return "team " + std::to_string(id) + " does not exist in this workspace";
                out.team_ids.push_back(id);
            }
            if (out.team_ids.empty() || out.team_ids.size() > max_team_ids)
                return "team_ids must have 1 to " + std::to_string(max_team_ids) + " elements";
            return {};
        }
        if (key == "send_notification") {
            if (std::exchange(has_notification, true))
                return "duplicate member send_notification";
            bool flag = false;
            if (value.get_bool().get(flag))
                return "send_notification must be a boolean";
            return {};
        }
        return "unknown member " + std::string(key);
    });
    if (!p.empty())
        return p;
    if (!has_email)
        return "email is required";
    if (!has_role)
        return "role_id is required";
    if (!has_teams)
        return "team_ids is required";
    if (!has_notification)
        return "send_notification is required";
    return {};
}

} // namespace

struct nimbus_vendor::state {
    enum class create_fault { drop_after, drop_before };

    state(std::string t, std::string w, std::vector<std::int64_t> roles, std::vector<std::int64_t> teams)
        : token(std::move(t)), workspace(std::move(w)), role_ids(std::move(roles)), team_ids(std::move(teams)),
          random(std::random_device{}())
    {
        if (token.empty() || workspace.empty() || role_ids.empty() || team_ids.empty())
            throw std::invalid_argument("nimbus_vendor: token, workspace, role ids and team ids must be non-empty");
    }

    const std::string token, workspace;
    const std::vector<std::int64_t> role_ids, team_ids;

    std::mutex mutex; // guards everything below
    std::vector<nimbus_invitation> invitations;
    std::int64_t next_id = first_id;
    std::map<std::string, std::size_t> cursors;               // issued cursor -> index of its page's first invitation
    std::vector<std::pair<std::string, create_fault>> faults; // lower-cased email, in arming order
    unsigned lookup_failures = 0, lookup_failure_status = 500;
    std::mt19937_64 random;

    // Only used on the vendor's thread.
    od::parser parser;
    simdjson::padded_string buffer;

    // Requires the mutex.
    const nimbus_invitation* find(std::string_view lowered) const
    {
        for (const nimbus_invitation& invitation : invitations)
            if (invitation.email == lowered)
                return &invitation;
        return nullptr;
    }

    // Requires the mutex.
    const nimbus_invitation& create(std::string lowered, std::int64_t role_id, std::vector<std::int64_t> teams)
    {
        const auto expires = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now() + expiry);
        nimbus_invitation& made = invitations.emplace_back();
        made.id = next_id++;
        made.email = std::move(lowered);
        made.role_id = role_id;
        made.team_ids = std::move(teams);
        made.expires_at = expires.time_since_epoch().count();
        made.expires_at_ms = made.expires_at * 1000;
        return made;
    }

    // Requires the mutex.
    std::optional<create_fault> take_fault(std::string_view lowered)
    {
        const auto it = std::find_if(faults.begin(), faults.end(), [&](const auto& f) { return f.first == lowered; });
        if (it == faults.end())
            return std::nullopt;
        const create_fault kind = it->second;
        faults.erase(it);
        return kind;
    }

    // Requires the mutex.
    std::string issue_cursor(std::size_t next_index)
    {
        for (;;) {
            char text[24];
            std::snprintf(text, sizeof text, "c%016llx", static_cast<unsigned long long>(random()));
            if (cursors.emplace(text, next_index).second)
                return text;
        }
    }

    scripted_reply answer(const scripted_request& request);
    scripted_reply create_call(const scripted_request& request);
    scripted_reply list_call(const scripted_request& request, std::string_view query);
};

scripted_reply nimbus_vendor::state::answer(const scripted_request& request)
{
    const std::string_view target = request.target;
    const std::size_t question = target.find('?');
    const std::string_view path = target.substr(0, question);
    const std::string_view query = question == std::string_view::npos ? std::string_view{} : target.substr(question);

    constexpr std::string_view head = "/api/v3/workspaces/", tail = "/invitations";
    if (!(path.size() > head.size() + tail.size() && path.starts_with(head) && path.ends_with(tail)))
        return error(404, "no such path");
    const std::string_view path_workspace = path.substr(head.size(), path.size() - head.size() - tail.size());
    if (path_workspace.find('/') != std::string_view::npos)
        return error(404, "no such path");
    if (request.method != "GET" && request.method != "POST")
        return error(405, "method " + request.method + " not allowed", {{"Allow", "GET, POST"}});

    const std::optional<std::string> authorization = request.header("Authorization");
    bool authorized = false;
    if (authorization && count_headers(request, "Authorization") == 1) {
        const std::string_view value = trim(*authorization);
        constexpr std::string_view scheme = "Token";
        authorized = value.size() > scheme.size() + 1 && iequals(value.substr(0, scheme.size()), scheme) &&
                     value[scheme.size()] == ' ' && trim(value.substr(scheme.size() + 1)) == token;
    }
    if (!authorized)
        return error(401, "invalid or missing token");
    if (count_headers(request, "Accept") != 1 || request.header("Accept") != nimbus_media_type)
        return error(415, "Accept must be application/vnd.nimbus.v3+json");
    if (path_workspace != workspace)
        return error(404, "workspace not found");
    return request.method == "POST" ? create_call(request) : list_call(request, query);
}

scripted_reply nimbus_vendor::state::create_call(const scripted_request& request)
{
    const std::optional<std::string> content_type = request.header("Content-Type");
    if (!content_type || !igw::emulator::detail::is_json_media_type(*content_type))
        return error(415, "Content-Type must be application/json");
    create_body body;
    if (problem p = parse_create(request.body, role_ids, team_ids, parser, buffer, body); !p.empty())
        return error(400, p);

    std::string lowered = lower(body.email);
    std::lock_guard lock(mutex);
    if (const nimbus_invitation* existing = find(lowered)) {
        std::string reply;
        json::writer(reply)
            .begin_object()
            .key("error")
            .begin_object()
            .member("code", "already_invited")
            .member("message", existing->email + " already has a pending invitation")
            .member("invitation_id", existing->id)
            .end_object()
            .end_object();
        return http_reply(409, reply);
    }
    const std::optional<create_fault> fault = take_fault(lowered);
    if (fault == create_fault::drop_before)
        return scripted_reply{.close = true};
    const nimbus_invitation& made = create(std::move(lowered), body.role_id, std::move(body.team_ids));
    if (fault == create_fault::drop_after)
        return scripted_reply{.close = true};

    std::string reply;
    json::writer w(reply);
    w.begin_object().key("invitation").begin_object();
    w.member("id", made.id).member("email", made.email).member("role_id", made.role_id).key("team_ids").begin_array();
    for (const std::int64_t team : made.team_ids)
        w.integer(team);
    w.end_array()
        .member("state", "pending")
        .member("expires_at", made.expires_at)
        .member("expires_at_ms", made.expires_at_ms)
        .end_object()
        .end_object();
    return http_reply(201, reply);
}

scripted_reply nimbus_vendor::state::list_call(const scripted_request& request, std::string_view query)
{
    const std::optional<std::string> length = request.header("Content-Length");
    if (!request.body.empty() || (length && trim(*length) != "0") || request.header("Transfer-Encoding"))
        return error(400, "a list request carries no body");

    std::optional<std::string> page_size_text, cursor;
    if (query.size() > 1) {
        // Percent-decoded by Boost.URL, which also refuses a malformed escape.
        const std::string origin = "/" + std::string(query); // parsed views refer into it
        const auto parsed = boost::urls::parse_origin_form(origin);
        if (!parsed)
            return error(400, "malformed query");
        for (const auto& param : parsed->params()) {
            std::optional<std::string>* slot = param.key == "page_size" ? &page_size_text
                                               : param.key == "cursor"  ? &cursor
                                                                        : nullptr;
            if (!slot)
                return error(400, "unknown query parameter " + std::string(param.key));
            if (*slot)
                return error(400, "query parameter " + std::string(param.key) + " given twice");
            *slot = std::string(param.value);
        }
    }
    std::size_t page_size = default_page_size;
    if (page_size_text) {
        const std::string& text = *page_size_text;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), page_size);
        if (text.empty() || text.front() == '+' || ec != std::errc{} || end != text.data() + text.size() ||
            page_size < 1 || page_size > max_page_size)
            return error(400, "page_size must be an integer from 1 to " + std::to_string(max_page_size));
    }

    std::lock_guard lock(mutex);
    std::size_t begin = 0;
    if (cursor) {
        const auto it = cursors.find(*cursor);
        if (it == cursors.end())
            return error(400, "unknown cursor");
        begin = it->second;
    }
    if (lookup_failures > 0) {
        --lookup_failures;
        return error(lookup_failure_status, "injected failure");
    }
    const std::size_t end = std::min(invitations.size(), begin + page_size);
    std::string reply;
    json::writer w(reply);
    w.begin_object().key("invitations").begin_array();
    for (std::size_t i = begin; i < end; ++i)
        w.begin_object()
            .member("id", invitations[i].id)
            .member("email", invitations[i].email)
            .member("state", "pending")
            .member("expires_at", invitations[i].expires_at)
            .end_object();
    w.end_array().key("next_cursor");
    if (end < invitations.size())
        w.string(issue_cursor(end));
    else
        w.null();
    w.end_object();
    return http_reply(200, reply);
}

nimbus_vendor::nimbus_vendor(std::string token, std::string workspace, std::vector<std::int64_t> role_ids,
                             std::vector<std::int64_t> team_ids)
    : state_(std::make_shared<state>(std::move(token), std::move(workspace), std::move(role_ids), std::move(team_ids))),
      vendor_([s = state_](const scripted_request& request) { return s->answer(request); })
{
}

nimbus_vendor::~nimbus_vendor() = default;

std::uint16_t nimbus_vendor::port() const noexcept { return vendor_.port(); }

std::string nimbus_vendor::base_url() const { return vendor_.base_url(); }

std::string nimbus_vendor::invitations_path() const
{
    return "/api/v3/workspaces/" + state_->workspace + "/invitations";
}

std::int64_t nimbus_vendor::seed(std::string_view email)
{
    if (!igw::emulator::detail::looks_like_email(email))
        throw std::invalid_argument("nimbus_vendor::seed: not an email address: " + std::string(email));
    std::string lowered = lower(email);
    std::lock_guard lock(state_->mutex);
    if (state_->find(lowered))
        throw std::invalid_argument("nimbus_vendor::seed: already invited: " + std::string(email));
    return state_->create(std::move(lowered), state_->role_ids.front(), {state_->team_ids.front()}).id;
}

void nimbus_vendor::drop_after_create(std::string_view email)
{
    std::lock_guard lock(state_->mutex);
    state_->faults.emplace_back(lower(email), state::create_fault::drop_after);
}

void nimbus_vendor::drop_before_create(std::string_view email)
{
    std::lock_guard lock(state_->mutex);
    state_->faults.emplace_back(lower(email), state::create_fault::drop_before);
}

void nimbus_vendor::fail_lookups(unsigned status, unsigned times)
{
    std::lock_guard lock(state_->mutex);
    state_->lookup_failure_status = status;
    state_->lookup_failures = times;
}

std::vector<nimbus_invitation> nimbus_vendor::invitations() const
{
    std::lock_guard lock(state_->mutex);
    return state_->invitations;
}

std::vector<scripted_request> nimbus_vendor::requests() const { return vendor_.requests(); }

} // namespace igw::e2e
