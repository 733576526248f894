#include "gateway/canonical/request_parser.hpp"

#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace igw::canonical {
namespace {

namespace ondemand = simdjson::ondemand;
using ondemand::json_type;

// The parser's own depth limit is only enforced by simdjson's development checks
// (which assert), so the walk below enforces max_json_depth itself and the parser
// is given room to spare.
constexpr std::size_t parser_max_depth = max_json_depth + 4;
constexpr std::size_t initial_capacity = 64 * 1024;

constexpr bool is_json_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim_json_space(std::string_view token) noexcept
{
    while (!token.empty() && is_json_space(token.back()))
        token.remove_suffix(1);
    return token;
}

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// RFC 8259 §6. simdjson's own number parsers reject numbers that are valid JSON but
// do not fit a double or a 64-bit integer, which is not a reason to call a body
// malformed, so numbers we only skip are checked against the grammar instead.
bool is_json_number(std::string_view t) noexcept
{
    std::size_t i = 0;
    const std::size_t n = t.size();
    if (i < n && t[i] == '-')
        ++i;
    if (i >= n)
        return false;
    if (t[i] == '0') {
        ++i;
    } else if (t[i] >= '1' && t[i] <= '9') {
        while (i < n && is_digit(t[i]))
            ++i;
    } else {
        return false;
    }
    if (i < n && t[i] == '.') {
        const std::size_t start = ++i;
        while (i < n && is_digit(t[i]))
            ++i;
        if (i == start)
            return false;
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        ++i;
        if (i < n && (t[i] == '+' || t[i] == '-'))
            ++i;
        const std::size_t start = i;
        while (i < n && is_digit(t[i]))
            ++i;
        if (i == start)
            return false;
    }
    return i == n;
}

std::string describe(simdjson::error_code error)
{
    switch (error) {
    case simdjson::UTF8_ERROR: return "it is not valid UTF-8";
    case simdjson::UNESCAPED_CHARS: return "a string contains an unescaped control character";
    case simdjson::UNCLOSED_STRING: return "a string is not closed";
    case simdjson::STRING_ERROR: return "a string contains an invalid escape sequence";
    case simdjson::NUMBER_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE: return "a number is not valid";
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR: return "a value is not a string, number, object, array, true, false or null";
    case simdjson::DEPTH_ERROR: return "values are nested too deeply";
    case simdjson::CAPACITY: return "it is too large to parse";
    default: return "the structure is invalid (a comma, colon, bracket, brace or quote is missing or out of place)";
    }
}

// RFC 6901 §3: '~' and '/' inside a member name are written "~0" and "~1".
void append_pointer_token(std::string& pointer, std::string_view name)
{
    pointer += '/';
    for (char c : name) {
        if (c == '~')
            pointer += "~0";
        else if (c == '/')
            pointer += "~1";
        else
            pointer += c;
    }
}

std::string member_pointer(std::string_view parent, std::string_view name)
{
    std::string pointer(parent);
    append_pointer_token(pointer, name);
    return pointer;
}

std::string item_pointer(std::string_view array, std::size_t index)
{
    std::string pointer(array);
    pointer += '/';
    pointer += std::to_string(index);
    return pointer;
}

std::string item_member_pointer(std::string_view array, std::size_t index, std::string_view name)
{
    std::string pointer = item_pointer(array, index);
    append_pointer_token(pointer, name);
    return pointer;
}

// A client's string quoted in a message, cut short (at a UTF-8 boundary: simdjson
// has validated the input) so that a hostile value cannot inflate the reply.
std::string quoted(std::string_view text)
{
    constexpr std::size_t limit = 64;
    std::string out = "\"";
    if (text.size() <= limit) {
        out += text;
        out += '"';
        return out;
    }
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        --cut;
    out += text.substr(0, cut);
    out += "...\"";
    return out;
}

std::string list_of(std::span<const std::string> names)
{
    if (names.empty())
        return "(none configured)";
    std::string out;
    for (const std::string& name : names) {
        if (!out.empty())
            out += ", ";
        out += name;
    }
    return out;
}

constexpr std::string_view invitations_pointer = "/invitations";
constexpr std::string_view targets_pointer = "/targets";

} // namespace

struct request_parser::impl {
    ondemand::parser parser;

