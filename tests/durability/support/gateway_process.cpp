#include "tests/durability/support/gateway_process.hpp"

#include "tests/emulator/test_client.hpp"
#include "tests/support/files.hpp"
#include "tests/support/invite_body.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace igw::durability {

std::filesystem::path invitegw_binary()
{
#ifdef IGW_INVITEGW_BINARY
    return IGW_INVITEGW_BINARY;
#else
    return std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() / "gateway" / "invitegw";
#endif
}

gateway_process::gateway_process(const std::string& config_file,
                                 std::vector<std::pair<std::string, std::string>> environment, std::string log_file)
    : log_file_(std::move(log_file))
{
    port_ = test::closed_port(); // free a moment ago: the child binds it
    environment.emplace_back("INVITEGW_LISTEN", "127.0.0.1:" + std::to_string(port_));
    std::vector<std::string> env_text;
    for (const auto& [name, value] : environment)
        env_text.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (auto& text : env_text)
        envp.push_back(text.data());
    envp.push_back(nullptr);
    const std::string binary = invitegw_binary().string();
    std::vector<std::string> argv_text{binary, "serve", "--config", config_file};
    std::vector<char*> argv;
    for (auto& text : argv_text)
        argv.push_back(text.data());
    argv.push_back(nullptr);

    const int log_fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0)
        throw std::runtime_error("cannot open " + log_file_);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, log_fd, 2);
    posix_spawn_file_actions_adddup2(&actions, log_fd, 1);
    const int error = ::posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(log_fd);
    if (error != 0) {
        pid_ = -1;
        throw std::runtime_error("cannot start " + binary + ": " + std::strerror(error));
    }

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("invitegw exited at start; its log:\n" + log());
        }
        emulator::test_client client("127.0.0.1", port_, std::nullopt, std::chrono::milliseconds(500));
        const auto reply = client.send({"GET", "/healthz", {}, {}});
        if (reply.ok() && reply.status == 200)
            return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill_hard();
    throw std::runtime_error("invitegw did not answer /healthz within 20 s; its log:\n" + log());
}

gateway_process::~gateway_process()
{
    if (pid_ > 0)
        kill_hard();
}

void gateway_process::kill_hard()
{
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

int gateway_process::terminate()
{
    if (pid_ <= 0)
        return -1;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill_hard();
    return -1;
}

std::string gateway_process::log() const
{
    std::error_code ec;
    if (!std::filesystem::exists(log_file_, ec))
        return {};
    return test::read_file(log_file_);
}

} // namespace igw::durability
