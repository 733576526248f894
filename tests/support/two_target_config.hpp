#pragma once
// A small valid gateway.yaml shared by the unit suites that load a config (app, dispatch):
// two targets of the shipped providers (anthropic, one invitation per call; gorules, a
// batch) with literal fake secrets that a test can look for in what the code prints.

#include <string>
#include <string_view>

namespace igw::test {

inline constexpr std::string_view client_key = "client-key-for-tests-0123456789";
inline constexpr std::string_view anthropic_key = "sk-ant-admin01-secret-for-tests";
inline constexpr std::string_view gorules_token = "gorules-secret-for-tests";

// The config's text: `listener` (its own lines, e.g. "listen: 127.0.0.1:0\n") first,
// then providers from this checkout's providers/, roles admin and developer, one client
// (client_key) and one route to both targets.
std::string two_target_config(std::string_view listener);

} // namespace igw::test
