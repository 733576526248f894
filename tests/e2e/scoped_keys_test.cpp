// Client keys with limits of their own (README "Scoped client keys"), over real sockets
// against a gateway serving a config file: the targets a key may invite to, its cap on
// invitations per request, keys listed together for a rotation, and its own request rate
// with the IETF RateLimit header fields.

#include "tests/e2e/support/custom_gateway.hpp"
#include "tests/e2e/support/harness.hpp"
#include "tests/e2e/support/merged_reply.hpp"
#include "tests/e2e/support/scripted_vendor.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

using namespace igw;
using namespace igw::e2e;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::string_view scoped_key = "scoped-client-key-0123456789";
constexpr std::string_view full_key = "full-client-key-0123456789";
constexpr std::string_view old_key = "old-rotating-key-0123456789";
constexpr std::string_view new_key = "new-rotating-key-0123456789";
constexpr std::string_view rated_key = "rated-client-key-0123456789";

const std::map<std::string, std::string> providers{{"plain", std::string(plain_provider)}};

// What the parts of the config a test changes are.
struct settings {
    std::string rotating_keys = "[" + std::string(old_key) + ", " + std::string(new_key) + "]";
    std::string rate = "{requests: 5, per: 1s, burst: 5}";
};

// Three targets a, b and c on one vendor (their paths tell them apart) and one route to
// all three; the clients: `scoped` (targets a and b, at most 2 invitations), `full` (no
// limits of its own), `rotating` (keys as given) and `rated` (its own rate).
std::string config_yaml(const std::string& base_url, const settings& s = {})
{
    std::string targets;
    for (const char* name : {"a", "b", "c"})
        targets += "  - name: " + std::string(name) + "\n    provider: plain\n    base_url: " + base_url + "/" + name +
                   "\n    timeout: 2s\n";
    return "listen: 127.0.0.1:0\nthreads: 2\nproviders_dir: providers\nroles: [member]\nclients:\n"
           "  - name: scoped\n    key: " +
           std::string(scoped_key) +
           "\n    targets: [a, b]\n    max_invitations: 2\n"
           "  - name: full\n    key: " +
           std::string(full_key) + "\n  - name: rotating\n    keys: " + s.rotating_keys +
           "\n  - name: rated\n    key: " + std::string(rated_key) + "\n    rate: " + s.rate +
           "\nroutes:\n  - path: " + std::string(invite_path) + "\n    targets: [a, b, c]\ntargets:\n" + targets;
}

std::vector<invitation_spec> people(std::size_t n)
{
    std::vector<invitation_spec> out;
    for (std::size_t i = 0; i < n; ++i)
        out.push_back({"p" + std::to_string(i) + "@example.com", "member"});
    return out;
}

// The targets the vendor was called for, by path (/a/invites -> a).
class calls_seen {
public:
    scripted_reply answer(const scripted_request& request)
    {
        const std::lock_guard lock(mutex_);
        targets_.push_back(request.target.substr(1, request.target.find('/', 1) - 1));
        return http_reply(200, "{}");
    }
    std::vector<std::string> targets() const
    {
        const std::lock_guard lock(mutex_);
        return targets_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> targets_;
};

struct fixture {
    calls_seen seen;
    scripted_vendor vendor{[this](const scripted_request& r) { return seen.answer(r); }};
    custom_gateway gw{config_yaml(vendor.base_url()), providers};

