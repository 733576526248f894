#include "gateway/mapping/provider_plan.hpp"

#include "gateway/config/yaml_reader.hpp"
#include "gateway/mapping/contract_example.hpp"
#include "gateway/mapping/owned_headers.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace igw::mapping {
namespace {

using config::child_key;
using config::index_key;
using config::yaml_reader;

bool contains(const std::vector<std::string>& list, std::string_view value)
{
    return std::find(list.begin(), list.end(), value) != list.end();
}

// RFC 7230 token characters, for header names.
bool is_token(std::string_view text)
{
    if (text.empty())
        return false;
    for (unsigned char c : text) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
        if (!ok)
            return false;
    }
    return true;
}

class provider_compiler {
public:
    provider_compiler(const std::string& name, const std::string& file, const config::env_lookup& env)
        : reader_(file, env)
    {
        plan_.name = name;
        plan_.file = file;
    }

    provider_plan compile()
    {
        const YAML::Node root = reader_.load();
        reader_.throw_if_errors();
        if (!reader_.expect_map(root, "(top level)"))
            reader_.throw_if_errors();
        reader_.check_keys(
            root, "", {"description", "secrets", "params", "request", "batch", "roles", "reply", "lookup", "example"});
        if (const YAML::Node n = root["description"]; n.IsDefined())
            reader_.string(n, "description");

        if (const YAML::Node n = root["secrets"]; n.IsDefined())
            if (auto list = reader_.string_list(n, "secrets"))
                plan_.secrets = *list;
        if (const YAML::Node n = root["params"]; n.IsDefined())
            read_params(n);
        read_batch(root["batch"]);
        read_roles(reader_.required(root, "", "roles"));
        read_request(reader_.required(root, "", "request"));
        read_reply(reader_.required(root, "", "reply"));
        if (const YAML::Node n = root["lookup"]; n.IsDefined())
            read_lookup(n);
        read_example(root);
        reader_.throw_if_errors();
        return std::move(plan_);
    }

private:
    void read_params(const YAML::Node& node)
    {
        if (!reader_.expect_map(node, "params"))
            return;
        reader_.check_keys(node, "params", {"required", "optional"});
        if (const YAML::Node n = node["required"]; n.IsDefined())
            if (auto list = reader_.string_list(n, "params.required"))
                plan_.required_params = *list;
        if (const YAML::Node n = node["optional"]; n.IsDefined())
            if (auto list = reader_.string_list(n, "params.optional"))
                plan_.optional_params = *list;
    }

