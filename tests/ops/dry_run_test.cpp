// ?dry_run=true: the vendor calls a request would make, compared byte for byte with
// reviewed golden files, secrets redacted, nothing sent; `invitegw explain` prints the
// same calls offline.

#include "gateway/json/base64.hpp"
#include "tests/ops/support/ops_gateway.hpp"
#include "tests/ops/support/replies.hpp"
#include "tests/support/files.hpp"

#include "gateway/app/commands.hpp"

#include <boost/test/unit_test.hpp>

#include <simdjson.h>

#include "tests/support/paths.hpp"
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace igw;
using namespace igw::ops;
using emulator::vendor;

namespace {

namespace fs = std::filesystem;
namespace dom = simdjson::dom;

// Fixed base URLs (nothing listens there; a dry run connects nowhere), so that the
// golden files do not depend on ports.
config_spec golden_spec()
{
    config_spec spec;
    spec.base_urls = {{"anthropic", "https://api.anthropic.example"},
                      {"clickhouse", "https://api.clickhouse.example"},
                      {"warpstream", "http://127.0.0.1:9300/warpstream"},
                      {"gorules", "https://gorules.example:8443"},
                      {"atomicwork", "https://acme.atomicwork.example"}};
    return spec;
}

struct golden_case {
    std::string name;
    std::string body;
};

std::vector<golden_case> golden_cases()
{
    return {
        {"mixed_roles", invite_body({{"Jane.Doe@Example.com", "developer", "crm-8812"},
                                     {"ops@example.com", "admin"},
                                     {"pay@example.com", "billing"},
                                     {"new.hire@example.com", "member"}})},
        {"subset_without_email",
         R"({"invitations":[{"email":"a@example.com","role":"member"},{"email":"b@example.com","role":"member"}],)"
         R"("targets":["gorules","clickhouse"],"send_email":false})"},
        {"one_target_with_ref",
         invite_body({{"ref.holder@example.com", "admin", "ticket \"42\""}}, std::vector<std::string>{"atomicwork"})},
    };
}

void check_golden(const std::string& name, const std::string& actual)
{
    test::check_golden(fs::path(::igw::test::test_data_dir()) / "ops" / "golden" / (name + ".json"), actual);
}

std::vector<std::string> secrets_of(const emulator::credentials& c)
{
    return {std::string(client_key),
            c.anthropic_api_key,
            c.clickhouse_key_id,
            c.clickhouse_key_secret,
            json::base64(c.clickhouse_key_id + ":" + c.clickhouse_key_secret),
            c.warpstream_api_key,
            c.gorules_token,
            c.atomicwork_api_key};
}

// The members of a dry-run (or explain) reply that describe the calls, normalised.
std::string calls_and_results(const std::string& body)
{
    dom::parser parser;
    dom::element root;
    BOOST_TEST_REQUIRE(!parser.parse(body).get(root), body);
    dom::element calls, results;
    BOOST_TEST_REQUIRE(!root["calls"].get(calls));
    BOOST_TEST_REQUIRE(!root["results"].get(results));
    return simdjson::minify(calls) + "\n" + simdjson::minify(results);
}

emulator::test_response post_dry_run(std::uint16_t port, std::string body, std::string id,
                                     std::string target = std::string(invite_path) + "?dry_run=true")
{
    invite_options options;
    options.target = std::move(target);
    options.headers.emplace_back("X-Request-Id", std::move(id));
    return post_invite(port, std::move(body), options);
}

} // namespace

BOOST_AUTO_TEST_SUITE(dry_run)

