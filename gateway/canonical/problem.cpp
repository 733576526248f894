#include "gateway/canonical/problem.hpp"

#include "gateway/json/writer.hpp"

namespace igw::canonical {

void problem::write_json(std::string& out) const
{
    json::writer w(out);
    w.begin_object().member("type", type).member("title", title).member("status", status).member("detail", detail);
    if (!errors.empty()) {
        w.key("errors").begin_array();
        for (const problem_error& error : errors)
            w.begin_object().member("pointer", error.pointer).member("detail", error.detail).end_object();
        w.end_array();
    }
    w.end_object();
}

} // namespace igw::canonical
