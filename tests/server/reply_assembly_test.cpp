// A reply's fields before they are written: one field per name however often it is set,
// names compared case-insensitively, and no value that could end its line early.
#include <boost/test/unit_test.hpp>

#include "gateway/server/reply_assembly.hpp"

using igw::server::detail::handler_response;
using igw::server::detail::response;

BOOST_AUTO_TEST_SUITE(reply_fields)

BOOST_AUTO_TEST_CASE(setting_a_field_again_replaces_it_whatever_the_case_of_its_name)
{
    response res{200, 11};
    res.set("Content-Type", "text/plain");
    res.set("X-Request-Id", "one");
    res.set("content-type", "application/json");
    BOOST_TEST(res.fields() == "X-Request-Id: one\r\ncontent-type: application/json\r\n");
    BOOST_TEST(res["CONTENT-TYPE"] == "application/json");
    BOOST_TEST(res["X-Request-Id"] == "one");
    BOOST_TEST(res["Date"].empty());
}

BOOST_AUTO_TEST_CASE(a_name_is_matched_whole_not_as_a_prefix)
{
    response res{200, 11};
    res.set("X-Trace-Id", "abc");
    res.set("X-Trace", "def");
    BOOST_TEST(res["X-Trace"] == "def");
    BOOST_TEST(res["X-Trace-Id"] == "abc");
    res.erase("X-Trace");
    BOOST_TEST(res.fields() == "X-Trace-Id: abc\r\n");
}

BOOST_AUTO_TEST_CASE(erase_removes_every_field_of_the_name)
{
    response res{200, 11};
    res.set("A", "1");
    res.set("B", "2");
    res.set("C", "3");
    res.erase("b");
    res.erase("Missing");
    BOOST_TEST(res.fields() == "A: 1\r\nC: 3\r\n");
}

BOOST_AUTO_TEST_CASE(a_value_or_name_that_would_end_its_line_is_left_out)
{
    response res{200, 11};
    res.set("X-Ok", "fine");
    res.set("X-Smuggled", "a\r\nSet-Cookie: x=1");
    res.set("X-Bare-Lf", "a\nb");
    res.set(std::string_view("X-Nul", 5), std::string_view("a\0b", 3));
    res.set("Bad\r\nName", "v");
    res.set("Bad:Name", "v");
    BOOST_TEST(res.fields() == "X-Ok: fine\r\n");
    // Setting a refused value still drops the field's earlier value: nothing stale goes out.
    res.set("X-Ok", "bad\r\n");
    BOOST_TEST(res.fields().empty());
}

BOOST_AUTO_TEST_CASE(the_fields_the_connection_writes_cannot_be_set)
{
    response res{200, 11};
    for (const char* name : {"Content-Length", "transfer-encoding", "Connection", "Date", "X-Config-Version",
                             "RateLimit", "ratelimit-policy"}) {
        BOOST_TEST(igw::server::detail::server_owned_field(name));
        res.set(name, "1");
    }
    BOOST_TEST(res.fields().empty());
    BOOST_TEST(!igw::server::detail::server_owned_field("Retry-After"));
}

BOOST_AUTO_TEST_CASE(the_handler_cannot_override_the_request_id_or_content_type)
{
    igw::server::handler_reply reply;
    reply.status = 201;
    reply.content_type = "application/json";
    reply.body = "{}";
    reply.headers = {{"x-request-id", "forged"},
                     {"Content-Type", "text/html"},
                     {"Location", "/v1/requests/r1"},
                     {"Content-Length", "999"},
                     {"Connection", "close"}};
    const response res = handler_response(reply, {}, 11, "req-1");
    BOOST_TEST(res.status() == 201u);
    BOOST_TEST(res["X-Request-Id"] == "req-1");
    BOOST_TEST(res["Content-Type"] == "application/json");
    BOOST_TEST(res["Location"] == "/v1/requests/r1");
    BOOST_TEST(res["Content-Length"].empty()); // written by the connection, from the body
    BOOST_TEST(res["Connection"].empty());
    BOOST_TEST(res.body() == "{}");
}

BOOST_AUTO_TEST_SUITE_END()
