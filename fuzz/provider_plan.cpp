// Arbitrary text compiled as providers/<name>.yaml: a provider file, however broken,
// is either compiled into a plan or refused with config_error diagnostics, and a plan's
// contract example is checked against it; nothing else may escape (an uncaught
// exception aborts and counts as a crash).

#include "gateway/mapping/provider_plan.hpp"
#include "gateway/config/yaml_reader.hpp"
#include "gateway/mapping/contract_example.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

std::string provider_file;

// A few variables are set, so that ${VAR} and ${VAR:-default} take both paths.
std::optional<std::string> environment(std::string_view name)
{
    if (name == "TOKEN")
        return "t0ken";
    if (name == "EMPTY")
        return "";
    if (name == "ORG")
        return "org/../1";
    return std::nullopt;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    // The compiler reads a file (it names it in diagnostics): one per process, in
    // memory where the machine has a tmpfs.
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                                    : (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
    provider_file = std::string(dir) + "/igw-fuzz-provider-" + std::to_string(getpid()) + ".yaml";
    std::atexit([] { std::remove(provider_file.c_str()); });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::FILE* f = std::fopen(provider_file.c_str(), "wb");
    if (!f)
        std::abort();
    if (size > 0 && std::fwrite(data, 1, size, f) != size)
        std::abort();
    std::fclose(f);

    static const igw::config::env_lookup env = environment;
    try {
        const igw::mapping::provider_plan plan = igw::mapping::load_provider_plan("fuzz", provider_file, env);
        if (plan.max_items == 0 || plan.method.empty())
            std::abort();
        // Whatever the example and the mapping hold, the check answers with lines.
        for (const std::string& problem : igw::mapping::check_contract_example(plan))
            if (problem.empty())
                std::abort();
    } catch (const igw::config::config_error& e) {
        if (e.diagnostics().empty())
            std::abort(); // a refusal must say why
    }
    return 0;
}
