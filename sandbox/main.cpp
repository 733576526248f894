// invitegw-emulator: the five vendor emulators as a standalone process, for benchmarks and
// manual runs. Prints the environment that points config/gateway.yaml at it, then "ready".

#include "sandbox/emulator.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <pthread.h>
#include <string>
#include <string_view>

namespace {

int usage(const char* program)
{
    std::fprintf(stderr,
                 "usage: %s [--threads N] [--latency-ms N] [--tls-cert FILE --tls-key FILE]\n"
                 "          [--no-record] [--invitations-kept N] [--path-prefix /P] [--address A]\n"
                 "          [--warpstream-max-batch N]\n",
                 program);
    return 2;
}

bool parse_unsigned(const char* text, unsigned long& out)
{
    if (!text || !*text)
        return false;
    char* end = nullptr;
    out = std::strtoul(text, &end, 10);
    return *end == '\0' && text[0] != '-';
}

} // namespace

int main(int argc, char** argv)
{
    igw::emulator::options options;
    options.threads = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        unsigned long number = 0;
        if (flag == "--no-record") {
            options.record = false;
            continue;
        }
        if (!value)
            return usage(argv[0]);
        ++i;
        if (flag == "--threads" && parse_unsigned(value, number) && number > 0)
            options.threads = static_cast<unsigned>(number);
        else if (flag == "--latency-ms" && parse_unsigned(value, number))
            options.latency = std::chrono::milliseconds(number);
        else if (flag == "--invitations-kept" && parse_unsigned(value, number))
            options.invitations_kept = number;
        else if (flag == "--warpstream-max-batch" && parse_unsigned(value, number) && number > 0)
            options.warpstream_max_batch = number;
        else if (flag == "--tls-cert")
            options.tls_certificate_file = value;
        else if (flag == "--tls-key")
            options.tls_private_key_file = value;
        else if (flag == "--path-prefix")
            options.path_prefix = value;
        else if (flag == "--address")
            options.address = value;
        else
            return usage(argv[0]);
    }

    // Block the stop signals before the server starts its threads (they inherit the
    // mask), so that only sigwait below ever sees them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    try {
        igw::emulator::server server(options);
        for (const auto& [name, value] : igw::emulator::environment_for(server))
            std::cout << name << '=' << value << '\n';
        std::cout << "ready" << std::endl;
        int received = 0;
        sigwait(&stop_signals, &received);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "invitegw-emulator: %s\n", e.what());
        return 1;
    }
    return 0;
}