    void read_batch(const YAML::Node& node)
    {
        if (!node.IsDefined())
            return; // one item per call
        if (!reader_.expect_map(node, "batch"))
            return;
        reader_.check_keys(node, "batch", {"max_items", "group_by"});
        if (const YAML::Node n = node["max_items"]; n.IsDefined())
            if (auto v = reader_.integer(n, "batch.max_items", 1, 100'000))
                plan_.max_items = static_cast<unsigned>(*v);
        if (const YAML::Node n = node["group_by"]; n.IsDefined())
            if (auto list = reader_.string_list(n, "batch.group_by")) {
                for (std::size_t i = 0; i < list->size(); ++i) {
                    // The email is unique per item, so the role is the one mapped field that
                    // items can share and a call can require to be equal.
                    if ((*list)[i] == "role")
                        plan_.group_by_role = true;
                    else
                        reader_.error(n[i], index_key("batch.group_by", i),
                                      "only `role` can be grouped by (it is the only mapped field items share)");
                }
            }
    }

    void read_roles(const YAML::Node& node)
    {
        if (!node.IsDefined() || !reader_.expect_map(node, "roles"))
            return;
        reader_.check_keys(node, "roles", {"type", "allowed"});
        if (const YAML::Node n = reader_.required(node, "roles", "type"); n.IsDefined())
            if (auto type = reader_.string(n, "roles.type")) {
                if (*type == "none")
                    plan_.roles.type = role_spec::kind::none;
                else if (*type == "string")
                    plan_.roles.type = role_spec::kind::string;
                else if (*type == "integer")
                    plan_.roles.type = role_spec::kind::integer;
                else if (*type == "integer_list")
                    plan_.roles.type = role_spec::kind::integer_list;
                else {
                    reader_.error(n, "roles.type", "must be one of: none, string, integer, integer_list");
                    role_type_known_ = false;
                }
            }
        if (const YAML::Node n = node["allowed"]; n.IsDefined() && role_type_known_) {
            if (plan_.roles.type != role_spec::kind::string)
                reader_.error(n, "roles.allowed", "only string roles have an enum of allowed values");
            else if (auto list = reader_.string_list(n, "roles.allowed"))
                plan_.roles.allowed = *list;
        }
    }

    void read_request(const YAML::Node& node)
    {
        if (!node.IsDefined() || !reader_.expect_map(node, "request"))
            return;
        reader_.check_keys(node, "request", {"method", "path", "headers", "basic_auth", "body"});
        if (const YAML::Node n = reader_.required(node, "request", "method"); n.IsDefined())
            if (auto method = reader_.string(n, "request.method")) {
                if (*method != "POST" && *method != "PUT" && *method != "PATCH")
                    reader_.error(n, "request.method", "must be POST, PUT or PATCH (an invite has a body)");
                plan_.method = *method;
            }
        if (const YAML::Node n = reader_.required(node, "request", "path"); n.IsDefined())
            if (auto path = reader_.string(n, "request.path")) {
                if (path->empty() || path->front() != '/' || path->find_first_of("?# ") != std::string::npos)
                    reader_.error(n, "request.path", "must be a path starting with '/' (no query)");
                plan_.path = parse_template(n, "request.path", *path, false);
            }
        if (const YAML::Node n = node["headers"]; n.IsDefined() && reader_.expect_map(n, "request.headers")) {
            reader_.check_unique_keys(n, "request.headers");
            for (const auto& member : n) {
                const std::string name = member.first.Scalar();
                const std::string key = child_key("request.headers", name);
                if (!is_token(name)) {
                    reader_.error(member.first, key, "is not a valid header name");
                    continue;
                }
                if (const std::string_view owned = owned_header(name); !owned.empty()) {
                    reader_.error(member.first, key,
                                  std::string(owned) + " is set by the gateway itself; a provider cannot set it");
                    continue;
                }
                // Header names are case-insensitive: "accept" and "Accept" would be sent twice.
                if (std::any_of(plan_.headers.begin(), plan_.headers.end(),
                                [&](const header_spec& h) { return header_name_equals(h.name, name); })) {
                    reader_.error(member.first, key, "is given twice (header names are case-insensitive)");
                    continue;
                }
                if (auto value = reader_.string(member.second, key))
                    plan_.headers.push_back({name, parse_template(member.second, key, *value, true)});
            }
        }
        if (const YAML::Node n = node["basic_auth"]; n.IsDefined() && reader_.expect_map(n, "request.basic_auth")) {
            reader_.check_keys(n, "request.basic_auth", {"username", "password"});
            plan_.basic_auth = true;
            if (const YAML::Node u = reader_.required(n, "request.basic_auth", "username"); u.IsDefined())
                if (auto v = reader_.string(u, "request.basic_auth.username"))
                    plan_.basic_username = parse_template(u, "request.basic_auth.username", *v, true);
            if (const YAML::Node p = reader_.required(n, "request.basic_auth", "password"); p.IsDefined())
                if (auto v = reader_.string(p, "request.basic_auth.password"))
                    plan_.basic_password = parse_template(p, "request.basic_auth.password", *v, true);
            for (const auto& header : plan_.headers)
                if (header_name_equals(header.name, "authorization"))
                    reader_.error(n, "request.basic_auth", "conflicts with the Authorization header");
        }
        if (const YAML::Node n = reader_.required(node, "request", "body"); n.IsDefined()) {
            compile_body(n, "request.body", false);
            if (!plan_.body.empty() && plan_.body.front().what != body_node::kind::object_begin &&
                plan_.body.front().what != body_node::kind::array_begin &&
                plan_.body.front().what != body_node::kind::each_begin)
                reader_.error(n, "request.body", "must be a JSON object or array");
        }
    }

    // "{secret.NAME}" and "{param.NAME}" are references; "{{" and "}}" are literal braces.
    text_template parse_template(const YAML::Node& at, const std::string& key, std::string_view text,
                                 bool secrets_allowed)
    {
        text_template result;
        std::string literal;
        const auto flush = [&] {
            if (!literal.empty())
                result.parts.push_back({text_template::part::kind::literal, std::move(literal)});
            literal.clear();
        };
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text.compare(i, 2, "{{") == 0 || text.compare(i, 2, "}}") == 0) {
                literal.push_back(text[i++]);
                continue;
            }
            if (text[i] == '}') {
                reader_.error(at, key, "unmatched '}' (write }} for a literal brace)");
                return result;
            }
            if (text[i] != '{') {
                literal.push_back(text[i]);
                continue;
            }
            const std::size_t close = text.find('}', i);
            if (close == std::string_view::npos) {
                reader_.error(at, key, "unterminated '{' (write {{ for a literal brace)");
                return result;
            }
            const std::string_view ref = text.substr(i + 1, close - i - 1);
            flush();
            if (ref.starts_with("secret.")) {
                const std::string name(ref.substr(7));
                if (!secrets_allowed)
                    reader_.error(at, key, "secrets cannot appear here");
                else if (!contains(plan_.secrets, name))
                    reader_.error(at, key, "{" + std::string(ref) + "} names a secret not listed under `secrets`");
                result.parts.push_back({text_template::part::kind::secret, name});
            } else if (ref.starts_with("param.")) {
                const std::string name(ref.substr(6));
                if (!contains(plan_.required_params, name) && !contains(plan_.optional_params, name))
                    reader_.error(at, key, "{" + std::string(ref) + "} names a parameter not listed under `params`");
                else if (!secrets_allowed && contains(plan_.optional_params, name))
                    reader_.error(at, key, "an optional parameter cannot be part of the path");
                result.parts.push_back({text_template::part::kind::param, name});
                template_params_.push_back(name);
            } else {
                reader_.error(at, key,
                              "unknown reference {" + std::string(ref) + "} (use {secret.NAME} or {param.NAME})");
            }
            i = close;
        }
        flush();
        return result;
    }

