#pragma once
// One webhook delivery attempt: a POST to the client's http(s) URL, on a fresh connection
// (deliveries are rare and go to many receivers: nothing to pool), bounded by its own
// timeout. A redirect is never followed: the URL was checked at load, where it points
// after a 3xx was not. TLS peers are verified against the system store. Beast and
// OpenSSL stay in delivery.cpp.

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace igw::webhook {

struct header {
    std::string_view name, value;
};

// Views only: everything must stay alive until deliver() completes.
struct delivery_request {
    std::string_view url;            // http:// or https://, already checked (config)
    std::span<const header> headers; // webhook-id, -timestamp, -signature, Content-Type...; not Host,
                                     // Connection or Content-Length, which deliver() sets
    std::string_view body;
    std::chrono::milliseconds timeout{10'000}; // the whole attempt: DNS, connect, TLS, write, reply
};

// What an attempt's record keeps.
struct attempt_result {
    bool ok = false;     // the receiver answered 2xx
    unsigned status = 0; // its final status code; 0 when no reply arrived
    std::string error;   // why the attempt failed, for the job document; empty when ok
    std::string excerpt; // the start of the reply body (at most excerpt_bytes)
    std::chrono::milliseconds duration{0};
};

struct sender_options {
    std::size_t max_response_bytes = 64 * 1024; // read (then discarded) at most this much of a reply body
    std::size_t excerpt_bytes = 256;
    std::string ca_file; // extra trusted CA (PEM) besides the system store; may be empty
};

class sender {
public:
    // Loads the system CA store (and `ca_file`) once; throws std::runtime_error when it
    // cannot: that is start-up.
    explicit sender(sender_options options = {});
    ~sender();
    sender(const sender&) = delete;
    sender& operator=(const sender&) = delete;

    // Never throws for network conditions: they come back in attempt_result::error.
    // Runs on the calling coroutine's executor; the sender must outlive the call.
    boost::asio::awaitable<attempt_result> deliver(const delivery_request& request) const;

    class impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace igw::webhook
