// invitegw: wires the command line to the gateway library and nothing more.
#include "gateway/app/cli.hpp"

int main(int argc, char** argv) { return igw::app::run_cli(argc, argv); }
