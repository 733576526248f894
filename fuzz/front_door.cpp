// Arbitrary bytes from a client: the real server (HTTP parsing, limits, routing,
// authentication) on 127.0.0.1:0 with a trivial handler, fed one connection per
// input. Whatever the bytes, the server answers with HTTP/1.x or closes, and always
// closes once the client has half-closed; a server that crashes, trips a sanitizer,
// or holds a half-closed connection past every timeout it has is a finding.

#include "gateway/config/loader.hpp"
#include "gateway/mapping/compiled_config.hpp"
#include "gateway/mapping/config_source.hpp"
#include "gateway/server/server.hpp"
#include "gateway/telemetry/metrics.hpp"

#include <boost/asio/awaitable.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace {

using namespace igw;
using clock_type = std::chrono::steady_clock;

// Far beyond the server's own read and idle timeouts below: only a server that
// never closes reaches it, even on a loaded machine.
constexpr auto hang_deadline = std::chrono::seconds(20);

std::optional<std::string> environment(std::string_view name)
{
    static const std::map<std::string, std::string, std::less<>> env{
        {"INVITEGW_CLIENT_KEY", "fuzz-client-key-0123456789"}, // the seeds' Bearer key
        {"INVITEGW_LISTEN", "127.0.0.1:0"},
        {"ANTHROPIC_ADMIN_KEY", "x"},
        {"CLICKHOUSE_ORG_ID", "7c4a8d09-ca37-4d5a-b1e8-0a3f2f5e1d11"},
        {"CLICKHOUSE_KEY_ID", "x"},
        {"CLICKHOUSE_KEY_SECRET", "x"},
        {"WARPSTREAM_API_KEY", "x"},
        {"GORULES_BASE_URL", "http://127.0.0.1:9"},
        {"GORULES_TOKEN", "x"},
        {"ATOMICWORK_BASE_URL", "http://127.0.0.1:9"},
        {"ATOMICWORK_API_KEY", "x"},
    };
    if (auto it = env.find(name); it != env.end())
        return it->second;
    return std::nullopt;
}

class answer_handler final : public server::invite_handler {
public:
    boost::asio::awaitable<server::handler_reply> handle(server::handler_request& request) override
    {
        server::handler_reply reply;
        reply.body = "{\"bytes\":" + std::to_string(request.body.size()) + "}";
        reply.headers.emplace_back("X-Route", std::to_string(request.route_index));
        co_return reply;
    }
};

// Never destroyed: libFuzzer may exit from any thread, and a server torn down while a
// worker still runs would be a finding of the harness, not of the gateway.
telemetry::registry* metrics = nullptr;
server::server* front = nullptr;
std::uint16_t port = 0;

int connect_loopback()
{
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // A signal (libFuzzer's own timers) can interrupt a blocking connect: the harness then
    // starts over on a new socket, a bounded number of times, rather than counting its own
    // interrupted system call as a finding.
    int fd = -1;
    for (int attempt = 0; fd < 0; ++attempt) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            std::abort();
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0)
            break;
        const int error = errno;
        ::close(fd);
        fd = -1;
        if (error != EINTR || attempt == 9) {
            std::fprintf(stderr, "front_door: connect: %s\n", std::strerror(error));
            std::abort();
        }
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

// Waits for `events` on `fd` until `deadline`; false when it passed.
bool wait_for(int fd, short events, clock_type::time_point deadline)
{
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
        if (left.count() <= 0)
            return false;
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n > 0)
            return true;
        if (n < 0 && errno != EINTR)
            std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    auto loaded = mapping::load_compiled_config(INVITEGW_SOURCE_DIR "/config/gateway.yaml", environment);
    auto served = std::make_shared<mapping::compiled_config>();
    served->config = loaded->config;
    served->version = loaded->version;
    config::gateway_config& c = served->config;
    c.listener.threads = 1;
    c.log.requests = false;
    // Small limits, so that inputs the fuzzer can reach cross them; short timeouts, so
    // that an input that stops mid-request costs little.
    c.limits.max_body_bytes = 4096;
    c.limits.max_header_bytes = 2048;
    c.limits.max_invitations = 8;
    c.limits.read_timeout = std::chrono::milliseconds(1000);
    c.limits.idle_timeout = std::chrono::milliseconds(1000);
    c.limits.request_timeout = std::chrono::milliseconds(1000);
    config::client_config admin;
    admin.name = "fuzz-admin";
    admin.keys_sha256 = {config::sha256("fuzz-admin-key-0123456789")};
    admin.admin = true;
    c.clients.push_back(std::move(admin));

    metrics = new telemetry::registry;
    server::server_services services;
    services.metrics = metrics;
    services.openapi = R"({"openapi":"3.1.0"})";
    services.reload = [] {
        server::reload_outcome outcome;
        outcome.version = "fuzz";
        outcome.errors.push_back("fuzz: reload refused");
        return outcome;
    };
    front = new server::server(
        std::make_shared<mapping::config_source>(std::move(served)),
        [](boost::asio::any_io_executor) { return std::make_unique<answer_handler>(); }, std::move(services));
    port = front->port();
    front->start();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto deadline = clock_type::now() + hang_deadline;
    const int fd = connect_loopback();

    // Write what the server takes; it may stop reading (and close) at any point.
    std::size_t sent = 0;
    while (sent < size) {
        if (!wait_for(fd, POLLOUT, deadline))
            break;
        const ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            break; // closed by the server (EPIPE, ECONNRESET)
        sent += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);

    std::string reply;
    char buffer[16384];
    bool closed = false;
    while (wait_for(fd, POLLIN, deadline)) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0) {
            closed = true; // EOF or reset: either way the server let go
            break;
        }
        if (reply.size() < 65536)
            reply.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (!closed) {
        std::fprintf(stderr, "front_door: the server kept a half-closed connection open for %llds\n",
                     static_cast<long long>(hang_deadline.count()));
        std::abort();
    }
    if (!reply.empty() && std::string_view(reply).substr(0, 7) != "HTTP/1.") {
        std::fprintf(stderr, "front_door: the reply is not HTTP/1.x: %.64s\n", reply.c_str());
        std::abort();
    }
    return 0;
}
