#include "tests/ops/support/prometheus.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <stdexcept>

namespace igw::ops {
namespace {

[[noreturn]] void bad(std::size_t line_number, std::string_view line, std::string_view what)
{
    throw std::runtime_error("exposition line " + std::to_string(line_number) + ": " + std::string(what) + ": " +
                             std::string(line));
}

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

bool is_metric_name(std::string_view name)
{
    if (name.empty() || !is_name_start(name.front()))
        return false;
    for (char c : name)
        if (!is_name_char(c))
            return false;
    return true;
}

std::optional<double> parse_number(std::string_view text)
{
    if (text == "+Inf" || text == "Inf")
        return std::numeric_limits<double>::infinity();
    if (text == "-Inf")
        return -std::numeric_limits<double>::infinity();
    if (text == "NaN")
        return std::numeric_limits<double>::quiet_NaN();
    if (text.empty())
        return std::nullopt;
    const std::string copy(text);
    char* end = nullptr;
    const double value = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size())
        return std::nullopt;
    return value;
}

// The family a sample belongs to: its own name, or a histogram's or summary's base name.
std::string family_of(const std::string& name, const std::map<std::string, std::string>& types)
{
    if (types.contains(name))
        return name;
    for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
        if (name.size() > suffix.size() && name.ends_with(suffix)) {
            const std::string base = name.substr(0, name.size() - suffix.size());
            const auto it = types.find(base);
            if (it != types.end() && (it->second == "histogram" || (it->second == "summary" && suffix != "_bucket")))
                return base;
        }
    }
    return name;
}

sample parse_sample(std::size_t number, std::string_view line)
{
    sample s;
    std::size_t i = 0;
    while (i < line.size() && is_name_char(line[i]))
        ++i;
    s.name = std::string(line.substr(0, i));
    if (!is_metric_name(s.name))
        bad(number, line, "not a metric name");
    if (i < line.size() && line[i] == '{') {
        ++i;
        bool first = true;
        for (;;) {
            if (i < line.size() && line[i] == '}') {
                if (!first)
                    bad(number, line, "trailing comma in the labels");
                ++i;
                break;
            }
            const std::size_t start = i;
            while (i < line.size() && is_name_char(line[i]) && line[i] != ':')
                ++i;
            const std::string label(line.substr(start, i - start));
            if (label.empty() || (label[0] >= '0' && label[0] <= '9'))
                bad(number, line, "not a label name");
            if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"')
                bad(number, line, "a label needs =\"value\"");
            i += 2;
            std::string value;
            for (;;) {
                if (i >= line.size())
                    bad(number, line, "unterminated label value");
                const char c = line[i++];
                if (c == '"')
                    break;
                if (c == '\\') {
                    if (i >= line.size())
                        bad(number, line, "dangling backslash");
                    const char e = line[i++];
                    if (e == 'n')
                        value.push_back('\n');
                    else if (e == '\\' || e == '"')
                        value.push_back(e);
                    else
                        bad(number, line, "unknown escape in a label value");
                } else {
                    value.push_back(c);
                }
            }
            if (!s.labels.emplace(label, std::move(value)).second)
                bad(number, line, "repeated label " + label);
            first = false;
            if (i < line.size() && line[i] == ',') {
                ++i;
                if (i < line.size() && line[i] == '}')
                    bad(number, line, "trailing comma in the labels");
                continue;
            }
            if (i < line.size() && line[i] == '}') {
                ++i;
                break;
            }
            bad(number, line, "labels must be separated by commas and closed by }");
        }
    }
    if (i >= line.size() || line[i] != ' ')
        bad(number, line, "a single space must separate the sample from its value");
    ++i;
    std::string_view rest = line.substr(i);
    const std::size_t space = rest.find(' ');
    const auto value = parse_number(rest.substr(0, space));
    if (!value)
        bad(number, line, "not a number");
    s.value = *value;
    if (space != std::string_view::npos) {
        const std::string_view timestamp = rest.substr(space + 1);
        const auto ts = parse_number(timestamp);
        if (!ts || timestamp.find_first_not_of("-0123456789") != std::string_view::npos)
            bad(number, line, "a timestamp must be an integer");
    }
    return s;
}

