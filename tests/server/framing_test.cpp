// The server's reading of a request's framing over real sockets: bounded chunk
// extensions and trailers, transfer codings that could smuggle a second request, long
// targets, Host, absolute-form targets and HEAD.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <string>
#include <vector>

#include "tests/server/support/server_fixture.hpp"

namespace srv = igw::server;
using srv::testing::invite_request;
using srv::testing::raw_request;
using srv::testing::test_client;

namespace {

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// This process's resident set (the server runs in it), from /proc/self/status.
std::size_t resident_bytes()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("VmRSS:"))
            return std::stoul(line.substr(6)) * 1024;
    }
    BOOST_FAIL("no VmRSS in /proc/self/status");
    return 0;
}

constexpr std::size_t mib = 1024 * 1024;

// Sends `head`, then up to 64 MiB of `filler` that never completes the line it is in,
// sampling the resident set as it goes. Returns the largest growth seen; `stopped` tells
// whether the server stopped taking the bytes (it closed the connection) before the end.
std::size_t growth_while_sending(test_client& client, const std::string& head, bool& stopped)
{
    const std::string filler(64 * 1024, 'a');
    const std::size_t before = resident_bytes();
    std::size_t peak = before;
    client.send(head);
    stopped = false;
    for (int i = 0; i < 1024 && !stopped; ++i) {
        stopped = static_cast<bool>(client.write(filler));
        if (i % 16 == 0)
            peak = std::max(peak, resident_bytes());
    }
    peak = std::max(peak, resident_bytes());
    return peak - before;
}

std::string chunked_invite_head()
{
    return invite_request("/v1/invitations", "", "key-a", {{"Transfer-Encoding", "chunked"}});
}

