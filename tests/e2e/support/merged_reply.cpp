#include "tests/e2e/support/merged_reply.hpp"

#include <simdjson.h>

#include <stdexcept>
#include <string_view>

namespace igw::e2e {
namespace {

namespace dom = simdjson::dom;

[[noreturn]] void bad(std::string_view what) { throw std::runtime_error("merged reply: " + std::string(what)); }

std::string text_of(dom::element value, std::string_view name)
{
    std::string_view text;
    if (value.get_string().get(text))
        bad(std::string(name) + " is not a string");
    return std::string(text);
}

std::uint64_t number_of(dom::element value, std::string_view name)
{
    std::uint64_t n = 0;
    if (value.get_uint64().get(n))
        bad(std::string(name) + " is not a non-negative integer");
    return n;
}

dom::object object_of(dom::element value, std::string_view name)
{
    dom::object object;
    if (value.get_object().get(object))
        bad(std::string(name) + " is not an object");
    return object;
}

dom::array array_of(dom::element value, std::string_view name)
{
    dom::array array;
    if (value.get_array().get(array))
        bad(std::string(name) + " is not an array");
    return array;
}

dom::element parse(dom::parser& parser, const std::string& body)
{
    dom::element root;
    if (parser.parse(body).get(root))
        bad("not JSON: " + body.substr(0, 200));
    return root;
}

result_entry read_result(dom::object object)
{
    result_entry r;
    bool has_index = false, has_email = false, has_target = false, has_status = false;
    for (auto [key, value] : object) {
        if (key == "index") {
            r.index = number_of(value, key), has_index = true;
        } else if (key == "ref") {
            r.ref = text_of(value, key);
        } else if (key == "email") {
            r.email = text_of(value, key), has_email = true;
        } else if (key == "target") {
            r.target = text_of(value, key), has_target = true;
        } else if (key == "status") {
            r.status = text_of(value, key), has_status = true;
        } else if (key == "invitation_id") {
            r.invitation_id = text_of(value, key);
        } else if (key == "expires_at") {
            r.expires_at = text_of(value, key);
        } else if (key == "vendor_status") {
            r.vendor_status = text_of(value, key);
        } else if (key == "upstream_status") {
            r.upstream_status = number_of(value, key);
        } else if (key == "already_invited" || key == "reconciled") {
            bool flag = false;
            if (value.get(flag) || !flag)
                bad(std::string(key) + " must be true when present (it is left out when false)");
            (key == "already_invited" ? r.already_invited : r.reconciled) = true;
        } else if (key == "error") {
            dom::object error = object_of(value, key);
            for (auto [error_key, error_value] : error) {
                if (error_key == "code")
                    r.error_code = text_of(error_value, error_key);
                else if (error_key == "message")
                    r.error_message = text_of(error_value, error_key);
                else
                    bad("unexpected error member " + std::string(error_key));
            }
            if (!r.error_code || !r.error_message)
                bad("error without code or message");
        } else {
            bad("unexpected result member " + std::string(key));
        }
    }
    if (!has_index || !has_email || !has_target || !has_status)
        bad("a result lacks index, email, target or status");
    return r;
}

} // namespace

merged_reply parse_merged_reply(const std::string& body)
{
    dom::parser parser;
    const dom::object root = object_of(parse(parser, body), "reply");
    merged_reply reply;
    bool has_id = false, has_summary = false, has_results = false;
    for (auto [key, value] : root) {
        if (key == "request_id") {
            reply.request_id = text_of(value, key), has_id = true;
        } else if (key == "summary") {
            has_summary = true;
            unsigned seen = 0;
            for (auto [name, count] : object_of(value, key)) {
                std::uint64_t* field = name == "invitations" ? &reply.invitations
                                       : name == "targets"   ? &reply.targets
                                       : name == "invited"   ? &reply.invited
                                       : name == "failed"    ? &reply.failed
                                       : name == "unknown"   ? &reply.unknown
                                                             : nullptr;
                if (!field)
                    bad("unexpected summary member " + std::string(name));
                *field = number_of(count, name);
                ++seen;
            }
            if (seen != 5)
                bad("summary does not have its five counts");
        } else if (key == "results") {
            has_results = true;
            for (dom::element element : array_of(value, key))
                reply.results.push_back(read_result(object_of(element, "result")));
        } else {
            bad("unexpected member " + std::string(key));
        }
    }
    if (!has_id || !has_summary || !has_results)
        bad("request_id, summary or results missing");
    return reply;
}

problem_reply parse_problem(const std::string& body)
{
    dom::parser parser;
    const dom::object root = object_of(parse(parser, body), "problem");
    problem_reply p;
    for (auto [key, value] : root) {
        if (key == "type")
            p.type = text_of(value, key);
        else if (key == "title")
            p.title = text_of(value, key);
        else if (key == "detail")
            p.detail = text_of(value, key);
        else if (key == "status")
            p.status = number_of(value, key);
        else if (key == "errors")
            for (dom::element element : array_of(value, key)) {
                problem_reply::error e;
                for (auto [error_key, error_value] : object_of(element, "errors[]")) {
                    if (error_key == "pointer")
                        e.pointer = text_of(error_value, error_key);
                    else if (error_key == "detail")
                        e.detail = text_of(error_value, error_key);
                }
                p.errors.push_back(std::move(e));
            }
    }
    if (p.type.empty() || p.title.empty() || p.status == 0)
        bad("a problem needs type, title and status");
    return p;
}

bool looks_like_uuid(const std::string& text)
{
    if (text.size() != 36)
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

} // namespace igw::e2e
