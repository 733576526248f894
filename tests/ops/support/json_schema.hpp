#pragma once
// Checks a JSON value against a schema of the OpenAPI document, for the subset of JSON
// Schema the document uses: $ref (local), oneOf, type, enum, required, properties,
// additionalProperties: false, items, minItems, maxItems, maxLength. Other keywords
// (description, default, pattern, uniqueItems...) are not checked.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace igw::ops {

class schema_checker {
public:
    // `document` is the whole OpenAPI document (JSON text); throws when it does not parse.
    explicit schema_checker(std::string document);
    ~schema_checker();
    schema_checker(const schema_checker&) = delete;
    schema_checker& operator=(const schema_checker&) = delete;

    // Every way `json` breaks the schema at `schema_pointer` (e.g.
    // "/components/schemas/Problem"), each as "<pointer in json>: <what>"; empty when
    // it conforms. A `json` that does not parse is one violation.
    std::vector<std::string> check(std::string_view json, std::string_view schema_pointer) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace igw::ops
