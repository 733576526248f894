#include "tests/emulator/support/fixture.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <stdexcept>

namespace igw::emulator::testing {
namespace {

using boost::beast::iequals;

} // namespace

std::string invite_path(const server& s, vendor v)
{
    const std::string& prefix = s.settings().path_prefix;
    switch (v) {
    case vendor::anthropic: return prefix + "/v1/organizations/invites";
    case vendor::clickhouse:
        return prefix + "/v1/organizations/" + s.settings().creds.clickhouse_org_id + "/invitations";
    case vendor::warpstream: return prefix + "/api/v1/users/create_invitations";
    case vendor::gorules: return prefix + "/api/users";
    case vendor::atomicwork: return prefix + "/api/v1/users/invite";
    }
    throw std::logic_error("unknown vendor");
}

test_request documented_request(const server& s, vendor v)
{
    const credentials& c = s.settings().creds;
    test_request r;
    r.target = invite_path(s, v);
    switch (v) {
    case vendor::anthropic:
        r.headers = {{"anthropic-version", "2023-06-01"},
                     {"content-type", "application/json"},
                     {"x-api-key", c.anthropic_api_key}};
        r.body = R"({"email": "user@emaildomain.com", "role": "user"})";
        break;
    case vendor::clickhouse:
        // base64("sandbox-key-id:sandbox-key-secret"), spelled out so the test does not
        // share the emulator's encoder.
        r.headers = {{"Authorization", "Basic c2FuZGJveC1rZXktaWQ6c2FuZGJveC1rZXktc2VjcmV0"},
                     {"Content-Type", "application/json"}};
        r.body = R"({"email": "Jane.Doe@Example.com", "role": "developer"})";
        break;
    case vendor::warpstream:
        r.headers = {{"warpstream-api-key", c.warpstream_api_key}, {"Content-Type", "application/json"}};
        r.body = R"({"invitations": [{"email": "test@example.com", "user_role_id": ")" + c.warpstream_role_ids.at(0) +
                 R"("}, {"email": "test1@example.com", "user_role_id": ")" + c.warpstream_role_ids.at(1) + R"("} ]})";
        break;
    case vendor::gorules:
        r.headers = {{"Authorization", "Bearer " + c.gorules_token}, {"Content-Type", "application/json"}};
        r.body = R"({"emails": ["first@example.com", "Second@Example.org"]})";
        break;
    case vendor::atomicwork:
        r.headers = {{"X-Workspace-Id", c.atomicwork_workspace_id},
                     {"X-Api-Key", c.atomicwork_api_key},
                     {"Content-Type", "application/json"}};
        r.body = R"({"emails":["jane.doe@example.com","john.smith@externalpartner.com"],"org_roles":[1,2],)"
                 R"("type":"EMPLOYEE","send_email":true,"workspaces":[{"id":42,"roles":[3,7]},{"id":58,"roles":[2]}],)"
                 R"("workspace_roles":[5,9],"workspace_ids":[42,58]})";
        break;
    }
    return r;
}

test_request list_request(const server& s, vendor v, std::string_view query)
{
    if (v != vendor::anthropic && v != vendor::clickhouse)
        throw std::logic_error("only Anthropic and ClickHouse publish a list endpoint");
    test_request r = documented_request(s, v);
    r.method = "GET";
    r.body.clear();
    r = without_header(std::move(r), "Content-Type");
    if (!query.empty())
        r.target += "?" + std::string(query);
    return r;
}

test_response send_once(const server& s, vendor v, const test_request& request)
{
    test_client client(s.settings().address, s.port(v));
    return client.send(request);
}

test_request with_header(test_request request, std::string_view name, std::string value)
{
    request = without_header(std::move(request), name);
    request.headers.emplace_back(std::string(name), std::move(value));
    return request;
}

test_request without_header(test_request request, std::string_view name)
{
    std::erase_if(request.headers, [&](const auto& header) { return iequals(header.first, name); });
    return request;
}

test_request with_body(test_request request, std::string body)
{
    request.body = std::move(body);
    return request;
}

test_request with_target(test_request request, std::string target)
{
    request.target = std::move(target);
    return request;
}

simdjson::dom::element parse_json(simdjson::dom::parser& parser, const std::string& body)
{
    return parser.parse(body); // throws simdjson_error on bad JSON, failing the test case
}

std::string text(simdjson::simdjson_result<simdjson::dom::element> value)
{
    return std::string(std::string_view(value));
}

std::string error_message(vendor v, const std::string& body)
{
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(body).get(root))
        return {};
    std::string_view message;
    switch (v) {
    case vendor::anthropic: {
        std::string_view type;
        if (root["type"].get(type) || type != "error" || root["error"]["message"].get(message) ||
            root["error"]["type"].get(type))
            return {};
        break;
    }
    case vendor::clickhouse: {
        std::int64_t status = 0;
        if (root["status"].get(status) || root["error"].get(message))
            return {};
        break;
    }
    case vendor::warpstream: {
        std::string_view code;
        if (root["code"].get(code) || root["message"].get(message))
            return {};
        break;
    }
    case vendor::gorules:
    case vendor::atomicwork:
        if (root["message"].get(message))
            return {};
        break;
    }
    return std::string(message);
}

bool looks_like_uuid(std::string_view text)
{
    if (text.size() != 36)
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

} // namespace igw::emulator::testing
