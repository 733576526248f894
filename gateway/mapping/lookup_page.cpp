#include "gateway/mapping/lookup_page.hpp"

#include <simdjson.h>

namespace igw::mapping {
namespace {

namespace dom = simdjson::dom;

// Ids are strings for most vendors and integers for some: both are kept as text.
bool id_text(dom::element value, std::string& out)
{
    if (std::string_view text; !value.get_string().get(text)) {
        out.assign(text);
        return true;
    }
    if (std::int64_t number = 0; !value.get_int64().get(number)) {
        out = std::to_string(number);
        return true;
    }
    if (std::uint64_t number = 0; !value.get_uint64().get(number)) {
        out = std::to_string(number);
        return true;
    }
    return false;
}

std::string lower_ascii(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// The element at `pointer`, or nothing when the page does not have it (or has null).
std::optional<dom::element> optional_at(dom::element root, const std::string& pointer)
{
    dom::element found;
    if (root.at_pointer(pointer).get(found) || found.is_null())
        return std::nullopt;
    return found;
}

} // namespace

struct lookup_reader::state {
    dom::parser parser;
};

lookup_reader::lookup_reader() : state_(std::make_unique<state>()) {}
lookup_reader::~lookup_reader() = default;
lookup_reader::lookup_reader(lookup_reader&&) noexcept = default;
lookup_reader& lookup_reader::operator=(lookup_reader&&) noexcept = default;

std::string lookup_reader::read(const lookup_plan& lookup, std::string_view body, lookup_page& out)
{
    out.invitations.clear();
    out.next_cursor.reset();
    dom::element root;
    if (state_->parser.parse(body.data(), body.size()).get(root))
        return "the page is not well-formed JSON";
    dom::array list;
    if (lookup.items_pointer.empty() ? root.get_array().get(list)
                                     : root.at_pointer(lookup.items_pointer).get_array().get(list))
        return "the page has no array at " + (lookup.items_pointer.empty() ? "/" : lookup.items_pointer);
    std::size_t index = 0;
    for (dom::element element : list) {
        const std::string at = lookup.items_pointer + "/" + std::to_string(index++);
        dom::object object;
        if (element.get_object().get(object))
            return at + " is not an object";
        dom::element email, id;
        // An entry of another kind (no email) is not an invitation this lookup matches.
        if (object.at_key(lookup.match_member).get(email) || email.is_null())
            continue;
        std::string_view email_text;
        if (email.get_string().get(email_text))
            return at + "/" + lookup.match_member + " is not a string";
        listed_invitation& listed = out.invitations.emplace_back();
        listed.email = lower_ascii(email_text);
        if (!object.at_key(lookup.invitation_id_member).get(id) && !id.is_null() && !id_text(id, listed.invitation_id))
            return at + "/" + lookup.invitation_id_member + " is neither a string nor an integer";
    }
    if (lookup.cursor_param.empty())
        return {};
    bool more = true;
    if (!lookup.has_more_pointer.empty())
        if (const auto flag = optional_at(root, lookup.has_more_pointer)) {
            if (flag->get_bool().get(more))
                return lookup.has_more_pointer + " is not a boolean";
        }
    const auto cursor = optional_at(root, lookup.next_cursor_pointer);
    std::string next;
    if (cursor && !id_text(*cursor, next))
        return lookup.next_cursor_pointer + " is neither a string nor an integer";
    if (!more || next.empty()) {
        if (more && !lookup.has_more_pointer.empty() && optional_at(root, lookup.has_more_pointer))
            return lookup.has_more_pointer + " says more pages follow, but the page gives no cursor at " +
                   lookup.next_cursor_pointer;
        return {};
    }
    out.next_cursor = std::move(next);
    return {};
}

} // namespace igw::mapping