    // State of the request being parsed, reset by begin().
    const validation_context* context = nullptr;
    std::string syntax_error; // set when the body is not well-formed JSON
    std::vector<problem_error> errors;
    std::size_t error_total = 0;
    // Normalised email -> index of the first invitation that has it. The keys view
    // into the result's invitations, whose storage is reserved up front.
    std::unordered_map<std::string_view, std::uint32_t> first_with_email;
    // Per route target: where the client named it in `targets`, or -1.
    std::vector<std::int64_t> target_position;
    bool targets_given = false;

    impl() : parser(simdjson::SIMDJSON_MAXSIZE_BYTES)
    {
        if (parser.allocate(initial_capacity, parser_max_depth) != simdjson::SUCCESS)
            throw std::bad_alloc();
    }

    void begin(const validation_context& ctx)
    {
        context = &ctx;
        syntax_error.clear();
        errors.clear();
        error_total = 0;
        first_with_email.clear();
        target_position.assign(ctx.route_targets.size(), -1);
        targets_given = false;
    }

    void report(std::string pointer, std::string detail)
    {
        ++error_total;
        if (errors.size() < max_listed_errors)
            errors.push_back({std::move(pointer), std::move(detail)});
    }

    bool fail(simdjson::error_code error)
    {
        if (error == simdjson::MEMALLOC)
            throw std::bad_alloc();
        if (error == simdjson::EMPTY) {
            syntax_error = "the request body is empty";
            return false;
        }
        return fail(describe(error));
    }

    bool fail(std::string_view reason)
    {
        syntax_error = "the request body is not valid JSON: ";
        syntax_error += reason;
        return false;
    }

    bool type_of(ondemand::value& value, json_type& type)
    {
        if (auto error = value.type().get(type))
            return fail(error);
        return true;
    }

    // Walks a value we have no use for, so that it is validated like the rest of the
    // body: On-Demand would otherwise skip it unread, and a body with a broken value
    // in an unknown member would pass for JSON. `level` is the nesting level the
    // value would open if it is an array or an object (the root object is level 1).
    bool skip_value(ondemand::value& value, std::size_t level)
    {
        json_type type;
        if (!type_of(value, type))
            return false;
        switch (type) {
        case json_type::object: {
            ondemand::object object;
            if (auto error = value.get_object().get(object))
                return fail(error);
            return skip_object(object, level);
        }
        case json_type::array: {
            ondemand::array array;
            if (auto error = value.get_array().get(array))
                return fail(error);
            return skip_array(array, level);
        }
        case json_type::string: {
            std::string_view ignored;
            if (auto error = value.get_string().get(ignored))
                return fail(error);
            return true;
        }
        case json_type::number:
            return is_json_number(trim_json_space(value.raw_json_token())) || fail(simdjson::NUMBER_ERROR);
        case json_type::boolean:
        case json_type::null: {
            const std::string_view token = trim_json_space(value.raw_json_token());
            return token == "true" || token == "false" || token == "null" || fail(simdjson::T_ATOM_ERROR);
        }
        }
        return fail(simdjson::TAPE_ERROR);
    }

    bool check_level(std::size_t level)
    {
        if (level > max_json_depth)
            return fail("values are nested deeper than " + std::to_string(max_json_depth) + " levels");
        return true;
    }

    bool skip_object(ondemand::object& object, std::size_t level)
    {
        if (!check_level(level))
            return false;
        for (auto member : object) {
            ondemand::field field;
            if (auto error = std::move(member).get(field))
                return fail(error);
            std::string_view key;
            if (auto error = field.unescaped_key().get(key))
                return fail(error);
            if (!skip_value(field.value(), level + 1))
                return false;
        }
        return true;
    }

    bool skip_array(ondemand::array& array, std::size_t level)
    {
        if (!check_level(level))
            return false;
        for (auto element : array) {
            ondemand::value value;
            if (auto error = element.get(value))
                return fail(error);
            if (!skip_value(value, level + 1))
                return false;
        }
        return true;
    }

    // Reads a string member. `out` stays empty when the value is of another type (it
    // is then skipped, and the caller reports the type); false means malformed JSON.
    bool read_string(ondemand::value& value, std::size_t level, std::optional<std::string_view>& out)
    {
        out.reset();
        json_type type;
        if (!type_of(value, type))
            return false;
        if (type != json_type::string)
            return skip_value(value, level);
        std::string_view text;
        if (auto error = value.get_string().get(text))
            return fail(error);
        out = text;
        return true;
    }

