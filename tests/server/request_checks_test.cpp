// The server's pure request checks: request ids, bearer keys, route permissions, media
// types and routing.
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/loader.hpp"
#include "gateway/server/client_auth.hpp"
#include "gateway/server/framing.hpp"
#include "gateway/server/media_type.hpp"
#include "gateway/server/request_id.hpp"
#include "gateway/server/router.hpp"
#include "tests/server/support/echo_handler.hpp"

namespace srv = igw::server;

BOOST_AUTO_TEST_SUITE(server_request_checks)

BOOST_AUTO_TEST_CASE(request_ids_from_clients_are_echoed_only_when_safe)
{
    BOOST_TEST(srv::is_valid_request_id("abc-123_X.y:z"));
    BOOST_TEST(srv::is_valid_request_id(std::string(128, 'a')));
    BOOST_TEST(!srv::is_valid_request_id(std::string(129, 'a')));
    BOOST_TEST(!srv::is_valid_request_id(""));
    BOOST_TEST(!srv::is_valid_request_id("has space"));
    BOOST_TEST(!srv::is_valid_request_id("new\r\nline"));
    BOOST_TEST(!srv::is_valid_request_id("quote\""));
    BOOST_TEST(!srv::is_valid_request_id("caf\xC3\xA9"));
}

BOOST_AUTO_TEST_CASE(generated_request_ids_are_128_bit_hex_and_distinct)
{
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const std::string id = srv::generate_request_id();
        BOOST_TEST(id.size() == 32u);
        BOOST_TEST(id.find_first_not_of("0123456789abcdef") == std::string::npos);
        BOOST_TEST(srv::is_valid_request_id(id));
        seen.insert(id);
    }
    BOOST_TEST(seen.size() == 1000u);
}

BOOST_AUTO_TEST_CASE(bearer_tokens_are_parsed_per_rfc_9110)
{
    BOOST_TEST(srv::bearer_token("Bearer abc").value_or("") == "abc");
    BOOST_TEST(srv::bearer_token("bearer   abc  ").value_or("") == "abc");
    BOOST_TEST(srv::bearer_token("BEARER\tabc").value_or("") == "abc");
    BOOST_TEST(!srv::bearer_token("").has_value());
    BOOST_TEST(!srv::bearer_token("Bearer").has_value());
    BOOST_TEST(!srv::bearer_token("Bearer ").has_value());
    BOOST_TEST(!srv::bearer_token("Bearerabc").has_value());
    BOOST_TEST(!srv::bearer_token("Basic YWxhZGRpbjpvcGVuc2VzYW1l").has_value());
    BOOST_TEST(!srv::bearer_token("Bearer two words").has_value());
}

BOOST_AUTO_TEST_CASE(clients_are_found_by_the_digest_of_their_key)
{
    const auto config = srv::testing::test_config();
    const auto* a = srv::find_client_by_key("key-a", config.clients);
    const auto* b = srv::find_client_by_key("key-b", config.clients);
    BOOST_REQUIRE(a != nullptr);
    BOOST_REQUIRE(b != nullptr);
    BOOST_TEST(a->name == "app-a");
    BOOST_TEST(b->name == "app-b");
    BOOST_TEST(srv::find_client_by_key("key-c", config.clients) == nullptr);
    BOOST_TEST(srv::find_client_by_key("", config.clients) == nullptr);
    BOOST_TEST(srv::find_client_by_key("key-a ", config.clients) == nullptr);
}

BOOST_AUTO_TEST_CASE(a_verified_certificate_names_its_client_and_a_key_sent_with_it_must_agree)
{
    auto clients = srv::testing::test_config().clients; // app-a (key-a), app-b (key-b)
    clients[1].certificate_cn = "app-b.internal";
    igw::config::client_config keyless;
    keyless.name = "cert-only";
    // No keys: only its certificate authenticates it.
    keyless.certificate_cn = "cert-only.internal";
    clients.push_back(keyless);
    const auto name = [&](std::string_view authorization, std::string_view cn) {
        const auto* client = srv::authenticate(authorization, cn, clients);
        return client ? client->name : std::string("(none)");
    };
    BOOST_TEST(name("", "app-b.internal") == "app-b");
    BOOST_TEST(name("Bearer key-b", "app-b.internal") == "app-b");
    BOOST_TEST(name("Bearer key-a", "app-b.internal") == "(none)"); // two credentials that disagree
    BOOST_TEST(name("Bearer nobody", "app-b.internal") == "(none)");
    BOOST_TEST(name("Basic YTpi", "app-b.internal") == "(none)");
    BOOST_TEST(name("", "cert-only.internal") == "cert-only");
    // A certificate naming no client (or none at all): the key alone decides.
    BOOST_TEST(name("Bearer key-a", "unlisted") == "app-a");
    BOOST_TEST(name("", "unlisted") == "(none)");
    BOOST_TEST(name("Bearer key-a", "") == "app-a");
    BOOST_TEST(name("", "") == "(none)");
    // CNs match exactly; a client without a certificate_cn is never matched by an empty one.
    BOOST_TEST(name("", "APP-B.internal") == "(none)");
    BOOST_TEST(name("", "app-b.internal ") == "(none)");
    BOOST_TEST(name("Bearer ", "cert-only.internal") == "(none)"); // a header with no key is still a credential
}

