#include "gateway/mapping/reply_mapper.hpp"

#include <simdjson.h>

#include <algorithm>

namespace igw::mapping {
namespace {

namespace od = simdjson::ondemand;

// Vendor messages are carried to the client; a hostile or broken upstream must not be
// able to make replies arbitrarily large.
constexpr std::size_t max_message_bytes = 512;

struct reply_element {
    std::string email;
    std::string invitation_id, expires_at, vendor_status;
};

void to_lower_ascii(std::string& text)
{
    for (char& c : text)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
}

// A scalar as text: strings unescaped, numbers and booleans as written. Ids are
// strings for most vendors, but a number must not be lost.
bool scalar_text(od::value value, std::string& out)
{
    od::json_type type;
    if (value.type().get(type))
        return false;
    if (type == od::json_type::string) {
        std::string_view text;
        if (value.get_string().get(text))
            return false;
        out.assign(text);
        return true;
    }
    if (type == od::json_type::number || type == od::json_type::boolean) {
        std::string_view raw = value.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
            raw.remove_suffix(1);
        out.assign(raw);
        return true;
    }
    return false; // null, objects and arrays are not field values
}

bool only_whitespace(std::string_view text)
{
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// No invite reply nests this deep; the bound also keeps the walk below off the stack's edge.
constexpr int max_reply_depth = 64;

// Reads `value` to its end; false when anything in it is not well-formed JSON.
bool well_formed(od::value& value, int depth)
{
    if (depth > max_reply_depth)
        return false;
    od::json_type type;
    if (value.type().get(type))
        return false;
    switch (type) {
    case od::json_type::object: {
        od::object object;
        if (value.get_object().get(object))
            return false;
        for (auto member : object) {
            od::field field;
            std::string_view key;
            if (std::move(member).get(field) || field.unescaped_key().get(key) ||
                !well_formed(field.value(), depth + 1))
                return false;
        }
        return true;
    }
    case od::json_type::array: {
        od::array array;
        if (value.get_array().get(array))
            return false;
        for (auto element : array) {
            od::value item;
            if (std::move(element).get(item) || !well_formed(item, depth + 1))
                return false;
        }
        return true;
    }
    case od::json_type::string: {
        std::string_view text;
        return !value.get_string().get(text);
    }
    case od::json_type::number: {
        od::number number;
        return !value.get_number().get(number);
    }
    case od::json_type::boolean: {
        bool flag = false;
        return !value.get_bool().get(flag);
    }
    case od::json_type::null: {
        bool null = false;
        return !value.is_null().get(null) && null;
    }
    }
    return false;
}

// The whole document is one well-formed object or array with nothing after it. Fields
// are then read through JSON Pointers, which skip what they do not need, so without
// this a reply cut short after its fields, or followed by more text, would be trusted.
// Leaves a well-formed document rewound; any other may no longer be used (an error can
// leave the iterator abandoned, and rewinding it then would crash).
bool well_formed_document(od::document& doc)
{
    od::value root;
    // Past the root value, the iterator is past the end unless more text follows.
    if (doc.get_value().get(root) || !well_formed(root, 1) ||
        doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
        return false;
    doc.rewind();
    return true;
}

} // namespace

struct reply_mapper::state {
    od::parser parser;
    std::vector<reply_element> elements;
};

reply_mapper::reply_mapper() : state_(std::make_unique<state>()) {}
reply_mapper::~reply_mapper() = default;
reply_mapper::reply_mapper(reply_mapper&&) noexcept = default;
reply_mapper& reply_mapper::operator=(reply_mapper&&) noexcept = default;

void fail_call(const dispatch_plan& plan, const upstream_call& call, item_status status, error_code code,
               unsigned upstream_status, std::string_view message, std::vector<item_result>& out)
{
    // Vendors quote what they were sent ("invalid x-api-key sk-…"): the target's own
    // credentials must not reach the client through them.
    const std::string shown = call.target->redact(message, max_message_bytes);
    for (std::uint32_t invitation : plan.items_of(call)) {
        item_result& result = out.emplace_back();
        result.invitation = invitation;
        result.target = call.target_index;
        result.status = status;
        result.error = code;
        result.upstream_status = upstream_status;
        result.message = shown;
    }
}

void reply_mapper::map_reply(const canonical::invite_request& request, const dispatch_plan& plan,
                             const upstream_call& call, unsigned status, std::string& body,
                             std::vector<item_result>& out)
{
    const target_plan& target = *call.target;
    const reply_plan& reply = target.provider->reply;
    const bool success = std::find(reply.success_statuses.begin(), reply.success_statuses.end(), status) !=
                         reply.success_statuses.end();

    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    const simdjson::padded_string_view json(body.data(), body.size(), body.capacity());
    const auto unreadable = [&](std::string_view why) {
        fail_call(plan, call, item_status::unknown, error_code::bad_upstream_response, status,
                  std::string(why) + " from target " + target.name + " (HTTP " + std::to_string(status) + ")", out);
    };

    if (!success) {
        // The vendor's own words where its error body has them (a view into the
        // parser, valid until the next parse; fail_call redacts and caps it).
        std::string_view vendor_text;
        od::document doc;
        // Only a well-formed body is searched: a failed lookup abandons the document,
        // and the next lookup's rewind would then crash.
        if (!body.empty() && !state_->parser.iterate(json).get(doc) && well_formed_document(doc)) {
            for (const std::string& pointer : reply.error_message_pointers) {
                std::string_view text;
                if (!doc.at_pointer(pointer).get_string().get(text) && !text.empty()) {
                    vendor_text = text;
                    break;
                }
            }
        }
        std::string message;
        if (vendor_text.empty())
            message = "HTTP " + std::to_string(status) + " from target " + target.name;

        item_status outcome = item_status::failed;
        error_code code = error_code::upstream_rejected;
        if (status == 401 || status == 403) {
            code = error_code::upstream_unauthorized;
        } else if (status == 429) {
            code = error_code::rate_limited;
        } else if (status == 503) {
            // "Service unavailable": the vendor declined to process the call.
            code = error_code::upstream_error;
        } else if (status >= 500) {
            // Anything else from a server in trouble may have happened after the invite was created.
            outcome = item_status::unknown;
            code = error_code::upstream_error;
        } else if (status < 400) {
            outcome = item_status::unknown;
            code = error_code::bad_upstream_response;
            message = "unexpected HTTP " + std::to_string(status) + " from target " + target.name;
            vendor_text = {};
        }
        fail_call(plan, call, outcome, code, status, vendor_text.empty() ? std::string_view(message) : vendor_text,
                  out);
        return;
    }

    const auto invited = [&](std::uint32_t invitation) -> item_result& {
        item_result& result = out.emplace_back();
        result.invitation = invitation;
        result.target = call.target_index;
        result.status = item_status::invited;
        result.upstream_status = status;
        return result;
    };

    if (reply.items == reply_plan::items_kind::none) {
        // An acknowledgement: an empty body or any JSON object means the whole call was accepted.
        bool readable = only_whitespace(body);
        if (!readable) {
            od::document doc;
            od::json_type type;
            readable = !state_->parser.iterate(json).get(doc) && well_formed_document(doc) &&
                       !doc.type().get(type) && type == od::json_type::object;
        }
        if (!readable)
            return unreadable("unreadable reply");
        for (std::uint32_t invitation : plan.items_of(call))
            invited(invitation);
        return;
    }

    od::document doc;
    if (state_->parser.iterate(json).get(doc) || !well_formed_document(doc))
        return unreadable("unreadable reply");

    if (reply.items == reply_plan::items_kind::object) {
        od::object object;
        if (reply.root_pointer.empty() ? doc.get_object().get(object)
                                       : doc.at_pointer(reply.root_pointer).get_object().get(object))
            return unreadable("reply is not the expected object");
        // at_pointer rewinds the document, so each field is found independently.
        item_result& result = invited(plan.items_of(call).front());
        const auto field = [&](const std::string& pointer, std::string& value) {
            od::value v;
            if (!pointer.empty() && !doc.at_pointer(pointer).get(v))
                scalar_text(v, value);
        };
        field(reply.invitation_id, result.invitation_id);
        field(reply.expires_at, result.expires_at);
        field(reply.vendor_status, result.vendor_status);
        return;
    }

    // An array with one element per item, matched back by email.
    od::array array;
    if (reply.root_pointer.empty() ? doc.get_array().get(array)
                                   : doc.at_pointer(reply.root_pointer).get_array().get(array))
        return unreadable("reply is not the expected array");
    std::vector<reply_element>& elements = state_->elements;
    elements.clear();
    for (auto element_result : array) {
        od::object object;
        if (std::move(element_result).get_object().get(object))
            return unreadable("reply array holds something other than objects");
        reply_element element;
        for (auto field_result : object) {
            od::field field;
            std::string_view key;
            if (std::move(field_result).get(field) || field.unescaped_key().get(key))
                return unreadable("unreadable reply");
            std::string* target_field = nullptr;
            if (key == reply.match_member)
                target_field = &element.email;
            else if (key == reply.invitation_id)
                target_field = &element.invitation_id;
            else if (key == reply.expires_at)
                target_field = &element.expires_at;
            else if (key == reply.vendor_status)
                target_field = &element.vendor_status;
            if (target_field)
                scalar_text(field.value(), *target_field);
            // Other members are skipped by the iteration itself.
        }
        to_lower_ascii(element.email);
        if (!element.email.empty())
            elements.push_back(std::move(element));
    }
    std::sort(elements.begin(), elements.end(),
              [](const reply_element& a, const reply_element& b) { return a.email < b.email; });

    for (std::uint32_t invitation : plan.items_of(call)) {
        const std::string& email = request.invitations[invitation].email;
        const auto found = std::lower_bound(elements.begin(), elements.end(), email,
                                            [](const reply_element& e, const std::string& key) { return e.email < key; });
        if (found == elements.end() || found->email != email) {
            // Accepted calls that leave an item out may or may not have created it.
            item_result& result = out.emplace_back();
            result.invitation = invitation;
            result.target = call.target_index;
            result.status = item_status::unknown;
            result.error = error_code::bad_upstream_response;
            result.upstream_status = status;
            result.message = "the reply from target " + target.name + " does not list this email";
            continue;
        }
        item_result& result = invited(invitation);
        result.invitation_id = found->invitation_id;
        result.expires_at = found->expires_at;
        result.vendor_status = found->vendor_status;
    }
}

} // namespace igw::mapping