    bool parse_root(ondemand::document& document, std::string_view body, invite_request& out)
    {
        json_type type;
        if (auto error = document.type().get(type))
            return fail(error);
        if (type == json_type::object) {
            ondemand::object object;
            if (auto error = document.get_object().get(object))
                return fail(error);
            if (!parse_request_object(object, out))
                return false;
        } else if (type == json_type::array) {
            ondemand::array array;
            if (auto error = document.get_array().get(array))
                return fail(error);
            if (!skip_array(array, 1))
                return false;
            report("", "must be a JSON object");
        } else {
            if (!check_root_scalar(document, type, body))
                return false;
            report("", "must be a JSON object");
            return true;
        }
        // Anything after the root value makes the whole body malformed.
        const char* next = nullptr;
        auto location = document.current_location();
        if (location.error() == simdjson::OUT_OF_BOUNDS)
            return true;
        if (auto error = std::move(location).get(next))
            return fail(error);
        return fail("unexpected content after the JSON value at byte " +
                    std::to_string(static_cast<std::size_t>(next - body.data())));
    }

    // A document that is one scalar: it must be the only token, and well-formed.
    bool check_root_scalar(ondemand::document& document, json_type type, std::string_view body)
    {
        std::string_view token;
        if (auto error = document.raw_json_token().get(token))
            return fail(error);
        const std::string_view rest = trim_json_space(
            body.substr(static_cast<std::size_t>(token.data() - body.data())));
        token = trim_json_space(token);
        if (token.size() != rest.size())
            return fail("unexpected content after the JSON value");
        switch (type) {
        case json_type::string: {
            std::string_view ignored;
            if (auto error = document.get_string().get(ignored))
                return fail(error);
            return true;
        }
        case json_type::number: return is_json_number(token) || fail(simdjson::NUMBER_ERROR);
        default: return token == "true" || token == "false" || token == "null" || fail(simdjson::T_ATOM_ERROR);
        }
    }

    bool parse_request_object(ondemand::object& object, invite_request& out)
    {
        bool has_invitations = false;
        bool has_send_email = false;
        for (auto member : object) {
            ondemand::field field;
            if (auto error = std::move(member).get(field))
                return fail(error);
            std::string_view key;
            if (auto error = field.unescaped_key().get(key))
                return fail(error);
            ondemand::value& value = field.value();
            bool* seen = nullptr;
            if (key == "invitations")
                seen = &has_invitations;
            else if (key == "targets")
                seen = &targets_given;
            else if (key == "send_email")
                seen = &has_send_email;
            if (seen == nullptr) {
                report(member_pointer("", key),
                       "unknown member; the request may only have \"invitations\", \"targets\" and \"send_email\"");
                if (!skip_value(value, 2))
                    return false;
                continue;
            }
            if (*seen) {
                report(member_pointer("", key), "duplicate member \"" + std::string(key) + "\"");
                if (!skip_value(value, 2))
                    return false;
                continue;
            }
            *seen = true;
            bool ok = true;
            if (seen == &has_invitations)
                ok = parse_invitations(value, out);
            else if (seen == &targets_given)
                ok = parse_targets(value);
            else
                ok = parse_send_email(value, out.send_email);
            if (!ok)
                return false;
        }
        if (!has_invitations)
            report(std::string(invitations_pointer), "is required");
        return true;
    }

    bool parse_invitations(ondemand::value& value, invite_request& out)
    {
        json_type type;
        if (!type_of(value, type))
            return false;
        if (type != json_type::array) {
            report(std::string(invitations_pointer), "must be an array of invitations");
            return skip_value(value, 2);
        }
        ondemand::array array;
        if (auto error = value.get_array().get(array))
            return fail(error);
        if (!check_level(2))
            return false;
        std::size_t count = 0;
        if (auto error = array.count_elements().get(count))
            return fail(error);
        if (count == 0) {
            report(std::string(invitations_pointer), "must contain at least one invitation");
            return true;
        }
        if (count > context->max_invitations) {
            // One error, not thousands: the items are only checked to be JSON.
            std::string detail = "must contain at most " + std::to_string(context->max_invitations) + " invitations";
            if (!context->limiting_client.empty())
                detail += " (the max_invitations of client " + quoted(context->limiting_client) + ")";
            report(std::string(invitations_pointer), detail + ", not " + std::to_string(count));
            return skip_array(array, 2);
        }
        out.invitations.reserve(count);
        std::size_t index = 0;
        for (auto element : array) {
            ondemand::value item;
            if (auto error = element.get(item))
                return fail(error);
            if (!parse_invitation(item, index, out))
                return false;
            ++index;
        }
        return true;
    }

