#include "tests/e2e/support/custom_gateway.hpp"

#include "gateway/dispatch/invite_pipeline.hpp"
#include "gateway/mapping/compiled_config.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace igw::e2e {
namespace {

namespace fs = std::filesystem;

void write_file(const std::string& path, const std::string& content)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush())
        throw std::runtime_error("cannot write " + path);
}

std::shared_ptr<const mapping::compiled_config> load(const std::string& file)
{
    // Nothing from the environment: the test's config says everything.
    return mapping::load_compiled_config(file, [](std::string_view) -> std::optional<std::string> { return std::nullopt; });
}

} // namespace

custom_gateway::custom_gateway(const std::string& config_yaml, const std::map<std::string, std::string>& providers)
{
    std::string pattern = (fs::temp_directory_path() / "igw-e2e-custom-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        throw std::runtime_error("cannot create a temporary directory from " + pattern);
    dir_ = pattern;
    fs::create_directory(dir_ + "/providers");
    for (const auto& [name, content] : providers)
        write_file(dir_ + "/providers/" + name + ".yaml", content);
    write_file(dir_ + "/gateway.yaml", config_yaml);
    configs_ = std::make_shared<mapping::config_source>(load(dir_ + "/gateway.yaml"));
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
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
}

std::uint16_t custom_gateway::port() const { return server_->port(); }

void custom_gateway::reload(const std::string& config_yaml)
{
    write_file(dir_ + "/gateway.yaml", config_yaml);
    configs_->replace(load(dir_ + "/gateway.yaml"));
}

} // namespace igw::e2e
