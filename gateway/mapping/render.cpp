#include "gateway/mapping/dispatch_plan.hpp"

#include "gateway/json/writer.hpp"
#include "gateway/mapping/outcome.hpp"

#include <algorithm>
#include <charconv>

namespace igw::mapping {
namespace {

std::string_view body_param(const target_plan& target, const std::string& name)
{
    for (const auto& [key, value] : target.body_params)
        if (key == name)
            return value;
    return {};
}

const std::vector<std::string>* body_list_param(const target_plan& target, const std::string& name)
{
    for (const auto& [key, value] : target.body_list_params)
        if (key == name)
            return &value;
    return nullptr;
}

void write_list_param(json::writer& w, const target_plan& target, const body_node& node)
{
    w.begin_array();
    if (const std::vector<std::string>* list = body_list_param(target, node.text))
        for (const std::string& element : *list) {
            if (node.what == body_node::kind::param_string_list) {
                w.string(element);
                continue;
            }
            std::int64_t number = 0;
            std::from_chars(element.data(), element.data() + element.size(), number); // checked at bind
            w.integer(number);
        }
    w.end_array();
}

void write_role(json::writer& out, const config::role_value& value)
{
    if (const auto* text = std::get_if<std::string>(&value)) {
        out.string(*text);
    } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
        out.integer(*number);
    } else if (const auto* list = std::get_if<std::vector<std::int64_t>>(&value)) {
        out.begin_array();
        for (std::int64_t id : *list)
            out.integer(id);
        out.end_array();
    } else {
        out.null(); // unreachable: unsupported roles never reach a call
    }
}

// Runs the body program for one call. `items` are the call's invitations; outside
// $each the first item stands for all of them (the compiler checked they agree).
void write_body(const target_plan& target, const canonical::invite_request& request,
                std::span<const std::uint32_t> items, std::string& out)
{
    json::writer w(out);
    const std::vector<body_node>& program = target.provider->body;
    const canonical::invitation* item = &request.invitations[items.front()];
    std::size_t each_item = 0;
    for (std::size_t pc = 0; pc < program.size(); ++pc) {
        const body_node& node = program[pc];
        switch (node.what) {
        case body_node::kind::object_begin: w.begin_object(); break;
        case body_node::kind::object_end: w.end_object(); break;
        case body_node::kind::array_begin: w.begin_array(); break;
        case body_node::kind::array_end: w.end_array(); break;
        case body_node::kind::key: w.key(node.text); break;
        case body_node::kind::string_value: w.string(node.text); break;
        case body_node::kind::integer_value: w.integer(node.number); break;
        case body_node::kind::bool_value: w.boolean(node.flag); break;
        case body_node::kind::null_value: w.null(); break;
        case body_node::kind::item_email: w.string(item->email); break;
        case body_node::kind::item_role: write_role(w, target.roles[item->role]); break;
        case body_node::kind::item_ref:
            if (item->ref)
                w.string(*item->ref);
            else
                w.null();
            break;
        case body_node::kind::send_email: w.boolean(request.send_email); break;
        case body_node::kind::param_string: w.string(body_param(target, node.text)); break;
        case body_node::kind::param_integer: {
            const std::string_view text = body_param(target, node.text);
            std::int64_t number = 0;
            std::from_chars(text.data(), text.data() + text.size(), number); // checked at bind
            w.integer(number);
            break;
        }
        case body_node::kind::param_integer_list:
        case body_node::kind::param_string_list: write_list_param(w, target, node); break;
        case body_node::kind::each_begin:
            each_item = 0;
            item = &request.invitations[items[each_item]];
            break;
        case body_node::kind::each_end:
            if (++each_item < items.size()) {
                item = &request.invitations[items[each_item]];
                pc = node.jump; // each_begin; the loop's ++pc resumes right after it
            } else {
                item = &request.invitations[items.front()];
            }
            break;
        }
    }
}

} // namespace

void render_calls(const canonical::invite_request& request, const route_plan& route,
                  std::span<const std::string> canonical_roles, dispatch_plan& plan)
{
    plan.clear();
    for (std::uint32_t target_index : request.targets) {
        const target_plan& target = *route.targets[target_index];
        const std::size_t target_items_begin = plan.items.size();
        for (std::uint32_t i = 0; i < request.invitations.size(); ++i) {
            const canonical::invitation& invitation = request.invitations[i];
            if (target.role_supported(invitation.role)) {
                plan.items.push_back(i);
                continue;
            }
            outcome unsupported = outcome_of_unsupported_role(canonical_roles[invitation.role], target.name);
            item_result result;
            result.invitation = i;
            result.target = target_index;
            result.status = unsupported.status;
            result.error = unsupported.code;
            result.message = std::move(unsupported.message);
            plan.immediate.push_back(std::move(result));
        }
        const auto begin = plan.items.begin() + static_cast<std::ptrdiff_t>(target_items_begin);
        if (target.provider->group_by_role)
            // Stable, so each group keeps invitation order; groups follow role_group,
            // the order in which the canonical roles first name each vendor value.
            std::stable_sort(begin, plan.items.end(), [&](std::uint32_t a, std::uint32_t b) {
                return target.role_group[request.invitations[a].role] < target.role_group[request.invitations[b].role];
            });

        std::size_t at = target_items_begin;
        while (at < plan.items.size()) {
            std::size_t end = at + 1;
            const std::uint32_t group = target.role_group[request.invitations[plan.items[at]].role];
            while (end < plan.items.size() && end - at < target.max_items &&
                   (!target.provider->group_by_role ||
                    target.role_group[request.invitations[plan.items[end]].role] == group))
                ++end;
            upstream_call call;
            call.target = &target;
            call.target_index = target_index;
            call.first_item = static_cast<std::uint32_t>(at);
            call.item_count = static_cast<std::uint32_t>(end - at);
            call.body_offset = plan.bodies.size();
            write_body(target, request, plan.items_of(call), plan.bodies);
            call.body_size = plan.bodies.size() - call.body_offset;
            plan.calls.push_back(call);
            at = end;
        }
    }
}

} // namespace igw::mapping
