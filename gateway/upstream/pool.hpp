#pragma once
// The connections of one client to one endpoint, and the callers waiting for one.
// Internal to igw_upstream.

#include "gateway/upstream/client.hpp"
#include "gateway/upstream/connection.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>

#include <deque>
#include <memory>
#include <vector>

namespace igw::upstream::detail {

// A caller parked until a connection frees up. It lives in the caller's coroutine
// frame; auto_unlink takes it off the queue if that frame is destroyed while waiting.
struct waiter : boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
    explicit waiter(const boost::asio::any_io_executor& executor) : timer(executor) {}

    boost::asio::steady_timer timer;    // fires at the caller's deadline; cancelled on hand-over
    std::unique_ptr<connection> handed; // an idle connection handed over, or
    bool slot = false;                  // the right to open a new one
};

// One resolver query, shared by every caller that needs the addresses while it runs.
// The resolver cannot be interrupted (getaddrinfo runs to its end on a helper
// thread), so callers do not wait on it directly: each parks a timer that expires
// at its own deadline, and the completion cancels those timers to wake them.
struct resolution {
    explicit resolution(const boost::asio::any_io_executor& executor) : resolver(executor) {}

    boost::asio::ip::tcp::resolver resolver;
    bool done = false;
    boost::system::error_code error;
    std::vector<boost::asio::ip::tcp::endpoint> addresses;
    std::vector<boost::asio::steady_timer*> waiting;
};

struct pool {
    explicit pool(const endpoint& ep) : key(ep) {}

    endpoint key;
    boost::asio::ssl::context* tls_context = nullptr; // resolved at first connect

    // Addresses of key.host, from the resolver until `addresses_expire`, or forever
    // for an IP literal.
    std::vector<boost::asio::ip::tcp::endpoint> addresses;
    clock::time_point addresses_expire{};
    bool literal = false;
    std::shared_ptr<resolution> resolving; // the query under way, if any

    std::deque<std::unique_ptr<connection>> idle; // oldest first; reused from the back
    boost::intrusive::list<waiter, boost::intrusive::constant_time_size<false>> waiters; // FIFO
    std::size_t open = 0; // slots held: connections idle, in use or being opened
    std::size_t opened_total = 0;
    std::size_t cap = 1; // the latest max_connections a caller asked for

    // Calls under way (send() holds a reference to the pool across suspensions): a
    // pool is only ever freed at zero.
    std::size_t users = 0;
    bool retired = false; // no longer configured: freed once unused, keeps no idle connection
};

} // namespace igw::upstream::detail