    bool parse_invitation(ondemand::value& item, std::size_t index, invite_request& out)
    {
        json_type type;
        if (!type_of(item, type))
            return false;
        if (type != json_type::object) {
            report(item_pointer(invitations_pointer, index), "must be an object with \"email\" and \"role\"");
            return skip_value(item, 3);
        }
        ondemand::object object;
        if (auto error = item.get_object().get(object))
            return fail(error);
        if (!check_level(3))
            return false;

        invitation result;
        bool has_email = false;
        bool has_role = false;
        bool has_ref = false;
        bool email_valid = false;
        for (auto member : object) {
            ondemand::field field;
            if (auto error = std::move(member).get(field))
                return fail(error);
            std::string_view key;
            if (auto error = field.unescaped_key().get(key))
                return fail(error);
            ondemand::value& value = field.value();
            bool* seen = nullptr;
            if (key == "email")
                seen = &has_email;
            else if (key == "role")
                seen = &has_role;
            else if (key == "ref")
                seen = &has_ref;
            if (seen == nullptr) {
                report(item_member_pointer(invitations_pointer, index, key),
                       "unknown member; an invitation may only have \"email\", \"role\" and \"ref\"");
                if (!skip_value(value, 4))
                    return false;
                continue;
            }
            if (*seen) {
                report(item_member_pointer(invitations_pointer, index, key),
                       "duplicate member \"" + std::string(key) + "\"");
                if (!skip_value(value, 4))
                    return false;
                continue;
            }
            *seen = true;
            std::optional<std::string_view> text;
            if (!read_string(value, 4, text))
                return false;
            if (!text) {
                report(item_member_pointer(invitations_pointer, index, key), "must be a string");
                continue;
            }
            if (seen == &has_email) {
                result.email = normalise_email(*text);
                if (auto reason = email_problem(result.email))
                    report(item_member_pointer(invitations_pointer, index, key),
                           "invalid email address: " + std::string(*reason));
                else
                    email_valid = true;
            } else if (seen == &has_role) {
                if (auto role = find_role(*text))
                    result.role = *role;
                else
                    report(item_member_pointer(invitations_pointer, index, key),
                           "unknown role " + quoted(*text) + "; the roles are: " + list_of(context->roles));
            } else if (text->size() > max_ref_bytes) {
                report(item_member_pointer(invitations_pointer, index, key),
                       "must be at most " + std::to_string(max_ref_bytes) + " bytes long");
            } else {
                result.ref.emplace(*text);
            }
        }
        if (!has_email)
            report(item_member_pointer(invitations_pointer, index, "email"), "is required");
        if (!has_role)
            report(item_member_pointer(invitations_pointer, index, "role"), "is required");

        out.invitations.push_back(std::move(result));
        if (email_valid) {
            const std::string_view email = out.invitations.back().email;
            const auto [first, inserted] = first_with_email.try_emplace(email, static_cast<std::uint32_t>(index));
            if (!inserted)
                report(item_member_pointer(invitations_pointer, index, "email"),
                       "duplicate of /invitations/" + std::to_string(first->second) +
                           "/email (the same address once trimmed and lower-cased)");
        }
        return true;
    }

    std::optional<std::uint32_t> find_role(std::string_view name) const
    {
        for (std::size_t i = 0; i < context->roles.size(); ++i)
            if (context->roles[i] == name)
                return static_cast<std::uint32_t>(i);
        return std::nullopt;
    }

