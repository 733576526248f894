#include "gateway/dispatch/ledger_record.hpp"

#include "gateway/config/loader.hpp"
#include "gateway/json/writer.hpp"

#include <algorithm>
#include <array>

namespace igw::dispatch {
namespace {

std::string_view role_name(std::span<const std::string> roles, std::uint32_t index)
{
    return index < roles.size() ? std::string_view(roles[index]) : std::string_view();
}

// Appends `field` so that no two field lists give the same text: its length, then itself.
void append_field(std::string& out, std::string_view field)
{
    out.append(std::to_string(field.size())).push_back(':');
    out.append(field);
}

} // namespace

std::string request_fingerprint(std::string_view route_path, const canonical::invite_request& request,
                                std::span<const std::string> roles, const mapping::route_plan& route)
{
    std::string text = "v1";
    append_field(text, route_path);
    append_field(text, request.send_email ? "1" : "0");
    append_field(text, std::to_string(request.targets.size()));
    for (const std::uint32_t target : request.targets)
        append_field(text, route.target_names[target]);
    for (const auto& invitation : request.invitations) {
        append_field(text, invitation.email);
        append_field(text, role_name(roles, invitation.role));
        append_field(text, invitation.ref ? "1" + *invitation.ref : "0");
    }
    return config::sha256_hex(text);
}

ledger::new_request describe_request(std::string_view request_id, std::string_view client,
                                     std::string_view config_version, std::optional<std::string> idempotency_key,
                                     const canonical::invite_request& request, std::span<const std::string> roles,
                                     const mapping::route_plan& route)
{
    ledger::new_request out;
    out.request_id = request_id;
    out.client = client;
    out.route = route.path;
    out.config_version = config_version;
    out.idempotency_key = std::move(idempotency_key);
    out.fingerprint = request_fingerprint(route.path, request, roles, route);
    out.send_email = request.send_email;
    out.items.reserve(request.invitations.size() * request.targets.size());
    for (std::uint32_t i = 0; i < request.invitations.size(); ++i) {
        const auto& invitation = request.invitations[i];
        for (const std::uint32_t target : request.targets) {
            ledger::new_item& item = out.items.emplace_back();
            item.invitation = i;
            item.target = target;
            item.email = invitation.email;
            item.ref = invitation.ref;
            item.target_name = route.target_names[target];
            item.role = role_name(roles, invitation.role);
        }
    }
    return out;
}

void mark_planned(ledger::new_request& record, const mapping::dispatch_plan& plan)
{
    // describe_request lists invitation after invitation, each with the request's targets
    // in order: index the record's items by (invitation, target) once.
    std::size_t width = 0;
    for (const auto& item : record.items)
        width = std::max<std::size_t>(width, item.target + 1);
    std::vector<ledger::new_item*> at(record.items.empty() ? 0 : (record.items.back().invitation + 1) * width, nullptr);
    for (auto& item : record.items)
        at[item.invitation * width + item.target] = &item;
    const auto find = [&](std::uint32_t invitation, std::uint32_t target) -> ledger::new_item* {
        const std::size_t i = std::size_t{invitation} * width + target;
        return target < width && i < at.size() ? at[i] : nullptr;
    };
    for (const auto& call : plan.calls)
        for (const std::uint32_t invitation : plan.items_of(call))
            if (ledger::new_item* item = find(invitation, call.target_index))
                item->status = ledger::item_status::sending;
    for (const auto& result : plan.immediate)
        if (ledger::new_item* item = find(result.invitation, result.target)) {
            const ledger::item_outcome outcome = to_outcome(result);
            item->status = outcome.status;
            item->error_code = outcome.error_code;
            item->message = outcome.message;
        }
}

ledger::item_outcome to_outcome(const mapping::item_result& result)
{
    ledger::item_outcome out;
    out.invitation = result.invitation;
    out.target = result.target;
    switch (result.status) {
    case mapping::item_status::invited: out.status = ledger::item_status::invited; break;
    case mapping::item_status::failed: out.status = ledger::item_status::failed; break;
    case mapping::item_status::unknown: out.status = ledger::item_status::unknown; break;
    }
    out.error_code = mapping::to_string(result.error);
    out.message = result.message;
    out.invitation_id = result.invitation_id;
    out.expires_at = result.expires_at;
    out.vendor_status = result.vendor_status;
    out.upstream_status = result.upstream_status;
    out.already_invited = result.already_invited;
    out.reconciled = result.reconciled;
    return out;
}

std::optional<mapping::item_result> recorded_result(const ledger::item_record& item)
{
    mapping::item_result out;
    out.invitation = item.invitation;
    out.target = item.target;
    out.upstream_status = item.upstream_status;
    out.invitation_id = item.invitation_id;
    out.expires_at = item.expires_at;
    out.vendor_status = item.vendor_status;
    out.message = item.message;
    out.already_invited = item.already_invited;
    out.reconciled = item.reconciled;
    switch (item.status) {
    case ledger::item_status::pending: return std::nullopt;
    case ledger::item_status::sending:
        out.status = mapping::item_status::unknown;
        out.error = mapping::error_code::interrupted;
        if (out.message.empty())
            out.message = "the gateway stopped while this item was being sent; the vendor may have created it";
        return out;
    case ledger::item_status::invited: out.status = mapping::item_status::invited; break;
    case ledger::item_status::failed: out.status = mapping::item_status::failed; break;
    case ledger::item_status::unknown: out.status = mapping::item_status::unknown; break;
    }
    // A code this build does not know (written by a newer one) still says the item is
    // not invited; upstream_error is the closest stable code.
    out.error = mapping::parse_error_code(item.error_code).value_or(mapping::error_code::upstream_error);
    return out;
}

canonical::invite_request rebuild_request(const ledger::request_with_items& recorded,
                                          std::span<const std::string> roles, const mapping::route_plan& route,
                                          std::vector<ledger::item_outcome>& cannot_send)
{
    canonical::invite_request out;
    out.send_email = recorded.request.send_email;
    std::uint32_t invitations = 0;
    for (const auto& item : recorded.items)
        invitations = std::max(invitations, item.invitation + 1);
    out.invitations.resize(invitations);
    std::vector<bool> selected(route.target_names.size(), false);
    for (const auto& item : recorded.items) {
        canonical::invitation& invitation = out.invitations[item.invitation];
        invitation.email = item.email;
        invitation.ref = item.ref;
        const auto role = std::find(roles.begin(), roles.end(), item.role);
        const bool target_known = item.target < route.target_names.size() &&
                                  route.target_names[item.target] == item.target_name;
        if (target_known)
            selected[item.target] = true;
        if (item.status != ledger::item_status::pending)
            continue;
        if (role == roles.end() || !target_known) {
            ledger::item_outcome outcome;
            outcome.invitation = item.invitation;
            outcome.target = item.target;
            outcome.status = ledger::item_status::failed;
            outcome.error_code = mapping::to_string(role == roles.end() ? mapping::error_code::role_not_supported
                                                                        : mapping::error_code::target_unavailable);
            outcome.message = role == roles.end() ? "role " + item.role + " is no longer configured; nothing was sent"
                                                  : "target " + item.target_name + " is no longer on route " +
                                                        route.path + "; nothing was sent";
            cannot_send.push_back(std::move(outcome));
        }
        invitation.role = role == roles.end() ? 0 : static_cast<std::uint32_t>(role - roles.begin());
    }
    for (std::uint32_t t = 0; t < selected.size(); ++t)
        if (selected[t])
            out.targets.push_back(t);
    return out;
}

namespace {

// One result as the merged reply has it, from its record.
void write_item(json::writer& w, const ledger::item_record& item)
{
    w.begin_object();
    w.member("index", item.invitation);
    if (item.ref)
        w.member("ref", *item.ref);
    w.member("email", item.email);
    w.member("target", item.target_name);
    w.member("status", ledger::to_string(item.status));
    if (!item.invitation_id.empty())
        w.member("invitation_id", item.invitation_id);
    if (!item.expires_at.empty())
        w.member("expires_at", item.expires_at);
    if (!item.vendor_status.empty())
        w.member("vendor_status", item.vendor_status);
    if (item.upstream_status != 0)
        w.member("upstream_status", item.upstream_status);
    // Written only when true: most items are neither, and an absent flag reads as false.
    if (item.already_invited)
        w.member("already_invited", true);
    if (item.reconciled)
        w.member("reconciled", true);
    if (item.status == ledger::item_status::failed || item.status == ledger::item_status::unknown) {
        w.key("error").begin_object();
        w.member("code", item.error_code);
        w.member("message", item.message);
        w.end_object();
    }
    w.member("attempts", item.attempts);
    w.end_object();
}

} // namespace

void write_job_document(const ledger::job_record& job, std::optional<std::span<const ledger::item_record>> results,
                        std::optional<std::uint32_t> next_cursor, std::string& out)
{
    const ledger::request_record& r = job.request;
    const ledger::job_counts& n = job.counts;
    json::writer w(out);
    w.begin_object();
    w.member("job_id", r.request_id);
    w.member("status", ledger::to_string(r.state));
    w.member("route", r.route);
    w.member("created_at", ledger::to_rfc3339(r.created_at, true));
    if (r.started_at)
        w.member("started_at", ledger::to_rfc3339(*r.started_at, true));
    if (r.completed_at)
        w.member("completed_at", ledger::to_rfc3339(*r.completed_at, true));
    w.key("progress").begin_object();
    w.member("items", n.total);
    w.member("pending", n.pending);
    w.member("sending", n.sending);
    w.member("invited", n.invited);
    w.member("failed", n.failed);
    w.member("unknown", n.unknown);
    w.end_object();
    if (r.state == ledger::request_state::completed && results) {
        const std::span<const ledger::item_record> page = *results;
        // The synchronous reply's shape: request_id, summary, results (this page of them).
        std::vector<std::string_view> targets;
        for (const auto& item : page)
            if (std::find(targets.begin(), targets.end(), item.target_name) == targets.end())
                targets.push_back(item.target_name);
        w.key("result").begin_object();
        w.member("request_id", r.request_id);
        w.key("summary").begin_object();
        w.member("invitations", targets.empty() ? 0 : n.total / targets.size());
        w.member("targets", targets.size());
        w.member("invited", n.invited);
        w.member("failed", n.failed);
        w.member("unknown", n.unknown);
        w.end_object();
        w.key("results").begin_array();
        for (const auto& item : page)
            write_item(w, item);
        w.end_array();
        w.end_object();
        if (next_cursor)
            w.member("next_cursor", std::to_string(*next_cursor));
        else
            w.key("next_cursor").null();
    }
    w.key("webhook_deliveries").begin_array();
    for (const auto& d : job.deliveries) {
        w.begin_object();
        w.member("id", d.delivery_id);
        w.member("event", d.event_type);
        w.member("state", ledger::to_string(d.state));
        if (d.state == ledger::delivery_state::pending && d.attempts > 0)
            w.member("next_attempt_at", ledger::to_rfc3339(d.next_attempt_at, true));
        w.key("attempts").begin_array();
        for (const auto& a : d.history) {
            w.begin_object();
            w.member("at", ledger::to_rfc3339(a.at, true));
            if (a.status != 0)
                w.member("status", a.status);
            if (!a.error.empty())
                w.member("error", a.error);
            w.member("duration_ms", a.duration_ms);
            w.end_object();
        }
        w.end_array();
        w.end_object();
    }
    w.end_array();
    w.end_object();
}

void write_reconcile_report(std::string_view request_id, const reconcile_counts& counts,
                            std::span<const ledger::item_record> items, std::string& out)
{
    json::writer w(out);
    w.begin_object();
    w.member("request_id", request_id);
    w.key("reconcile").begin_object();
    w.member("looked_up", counts.looked_up);
    w.member("invited", counts.invited);
    w.member("not_created", counts.not_created);
    w.member("unknown", counts.unknown);
    w.member("without_lookup", counts.without_lookup);
    w.end_object();
    w.key("results").begin_array();
    for (const auto& item : items)
        write_item(w, item);
    w.end_array();
    w.end_object();
}

void write_request_document(const ledger::request_with_items& recorded, std::string& out)
{
    std::array<std::size_t, 5> counts{}; // by ledger::item_status
    std::uint32_t invitations = 0;
    std::vector<std::string_view> targets;
    for (const auto& item : recorded.items) {
        ++counts[static_cast<std::size_t>(item.status)];
        invitations = std::max(invitations, item.invitation + 1);
        if (std::find(targets.begin(), targets.end(), item.target_name) == targets.end())
            targets.push_back(item.target_name);
    }
    json::writer w(out);
    w.begin_object();
    w.member("request_id", recorded.request.request_id);
    w.member("state", ledger::to_string(recorded.request.state));
    w.member("route", recorded.request.route);
    w.member("config_version", recorded.request.config_version);
    w.key("summary").begin_object();
    w.member("invitations", invitations);
    w.member("targets", targets.size());
    using ledger::item_status;
    for (const item_status status : {item_status::invited, item_status::failed, item_status::unknown,
                                     item_status::pending, item_status::sending}) {
        const std::size_t n = counts[static_cast<std::size_t>(status)];
        const bool settled = status != item_status::pending && status != item_status::sending;
        if (settled || n > 0)
            w.member(ledger::to_string(status), n);
    }
    w.end_object();
    w.key("results").begin_array();
    for (const auto& item : recorded.items)
        write_item(w, item);
    w.end_array();
    w.end_object();
}

} // namespace igw::dispatch
