#include "tests/ops/support/json_schema.hpp"

#include <simdjson.h>

#include <set>
#include <stdexcept>

namespace igw::ops {
namespace {

namespace dom = simdjson::dom;

std::string type_of(dom::element value)
{
    switch (value.type()) {
    case dom::element_type::ARRAY: return "array";
    case dom::element_type::OBJECT: return "object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64: return "integer";
    case dom::element_type::DOUBLE: return "number";
    case dom::element_type::STRING: return "string";
    case dom::element_type::BOOL: return "boolean";
    case dom::element_type::NULL_VALUE: return "null";
    }
    return "unknown";
}

bool has_type(dom::element value, std::string_view wanted)
{
    const std::string actual = type_of(value);
    return actual == wanted || (wanted == "number" && actual == "integer");
}

} // namespace

struct schema_checker::impl {
    dom::parser parser;
    dom::element document;

    void check(dom::element value, dom::element schema, const std::string& at, std::vector<std::string>& out,
               unsigned depth) const
    {
        if (depth > 32) {
            out.push_back(at + ": schema nesting too deep");
            return;
        }
        dom::object rules;
        if (schema.get_object().get(rules)) {
            out.push_back(at + ": the schema is not an object");
            return;
        }
        std::string_view ref;
        if (!rules["$ref"].get_string().get(ref)) {
            dom::element target;
            if (!ref.starts_with("#") || document.at_pointer(ref.substr(1)).get(target)) {
                out.push_back(at + ": unresolvable $ref " + std::string(ref));
                return;
            }
            check(value, target, at, out, depth + 1);
            return;
        }
        dom::array one_of;
        if (!rules["oneOf"].get_array().get(one_of)) {
            unsigned matches = 0;
            for (dom::element alternative : one_of) {
                std::vector<std::string> ignored;
                check(value, alternative, at, ignored, depth + 1);
                matches += ignored.empty();
            }
            if (matches != 1)
                out.push_back(at + ": matches " + std::to_string(matches) + " of the oneOf alternatives");
            return;
        }
        std::string_view type;
        if (!rules["type"].get_string().get(type) && !has_type(value, type)) {
            out.push_back(at + ": is " + type_of(value) + ", not " + std::string(type));
            return;
        }
        dom::array allowed;
        if (!rules["enum"].get_array().get(allowed)) {
            bool found = false;
            for (dom::element candidate : allowed)
                found = found || simdjson::minify(candidate) == simdjson::minify(value);
            if (!found)
                out.push_back(at + ": " + simdjson::minify(value) + " is not in the enum");
        }
        std::uint64_t limit = 0;
        std::string_view text;
        if (!rules["maxLength"].get_uint64().get(limit) && !value.get_string().get(text) && text.size() > limit)
            out.push_back(at + ": longer than " + std::to_string(limit));

        dom::object object;
        if (!value.get_object().get(object)) {
            dom::array required;
            if (!rules["required"].get_array().get(required))
                for (dom::element name : required) {
                    std::string_view key;
                    dom::element ignored;
                    if (!name.get_string().get(key) && object[key].get(ignored))
                        out.push_back(at + ": lacks required member " + std::string(key));
                }
            dom::object properties;
            const bool has_properties = !rules["properties"].get_object().get(properties);
            bool closed = false;
            const bool additional_false = !rules["additionalProperties"].get_bool().get(closed) && !closed;
            for (auto [key, member] : object) {
                dom::element property;
                if (has_properties && !properties[key].get(property))
                    check(member, property, at + "/" + std::string(key), out, depth + 1);
                else if (additional_false)
                    out.push_back(at + ": unexpected member " + std::string(key));
            }
        }
        dom::array array;
        if (!value.get_array().get(array)) {
            if (!rules["minItems"].get_uint64().get(limit) && array.size() < limit)
                out.push_back(at + ": fewer than " + std::to_string(limit) + " items");
            if (!rules["maxItems"].get_uint64().get(limit) && array.size() > limit)
                out.push_back(at + ": more than " + std::to_string(limit) + " items");
            dom::element items;
            if (!rules["items"].get(items)) {
                std::size_t i = 0;
                for (dom::element item : array)
                    check(item, items, at + "/" + std::to_string(i++), out, depth + 1);
            }
        }
    }
};

schema_checker::schema_checker(std::string document) : impl_(std::make_unique<impl>())
{
    if (impl_->parser.parse(document).get(impl_->document))
        throw std::runtime_error("the OpenAPI document does not parse");
}

schema_checker::~schema_checker() = default;

std::vector<std::string> schema_checker::check(std::string_view json, std::string_view schema_pointer) const
{
    std::vector<std::string> out;
    dom::element schema;
    if (impl_->document.at_pointer(schema_pointer).get(schema)) {
        out.push_back("no schema at " + std::string(schema_pointer));
        return out;
    }
    dom::parser parser;
    dom::element value;
    if (parser.parse(json.data(), json.size()).get(value)) {
        out.push_back("not JSON: " + std::string(json.substr(0, 200)));
        return out;
    }
    impl_->check(value, schema, "", out, 0);
    return out;
}

} // namespace igw::ops
