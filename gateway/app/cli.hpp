#pragma once
// The `invitegw` command line (SPEC §5): check-config, serve, serve --sandbox.

namespace igw::app {

// Runs the command named by argv and returns the process exit status.
int run_cli(int argc, char** argv);

} // namespace igw::app
