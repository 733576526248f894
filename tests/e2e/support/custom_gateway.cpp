#include "tests/e2e/support/custom_gateway.hpp"

#include "gateway/dispatch/invite_pipeline.hpp"
#include "gateway/mapping/compiled_config.hpp"

#include <filesystem>
#include <optional>

namespace igw::e2e {
namespace {

std::shared_ptr<const mapping::compiled_config> load(const std::string& file)
{
    // Nothing from the environment: the test's config says everything.
    return mapping::load_compiled_config(file,
                                         [](std::string_view) -> std::optional<std::string> { return std::nullopt; });
}

} // namespace

custom_gateway::custom_gateway(const std::string& config_yaml, const std::map<std::string, std::string>& providers)
{
    std::filesystem::create_directories(dir_.path() / "providers");
    for (const auto& [name, content] : providers)
        dir_.write("providers/" + name + ".yaml", content);
    configs_ = std::make_shared<mapping::config_source>(load(dir_.write("gateway.yaml", config_yaml)));
    server_ = std::make_unique<server::server>(configs_, dispatch::make_pipeline_factory());
    server_->start();
}

custom_gateway::~custom_gateway()
{
    if (server_) {
        server_->stop(std::chrono::milliseconds(0));
        server_->wait();
        server_.reset();
    }
}

std::uint16_t custom_gateway::port() const { return server_->port(); }

void custom_gateway::reload(const std::string& config_yaml)
{
    configs_->replace(load(dir_.write("gateway.yaml", config_yaml)));
}

} // namespace igw::e2e
