#include "gateway/server/worker.hpp"

#include "gateway/telemetry/log.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace igw::server::detail {

worker::worker(shared_state& s, const handler_factory& make_handler)
    : shared(s), work_(ioc.get_executor()), grace_timer_(ioc)
{
    if (shared.services.metrics)
        metrics = &shared.services.metrics->add_thread();
    handler = make_handler(ioc.get_executor());
    if (!handler)
        throw std::invalid_argument("the invite handler factory returned no handler");
}

worker::~worker() = default;

const std::shared_ptr<const mapping::compiled_config>& worker::current_config()
{
    const std::uint64_t generation = shared.configs->generation();
    if (generation != config_generation_ || !config_) {
        config_ = shared.configs->current();
        config_generation_ = generation;
    }
    return config_;
}

telemetry::route_metrics* worker::route_metrics(std::string_view path)
{
    if (!metrics)
        return nullptr;
    for (const auto& [known, cells] : route_cells_)
        if (known == path)
            return cells;
    telemetry::route_metrics* cells = &shared.services.metrics->route(*metrics, path);
    route_cells_.emplace_back(std::string(path), cells);
    return cells;
}

void worker::begin_drain(std::chrono::milliseconds grace)
{
    if (draining)
        return;
    draining = true;
    // Copies: closing may (in later Asio versions) complete operations inline.
    for (connection* c : std::vector<connection*>(connections_.begin(), connections_.end()))
        close_if_idle(*c);
    grace_timer_.expires_after(grace);
    grace_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec)
            return; // cancelled: the worker drained in time
        for (connection* c : std::vector<connection*>(connections_.begin(), connections_.end()))
            force_close(*c);
    });
    finish_if_drained();
}

void worker::connection_done()
{
    if (draining)
        finish_if_drained();
}

void worker::finish_if_drained()
{
    if (finished_ || !connections_.empty())
        return;
    finished_ = true;
    grace_timer_.cancel();
    // Destroyed here, on its own thread, while the io_context can still complete the
    // operations its destructor cancels.
    handler.reset();
    work_.reset(); // run() returns once those completions have run
}

void log_error(std::string_view what)
{
    // Through the log's writer thread, like every line: a stalled stderr must not stall
    // the worker that hit the error.
    telemetry::log(telemetry::log_level::error, "server_error", {{"error", what}});
}

} // namespace igw::server::detail
