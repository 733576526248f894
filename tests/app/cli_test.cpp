// The `invitegw` command line: exit statuses scripts rely on (0 done, 1 a bad config,
// 2 a usage error with the usage printed) and where each message goes.

#include "gateway/app/cli.hpp"
#include "gateway/app/commands.hpp"

#include "tests/app/support/config_file.hpp"

#include <boost/test/unit_test.hpp>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace app = igw::app;
using namespace igw::app::test;

namespace {

// Runs the command line with std::cout and std::cerr captured. Never used for a command
// line that would start serving.
run run_invitegw(std::vector<std::string> args)
{
    args.insert(args.begin(), "invitegw");
    std::vector<char*> argv;
    for (std::string& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::ostringstream out, err;
    std::streambuf* const old_out = std::cout.rdbuf(out.rdbuf());
    std::streambuf* const old_err = std::cerr.rdbuf(err.rdbuf());
    run r;
    try {
        r.status = app::run_cli(static_cast<int>(args.size()), argv.data());
    } catch (...) {
        std::cout.rdbuf(old_out);
        std::cerr.rdbuf(old_err);
        throw;
    }
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

void expect_usage_error(const std::vector<std::string>& args, std::string_view message)
{
    BOOST_TEST_CONTEXT("invitegw " << (args.empty() ? "" : args[0]) << " ... (" << args.size() << " args)")
    {
        const run r = run_invitegw(args);
        BOOST_TEST(r.status == 2);
        BOOST_TEST(r.out.empty(), r.out);
        BOOST_TEST(r.err.starts_with("invitegw: " + std::string(message) + "\n"), r.err);
        BOOST_TEST(contains(r.err, "usage:\n"), r.err);
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(version_and_help_exit_0_on_stdout)
{
    run r = run_invitegw({"--version"});
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out == "invitegw " + std::string(app::version) + "\n");
    BOOST_TEST(r.err.empty());
    for (const char* help : {"--help", "-h", "help"}) {
        r = run_invitegw({help});
        BOOST_TEST(r.status == 0);
        BOOST_TEST(r.out.starts_with("usage:\n"), r.out);
        BOOST_TEST(contains(r.out, "invitegw check-config FILE"));
        BOOST_TEST(r.err.empty());
    }
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2_with_the_usage_on_stderr)
{
    expect_usage_error({}, "no command given");
    expect_usage_error({"frobnicate"}, "unknown command frobnicate");
    expect_usage_error({"check-config"}, "check-config takes one FILE");
    expect_usage_error({"check-config", "a.yaml", "b.yaml"}, "check-config takes one FILE");
    expect_usage_error({"serve"}, "serve takes either --config FILE or --sandbox");
    expect_usage_error({"serve", "--config", "a.yaml", "--sandbox"}, "serve takes either --config FILE or --sandbox");
    expect_usage_error({"serve", "--config", "a.yaml", "extra"}, "unexpected argument extra");
    expect_usage_error({"serve", "--verbose"}, "unknown option --verbose");
    expect_usage_error({"serve", "--config", "a.yaml", "--log-format", "xml"}, "--log-format is json or text");
    expect_usage_error({"explain", "--sandbox", "r.json"}, "unknown option --sandbox");
    expect_usage_error({"explain", "r.json"}, "explain takes --config FILE and one REQUEST.json");
    expect_usage_error({"explain", "--config", "a.yaml"}, "explain takes --config FILE and one REQUEST.json");
}

BOOST_AUTO_TEST_CASE(check_config_exits_with_the_commands_status)
{
    const igw::test::temp_dir dir;
    const std::string good = write_config(dir, valid_config_text());
    run r = run_invitegw({"check-config", good});
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out.starts_with(good + ": OK\n"), r.out);

    const std::string bad = dir.write("bad.yaml", "listen: [\n");
    r = run_invitegw({"check-config", bad});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.out.empty(), r.out);
    BOOST_TEST(contains(r.err, bad), r.err);
}

BOOST_AUTO_TEST_SUITE_END()