BOOST_AUTO_TEST_CASE(dry_runs_match_their_golden_files_with_secrets_redacted)
{
    const config_spec spec = golden_spec();
    gateway gw(config_yaml(spec));
    for (const auto& c : golden_cases()) {
        BOOST_TEST_CONTEXT(c.name)
        {
            const std::string id = "dry-run-" + c.name;
            const auto reply = post_dry_run(gw.port(), c.body, id);
            BOOST_TEST_REQUIRE(reply.ok(), reply.error);
            BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
            BOOST_TEST(reply.header("Content-Type").value_or("") == "application/json");
            BOOST_TEST(reply.header("X-Request-Id").value_or("") == id);
            check_golden("dry_run_" + c.name, pretty_json(reply.body));

            for (const auto& secret : secrets_of(spec.creds))
                BOOST_TEST(reply.body.find(secret) == std::string::npos, "the dry run shows " << secret);
            // Every call shows its credential header, redacted.
            dom::parser parser;
            dom::element root;
            BOOST_TEST_REQUIRE(!parser.parse(reply.body).get(root));
            std::string_view request_id;
            BOOST_TEST(!root["request_id"].get_string().get(request_id));
            BOOST_TEST(request_id == id);
            bool dry = false;
            BOOST_TEST(!root["dry_run"].get_bool().get(dry));
            BOOST_TEST(dry);
            dom::array calls;
            BOOST_TEST_REQUIRE(!root["calls"].get_array().get(calls));
            BOOST_TEST(calls.size() > 0u);
            for (dom::element call : calls) {
                unsigned redacted = 0;
                dom::object headers;
                BOOST_TEST_REQUIRE(!call["headers"].get_object().get(headers));
                for (auto [name, value] : headers)
                    if (value.get_string().value_unsafe() == "<redacted>")
                        ++redacted;
                BOOST_TEST(redacted >= 1u, simdjson::minify(call));
            }

            // Offline, the same calls and the same results.
            temp_dir dir;
            const std::string request_file = dir.write("request.json", c.body);
            std::ostringstream out, err;
            BOOST_TEST_REQUIRE(app::explain(gw.config_file(), request_file, out, err) == 0, err.str());
            BOOST_TEST(err.str().empty());
            BOOST_TEST(calls_and_results(out.str()) == calls_and_results(reply.body));
            BOOST_TEST(out.str().find("request_id") == std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_dry_run_sends_nothing)
{
    emulator::server emulators;
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    gateway gw(config_yaml(spec));
    const std::string body = invite_body({{"quiet@example.com", "member"}, {"boss@example.com", "admin"}});

    for (const std::string query : {"?dry_run=true", "?dry_run=1", "?verbose=1&dry_run=true"}) {
        const auto reply = post_dry_run(gw.port(), body, "quiet", std::string(invite_path) + query);
        BOOST_TEST(reply.status == 200u, query);
        BOOST_TEST(reply.body.find("\"dry_run\":true") != std::string::npos, query);
    }
    BOOST_TEST(emulators.requests().empty());

    // The same request, not dry, does reach every vendor.
    const auto sent = post_dry_run(gw.port(), body, "loud", std::string(invite_path) + "?dry_run=false");
    BOOST_TEST(sent.status == 207u, sent.body); // anthropic has no admin role
    for (vendor v : emulator::all_vendors)
        BOOST_TEST(!emulators.requests(v).empty(), emulator::name(v));
}

BOOST_AUTO_TEST_CASE(an_invalid_request_is_refused_in_a_dry_run_as_in_a_real_one)
{
    gateway gw(config_yaml(golden_spec()));
    const std::string body = invite_body({{"no-at-sign", "member"}});
    const auto reply = post_dry_run(gw.port(), body, "invalid");
    BOOST_TEST(reply.status == 422u, reply.body);
    BOOST_TEST(reply.header("Content-Type").value_or("") == "application/problem+json");

    temp_dir dir;
    std::ostringstream out, err;
    BOOST_TEST(app::explain(gw.config_file(), dir.write("request.json", body), out, err) == 1);
    BOOST_TEST(out.str().empty());
    BOOST_TEST(err.str().find("/invitations/0/email") != std::string::npos, err.str());
}

BOOST_AUTO_TEST_SUITE_END()
