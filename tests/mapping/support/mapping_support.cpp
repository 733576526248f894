#include "tests/mapping/support/mapping_support.hpp"

#include "gateway/canonical/request_parser.hpp"
#include "gateway/config/yaml_reader.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/support/paths.hpp"
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <stdlib.h>

namespace igw::mapping {

std::ostream& operator<<(std::ostream& out, item_status status) { return out << to_string(status); }
std::ostream& operator<<(std::ostream& out, error_code code)
{
    return out << (code == error_code::none ? std::string_view("none") : to_string(code));
}

} // namespace igw::mapping

namespace igw::mapping::test {

namespace fs = std::filesystem;

std::string shipped_config_path()
{
    return (fs::path(::igw::test::test_data_dir() + "/../config/gateway.yaml")).lexically_normal().string();
}

std::string shipped_providers_dir()
{
    return (fs::path(::igw::test::test_data_dir() + "/../providers")).lexically_normal().string();
}

emulator::credentials test_credentials()
{
    emulator::credentials c;
    c.anthropic_api_key = "sk-ant-admin01-test-key";
    c.clickhouse_org_id = "0b6a3c52-7f4e-4d2a-9c1b-5e8f7a6d4c3b";
    c.clickhouse_key_id = "ck-key-id-test";
    c.clickhouse_key_secret = "ck-key-secret-test";
    c.warpstream_api_key = "aks_test_key";
    c.warpstream_role_ids = {"pri_admin0001", "pri_member001"};
    c.gorules_token = "gorules-test-token";
    c.atomicwork_api_key = "atomicwork-test-key";
    c.atomicwork_workspace_id = "42";
    c.atomicwork_role_ids = {11, 12, 13, 14};
    return c;
}

namespace {

// Secrets, parameters and role ids: what both environments share.
env_map credential_env(const emulator::credentials& c)
{
    return {
        {"INVITEGW_CLIENT_KEY", "client-key-test-0123456789"},
        {"ANTHROPIC_ADMIN_KEY", c.anthropic_api_key},
        {"CLICKHOUSE_ORG_ID", c.clickhouse_org_id},
        {"CLICKHOUSE_KEY_ID", c.clickhouse_key_id},
        {"CLICKHOUSE_KEY_SECRET", c.clickhouse_key_secret},
        {"WARPSTREAM_API_KEY", c.warpstream_api_key},
        {"WARPSTREAM_ROLE_ADMIN", c.warpstream_role_ids.at(0)},
        {"WARPSTREAM_ROLE_MEMBER", c.warpstream_role_ids.at(1)},
        {"GORULES_TOKEN", c.gorules_token},
        {"ATOMICWORK_API_KEY", c.atomicwork_api_key},
        {"ATOMICWORK_WORKSPACE_ID", c.atomicwork_workspace_id},
        {"ATOMICWORK_ROLE_ADMIN", std::to_string(c.atomicwork_role_ids.at(0))},
        {"ATOMICWORK_ROLE_DEVELOPER", std::to_string(c.atomicwork_role_ids.at(1))},
        {"ATOMICWORK_ROLE_MEMBER", std::to_string(c.atomicwork_role_ids.at(2))},
        {"ATOMICWORK_ROLE_BILLING", std::to_string(c.atomicwork_role_ids.at(3))},
    };
}

} // namespace

env_map golden_env()
{
    env_map vars = credential_env(test_credentials());
    // Anthropic, ClickHouse and WarpStream keep their default base URLs; GoRules has
    // none (it is self-hosted); Atomicwork's is derived from the tenant.
    vars["GORULES_BASE_URL"] = "https://brms.example.test/gorules";
    vars["ATOMICWORK_TENANT"] = "acme";
    return vars;
}

env_map emulator_env(const emulator::server& server)
{
    env_map vars = credential_env(server.settings().creds);
    for (const auto& [name, value] : emulator::environment_for(server))
        vars[name] = value;
    return vars;
}

std::shared_ptr<const compiled_config> load(const std::string& path, const env_map& vars)
{
    try {
        return load_compiled_config(path, map_env(vars));
    } catch (const config::config_error& e) {
        BOOST_TEST_REQUIRE(false, "loading " << path << " failed:\n" << e.what());
    }
    return nullptr;
}

canonical::invite_request parse_request(const compiled_config& config, std::string body, std::size_t route)
{
    const auto& plan = config.mappings.routes.at(route);
    canonical::validation_context context{config.config.roles, plan.target_names};
    context.max_invitations = config.config.limits.max_invitations;
    canonical::request_parser parser;
    auto parsed = parser.parse(body, context);
    if (auto* problem = std::get_if<canonical::problem>(&parsed)) {
        std::string text;
        problem->write_json(text);
        BOOST_TEST_REQUIRE(false, "request refused: " << text);
    }
    return std::get<canonical::invite_request>(std::move(parsed));
}

std::vector<std::string> load_errors(const std::string& path, const env_map& vars)
{
    try {
        load_compiled_config(path, map_env(vars));
    } catch (const config::config_error& e) {
        BOOST_TEST(joined(e.diagnostics()) == std::string(e.what()));
        return e.diagnostics();
    }
    BOOST_ERROR("loading " << path << " succeeded, expected errors");
    return {};
}

bool has_line(const std::vector<std::string>& diagnostics, std::string_view line)
{
    return std::find(diagnostics.begin(), diagnostics.end(), line) != diagnostics.end();
}

bool has_diagnostic(const std::vector<std::string>& diagnostics, std::string_view prefix, std::string_view part)
{
    return std::any_of(diagnostics.begin(), diagnostics.end(), [&](const std::string& d) {
        return d.starts_with(prefix) && d.find(part) != std::string::npos;
    });
}

std::string joined(const std::vector<std::string>& lines)
{
    std::string out;
    for (const auto& line : lines)
        out += (out.empty() ? "" : "\n") + line;
    return out;
}

std::string describe(const compiled_config& config, std::string_view request_json, const dispatch_plan& plan,
                     std::size_t route)
{
    const route_plan& routes = config.mappings.routes.at(route);
    std::ostringstream out;
    out << "request: " << request_json << "\n";
    out << "route: " << routes.path << "\n";
    for (std::size_t i = 0; i < plan.calls.size(); ++i) {
        const upstream_call& call = plan.calls[i];
        const target_plan& target = *call.target;
        out << "\ncall " << i + 1 << " -> " << target.name << " (route target " << call.target_index << ")\n";
        out << "  invitations:";
        for (std::uint32_t item : plan.items_of(call))
            out << " " << item;
        out << "\n";
        out << "  " << target.method << " " << target.url() << "\n";
        out << "  Host: " << target.host_header << "\n";
        for (const auto& header : target.headers)
            out << "  " << header.name << ": " << header.value << (header.secret ? "    [secret]" : "") << "\n";
        const std::string_view body = plan.body_of(call);
        out << "  body (" << body.size() << " bytes): " << body << "\n";
    }
    out << "\nimmediate: " << plan.immediate.size() << "\n";
    for (const item_result& result : plan.immediate)
        out << "  invitation " << result.invitation << " -> " << routes.targets.at(result.target)->name << ": "
            << to_string(result.status) << " " << to_string(result.error) << ": " << result.message << "\n";
    return out.str();
}

void check_golden(const std::string& name, const std::string& actual)
{
    ::igw::test::check_golden(fs::path(::igw::test::test_data_dir()) / "mapping" / "golden" / (name + ".txt"), actual);
}

emulator::vendor vendor_of(const target_plan& target)
{
    for (emulator::vendor v : emulator::all_vendors)
        if (target.provider && target.provider->name == emulator::name(v))
            return v;
    BOOST_TEST_REQUIRE(false, "target " << target.name << " has no emulated vendor");
    return emulator::vendor::anthropic;
}

emulator::test_response send_call(const emulator::server& server, const dispatch_plan& plan, const upstream_call& call)
{
    const target_plan& target = *call.target;
    BOOST_TEST_REQUIRE(target.host == "127.0.0.1");
    BOOST_TEST_REQUIRE(target.port == server.port(vendor_of(target)));
    emulator::test_client client(target.host, target.port);
    emulator::test_request request;
    request.method = target.method;
    request.target = target.target;
    request.headers.emplace_back("Host", target.host_header);
    for (const auto& header : target.headers)
        request.headers.emplace_back(header.name, header.value);
    request.body = std::string(plan.body_of(call));
    return client.send(request);
}

std::vector<item_result> results_for(const std::vector<item_result>& out, std::uint32_t target)
{
    std::vector<item_result> selected;
    for (const auto& result : out)
        if (result.target == target)
            selected.push_back(result);
    std::stable_sort(selected.begin(), selected.end(),
                     [](const item_result& a, const item_result& b) { return a.invitation < b.invitation; });
    return selected;
}

} // namespace igw::mapping::test
