#pragma once
// The `invitegw` command line (docs/api.md "9. Command line"): serve, serve --sandbox,
// check-config, explain, --version.

namespace igw::app {

// Runs the command named by argv and returns the process exit status.
int run_cli(int argc, char** argv);

} // namespace igw::app
