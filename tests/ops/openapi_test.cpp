// GET /openapi.json and what it promises: the served document is the embedded one, its
// request examples are requests the gateway accepts, and the replies the gateway really
// sends (problems, merged replies, dry runs, reloads, readiness, job documents) fit its
// schemas.

#include "tests/ops/support/json_schema.hpp"
#include "tests/ops/support/ops_gateway.hpp"

#include "gateway/api/openapi.hpp"
#include "gateway/app/commands.hpp"
#include "gateway/canonical/request_parser.hpp"
#include "gateway/dispatch/ledger_record.hpp"
#include "gateway/mapping/item_result.hpp"
#include "gateway/telemetry/metrics.hpp"

#include <boost/test/unit_test.hpp>

#include <simdjson.h>

#include <set>

using namespace igw;
using namespace igw::ops;
using emulator::fault;
using emulator::fault_kind;
using emulator::vendor;

namespace {

namespace dom = simdjson::dom;

const std::string invitations_post = "/paths/~1v1~1invitations/post";
const std::string jobs_get = "/paths/~1v1~1jobs~1{id}/get";

std::string describe(const std::vector<std::string>& violations)
{
    std::string out;
    for (const auto& v : violations)
        out += "\n  " + v;
    return out;
}

// The shipped config, with made-up values for the variables it needs.
std::shared_ptr<const mapping::compiled_config> shipped_config()
{
    const std::map<std::string, std::string, std::less<>> env{
        {"INVITEGW_CLIENT_KEY", std::string(client_key)},
        {"ANTHROPIC_ADMIN_KEY", "k"},
        {"CLICKHOUSE_ORG_ID", "7c4a8d09-ca37-4d5a-b1e8-0a3f2f5e1d11"},
        {"CLICKHOUSE_KEY_ID", "i"},
        {"CLICKHOUSE_KEY_SECRET", "s"},
        {"WARPSTREAM_API_KEY", "w"},
        {"GORULES_BASE_URL", "https://gorules.example"},
        {"GORULES_TOKEN", "t"},
        {"ATOMICWORK_TENANT", "acme"},
        {"ATOMICWORK_API_KEY", "a"}};
    return mapping::load_compiled_config(
        repo_dir() + "/config/gateway.yaml", [env](std::string_view name) -> std::optional<std::string> {
            const auto it = env.find(name);
            return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
        });
}

// The members of a JSON object, in order.
std::vector<std::string> keys_of(dom::object object)
{
    std::vector<std::string> keys;
    for (auto [key, value] : object)
        keys.emplace_back(key);
    return keys;
}

std::vector<std::string> string_array(dom::element array)
{
    std::vector<std::string> out;
    // Copied out of the simdjson_result first: iterating value_unsafe() of a temporary
    // result would iterate a dangling reference.
    const dom::array elements = array.get_array().value_unsafe();
    for (dom::element e : elements)
        out.emplace_back(e.get_string().value_unsafe());
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(openapi)

BOOST_AUTO_TEST_CASE(the_served_document_is_the_embedded_one_and_parses)
{
    gateway gw(config_yaml({}));
    const auto reply = http_request(gw.port(), "GET", "/openapi.json");
    BOOST_TEST_REQUIRE(reply.status == 200u);
    BOOST_TEST(reply.header("Content-Type").value_or("") == "application/json");
    BOOST_TEST(reply.body == api::openapi_document());

    dom::parser parser;
    dom::element root;
    BOOST_TEST_REQUIRE(!parser.parse(reply.body).get(root));
    std::string_view openapi, version;
    BOOST_TEST(!root["openapi"].get_string().get(openapi));
    BOOST_TEST(openapi == "3.1.0");
    BOOST_TEST(!root["info"]["version"].get_string().get(version));
    BOOST_TEST(version == app::version);
    // Every $ref resolves.
    const std::string text(reply.body);
    for (std::size_t at = text.find("\"$ref\""); at != std::string::npos; at = text.find("\"$ref\"", at + 1)) {
        const std::size_t open = text.find('"', text.find(':', at) + 1);
        const std::string ref = text.substr(open + 1, text.find('"', open + 1) - open - 1);
        dom::element target;
        BOOST_TEST((ref.starts_with("#/") && !root.at_pointer(ref.substr(1)).get(target)), ref);
    }
}

BOOST_AUTO_TEST_CASE(every_request_example_is_a_request_the_shipped_config_accepts)
{
    const auto loaded = shipped_config();
    const mapping::route_plan& route = loaded->mappings.routes.front();
    const canonical::validation_context context{loaded->config.roles, route.target_names,
                                                loaded->config.limits.max_invitations,
                                                loaded->config.limits.max_body_bytes};
    const schema_checker schemas{std::string(api::openapi_document())};
    dom::parser parser;
    dom::object examples;
    BOOST_TEST_REQUIRE(!parser.parse(std::string(api::openapi_document()))
                            .at_pointer(invitations_post + "/requestBody/content/application~1json/examples")
                            .get_object()
                            .get(examples));
    BOOST_TEST(examples.size() >= 2u);
    canonical::request_parser request_parser;
    for (auto [name, example] : examples) {
        BOOST_TEST_CONTEXT(name)
        {
            dom::element value;
            BOOST_TEST_REQUIRE(!example["value"].get(value));
            std::string body = simdjson::minify(value);
            BOOST_TEST(schemas.check(body, "/components/schemas/InviteRequest").empty());
            auto parsed = request_parser.parse(body, context);
            const auto* problem = std::get_if<canonical::problem>(&parsed);
            std::string detail;
            if (problem)
                problem->write_json(detail);
            BOOST_TEST(!problem, detail);
        }
    }
}

BOOST_AUTO_TEST_CASE(problems_have_exactly_the_shape_of_the_problem_schema)
{
    config_spec spec;
    spec.max_invitations = 1000;
    gateway gw(config_yaml(spec));
    const schema_checker schemas{std::string(api::openapi_document())};

    // The schema itself: the members the checks below hold replies to.
    dom::parser parser;
    dom::element problem_schema;
    BOOST_TEST_REQUIRE(!parser.parse(std::string(api::openapi_document()))
                            .at_pointer("/components/schemas/Problem")
                            .get(problem_schema));
    std::set<std::string> allowed, required;
    for (const auto& key : keys_of(problem_schema["properties"].get_object().value_unsafe()))
        allowed.insert(key);
    for (const auto& key : string_array(problem_schema["required"].value_unsafe()))
        required.insert(key);
    BOOST_TEST((allowed == std::set<std::string>{"type", "title", "status", "detail", "errors"}));
    BOOST_TEST((required == std::set<std::string>{"type", "title", "status", "detail"}));

    std::string too_many = R"({"invitations":[)";
    for (int i = 0; i < 1001; ++i)
        too_many += (i ? "," : "") + std::string(R"({"email":"p)") + std::to_string(i) +
                    R"(@example.com","role":"member"})";
    too_many += "]}";
    std::string many_errors = R"({"invitations":[)";
    for (int i = 0; i < 150; ++i)
        many_errors += (i ? "," : "") + std::string(R"({"email":"bad)") + std::to_string(i) + R"(","role":"member"})";
    many_errors += "]}";

    struct refusal {
        std::string name;
        emulator::test_request request;
        unsigned status;
    };
    const auto invite = [](std::string body) { return invite_request(std::move(body)); };
    std::vector<refusal> refusals{
        {"malformed JSON", invite(R"({"invitations": [)"), 400},
        {"unknown field", invite(R"({"invitations":[{"email":"a@example.com","role":"member"}],"colour":"red"})"), 422},
        {"bad email", invite(R"({"invitations":[{"email":"a@b","role":"member"}]})"), 422},
        {"unknown role and target",
         invite(R"({"invitations":[{"email":"a@example.com","role":"owner"}],"targets":["nope"]})"), 422},
        {"too many invitations", invite(too_many), 422},
        {"errors beyond the listed ones", invite(many_errors), 422},
        {"no key", invite_request("{}", {.key = std::nullopt}), 401},
        {"wrong media type",
         emulator::test_request{
             "POST",
             std::string(invite_path),
             {{"Authorization", "Bearer " + std::string(client_key)}, {"Content-Type", "text/plain"}},
             "{}"},
         415},
        {"too large", invite(std::string(1024 * 1024 + 1, ' ')), 413},
        {"not an admin",
         emulator::test_request{"POST", "/admin/reload", {{"Authorization", "Bearer " + std::string(client_key)}}, ""},
         403},
        {"no such route", emulator::test_request{"GET", "/v2/nothing", {}, ""}, 404},
        {"wrong method", emulator::test_request{"GET", std::string(invite_path), {}, ""}, 405},
    };
    dom::object documented;
    BOOST_TEST_REQUIRE(!parser.parse(std::string(api::openapi_document()))
                            .at_pointer(invitations_post + "/responses")
                            .get_object()
                            .get(documented));
    std::set<std::string> documented_statuses;
    for (const auto& key : keys_of(documented))
        documented_statuses.insert(key);

    for (const auto& r : refusals) {
        BOOST_TEST_CONTEXT(r.name)
        {
            emulator::test_client client("127.0.0.1", gw.port());
            const auto reply = client.send(r.request);
            BOOST_TEST_REQUIRE(reply.ok(), reply.error);
            BOOST_TEST_REQUIRE(reply.status == r.status, reply.body);
            BOOST_TEST(reply.header("Content-Type").value_or("") == "application/problem+json");
            BOOST_TEST(schemas.check(reply.body, "/components/schemas/Problem").empty(),
                       describe(schemas.check(reply.body, "/components/schemas/Problem")) << "\n"
                                                                                          << reply.body);
            // The same, spelled out, so that loosening the schema does not loosen this.
            dom::parser body_parser;
            dom::object body;
            BOOST_TEST_REQUIRE(!body_parser.parse(reply.body).get_object().get(body));
            std::set<std::string> keys;
            for (const auto& key : keys_of(body))
                keys.insert(key);
            for (const auto& key : required)
                BOOST_TEST(keys.contains(key), key);
            for (const auto& key : keys)
                BOOST_TEST(allowed.contains(key), key);
            std::int64_t status = 0;
            BOOST_TEST(!body["status"].get_int64().get(status));
            BOOST_TEST(status == r.status);
            dom::array errors;
            if (!body["errors"].get_array().get(errors)) {
                BOOST_TEST(errors.size() >= 1u);
                BOOST_TEST(errors.size() <= canonical::max_listed_errors);
                for (dom::element e : errors) {
                    dom::object item;
                    BOOST_TEST_REQUIRE(!e.get_object().get(item));
                    BOOST_TEST((keys_of(item) == std::vector<std::string>{"pointer", "detail"}));
                    std::string_view pointer;
                    BOOST_TEST(!item["pointer"].get_string().get(pointer));
                    BOOST_TEST((pointer.empty() || pointer.starts_with("/")), pointer);
                }
            }
            if (r.request.target == invite_path && r.request.method == "POST")
                BOOST_TEST(documented_statuses.contains(std::to_string(r.status)), r.status << " is not documented");
        }
    }
}

BOOST_AUTO_TEST_CASE(every_error_code_and_status_the_merge_can_produce_is_in_the_result_schema)
{
    dom::parser parser;
    const dom::element root = parser.parse(std::string(api::openapi_document())).value_unsafe();
    std::set<std::string> codes, statuses;
    dom::element element;
    BOOST_TEST_REQUIRE(
        !root.at_pointer("/components/schemas/Result/properties/error/properties/code/enum").get(element));
    for (const auto& code : string_array(element))
        codes.insert(code);
    BOOST_TEST_REQUIRE(!root.at_pointer("/components/schemas/Result/properties/status/enum").get(element));
    for (const auto& status : string_array(element))
        statuses.insert(status);

    // error_code::none is "no error": it never appears in a reply.
    std::set<std::string> produced;
    for (auto c = static_cast<unsigned>(mapping::error_code::none) + 1; c < mapping::error_code_count; ++c) {
        const std::string code(mapping::to_string(static_cast<mapping::error_code>(c)));
        BOOST_TEST(!code.empty(), c);
        BOOST_TEST(codes.contains(code), code << " is not in Result.error.code");
        produced.insert(code);
    }
    BOOST_TEST(produced == codes); // and the document lists nothing the gateway never says
    BOOST_TEST(telemetry::target_metrics::error_codes == produced.size() + 1);
    for (auto s : {mapping::item_status::invited, mapping::item_status::failed, mapping::item_status::unknown})
        BOOST_TEST(statuses.contains(std::string(mapping::to_string(s))));
    BOOST_TEST(statuses.size() == telemetry::target_metrics::statuses);
}

BOOST_AUTO_TEST_CASE(real_replies_fit_their_documented_schemas)
{
    emulator::server emulators;
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    gateway gw(config_yaml(spec));
    const schema_checker schemas{std::string(api::openapi_document())};
    const auto fits = [&](const emulator::test_response& reply, std::string_view schema) {
        const auto violations = schemas.check(reply.body, schema);
        BOOST_TEST(violations.empty(), schema << describe(violations) << "\n" << reply.body);
        BOOST_TEST(reply.header("X-Config-Version").value_or("") == gw.current()->version);
    };

    // A merged reply with every kind of result the emulators can give.
    emulators.inject(vendor::clickhouse, fault{.kind = fault_kind::status, .status = 500});
    emulators.inject(vendor::warpstream, fault{.kind = fault_kind::unreadable_body});
    emulators.inject(vendor::gorules, fault{.kind = fault_kind::status, .status = 401});
    const std::string body = invite_body(
        {{"Jane.Doe@Example.com", "developer", "crm-8812"}, {"ops@example.com", "admin"}});
    auto reply = post_invite(gw.port(), body);
    BOOST_TEST_REQUIRE(reply.status == 207u, reply.body);
    fits(reply, "/components/schemas/MergedResponse");
    fits(reply, invitations_post + "/responses/207/content/application~1json/schema");
    reply = post_invite(gw.port(), invite_body({{"fine@example.com", "member"}}));
    BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
    fits(reply, invitations_post + "/responses/200/content/application~1json/schema");

    // A dry run is the other shape a 200 may have.
    reply = post_invite(gw.port(), body, {.target = std::string(invite_path) + "?dry_run=true"});
    BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
    fits(reply, "/components/schemas/DryRunResponse");
    fits(reply, invitations_post + "/responses/200/content/application~1json/schema");

    reply = http_request(gw.port(), "GET", "/readyz");
    BOOST_TEST_REQUIRE(reply.status == 200u);
    fits(reply, "/paths/~1readyz/get/responses/200/content/application~1json/schema");

    const std::vector<std::pair<std::string, std::string>> admin{{"Authorization", "Bearer " + std::string(admin_key)}};
    reply = http_request(gw.port(), "POST", "/admin/reload", admin);
    BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
    fits(reply, "/paths/~1admin~1reload/post/responses/200/content/application~1json/schema");
    gw.write_config("roles: [\n");
    reply = http_request(gw.port(), "POST", "/admin/reload", admin);
    BOOST_TEST_REQUIRE(reply.status == 422u, reply.body);
    fits(reply, "/paths/~1admin~1reload/post/responses/422/content/application~1json/schema");
}

// The job document as the ledger's records make it (a job needs a ledger, which this
// harness does not open): as the 202 has it, while running, and completed with a page of
// results and webhook deliveries in each state.
BOOST_AUTO_TEST_CASE(job_documents_fit_the_job_schema)
{
    const schema_checker schemas{std::string(api::openapi_document())};
    const auto fits = [&](const std::string& body, std::string_view schema) {
        const auto violations = schemas.check(body, schema);
        BOOST_TEST(violations.empty(), schema << describe(violations) << "\n" << body);
    };
    const ledger::time_point at{std::chrono::milliseconds(1'796'154'707'943)};

    ledger::job_record job;
    job.request.request_id = "e35c0302e2eee531466f4bf27f3a3334";
    job.request.client = "default";
    job.request.route = std::string(invite_path);
    job.request.mode = ledger::request_mode::async;
    job.request.state = ledger::request_state::queued;
    job.request.created_at = at;
    job.counts.total = job.counts.pending = 4;
    std::string queued;
    dispatch::write_job_document(job, {}, std::nullopt, queued);
    fits(queued, "/components/schemas/JobDocument");
    fits(queued, invitations_post + "/responses/202/content/application~1json/schema");

    job.request.state = ledger::request_state::running;
    job.request.started_at = at + std::chrono::milliseconds(1);
    job.counts.pending = 2;
    job.counts.sending = 2;
    std::string running;
    dispatch::write_job_document(job, {}, std::nullopt, running);
    fits(running, jobs_get + "/responses/200/content/application~1json/schema");

    job.request.state = ledger::request_state::completed;
    job.request.completed_at = at + std::chrono::milliseconds(12);
    job.counts = {.total = 4, .invited = 3, .failed = 1};
    std::vector<ledger::item_record> page(4);
    for (std::uint32_t i = 0; i < page.size(); ++i) {
        page[i].request_id = job.request.request_id;
        page[i].invitation = i / 2;
        page[i].target = i % 2;
        page[i].email = i / 2 ? "ops@example.com" : "jane.doe@example.com";
        page[i].target_name = i % 2 ? "gorules" : "anthropic";
        page[i].status = ledger::item_status::invited;
        page[i].invitation_id = "inv-" + std::to_string(i);
        page[i].expires_at = "2026-12-08T19:51:47.949Z";
        page[i].vendor_status = "pending";
        page[i].upstream_status = 200;
        page[i].attempts = 1;
    }
    page[0].ref = "crm-8812";
    // An item no call was made for: no vendor fields, an error, no attempt.
    page[2].invitation_id.clear();
    page[2].expires_at.clear();
    page[2].vendor_status.clear();
    page[2].upstream_status = 0;
    page[2].attempts = 0;
    page[2].status = ledger::item_status::failed;
    page[2].error_code = "role_not_supported";
    page[2].message = "role admin has no mapping on target anthropic";
    for (const auto state :
         {ledger::delivery_state::delivered, ledger::delivery_state::pending, ledger::delivery_state::failed}) {
        ledger::webhook_delivery d;
        d.delivery_id = "msg_" + std::to_string(static_cast<int>(state));
        d.request_id = job.request.request_id;
        d.event_type = "invitation.job.completed";
        d.state = state;
        d.attempts = 2;
        d.next_attempt_at = at + std::chrono::seconds(5);
        d.history.push_back({1, at, 500, "the receiver answered 500", 5});
        d.history.push_back({2, at + std::chrono::seconds(1), state == ledger::delivery_state::delivered ? 204u : 0u,
                             state == ledger::delivery_state::delivered ? "" : "cannot connect to 127.0.0.1:9: refused",
                             1});
        job.deliveries.push_back(std::move(d));
    }
    std::string completed;
    dispatch::write_job_document(job, page, 1000, completed);
    fits(completed, "/components/schemas/JobDocument");
    fits(completed, jobs_get + "/responses/200/content/application~1json/schema");
    std::string last_page;
    dispatch::write_job_document(job, page, std::nullopt, last_page);
    fits(last_page, "/components/schemas/JobDocument");
    BOOST_TEST(last_page.find(R"("next_cursor":null)") != std::string::npos, last_page);

    // And the schema is strict enough to notice a document that drifts from it.
    std::string drifted = completed;
    drifted.replace(drifted.find(R"("status":"completed")"), 20, R"("status":"finished" )");
    BOOST_TEST(!schemas.check(drifted, "/components/schemas/JobDocument").empty());
    BOOST_TEST(!schemas
                    .check(R"({"job_id":"j","status":"queued","route":"/v1/invitations",)"
                           R"("created_at":"t","progress":{"items":1},"webhook_deliveries":[]})",
                           "/components/schemas/JobDocument")
                    .empty()); // progress without its counts
}

// POST /v1/requests/{id}/reconcile's report as the pipeline writes it: one item found in
// the vendor's listing, one absent from it.
BOOST_AUTO_TEST_CASE(reconcile_reports_fit_their_schema)
{
    const schema_checker schemas{std::string(api::openapi_document())};
    const std::string reconcile_post = "/paths/~1v1~1requests~1{request_id}~1reconcile/post";
    std::vector<ledger::item_record> items(2);
    for (std::uint32_t i = 0; i < items.size(); ++i) {
        items[i].request_id = "crash-b";
        items[i].invitation = i;
        items[i].email = i ? "joe@example.com" : "jane@example.com";
        items[i].target_name = "anthropic";
        items[i].upstream_status = 0;
        items[i].attempts = 1;
    }
    items[0].status = ledger::item_status::invited;
    items[0].invitation_id = "invite_01";
    items[1].status = ledger::item_status::failed;
    items[1].error_code = "not_created";
    items[1].message = "target anthropic does not list an invitation for this email";
    dispatch::reconcile_counts counts{.looked_up = 2, .invited = 1, .not_created = 1};
    std::string report;
    dispatch::write_reconcile_report("crash-b", counts, items, report);
    for (const std::string& schema : {std::string("/components/schemas/ReconcileReport"),
                                      reconcile_post + "/responses/200/content/application~1json/schema"}) {
        const auto violations = schemas.check(report, schema);
        BOOST_TEST(violations.empty(), schema << describe(violations) << "\n" << report);
    }
    std::string drifted = report;
    drifted.replace(drifted.find(R"("looked_up")"), 11, R"("looked_at")");
    BOOST_TEST(!schemas.check(drifted, "/components/schemas/ReconcileReport").empty());
}

// Without a ledger there is nowhere to keep a job: Prefer: respond-async is served
// synchronously, and GET /v1/jobs/{id} finds nothing; both as the document says.
BOOST_AUTO_TEST_CASE(without_a_ledger_respond_async_is_served_synchronously_and_jobs_are_not_found)
{
    emulator::server emulators;
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    gateway gw(config_yaml(spec));
    const schema_checker schemas{std::string(api::openapi_document())};

    dom::parser parser;
    const dom::element root = parser.parse(std::string(api::openapi_document())).value_unsafe();
    dom::array parameters;
    BOOST_TEST_REQUIRE(!root.at_pointer(invitations_post + "/parameters").get_array().get(parameters));
    bool prefer_documented = false;
    for (dom::element p : parameters) {
        std::string_view name;
        prefer_documented = prefer_documented || (!p["name"].get_string().get(name) && name == "Prefer");
    }
    BOOST_TEST(prefer_documented);

    auto reply = post_invite(gw.port(), invite_body({{"fine@example.com", "member"}}),
                             {.headers = {{"Prefer", "respond-async"}}});
    BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
    BOOST_TEST(!reply.header("Preference-Applied"));
    BOOST_TEST(schemas.check(reply.body, invitations_post + "/responses/200/content/application~1json/schema").empty(),
               reply.body);

    reply = http_request(gw.port(), "GET", "/v1/jobs/e35c0302e2eee531466f4bf27f3a3334",
                         {{"Authorization", "Bearer " + std::string(client_key)}});
    BOOST_TEST_REQUIRE(reply.status == 404u, reply.body);
    BOOST_TEST(schemas.check(reply.body, "/components/schemas/Problem").empty(), reply.body);
    dom::element documented;
    BOOST_TEST(!root.at_pointer(jobs_get + "/responses/404").get(documented));
    reply = http_request(gw.port(), "GET", "/v1/jobs/e35c0302e2eee531466f4bf27f3a3334");
    BOOST_TEST(reply.status == 401u, reply.body);
}

BOOST_AUTO_TEST_CASE(the_schema_checker_notices_what_it_is_asked_to)
{
    const schema_checker schemas{std::string(api::openapi_document())};
    const std::string problem = "/components/schemas/Problem";
    BOOST_TEST(schemas.check(R"({"type":"t","title":"T","status":400,"detail":"d"})", problem).empty());
    BOOST_TEST(!schemas.check(R"({"type":"t","title":"T","status":400})", problem).empty());                // required
    BOOST_TEST(!schemas.check(R"({"type":"t","title":"T","status":"400","detail":"d"})", problem).empty()); // type
    BOOST_TEST(!schemas.check(R"({"type":"t","title":"T","status":400,"detail":"d","x":1})", problem).empty());
    BOOST_TEST(
        !schemas.check(R"({"type":"t","title":"T","status":400,"detail":"d","errors":[{"pointer":""}]})", problem)
             .empty());
    BOOST_TEST(
        !schemas
             .check(
                 R"({"request_id":"r","summary":{"invitations":1,"targets":1,"invited":0,"failed":1,"unknown":0},)"
                 R"("results":[{"index":0,"email":"e","target":"t","status":"failed","error":{"code":"oops","message":""}}]})",
                 "/components/schemas/MergedResponse")
             .empty()); // enum
}

BOOST_AUTO_TEST_SUITE_END()
