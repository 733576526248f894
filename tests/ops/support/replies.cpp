#include "tests/ops/support/replies.hpp"

#include <simdjson.h>

#include <stdexcept>

namespace igw::ops {
namespace {

namespace dom = simdjson::dom;

[[noreturn]] void bad(std::string_view what) { throw std::runtime_error("reply: " + std::string(what)); }

template <class V>
std::string text_of(V value, std::string_view name)
{
    std::string_view text;
    if (value.get_string().get(text))
        bad(std::string(name) + " is not a string");
    return std::string(text);
}

template <class V>
std::uint64_t number_of(V value, std::string_view name)
{
    std::uint64_t n = 0;
    if (value.get_uint64().get(n))
        bad(std::string(name) + " is not a non-negative integer");
    return n;
}

template <class V>
dom::object object_of(V value, std::string_view name)
{
    dom::object object;
    if (value.get_object().get(object))
        bad(std::string(name) + " is not an object");
    return object;
}

template <class V>
dom::array array_of(V value, std::string_view name)
{
    dom::array array;
    if (value.get_array().get(array))
        bad(std::string(name) + " is not an array");
    return array;
}

result_entry read_result(dom::object object)
{
    result_entry r;
    unsigned required = 0;
    for (auto [key, value] : object) {
        if (key == "index")
            r.index = number_of(value, key), ++required;
        else if (key == "email")
            r.email = text_of(value, key), ++required;
        else if (key == "target")
            r.target = text_of(value, key), ++required;
        else if (key == "status")
            r.status = text_of(value, key), ++required;
        else if (key == "upstream_status")
            r.upstream_status = number_of(value, key);
        else if (key == "error") {
            const dom::object error = object_of(value, key);
            std::string_view code, message;
            if (error["code"].get_string().get(code) || error["message"].get_string().get(message) || error.size() != 2)
                bad("error must have exactly a code and a message");
            r.error_code = std::string(code);
        } else if (key != "ref" && key != "invitation_id" && key != "expires_at" && key != "vendor_status")
            bad("unexpected result member " + std::string(key));
        else
            text_of(value, key);
    }
    if (required != 4)
        bad("a result lacks index, email, target or status");
    return r;
}

} // namespace

merged_reply parse_merged_reply(std::string_view body)
{
    dom::parser parser;
    dom::element root;
    if (parser.parse(body.data(), body.size()).get(root))
        bad("not JSON: " + std::string(body.substr(0, 200)));
    merged_reply reply;
    unsigned required = 0;
    for (auto [key, value] : object_of(root, "reply")) {
        if (key == "request_id") {
            reply.request_id = text_of(value, key), ++required;
        } else if (key == "summary") {
            ++required;
            const dom::object summary = object_of(value, key);
            if (summary.size() != 5)
                bad("summary does not have exactly its five counts");
            reply.invitations = number_of(summary["invitations"], "invitations");
            reply.targets = number_of(summary["targets"], "targets");
            reply.invited = number_of(summary["invited"], "invited");
            reply.failed = number_of(summary["failed"], "failed");
            reply.unknown = number_of(summary["unknown"], "unknown");
        } else if (key == "results") {
            ++required;
            for (dom::element element : array_of(value, key))
                reply.results.push_back(read_result(object_of(element, "result")));
        } else {
            bad("unexpected member " + std::string(key));
        }
    }
    if (required != 3)
        bad("request_id, summary or results missing");
    return reply;
}

reload_reply parse_reload_reply(std::string_view body)
{
    dom::parser parser;
    dom::element root;
    if (parser.parse(body.data(), body.size()).get(root))
        bad("not JSON: " + std::string(body.substr(0, 200)));
    const dom::object object = object_of(root, "reload reply");
    if (object.size() != 4)
        bad("a reload reply has exactly reloaded, config_version, errors and notes");
    reload_reply reply;
    if (object["reloaded"].get_bool().get(reply.reloaded))
        bad("reloaded is not a boolean");
    reply.config_version = text_of(object["config_version"], "config_version");
    for (dom::element e : array_of(object["errors"], "errors"))
        reply.errors.push_back(text_of(e, "errors[]"));
    for (dom::element e : array_of(object["notes"], "notes"))
        reply.notes.push_back(text_of(e, "notes[]"));
    return reply;
}

std::string pretty_json(std::string_view body)
{
    std::string out;
    std::size_t depth = 0;
    bool in_string = false;
    const auto newline = [&] {
        out.push_back('\n');
        out.append(depth * 2, ' ');
    };
    for (std::size_t i = 0; i < body.size(); ++i) {
        const char c = body[i];
        if (in_string) {
            out.push_back(c);
            if (c == '\\' && i + 1 < body.size())
                out.push_back(body[++i]);
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            out.push_back(c);
            break;
        case '{':
        case '[':
            out.push_back(c);
            // Empty containers stay on one line.
            if (i + 1 < body.size() && (body[i + 1] == '}' || body[i + 1] == ']')) {
                out.push_back(body[++i]);
                break;
            }
            ++depth;
            newline();
            break;
        case '}':
        case ']':
            --depth;
            newline();
            out.push_back(c);
            break;
        case ',':
            out.push_back(c);
            newline();
            break;
        case ':': out.append(": "); break;
        default: out.push_back(c);
        }
    }
    out.push_back('\n');
    return out;
}

} // namespace igw::ops
