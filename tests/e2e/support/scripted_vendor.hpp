#pragma once
// A vendor that does exactly what the test script says, byte for byte, on 127.0.0.1
// (port 0), on its own thread: for the replies no well-behaved emulator sends (endless
// framing, echoed credentials, a connection dropped after a request was read in full).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace igw::e2e {

struct scripted_request {
    std::string method{}, target{}, body{};
    std::vector<std::pair<std::string, std::string>> headers{}; // as received, in order
    std::size_t connection = 0;                                 // 1-based, in accept order

    std::optional<std::string> header(std::string_view name) const; // case-insensitive
};

struct scripted_reply {
    std::string bytes{};           // written as they are: status line, header, body
    std::size_t pad_mebibytes = 0; // then this many MiB of 'a' (endless framing), then close
    bool close = false;            // close once written (with no bytes: close without a reply)
};

// A keep-alive HTTP/1.1 reply with a Content-Length body.
scripted_reply http_reply(unsigned status, std::string_view body,
                          const std::vector<std::pair<std::string, std::string>>& headers = {});

class scripted_vendor {
public:
    using script = std::function<scripted_reply(const scripted_request&)>;

    // `reply` runs on the vendor's thread, once per request read in full.
    explicit scripted_vendor(script reply);
    ~scripted_vendor();
    scripted_vendor(const scripted_vendor&) = delete;
    scripted_vendor& operator=(const scripted_vendor&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    std::string base_url() const; // http://127.0.0.1:<port>

    std::vector<scripted_request> requests() const;
    std::size_t connections_accepted() const;
    std::size_t connections_open() const;
    // Waits until exactly `n` connections are open, at most `limit`; false if not.
    bool wait_open(std::size_t n, std::chrono::milliseconds limit) const;

    struct state;

private:
    std::shared_ptr<state> state_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

} // namespace igw::e2e
