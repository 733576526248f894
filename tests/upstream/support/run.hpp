#pragma once
// Runs one test body as a coroutine on a fresh single-threaded io_context, bounded in
// time, and rethrows what it threw.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>

namespace igw::upstream::testing {

// `body(executor)` returns boost::asio::awaitable<void>. When it completes the
// io_context is stopped; whatever is still pending (server sessions) is destroyed
// with it.
template <class Body>
void run(Body body, std::chrono::seconds limit = std::chrono::seconds(20))
{
    boost::asio::io_context ioc;
    bool finished = false;
    std::exception_ptr thrown;
    boost::asio::co_spawn(ioc, body(ioc.get_executor()), [&](std::exception_ptr e) {
        finished = true;
        thrown = e;
        ioc.stop();
    });
    ioc.run_for(limit);
    BOOST_REQUIRE_MESSAGE(finished, "the test did not finish in time");
    if (thrown)
        std::rethrow_exception(thrown);
}

// Waits on a timer: for tests whose subject is time itself (idle eviction).
inline boost::asio::awaitable<void> pause(std::chrono::milliseconds d)
{
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
    co_await timer.async_wait(boost::asio::use_awaitable);
}

} // namespace igw::upstream::testing
