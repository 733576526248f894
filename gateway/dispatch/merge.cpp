#include "gateway/dispatch/merge.hpp"

#include "gateway/json/writer.hpp"

namespace igw::dispatch {

merge_summary write_merged_reply(std::string_view request_id, const canonical::invite_request& request,
                                 const mapping::route_plan& route, const std::vector<mapping::item_result>& results,
                                 std::string& out)
{
    using mapping::item_status;
    const std::size_t targets = request.targets.size();
    // Position of each route target among the selected ones (route order).
    std::vector<std::uint32_t> position(route.targets.size(), UINT32_MAX);
    for (std::size_t i = 0; i < targets; ++i)
        position[request.targets[i]] = static_cast<std::uint32_t>(i);

    std::vector<const mapping::item_result*> slots(request.invitations.size() * targets, nullptr);
    for (const auto& result : results) {
        if (result.invitation >= request.invitations.size() || result.target >= position.size() ||
            position[result.target] == UINT32_MAX)
            continue;
        const mapping::item_result*& slot = slots[result.invitation * targets + position[result.target]];
        if (!slot)
            slot = &result;
    }

    mapping::item_result missing;
    missing.status = item_status::unknown;
    missing.error = mapping::error_code::upstream_error;
    missing.message = "the gateway recorded no outcome for this call";

    merge_summary summary;
    for (const auto* slot : slots) {
        const item_status status = slot ? slot->status : item_status::unknown;
        summary.invited += status == item_status::invited;
        summary.failed += status == item_status::failed;
        summary.unknown += status == item_status::unknown;
    }
    summary.status = summary.invited == slots.size() ? 200 : 207;

    json::writer w(out);
    w.begin_object();
    w.member("request_id", request_id);
    w.key("summary").begin_object();
    w.member("invitations", request.invitations.size());
    w.member("targets", targets);
    w.member("invited", summary.invited);
    w.member("failed", summary.failed);
    w.member("unknown", summary.unknown);
    w.end_object();
    w.key("results").begin_array();
    for (std::size_t i = 0; i < slots.size(); ++i) {
        const std::size_t invitation = i / targets;
        const std::uint32_t target = request.targets[i % targets];
        const mapping::item_result& result = slots[i] ? *slots[i] : missing;
        const canonical::invitation& item = request.invitations[invitation];
        w.begin_object();
        w.member("index", invitation);
        if (item.ref)
            w.member("ref", *item.ref);
        w.member("email", item.email);
        w.member("target", route.target_names[target]);
        w.member("status", mapping::to_string(result.status));
        if (!result.invitation_id.empty())
            w.member("invitation_id", result.invitation_id);
        if (!result.expires_at.empty())
            w.member("expires_at", result.expires_at);
        if (!result.vendor_status.empty())
            w.member("vendor_status", result.vendor_status);
        if (result.upstream_status != 0)
            w.member("upstream_status", result.upstream_status);
        // Written only when true: most items are neither, and an absent flag reads as false.
        if (result.already_invited)
            w.member("already_invited", true);
        if (result.reconciled)
            w.member("reconciled", true);
        if (result.status != item_status::invited) {
            w.key("error").begin_object();
            w.member("code", mapping::to_string(result.error));
            w.member("message", result.message);
            w.end_object();
        }
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return summary;
}

} // namespace igw::dispatch
