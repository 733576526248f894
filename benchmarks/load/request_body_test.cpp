#include "benchmarks/load/request_body.hpp"

#include <boost/test/unit_test.hpp>
#include <simdjson.h>

#include <set>

using namespace igw::load;

BOOST_AUTO_TEST_SUITE(load_request_body)

BOOST_AUTO_TEST_CASE(canonical_request_with_unique_emails_and_cycled_roles)
{
    load_options o;
    o.invitations = 3;
    o.roles = {"developer", "member"};
    o.targets = {"anthropic", "gorules"};
    std::string body = "stale";
    canonical_body(o, 41, body);
    BOOST_TEST(body == R"({"invitations":[{"email":"u41-0@load.example.com","role":"member"},)"
                       R"({"email":"u41-1@load.example.com","role":"developer"},)"
                       R"({"email":"u41-2@load.example.com","role":"member"}],"targets":["anthropic","gorules"]})");
}

BOOST_AUTO_TEST_CASE(large_requests_are_valid_json_with_every_email_distinct)
{
    load_options o;
    o.invitations = 1000;
    std::string body;
    canonical_body(o, 123456789, body);
    simdjson::ondemand::parser parser;
    simdjson::padded_string padded(body);
    auto doc = parser.iterate(padded);
    std::set<std::string> emails;
    for (auto item : doc["invitations"].get_array()) {
        std::string_view email = item["email"].get_string();
        emails.emplace(email);
    }
    BOOST_TEST(emails.size() == 1000u);
    BOOST_TEST(body.find("\"targets\"") == std::string::npos); // none set: all targets
}

BOOST_AUTO_TEST_SUITE_END()
