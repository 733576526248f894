#include "gateway/mapping/reply_mapper.hpp"

#include "gateway/mapping/outcome.hpp"
#include "gateway/mapping/timestamp.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cctype>

namespace igw::mapping {
namespace {

namespace od = simdjson::ondemand;

// Vendor messages are carried to the client; a hostile or broken upstream must not be
// able to make replies arbitrarily large.
constexpr std::size_t max_message_bytes = 512;

// Why a reply field's value was not taken: the vendor wrote something other than the
// provider declared, and guessing what it meant could hand on a wrong id or expiry.
enum class value_problem : std::uint8_t {
    none,
    not_id,          // an id or status that is not a string or an integer
    not_time_string, // rfc3339 declared, something else given
    not_time_number, // unix_seconds/unix_millis declared, something other than an integer given
    bad_time,        // the right type, but not a timestamp (a malformed date, out of range)
};

// Views into the reply (numbers) and into the parser's buffer (strings): they stay valid
// until the parser reads the next reply, past the call's mapping. So an element costs no
// allocation, and the element list, kept by the mapper, none once it has grown.
struct reply_element {
    std::string_view email; // as the vendor wrote it: matched ignoring ASCII case
    std::string_view invitation_id, vendor_status;
    timestamp_text expires_at;
    std::uint32_t index = 0; // in the reply's array, for messages
    value_problem problem = value_problem::none;
    const std::string* problem_member = nullptr; // the reply plan's member name
};

char lower_ascii(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Orders as if both were lower-cased (ASCII), as the request's emails are.
int compare_folded(std::string_view a, std::string_view b) noexcept
{
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const char x = lower_ascii(a[i]), y = lower_ascii(b[i]);
        if (x != y)
            return static_cast<unsigned char>(x) < static_cast<unsigned char>(y) ? -1 : 1;
    }
    return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

// A scalar as text: strings unescaped, numbers and booleans as written. Ids are
// strings for most vendors, but a number must not be lost.
bool scalar_text(od::value value, std::string_view& out)
{
    od::json_type type;
    if (value.type().get(type))
        return false;
    if (type == od::json_type::string) {
        return !value.get_string().get(out);
    }
    if (type == od::json_type::number || type == od::json_type::boolean) {
        std::string_view raw = value.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
            raw.remove_suffix(1);
        out = raw;
        return true;
    }
    return false; // null, objects and arrays are not field values
}

std::string_view trimmed_token(od::value& value)
{
    std::string_view raw = value.raw_json_token();
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
        raw.remove_suffix(1);
    return raw;
}

// An id (or a vendor status): a string as given, an integer as its decimal digits. Null
// leaves `out` empty, as an absent member does. `out` views the reply or the parser's
// buffer (see reply_element).
value_problem read_id(od::value value, std::string_view& out)
{
    out = {};
    od::json_type type;
    if (value.type().get(type))
        return value_problem::not_id;
    switch (type) {
    case od::json_type::string: {
        return value.get_string().get(out) ? value_problem::not_id : value_problem::none;
    }
    case od::json_type::number: {
        od::number_type number;
        if (value.get_number_type().get(number) ||
            (number != od::number_type::signed_integer && number != od::number_type::unsigned_integer))
            return value_problem::not_id;
        out = trimmed_token(value);
        return value_problem::none;
    }
    case od::json_type::null: return value_problem::none;
    default: return value_problem::not_id;
    }
}

// An expiry in the declared form, written to `out` as RFC 3339 UTC (a member given twice:
// the last one, as for ids).
value_problem read_time(od::value value, time_format format, timestamp_text& out)
{
    out.clear();
    od::json_type type;
    if (value.type().get(type))
        return value_problem::bad_time;
    if (type == od::json_type::null)
        return value_problem::none;
    if (format == time_format::rfc3339) {
        std::string_view text;
        if (type != od::json_type::string || value.get_string().get(text))
            return value_problem::not_time_string;
        return append_normalised_rfc3339(text, out) ? value_problem::none : value_problem::bad_time;
    }
    od::number_type kind;
    std::int64_t number = 0;
    if (type != od::json_type::number || value.get_number_type().get(kind) ||
        (kind != od::number_type::signed_integer && kind != od::number_type::unsigned_integer))
        return value_problem::not_time_number;
    if (value.get_int64().get(number))
        return value_problem::bad_time; // beyond any date four year digits can write
    const bool ok = format == time_format::unix_seconds ? append_rfc3339_from_unix_seconds(number, out)
                                                        : append_rfc3339_from_unix_millis(number, out);
    return ok ? value_problem::none : value_problem::bad_time;
}

// "reply value at /invitation/expires_at is not ...", for the client and the ledger.
std::string problem_text(value_problem problem, time_format format, std::string_view pointer)
{
    std::string text = "reply value at ";
    text.append(pointer.empty() ? std::string_view("(the document)") : pointer);
    switch (problem) {
    case value_problem::not_id: text += " is not a string or an integer"; break;
    case value_problem::not_time_string: text += " is not an RFC 3339 date-time string"; break;
    case value_problem::not_time_number:
        text += format == time_format::unix_millis ? " is not an integer of unix milliseconds"
                                                   : " is not an integer of unix seconds";
        break;
    case value_problem::bad_time: text += " is not a valid date-time"; break;
    case value_problem::none: break;
    }
    return text;
}

// RFC 6901 escaping of one member name, for a message's pointer.
void append_pointer_token(std::string& out, std::string_view name)
{
    for (char c : name) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out.push_back(c);
    }
}

// Case-insensitive (ASCII) search for `needle`, which is lower-case already.
bool contains_folded(std::string_view haystack, std::string_view needle)
{
    if (needle.size() > haystack.size())
        return false;
    for (std::size_t at = 0; at + needle.size() <= haystack.size(); ++at) {
        std::size_t i = 0;
        while (i < needle.size() &&
               static_cast<char>(std::tolower(static_cast<unsigned char>(haystack[at + i]))) == needle[i])
            ++i;
        if (i == needle.size())
            return true;
    }
    return false;
}

bool only_whitespace(std::string_view text) { return text.find_first_not_of(" \t\r\n") == std::string_view::npos; }

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
    if (doc.get_value().get(root) || !well_formed(root, 1) || doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
        return false;
    doc.rewind();
    return true;
}

// What one call's reply is mapped with: the call, its reply's status and body (padded
// for the parser), and where the results go.
struct reply_context {
    const canonical::invite_request& request;
    const dispatch_plan& plan;
    const upstream_call& call;
    unsigned status;
    simdjson::padded_string_view json;
    od::parser& parser;
    std::vector<item_result>& out;

