#pragma once
// Ledger operations as awaitables. The store calls back on its writer thread; the
// coroutine resumes on its own executor, which counts as busy meanwhile so that a
// worker's run() does not return under a request waiting on the ledger.

#include "gateway/ledger/store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <utility>

namespace igw::dispatch {

// `start(callback)` submits one store operation with the given callback, e.g.
//   co_await await_ledger<ledger::done>([&](auto done) { store.ping(std::move(done)); });
// It never throws into the writer thread: the callback only posts.
template <class T, class Start>
boost::asio::awaitable<ledger::result<T>> await_ledger(Start start)
{
    namespace net = boost::asio;
    return net::async_initiate<const net::use_awaitable_t<>, void(ledger::result<T>)>(
        [start = std::move(start)](auto handler) mutable {
            using handler_type = decltype(handler);
            auto executor = net::prefer(net::get_associated_executor(handler),
                                        net::execution::outstanding_work.tracked);
            // std::function needs a copyable callback; the awaitable's handler is move-only.
            auto shared = std::make_shared<handler_type>(std::move(handler));
            start(ledger::callback<T>([shared, executor](ledger::result<T> r) {
                net::post(executor, [shared, r = std::move(r)]() mutable { std::move (*shared)(std::move(r)); });
            }));
        },
        net::use_awaitable);
}

} // namespace igw::dispatch
