// config/grafana-dashboard.json asks Prometheus only for what the gateway writes: every
// metric a panel's query names is a family of a real scrape, so that a renamed or removed
// metric fails here instead of leaving a panel silently empty in production.

#include "tests/ops/support/ops_gateway.hpp"
#include "tests/ops/support/prometheus.hpp"

#include "gateway/app/ledger_setup.hpp"
#include "gateway/dispatch/job_runner.hpp"
#include "gateway/ledger/stats.hpp"
#include "gateway/resilience/target_guard.hpp"

#include <boost/test/unit_test.hpp>

#include <simdjson.h>

#include <regex>
#include <set>

using namespace igw;
using namespace igw::ops;

namespace {

namespace dom = simdjson::dom;

// Every `expr` of every panel, a row's nested panels included; the titles of the panels
// that query nothing go to `without_query` (a panel without a query checks nothing here).
void collect_queries(dom::array panels, std::vector<std::string>& queries, std::vector<std::string>& without_query)
{
    for (dom::element element : panels) {
        dom::object panel;
        if (element.get_object().get(panel))
            continue;
        dom::array nested; // a collapsed row keeps its panels inside it
        if (!panel["panels"].get_array().get(nested))
            collect_queries(nested, queries, without_query);
        // A panel without a type or a title reads as empty ones and is checked like any other.
        std::string_view type, title;
        if (panel["type"].get_string().get(type))
            type = {};
        if (panel["title"].get_string().get(title))
            title = {};
        if (type == "row")
            continue;
        bool queried = false;
        dom::array targets;
        if (!panel["targets"].get_array().get(targets)) {
            for (dom::element target : targets) {
                std::string_view expr;
                if (!target["expr"].get_string().get(expr) && !expr.empty()) {
                    queries.emplace_back(expr);
                    queried = true;
                }
            }
        }
        if (!queried)
            without_query.emplace_back(title);
    }
}

// The sections `invitegw serve` appends to /metrics (app/serve.cpp) that the ops harness
// does not wire: per-target guards, the ledger (the harness has none, and no option for
// one) and the jobs (which need the ledger). Rather than checking names against the
// writers' source text, which a name built at run time or left in a comment would fool,
// they are the real writers' output, in serve's order: with nothing counted yet each still
// writes its HELP and TYPE lines, which is all this test reads. The guards are those of the
// served config's targets, so that the target series have samples too.
std::string serve_only_sections(const mapping::compiled_config& served)
{
    std::string out;
    resilience::target_guards guards;
    for (const auto& target : served.config.targets)
        (void)guards.get(target);
    guards.write_prometheus(out);
    app::write_ledger_metrics(ledger::stats_snapshot{}, out);
    dispatch::job_gauges jobs;
    dispatch::write_job_metrics(jobs, out);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dashboard)

BOOST_AUTO_TEST_CASE(every_metric_the_dashboard_queries_is_exposed)
{
    const std::string text = igw::test::read_file(repo_dir() + "/config/grafana-dashboard.json");
    dom::parser parser;
    dom::array panels;
    BOOST_TEST_REQUIRE(!parser.parse(text)["panels"].get_array().get(panels), "no panels array");
    std::vector<std::string> queries, without_query;
    collect_queries(panels, queries, without_query);
    BOOST_TEST(without_query.empty(), "panels without a query: " << without_query.size());
    for (const auto& title : without_query)
        BOOST_TEST_MESSAGE("no query: " << title);

    emulator::server emulators;
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    gateway gw(config_yaml(spec));
    // One invite, so that the families with labels have series as well as TYPE lines.
    const auto reply = post_invite(
        gw.port(), invite_body({{"dashboard@example.com", "member"}}, std::vector<std::string>{"anthropic"}));
    BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);

    // One exposition, as serve's /metrics is one: a family written twice (by the registry
    // and by a section) is refused here as Prometheus would refuse it.
    exposition e;
    BOOST_REQUIRE_NO_THROW(e = parse_exposition(scrape_metrics(gw.port()) + serve_only_sections(*gw.current())));

    // Names, not label values or functions: the gateway's are lower-case with underscores.
    static const std::regex metric("invitegw_[a-z_]+");
    std::set<std::string> used;
    for (const auto& query : queries) {
        for (std::sregex_iterator it(query.begin(), query.end(), metric), end; it != end; ++it) {
            std::string name = it->str();
            // A histogram has no series of its own name: a query reads its _bucket (with
            // le), _sum or _count series.
            const auto type = e.types.find(name);
            BOOST_TEST((type == e.types.end() || type->second != "histogram"),
                       name + " is a histogram: query its _bucket, _sum or _count series");
            for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
                if (e.types.contains(name) || !name.ends_with(suffix))
                    continue;
                const std::string base = name.substr(0, name.size() - suffix.size());
                const auto base_type = e.types.find(base);
                if (base_type != e.types.end() && base_type->second == "histogram")
                    name = base;
            }
            used.insert(name);
        }
    }
    for (const auto& name : used)
        BOOST_TEST(e.types.contains(name), name + " has no # TYPE line in /metrics");
    // The dashboard covers the gateway, not a corner of it.
    BOOST_TEST(used.size() >= 20u, "distinct metrics used: " << used.size());
}

BOOST_AUTO_TEST_SUITE_END()
