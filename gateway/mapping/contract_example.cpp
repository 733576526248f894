#include "gateway/mapping/contract_example.hpp"

#include "gateway/mapping/dispatch_plan.hpp"

// The DOM rather than On-Demand: examples are small, read once at load, and walked as
// trees several times (by path, by pointer, element by element).
#include <simdjson.h>

#include <algorithm>
#include <array>

namespace igw::mapping {
namespace {

namespace dom = simdjson::dom;

// The pointer (for arrays: the member name) a reply field is read from. Every use of a
// reply field's declaration in this file goes through here.
const std::string& declared_pointer(const std::string& field) { return field; }

struct declared_field {
    std::string_view key; // as written in the provider file
    const std::string& pointer;
};

std::array<declared_field, 3> declared_fields(const reply_plan& reply)
{
    return {{{"reply.fields.invitation_id", declared_pointer(reply.invitation_id)},
             {"reply.fields.expires_at", declared_pointer(reply.expires_at)},
             {"reply.fields.vendor_status", declared_pointer(reply.vendor_status)}}};
}

// JSON types as a request schema tells them apart: integers from other numbers, since
// vendors that take ids as integers refuse 1.0 or "1".
enum class json_kind : std::uint8_t { object, array, string, integer, number, boolean, null };

json_kind kind_of(dom::element value)
{
    switch (value.type()) {
    case dom::element_type::OBJECT: return json_kind::object;
    case dom::element_type::ARRAY: return json_kind::array;
    case dom::element_type::STRING: return json_kind::string;
    case dom::element_type::INT64:
    case dom::element_type::UINT64: return json_kind::integer;
    case dom::element_type::DOUBLE: return json_kind::number;
    case dom::element_type::BOOL: return json_kind::boolean;
    case dom::element_type::NULL_VALUE: return json_kind::null;
    }
    return json_kind::null;
}

std::string_view described(json_kind kind)
{
    switch (kind) {
    case json_kind::object: return "an object";
    case json_kind::array: return "an array";
    case json_kind::string: return "a string";
    case json_kind::integer: return "an integer";
    case json_kind::number: return "a number";
    case json_kind::boolean: return "a boolean";
    case json_kind::null: return "null";
    }
    return "null";
}

// RFC 6901: '~' and '/' in a member name are written ~0 and ~1.
std::string child_path(const std::string& parent, std::string_view name)
{
    std::string path = parent + "/";
    for (char c : name) {
        if (c == '~')
            path += "~0";
        else if (c == '/')
            path += "~1";
        else
            path += c;
    }
    return path;
}

std::string shown(const std::string& path) { return path.empty() ? "the body" : path; }

std::optional<dom::element> resolve(dom::element document, const std::string& pointer)
{
    if (pointer.empty())
        return document;
    dom::element value;
    if (document.at_pointer(pointer).get(value))
        return std::nullopt;
    return value;
}

// For values whose kind the caller has checked, so the conversion cannot fail.
dom::object as_object(dom::element value)
{
    const auto object = value.get_object();
    return object.value_unsafe();
}

dom::array as_array(dom::element value)
{
    const auto array = value.get_array();
    return array.value_unsafe();
}

std::optional<dom::element> member(dom::element object, std::string_view name)
{
    dom::element value;
    if (!object.is_object() || object.at_key(name).get(value))
        return std::nullopt;
    return value;
}

class example_checker {
public:
    explicit example_checker(const provider_plan& provider) : provider_(provider), example_(*provider.example) {}

    std::vector<std::string> run()
    {
        check_request();
        check_reply();
        if (example_.error)
            check_error(*example_.error);
        return std::move(problems_);
    }

private:
    void report(const std::string& origin, std::string_view key, const std::string& message)
    {
        std::string line = origin + ": " + std::string(key) + ": " + message;
        // Every element of a rendered array is compared with the same example element:
        // a mapping difference in one is the same difference in all of them.
        if (std::find(problems_.begin(), problems_.end(), line) == problems_.end())
            problems_.push_back(std::move(line));
    }

    // Where a reply pointer was declared; the example reply when it is not written out
    // (an omitted `root` is the whole document).
    const std::string& declared_at(const std::string& key) const
    {
        const auto it = example_.declared_at.find(key);
        return it == example_.declared_at.end() ? example_.reply.body.origin : it->second;
    }