BOOST_AUTO_TEST_CASE(every_key_of_a_client_in_rotation_finds_it)
{
    auto config = srv::testing::test_config();
    config.clients[0].keys_sha256.push_back(igw::config::sha256("key-a-new"));
    const auto* old_key = srv::find_client_by_key("key-a", config.clients);
    const auto* new_key = srv::find_client_by_key("key-a-new", config.clients);
    BOOST_REQUIRE(old_key != nullptr);
    BOOST_REQUIRE(new_key != nullptr);
    BOOST_TEST(old_key->name == "app-a");
    BOOST_TEST(new_key->name == "app-a");
    // The other client's single key still finds it, and only it.
    BOOST_TEST(srv::find_client_by_key("key-b", config.clients)->name == "app-b");
    config.clients[0].keys_sha256.erase(config.clients[0].keys_sha256.begin());
    BOOST_TEST(srv::find_client_by_key("key-a", config.clients) == nullptr);
    BOOST_TEST(srv::find_client_by_key("key-a-new", config.clients) == new_key);
}

BOOST_AUTO_TEST_CASE(a_clients_own_invitation_limit_applies_only_when_lower)
{
    igw::config::client_config client;
    BOOST_TEST(srv::client_invitation_limit(client, 1000) == 1000u);
    client.max_invitations = 50;
    BOOST_TEST(srv::client_invitation_limit(client, 1000) == 50u);
    BOOST_TEST(srv::client_invitation_limit(client, 20) == 20u);
}

BOOST_AUTO_TEST_CASE(clients_without_a_route_list_may_use_every_route)
{
    const auto config = srv::testing::test_config();
    BOOST_TEST(srv::client_may_use_route(config.clients[0], "/v1/invitations"));
    BOOST_TEST(srv::client_may_use_route(config.clients[0], "/v1/other"));
    BOOST_TEST(!srv::client_may_use_route(config.clients[1], "/v1/invitations"));
    BOOST_TEST(srv::client_may_use_route(config.clients[1], "/v1/other"));
}

BOOST_AUTO_TEST_CASE(only_application_json_is_accepted)
{
    BOOST_TEST(srv::is_json_media_type("application/json"));
    BOOST_TEST(srv::is_json_media_type("Application/JSON"));
    BOOST_TEST(srv::is_json_media_type("application/json; charset=utf-8"));
    BOOST_TEST(srv::is_json_media_type(" application/json ;charset=UTF-8"));
    BOOST_TEST(!srv::is_json_media_type(""));
    BOOST_TEST(!srv::is_json_media_type("text/plain"));
    BOOST_TEST(!srv::is_json_media_type("application/jsonp"));
    BOOST_TEST(!srv::is_json_media_type("application/json-patch+json"));
    BOOST_TEST(!srv::is_json_media_type("application/x-www-form-urlencoded"));
}

BOOST_AUTO_TEST_CASE(requests_are_routed_by_exact_path_and_method)
{
    const auto routes = srv::testing::test_config().routes;
    auto m = srv::match_route("GET", "/healthz", routes);
    BOOST_TEST((m.kind == srv::endpoint::healthz && m.method_allowed));
    m = srv::match_route("GET", "/readyz?verbose=1", routes);
    BOOST_TEST((m.kind == srv::endpoint::readyz && m.method_allowed));
    m = srv::match_route("POST", "/healthz", routes);
    BOOST_TEST((m.kind == srv::endpoint::healthz && !m.method_allowed && m.allow == "GET, HEAD"));
    m = srv::match_route("HEAD", "/healthz", routes);
    BOOST_TEST((m.kind == srv::endpoint::healthz && m.method_allowed));
    m = srv::match_route("HEAD", "/readyz", routes);
    BOOST_TEST((m.kind == srv::endpoint::readyz && m.method_allowed));
    BOOST_TEST(!srv::match_route("HEAD", "/v1/invitations", routes).method_allowed);
    m = srv::match_route("POST", "/v1/other?dry_run=true", routes);
    BOOST_TEST((m.kind == srv::endpoint::invite && m.method_allowed && m.route_index == 1u));
    m = srv::match_route("GET", "/v1/invitations", routes);
    BOOST_TEST((m.kind == srv::endpoint::invite && !m.method_allowed && m.allow == "POST"));
    BOOST_TEST((srv::match_route("POST", "/v1/invitations/", routes).kind == srv::endpoint::not_found));
    BOOST_TEST((srv::match_route("POST", "/V1/invitations", routes).kind == srv::endpoint::not_found));
    BOOST_TEST((srv::match_route("GET", "/", routes).kind == srv::endpoint::not_found));
}

