#include "gateway/dispatch/dry_run.hpp"

#include "gateway/json/writer.hpp"

namespace igw::dispatch {

void write_dry_run(std::string_view request_id, const canonical::invite_request& request,
                   const mapping::route_plan& route, const mapping::dispatch_plan& plan, std::string& out)
{
    json::writer w(out);
    w.begin_object();
    if (!request_id.empty())
        w.member("request_id", request_id);
    w.member("dry_run", true);
    w.key("calls").begin_array();
    for (const auto& call : plan.calls) {
        const mapping::target_plan& target = *call.target;
        w.begin_object();
        w.member("target", target.name);
        w.member("method", target.method);
        w.member("url", target.url());
        w.key("headers").begin_object();
        w.member("Host", target.host_header);
        for (const auto& header : target.headers)
            w.member(header.name, header.secret ? std::string_view("<redacted>") : std::string_view(header.value));
        w.end_object();
        // The exact bytes that would be sent, as a string, so nothing is re-encoded.
        w.member("body", plan.body_of(call));
        w.key("invitations").begin_array();
        for (std::uint32_t index : plan.items_of(call))
            w.integer(index);
        w.end_array();
        w.end_object();
    }
    w.end_array();
    w.key("results").begin_array();
    for (const auto& result : plan.immediate) {
        w.begin_object();
        w.member("index", result.invitation);
        w.member("email", request.invitations[result.invitation].email);
        w.member("target", route.target_names[result.target]);
        w.member("status", mapping::to_string(result.status));
        w.key("error").begin_object();
        w.member("code", mapping::to_string(result.error));
        w.member("message", result.message);
        w.end_object();
        w.end_object();
    }
    w.end_array();
    w.end_object();
}

} // namespace igw::dispatch
