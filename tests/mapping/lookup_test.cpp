// A provider's `lookup` (the vendor's listing of invitations, for reconcile): compiled
// and checked at load, bound to each target (path, parameters, fixed query, the create
// call's headers without Content-Type), and its pages read into emails, ids and cursors.

#include "gateway/mapping/compiled_config.hpp"
#include "gateway/mapping/lookup_page.hpp"

#include "tests/mapping/support/mapping_support.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

namespace mapping = igw::mapping;
using namespace igw::mapping::test;

namespace {

const std::string provider_head = R"(secrets: [token]
params:
  required: [org]
request:
  method: POST
  path: /orgs/{param.org}/invites
  headers:
    Authorization: "Bearer {secret.token}"
  body:
    email: {$item: email}
roles:
  type: none
reply:
  success: [201]
  items: object
  fields:
    invitation_id: /id
)";

const std::string paged_lookup = R"(lookup:
  path: /orgs/{param.org}/invites
  query:
    per_page: "50"
    state: pending invites
  items: /page/entries
  match: address
  invitation_id: id
  paging:
    cursor: after
    next: /page/next
    more: /page/more
  max_pages: 3
)";

const std::string config_text = R"(providers_dir: providers
roles: [member]
clients:
  - name: app
    key: 0123456789abcdef
routes:
  - path: /v1/invitations
    targets: [t0]
targets:
  - name: t0
    provider: p
    base_url: https://t0.example/prefix
    params: {org: "acme/eu"}
    secrets: {token: tk0}
)";

struct lookup_files {
    temp_dir dir;
    std::string provider_text, provider_file, config_file;

    explicit lookup_files(std::string provider) : provider_text(std::move(provider))
    {
        provider_file = dir.write("providers/p.yaml", provider_text);
        config_file = dir.write("gateway.yaml", config_text);
    }
    std::string at(std::string_view needle, std::string_view key) const
    {
        return provider_file + ":" + position(provider_text, needle) + ": " + std::string(key) + ": ";
    }
};

void expect_lookup_error(const std::string& lookup, std::string_view needle, std::string_view key,
                         std::string_view message_part)
{
    lookup_files files(provider_head + lookup);
    const auto errors = load_errors(files.config_file, {});
    BOOST_TEST(errors.size() == 1u, joined(errors));
    BOOST_TEST(has_diagnostic(errors, files.at(needle, key), message_part),
               "expected " << files.at(needle, key) << "..." << message_part << "\ngot:\n"
                           << joined(errors));
}

mapping::lookup_plan paged_plan()
{
    mapping::lookup_plan plan;
    plan.items_pointer = "/page/entries";
    plan.match_member = "address";
    plan.invitation_id_member = "id";
    plan.cursor_param = "after";
    plan.next_cursor_pointer = "/page/next";
    plan.has_more_pointer = "/page/more";
    return plan;
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_lookup)

BOOST_AUTO_TEST_CASE(is_bound_to_each_target_with_its_query_and_without_content_type)
{
    lookup_files files(provider_head + paged_lookup);
    const auto config = load(files.config_file, {});
    const mapping::target_plan& target = config->mappings.targets.at(0);
    BOOST_TEST_REQUIRE(target.has_lookup());
    // The base URL's prefix, the parameter as one encoded segment, the fixed query encoded.
    BOOST_TEST(target.lookup_target == "/prefix/orgs/acme%2Feu/invites?per_page=50&state=pending%20invites");
    bool authorization = false;
    for (const auto& header : target.lookup_headers) {
        BOOST_TEST(header.name != "Content-Type");
        if (header.name == "Authorization") {
            authorization = true;
            BOOST_TEST(header.value == "Bearer tk0");
            BOOST_TEST(header.secret);
        }
    }
    BOOST_TEST(authorization);
    const mapping::lookup_plan& lookup = *target.provider->lookup;
    BOOST_TEST(lookup.max_pages == 3u);
    BOOST_TEST(lookup.cursor_param == "after");
    BOOST_TEST(lookup.next_cursor_pointer == "/page/next");
}

BOOST_AUTO_TEST_CASE(a_provider_without_one_has_none)
{
    lookup_files files(provider_head);
    const auto config = load(files.config_file, {});
    BOOST_TEST(!config->mappings.targets.at(0).has_lookup());
}

BOOST_AUTO_TEST_CASE(the_shipped_vendors_that_publish_a_listing_have_one)
{
    const auto config = load(shipped_config_path(), golden_env());
    for (const auto& target : config->mappings.targets) {
        const bool lists = target.name == "anthropic" || target.name == "clickhouse";
        BOOST_TEST(target.has_lookup() == lists, target.name);
        if (target.name == "anthropic")
            BOOST_TEST(target.lookup_target == "/v1/organizations/invites?limit=1000");
    }
}