    void emit(body_node::kind what, std::string text = {})
    {
        body_node node;
        node.what = what;
        node.text = std::move(text);
        plan_.body.push_back(std::move(node));
    }

    // `in_each`: inside a $each, where $item is the current item of the call.
    void compile_body(const YAML::Node& node, const std::string& key, bool in_each)
    {
        if (node.IsSequence()) {
            emit(body_node::kind::array_begin);
            for (std::size_t i = 0; i < node.size(); ++i)
                compile_body(node[i], index_key(key, i), in_each);
            emit(body_node::kind::array_end);
            return;
        }
        if (node.IsMap()) {
            const bool directive = node.size() >= 1 && node.begin()->first.IsScalar() &&
                                   node.begin()->first.Scalar().starts_with("$");
            if (directive) {
                compile_directive(node, key, in_each);
                return;
            }
            reader_.check_unique_keys(node, key);
            emit(body_node::kind::object_begin);
            for (const auto& member : node) {
                const std::string name = member.first.Scalar();
                if (name.starts_with("$"))
                    reader_.error(member.first, child_key(key, name),
                                  "a directive must be the only key of its mapping");
                emit(body_node::kind::key, name);
                compile_body(member.second, child_key(key, name), in_each);
            }
            emit(body_node::kind::object_end);
            return;
        }
        if (node.IsNull()) {
            emit(body_node::kind::null_value);
            return;
        }
        if (!node.IsScalar()) {
            reader_.error(node, key, "is not a JSON value");
            return;
        }
        // Plain scalars are typed (true, 42, null); quoted ones are always strings.
        const std::string& text = node.Scalar();
        if (yaml_reader::is_plain_scalar(node)) {
            if (text == "true" || text == "false") {
                body_node value;
                value.what = body_node::kind::bool_value;
                value.flag = text == "true";
                plan_.body.push_back(value);
                return;
            }
            std::int64_t number = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
            if (ec == std::errc{} && end == text.data() + text.size()) {
                body_node value;
                value.what = body_node::kind::integer_value;
                value.number = number;
                plan_.body.push_back(value);
                return;
            }
        }
        if (auto value = reader_.string(node, key))
            emit(body_node::kind::string_value, *value);
    }

