#pragma once
// The invite handler the server tests plug in: it answers with what it was given (route
// index, client name, request id, target, body), so tests can assert the server's
// wiring, and on request it blocks until the test releases it, so tests can hold
// requests in flight without sleeping.

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include <boost/asio/steady_timer.hpp>

#include "gateway/config/config.hpp"
#include "gateway/server/invite_handler.hpp"

namespace igw::server::testing {

// Shared by the test and every worker's handler (it must outlive the server).
class handler_control {
public:
    // While set, handle() waits for release() before answering. Cancelled (a shutdown
    // past its grace period), it answers at once with "cancelled": true, as the real
    // handler answers with what its cancelled calls established; unless
    // ignore_cancellation is set too, when it goes on waiting for release().
    std::atomic<bool> block{false};
    std::atomic<bool> ignore_cancellation{false};
    std::atomic<int> created{0};
    std::atomic<int> destroyed{0};

    // Waits until `count` calls to handle() are blocked; false at the deadline.
    bool wait_blocked(std::size_t count, std::chrono::milliseconds deadline = std::chrono::seconds(5));
    // Lets every blocked call (and every later one) answer.
    void release();

    // Used by the handler.
    bool enter(boost::asio::steady_timer* gate);
    void leave(boost::asio::steady_timer* gate);
    bool released() const;

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::set<boost::asio::steady_timer*> waiting_;
    bool released_ = false;
};

// Body "throw" makes handle() throw; the reply carries header X-Echo: yes.
handler_factory echo_handler_factory(handler_control& control);

// The server tests' config: 127.0.0.1:0, two workers, small limits; client "app-a"
// (key "key-a", every route) and "app-b" (key "key-b", only /v1/other); routes
// /v1/invitations (index 0) and /v1/other (index 1).
config::gateway_config test_config();

} // namespace igw::server::testing
