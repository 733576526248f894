// The gateway's own listener over TLS (README "TLS listener"), with a PKI made at test time: a
// client trusting the CA invites; plain HTTP and old protocol versions or ciphers are
// refused at the handshake; with `client_ca`, a client certificate is required, must
// come from that CA, and names the client it authenticates as; and a reload (what SIGHUP
// runs) rotates the certificate for new connections while an open one carries on.

#include "gateway/app/reloader.hpp"
#include "gateway/dispatch/invite_pipeline.hpp"
#include "gateway/mapping/config_source.hpp"
#include "gateway/server/server.hpp"
#include "gateway/telemetry/metrics.hpp"
#include "tests/e2e/support/harness.hpp"
#include "tests/e2e/support/merged_reply.hpp"
#include "tests/support/log_capture.hpp"
#include "tests/support/shipped_config.hpp"
#include "tests/support/test_certificates.hpp"

#include <boost/test/unit_test.hpp>

#include <openssl/ssl.h>

#include <filesystem>

using namespace igw;
using namespace igw::e2e;
using emulator::vendor;

namespace {

// A client allowed only on `certificate_route`, authenticated by a certificate alone.
constexpr std::string_view certificate_client = "billing-service";
constexpr std::string_view certificate_route = "/v1/billing";

struct listener_files {
    std::string cert, key, client_ca;
};

// The shipped config with every ${VAR} resolved (the reloader reads the process
// environment, as `serve` does: the file must say everything), the targets at the
// emulators, and the listener's `tls`. With a client CA, a second client, named by its
// certificate and allowed only on certificate_route.
std::string config_text(const emulator::server& emulators, const listener_files& files)
{
    std::map<std::string, std::string, std::less<>> env;
    for (auto& [name, value] : emulator::environment_for(emulators))
        env[name] = value;
    env["INVITEGW_CLIENT_KEY"] = std::string(client_key);
    env["INVITEGW_LISTEN"] = "127.0.0.1:0";
    test::shipped_config c;
    c.substitute([&env](std::string_view name) -> std::optional<std::string> {
        const auto it = env.find(name);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    });
    std::string tls = "{cert: " + test::yaml_quoted(files.cert) + ", key: " + test::yaml_quoted(files.key);
    if (!files.client_ca.empty()) {
        tls += ", client_ca: " + test::yaml_quoted(files.client_ca);
        c.append("routes", "{path: " + std::string(certificate_route) + ", targets: [anthropic]}");
        c.append("clients", "{name: " + std::string(certificate_client) +
                                ", certificate_cn: " + std::string(certificate_client) + ", routes: [" +
                                std::string(certificate_route) + "]}");
    }
    c.set("tls", tls + "}").set("threads", "2");
    return c.text();
}

// The gateway as `invitegw serve` wires it for reloads: a config file, a config source
// shared by the server and the reloader that SIGHUP calls.
class tls_gateway {
public:
    tls_gateway(const emulator::server& emulators, const listener_files& files)
    {
        file_ = dir_.write("gateway.yaml", config_text(emulators, files));
        configs_ = std::make_shared<mapping::config_source>(mapping::load_compiled_config(file_));
        reloader_ = std::make_unique<app::reloader>(file_, configs_, metrics_);
        server_ = std::make_unique<server::server>(configs_, dispatch::make_pipeline_factory());
        server_->start();
    }
    ~tls_gateway()
    {
        server_->stop(std::chrono::milliseconds(0));
        server_->wait();
    }
    tls_gateway(const tls_gateway&) = delete;
    tls_gateway& operator=(const tls_gateway&) = delete;

