// Hot reload seen from outside: configs swapped (through the reloader and through
// POST /admin/reload) while clients keep inviting; every request is served whole by one
// config, the one its X-Config-Version names, and broken configs change nothing.

#include "tests/ops/support/ops_gateway.hpp"
#include "tests/ops/support/prometheus.hpp"
#include "tests/ops/support/replies.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

using namespace igw;
using namespace igw::ops;
using namespace std::chrono_literals;
using emulator::vendor;

namespace {

// A diagnostic names the file, a 1-based line and column, then what is wrong.
bool has_position(const std::string& error, const std::string& file)
{
    static const std::regex position(R"(^(.+):([1-9][0-9]*):([1-9][0-9]*): .+)");
    std::smatch m;
    return std::regex_match(error, m, position) && m[1] == file;
}

emulator::test_response admin_reload(std::uint16_t port, std::string_view key = admin_key)
{
    return http_request(port, "POST", "/admin/reload", {{"Authorization", "Bearer " + std::string(key)}});
}

double reloads(std::uint16_t port, std::string_view result)
{
    return parse_exposition(scrape_metrics(port))
        .value("invitegw_config_reloads_total", {{"result", std::string(result)}})
        .value_or(-1);
}

// The version a config's text loads as, without serving it.
std::string version_of(std::string_view yaml)
{
    temp_dir dir;
    return mapping::load_compiled_config(dir.write("gateway.yaml", yaml))->version;
}

struct load_outcome {
    std::string email;
    emulator::test_response reply;
};

} // namespace

BOOST_AUTO_TEST_SUITE(reload)

