// The emulator server itself: records, connection counts, keep-alive, path prefixes,
// threads, latency and the environment it exports.

#include "sandbox/vendors.hpp"
#include "tests/emulator/support/checks.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <thread>

using namespace igw::emulator;
using namespace igw::emulator::testing;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(emulator_server)

BOOST_AUTO_TEST_CASE(one_port_per_vendor)
{
    server s;
    std::set<std::uint16_t> ports;
    for (const vendor v : all_vendors) {
        BOOST_TEST(s.port(v) != 0u);
        ports.insert(s.port(v));
        BOOST_TEST(s.base_url(v) == "http://127.0.0.1:" + std::to_string(s.port(v)));
    }
    BOOST_TEST(ports.size() == all_vendors.size());
    // A vendor's path on another vendor's port is not found there.
    expect_refused(s, vendor::clickhouse, documented_request(s, vendor::anthropic), 404);
}

BOOST_AUTO_TEST_CASE(requests_are_recorded_as_received)
{
    server s;
    auto request = documented_request(s, vendor::anthropic);
    request.target += "?x=1";
    expect_accepted(s, vendor::anthropic, request);
    expect_refused(s, vendor::gorules,
                   with_header(documented_request(s, vendor::gorules), "Authorization", "Bearer no"), 401);

    const auto all = s.requests();
    BOOST_TEST_REQUIRE(all.size() == 2u);
    const auto anthropic = s.requests(vendor::anthropic);
    BOOST_TEST_REQUIRE(anthropic.size() == 1u);
    const recorded_request& r = anthropic[0];
    BOOST_TEST((r.target == vendor::anthropic));
    BOOST_TEST(r.method == "POST");
    BOOST_TEST(r.path == "/v1/organizations/invites?x=1");
    BOOST_TEST(r.body == request.body);
    BOOST_TEST(r.status == 200u);
    const auto has = [&](std::string_view name, std::string_view value) {
        return std::any_of(r.headers.begin(), r.headers.end(),
                           [&](const auto& h) { return h.first == name && h.second == value; });
    };
    BOOST_TEST(has("x-api-key", "sk-ant-admin-sandbox"));
    BOOST_TEST(has("anthropic-version", "2023-06-01"));
    const auto gorules = s.requests(vendor::gorules);
    BOOST_TEST_REQUIRE(gorules.size() == 1u);
    BOOST_TEST(gorules[0].status == 401u);
    BOOST_TEST(s.requests(vendor::warpstream).empty());
}

BOOST_AUTO_TEST_CASE(recording_can_be_turned_off)
{
    options o;
    o.record = false;
    server s(o);
    expect_accepted(s, vendor::warpstream, documented_request(s, vendor::warpstream));
    BOOST_TEST(s.requests().empty());
    BOOST_TEST(s.connections_accepted(vendor::warpstream) == 1u);
}

BOOST_AUTO_TEST_CASE(keep_alive_serves_many_requests_on_one_connection)
{
    server s;
    constexpr vendor v = vendor::atomicwork;
    test_client client(s.settings().address, s.port(v));
    for (int i = 0; i < 2; ++i) {
        const test_response response = client.send(documented_request(s, v));
        BOOST_TEST_REQUIRE(response.ok(), response.error);
        BOOST_TEST(response.status == 200u);
        BOOST_TEST(response.keep_alive);
    }
    // Error replies keep the connection too.
    const test_response refused = client.send(with_header(documented_request(s, v), "X-Api-Key", "no"));
    BOOST_TEST(refused.status == 401u);
    BOOST_TEST(client.connected());
    BOOST_TEST(s.connections_accepted(v) == 1u);

    test_client other(s.settings().address, s.port(v));
    BOOST_TEST(other.send(documented_request(s, v)).status == 200u);
    BOOST_TEST(s.connections_accepted(v) == 2u);
    BOOST_TEST(s.connections_accepted(vendor::anthropic) == 0u);

    // Connection: close is honoured.
    test_client closing(s.settings().address, s.port(v));
    const test_response last = closing.send(with_header(documented_request(s, v), "Connection", "close"));
    BOOST_TEST(last.status == 200u);
    BOOST_TEST(!last.keep_alive);
    BOOST_TEST(!closing.connected());
}

BOOST_AUTO_TEST_CASE(reset_forgets_records_faults_and_counts)
{
    server s;
    constexpr vendor v = vendor::gorules;
    expect_accepted(s, v, documented_request(s, v));
    s.inject(v, fault{.kind = fault_kind::status, .status = 500, .times = 0});
    s.reset();
    BOOST_TEST(s.requests().empty());
    BOOST_TEST(s.connections_accepted(v) == 0u);
    expect_accepted(s, v, documented_request(s, v));
    BOOST_TEST(s.requests().size() == 1u);
    BOOST_TEST(s.connections_accepted(v) == 1u);
}