    void compile_directive(const YAML::Node& node, const std::string& key, bool in_each)
    {
        const std::string directive = node.begin()->first.Scalar();
        const YAML::Node argument = node.begin()->second;
        const std::string dkey = child_key(key, directive);
        if (directive == "$param") {
            reader_.check_keys(node, key, {"$param", "as"});
            auto name = reader_.string(argument, dkey);
            if (!name)
                return;
            if (!contains(plan_.required_params, *name))
                reader_.error(argument, dkey,
                              "\"" + *name + "\" must be listed under `params.required` to be used in a body");
            auto kind = body_node::kind::param_string;
            if (const YAML::Node as = node["as"]; as.IsDefined()) {
                auto type = reader_.string(as, child_key(key, "as"));
                if (type && *type == "integer")
                    kind = body_node::kind::param_integer;
                else if (type && *type == "integer_list")
                    kind = body_node::kind::param_integer_list;
                else if (type && *type == "string_list")
                    kind = body_node::kind::param_string_list;
                else if (type && *type != "string")
                    reader_.error(as, child_key(key, "as"), "must be string, integer, integer_list or string_list");
            }
            // A target gives a parameter either as one value or as a list, so every use of
            // it must agree (templates in the path and headers are single values).
            const bool as_list = kind == body_node::kind::param_integer_list ||
                                 kind == body_node::kind::param_string_list;
            const bool used_as_scalar = contains(template_params_, *name) ||
                                        std::any_of(plan_.body.begin(), plan_.body.end(), [&](const body_node& b) {
                                            return b.text == *name && (b.what == body_node::kind::param_string ||
                                                                       b.what == body_node::kind::param_integer);
                                        });
            const bool used_as_list = std::any_of(plan_.body.begin(), plan_.body.end(), [&](const body_node& b) {
                return b.text == *name &&
                       (b.what == body_node::kind::param_integer_list || b.what == body_node::kind::param_string_list);
            });
            if (as_list ? used_as_scalar : used_as_list)
                reader_.error(argument, dkey,
                              "\"" + *name + "\" is used both as a list and as a single value elsewhere");
            emit(kind, *name);
            return;
        }
        if (node.size() != 1) {
            reader_.error(node, key, "a directive must be the only key of its mapping");
            return;
        }
        if (directive == "$item") {
            auto field = reader_.string(argument, dkey);
            if (!field)
                return;
            if (*field == "email")
                emit(body_node::kind::item_email);
            else if (*field == "role")
                emit(body_node::kind::item_role);
            else if (*field == "ref")
                emit(body_node::kind::item_ref);
            else {
                reader_.error(argument, dkey, "an invitation has the fields email, role and ref");
                return;
            }
            if (*field == "role" && plan_.roles.type == role_spec::kind::none && role_type_known_)
                reader_.error(argument, dkey, "this provider declares `roles: {type: none}`");
            // Outside $each a field stands for the whole call: it must be the same for every item.
            if (!in_each && plan_.max_items > 1 && !(*field == "role" && plan_.group_by_role))
                reader_.error(argument, dkey,
                              "outside $each, {$item: " + *field + "} needs `batch.max_items: 1`" +
                                  (*field == "role" ? " or `batch.group_by: [role]`" : ""));
            return;
        }
        if (directive == "$request") {
            auto field = reader_.string(argument, dkey);
            if (field && *field == "send_email")
                emit(body_node::kind::send_email);
            else if (field)
                reader_.error(argument, dkey, "the request field available to bodies is send_email");
            return;
        }
        if (directive == "$each") {
            if (in_each) {
                reader_.error(node, dkey, "$each cannot be nested");
                return;
            }
            emit(body_node::kind::array_begin);
            const std::size_t begin = plan_.body.size();
            emit(body_node::kind::each_begin);
            compile_body(argument, dkey, true);
            plan_.body[begin].jump = static_cast<std::uint32_t>(plan_.body.size());
            emit(body_node::kind::each_end);
            plan_.body.back().jump = static_cast<std::uint32_t>(begin);
            emit(body_node::kind::array_end);
            return;
        }
        reader_.error(node.begin()->first, dkey, "unknown directive (expected $item, $each, $param or $request)");
    }

