#pragma once
// A strict reader of the Prometheus text exposition format (0.0.4), so tests can both
// check that a scrape is well-formed and read its values exactly.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace igw::ops {

using label_set = std::map<std::string, std::string>;

struct sample {
    std::string name; // as written, e.g. invitegw_request_duration_seconds_bucket
    label_set labels;
    double value = 0;
};

struct exposition {
    std::vector<sample> samples;              // in order
    std::map<std::string, std::string> types; // family -> counter, gauge, histogram...
    std::map<std::string, std::string> helps; // family -> help text

    // The value of the sample with exactly these labels, or nullopt.
    std::optional<double> value(std::string_view name, const label_set& labels = {}) const;
    // Every sample of `name`, by its labels.
    std::map<label_set, double> all(std::string_view name) const;
};

// Parses `text` and checks it: every line is a comment, HELP, TYPE or a sample
// `name{label="value",...} value`; HELP and TYPE appear at most once per family and
// before its samples; a family's samples are contiguous; no sample repeats; counters
// are non-negative; every histogram series has _bucket lines in increasing `le` with
// non-decreasing counts ending at le="+Inf", whose count equals _count, and a _sum.
// Throws std::runtime_error naming the offending line.
exposition parse_exposition(std::string_view text);

} // namespace igw::ops