BOOST_AUTO_TEST_CASE(reloads_under_load_serve_each_request_from_one_whole_config)
{
    emulator::options emulator_options;
    emulator_options.threads = 2;
    emulator::server emulators(emulator_options);
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    spec.anthropic_member = "user";
    const std::string config_a = config_yaml(spec);
    spec.anthropic_member = "developer";
    const std::string config_b = config_yaml(spec);
    spec.anthropic_member = "owner"; // not a role the provider allows
    const std::string unknown_role = config_yaml(spec);
    const std::string broken_yaml = config_a + "clients: [unclosed\n";

    gateway gw(config_a);
    const std::string version_a = gw.current()->version;
    const std::string version_b = version_of(config_b);
    BOOST_TEST_REQUIRE(version_a != version_b);
    BOOST_TEST(version_of(config_a) == version_a); // the version is the content's, not the load's
    BOOST_TEST(ready_version(gw.port()) == version_a);
    const std::map<std::string, std::string> member_role{{version_a, "user"}, {version_b, "developer"}};

    // Clients: each sends at least min_per_client requests and goes on while reloads
    // are still to come, bounded in count and in time.
    constexpr unsigned clients = 2, min_per_client = 150, max_per_client = 3000;
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    std::mutex mutex;
    std::condition_variable progress;
    unsigned completed = 0, finished = 0;
    bool script_done = false;
    std::vector<std::vector<load_outcome>> outcomes(clients);
    std::vector<std::thread> threads;
    // Joins the clients on every way out, a failed requirement included.
    struct joiner {
        std::vector<std::thread>& threads;
        std::mutex& mutex;
        bool& script_done;
        ~joiner()
        {
            {
                std::lock_guard lock(mutex);
                script_done = true;
            }
            for (auto& t : threads)
                if (t.joinable())
                    t.join();
        }
    } join_clients{threads, mutex, script_done};
    for (unsigned c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            emulator::test_client client("127.0.0.1", gw.port());
            for (unsigned i = 0; i < max_per_client && std::chrono::steady_clock::now() < give_up; ++i) {
                {
                    std::lock_guard lock(mutex);
                    if (script_done && i >= min_per_client)
                        break;
                }
                load_outcome outcome;
                outcome.email = "load-" + std::to_string(c) + "-" + std::to_string(i) + "@example.com";
                outcome.reply = client.send(invite_request(
                    invite_body({{outcome.email, "member"}}, std::vector<std::string>{"anthropic", "gorules"})));
                outcomes[c].push_back(std::move(outcome));
                std::lock_guard lock(mutex);
                ++completed;
                progress.notify_all();
            }
            std::lock_guard lock(mutex);
            ++finished;
            progress.notify_all();
        });
    }
    // Each reload waits until a few more requests completed since the previous one,
    // so that every config serves some of them.
    const auto after_some_requests = [&] {
        std::unique_lock lock(mutex);
        const unsigned target = completed + 10;
        return progress.wait_until(lock, give_up, [&] { return completed >= target || finished == clients; }) &&
               completed >= target;
    };

    struct step {
        const std::string* yaml;
        bool through_admin;
        bool valid;
    };
    const std::vector<step> script{
        {&config_b, false, true},      {&broken_yaml, true, false},  {&config_a, true, true},
        {&unknown_role, false, false}, {&config_b, true, true},      {&config_a, false, true},
        {&broken_yaml, false, false},  {&unknown_role, true, false}, {&config_b, false, true},
    };
    std::string serving = version_a;
    unsigned successes = 0, failures = 0;
    for (std::size_t n = 0; n < script.size(); ++n) {
        const step& s = script[n];
        BOOST_TEST_CONTEXT("reload step " << n << (s.through_admin ? " (admin)" : " (reloader)"))
        {
            BOOST_TEST_REQUIRE(after_some_requests(), "the clients made no progress");
            const std::string expected = !s.valid ? serving : s.yaml == &config_a ? version_a : version_b;
            gw.write_config(*s.yaml);
            server::reload_outcome outcome;
            if (s.through_admin) {
                const auto reply = admin_reload(gw.port());
                BOOST_TEST_REQUIRE(reply.ok(), reply.error);
                BOOST_TEST(reply.status == (s.valid ? 200u : 422u), reply.body);
                const reload_reply body = parse_reload_reply(reply.body);
                outcome.reloaded = body.reloaded;
                outcome.version = body.config_version;
                outcome.errors = body.errors;
                // The reply names the config now served.
                BOOST_TEST(reply.header("X-Config-Version").value_or("") == expected);
            } else {
                outcome = gw.reload();
            }
            BOOST_TEST(outcome.reloaded == s.valid);
            if (s.valid) {
                BOOST_TEST(expected != serving); // the script alternates
                serving = expected;
                BOOST_TEST(outcome.errors.empty());
                ++successes;
            } else {
                BOOST_TEST(!outcome.errors.empty());
                for (const auto& error : outcome.errors)
                    BOOST_TEST(has_position(error, gw.config_file()), error);
                ++failures;
            }
            BOOST_TEST(outcome.version == serving);
            BOOST_TEST(gw.current()->version == serving);
            BOOST_TEST(ready_version(gw.port()) == serving);
            BOOST_TEST(reloads(gw.port(), "success") == successes);
            BOOST_TEST(reloads(gw.port(), "failure") == failures);
        }
    }
    {
        std::lock_guard lock(mutex);
        script_done = true;
    }
    for (auto& t : threads)
        t.join();

    // Each request: a whole merged reply, from a known version, and what the vendor
    // received for it is what that version's role map says.
    std::map<std::string, std::vector<std::string>> anthropic_roles; // email -> roles received
    for (const auto& record : emulators.requests(vendor::anthropic))
        anthropic_roles[recorded_member(record, "email")].push_back(recorded_member(record, "role"));
    std::multiset<std::string> gorules_bodies;
    for (const auto& record : emulators.requests(vendor::gorules))
        gorules_bodies.insert(record.body);

    std::map<std::string, unsigned> served_by;
    std::size_t total = 0;
    for (const auto& client_outcomes : outcomes) {
        total += client_outcomes.size();
        for (const auto& o : client_outcomes) {
            BOOST_TEST_CONTEXT(o.email)
            {
                BOOST_TEST_REQUIRE(o.reply.ok(), o.reply.error);
                BOOST_TEST_REQUIRE(o.reply.status == 200u, o.reply.body);
                const std::string version = o.reply.header("X-Config-Version").value_or("");
                const auto role = member_role.find(version);
                BOOST_TEST_REQUIRE((role != member_role.end()), "unknown config version " << version);
                ++served_by[version];
                const merged_reply merged = parse_merged_reply(o.reply.body);
                BOOST_TEST_REQUIRE(merged.results.size() == 2u);
                BOOST_TEST(merged.invited == 2u);
                BOOST_TEST(merged.results[0].target == "anthropic");
                BOOST_TEST(merged.results[1].target == "gorules");
                for (const auto& r : merged.results) {
                    BOOST_TEST(r.email == o.email);
                    BOOST_TEST(r.status == "invited");
                }
                const auto received = anthropic_roles.find(o.email);
                BOOST_TEST_REQUIRE((received != anthropic_roles.end()), "anthropic never received it");
                BOOST_TEST_REQUIRE(received->second.size() == 1u);
                BOOST_TEST(received->second.front() == role->second, "served by " << version);
                BOOST_TEST(gorules_bodies.count("{\"emails\":[\"" + o.email + "\"]}") == 1u);
            }
        }
    }
    BOOST_TEST(total >= std::size_t{clients} * min_per_client);
    BOOST_TEST(anthropic_roles.size() == total); // nothing else was sent
    BOOST_TEST(served_by[version_a] > 0u);
    BOOST_TEST(served_by[version_b] > 0u);
    BOOST_TEST(ready_version(gw.port()) == version_b);
}

