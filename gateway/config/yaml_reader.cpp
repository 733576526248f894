#include "gateway/config/yaml_reader.hpp"

#include <boost/url/parse.hpp>

#include <charconv>
#include <set>

namespace igw::config {
namespace {

std::string join_lines(const std::vector<std::string>& lines)
{
    std::string text;
    for (const auto& line : lines) {
        if (!text.empty())
            text.push_back('\n');
        text.append(line);
    }
    return text;
}

std::string_view kind_name(const YAML::Node& node)
{
    // A missing member read from a const node is "invalid", and Type() would throw.
    if (!node.IsDefined())
        return "missing";
    switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "empty";
    default: return "missing";
    }
}

bool is_host_name_char(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_';
}

// A byte for a message: visible ones quoted, others as %XX (never a raw CR or LF).
std::string describe_byte(char c)
{
    const auto b = static_cast<unsigned char>(c);
    if (b > 0x20 && b < 0x7F)
        return std::string("'") + c + "'";
    static constexpr char hex[] = "0123456789ABCDEF";
    return std::string("%") + hex[b >> 4] + hex[b & 0xF];
}

// Text quoted back in a message, with control bytes written as %XX so that a value from
// the environment cannot add lines to the diagnostics.
std::string printable(std::string_view text)
{
    std::string out;
    for (const char c : text) {
        const auto b = static_cast<unsigned char>(c);
        if (b < 0x20 || b == 0x7F)
            out += describe_byte(c);
        else
            out.push_back(c);
    }
    return out;
}

} // namespace

config_error::config_error(std::vector<std::string> diagnostics)
    : std::runtime_error(join_lines(diagnostics)), diagnostics_(std::move(diagnostics))
{
}

std::string child_key(std::string_view parent, std::string_view name)
{
    std::string key(parent);
    if (!key.empty())
        key.push_back('.');
    key.append(name);
    return key;
}