    void read_reply(const YAML::Node& node)
    {
        if (!node.IsDefined() || !reader_.expect_map(node, "reply"))
            return;
        reader_.check_keys(node, "reply",
                           {"success", "items", "root", "match", "fields", "error_message", "already_invited"});
        reply_plan& reply = plan_.reply;
        if (const YAML::Node n = reader_.required(node, "reply", "success");
            n.IsDefined() && reader_.expect_sequence(n, "reply.success"))
            for (std::size_t i = 0; i < n.size(); ++i)
                if (auto status = reader_.integer(n[i], index_key("reply.success", i), 200, 299))
                    reply.success_statuses.push_back(static_cast<unsigned>(*status));
        if (const YAML::Node n = reader_.required(node, "reply", "items"); n.IsDefined())
            if (auto items = reader_.string(n, "reply.items")) {
                if (*items == "none")
                    reply.items = reply_plan::items_kind::none;
                else if (*items == "object")
                    reply.items = reply_plan::items_kind::object;
                else if (*items == "array")
                    reply.items = reply_plan::items_kind::array;
                else
                    reader_.error(n, "reply.items", "must be none, object or array");
                if (reply.items == reply_plan::items_kind::object && plan_.max_items != 1)
                    reader_.error(n, "reply.items", "an object reply describes one item: set `batch.max_items: 1`");
            }
        if (const YAML::Node n = node["root"]; n.IsDefined())
            if (auto root = pointer(n, "reply.root"))
                reply.root_pointer = *root;
        const bool array = reply.items == reply_plan::items_kind::array;
        if (const YAML::Node n = node["match"]; n.IsDefined()) {
            if (!array)
                reader_.error(n, "reply.match", "only array replies are matched by email");
            else if (auto member = member_name(n, "reply.match"))
                reply.match_member = *member;
        } else if (array) {
            reader_.error(node, "reply.match", "an array reply needs `match`: the element member holding the email");
        }
        if (const YAML::Node n = node["fields"]; n.IsDefined() && reader_.expect_map(n, "reply.fields")) {
            if (reply.items == reply_plan::items_kind::none)
                reader_.error(n, "reply.fields", "a reply with `items: none` carries no per-item fields");
            reader_.check_keys(n, "reply.fields", {"invitation_id", "expires_at", "vendor_status"});
            const auto field = [&](const char* name, std::string& out) {
                const YAML::Node given = n[name];
                if (!given.IsDefined())
                    return;
                const std::string key = child_key("reply.fields", name);
                const auto read_pointer = [&](const YAML::Node& f, const std::string& at_key) {
                    // Array elements are matched one by one, so their fields are plain members.
                    if (auto value = array ? member_name(f, at_key) : pointer(f, at_key))
                        out = *value;
                };
                // The long form declares how the value is written: {pointer: /x, format: unix_seconds}.
                if (given.IsMap()) {
                    reader_.check_keys(given, key, {"pointer", "format"});
                    if (const YAML::Node format = given["format"]; format.IsDefined()) {
                        if (std::string_view(name) == "expires_at")
                            read_time_format(format, child_key(key, "format"));
                        else
                            reader_.error(format, child_key(key, "format"),
                                          "only expires_at has a format (ids are strings or integers)");
                    }
                    if (const YAML::Node p = reader_.required(given, key, "pointer"); p.IsDefined())
                        read_pointer(p, child_key(key, "pointer"));
                    return;
                }
                read_pointer(given, key);
            };
            field("invitation_id", reply.invitation_id);
            field("expires_at", reply.expires_at);
            field("vendor_status", reply.vendor_status);
        }
        if (reply.items == reply_plan::items_kind::object) {
            // Object fields are written relative to `root`; store them absolute, so the
            // reply mapper looks each up with one pointer and no string work.
            for (std::string* field : {&reply.invitation_id, &reply.expires_at, &reply.vendor_status})
                if (!field->empty())
                    *field = reply.root_pointer + *field;
        }
        if (const YAML::Node n = node["error_message"];
            n.IsDefined() && reader_.expect_sequence(n, "reply.error_message"))
            for (std::size_t i = 0; i < n.size(); ++i)
                if (auto p = pointer(n[i], index_key("reply.error_message", i)))
                    reply.error_message_pointers.push_back(*p);
        if (const YAML::Node n = node["already_invited"]; n.IsDefined())
            read_already_invited(n);
    }

