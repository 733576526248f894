#pragma once
// A started server with the echo handler, stopped and joined at the end of the test.

#include <chrono>
#include <optional>

#include "gateway/server/server.hpp"
#include "tests/server/support/echo_handler.hpp"
#include "tests/server/support/test_client.hpp"

namespace igw::server::testing {

struct server_fixture {
    handler_control control; // outlives the server
    config::gateway_config config = test_config();
    std::optional<server> srv;

    void start()
    {
        srv.emplace(config, echo_handler_factory(control));
        srv->start();
    }
    std::uint16_t port() const { return srv->port(); }

    ~server_fixture()
    {
        control.release();
        if (srv) {
            srv->stop(std::chrono::milliseconds(0));
            srv->wait();
        }
    }
};

} // namespace igw::server::testing