    bool parse_targets(ondemand::value& value)
    {
        json_type type;
        if (!type_of(value, type))
            return false;
        if (type != json_type::array) {
            report(std::string(targets_pointer), "must be an array of target names");
            return skip_value(value, 2);
        }
        ondemand::array array;
        if (auto error = value.get_array().get(array))
            return fail(error);
        if (!check_level(2))
            return false;
        std::size_t index = 0;
        for (auto element : array) {
            ondemand::value item;
            if (auto error = element.get(item))
                return fail(error);
            std::optional<std::string_view> name;
            if (!read_string(item, 3, name))
                return false;
            if (!name) {
                report(item_pointer(targets_pointer, index), "must be a string");
            } else if (auto target = find_target(*name); !target) {
                report(item_pointer(targets_pointer, index),
                       "unknown target " + quoted(*name) +
                           "; this route's targets are: " + list_of(context->route_targets));
            } else if (target_position[*target] >= 0) {
                report(item_pointer(targets_pointer, index),
                       "duplicate of /targets/" + std::to_string(target_position[*target]));
            } else {
                target_position[*target] = static_cast<std::int64_t>(index);
            }
            ++index;
        }
        if (index == 0)
            report(std::string(targets_pointer),
                   "must name at least one target; leave it out to use all of the route's targets");
        return true;
    }

    std::optional<std::size_t> find_target(std::string_view name) const
    {
        for (std::size_t i = 0; i < context->route_targets.size(); ++i)
            if (context->route_targets[i] == name)
                return i;
        return std::nullopt;
    }

    bool parse_send_email(ondemand::value& value, bool& out)
    {
        json_type type;
        if (!type_of(value, type))
            return false;
        const std::string_view token = type == json_type::boolean ? trim_json_space(value.raw_json_token()) : "";
        if (token == "true" || token == "false") {
            out = token == "true";
            return true;
        }
        if (!skip_value(value, 2))
            return false;
        report("/send_email", "must be true or false");
        return true;
    }

    // The listed errors, capped: past the cap, the last entry counts the rest.
    problem invalid_request()
    {
        if (error_total > max_listed_errors) {
            errors.resize(max_listed_errors - 1);
            const std::size_t omitted = error_total - errors.size();
            errors.push_back({"", "... and " + std::to_string(omitted) + " more problems, not listed"});
        }
        return invalid_request_problem(std::move(errors), error_total);
    }

    std::variant<invite_request, problem> parse(std::string& body, const validation_context& ctx)
    {
        if (body.size() > ctx.max_body_bytes)
            return payload_too_large_problem(ctx.max_body_bytes);
        // JSON has no place for a raw NUL; simdjson would treat one as part of a
        // token, so name it plainly instead.
        if (const void* nul = std::memchr(body.data(), '\0', body.size()))
            return malformed_json_problem("the request body is not valid JSON: it contains a NUL byte at byte " +
                                          std::to_string(static_cast<const char*>(nul) - body.data()));

        // RFC 8259 §8.1 lets a parser ignore a byte order mark; saying so beats the
        // bare structure error simdjson would give.
        if (body.starts_with("\xEF\xBB\xBF"))
            return malformed_json_problem(
                "the request body is not valid JSON: it starts with a byte order mark (U+FEFF); send UTF-8 without one");

        begin(ctx);
        body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
        // std::string keeps a '\0' at data()[size()], which On-Demand relies on to stop
        // at the end of an unbalanced document rather than read on into the padding.
        const simdjson::padded_string_view padded(body.data(), body.size(), body.capacity());

        invite_request result;
        ondemand::document document;
        bool ok = false;
        if (auto error = parser.iterate(padded).get(document))
            ok = fail(error);
        else
            ok = parse_root(document, body, result);
        first_with_email.clear();
        if (!ok)
            return malformed_json_problem(syntax_error);
        if (error_total > 0)
            return invalid_request();

        result.targets_named = targets_given;
        if (targets_given) {
            for (std::size_t i = 0; i < target_position.size(); ++i)
                if (target_position[i] >= 0)
                    result.targets.push_back(static_cast<std::uint32_t>(i));
        } else {
            result.targets.reserve(ctx.route_targets.size());
            for (std::size_t i = 0; i < ctx.route_targets.size(); ++i)
                result.targets.push_back(static_cast<std::uint32_t>(i));
        }
        return result;
    }
};

request_parser::request_parser() : impl_(std::make_unique<impl>()) {}
request_parser::~request_parser() = default;
request_parser::request_parser(request_parser&&) noexcept = default;
request_parser& request_parser::operator=(request_parser&&) noexcept = default;

std::variant<invite_request, problem> request_parser::parse(std::string& body, const validation_context& context)
{
    return impl_->parse(body, context);
}

} // namespace igw::canonical