    void read_time_format(const YAML::Node& node, const std::string& key)
    {
        auto format = reader_.string(node, key);
        if (!format)
            return;
        if (*format == "rfc3339")
            plan_.reply.expires_at_format = time_format::rfc3339;
        else if (*format == "unix_seconds")
            plan_.reply.expires_at_format = time_format::unix_seconds;
        else if (*format == "unix_millis")
            plan_.reply.expires_at_format = time_format::unix_millis;
        else
            reader_.error(node, key, "must be rfc3339, unix_seconds or unix_millis");
    }

    void read_already_invited(const YAML::Node& node)
    {
        const std::string list_key = "reply.already_invited";
        if (!reader_.expect_sequence(node, list_key))
            return;
        // The rule says something about the person of the call; a call for several
        // people would leave it unsaid which of them was already invited.
        if (plan_.max_items != 1)
            reader_.error(node, list_key, "a reply about one person needs `batch.max_items: 1`");
        for (std::size_t i = 0; i < node.size(); ++i) {
            const YAML::Node r = node[i];
            const std::string key = index_key(list_key, i);
            if (!reader_.expect_map(r, key))
                continue;
            reader_.check_keys(r, key, {"status", "pointer", "equals", "contains", "invitation_id"});
            already_invited_rule rule;
            bool complete = true;
            if (const YAML::Node n = reader_.required(r, key, "status"); n.IsDefined()) {
                // A success status is the vendor creating the invitation; a 5xx says nothing
                // about the person.
                if (auto status = reader_.integer(n, child_key(key, "status"), 400, 499))
                    rule.status = static_cast<unsigned>(*status);
                else
                    complete = false;
            }
            if (const YAML::Node n = reader_.required(r, key, "pointer"); n.IsDefined()) {
                auto p = pointer(n, child_key(key, "pointer"));
                if (p && p->empty()) {
                    reader_.error(n, child_key(key, "pointer"), "must point into the error body, e.g. /error/code");
                    complete = false;
                } else if (p) {
                    rule.pointer = *p;
                } else {
                    complete = false;
                }
            }
            const YAML::Node equals = r["equals"], contains = r["contains"];
            if (equals.IsDefined() == contains.IsDefined()) {
                reader_.error(r, key, "needs exactly one of `equals` and `contains`");
                complete = false;
            } else if (auto text = reader_.string(equals.IsDefined() ? equals : contains,
                                                  child_key(key, equals.IsDefined() ? "equals" : "contains"))) {
                if (text->empty()) {
                    reader_.error(equals.IsDefined() ? equals : contains,
                                  child_key(key, equals.IsDefined() ? "equals" : "contains"), "must not be empty");
                    complete = false;
                }
                rule.contains = contains.IsDefined();
                rule.text = std::move(*text);
                if (rule.contains)
                    for (char& c : rule.text)
                        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            } else {
                complete = false;
            }
            if (const YAML::Node n = r["invitation_id"]; n.IsDefined()) {
                if (auto p = pointer(n, child_key(key, "invitation_id")); p && !p->empty())
                    rule.invitation_id = *p;
                else if (p)
                    reader_.error(n, child_key(key, "invitation_id"), "must point into the error body");
            }
            if (complete)
                plan_.reply.already_invited.push_back(std::move(rule));
        }
    }

