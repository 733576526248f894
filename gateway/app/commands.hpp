#pragma once
// The commands behind the `invitegw` command line, callable from tests.

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

namespace igw::app {

inline constexpr std::string_view version = "0.1.0";

// Validates FILE and its provider mappings; prints a redacted summary to `out`
// and returns 0, or prints every problem to `err` and returns 1.
int check_config(const std::string& file, std::ostream& out, std::ostream& err);

// Prints the vendor calls the canonical request in REQUEST would make (secrets redacted).
int explain(const std::string& config_file, const std::string& request_file, std::ostream& out, std::ostream& err);

struct serve_options {
    std::string config_file;
    bool sandbox = false;
    std::string log_format = "json";
};

// Serves until SIGTERM/SIGINT; returns the exit status.
int serve(const serve_options& options);

struct ledger_options {
    std::string config_file;
    std::string action;     // requests, unknown, show, prune
    std::string request_id; // for show
    std::size_t limit = 50; // for requests and unknown
};

// `invitegw ledger ACTION`: reads (or prunes) the ledger the config's `state` names.
int ledger_command(const ledger_options& options, std::ostream& out, std::ostream& err);

} // namespace igw::app
