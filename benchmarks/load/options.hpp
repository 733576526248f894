#pragma once
// The command line of `invitegw-load` (run mode), parsed into plain values.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace igw::load {

struct load_options {
    // Where: an http:// URL's host and port, and the request target.
    std::string host = "127.0.0.1";
    std::string port = "8080";
    std::string path = "/v1/invitations";
    std::string key;                                          // sent as Authorization: Bearer
    std::vector<std::pair<std::string, std::string>> headers; // --header 'K: V', in order

    // What: a canonical invite request built per request, or the bytes of --raw-body.
    std::string raw_body_file; // non-empty: raw mode
    std::string raw_body;      // its contents (read by the caller of the parser)
    unsigned invitations = 1;
    std::vector<std::string> targets;            // empty: the field is left out
    std::vector<std::string> roles{"developer"}; // cycled over invitations

    // How much.
    double rate = 0; // requests per second; 0: as fast as the connections allow
    unsigned connections = 16;
    unsigned threads = 1;
    std::chrono::nanoseconds warmup = std::chrono::seconds(2);
    std::chrono::nanoseconds duration = std::chrono::seconds(10);
    std::chrono::nanoseconds timeout = std::chrono::seconds(10); // per request
    std::uint64_t max_requests = 0;                              // 0: until the duration ends
    unsigned expect_status = 200;                                // any other status counts as an error

    // Output.
    std::string json_file;
    std::string label;
    int watch_pid = 0;       // sample this process's CPU time and memory over the measured window
    bool print_body = false; // print request 0's body and exit (what a run would send)
};

struct parsed_options {
    load_options options;
    std::string error; // non-empty: what is wrong, for the user
    bool help = false;
};

// Parses run-mode arguments (without the program name). Does not read --raw-body's file.
parsed_options parse_options(const std::vector<std::string_view>& args);

// "10s", "500ms", "2m", "250us", or a bare number of seconds ("1.5"); nullopt otherwise.
bool parse_duration(std::string_view text, std::chrono::nanoseconds& out);

// "a,b,,c" -> {"a", "b", "c"}.
std::vector<std::string> split_list(std::string_view text);

std::string_view usage() noexcept;

} // namespace igw::load