BOOST_AUTO_TEST_CASE(admin_reload_needs_an_admin_key)
{
    emulator::server emulators;
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    gateway gw(config_yaml(spec));
    const std::string version = gw.current()->version;
    spec.anthropic_member = "developer";
    gw.write_config(config_yaml(spec));

    const auto anonymous = http_request(gw.port(), "POST", "/admin/reload");
    BOOST_TEST(anonymous.status == 401u);
    BOOST_TEST(anonymous.header("WWW-Authenticate").has_value());
    BOOST_TEST(admin_reload(gw.port(), "not-a-key-of-this-gateway").status == 401u);
    const auto ordinary = admin_reload(gw.port(), client_key);
    BOOST_TEST(ordinary.status == 403u, ordinary.body);
    BOOST_TEST(ordinary.header("Content-Type").value_or("") == "application/problem+json");
    BOOST_TEST(gw.current()->version == version);
    BOOST_TEST(reloads(gw.port(), "success") == 0);
    BOOST_TEST(http_request(gw.port(), "GET", "/admin/reload", {{"Authorization", "Bearer " + std::string(admin_key)}})
                   .status == 405u);

    const auto reply = admin_reload(gw.port());
    BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
    const reload_reply body = parse_reload_reply(reply.body);
    BOOST_TEST(body.reloaded);
    BOOST_TEST(body.config_version != version);
    BOOST_TEST(body.config_version == gw.current()->version);
    BOOST_TEST(reply.header("X-Config-Version").value_or("") == body.config_version);
}

BOOST_AUTO_TEST_CASE(a_reload_that_changes_startup_settings_says_they_wait_for_a_restart)
{
    emulator::server emulators;
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    const std::string start = config_yaml(spec);
    gateway gw(start);

    // max_invitations applies at once; the note says the request timeout does not.
    spec.max_invitations = 1;
    spec.request_timeout = "25s";
    gw.write_config(config_yaml(spec));
    auto outcome = gw.reload();
    BOOST_TEST_REQUIRE(outcome.reloaded);
    BOOST_TEST_REQUIRE(outcome.notes.size() == 1u);
    BOOST_TEST(outcome.notes[0].find("max_invitations applies now") != std::string::npos, outcome.notes[0]);
    const auto two = post_invite(gw.port(), invite_body({{"one@example.com", "member"}, {"two@example.com", "member"}},
                                                        std::vector<std::string>{"gorules"}));
    BOOST_TEST(two.status == 422u, two.body);

    // Still not the limits the process started with: the note stays, even though the
    // previous config had the same limits.
    spec.anthropic_member = "developer";
    gw.write_config(config_yaml(spec));
    outcome = gw.reload();
    BOOST_TEST_REQUIRE(outcome.reloaded);
    BOOST_TEST(outcome.notes.size() == 1u);

    // Back to the start-up limits: nothing waits for a restart any more.
    spec.max_invitations = 1000;
    spec.request_timeout = "20s";
    gw.write_config(config_yaml(spec));
    outcome = gw.reload();
    BOOST_TEST_REQUIRE(outcome.reloaded);
    BOOST_TEST(outcome.notes.empty(), (outcome.notes.empty() ? "" : outcome.notes[0]));
}

BOOST_AUTO_TEST_CASE(a_missing_config_file_is_a_failed_reload_naming_the_file)
{
    emulator::server emulators;
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    gateway gw(config_yaml(spec));
    const std::string version = gw.current()->version;
    std::filesystem::remove(gw.config_file());

    const auto outcome = gw.reload();
    BOOST_TEST(!outcome.reloaded);
    BOOST_TEST_REQUIRE(outcome.errors.size() == 1u);
    BOOST_TEST(outcome.errors[0].starts_with(gw.config_file() + ":"), outcome.errors[0]);
    BOOST_TEST(outcome.version == version);
    BOOST_TEST(
        post_invite(gw.port(), invite_body({{"still@example.com", "member"}}, std::vector<std::string>{"gorules"}))
            .status == 200u);
    BOOST_TEST(reloads(gw.port(), "failure") == 1);
}

BOOST_AUTO_TEST_SUITE_END()
