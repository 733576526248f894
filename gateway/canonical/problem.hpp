#pragma once
// RFC 9457 problem details, the body of every error reply the gateway sends itself.

#include <string>
#include <string_view>
#include <vector>

namespace igw::canonical {

struct problem_error {
    std::string pointer; // RFC 6901 JSON Pointer into the request body, "" for the whole body
    std::string detail;
};

struct problem {
    unsigned status = 400;
    std::string type;   // a stable URI naming the kind of problem
    std::string title;  // short, the same for every problem of this type
    std::string detail; // this occurrence
    std::vector<problem_error> errors;

    // Writes the application/problem+json body.
    void write_json(std::string& out) const;
};

} // namespace igw::canonical