BOOST_AUTO_TEST_CASE(mistakes_are_reported_where_they_are)
{
    expect_lookup_error("lookup:\n  path: orgs/x\n  items: /data\n  match: email\n  invitation_id: id\n", "orgs/x",
                        "lookup.path", "starting with '/'");
    expect_lookup_error("lookup:\n  path: /orgs?page=1\n  items: /data\n  match: email\n  invitation_id: id\n",
                        "/orgs?page=1", "lookup.path", "lookup.query");
    expect_lookup_error("lookup:\n  path: /orgs/{param.nope}\n  items: /data\n  match: email\n  invitation_id: id\n",
                        "/orgs/{param.nope}", "lookup.path", "not listed under `params`");
    expect_lookup_error("lookup:\n  path: /orgs\n  items: data\n  match: email\n  invitation_id: id\n", "data",
                        "lookup.items", "JSON Pointer");
    expect_lookup_error("lookup:\n  path: /orgs\n  items: /data\n  match: /a/b\n  invitation_id: id\n", "/a/b",
                        "lookup.match", "one member");
    expect_lookup_error("lookup:\n  path: /orgs\n  items: /data\n  match: email\n  invitation_id: id\n"
                        "  paging:\n    next: /next\n",
                        "next: /next", "lookup.paging.cursor", "required");
    expect_lookup_error("lookup:\n  path: /orgs\n  query: {after: x}\n  items: /data\n  match: email\n"
                        "  invitation_id: id\n  paging: {cursor: after, next: /next}\n",
                        "after, next", "lookup.paging.cursor", "also a fixed parameter");
    expect_lookup_error("lookup:\n  path: /orgs\n  items: /data\n  match: email\n  invitation_id: id\n"
                        "  max_pages: 0\n",
                        "0\n", "lookup.max_pages", "");
    expect_lookup_error("lookup:\n  path: /orgs\n  items: /data\n  match: email\n  invitation_id: id\n  sort: asc\n",
                        "sort", "lookup.sort", "");
}

BOOST_AUTO_TEST_CASE(a_page_gives_emails_ids_and_the_next_cursor)
{
    mapping::lookup_reader reader;
    mapping::lookup_page page;
    const auto plan = paged_plan();
    const std::string body = R"({"page": {"entries": [
        {"address": "Ada@Example.TEST", "id": 90210},
        {"address": "bob@example.test", "id": "inv_2"},
        {"kind": "group", "id": 7},
        {"address": "carol@example.test", "id": null}
      ], "next": "c-2", "more": true}})";
    BOOST_TEST(reader.read(plan, body, page) == "");
    BOOST_TEST_REQUIRE(page.invitations.size() == 3u);
    BOOST_TEST(page.invitations[0].email == "ada@example.test"); // compared lower-case
    BOOST_TEST(page.invitations[0].invitation_id == "90210");    // an integer id as text
    BOOST_TEST(page.invitations[1].invitation_id == "inv_2");
    BOOST_TEST(page.invitations[2].invitation_id == "");
    BOOST_TEST_REQUIRE(page.next_cursor.has_value());
    BOOST_TEST(*page.next_cursor == "c-2");
}

BOOST_AUTO_TEST_CASE(the_last_page_ends_the_listing)
{
    mapping::lookup_reader reader;
    mapping::lookup_page page;
    auto plan = paged_plan();
    BOOST_TEST(reader.read(plan, R"({"page": {"entries": [], "next": "c-9", "more": false}})", page) == "");
    BOOST_TEST(!page.next_cursor.has_value()); // has_more false wins over a cursor
    BOOST_TEST(reader.read(plan, R"({"page": {"entries": [], "next": null}})", page) == "");
    BOOST_TEST(!page.next_cursor.has_value());
    plan.has_more_pointer.clear();
    BOOST_TEST(reader.read(plan, R"({"page": {"entries": [], "next": ""}})", page) == "");
    BOOST_TEST(!page.next_cursor.has_value());
    // Without paging the first page is the whole listing, whatever else it says.
    plan.cursor_param.clear();
    BOOST_TEST(reader.read(plan, R"({"page": {"entries": [], "next": "c-3"}})", page) == "");
    BOOST_TEST(!page.next_cursor.has_value());
}

BOOST_AUTO_TEST_CASE(a_page_that_cannot_be_read_says_why)
{
    mapping::lookup_reader reader;
    mapping::lookup_page page;
    const auto plan = paged_plan();
    BOOST_TEST(reader.read(plan, R"({"page": {"entries": [)", page) == "the page is not well-formed JSON");
    BOOST_TEST(reader.read(plan, R"({"page": {"entries": {}}})", page) == "the page has no array at /page/entries");
    BOOST_TEST(reader.read(plan, R"({"page": {"entries": [3]}})", page) == "/page/entries/0 is not an object");
    BOOST_TEST(reader.read(plan, R"({"page": {"entries": [{"address": 5}]}})", page) ==
               "/page/entries/0/address is not a string");
    BOOST_TEST(reader.read(plan, R"({"page": {"entries": [{"address": "a@b.test", "id": [1]}]}})", page) ==
               "/page/entries/0/id is neither a string nor an integer");
    BOOST_TEST(reader.read(plan, R"({"page": {"entries": [], "more": "yes"}})", page) == "/page/more is not a boolean");
    BOOST_TEST(reader.read(plan, R"({"page": {"entries": [], "more": true}})", page).find("says more pages follow") !=
               std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