BOOST_AUTO_TEST_CASE(path_prefix_is_required_before_every_vendor_path)
{
    options o;
    o.path_prefix = "/v";
    server s(o);
    for (const vendor v : all_vendors) {
        BOOST_TEST_CONTEXT(name(v))
        {
            BOOST_TEST(s.base_url(v).ends_with(":" + std::to_string(s.port(v)) + "/v"));
            BOOST_TEST(documented_request(s, v).target.starts_with("/v/"));
            expect_accepted(s, v, documented_request(s, v));
            const std::string bare = documented_request(s, v).target.substr(2);
            expect_refused(s, v, with_target(documented_request(s, v), bare), 404);
            expect_refused(s, v, with_target(documented_request(s, v), "/vv" + bare.substr(1)), 404);
        }
    }
    BOOST_CHECK_THROW(server(options{.path_prefix = "v/"}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(several_threads_serve_concurrent_clients)
{
    options o;
    o.threads = 3;
    server s(o);
    constexpr int clients = 6, requests_each = 20;
    std::vector<std::thread> threads;
    std::atomic<int> accepted{0};
    for (int c = 0; c < clients; ++c)
        threads.emplace_back([&, c] {
            const vendor v = all_vendors[static_cast<std::size_t>(c) % all_vendors.size()];
            test_client client(s.settings().address, s.port(v));
            for (int i = 0; i < requests_each; ++i)
                if (const auto r = client.send(documented_request(s, v)); r.ok() && r.status == 200)
                    ++accepted;
        });
    for (auto& t : threads)
        t.join();
    BOOST_TEST(accepted.load() == clients * requests_each);
    BOOST_TEST(s.requests().size() == static_cast<std::size_t>(clients * requests_each));
    std::size_t connections = 0;
    for (const vendor v : all_vendors)
        connections += s.connections_accepted(v);
    BOOST_TEST(connections == static_cast<std::size_t>(clients));
}

BOOST_AUTO_TEST_CASE(concurrent_creates_on_several_threads_are_all_listed)
{
    options o;
    o.threads = 3;
    server s(o);
    constexpr vendor v = vendor::anthropic;
    constexpr int clients = 4, requests_each = 25;
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c)
        threads.emplace_back([&] {
            test_client client(s.settings().address, s.port(v));
            for (int i = 0; i < requests_each; ++i)
                (void)client.send(documented_request(s, v));
        });
    for (auto& t : threads)
        t.join();
    std::set<std::string> created;
    for (const recorded_request& r : s.requests(v))
        BOOST_TEST(r.status == 200u);
    const test_response listed = expect_accepted(s, v, list_request(s, v, "limit=1000"));
    simdjson::dom::parser parser;
    for (const simdjson::dom::element invite : simdjson::dom::array(parse_json(parser, listed.body)["data"]))
        created.insert(text(invite["id"]));
    BOOST_TEST(created.size() == static_cast<std::size_t>(clients * requests_each));
}

BOOST_AUTO_TEST_CASE(each_path_advertises_the_methods_it_allows)
{
    server s;
    for (const vendor v : all_vendors) {
        BOOST_TEST_CONTEXT(name(v))
        {
            const bool lists = v == vendor::anthropic || v == vendor::clickhouse;
            auto request = documented_request(s, v);
            for (const std::string method : {"PUT", "DELETE", "PATCH"}) {
                request.method = method;
                const test_response refused = send_once(s, v, request);
                BOOST_TEST(refused.status == 405u);
                BOOST_TEST(refused.header("Allow").value_or("") == (lists ? "GET, POST" : "POST"));
            }
            request.method = "GET";
            request.body.clear();
            const test_response get = send_once(s, v, request);
            BOOST_TEST(get.status == (lists ? 200u : 405u), get.body);
            BOOST_TEST(get.header("Allow").has_value() == !lists);
        }
    }
}

BOOST_AUTO_TEST_CASE(latency_is_added_to_every_reply)
{
    options o;
    o.latency = 100ms;
    server s(o);
    const auto start = std::chrono::steady_clock::now();
    expect_refused(s, vendor::gorules, without_header(documented_request(s, vendor::gorules), "Authorization"), 401);
    BOOST_TEST((std::chrono::steady_clock::now() - start >= 100ms)); // a lower bound only
}

BOOST_AUTO_TEST_CASE(oversized_bodies_are_refused)
{
    server s;
    constexpr vendor v = vendor::gorules;
    expect_refused(s, v, with_body(documented_request(s, v), std::string(2 << 20, ' ')), 413);
}

BOOST_AUTO_TEST_CASE(environment_points_the_shipped_config_here)
{
    server s;
    const auto env = environment_for(s);
    const auto get = [&](std::string_view name) -> std::string {
        for (const auto& [key, value] : env)
            if (key == name)
                return value;
        BOOST_ERROR("missing " << name);
        return {};
    };
    BOOST_TEST(get("ANTHROPIC_BASE_URL") == s.base_url(vendor::anthropic));
    BOOST_TEST(get("CLICKHOUSE_BASE_URL") == s.base_url(vendor::clickhouse));
    BOOST_TEST(get("WARPSTREAM_BASE_URL") == s.base_url(vendor::warpstream));
    BOOST_TEST(get("GORULES_BASE_URL") == s.base_url(vendor::gorules));
    BOOST_TEST(get("ATOMICWORK_BASE_URL") == s.base_url(vendor::atomicwork));
    const credentials c;
    BOOST_TEST(get("ANTHROPIC_ADMIN_KEY") == c.anthropic_api_key);
    BOOST_TEST(get("CLICKHOUSE_ORG_ID") == c.clickhouse_org_id);
    BOOST_TEST(get("CLICKHOUSE_KEY_ID") == c.clickhouse_key_id);
    BOOST_TEST(get("CLICKHOUSE_KEY_SECRET") == c.clickhouse_key_secret);
    BOOST_TEST(get("WARPSTREAM_API_KEY") == c.warpstream_api_key);
    BOOST_TEST(get("GORULES_TOKEN") == c.gorules_token);
    BOOST_TEST(get("ATOMICWORK_API_KEY") == c.atomicwork_api_key);
    BOOST_TEST(get("ATOMICWORK_WORKSPACE_ID") == "42");
    BOOST_TEST(get("WARPSTREAM_ROLE_ADMIN") == "pri_admin0000");
    BOOST_TEST(get("WARPSTREAM_ROLE_MEMBER") == "pri_member000");
    BOOST_TEST(get("ATOMICWORK_ROLE_ADMIN") == "1");
    BOOST_TEST(get("ATOMICWORK_ROLE_DEVELOPER") == "2");
    BOOST_TEST(get("ATOMICWORK_ROLE_MEMBER") == "3");
    BOOST_TEST(get("ATOMICWORK_ROLE_BILLING") == "4");
    BOOST_TEST(env.size() == 19u);
}

BOOST_AUTO_TEST_CASE(email_syntax)
{
    using detail::looks_like_email;
    for (const char* good : {"a@example.com", "Jane.Doe+tag@sub.example.co.uk", "x_y-z@b.io", "用户@例子.广告"})
        BOOST_TEST(looks_like_email(good), good);
    for (const char* bad : {"", "a", "@example.com", "a@", "a@example", "a@@example.com", "a@b@example.com",
                            "a @example.com", "a@exa mple.com", "a\t@example.com", "a@.example.com", "a@example..com",
                            "a@example.com.", "<a@example.com>", "a,b@example.com", "\"a\"@example.com"})
        BOOST_TEST(!looks_like_email(bad), bad);
}

BOOST_AUTO_TEST_CASE(media_types_timestamps_and_uuids)
{
    BOOST_TEST(detail::is_json_media_type("application/json"));
    BOOST_TEST(detail::is_json_media_type("APPLICATION/JSON ; charset=utf-8"));
    BOOST_TEST(!detail::is_json_media_type("application/problem+json"));
    BOOST_TEST(!detail::is_json_media_type(""));
    const auto when = std::chrono::sys_days(std::chrono::year(2024) / 10 / 30) + 23h + 58min + 27s + 427722us;
    BOOST_TEST(detail::rfc3339(when, 6) == "2024-10-30T23:58:27.427722Z");
    BOOST_TEST(detail::rfc3339(when, 3) == "2024-10-30T23:58:27.427Z");
    BOOST_TEST(detail::rfc3339(when, 0) == "2024-10-30T23:58:27Z");
    const std::string a = detail::random_uuid(), b = detail::random_uuid();
    BOOST_TEST(looks_like_uuid(a));
    BOOST_TEST(a[14] == '4');
    BOOST_TEST(std::string("89ab").find(a[19]) != std::string::npos);
    BOOST_TEST(a != b);
    BOOST_TEST(detail::is_uuid("7C4A8D09-CA37-4D5A-B1E8-0A3F2F5E1D11"));
    BOOST_TEST(!detail::is_uuid("7c4a8d09ca374d5ab1e80a3f2f5e1d11"));
}

BOOST_AUTO_TEST_SUITE_END()
