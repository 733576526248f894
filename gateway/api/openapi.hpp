#pragma once
// The canonical API's OpenAPI 3.1 description (config/openapi.json), compiled
// into the binary so that GET /openapi.json always matches the running version.

#include <string_view>

namespace igw::api {

std::string_view openapi_document() noexcept;

} // namespace igw::api
