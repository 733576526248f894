// Settling `unknown` items by asking the vendor, through the real binary and a strict
// vendor that lists its invitations three to a page: found -> invited with the vendor's
// id, absent from a complete listing -> failed/not_created, a failing listing -> still
// unknown; every change recorded in the ledger (both backends), and a job that ends
// with unknown items reconciles them once by itself.

#include "tests/durability/support/deployment.hpp"

#include <simdjson.h>

#include <boost/beast/core/string.hpp>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <map>
#include <thread>

namespace bdata = boost::unit_test::data;
using namespace igw::durability;
using igw::test::both_backends;
using namespace std::chrono_literals;

namespace {

// `lost` is created by the vendor, whose reply never arrives; `never` never reaches it
// (the connection drops first); `fine` is invited as usual.
const std::string lost = "lost@example.com", never = "never@example.com", fine = "fine@example.com";

request_options on_nimbus(bool async = false)
{
    request_options options;
    options.path = std::string(nimbus_path);
    if (async)
        options.headers.emplace_back("Prefer", "respond-async");
    return options;
}

igw::emulator::test_response post_reconcile(std::uint16_t port, const std::string& id,
                                            std::string_view key = client_key)
{
    request_options options;
    options.path = "/v1/requests/" + id + "/reconcile";
    options.key = std::string(key);
    return post(port, "", options);
}

// One result of a reconcile report or a request document.
struct item_view {
    std::string status, code, invitation_id;
    bool reconciled = false;
};

std::map<std::string, item_view> items_by_email(const std::string& body)
{
    simdjson::dom::parser parser;
    simdjson::dom::element root = parser.parse(body);
    simdjson::dom::element holder = root;
    if (simdjson::dom::element job_result; !root["result"].get(job_result))
        holder = job_result;
    std::map<std::string, item_view> out;
    for (simdjson::dom::element result : holder["results"].get_array()) {
        item_view& v = out[std::string(result["email"].get_string().value())];
        v.status = std::string(result["status"].get_string().value());
        if (std::string_view id; !result["invitation_id"].get(id))
            v.invitation_id = std::string(id);
        if (bool flag = false; !result["reconciled"].get(flag))
            v.reconciled = flag;
        if (auto error = result["error"]; !error.error())
            v.code = std::string(error["code"].get_string().value());
    }
    return out;
}

struct reconcile_view {
    std::uint64_t looked_up = 0, invited = 0, not_created = 0, unknown = 0, without_lookup = 0;
};

reconcile_view counts_of(const std::string& body)
{
    simdjson::dom::parser parser;
    simdjson::dom::element r = parser.parse(body)["reconcile"];
    return {r["looked_up"].get_uint64().value(), r["invited"].get_uint64().value(),
            r["not_created"].get_uint64().value(), r["unknown"].get_uint64().value(),
            r["without_lookup"].get_uint64().value()};
}

std::string id_of(const igw::e2e::nimbus_vendor& vendor, const std::string& email)
{
    for (const auto& invitation : vendor.invitations())
        if (invitation.email == email)
            return std::to_string(invitation.id);
    return {};
}

// The vendor's listing calls so far (GET), with their targets.
std::vector<igw::e2e::scripted_request> listing_calls(const igw::e2e::nimbus_vendor& vendor)
{
    std::vector<igw::e2e::scripted_request> out;
    for (const auto& request : vendor.requests())
        if (request.method == "GET")
            out.push_back(request);
    return out;
}

std::size_t count_headers(const igw::e2e::scripted_request& request, std::string_view name)
{
    std::size_t n = 0;
    for (const auto& [key, value] : request.headers)
        n += boost::beast::iequals(key, name) ? 1 : 0;
    return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(reconcile)

BOOST_DATA_TEST_CASE(unknown_items_are_settled_by_the_vendors_listing_and_recorded, bdata::make(both_backends), backend)
{
    deployment d(backend, {.webhook_url = {}, .nimbus = true});
    auto& vendor = d.nimbus();
    // Five earlier invitations, then the request's two: seven, three to a page.
    for (int i = 0; i < 5; ++i)
        vendor.seed("earlier" + std::to_string(i) + "@example.com");
    vendor.drop_after_create(lost);
    vendor.drop_before_create(never);
    auto gateway = d.start();

    const auto reply = post(gateway->port(), invite_body({lost, never, fine}, {"nimbus"}), on_nimbus());
    BOOST_REQUIRE_EQUAL(reply.status, 207u);
    const std::string id = reply.header("X-Request-Id").value_or("");
    auto before = items_by_email(reply.body);
    BOOST_TEST(before[lost].status == "unknown");
    BOOST_TEST(before[never].status == "unknown");
    BOOST_TEST(before[fine].status == "invited");
    BOOST_TEST(!id_of(vendor, lost).empty()); // the vendor did create it
    BOOST_TEST(id_of(vendor, never).empty());

    const auto settled = post_reconcile(gateway->port(), id);
    BOOST_REQUIRE_MESSAGE(settled.status == 200u, settled.status << " " << settled.error << " " << settled.body);
    BOOST_TEST(settled.header("Content-Location").value_or("") == "/v1/requests/" + id);
    const reconcile_view counts = counts_of(settled.body);
    BOOST_TEST(counts.looked_up == 2u);
    BOOST_TEST(counts.invited == 1u);
    BOOST_TEST(counts.not_created == 1u);
    BOOST_TEST(counts.unknown == 0u);
    auto report = items_by_email(settled.body);
    BOOST_TEST(report.size() == 2u); // the looked-up items only
    BOOST_TEST(report[lost].status == "invited");
    BOOST_TEST(report[lost].invitation_id == id_of(vendor, lost)); // the vendor's integer id, as text
    BOOST_TEST(report[lost].reconciled);
    BOOST_TEST(report[never].status == "failed");
    BOOST_TEST(report[never].code == "not_created");
    BOOST_TEST(report[never].reconciled);

    // `never` is absent, so every page was read: three, each the vendor's contract (one
    // Accept, the token), the later ones after the cursor of the one before.
    const auto pages = listing_calls(vendor);
    BOOST_REQUIRE_EQUAL(pages.size(), 3u);
    BOOST_TEST(pages[0].target == vendor.invitations_path() + "?page_size=3");
    BOOST_TEST(pages[1].target.find("cursor=") != std::string::npos);
    for (const auto& page : pages) {
        BOOST_TEST(count_headers(page, "Accept") == 1u);
        BOOST_TEST(page.header("Accept").value_or("") == std::string(igw::e2e::nimbus_media_type));
        BOOST_TEST(page.header("Authorization").value_or("") == "Token " + std::string(nimbus_token));
        BOOST_TEST(!page.header("Content-Type"));
    }

    // The ledger has it: the request document, after a restart too.
    gateway.reset();
    gateway = d.start("instance-b");
    const auto recorded = get(gateway->port(), "/v1/requests/" + id);
    BOOST_REQUIRE_EQUAL(recorded.status, 200u);
    auto after = items_by_email(recorded.body);
    BOOST_TEST(after[lost].status == "invited");
    BOOST_TEST(after[lost].reconciled);
    BOOST_TEST(after[never].code == "not_created");
    BOOST_TEST(after[fine].status == "invited");
    BOOST_TEST(!after[fine].reconciled);

    // Nothing is left to look up; nothing is sent again.
    const auto again = post_reconcile(gateway->port(), id);
    BOOST_REQUIRE_EQUAL(again.status, 200u);
    BOOST_TEST(counts_of(again.body).looked_up == 0u);
    BOOST_TEST(listing_calls(vendor).size() == 3u);
    // Only the request's own client may reconcile it, and only a recorded one.
    BOOST_TEST(post_reconcile(gateway->port(), id, other_client_key).status == 404u);
    BOOST_TEST(post_reconcile(gateway->port(), "no-such-request").status == 404u);
    BOOST_TEST(get(gateway->port(), "/v1/requests/" + id + "/reconcile").status == 405u);
}

BOOST_AUTO_TEST_CASE(a_failing_listing_leaves_the_item_unknown_until_it_answers)
{
    deployment d(igw::ledger::backend_kind::sqlite, {.webhook_url = {}, .nimbus = true});
    auto& vendor = d.nimbus();
    vendor.drop_after_create(lost);
    auto gateway = d.start();
    const auto reply = post(gateway->port(), invite_body({lost}, {"nimbus"}), on_nimbus());
    BOOST_REQUIRE_EQUAL(reply.status, 207u); // the one item is unknown
    const std::string id = reply.header("X-Request-Id").value_or("");

    vendor.fail_lookups(500, 1);
    const auto failed = post_reconcile(gateway->port(), id);
    BOOST_REQUIRE_EQUAL(failed.status, 200u);
    BOOST_TEST(counts_of(failed.body).unknown == 1u);
    BOOST_TEST(items_by_email(failed.body)[lost].status == "unknown");
    BOOST_TEST(!items_by_email(failed.body)[lost].reconciled);
    // The log is written by its own thread: give it a moment (bounded).
    bool logged = false;
    for (int i = 0; i < 100 && !logged; ++i) {
        logged = gateway->log().find("\"event\":\"reconcile_lookup_failed\"") != std::string::npos;
        if (!logged)
            std::this_thread::sleep_for(20ms);
    }
    BOOST_TEST(logged, gateway->log());

    const auto settled = post_reconcile(gateway->port(), id);
    BOOST_REQUIRE_EQUAL(settled.status, 200u);
    BOOST_TEST(items_by_email(settled.body)[lost].status == "invited");
    BOOST_TEST(items_by_email(settled.body)[lost].invitation_id == id_of(vendor, lost));
}

BOOST_DATA_TEST_CASE(a_job_that_ends_with_unknown_items_reconciles_them_once_by_itself, bdata::make(both_backends),
                     backend)
{
    deployment d(backend, {.webhook_url = {}, .nimbus = true});
    auto& vendor = d.nimbus();
    vendor.drop_after_create(lost);
    vendor.drop_before_create(never);
    auto gateway = d.start();
    const auto accepted = post(gateway->port(), invite_body({lost, never, fine}, {"nimbus"}), on_nimbus(true));
    BOOST_REQUIRE_EQUAL(accepted.status, 202u);
    const std::string id = accepted.header("X-Request-Id").value_or("");
    // It waits a call timeout before it looks: not completed yet, so not for a client to reconcile.
    const auto early = post_reconcile(gateway->port(), id);
    BOOST_TEST(early.status == 409u);
    BOOST_TEST(early.header("Retry-After").value_or("") == "1");

    const auto deadline = std::chrono::steady_clock::now() + 60s;
    std::string document;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto doc = get(gateway->port(), "/v1/jobs/" + id);
        BOOST_REQUIRE_EQUAL(doc.status, 200u);
        document = doc.body;
        if (json_member(document, "status") == "completed")
            break;
        std::this_thread::sleep_for(50ms);
    }
    BOOST_REQUIRE_EQUAL(json_member(document, "status"), "completed");
    auto items = items_by_email(document);
    BOOST_TEST(items[lost].status == "invited");
    BOOST_TEST(items[lost].reconciled);
    BOOST_TEST(items[lost].invitation_id == id_of(vendor, lost));
    BOOST_TEST(items[never].code == "not_created");
    BOOST_TEST(items[fine].status == "invited");
    simdjson::dom::parser parser;
    const auto progress = parser.parse(document)["progress"];
    BOOST_TEST(progress["unknown"].get_uint64().value() == 0u);
    BOOST_TEST(progress["invited"].get_uint64().value() == 2u);
    BOOST_TEST(progress["failed"].get_uint64().value() == 1u);
    BOOST_TEST(listing_calls(vendor).size() == 1u); // once: one page holds all three
}

// The shipped lookups against the strict emulators of the two vendors that publish a
// listing (Anthropic's List Invites, paged; ClickHouse's, in one reply); the three others
// have none, so their unknown items stay unknown and are counted as such.
BOOST_AUTO_TEST_CASE(the_shipped_lookups_settle_unknown_items_at_the_vendors_that_list_invitations)
{
    using igw::emulator::fault;
    using igw::emulator::fault_kind;
    using igw::emulator::vendor;
    deployment d(igw::ledger::backend_kind::sqlite);
    for (const vendor v : {vendor::anthropic, vendor::clickhouse, vendor::warpstream})
        d.emulators().inject(v, fault{.kind = fault_kind::drop_after_create});
    auto gateway = d.start();
    const auto reply = post(gateway->port(), invite_body({lost}, {"anthropic", "clickhouse", "warpstream"}));
    BOOST_REQUIRE_EQUAL(reply.status, 207u);
    const std::string id = reply.header("X-Request-Id").value_or("");
    for (const auto& row : result_rows(reply.body))
        BOOST_TEST(row.status == "unknown", row);

    const auto settled = post_reconcile(gateway->port(), id);
    BOOST_REQUIRE_MESSAGE(settled.status == 200u, settled.status << " " << settled.error << " " << settled.body);
    const reconcile_view counts = counts_of(settled.body);
    BOOST_TEST(counts.looked_up == 2u);
    BOOST_TEST(counts.invited == 2u);
    BOOST_TEST(counts.without_lookup == 1u); // WarpStream publishes no listing
    simdjson::dom::parser parser;
    std::map<std::string, std::string> status_by_target, id_by_target;
    for (simdjson::dom::element result : parser.parse(settled.body)["results"].get_array()) {
        const std::string target(result["target"].get_string().value());
        status_by_target[target] = std::string(result["status"].get_string().value());
        if (std::string_view vendor_id; !result["invitation_id"].get(vendor_id))
            id_by_target[target] = std::string(vendor_id);
    }
    BOOST_TEST(status_by_target["anthropic"] == "invited");
    BOOST_TEST(id_by_target["anthropic"].starts_with("invite_"));
    BOOST_TEST(status_by_target["clickhouse"] == "invited");
    BOOST_TEST(id_by_target["clickhouse"].size() == 36u); // a uuid
    BOOST_TEST(status_by_target["warpstream"] == "unknown");
    // Each listing was asked once, with the vendor's own query.
    std::size_t anthropic_lists = 0;
    for (const auto& r : d.emulators().requests(vendor::anthropic))
        if (r.method == "GET") {
            ++anthropic_lists;
            BOOST_TEST(r.path == "/v1/organizations/invites?limit=1000");
        }
    BOOST_TEST(anthropic_lists == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
