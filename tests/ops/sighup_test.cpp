// SIGHUP against the real `invitegw serve --config FILE` process: it reloads a valid
// config, keeps serving the old one when the new one is broken, and exits 0 on SIGTERM.
// The process's JSON log lines on stdout tell the test when it listens and when a
// reload is done, so nothing waits by the clock.

#include "tests/ops/support/ops_gateway.hpp"

#include <boost/test/unit_test.hpp>

#include <simdjson.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

using namespace igw;
using namespace igw::ops;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

// The invitegw binary of this build: given by the build, else beside the test program's
// directory (build/tests/igw_ops_tests -> build/gateway/invitegw).
fs::path invitegw_binary()
{
#ifdef IGW_INVITEGW_BINARY
    return IGW_INVITEGW_BINARY;
#else
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec)
        return {};
    return self.parent_path().parent_path() / "gateway" / "invitegw";
#endif
}

struct binary_present {
    boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const
    {
        const fs::path binary = invitegw_binary();
        boost::test_tools::assertion_result result(!binary.empty() && fs::exists(binary));
        result.message() << "the invitegw binary is not built (" << binary << ")";
        return result;
    }
};

// A child process whose stdout is read line by line; killed and reaped if still running
// when destroyed.
class child_process {
public:
    explicit child_process(const std::vector<std::string>& argv)
    {
        int fds[2];
        // Close-on-exec, so the child inherits only the dup2'd stdout.
        if (::pipe2(fds, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe failed");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
        std::vector<char*> args;
        for (const auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        char* no_environment[] = {nullptr};
        const int error = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), no_environment);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        read_fd_ = fds[0];
        if (error != 0) {
            ::close(read_fd_);
            throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(error));
        }
    }
    ~child_process()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        ::close(read_fd_);
    }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    void signal(int number) const { ::kill(pid_, number); }

    // The next stdout line, or nullopt at end of output or when `timeout` passes first.
    std::optional<std::string> next_line(std::chrono::milliseconds timeout)
    {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (const std::size_t end = buffer_.find('\n'); end != std::string::npos) {
                std::string line = buffer_.substr(0, end);
                buffer_.erase(0, end + 1);
                return line;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                                    std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return std::nullopt;
            pollfd p{read_fd_, POLLIN, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready <= 0)
                return std::nullopt;
            char chunk[4096];
            const ssize_t n = ::read(read_fd_, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return std::nullopt; // the child closed its stdout
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    // The next log line whose event is `event` (others are skipped), parsed.
    std::optional<std::string> next_event(std::string_view event, std::chrono::milliseconds timeout)
    {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                                    std::chrono::steady_clock::now());
            auto line = next_line(std::max(left, 0ms));
            if (!line)
                return std::nullopt;
            simdjson::dom::parser parser;
            std::string_view name;
            if (!parser.parse(*line)["event"].get_string().get(name) && name == event)
                return line;
        }
    }

    // Waits for the exit (bounded by `timeout`); the exit status, or -1.
    int wait_exit(std::chrono::milliseconds timeout)
    {
        // The child's stdout closes when it exits; then waitpid does not block for long.
        while (next_line(timeout)) {
        }
        int status = 0;
        if (::waitpid(pid_, &status, 0) != pid_)
            return -1;
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

private:
    pid_t pid_ = -1;
    int read_fd_ = -1;
    std::string buffer_;
};

std::string field(const std::string& line, std::string_view name)
{
    simdjson::dom::parser parser;
    std::string_view value;
    if (parser.parse(line)[name].get_string().get(value))
        return {};
    return std::string(value);
}

std::uint16_t port_field(const std::string& line)
{
    simdjson::dom::parser parser;
    std::uint64_t port = 0;
    if (parser.parse(line)["port"].get_uint64().get(port))
        return 0;
    return static_cast<std::uint16_t>(port);
}

} // namespace

BOOST_AUTO_TEST_SUITE(sighup)

BOOST_AUTO_TEST_CASE(sighup_reloads_the_serving_process, *boost::unit_test::precondition(binary_present()))
{
    emulator::server emulators;
    config_spec spec;
    spec.base_urls = emulator_urls(emulators);
    const std::string logs_to_stdout = "log:\n  destination: stdout\n";
    const std::string config_a = config_yaml(spec) + logs_to_stdout;
    spec.anthropic_member = "developer";
    const std::string config_b = config_yaml(spec) + logs_to_stdout;
    temp_dir dir;
    const std::string file = dir.write("gateway.yaml", config_a);

    child_process gateway({invitegw_binary().string(), "serve", "--config", file});
    const auto listening = gateway.next_event("listening", 20s);
    BOOST_TEST_REQUIRE(listening.has_value(), "invitegw did not start");
    const std::uint16_t port = port_field(*listening);
    BOOST_TEST_REQUIRE(port != 0);
    const std::string version_a = field(*listening, "config_version");
    BOOST_TEST(ready_version(port) == version_a);

    const std::string member = invite_body({{"hup-a@example.com", "member"}}, std::vector<std::string>{"anthropic"});
    auto reply = post_invite(port, member);
    BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
    BOOST_TEST(reply.header("X-Config-Version").value_or("") == version_a);

    // A valid config: reloaded.
    dir.write("gateway.yaml", config_b);
    gateway.signal(SIGHUP);
    const auto reloaded = gateway.next_event("config_reloaded", 20s);
    BOOST_TEST_REQUIRE(reloaded.has_value(), "no config_reloaded line after SIGHUP");
    const std::string version_b = field(*reloaded, "config_version");
    BOOST_TEST(version_b != version_a);
    BOOST_TEST(field(*reloaded, "previous_version") == version_a);
    BOOST_TEST(ready_version(port) == version_b);
    reply = post_invite(port, invite_body({{"hup-b@example.com", "member"}}, std::vector<std::string>{"anthropic"}));
    BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
    BOOST_TEST(reply.header("X-Config-Version").value_or("") == version_b);
    const auto records = emulators.requests(emulator::vendor::anthropic);
    BOOST_TEST_REQUIRE(records.size() == 2u);
    BOOST_TEST(recorded_member(records[0], "role") == "user");
    BOOST_TEST(recorded_member(records[1], "role") == "developer");

    // A broken config: refused, the previous one still served.
    dir.write("gateway.yaml", "roles: [\n");
    gateway.signal(SIGHUP);
    const auto failed = gateway.next_event("config_reload_failed", 20s);
    BOOST_TEST_REQUIRE(failed.has_value(), "no config_reload_failed line after SIGHUP");
    BOOST_TEST(field(*failed, "error").starts_with(file + ":"), field(*failed, "error"));
    BOOST_TEST(ready_version(port) == version_b);

    // And a second SIGHUP still works (the handler re-arms).
    dir.write("gateway.yaml", config_a);
    gateway.signal(SIGHUP);
    const auto again = gateway.next_event("config_reloaded", 20s);
    BOOST_TEST_REQUIRE(again.has_value());
    BOOST_TEST(field(*again, "config_version") == version_a);
    BOOST_TEST(ready_version(port) == version_a);

    gateway.signal(SIGTERM);
    BOOST_TEST(gateway.wait_exit(30s) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
