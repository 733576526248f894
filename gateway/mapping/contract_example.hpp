#pragma once
// Checking a provider mapping against the vendor's documented example exchange (the
// provider file's `example:`): the mapping must render a request of the shape the
// vendor's example request has, and every reply pointer it declares must resolve in
// the vendor's example reply. Runs at load, so that neither check-config nor serve
// accepts a mapping that contradicts the vendor's published contract.

#include "gateway/mapping/provider_plan.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace igw::mapping {

// nullopt when `text` is one well-formed JSON document; otherwise what is wrong with it.
std::optional<std::string> json_syntax_error(std::string_view text);

// Every difference between `provider.example` and the mapping, as
// "file:line:col: key: message" (empty when they agree, or when the provider carries no
// example). Request shapes are compared by JSON path and type; reply pointers are
// reported at the place they are declared.
std::vector<std::string> check_contract_example(const provider_plan& provider);

} // namespace igw::mapping