    const target_plan& target() const { return *call.target; }
    const reply_plan& reply() const { return call.target->provider->reply; }

    void fail(const outcome& o) const { fail_call(plan, call, o, status, out); }
    void unreadable(std::string_view why) const { fail(outcome_of_unreadable_reply(why, status, target().name)); }

    item_result& invited(std::uint32_t invitation) const
    {
        item_result& result = out.emplace_back();
        result.invitation = invitation;
        result.target = call.target_index;
        result.status = item_status::invited;
        result.upstream_status = status;
        return result;
    }
};

// The vendor's own words where its error body has them: a view into the parser, valid
// until the next parse ("" when there are none).
std::string_view vendor_error_text(const reply_context& ctx, std::string_view body)
{
    od::document doc;
    // Only a well-formed body is searched: a failed lookup abandons the document, and the
    // next lookup's rewind would then crash.
    if (body.empty() || ctx.parser.iterate(ctx.json).get(doc) || !well_formed_document(doc))
        return {};
    for (const std::string& pointer : ctx.reply().error_message_pointers) {
        std::string_view text;
        if (!doc.at_pointer(pointer).get_string().get(text) && !text.empty())
            return text;
    }
    return {};
}

// A non-success reply one of the provider's already-invited rules matches: the call's
// item is invited, by an earlier call. False when no rule matches.
bool map_already_invited(const reply_context& ctx, std::string_view body)
{
    const std::vector<already_invited_rule>& rules = ctx.reply().already_invited;
    if (std::none_of(rules.begin(), rules.end(),
                     [&](const already_invited_rule& rule) { return rule.status == ctx.status; }))
        return false;
    od::document doc;
    // As in vendor_error_text: only a well-formed body is searched.
    if (body.empty() || ctx.parser.iterate(ctx.json).get(doc) || !well_formed_document(doc))
        return false;
    for (const already_invited_rule& rule : rules) {
        if (rule.status != ctx.status)
            continue;
        od::value value;
        od::json_type type;
        if (doc.at_pointer(rule.pointer).get(value) || value.type().get(type))
            continue;
        std::string_view text;
        if (type == od::json_type::string) {
            if (value.get_string().get(text))
                continue;
        } else if (type == od::json_type::number) {
            text = trimmed_token(value); // a numeric error code, compared as written
        } else {
            continue;
        }
        if (rule.contains ? !contains_folded(text, rule.text) : text != rule.text)
            continue;
        std::string_view invitation_id;
        value_problem problem = value_problem::none;
        if (!rule.invitation_id.empty() && !doc.at_pointer(rule.invitation_id).get(value))
            problem = read_id(value, invitation_id);
        if (problem != value_problem::none) {
            ctx.fail(outcome_of_unreadable_reply(problem_text(problem, time_format::rfc3339, rule.invitation_id),
                                                 ctx.status, ctx.target().name));
            return true;
        }
        for (std::uint32_t invitation : ctx.plan.items_of(ctx.call)) {
            item_result& result = ctx.invited(invitation);
            result.already_invited = true;
            result.invitation_id = invitation_id;
        }
        return true;
    }
    return false;
}

// An acknowledgement: an empty body or any JSON object means the whole call was accepted.
void map_acknowledgement(const reply_context& ctx, std::string_view body)
{
    bool readable = only_whitespace(body);
    if (!readable) {
        od::document doc;
        od::json_type type;
        readable = !ctx.parser.iterate(ctx.json).get(doc) && well_formed_document(doc) && !doc.type().get(type) &&
                   type == od::json_type::object;
    }
    if (!readable)
        return ctx.unreadable("unreadable reply");
    for (std::uint32_t invitation : ctx.plan.items_of(ctx.call))
        ctx.invited(invitation);
}

// One object for the call's single item.
void map_object(const reply_context& ctx, od::document& doc)
{
    const reply_plan& reply = ctx.reply();
    od::object object;
    if (reply.root_pointer.empty() ? doc.get_object().get(object)
                                   : doc.at_pointer(reply.root_pointer).get_object().get(object))
        return ctx.unreadable("reply is not the expected object");
    // at_pointer rewinds the document, so each field is found independently.
    item_result& result = ctx.invited(ctx.plan.items_of(ctx.call).front());
    value_problem problem = value_problem::none;
    const std::string* problem_pointer = nullptr;
    // An absent member is no value, as today; a present one must have the declared form.
    const auto found = [&](const std::string& pointer, od::value& v) {
        return problem == value_problem::none && !pointer.empty() && !doc.at_pointer(pointer).get(v);
    };
    const auto note = [&](value_problem p, const std::string& pointer) {
        problem = p;
        if (p != value_problem::none)
            problem_pointer = &pointer;
    };
    const auto text_field = [&](const std::string& pointer, std::string& value) {
        od::value v;
        std::string_view text;
        if (!found(pointer, v))
            return;
        note(read_id(v, text), pointer);
        value.assign(text);
    };
    text_field(reply.invitation_id, result.invitation_id);
    if (od::value v; found(reply.expires_at, v))
        note(read_time(v, reply.expires_at_format, result.expires_at), reply.expires_at);
    text_field(reply.vendor_status, result.vendor_status);
    if (problem != value_problem::none) {
        const outcome unreadable = outcome_of_unreadable_reply(
            problem_text(problem, reply.expires_at_format, *problem_pointer), ctx.status, ctx.target().name);
        result = item_result{};
        result.invitation = ctx.plan.items_of(ctx.call).front();
        result.target = ctx.call.target_index;
        result.status = unreadable.status;
        result.error = unreadable.code;
        result.upstream_status = ctx.status;
        result.message = unreadable.message;
    }
}

// The members of one array element the reply plan names; false when it cannot be read.
bool read_element(const reply_plan& reply, od::object& object, reply_element& element)
{
    for (auto field_result : object) {
        od::field field;
        std::string_view key;
        if (std::move(field_result).get(field) || field.unescaped_key().get(key))
            return false;
        const std::string* member = nullptr;
        value_problem problem = value_problem::none;
        if (key == reply.match_member) {
            scalar_text(field.value(), element.email);
        } else if (key == reply.invitation_id) {
            member = &reply.invitation_id;
            problem = read_id(field.value(), element.invitation_id);
        } else if (key == reply.expires_at) {
            member = &reply.expires_at;
            problem = read_time(field.value(), reply.expires_at_format, element.expires_at);
        } else if (key == reply.vendor_status) {
            member = &reply.vendor_status;
            problem = read_id(field.value(), element.vendor_status);
        }
        // The first problem is the one reported; the element's email is still read, so
        // that the problem lands on the item it belongs to.
        if (problem != value_problem::none && element.problem == value_problem::none) {
            element.problem = problem;
            element.problem_member = member;
        }
        // Other members are skipped by the iteration itself.
    }
    return true;
}

// An array with one element per item, matched back by email.
void map_array(const reply_context& ctx, od::document& doc, std::vector<reply_element>& elements)
{
    const reply_plan& reply = ctx.reply();
    od::array array;
    if (reply.root_pointer.empty() ? doc.get_array().get(array)
                                   : doc.at_pointer(reply.root_pointer).get_array().get(array))
        return ctx.unreadable("reply is not the expected array");
    elements.clear();
    std::uint32_t index = 0;
    for (auto element_result : array) {
        od::object object;
        if (std::move(element_result).get_object().get(object))
            return ctx.unreadable("reply array holds something other than objects");
        reply_element element;
        element.index = index++;
        if (!read_element(reply, object, element))
            return ctx.unreadable("unreadable reply");
        if (!element.email.empty())
            elements.push_back(element);
    }
    std::sort(elements.begin(), elements.end(),
              [](const reply_element& a, const reply_element& b) { return compare_folded(a.email, b.email) < 0; });

    for (std::uint32_t invitation : ctx.plan.items_of(ctx.call)) {
        const std::string& email = ctx.request.invitations[invitation].email;
        const auto found = std::lower_bound(
            elements.begin(), elements.end(), email,
            [](const reply_element& e, const std::string& key) { return compare_folded(e.email, key) < 0; });
        if (found == elements.end() || compare_folded(found->email, email) != 0) {
            const outcome unlisted = outcome_of_unlisted_item(ctx.target().name);
            item_result& result = ctx.out.emplace_back();
            result.invitation = invitation;
            result.target = ctx.call.target_index;
            result.status = unlisted.status;
            result.error = unlisted.code;
            result.upstream_status = ctx.status;
            result.message = unlisted.message;
            continue;
        }
        if (found->problem != value_problem::none) {
            std::string pointer = reply.root_pointer + "/" + std::to_string(found->index) + "/";
            append_pointer_token(pointer, *found->problem_member);
            const outcome unreadable = outcome_of_unreadable_reply(
                problem_text(found->problem, reply.expires_at_format, pointer), ctx.status, ctx.target().name);
            item_result& result = ctx.out.emplace_back();
            result.invitation = invitation;
            result.target = ctx.call.target_index;
            result.status = unreadable.status;
            result.error = unreadable.code;
            result.upstream_status = ctx.status;
            result.message = unreadable.message;
            continue;
        }
        item_result& result = ctx.invited(invitation);
        result.invitation_id = found->invitation_id;
        result.expires_at = found->expires_at;
        result.vendor_status = found->vendor_status;
    }
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

void fail_call(const dispatch_plan& plan, const upstream_call& call, const outcome& decided, unsigned upstream_status,
               std::vector<item_result>& out)
{
    fail_call(plan, call, decided.status, decided.code, upstream_status, decided.message, out);
}

void reply_mapper::map_reply(const canonical::invite_request& request, const dispatch_plan& plan,
                             const upstream_call& call, unsigned status, std::string& body,
                             std::vector<item_result>& out)
{
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    const reply_context ctx{
        request,        plan, call, status, simdjson::padded_string_view(body.data(), body.size(), body.capacity()),
        state_->parser, out};
    const reply_plan& reply = ctx.reply();
    if (std::find(reply.success_statuses.begin(), reply.success_statuses.end(), status) ==
        reply.success_statuses.end()) {
        if (!reply.already_invited.empty() && map_already_invited(ctx, body))
            return;
        return ctx.fail(outcome_of_status(status, call.target->name, vendor_error_text(ctx, body)));
    }

    if (reply.items == reply_plan::items_kind::none)
        return map_acknowledgement(ctx, body);
    od::document doc;
    if (state_->parser.iterate(ctx.json).get(doc) || !well_formed_document(doc))
        return ctx.unreadable("unreadable reply");
    if (reply.items == reply_plan::items_kind::object)
        return map_object(ctx, doc);
    map_array(ctx, doc, state_->elements);
}

} // namespace igw::mapping