std::string index_key(std::string_view parent, std::size_t index)
{
    return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::optional<duration> parse_duration(std::string_view text, bool* too_long)
{
    if (too_long)
        *too_long = false;
    // Digits first: from_chars would take a sign, and "-99999999999999999999s" is not too
    // long but negative.
    if (text.empty() || text.front() < '0' || text.front() > '9')
        return std::nullopt;
    std::int64_t amount = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
    // Out of range still consumed the digits: the text is a duration, just too long.
    if (ec != std::errc{} && ec != std::errc::result_out_of_range)
        return std::nullopt;
    const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    std::int64_t factor = 0;
    if (unit == "ms")
        factor = 1;
    else if (unit == "s")
        factor = 1000;
    else if (unit == "m")
        factor = 60'000;
    else if (unit == "h")
        factor = 3'600'000;
    else
        return std::nullopt;
    std::int64_t millis = 0;
    if (ec == std::errc::result_out_of_range || __builtin_mul_overflow(amount, factor, &millis) ||
        millis > max_duration.count()) {
        if (too_long)
            *too_long = true;
        return std::nullopt;
    }
    return duration(millis);
}

yaml_reader::yaml_reader(std::string file, const env_lookup& env) : file_(std::move(file)), env_(env) {}

YAML::Node yaml_reader::load()
{
    try {
        return YAML::LoadFile(file_);
    } catch (const YAML::BadFile&) {
        diagnostics_.push_back(file_ + ": cannot read the file");
    } catch (const YAML::ParserException& e) {
        error_at(e.mark, "", e.msg);
    }
    return YAML::Node(YAML::NodeType::Undefined);
}

std::string yaml_reader::origin(const YAML::Node& at) const
{
    const YAML::Mark mark = at.Mark();
    if (mark.is_null())
        return file_;
    // yaml-cpp marks are 0-based; editors count from 1.
    return file_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

void yaml_reader::error_at(const YAML::Mark& at, std::string_view key, std::string_view message)
{
    std::string line = file_;
    if (!at.is_null())
        line += ":" + std::to_string(at.line + 1) + ":" + std::to_string(at.column + 1);
    line += ": ";
    if (!key.empty()) {
        line.append(key);
        line += ": ";
    }
    line.append(message);
    diagnostics_.push_back(std::move(line));
}

void yaml_reader::error(const YAML::Node& at, std::string_view key, std::string_view message)
{
    if (!at.IsDefined()) {
        error_at(YAML::Mark::null_mark(), key, message);
        return;
    }
    if (at.IsNull())
        for (const auto& [value, key_mark] : empty_values_)
            if (value.is(at)) {
                error_at(key_mark, key, message);
                return;
            }
    error_at(at.Mark(), key, message);
}

void yaml_reader::note_empty_value(const YAML::Node& key, const YAML::Node& value)
{
    if (value.IsDefined() && value.IsNull())
        empty_values_.emplace_back(value, key.Mark());
}

void yaml_reader::throw_if_errors() const
{
    if (!diagnostics_.empty())
        throw config_error(diagnostics_);
}

bool yaml_reader::expect_map(const YAML::Node& node, std::string_view key)
{
    if (node.IsDefined() && node.IsMap())
        return true;
    error(node, key, "must be a mapping, not " + std::string(kind_name(node)));
    return false;
}

bool yaml_reader::expect_sequence(const YAML::Node& node, std::string_view key)
{
    if (node.IsDefined() && node.IsSequence())
        return true;
    error(node, key, "must be a list, not " + std::string(kind_name(node)));
    return false;
}

std::optional<std::string> yaml_reader::string(const YAML::Node& node, std::string_view key)
{
    return scalar(node, key, "a string");
}

std::optional<std::string> yaml_reader::secret(const YAML::Node& node, std::string_view key,
                                               std::set<std::string, std::less<>>& variables)
{
    // Every variable read, defaults' included: each went into the value.
    const env_lookup recording = [&](std::string_view name) {
        variables.emplace(name);
        return env_(name);
    };
    return scalar(node, key, "a string", recording);
}

std::optional<std::string> yaml_reader::scalar(const YAML::Node& node, std::string_view key, std::string_view expected)
{
    return scalar(node, key, expected, env_);
}

std::optional<std::string> yaml_reader::scalar(const YAML::Node& node, std::string_view key, std::string_view expected,
                                               const env_lookup& env)
{
    if (!node.IsDefined() || !node.IsScalar()) {
        error(node, key, "must be " + std::string(expected) + ", not " + std::string(kind_name(node)));
        return std::nullopt;
    }
    substitution_result result = substitute_variables(node.Scalar(), env);
    if (!result.error.empty()) {
        error(node, key, result.error);
        return std::nullopt;
    }
    return std::move(result.value);
}

std::optional<std::int64_t> yaml_reader::integer(const YAML::Node& node, std::string_view key, std::int64_t min,
                                                 std::int64_t max)
{
    const std::optional<std::string> text = scalar(node, key, "an integer");
    if (!text)
        return std::nullopt;
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size()) {
        error(node, key, "must be an integer");
        return std::nullopt;
    }
    if (value < min || value > max) {
        error(node, key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
        return std::nullopt;
    }
    return value;
}

std::optional<bool> yaml_reader::boolean(const YAML::Node& node, std::string_view key)
{
    const std::optional<std::string> text = scalar(node, key, "true or false");
    if (!text)
        return std::nullopt;
    if (*text == "true")
        return true;
    if (*text == "false")
        return false;
    error(node, key, "must be true or false");
    return std::nullopt;
}

std::optional<duration> yaml_reader::duration_value(const YAML::Node& node, std::string_view key)
{
    const std::optional<std::string> text = scalar(node, key, "a duration");
    if (!text)
        return std::nullopt;
    bool too_long = false;
    if (auto value = parse_duration(*text, &too_long))
        return value;
    static_assert(max_duration == std::chrono::hours(8760), "the message below names the maximum");
    if (too_long)
        error(node, key, "\"" + printable(*text) + "\" is too long: durations are at most 8760h (365 days)");
    else
        error(node, key, "\"" + printable(*text) + "\" is not a duration (write e.g. 500ms, 5s, 2m, 1h)");
    return std::nullopt;
}

std::optional<std::vector<std::string>> yaml_reader::string_list(const YAML::Node& node, std::string_view key)
{
    if (!expect_sequence(node, key))
        return std::nullopt;
    std::vector<std::string> values;
    bool ok = true;
    for (std::size_t i = 0; i < node.size(); ++i) {
        if (auto value = string(node[i], index_key(key, i)))
            values.push_back(std::move(*value));
        else
            ok = false;
    }
    if (!ok)
        return std::nullopt;
    return values;
}

std::optional<base_url> yaml_reader::url(const YAML::Node& node, std::string_view key)
{
    const std::optional<std::string> text = string(node, key);
    if (!text)
        return std::nullopt;
    // parse_uri, not parse_absolute_uri: the latter rejects a fragment as "not absolute",
    // which hid the clearer message below.
    const auto parsed = boost::urls::parse_uri(*text);
    // A URL with user info or a query may carry a credential (`user:pw@`, `?api_key=`):
    // such a one is never quoted back, whichever check it fails.
    const bool may_hold_secret = text->find_first_of("@?") != std::string::npos;
    const auto fail = [&](std::string_view why) -> std::optional<base_url> {
        if (may_hold_secret)
            error(node, key, "the base URL is not usable: " + std::string(why));
        else
            error(node, key, "\"" + printable(*text) + "\" is not a usable base URL: " + std::string(why));
        return std::nullopt;
    };
    if (!parsed)
        return fail("not an absolute URL");
    const boost::urls::url_view& u = *parsed;
    base_url result;
    // Scheme names are case-insensitive (RFC 3986 §3.1): "HTTPS://" is https.
    if (u.scheme_id() == boost::urls::scheme::http)
        result.scheme = "http";
    else if (u.scheme_id() == boost::urls::scheme::https)
        result.scheme = "https";
    else
        return fail("the scheme must be http or https");
    if (!u.has_authority() || u.host_address().empty())
        return fail("it has no host");
    if (u.has_userinfo()) {
        // Not through fail(): the text holds a credential, which must not be echoed.
        error(node, key, "credentials belong in the target's secrets, not in the URL");
        return std::nullopt;
    }
    if (u.has_query() || u.has_fragment())
        return fail("a base URL takes no query or fragment");
    // The decoded host goes into the Host header, SNI and name resolution as it is, so a
    // name may hold only what a DNS name can: `%0d%0a` would split the header, `%2f`
    // would change the request line's meaning.
    if (u.host_type() == boost::urls::host_type::ipvfuture)
        return fail("the host must be a name, an IPv4 address or an IPv6 address in brackets");
    result.host = u.host_address();
    if (u.host_type() == boost::urls::host_type::name)
        for (const char c : result.host)
            if (!is_host_name_char(c))
                return fail("the host may hold only letters, digits, '-', '.' and '_' (after decoding %XX), not " +
                            describe_byte(c));
    // An empty label is no DNS name: `https://${TENANT}.vendor.example` with TENANT unset
    // or empty would otherwise load and fail every call. One trailing dot (a fully
    // qualified name) is allowed.
    if (u.host_type() == boost::urls::host_type::name &&
        (result.host.front() == '.' || result.host.find("..") != std::string::npos))
        return fail("the host has an empty label (is a variable in it empty?)");
    if (u.has_port()) {
        if (u.port_number() == 0)
            return fail("the port must be between 1 and 65535");
        result.port = u.port_number();
    } else {
        result.port = result.tls() ? 443 : 80;
    }
    std::string path(u.encoded_path());
    // With an authority the path is empty or starts with '/'; a parser that says
    // otherwise (an empty port followed by more text) read something else.
    if (!path.empty() && path.front() != '/')
        return fail("not an absolute URL");
    while (!path.empty() && path.back() == '/')
        path.pop_back();
    result.path_prefix = std::move(path);
    return result;
}

void yaml_reader::check_keys(const YAML::Node& map, std::string_view key,
                             std::initializer_list<std::string_view> allowed)
{
    std::set<std::string, std::less<>> seen;
    for (const auto& member : map) {
        const YAML::Node& name = member.first;
        note_empty_value(name, member.second);
        if (!name.IsScalar()) {
            error(name, key, "keys must be plain names");
            continue;
        }
        const std::string& text = name.Scalar();
        if (!seen.insert(text).second)
            error(name, child_key(key, text), "given twice");
        bool known = false;
        for (std::string_view candidate : allowed)
            known = known || candidate == text;
        if (!known) {
            std::string expected;
            for (std::string_view candidate : allowed) {
                if (!expected.empty())
                    expected += ", ";
                expected.append(candidate);
            }
            error(name, child_key(key, text), "unknown key (expected one of: " + expected + ")");
        }
    }
}

void yaml_reader::check_unique_keys(const YAML::Node& map, std::string_view key)
{
    std::set<std::string, std::less<>> seen;
    for (const auto& member : map) {
        note_empty_value(member.first, member.second);
        if (!member.first.IsScalar())
            error(member.first, key, "keys must be plain names");
        else if (!seen.insert(member.first.Scalar()).second)
            error(member.first, child_key(key, member.first.Scalar()), "given twice");
    }
}

YAML::Node yaml_reader::required(const YAML::Node& map, std::string_view key, std::string_view name)
{
    if (!map.IsMap())
        return YAML::Node(YAML::NodeType::Undefined);
    YAML::Node member = map[std::string(name)];
    if (!member.IsDefined())
        error(map, child_key(key, name), "is required");
    return member;
}

bool yaml_reader::is_plain_scalar(const YAML::Node& node)
{
    // yaml-cpp tags plain scalars "?" and quoted ones "!".
    return node.IsScalar() && node.Tag() == "?";
}

} // namespace igw::config