    void read_lookup(const YAML::Node& node)
    {
        if (!reader_.expect_map(node, "lookup"))
            return;
        reader_.check_keys(node, "lookup", {"path", "query", "items", "match", "invitation_id", "paging", "max_pages"});
        lookup_plan lookup;
        if (const YAML::Node n = reader_.required(node, "lookup", "path"); n.IsDefined())
            if (auto path = reader_.string(n, "lookup.path")) {
                if (path->empty() || path->front() != '/' || path->find_first_of("?# ") != std::string::npos)
                    reader_.error(n, "lookup.path",
                                  "must be a path starting with '/' (fixed query parameters go "
                                  "under lookup.query)");
                lookup.path = parse_template(n, "lookup.path", *path, false);
            }
        if (const YAML::Node n = node["query"]; n.IsDefined() && reader_.expect_map(n, "lookup.query")) {
            reader_.check_unique_keys(n, "lookup.query");
            for (const auto& member : n) {
                const std::string name = member.first.Scalar();
                const std::string key = child_key("lookup.query", name);
                if (name.empty())
                    reader_.error(member.first, key, "a query parameter needs a name");
                else if (auto value = reader_.string(member.second, key))
                    lookup.query.emplace_back(name, *value);
            }
        }
        if (const YAML::Node n = reader_.required(node, "lookup", "items"); n.IsDefined())
            if (auto items = pointer(n, "lookup.items"))
                lookup.items_pointer = *items;
        if (const YAML::Node n = reader_.required(node, "lookup", "match"); n.IsDefined())
            if (auto member = member_name(n, "lookup.match"))
                lookup.match_member = *member;
        if (const YAML::Node n = reader_.required(node, "lookup", "invitation_id"); n.IsDefined())
            if (auto member = member_name(n, "lookup.invitation_id"))
                lookup.invitation_id_member = *member;
        if (const YAML::Node n = node["paging"]; n.IsDefined() && reader_.expect_map(n, "lookup.paging")) {
            reader_.check_keys(n, "lookup.paging", {"cursor", "next", "more"});
            if (const YAML::Node c = reader_.required(n, "lookup.paging", "cursor"); c.IsDefined())
                if (auto name = reader_.string(c, "lookup.paging.cursor")) {
                    if (name->empty())
                        reader_.error(c, "lookup.paging.cursor", "must name the query parameter of the cursor");
                    for (const auto& [fixed, value] : lookup.query)
                        if (fixed == *name)
                            reader_.error(c, "lookup.paging.cursor", "is also a fixed parameter under lookup.query");
                    lookup.cursor_param = *name;
                }
            if (const YAML::Node next = reader_.required(n, "lookup.paging", "next"); next.IsDefined())
                if (auto p = pointer(next, "lookup.paging.next")) {
                    if (p->empty())
                        reader_.error(next, "lookup.paging.next", "must point into the page, e.g. /next_cursor");
                    lookup.next_cursor_pointer = *p;
                }
            if (const YAML::Node more = n["more"]; more.IsDefined())
                if (auto p = pointer(more, "lookup.paging.more"))
                    lookup.has_more_pointer = *p;
        }
        if (const YAML::Node n = node["max_pages"]; n.IsDefined())
            if (auto v = reader_.integer(n, "lookup.max_pages", 1, 10'000))
                lookup.max_pages = static_cast<unsigned>(*v);
        plan_.lookup = std::move(lookup);
    }

    // `example:` is kept as text with the places it came from; check_contract_example
    // compares it with the compiled mapping once the whole file has loaded.
    void read_example(const YAML::Node& root)
    {
        const YAML::Node node = root["example"];
        if (!node.IsDefined() || !reader_.expect_map(node, "example"))
            return;
        reader_.check_keys(node, "example", {"request", "optional", "reply", "error"});
        contract_example example;
        example.origin = reader_.origin(node);
        if (const YAML::Node n = reader_.required(node, "example", "request"); n.IsDefined())
            if (auto json = example_json_text(n, "example.request", true))
                example.request = std::move(*json);
        if (const YAML::Node n = node["optional"]; n.IsDefined() && reader_.expect_sequence(n, "example.optional"))
            for (std::size_t i = 0; i < n.size(); ++i)
                if (auto p = pointer(n[i], index_key("example.optional", i))) {
                    if (p->empty())
                        reader_.error(n[i], index_key("example.optional", i), "the whole request cannot be optional");
                    else
                        example.optional_members.emplace(*p, reader_.origin(n[i]));
                }
        if (const YAML::Node n = reader_.required(node, "example", "reply"); n.IsDefined())
            if (auto reply = example_reply_of(n, "example.reply"))
                example.reply = std::move(*reply);
        if (const YAML::Node n = node["error"]; n.IsDefined())
            example.error = example_reply_of(n, "example.error");

        // Where the reply's pointers are declared. Looked up here rather than in
        // read_reply, so that the reply's own reading stays about the reply.
        if (const YAML::Node reply = root["reply"]; reply.IsDefined() && reply.IsMap()) {
            for (const char* name : {"root", "match"})
                if (const YAML::Node n = reply[name]; n.IsDefined())
                    example.declared_at.emplace(child_key("reply", name), reader_.origin(n));
            if (const YAML::Node fields = reply["fields"]; fields.IsDefined() && fields.IsMap())
                for (const auto& member : fields)
                    if (member.first.IsScalar())
                        example.declared_at.emplace(child_key("reply.fields", member.first.Scalar()),
                                                    reader_.origin(member.second));
        }
        plan_.example = std::move(example);
    }

    std::optional<example_reply> example_reply_of(const YAML::Node& node, const std::string& key)
    {
        if (!reader_.expect_map(node, key))
            return std::nullopt;
        reader_.check_keys(node, key, {"status", "body"});
        example_reply reply;
        if (const YAML::Node n = reader_.required(node, key, "status"); n.IsDefined())
            if (auto status = reader_.integer(n, child_key(key, "status"), 100, 599)) {
                reply.status = static_cast<unsigned>(*status);
                reply.status_origin = reader_.origin(n);
            }
        if (const YAML::Node n = reader_.required(node, key, "body"); n.IsDefined())
            if (auto json = example_json_text(n, child_key(key, "body"), false))
                reply.body = std::move(*json);
        return reply;
    }

    // The vendor's JSON exactly as written: no ${VAR} substitution, which would change
    // a documented text that happens to contain "${".
    std::optional<example_json> example_json_text(const YAML::Node& node, const std::string& key, bool is_request)
    {
        if (!node.IsScalar() || node.IsNull()) {
            reader_.error(node, key, "must be the JSON text, e.g. as a `|` block");
            return std::nullopt;
        }
        if (auto problem = json_syntax_error(node.Scalar())) {
            reader_.error(node, key, "is not valid JSON: " + *problem);
            return std::nullopt;
        }
        if (is_request && node.Scalar().find_first_of("{[") != node.Scalar().find_first_not_of(" \t\r\n")) {
            reader_.error(node, key, "must be a JSON object or array (a request body)");
            return std::nullopt;
        }
        return example_json{node.Scalar(), reader_.origin(node)};
    }

    std::optional<std::string> pointer(const YAML::Node& node, const std::string& key)
    {
        auto text = reader_.string(node, key);
        if (text && !text->empty() && text->front() != '/') {
            reader_.error(node, key, "must be a JSON Pointer such as /result/id (or empty for the whole document)");
            return std::nullopt;
        }
        // RFC 6901: `~` only starts the escapes ~0 (for `~`) and ~1 (for `/`).
        for (std::size_t i = 0; text && i < text->size(); ++i)
            if ((*text)[i] == '~' && (i + 1 == text->size() || ((*text)[i + 1] != '0' && (*text)[i + 1] != '1'))) {
                reader_.error(node, key, "has a `~` that is not ~0 or ~1 (JSON Pointer escapes)");
                return std::nullopt;
            }
        return text;
    }

    // A single-level pointer "/name" (or a bare "name"), returned as the member name.
    std::optional<std::string> member_name(const YAML::Node& node, const std::string& key)
    {
        auto text = reader_.string(node, key);
        if (!text)
            return std::nullopt;
        std::string name = text->starts_with("/") ? text->substr(1) : *text;
        if (name.empty() || name.find('/') != std::string::npos) {
            reader_.error(node, key, "must name one member of each element, e.g. /email");
            return std::nullopt;
        }
        // Undo RFC 6901 escaping: ~1 is '/', ~0 is '~'.
        std::string decoded;
        for (std::size_t i = 0; i < name.size(); ++i) {
            if (name[i] == '~' && i + 1 < name.size() && (name[i + 1] == '0' || name[i + 1] == '1')) {
                decoded.push_back(name[++i] == '0' ? '~' : '/');
            } else {
                decoded.push_back(name[i]);
            }
        }
        return decoded;
    }

    yaml_reader reader_;
    provider_plan plan_;
    // False after an invalid `roles.type`, so that the checks depending on the type
    // do not add errors about a type the file never declared.
    bool role_type_known_ = true;
    // Parameters the path and header templates use: single values, never lists.
    std::vector<std::string> template_params_;
};

} // namespace

bool text_template::uses_secret() const noexcept
{
    return std::any_of(parts.begin(), parts.end(), [](const part& p) { return p.what == part::kind::secret; });
}

provider_plan load_provider_plan(const std::string& name, const std::string& file, const config::env_lookup& env)
{
    return provider_compiler(name, file, env).compile();
}

} // namespace igw::mapping
