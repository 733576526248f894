#include "gateway/dispatch/reconcile.hpp"

#include "gateway/mapping/item_result.hpp"
#include "gateway/mapping/lookup_page.hpp"
#include "gateway/telemetry/log.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>

// GCC 12 pairs the coroutine frames' allocation with the wrong delete and warns (see
// fan_out.cpp): a known false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace igw::dispatch {
namespace {

namespace net = boost::asio;

// RFC 3986 query component: everything but unreserved characters percent-encoded.
void append_query_value(std::string& out, std::string_view value)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    for (unsigned char c : value) {
        const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xF]);
        }
    }
}

// What one target's listing said about the emails looked up there.
struct listing {
    std::map<std::string, std::string> found; // email -> the vendor's id ("" when it gives none)
    bool complete = false;                    // every page was read: an absent email was never created
    std::string failure;                      // why not, for the log
};

net::awaitable<listing> list_target(upstream::client& client, const mapping::target_plan& target,
                                    const std::set<std::string>& wanted, std::chrono::steady_clock::time_point deadline)
{
    const mapping::lookup_plan& lookup = *target.provider->lookup;
    const upstream::endpoint ep{target.tls, target.host, target.port, target.ca_file};
    std::vector<upstream::header> headers;
    headers.reserve(target.lookup_headers.size());
    for (const auto& header : target.lookup_headers)
        headers.push_back(upstream::header{header.name, header.value});

    listing out;
    mapping::lookup_reader reader;
    mapping::lookup_page page;
    std::string cursor;
    for (unsigned pages = 0; pages < lookup.max_pages; ++pages) {
        std::string path = target.lookup_target;
        if (pages > 0) {
            path += path.find('?') == std::string::npos ? '?' : '&';
            append_query_value(path, lookup.cursor_param);
            path += '=';
            append_query_value(path, cursor);
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            out.failure = "the reconcile's deadline passed after " + std::to_string(pages) + " pages";
            co_return out;
        }
        const upstream::request request{"GET", path, headers, {}};
        const upstream::response reply = co_await client.send(ep, request, std::min(deadline, now + target.timeout),
                                                              target.max_in_flight);
        if (reply.error != upstream::failure::none) {
            out.failure = "the listing call failed: " + reply.message;
            co_return out;
        }
        if (reply.status != 200) {
            out.failure = "the listing answered HTTP " + std::to_string(reply.status);
            co_return out;
        }
        if (std::string why = reader.read(lookup, reply.body, page); !why.empty()) {
            out.failure = "page " + std::to_string(pages + 1) + " of the listing: " + why;
            co_return out;
        }
        for (const auto& listed : page.invitations)
            if (wanted.contains(listed.email))
                out.found.insert_or_assign(listed.email, listed.invitation_id);
        // Every email found: the pages left cannot change anything.
        if (out.found.size() == wanted.size() || !page.next_cursor) {
            out.complete = true;
            co_return out;
        }
        cursor = std::move(*page.next_cursor);
    }
    out.failure = "the listing has more than lookup.max_pages (" + std::to_string(lookup.max_pages) + ") pages";
    co_return out;
}

// The route's target plan for an item, or null when the route no longer has that target.
const mapping::target_plan* target_of(const mapping::route_plan& route, const ledger::item_record& item)
{
    if (item.target >= route.targets.size() || route.target_names[item.target] != item.target_name)
        return nullptr;
    return route.targets[item.target];
}

} // namespace

bool has_reconcilable_items(const mapping::route_plan& route, const ledger::request_with_items& recorded)
{
    return std::any_of(recorded.items.begin(), recorded.items.end(), [&](const ledger::item_record& item) {
        const mapping::target_plan* target = target_of(route, item);
        return item.status == ledger::item_status::unknown && target && target->has_lookup();
    });
}

net::awaitable<reconcile_result> reconcile(upstream::client& client, const mapping::route_plan& route,
                                           const ledger::request_with_items& recorded,
                                           std::chrono::steady_clock::time_point deadline)
{
    reconcile_result result;
    // Per route target index: the unknown items to look up there.
    std::map<std::uint32_t, std::vector<const ledger::item_record*>> by_target;
    for (const auto& item : recorded.items) {
        if (item.status != ledger::item_status::unknown)
            continue;
        const mapping::target_plan* target = target_of(route, item);
        if (!target || !target->has_lookup()) {
            ++result.without_lookup;
            continue;
        }
        ++result.looked_up;
        by_target[item.target].push_back(&item);
    }
    for (const auto& [index, items] : by_target) {
        const mapping::target_plan& target = *route.targets[index];
        // Recorded emails are normalised (ASCII lower-case, canonical/email.hpp), as the
        // listing's are once read (lookup_page.hpp): they compare as they are.
        std::set<std::string> wanted;
        for (const auto* item : items)
            wanted.insert(item->email);
        const listing listed = co_await list_target(client, target, wanted, deadline);
        if (!listed.failure.empty())
            telemetry::log(telemetry::log_level::warn, "reconcile_lookup_failed",
                           {{"request_id", recorded.request.request_id},
                            {"target", target.name},
                            {"found", listed.found.size()},
                            {"reason", target.redact(listed.failure, 512)}});
        for (const auto* item : items) {
            const auto found = listed.found.find(item->email);
            if (found == listed.found.end() && !listed.complete)
                continue; // the listing cannot tell: the item stays unknown
            ledger::item_outcome& outcome = result.settled.emplace_back();
            outcome.invitation = item->invitation;
            outcome.target = item->target;
            outcome.reconciled = true;
            if (found != listed.found.end()) {
                outcome.status = ledger::item_status::invited;
                outcome.invitation_id = found->second;
            } else {
                outcome.status = ledger::item_status::failed;
                outcome.error_code = mapping::to_string(mapping::error_code::not_created);
                outcome.message = "target " + target.name +
                                  " does not list an invitation for this email: the call whose outcome was unknown "
                                  "did not create one; it is safe to invite again";
            }
        }
    }
    co_return result;
}

} // namespace igw::dispatch

#pragma GCC diagnostic pop