    std::uint16_t port() const { return server_->port(); }
    server::reload_outcome reload() { return reloader_->reload(); }

private:
    test::temp_dir dir_;
    std::string file_;
    telemetry::registry metrics_;
    std::shared_ptr<mapping::config_source> configs_;
    std::unique_ptr<app::reloader> reloader_;
    std::unique_ptr<server::server> server_;
};

emulator::tls_settings trusting(const test::test_certificates& pki)
{
    return {.ca_file = pki.ca_file(), .server_name = "127.0.0.1"};
}

emulator::tls_settings presenting(const test::test_certificates& pki, const test::certificate_files& client)
{
    emulator::tls_settings tls = trusting(pki);
    tls.certificate_file = client.certificate_file;
    tls.private_key_file = client.private_key_file;
    return tls;
}

// A client offering only these versions (0: the library's) and TLS 1.2 ciphers.
emulator::tls_settings offering(const test::test_certificates& pki, int min_version, int max_version,
                                std::string ciphers)
{
    emulator::tls_settings tls = trusting(pki);
    tls.min_version = min_version;
    tls.max_version = max_version;
    tls.ciphers = std::move(ciphers);
    return tls;
}

const std::string one_invitation = invite_body({{"jane@example.com", "developer"}},
                                               std::vector<std::string>{"anthropic"});

emulator::test_request invite(std::string_view path, std::optional<std::string_view> key = client_key,
                              std::string request_id = {})
{
    emulator::test_request request;
    request.target = std::string(path);
    request.headers.emplace_back("Content-Type", "application/json");
    if (key)
        request.headers.emplace_back("Authorization", "Bearer " + std::string(*key));
    if (!request_id.empty())
        request.headers.emplace_back("X-Request-Id", request_id);
    request.body = one_invitation;
    return request;
}

emulator::test_request health() { return {.method = "GET", .target = "/healthz"}; }

emulator::test_response health_over(std::uint16_t port, const emulator::tls_settings& tls)
{
    emulator::test_client client("127.0.0.1", port, tls);
    return client.send(health());
}

// The request log line's client, for the request with that id.
std::string logged_client(const test::log_capture& log, const std::string& request_id)
{
    for (const std::string& line : log.events("request"))
        if (line.find("\"request_id\":\"" + request_id + "\"") != std::string::npos) {
            const std::string field = "\"client\":\"";
            const std::size_t at = line.find(field);
            if (at == std::string::npos)
                return {};
            const std::size_t begin = at + field.size();
            return line.substr(begin, line.find('"', begin) - begin);
        }
    return {};
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

} // namespace

BOOST_AUTO_TEST_SUITE(tls_listener)

BOOST_AUTO_TEST_CASE(a_client_trusting_the_ca_invites_over_tls_on_a_keep_alive_connection)
{
    test::test_certificates pki;
    emulator::server emulators;
    tls_gateway gw(emulators, {pki.certificate_file(), pki.private_key_file(), {}});

    emulator::test_client client("127.0.0.1", gw.port(), trusting(pki));
    const auto first = client.send(invite(invite_path));
    BOOST_TEST_REQUIRE(first.ok(), first.error);
    BOOST_TEST_REQUIRE(first.status == 200u, first.body);
    BOOST_TEST(parse_merged_reply(first.body).invited == 1u);
    BOOST_TEST(emulators.requests(vendor::anthropic).size() == 1u);
    BOOST_TEST(client.peer_certificate_serial() == test::test_certificates::serial_of(pki.certificate_file()));

    BOOST_TEST_REQUIRE(client.connected());
    const auto second = client.send(health());
    BOOST_TEST(second.status == 200u, second.error);
    BOOST_TEST(second.keep_alive);
}

BOOST_AUTO_TEST_CASE(plain_http_to_the_tls_port_gets_no_http_reply)
{
    test::test_certificates pki;
    emulator::server emulators;
    tls_gateway gw(emulators, {pki.certificate_file(), pki.private_key_file(), {}});

    emulator::test_client plain("127.0.0.1", gw.port(), std::nullopt, std::chrono::seconds(5));
    const auto reply = plain.send(invite(invite_path));
    BOOST_TEST(!reply.ok());
    BOOST_TEST(reply.status == 0u);
    BOOST_TEST(emulators.requests().empty());

    // The listener is unharmed: TLS still works.
    emulator::test_client secure("127.0.0.1", gw.port(), trusting(pki));
    BOOST_TEST(secure.send(health()).status == 200u);
}

BOOST_AUTO_TEST_CASE(tls_1_1_and_tls_1_2_without_ecdhe_aead_are_refused_at_the_handshake)
{
    test::test_certificates pki;
    emulator::server emulators;
    tls_gateway gw(emulators, {pki.certificate_file(), pki.private_key_file(), {}});

    // The server's alert, not the client failing to offer TLS 1.1 ("no protocols available").
    const auto tls11 = health_over(gw.port(), offering(pki, TLS1_VERSION, TLS1_1_VERSION, "DEFAULT:@SECLEVEL=0"));
    BOOST_TEST(tls11.status == 0u);
    BOOST_TEST(contains(tls11.error, "protocol version"), tls11.error);

    const auto cbc = health_over(gw.port(), offering(pki, 0, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"));
    BOOST_TEST(cbc.status == 0u);
    BOOST_TEST(contains(cbc.error, "handshake failure"), cbc.error);

    const auto served = health_over(gw.port(), offering(pki, 0, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256"));
    BOOST_TEST(served.status == 200u, served.error);
}

BOOST_AUTO_TEST_CASE(with_client_ca_a_missing_or_untrusted_client_certificate_is_refused)
{
    test::test_certificates pki;
    emulator::server emulators;
    tls_gateway gw(emulators, {pki.certificate_file(), pki.private_key_file(), pki.ca_file()});

    // TLS 1.3 clients finish their side before the server has checked their certificate:
    // the refusal (an alert) may come with the handshake or with the first read.
    emulator::test_client none("127.0.0.1", gw.port(), trusting(pki));
    const auto without = none.send(invite(invite_path));
    BOOST_TEST(without.status == 0u);
    BOOST_TEST(contains(without.error, "certificate required"), without.error);

    const auto foreign = pki.issue_client(std::string(certificate_client), false);
    emulator::test_client untrusted("127.0.0.1", gw.port(), presenting(pki, foreign));
    const auto refused = untrusted.send(invite(certificate_route, std::nullopt));
    BOOST_TEST(refused.status == 0u);
    BOOST_TEST(contains(refused.error, "unknown ca"), refused.error);

    BOOST_TEST(emulators.requests().empty());
}

BOOST_AUTO_TEST_CASE(a_trusted_client_certificate_authenticates_as_the_client_its_cn_names)
{
    test::test_certificates pki;
    emulator::server emulators;
    const test::log_capture log(telemetry::log_format::json);
    tls_gateway gw(emulators, {pki.certificate_file(), pki.private_key_file(), pki.ca_file()});

    emulator::test_client billing("127.0.0.1", gw.port(), presenting(pki, pki.issue_client("billing-service")));
    // No key: the certificate names the client, whose only route this is.
    const auto invited = billing.send(invite(certificate_route, std::nullopt, "cert-only-1"));
    BOOST_TEST_REQUIRE(invited.status == 200u, invited.error << invited.body);
    BOOST_TEST(parse_merged_reply(invited.body).invited == 1u);
    BOOST_TEST(logged_client(log, "cert-only-1") == certificate_client);
    // Its route list applies: it is that client, not any other.
    BOOST_TEST(billing.send(invite(invite_path, std::nullopt)).status == 403u);
    // A key sent as well must be the same client's: another client's key is refused.
    const auto mixed = billing.send(invite(certificate_route, client_key));
    BOOST_TEST(mixed.status == 401u);
    BOOST_TEST(mixed.header("WWW-Authenticate").has_value());

    // A trusted certificate that names no client: the key alone decides.
    emulator::test_client other("127.0.0.1", gw.port(), presenting(pki, pki.issue_client("unlisted")));
    BOOST_TEST(other.send(invite(invite_path, std::nullopt)).status == 401u);
    const auto by_key = other.send(invite(invite_path, client_key, "key-over-cert-1"));
    BOOST_TEST(by_key.status == 200u, by_key.error << by_key.body);
    BOOST_TEST(logged_client(log, "key-over-cert-1") == "default");

    BOOST_TEST(emulators.requests(vendor::anthropic).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_reload_serves_a_rotated_certificate_to_new_connections_while_open_ones_continue)
{
    test::test_certificates pki;
    emulator::server emulators;
    // The files the config names, rotated in place as an operator (or certbot) does.
    test::temp_dir live;
    const std::string cert = live.write("server.pem", test::read_file(pki.certificate_file()));
    const std::string key = live.write("server.key", test::read_file(pki.private_key_file()));
    const test::log_capture log(telemetry::log_format::json);
    tls_gateway gw(emulators, {cert, key, {}});
    const std::string old_serial = test::test_certificates::serial_of(cert);

    emulator::test_client before("127.0.0.1", gw.port(), trusting(pki));
    BOOST_TEST_REQUIRE(before.send(health()).status == 200u);
    BOOST_TEST_REQUIRE(before.peer_certificate_serial() == old_serial);

    const test::certificate_files rotated = pki.issue_server("rotated");
    live.write("server.key", test::read_file(rotated.private_key_file));
    live.write("server.pem", test::read_file(rotated.certificate_file));
    const std::string new_serial = test::test_certificates::serial_of(cert);
    BOOST_TEST_REQUIRE(new_serial != old_serial);
    const auto outcome = gw.reload();
    BOOST_TEST_REQUIRE(outcome.reloaded);

    emulator::test_client after("127.0.0.1", gw.port(), trusting(pki));
    const auto fresh = after.send(invite(invite_path));
    BOOST_TEST(fresh.status == 200u, fresh.error << fresh.body);
    BOOST_TEST(after.peer_certificate_serial() == new_serial);
    BOOST_TEST(log.events("tls_certificate_loaded").size() == 1u);

    // The connection opened before the reload is the same one, on the old certificate.
    BOOST_TEST_REQUIRE(before.connected());
    const auto continued = before.send(invite(invite_path));
    BOOST_TEST(continued.status == 200u, continued.error << continued.body);
    BOOST_TEST(before.peer_certificate_serial() == old_serial);

    // A certificate file that cannot be used refuses the reload: the new one stays.
    live.write("server.pem", "not a certificate\n");
    const auto broken = gw.reload();
    BOOST_TEST(!broken.reloaded);
    BOOST_TEST_REQUIRE(broken.errors.size() == 1u);
    BOOST_TEST(contains(broken.errors[0], "tls.cert"), broken.errors[0]);
    emulator::test_client later("127.0.0.1", gw.port(), trusting(pki));
    BOOST_TEST(later.send(health()).status == 200u);
    BOOST_TEST(later.peer_certificate_serial() == new_serial);
}

BOOST_AUTO_TEST_SUITE_END()