    // A call rendered by the real renderer for a target made up for the check: every
    // secret and parameter set (integers where the body writes them as integers) and
    // one canonical role mapped to a value of the provider's role type.
    std::optional<std::string> render_sample_call()
    {
        config::target_config target;
        target.name = "example";
        target.provider = provider_.name;
        target.url = config::base_url{"https", "example.invalid", 443, ""};
        target.origin = example_.origin;
        for (const auto& name : provider_.secrets)
            target.secrets[name] = "example-secret";
        for (const auto* names : {&provider_.required_params, &provider_.optional_params})
            for (const auto& name : *names) {
                const bool integer = std::any_of(provider_.body.begin(), provider_.body.end(), [&](const body_node& n) {
                    return n.what == body_node::kind::param_integer && n.text == name;
                });
                target.params[name] = integer ? "1" : "example";
            }
        const std::vector<std::string> canonical_roles{"member"};
        switch (provider_.roles.type) {
        case role_spec::kind::none: break;
        case role_spec::kind::string:
            target.roles["member"] = provider_.roles.allowed.empty() ? std::string("example-role")
                                                                     : provider_.roles.allowed.front();
            break;
        case role_spec::kind::integer: target.roles["member"] = std::int64_t{1}; break;
        case role_spec::kind::integer_list: target.roles["member"] = std::vector<std::int64_t>{1}; break;
        }

        std::vector<std::string> errors;
        const target_plan plan = bind_target(provider_, target, 0, canonical_roles, errors);
        if (!errors.empty()) {
            for (const auto& error : errors)
                report(example_.origin, "example", "cannot render a sample call: " + error);
            return std::nullopt;
        }
        route_plan route;
        route.path = "/example";
        route.targets.push_back(&plan);
        route.target_names.push_back(target.name);

        // Two invitations where a call takes several, so that $each is repeated; the
        // example's array lengths do not matter, only its elements' shape.
        canonical::invite_request request;
        const unsigned items = std::min(provider_.max_items, 2u);
        for (unsigned i = 0; i < items; ++i)
            request.invitations.push_back({"person" + std::to_string(i + 1) + "@example.com", 0, "example-ref"});
        request.targets.push_back(0);
        request.send_email = true;

        dispatch_plan rendered;
        render_calls(request, route, canonical_roles, rendered);
        if (rendered.calls.size() != 1) {
            report(example_.origin, "example",
                   "the sample invitations rendered " + std::to_string(rendered.calls.size()) + " calls, not one");
            return std::nullopt;
        }
        return std::string(rendered.body_of(rendered.calls.front()));
    }

    void check_request()
    {
        const std::optional<std::string> body = render_sample_call();
        if (!body)
            return;
        dom::parser rendered_parser, example_parser;
        dom::element rendered, example;
        if (rendered_parser.parse(*body).get(rendered)) {
            report(example_.origin, "example", "the rendered sample body is not JSON: " + *body);
            return;
        }
        if (example_parser.parse(example_.request.text).get(example))
            return; // refused at load
        for (const auto& [pointer, origin] : example_.optional_members)
            if (!resolve(example, pointer))
                report(origin, "example.optional", pointer + " is not in the example request");
        compare_shapes(rendered, example, "");
    }

    // `rendered` must have the example's shape at `path`: the same JSON type, every
    // member the example has (unless listed as optional) and no other. Arrays are
    // compared element by element with the example's first element.
    void compare_shapes(dom::element rendered, dom::element example, const std::string& path)
    {
        const json_kind have = kind_of(rendered), want = kind_of(example);
        // A null in a vendor's example shows a value left out, not a type.
        if (want == json_kind::null)
            return;
        // An integer is a number; a vendor that shows 1.5 accepts 2.
        if (have != want && !(have == json_kind::integer && want == json_kind::number)) {
            report(example_.request.origin, "example.request",
                   shown(path) + ": the mapping renders " + std::string(described(have)) + ", the example has " +
                       std::string(described(want)));
            return;
        }
        if (have == json_kind::object) {
            const dom::object rendered_object = as_object(rendered);
            const dom::object example_object = as_object(example);
            for (const dom::key_value_pair field : rendered_object) {
                const std::string at = child_path(path, field.key);
                if (auto expected = member(example, field.key))
                    compare_shapes(field.value, *expected, at);
                else
                    report(example_.request.origin, "example.request",
                           at + ": the mapping renders this member, the example has no such member");
            }
            for (const dom::key_value_pair field : example_object) {
                const std::string at = child_path(path, field.key);
                if (!member(rendered, field.key) && !example_.optional_members.contains(at))
                    report(example_.request.origin, "example.request",
                           at + ": the example has this member, the mapping does not render it "
                                "(list it under example.optional if the vendor documents it as optional)");
            }
            return;
        }
        if (have == json_kind::array) {
            dom::element first;
            if (as_array(example).at(0).get(first))
                return; // an empty example array says nothing about its elements
            for (const dom::element element : as_array(rendered))
                compare_shapes(element, first, path + "/0");
        }
    }