    emulator::test_response invite(std::string_view key, std::string body, std::string target = std::string(invite_path))
    {
        return post_invite(gw.port(), std::move(body), {.target = std::move(target), .key = std::string(key)});
    }
};

std::set<std::string> targets_of(const merged_reply& reply)
{
    std::set<std::string> out;
    for (const auto& result : reply.results)
        out.insert(result.target);
    return out;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(scoped_keys, fixture)

BOOST_AUTO_TEST_CASE(a_key_limited_to_two_targets_is_refused_a_third_and_nothing_is_sent)
{
    const auto got = invite(scoped_key, invite_body(people(1), std::vector<std::string>{"a", "c"}));
    BOOST_TEST_REQUIRE(got.status == 403u, got.body);
    BOOST_TEST(got.header("Content-Type").value_or("") == "application/problem+json");
    const problem_reply problem = parse_problem(got.body);
    BOOST_TEST(problem.type == "/problems/target-forbidden");
    BOOST_TEST(problem.status == 403u);
    BOOST_TEST(problem.detail.find("target \"c\"") != std::string::npos, problem.detail);
    BOOST_TEST(problem.detail.find("\"a\", \"b\"") != std::string::npos, problem.detail);
    BOOST_REQUIRE_EQUAL(problem.errors.size(), 1u);
    BOOST_TEST(problem.errors[0].pointer == "/targets");
    BOOST_TEST(problem.errors[0].detail == "target \"c\" is not allowed for this client key");
    // Nor as a dry run: the scope is checked before anything is planned.
    const auto dry = invite(scoped_key, invite_body(people(1), std::vector<std::string>{"c"}),
                            std::string(invite_path) + "?dry_run=true");
    BOOST_TEST(dry.status == 403u, dry.body);
    BOOST_TEST(seen.targets().empty());
    // The same request from a key without a target list goes out.
    const auto full = invite(full_key, invite_body(people(1), std::vector<std::string>{"a", "c"}));
    BOOST_TEST(full.status == 200u, full.body);
}

BOOST_AUTO_TEST_CASE(without_targets_a_scoped_key_invites_to_the_allowed_ones_only)
{
    const auto got = invite(scoped_key, invite_body(people(2)));
    BOOST_TEST_REQUIRE(got.status == 200u, got.body);
    const merged_reply reply = parse_merged_reply(got.body);
    BOOST_TEST(reply.targets == 2u);
    BOOST_TEST(reply.invited == 4u);
    BOOST_TEST_REQUIRE(reply.results.size() == 4u);
    BOOST_TEST((targets_of(reply) == std::set<std::string>{"a", "b"}));
    // In route order, per invitation.
    BOOST_TEST(reply.results[0].target == "a");
    BOOST_TEST(reply.results[1].target == "b");
    const auto called = seen.targets();
    BOOST_TEST((std::multiset<std::string>(called.begin(), called.end()) ==
                std::multiset<std::string>{"a", "a", "b", "b"}));
    // Naming an allowed target narrows it further.
    const auto one = invite(scoped_key, invite_body(people(1), std::vector<std::string>{"b"}));
    BOOST_TEST_REQUIRE(one.status == 200u, one.body);
    BOOST_TEST((targets_of(parse_merged_reply(one.body)) == std::set<std::string>{"b"}));
    // An unscoped key still gets every target of the route.
    const auto full = invite(full_key, invite_body(people(1)));
    BOOST_TEST_REQUIRE(full.status == 200u, full.body);
    BOOST_TEST((targets_of(parse_merged_reply(full.body)) == std::set<std::string>{"a", "b", "c"}));
}

BOOST_AUTO_TEST_CASE(a_key_limited_to_targets_the_route_does_not_have_is_refused)
{
    // A second route to c alone: the scoped key may invite to none of its targets.
    const std::string base = config_yaml(vendor.base_url());
    std::string with_route = base;
    with_route.insert(with_route.find("targets:\n  - name: a"), "  - path: /v1/c-only\n    targets: [c]\n");
    gw.reload(with_route);
    const auto got = invite(scoped_key, invite_body(people(1)), "/v1/c-only");
    BOOST_TEST_REQUIRE(got.status == 403u, got.body);
    const problem_reply problem = parse_problem(got.body);
    BOOST_TEST(problem.type == "/problems/target-forbidden");
    BOOST_TEST(problem.detail == "this client key may invite to none of this route's targets");
    BOOST_TEST(seen.targets().empty());
}

BOOST_AUTO_TEST_CASE(a_keys_max_invitations_is_enforced_like_the_global_limit)
{
    const auto over = invite(scoped_key, invite_body(people(3)));
    BOOST_TEST_REQUIRE(over.status == 422u, over.body);
    const problem_reply problem = parse_problem(over.body);
    BOOST_TEST(problem.type == "/problems/invalid-request");
    BOOST_REQUIRE_EQUAL(problem.errors.size(), 1u);
    BOOST_TEST(problem.errors[0].pointer == "/invitations");
    BOOST_TEST(problem.errors[0].detail ==
               "must contain at most 2 invitations (the max_invitations of client \"scoped\"), not 3");
    BOOST_TEST(seen.targets().empty());
    BOOST_TEST(invite(scoped_key, invite_body(people(2))).status == 200u);
    // Another client's requests are held to the gateway's own limit only.
    BOOST_TEST(invite(full_key, invite_body(people(3))).status == 200u);
}

BOOST_AUTO_TEST_CASE(both_keys_of_a_rotation_authenticate_and_a_removed_key_does_not)
{
    BOOST_TEST(invite(old_key, invite_body(people(1))).status == 200u);
    BOOST_TEST(invite(new_key, invite_body(people(1))).status == 200u);
    // The rotation done: the old key is taken out of the list.
    gw.reload(config_yaml(vendor.base_url(), {.rotating_keys = "[" + std::string(new_key) + "]"}));
    const auto old_reply = invite(old_key, invite_body(people(1)));
    BOOST_TEST(old_reply.status == 401u, old_reply.body);
    BOOST_TEST(parse_problem(old_reply.body).type == "/problems/unauthorized");
    BOOST_TEST(invite(new_key, invite_body(people(1))).status == 200u);
    BOOST_TEST(seen.targets().size() == 9u); // three requests admitted, three targets each
}

BOOST_AUTO_TEST_CASE(a_client_over_its_rate_gets_429_with_retry_after_and_ratelimit_headers)
{
    // rate: {requests: 5, per: 1s, burst: 5}: five back to back, then one every 200 ms.
    // Dry runs: no vendor calls, so that the burst is sent in far less than 200 ms.
    const std::string dry_run = std::string(invite_path) + "?dry_run=true";
    const auto started = clock_type::now();
    std::vector<emulator::test_response> replies;
    for (int i = 0; i < 6; ++i)
        replies.push_back(invite(rated_key, invite_body(people(1)), dry_run));
    const auto elapsed = clock_type::now() - started;
    // Requests the budget regained meanwhile (none when the six took under 200 ms).
    const auto regained = static_cast<unsigned>(elapsed / 200ms);
    const double elapsed_ms = std::chrono::duration<double, std::milli>(elapsed).count();
    BOOST_TEST_MESSAGE("six requests took " << elapsed_ms << " ms");

    for (unsigned i = 0; i < 5; ++i) {
        const auto& got = replies[i];
        BOOST_TEST_REQUIRE(got.status == 200u, got.body);
        BOOST_TEST(got.header("RateLimit-Policy").value_or("") == "\"default\";q=5;w=1");
        const std::string remaining = "\"default\";r=" + std::to_string(4 - i) + ";t=1";
        if (regained == 0)
            BOOST_TEST(got.header("RateLimit").value_or("") == remaining);
        else
            BOOST_TEST(got.header("RateLimit").has_value());
    }
    const auto& refused = replies[5];
    if (regained == 0) {
        BOOST_TEST_REQUIRE(refused.status == 429u, refused.body);
        BOOST_TEST(refused.header("Retry-After").value_or("") == "1");
        BOOST_TEST(refused.header("RateLimit-Policy").value_or("") == "\"default\";q=5;w=1");
        BOOST_TEST(refused.header("RateLimit").value_or("") == "\"default\";r=0;t=1");
        const problem_reply problem = parse_problem(refused.body);
        BOOST_TEST(problem.type == "/problems/rate-limited");
        BOOST_TEST(problem.status == 429u);
        BOOST_TEST(problem.detail == "client \"rated\" is over its request rate; retry in 1 second");
    } else {
        BOOST_TEST_MESSAGE("too slow to check the sixth request's refusal exactly");
    }

    // Refused for as long as Retry-After says, admitted once it has passed: at once, a
    // seventh is refused too; after the wait, it goes.
    const auto again = invite(rated_key, invite_body(people(1)), dry_run);
    if (again.status == 429u) {
        const int wait = std::stoi(again.header("Retry-After").value_or("0"));
        BOOST_TEST_REQUIRE(wait == 1, again.header("Retry-After").value_or("(none)"));
        std::this_thread::sleep_for(std::chrono::seconds(wait));
        const auto admitted = invite(rated_key, invite_body(people(1)), dry_run);
        BOOST_TEST(admitted.status == 200u, admitted.body);
        BOOST_TEST(admitted.header("RateLimit-Policy").value_or("") == "\"default\";q=5;w=1");
        BOOST_TEST(admitted.header("RateLimit").has_value());
    } else {
        BOOST_TEST(regained > 0, "a seventh request at once was admitted: " << again.status);
    }
    // A client without a rate hears nothing of one.
    const auto unrated = invite(full_key, invite_body(people(1)), dry_run);
    BOOST_TEST(unrated.status == 200u);
    BOOST_TEST(!unrated.header("RateLimit").has_value());
    BOOST_TEST(!unrated.header("RateLimit-Policy").has_value());
}

BOOST_AUTO_TEST_CASE(every_reply_to_a_rated_client_carries_the_headers_and_counts)
{
    // A refused request (here an invalid body) counts and is told where it stands too.
    gw.reload(config_yaml(vendor.base_url(), {.rate = "{requests: 1, per: 60s, burst: 2}"}));
    const auto invalid = invite(rated_key, "{\"invitations\": []}");
    BOOST_TEST_REQUIRE(invalid.status == 422u, invalid.body);
    BOOST_TEST(invalid.header("RateLimit-Policy").value_or("") == "\"default\";q=1;w=60");
    // One of the burst of two used: the other remains; full again 60 s after the first.
    BOOST_TEST(invalid.header("RateLimit").value_or("") == "\"default\";r=1;t=60");
    const auto second = invite(rated_key, invite_body(people(1)));
    BOOST_TEST(second.status == 200u, second.body);
    BOOST_TEST(second.header("RateLimit").value_or("") == "\"default\";r=0;t=120");
    const auto third = invite(rated_key, invite_body(people(1)));
    BOOST_TEST(third.status == 429u, third.body);
    BOOST_TEST(third.header("Retry-After").value_or("") == "60");
}

BOOST_AUTO_TEST_CASE(the_rate_state_survives_a_reload_that_keeps_the_clients_rate)
{
    const std::string slow = "{requests: 1, per: 60s, burst: 1}";
    gw.reload(config_yaml(vendor.base_url(), {.rate = slow}));
    BOOST_TEST(invite(rated_key, invite_body(people(1))).status == 200u);
    BOOST_TEST(invite(rated_key, invite_body(people(1))).status == 429u);
    // Another client's keys change; this client's rate does not: still refused.
    gw.reload(config_yaml(vendor.base_url(), {.rotating_keys = "[" + std::string(new_key) + "]", .rate = slow}));
    const auto kept = invite(rated_key, invite_body(people(1)));
    BOOST_TEST(kept.status == 429u, kept.body);
    BOOST_TEST(kept.header("RateLimit").value_or("") == "\"default\";r=0;t=60");
    // A new rate starts afresh.
    gw.reload(config_yaml(vendor.base_url(), {.rate = "{requests: 2, per: 60s, burst: 2}"}));
    const auto fresh = invite(rated_key, invite_body(people(1)));
    BOOST_TEST(fresh.status == 200u, fresh.body);
    BOOST_TEST(fresh.header("RateLimit-Policy").value_or("") == "\"default\";q=2;w=60");
    BOOST_TEST(fresh.header("RateLimit").value_or("") == "\"default\";r=1;t=30");
}

BOOST_AUTO_TEST_SUITE_END()
