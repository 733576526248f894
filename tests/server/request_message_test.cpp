// The request the server reads into: the request line, fields looked up by code or by
// name, repeated fields in order, the body, and a reused message keeping nothing of the
// request before.
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>

#include "gateway/server/request_message.hpp"

using igw::server::detail::request_message;
using igw::server::detail::request_parser;
namespace http = boost::beast::http;

namespace {

// Feeds `raw` to a fresh parser over `message`, as the connection does; true when the
// whole request was taken without an error.
bool parse(request_message& message, std::string_view raw)
{
    request_parser parser{message};
    parser.eager(true);
    parser.body_limit(boost::none);
    boost::beast::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(raw.data(), raw.size()), ec);
    return !ec && used == raw.size() && parser.is_done();
}

} // namespace

BOOST_AUTO_TEST_SUITE(request_message_fields)

BOOST_AUTO_TEST_CASE(the_request_line_fields_and_body_are_read)
{
    request_message m;
    BOOST_REQUIRE(parse(m, "POST /v1/invitations?dry_run=true HTTP/1.1\r\n"
                           "Host: gw.example\r\n"
                           "content-type: application/json\r\n"
                           "X-Request-Id: abc\r\n"
                           "Content-Length: 2\r\n"
                           "\r\n"
                           "{}"));
    BOOST_TEST(m.method_string() == "POST");
    BOOST_TEST((m.method() == http::verb::post));
    BOOST_TEST(m.target() == "/v1/invitations?dry_run=true");
    BOOST_TEST(m.version() == 11u);
    BOOST_TEST(m.keep_alive());
    BOOST_TEST(m[http::field::content_type] == "application/json");
    BOOST_TEST(m["Content-Type"] == "application/json");
    BOOST_TEST(m["x-request-id"] == "abc");
    BOOST_TEST(m.count(http::field::host) == 1u);
    BOOST_TEST(m["Authorization"].empty());
    BOOST_TEST(m.count("Idempotency-Key") == 0u);
    BOOST_TEST(m.body() == "{}");
}

BOOST_AUTO_TEST_CASE(repeated_fields_are_counted_and_listed_in_order)
{
    request_message m;
    BOOST_REQUIRE(parse(m, "GET / HTTP/1.1\r\nHost: a\r\nPrefer: wait=5\r\nIdempotency-Key: k1\r\n"
                           "prefer: respond-async\r\nidempotency-key: k2\r\nHost: b\r\n\r\n"));
    BOOST_TEST(m.count(http::field::host) == 2u);
    BOOST_TEST(m.count("IDEMPOTENCY-KEY") == 2u);
    BOOST_TEST(m["Idempotency-Key"] == "k1");
    std::vector<std::string> prefer;
    m.for_each("Prefer", [&](std::string_view v) { prefer.emplace_back(v); });
    BOOST_TEST(prefer == (std::vector<std::string>{"wait=5", "respond-async"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_reused_message_keeps_nothing_of_the_request_before)
{
    request_message m;
    BOOST_REQUIRE(parse(m, "POST /a HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer k\r\nContent-Length: 3\r\n\r\nabc"));
    BOOST_REQUIRE(parse(m, "GET /b HTTP/1.0\r\n\r\n"));
    BOOST_TEST(m.target() == "/b");
    BOOST_TEST(m.version() == 10u);
    BOOST_TEST(!m.keep_alive()); // HTTP/1.0 without keep-alive
    BOOST_TEST(m[http::field::authorization].empty());
    BOOST_TEST(m.count(http::field::host) == 0u);
    BOOST_TEST(m.body().empty());
}

BOOST_AUTO_TEST_CASE(a_large_body_is_freed_with_its_request_and_a_small_one_is_kept)
{
    request_message m;
    const std::string large(1 << 20, 'x');
    BOOST_REQUIRE(parse(m, "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(large.size()) +
                               "\r\n\r\n" + large));
    BOOST_TEST(m.body().size() == large.size());
    BOOST_REQUIRE(parse(m, "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}"));
    BOOST_TEST(m.body().capacity() < std::size_t{64 * 1024}); // the megabyte went with its request
    const std::size_t kept = m.body().capacity();
    const char* storage = m.body().data();
    BOOST_REQUIRE(parse(m, "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n[]"));
    BOOST_TEST(m.body().capacity() == kept); // a small one's storage serves the next request
    BOOST_TEST(m.body().data() == storage);
}

BOOST_AUTO_TEST_CASE(chunked_bodies_are_joined_and_connection_close_is_honoured)
{
    request_message m;
    BOOST_REQUIRE(parse(m, "POST /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "2\r\n{\"\r\n3\r\na\":\r\n2\r\n1}\r\n0\r\n\r\n"));
    BOOST_TEST(m.body() == R"({"a":1})");
    BOOST_TEST(!m.keep_alive());
    BOOST_TEST(m["transfer-encoding"] == "chunked");
}

BOOST_AUTO_TEST_SUITE_END()