void check_histograms(const exposition& e)
{
    for (const auto& [family, type] : e.types) {
        if (type != "histogram")
            continue;
        struct series {
            std::vector<std::pair<double, double>> buckets; // le, count in order
            std::optional<double> sum, count;
        };
        std::map<label_set, series> by_labels;
        for (const sample& s : e.samples) {
            if (s.name == family + "_bucket") {
                label_set rest = s.labels;
                const auto le = rest.find("le");
                if (le == rest.end())
                    throw std::runtime_error(s.name + " without an le label");
                const auto bound = parse_number(le->second);
                if (!bound)
                    throw std::runtime_error(s.name + " has a bad le: " + le->second);
                rest.erase(le);
                by_labels[rest].buckets.emplace_back(*bound, s.value);
            } else if (s.name == family + "_sum") {
                by_labels[s.labels].sum = s.value;
            } else if (s.name == family + "_count") {
                by_labels[s.labels].count = s.value;
            } else if (s.name == family) {
                throw std::runtime_error("histogram " + family + " has a bare sample");
            }
        }
        for (const auto& [labels, h] : by_labels) {
            std::string where = family;
            for (const auto& [k, v] : labels)
                where += " " + k + "=" + v;
            if (h.buckets.empty() || !h.sum || !h.count)
                throw std::runtime_error(where + ": needs buckets, _sum and _count");
            for (std::size_t i = 1; i < h.buckets.size(); ++i) {
                if (!(h.buckets[i].first > h.buckets[i - 1].first))
                    throw std::runtime_error(where + ": le bounds are not increasing");
                if (h.buckets[i].second < h.buckets[i - 1].second)
                    throw std::runtime_error(where + ": bucket counts are not cumulative");
            }
            if (!std::isinf(h.buckets.back().first))
                throw std::runtime_error(where + ": the last bucket is not le=\"+Inf\"");
            if (h.buckets.back().second != *h.count)
                throw std::runtime_error(where + ": the +Inf bucket differs from _count");
            if (*h.sum < 0)
                throw std::runtime_error(where + ": negative _sum");
        }
    }
}

} // namespace

std::optional<double> exposition::value(std::string_view name, const label_set& labels) const
{
    for (const sample& s : samples)
        if (s.name == name && s.labels == labels)
            return s.value;
    return std::nullopt;
}

std::map<label_set, double> exposition::all(std::string_view name) const
{
    std::map<label_set, double> out;
    for (const sample& s : samples)
        if (s.name == name)
            out[s.labels] = s.value;
    return out;
}

exposition parse_exposition(std::string_view text)
{
    exposition e;
    std::set<std::string> finished;     // families whose samples are behind us
    std::string current;                // family of the previous sample
    std::set<std::string> seen_samples; // name + labels, for duplicates
    std::set<std::string> families_with_samples;
    if (!text.empty() && text.back() != '\n')
        throw std::runtime_error("the exposition does not end with a newline");
    std::size_t number = 0;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        const std::string_view line = text.substr(0, end);
        text.remove_prefix(end + 1);
        ++number;
        if (line.empty())
            continue;
        if (line.front() == '#') {
            const bool help = line.starts_with("# HELP ");
            const bool type = line.starts_with("# TYPE ");
            if (!help && !type)
                continue; // a comment
            const std::string_view rest = line.substr(7);
            const std::size_t space = rest.find(' ');
            if (space == std::string_view::npos)
                bad(number, line, "HELP and TYPE need a name and a text");
            const std::string name(rest.substr(0, space));
            const std::string value(rest.substr(space + 1));
            if (!is_metric_name(name))
                bad(number, line, "not a metric name");
            if (families_with_samples.contains(name))
                bad(number, line, "HELP or TYPE after the family's samples");
            if (help) {
                if (!e.helps.emplace(name, value).second)
                    bad(number, line, "a second HELP");
            } else {
                static const std::set<std::string> types{"counter", "gauge", "histogram", "summary", "untyped"};
                if (!types.contains(value))
                    bad(number, line, "unknown type");
                if (!e.types.emplace(name, value).second)
                    bad(number, line, "a second TYPE");
            }
            continue;
        }
        sample s = parse_sample(number, line);
        const std::string family = family_of(s.name, e.types);
        if (!e.types.contains(family) || !e.helps.contains(family))
            bad(number, line, "a sample before its family's HELP and TYPE");
        if (family != current) {
            if (finished.contains(family))
                bad(number, line, "the family's samples are not together");
            if (!current.empty())
                finished.insert(current);
            current = family;
        }
        families_with_samples.insert(family);
        std::string key = s.name;
        for (const auto& [k, v] : s.labels)
            key += '\0' + k + '\0' + v;
        if (!seen_samples.insert(key).second)
            bad(number, line, "a repeated sample");
        if (e.types.at(family) == "counter" && !(s.value >= 0))
            bad(number, line, "a counter below zero");
        e.samples.push_back(std::move(s));
    }
    check_histograms(e);
    return e;
}

} // namespace igw::ops
