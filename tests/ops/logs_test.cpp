// The log lines an operator reads: one per request and one per failed vendor call, in
// JSON (the default) or text, with the documented fields, and never a secret, a client
// key or an email address.

#include "gateway/json/base64.hpp"
#include "tests/ops/support/log_capture.hpp"
#include "tests/ops/support/ops_gateway.hpp"
#include "tests/ops/support/replies.hpp"

#include <boost/test/unit_test.hpp>

#include <simdjson.h>

#include <map>
#include <regex>
#include <set>

using namespace igw;
using namespace igw::ops;
using emulator::fault;
using emulator::fault_kind;
using emulator::vendor;

namespace {

namespace dom = simdjson::dom;

emulator::credentials distinctive_credentials()
{
    emulator::credentials c;
    c.anthropic_api_key = "sk-ant-admin-LEAKCHECK-a1b2c3";
    c.clickhouse_key_id = "ch-key-id-LEAKCHECK-d4e5";
    c.clickhouse_key_secret = "ch-secret-LEAKCHECK-f6g7";
    c.warpstream_api_key = "aks_LEAKCHECK_h8i9";
    c.gorules_token = "gorules-LEAKCHECK-j0k1";
    c.atomicwork_api_key = "atomicwork-LEAKCHECK-l2m3";
    return c;
}

const std::string wrong_key = "wrong-key-LEAKCHECK-n4o5p6q7";

// What each scripted request was and what came back.
struct scripted {
    std::string request_id;
    unsigned status = 0;
    std::optional<merged_reply> merged;
    std::size_t calls = 0; // vendor calls it should have made
};

struct scenario_result {
    std::vector<std::string> lines;
    std::string text;
    std::vector<scripted> requests;
    std::vector<std::string> secrets; // none of which may appear in the log
    std::string config_version;
};

// Runs the same mix of requests with the log in `format`.
scenario_result run_scenario(telemetry::log_format format)
{
    scenario_result out;
    const emulator::credentials creds = distinctive_credentials();
    emulator::options options;
    options.creds = creds;
    emulator::server emulators(options);
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    spec.creds = creds;
    spec.secrets_from_environment = true;
    const auto environment = secret_environment(creds);
    for (const auto& [name, value] : environment)
        out.secrets.push_back(value);
    out.secrets.push_back(wrong_key);
    out.secrets.push_back(json::base64(creds.clickhouse_key_id + ":" + creds.clickhouse_key_secret));
    const std::vector<std::string> emails{"Alice.Smith@Example.com", "bob.jones@example.com", "carol@example.org",
                                          "dave@example.net",        "erin@@example.com",     "frank@example.com"};
    for (const auto& email : emails) {
        out.secrets.push_back(email);
        std::string lower = email;
        for (char& c : lower)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.secrets.push_back(lower);
    }

    log_capture capture(format);
    {
        gateway gw(config_yaml(spec), environment);
        out.config_version = gw.current()->version;
        const auto send = [&](std::string id, std::string body, std::size_t calls,
                              std::optional<std::string> key = std::string(client_key)) {
            invite_options o;
            o.key = std::move(key);
            o.headers.emplace_back("X-Request-Id", id);
            const auto reply = post_invite(gw.port(), std::move(body), o);
            BOOST_TEST_REQUIRE(reply.ok(), reply.error);
            scripted s{id, reply.status, std::nullopt, calls};
            if (reply.status == 200 || reply.status == 207)
                s.merged = parse_merged_reply(reply.body);
            out.requests.push_back(std::move(s));
        };
        // Everything, with an admin that anthropic cannot take: 7 calls (anthropic 1,
        // clickhouse 2, warpstream 1, gorules 1, atomicwork 2 groups).
        send("log-everything", invite_body({{emails[0], "member"}, {emails[1], "admin"}}), 7);
        emulators.inject(vendor::clickhouse, fault{.kind = fault_kind::status, .status = 500});
        send("log-vendor-500", invite_body({{emails[2], "developer"}}, std::vector<std::string>{"clickhouse"}), 1);
        emulators.inject(vendor::anthropic, fault{.kind = fault_kind::reject_email, .email = emails[3]});
        send("log-vendor-refuses", invite_body({{emails[3], "developer"}}, std::vector<std::string>{"anthropic"}), 1);
        emulators.inject(vendor::gorules, fault{.kind = fault_kind::drop_connection});
        send("log-vendor-drops", invite_body({{emails[5], "member"}}, std::vector<std::string>{"gorules"}), 1);
        send("log-bad-key", invite_body({{emails[0], "member"}}), 0, wrong_key);
        send("log-invalid", invite_body({{emails[4], "member"}, {emails[5], "member"}}), 0);
        gw.stop();
    }
    out.text = capture.text();
    out.lines = capture.lines();
    return out;
}

void check_no_secrets(const scenario_result& run)
{
    BOOST_TEST_REQUIRE(!run.text.empty());
    for (const auto& secret : run.secrets)
        BOOST_TEST(run.text.find(secret) == std::string::npos, "the log contains " << secret);
}

bool is_trace_id(std::string_view id)
{
    static const std::regex hex("[0-9a-f]{32}");
    return std::regex_match(id.begin(), id.end(), hex) && id != std::string(32, '0');
}

} // namespace