BOOST_AUTO_TEST_CASE(a_recorded_request_is_one_segment_below_v1_requests)
{
    const auto routes = srv::testing::test_config().routes;
    auto m = srv::match_route("GET", "/v1/requests/req-42?x=1", routes);
    BOOST_TEST((m.kind == srv::endpoint::request_lookup && m.method_allowed));
    BOOST_TEST(m.resource_id == "req-42");
    m = srv::match_route("POST", "/v1/requests/req-42", routes);
    BOOST_TEST((m.kind == srv::endpoint::request_lookup && !m.method_allowed && m.allow == "GET, HEAD"));
    BOOST_TEST((srv::match_route("GET", "/v1/requests/", routes).kind == srv::endpoint::not_found));
    BOOST_TEST((srv::match_route("GET", "/v1/requests/a/b", routes).kind == srv::endpoint::not_found));
}

BOOST_AUTO_TEST_CASE(reconcile_is_a_post_to_a_recorded_request)
{
    const auto routes = srv::testing::test_config().routes;
    auto m = srv::match_route("POST", "/v1/requests/req-42/reconcile", routes);
    BOOST_TEST((m.kind == srv::endpoint::reconcile && m.method_allowed));
    BOOST_TEST(m.resource_id == "req-42");
    m = srv::match_route("GET", "/v1/requests/req-42/reconcile?x=1", routes);
    BOOST_TEST((m.kind == srv::endpoint::reconcile && !m.method_allowed && m.allow == "POST"));
    BOOST_TEST((srv::match_route("POST", "/v1/requests//reconcile", routes).kind == srv::endpoint::not_found));
    BOOST_TEST((srv::match_route("POST", "/v1/requests/reconcile", routes).kind == srv::endpoint::request_lookup));
    BOOST_TEST((srv::match_route("POST", "/v1/requests/a/b/reconcile", routes).kind == srv::endpoint::not_found));
}

namespace {

srv::framing_verdict verdict(std::vector<std::string_view> values, bool content_length = false, unsigned version = 11)
{
    return srv::check_transfer_encoding(values, content_length, version).verdict;
}

} // namespace

BOOST_AUTO_TEST_CASE(only_a_final_single_chunked_coding_frames_a_request_body)
{
    using v = srv::framing_verdict;
    BOOST_TEST((verdict({}) == v::ok));
    BOOST_TEST((verdict({"chunked"}) == v::ok));
    BOOST_TEST((verdict({"Chunked"}) == v::ok));
    BOOST_TEST((verdict({" chunked , "}) == v::ok)); // empty list elements do not count
    // The final coding is not chunked: the length is unknowable, whatever the codings.
    BOOST_TEST((verdict({"gzip"}) == v::bad_request));
    BOOST_TEST((verdict({"identity"}) == v::bad_request));
    BOOST_TEST((verdict({"chunked, identity"}) == v::bad_request));
    BOOST_TEST((verdict({"chunked", "gzip"}) == v::bad_request)); // two field lines are one list
    BOOST_TEST((verdict({""}) == v::bad_request));
    BOOST_TEST((verdict({"chunked;ext=1"}) == v::bad_request));
    BOOST_TEST((verdict({"chunked, chunked"}) == v::bad_request));
    // Framed, but by a coding the gateway does not decode.
    BOOST_TEST((verdict({"gzip, chunked"}) == v::not_implemented));
    BOOST_TEST((verdict({"x-custom", "chunked"}) == v::not_implemented));
    // Ambiguous framing.
    BOOST_TEST((verdict({"chunked"}, true) == v::bad_request));
    BOOST_TEST((verdict({"chunked"}, false, 10) == v::bad_request));
    BOOST_TEST(srv::check_transfer_encoding(std::vector<std::string_view>{"gzip, chunked"}, false, 11).detail ==
               "transfer coding \"gzip\" is not supported");
}

BOOST_AUTO_TEST_CASE(absolute_form_targets_become_origin_form)
{
    BOOST_TEST(srv::origin_form("/v1/invitations?dry_run=true") == "/v1/invitations?dry_run=true");
    BOOST_TEST(srv::origin_form("http://gw.example:8080/v1/invitations") == "/v1/invitations");
    BOOST_TEST(srv::origin_form("HTTPS://gw.example/v1/x?q=1") == "/v1/x?q=1");
    BOOST_TEST(srv::origin_form("http://gw.example") == "/");
    BOOST_TEST(srv::origin_form("http://gw.example?q") == "/?q");
    BOOST_TEST(srv::origin_form("*") == "*");
    BOOST_TEST(srv::origin_form("ftp://gw.example/v1") == "ftp://gw.example/v1");
}

BOOST_AUTO_TEST_SUITE_END()
