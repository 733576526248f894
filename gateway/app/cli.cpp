#include "gateway/app/cli.hpp"

#include "gateway/app/commands.hpp"

#include <charconv>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace igw::app {
namespace {

constexpr std::string_view usage = R"(usage:
  invitegw serve --config FILE      serve the routes of FILE
  invitegw serve --sandbox          serve with built-in vendor emulators on loopback
  invitegw check-config FILE        validate FILE and its provider mappings, print a summary
  invitegw explain --config FILE REQUEST.json
                                    print the vendor calls REQUEST.json would make
  invitegw ledger requests|unknown [--limit N] --config FILE
                                    list recent requests, or items whose outcome is unknown
  invitegw ledger show REQUEST_ID --config FILE
                                    one recorded request with its items, as JSON
  invitegw ledger prune --config FILE
                                    delete what is past the configured retention now
  invitegw --version
options for serve:
  --log-format json|text            structured JSON lines (default) or text for humans
)";

int usage_error(std::string_view message)
{
    std::cerr << "invitegw: " << message << "\n\n" << usage;
    return 2;
}

int run_ledger(const std::vector<std::string_view>& args)
{
    ledger_options options;
    std::vector<std::string_view> positional;
    for (std::size_t i = 1; i < args.size(); ++i) {
        if (args[i] == "--config" && i + 1 < args.size()) {
            options.config_file = args[++i];
        } else if (args[i] == "--limit" && i + 1 < args.size()) {
            const std::string_view text = args[++i];
            std::size_t limit = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
            if (ec != std::errc{} || end != text.data() + text.size() || limit == 0 || limit > 100000)
                return usage_error("--limit is a number from 1 to 100000");
            options.limit = limit;
        } else if (args[i].starts_with("--")) {
            return usage_error("unknown option " + std::string(args[i]));
        } else {
            positional.push_back(args[i]);
        }
    }
    if (positional.empty())
        return usage_error("ledger takes an action: requests, unknown, show or prune");
    options.action = positional[0];
    const bool show = options.action == "show";
    if (options.action != "requests" && options.action != "unknown" && !show && options.action != "prune")
        return usage_error("unknown ledger action " + options.action);
    if (positional.size() != (show ? 2u : 1u))
        return usage_error(show ? "ledger show takes one REQUEST_ID"
                                : "unexpected argument " + std::string(positional.back()));
    if (show)
        options.request_id = positional[1];
    if (options.config_file.empty())
        return usage_error("ledger needs --config FILE");
    return ledger_command(options, std::cout, std::cerr);
}

} // namespace

int run_cli(int argc, char** argv)
{
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.empty())
        return usage_error("no command given");
    const std::string_view command = args[0];
    if (command == "--help" || command == "-h" || command == "help") {
        std::cout << usage;
        return 0;
    }
    if (command == "--version") {
        std::cout << "invitegw " << version << "\n";
        return 0;
    }
    if (command == "check-config") {
        if (args.size() != 2)
            return usage_error("check-config takes one FILE");
        return check_config(std::string(args[1]), std::cout, std::cerr);
    }
    if (command == "ledger")
        return run_ledger(args);
    if (command == "serve" || command == "explain") {
        serve_options options;
        std::vector<std::string> positional;
        for (std::size_t i = 1; i < args.size(); ++i) {
            if (args[i] == "--config" && i + 1 < args.size())
                options.config_file = args[++i];
            else if (args[i] == "--sandbox" && command == "serve")
                options.sandbox = true;
            else if (args[i] == "--log-format" && i + 1 < args.size()) {
                options.log_format = args[++i];
                if (options.log_format != "json" && options.log_format != "text")
                    return usage_error("--log-format is json or text");
            } else if (!args[i].starts_with("--"))
                positional.emplace_back(args[i]);
            else
                return usage_error("unknown option " + std::string(args[i]));
        }
        if (command == "explain") {
            if (options.config_file.empty() || positional.size() != 1)
                return usage_error("explain takes --config FILE and one REQUEST.json");
            return explain(options.config_file, positional[0], std::cout, std::cerr);
        }
        if (!positional.empty())
            return usage_error("unexpected argument " + positional[0]);
        if (options.sandbox == !options.config_file.empty())
            return usage_error("serve takes either --config FILE or --sandbox");
        return serve(options);
    }
    return usage_error("unknown command " + std::string(command));
}

} // namespace igw::app