    void check_reply()
    {
        const reply_plan& reply = provider_.reply;
        const example_reply& example = example_.reply;
        if (std::find(reply.success_statuses.begin(), reply.success_statuses.end(), example.status) ==
            reply.success_statuses.end())
            report(example.status_origin, "example.reply.status",
                   std::to_string(example.status) + " is not one of reply.success " + statuses(reply));

        dom::parser parser;
        dom::element document;
        if (parser.parse(example.body.text).get(document))
            return; // refused at load
        if (reply.items == reply_plan::items_kind::none)
            return; // an acknowledgement: nothing is read from it

        const std::optional<dom::element> root = resolve(document, reply.root_pointer);
        if (!root) {
            report(declared_at("reply.root"), "reply.root", reply.root_pointer + " is not in the example reply");
            return;
        }
        const json_kind root_kind = kind_of(*root);
        if (reply.items == reply_plan::items_kind::object) {
            if (root_kind != json_kind::object) {
                report(declared_at("reply.root"), "reply.root",
                       shown_pointer(reply.root_pointer) + " is " + std::string(described(root_kind)) +
                           " in the example reply; `items: object` reads an object");
                return;
            }
            for (const declared_field& field : declared_fields(reply)) {
                if (field.pointer.empty())
                    continue;
                const std::string key(field.key);
                if (const auto value = resolve(document, field.pointer); !value)
                    report(declared_at(key), key, field.pointer + " is not in the example reply");
                else if (!is_field_value(*value))
                    report(declared_at(key), key,
                           field.pointer + " is " + std::string(described(kind_of(*value))) +
                               " in the example reply; a field is a string, a number or a boolean");
            }
            return;
        }
        if (root_kind != json_kind::array) {
            report(declared_at("reply.root"), "reply.root",
                   shown_pointer(reply.root_pointer) + " is " + std::string(described(root_kind)) +
                       " in the example reply; `items: array` reads an array");
            return;
        }
        const dom::array elements = as_array(*root);
        if (elements.size() == 0) {
            report(example.body.origin, "example.reply.body",
                   "the array at " + shown_pointer(reply.root_pointer) +
                       " is empty: there is no element to check reply.match and reply.fields against");
            return;
        }
        std::size_t index = 0;
        for (const dom::element element : elements) {
            const std::string at = reply.root_pointer + "/" + std::to_string(index++);
            if (!element.is_object()) {
                report(example.body.origin, "example.reply.body",
                       at + " is " + std::string(described(kind_of(element))) + "; `items: array` reads objects");
                continue;
            }
            if (const auto email = member(element, reply.match_member); !email)
                report(declared_at("reply.match"), "reply.match",
                       child_path(at, reply.match_member) + " is not in the example reply");
            else if (!email->is_string())
                report(declared_at("reply.match"), "reply.match",
                       child_path(at, reply.match_member) + " is " + std::string(described(kind_of(*email))) +
                           " in the example reply; the email is a string");
            for (const declared_field& field : declared_fields(reply)) {
                if (field.pointer.empty())
                    continue;
                const std::string key(field.key);
                if (const auto value = member(element, field.pointer); !value)
                    report(declared_at(key), key, child_path(at, field.pointer) + " is not in the example reply");
                else if (!is_field_value(*value))
                    report(declared_at(key), key,
                           child_path(at, field.pointer) + " is " + std::string(described(kind_of(*value))) +
                               " in the example reply; a field is a string, a number or a boolean");
            }
        }
    }

    void check_error(const example_reply& error)
    {
        const reply_plan& reply = provider_.reply;
        if (std::find(reply.success_statuses.begin(), reply.success_statuses.end(), error.status) !=
            reply.success_statuses.end())
            report(error.status_origin, "example.error.status",
                   std::to_string(error.status) + " is one of reply.success; an error reply has another status");
        dom::parser parser;
        dom::element document;
        if (parser.parse(error.body.text).get(document))
            return; // refused at load
        if (reply.error_message_pointers.empty()) {
            report(error.body.origin, "example.error.body", "reply.error_message declares no pointer to read it with");
            return;
        }
        // The pointers are alternatives (the first string found is the message), so one
        // of them must find the vendor's documented message.
        std::string tried;
        for (const auto& pointer : reply.error_message_pointers) {
            if (const auto value = resolve(document, pointer); value && value->is_string())
                return;
            tried += (tried.empty() ? "" : ", ") + pointer;
        }
        report(error.body.origin, "example.error.body",
               "none of reply.error_message (" + tried + ") is a string in the example error reply");
    }

    // Null is a value a vendor may send for a field it has not set (e.g. no expiry).
    static bool is_field_value(dom::element value)
    {
        const json_kind kind = kind_of(value);
        return kind != json_kind::object && kind != json_kind::array;
    }

    static std::string shown_pointer(const std::string& pointer) { return pointer.empty() ? "the document" : pointer; }

    static std::string statuses(const reply_plan& reply)
    {
        std::string text = "(";
        for (unsigned status : reply.success_statuses)
            text += (text.size() > 1 ? ", " : "") + std::to_string(status);
        return text + ")";
    }

    const provider_plan& provider_;
    const contract_example& example_;
    std::vector<std::string> problems_;
};

} // namespace

std::optional<std::string> json_syntax_error(std::string_view text)
{
    dom::parser parser;
    dom::element document;
    if (const auto error = parser.parse(text.data(), text.size()).get(document))
        return std::string(simdjson::error_message(error));
    return std::nullopt;
}

std::vector<std::string> check_contract_example(const provider_plan& provider)
{
    if (!provider.example)
        return {};
    return example_checker(provider).run();
}

} // namespace igw::mapping