BOOST_AUTO_TEST_SUITE(logs)

BOOST_AUTO_TEST_CASE(json_lines_carry_the_documented_fields_and_no_secret)
{
    const scenario_result run = run_scenario(telemetry::log_format::json);
    check_no_secrets(run);

    dom::parser parser;
    std::map<std::string, unsigned> request_lines;
    std::map<std::string, std::vector<std::string>> failed_calls; // request id -> "target status error"
    for (const auto& line : run.lines) {
        BOOST_TEST_CONTEXT(line)
        {
            dom::object o;
            BOOST_TEST_REQUIRE(!parser.parse(line).get_object().get(o), "not a JSON object");
            std::string_view ts, level, event;
            BOOST_TEST_REQUIRE(!o["ts"].get_string().get(ts));
            BOOST_TEST(std::regex_match(std::string(ts), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
            BOOST_TEST_REQUIRE(!o["level"].get_string().get(level));
            BOOST_TEST((level == "debug" || level == "info" || level == "warn" || level == "error"));
            BOOST_TEST_REQUIRE(!o["event"].get_string().get(event));
            if (event == "request") {
                std::string_view id, route, client, trace, version;
                std::int64_t status = 0, invitations = 0, targets = 0, calls = 0, invited = 0, failed = 0, unknown = 0;
                double duration = -1;
                BOOST_TEST_REQUIRE(!o["request_id"].get_string().get(id));
                BOOST_TEST_REQUIRE(!o["route"].get_string().get(route));
                BOOST_TEST_REQUIRE(!o["client"].get_string().get(client));
                BOOST_TEST_REQUIRE(!o["status"].get_int64().get(status));
                BOOST_TEST_REQUIRE(!o["invitations"].get_int64().get(invitations));
                BOOST_TEST_REQUIRE(!o["targets"].get_int64().get(targets));
                BOOST_TEST_REQUIRE(!o["calls"].get_int64().get(calls));
                BOOST_TEST_REQUIRE(!o["duration_ms"].get_double().get(duration));
                BOOST_TEST_REQUIRE(!o["invited"].get_int64().get(invited));
                BOOST_TEST_REQUIRE(!o["failed"].get_int64().get(failed));
                BOOST_TEST_REQUIRE(!o["unknown"].get_int64().get(unknown));
                BOOST_TEST_REQUIRE(!o["trace_id"].get_string().get(trace));
                BOOST_TEST_REQUIRE(!o["config_version"].get_string().get(version));
                BOOST_TEST(duration >= 0);
                BOOST_TEST(route == invite_path);
                BOOST_TEST(version == run.config_version);
                BOOST_TEST(level == (status >= 500 ? "warn" : "info"));
                ++request_lines[std::string(id)];
                const auto it = std::find_if(run.requests.begin(), run.requests.end(),
                                             [&](const scripted& s) { return s.request_id == id; });
                BOOST_TEST_REQUIRE((it != run.requests.end()), "a request line for an unknown request " << id);
                BOOST_TEST(status == it->status);
                BOOST_TEST(calls == static_cast<std::int64_t>(it->calls));
                BOOST_TEST(client == (id == "log-bad-key" ? "" : "app"));
                if (it->merged) {
                    BOOST_TEST(invitations == static_cast<std::int64_t>(it->merged->invitations));
                    BOOST_TEST(targets == static_cast<std::int64_t>(it->merged->targets));
                    BOOST_TEST(invited == static_cast<std::int64_t>(it->merged->invited));
                    BOOST_TEST(failed == static_cast<std::int64_t>(it->merged->failed));
                    BOOST_TEST(unknown == static_cast<std::int64_t>(it->merged->unknown));
                    BOOST_TEST(is_trace_id(trace), trace);
                } else {
                    BOOST_TEST(invited + failed + unknown == 0);
                    BOOST_TEST(trace.empty()); // nothing was sent
                }
            } else if (event == "upstream_call_failed") {
                std::string_view id, target, error, trace;
                std::int64_t upstream_status = -1;
                BOOST_TEST_REQUIRE(!o["request_id"].get_string().get(id));
                BOOST_TEST_REQUIRE(!o["target"].get_string().get(target));
                BOOST_TEST_REQUIRE(!o["upstream_status"].get_int64().get(upstream_status));
                BOOST_TEST_REQUIRE(!o["error"].get_string().get(error));
                BOOST_TEST_REQUIRE(!o["trace_id"].get_string().get(trace));
                BOOST_TEST(is_trace_id(trace), trace);
                BOOST_TEST(level == "warn");
                failed_calls[std::string(id)].push_back(std::string(target) + " " + std::to_string(upstream_status) +
                                                        " " + std::string(error));
            }
        }
    }
    for (const auto& s : run.requests)
        BOOST_TEST(request_lines[s.request_id] == 1u, s.request_id);
    BOOST_TEST(request_lines.size() == run.requests.size());

    // One line per failed call; role_not_supported made no call, so has none.
    using lines = std::vector<std::string>;
    const std::map<std::string, lines> expected{{"log-vendor-500", {"clickhouse 500 upstream_error"}},
                                                {"log-vendor-refuses", {"anthropic 400 upstream_rejected"}},
                                                {"log-vendor-drops", {"gorules 0 upstream_error"}}};
    BOOST_TEST(failed_calls.size() == expected.size());
    for (const auto& [id, want] : expected)
        BOOST_TEST(failed_calls[id] == want, id);
}

BOOST_AUTO_TEST_CASE(text_lines_are_key_value_pairs_and_carry_no_secret)
{
    const scenario_result run = run_scenario(telemetry::log_format::text);
    check_no_secrets(run);

    // "<ts> LEVEL event key=value key="quoted value" ..."
    static const std::regex shape(
        R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARN|ERROR) ([a-z_]+)((?: [a-z_]+=(?:"(?:[^"\\]|\\.)*"|[^ "=]+))*)$)");
    static const std::regex pair(R"( ([a-z_]+)=("(?:[^"\\]|\\.)*"|[^ "=]+))");
    std::map<std::string, std::map<std::string, std::string>> requests; // by request_id
    unsigned failed_calls = 0;
    for (const auto& line : run.lines) {
        std::smatch m;
        BOOST_TEST_REQUIRE(std::regex_match(line, m, shape), line);
        const std::string event = m[2];
        std::map<std::string, std::string> fields;
        const std::string rest = m[3];
        for (auto it = std::sregex_iterator(rest.begin(), rest.end(), pair); it != std::sregex_iterator(); ++it)
            fields[(*it)[1]] = (*it)[2];
        if (event == "request") {
            for (const char* key : {"request_id", "route", "client", "status", "duration_ms", "invitations", "targets",
                                    "calls", "invited", "failed", "unknown", "trace_id", "config_version"})
                BOOST_TEST(fields.contains(key), key << " missing in " << line);
            requests[fields["request_id"]] = fields;
        } else if (event == "upstream_call_failed") {
            ++failed_calls;
            for (const char* key : {"request_id", "target", "upstream_status", "error", "trace_id"})
                BOOST_TEST(fields.contains(key), key << " missing in " << line);
        }
    }
    BOOST_TEST(requests.size() == run.requests.size());
    for (const auto& s : run.requests) {
        BOOST_TEST_REQUIRE(requests.contains(s.request_id), s.request_id);
        BOOST_TEST(requests[s.request_id]["status"] == std::to_string(s.status));
        BOOST_TEST(requests[s.request_id]["calls"] == std::to_string(s.calls));
    }
    BOOST_TEST(requests["log-bad-key"]["client"] == "\"\""); // empty values are quoted
    BOOST_TEST(failed_calls == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