// One reply with `status`, no keep-alive, then the server closes: whatever followed the
// header was not taken for another request.
void check_single_reply_then_close(test_client& client, unsigned status)
{
    const auto r = client.read_reply();
    BOOST_TEST(r.result_int() == status);
    BOOST_TEST(std::string(r["Content-Type"]) == "application/problem+json");
    BOOST_TEST(!r.keep_alive());
    BOOST_TEST(client.closed_by_server()); // false if a second reply arrived
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(server_framing, srv::testing::server_fixture)

BOOST_AUTO_TEST_CASE(a_chunk_extension_that_never_ends_gets_413_and_does_not_grow_memory)
{
    config.limits.read_timeout = std::chrono::seconds(20); // only the bound may end it
    start();
    test_client client(port());
    bool stopped = false;
    const std::size_t growth = growth_while_sending(client, chunked_invite_head() + "1;ext=", stopped);
    BOOST_TEST_MESSAGE("resident set growth during 64 MiB of chunk extension: " << growth / 1024 << " KiB");
    BOOST_TEST(stopped);
    BOOST_TEST(growth < 16 * mib);
    const auto r = client.read_reply();
    BOOST_TEST(r.result_int() == 413u);
    BOOST_TEST(contains(r.body(), "/problems/payload-too-large"));
}

BOOST_AUTO_TEST_CASE(a_trailer_that_never_ends_gets_413_and_does_not_grow_memory)
{
    config.limits.read_timeout = std::chrono::seconds(20);
    start();
    test_client client(port());
    bool stopped = false;
    const std::size_t growth = growth_while_sending(client,
                                                    chunked_invite_head() + "2\r\n{}\r\n0\r\nX-Trailer: ", stopped);
    BOOST_TEST_MESSAGE("resident set growth during 64 MiB of trailer: " << growth / 1024 << " KiB");
    BOOST_TEST(stopped);
    BOOST_TEST(growth < 16 * mib);
    BOOST_TEST(client.read_reply().result_int() == 413u);
}

BOOST_AUTO_TEST_CASE(a_transfer_coding_list_not_ending_in_chunked_gets_400_and_the_body_is_not_a_request)
{
    start();
    // The body smuggles a second request; a server that ignored the coding would answer it.
    const std::string smuggled = raw_request("GET", "/healthz");
    const std::vector<std::vector<std::string>> variants{
        {"gzip"}, {"identity"}, {"chunked, identity"}, {"chunked;x=1"}, {"chunked, chunked"}, {"chunked", "gzip"},
        {""}};
    for (const auto& codings : variants) {
        BOOST_TEST_CONTEXT("Transfer-Encoding: " << codings.front() << (codings.size() > 1 ? " + " + codings[1] : ""))
        {
            srv::testing::header_list headers;
            for (const auto& c : codings)
                headers.emplace_back("Transfer-Encoding", c);
            test_client client(port());
            client.send(invite_request("/v1/invitations", "", "key-a", headers) + smuggled);
            check_single_reply_then_close(client, 400);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_transfer_coding_the_gateway_does_not_decode_gets_501_and_the_connection_closes)
{
    start();
    for (const std::string codings : {"gzip, chunked", "x-unknown, chunked"}) {
        BOOST_TEST_CONTEXT("Transfer-Encoding: " << codings)
        {
            test_client client(port());
            client.send(invite_request("/v1/invitations", "", "key-a", {{"Transfer-Encoding", codings}}) +
                        "2\r\n{}\r\n0\r\n\r\n" + raw_request("GET", "/healthz"));
            check_single_reply_then_close(client, 501);
        }
    }
}

BOOST_AUTO_TEST_CASE(transfer_encoding_beside_content_length_or_in_http_1_0_gets_400)
{
    start();
    test_client both(port());
    both.send(invite_request("/v1/invitations", "", "key-a", {{"Transfer-Encoding", "gzip"}, {"Content-Length", "4"}}) +
              "{}\r\n" + raw_request("GET", "/healthz"));
    check_single_reply_then_close(both, 400);

    test_client old(port());
    old.send("POST /v1/invitations HTTP/1.0\r\nAuthorization: Bearer key-a\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
    check_single_reply_then_close(old, 400);
}

BOOST_AUTO_TEST_CASE(a_request_target_over_the_limit_gets_414_and_long_fields_still_431)
{
    config.limits.max_target_bytes = 512;
    start();
    test_client over_target(port()); // within the header limit, over the target limit
    over_target.send(raw_request("GET", "/healthz?" + std::string(600, 'q')));
    check_single_reply_then_close(over_target, 414);

    test_client over_header(port()); // the request line alone is over the header limit
    over_header.send(raw_request("GET", "/healthz?" + std::string(5000, 'q')));
    check_single_reply_then_close(over_header, 414);

    test_client at_limit(port());
    at_limit.send(raw_request("GET", "/healthz?" + std::string(503, 'q')));
    BOOST_TEST(at_limit.read_reply().result_int() == 200u);

    test_client fields(port());
    fields.send(raw_request("GET", "/healthz", {{"X-Padding", std::string(5000, 'p')}}));
    check_single_reply_then_close(fields, 431);
}

BOOST_AUTO_TEST_CASE(http_1_1_needs_exactly_one_host)
{
    start();
    test_client none(port());
    none.send("GET /healthz HTTP/1.1\r\n\r\n");
    check_single_reply_then_close(none, 400);

    test_client two(port());
    two.send("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    check_single_reply_then_close(two, 400);

    test_client empty(port()); // empty is valid (RFC 9112 §3.2)
    empty.send("GET /healthz HTTP/1.1\r\nHost:\r\n\r\n");
    BOOST_TEST(empty.read_reply().result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(absolute_form_targets_route_like_their_path)
{
    start();
    test_client client(port());
    client.send(invite_request("http://127.0.0.1/v1/other?dry_run=true", R"({"a":1})"));
    auto r = client.read_reply();
    BOOST_TEST(r.result_int() == 200u);
    BOOST_TEST(contains(r.body(), R"("route_index":1)"));
    BOOST_TEST(contains(r.body(), R"("target":"/v1/other?dry_run=true")"));

    client.send(raw_request("GET", "HTTP://gateway.example:8080/healthz"));
    r = client.read_reply();
    BOOST_TEST(r.result_int() == 200u);
    BOOST_TEST(r.body() == R"({"status":"ok"})");

    client.send(raw_request("GET", "http://gateway.example/nope"));
    r = client.read_reply();
    BOOST_TEST(r.result_int() == 404u);
    BOOST_TEST(contains(r.body(), "/nope"));
    BOOST_TEST(!contains(r.body(), "gateway.example"));
}

BOOST_AUTO_TEST_CASE(head_on_the_probes_answers_the_get_header_without_a_body)
{
    start();
    test_client client(port());
    client.send(raw_request("GET", "/healthz"));
    const auto get = client.read_reply();
    for (const char* path : {"/healthz", "/readyz"}) {
        BOOST_TEST_CONTEXT(path)
        {
            client.send(raw_request("HEAD", path));
            const auto head = client.read_head_reply();
            BOOST_TEST(head.result_int() == 200u);
            BOOST_TEST(std::string(head["Content-Type"]) == "application/json");
            BOOST_TEST(head.keep_alive());
            if (std::string_view(path) == "/healthz")
                BOOST_TEST(std::string(head["Content-Length"]) == std::to_string(get.body().size()));
        }
    }
    // No body bytes were sent after those headers: the next reply parses cleanly.
    client.send(raw_request("GET", "/healthz"));
    const auto after = client.read_reply();
    BOOST_TEST(after.result_int() == 200u);
    BOOST_TEST(after.body() == R"({"status":"ok"})");

    client.send(raw_request("HEAD", "/v1/invitations"));
    const auto refused = client.read_head_reply();
    BOOST_TEST(refused.result_int() == 405u);
    client.send(raw_request("GET", "/healthz"));
    BOOST_TEST(client.read_reply().body() == R"({"status":"ok"})");
}

BOOST_AUTO_TEST_SUITE_END()
