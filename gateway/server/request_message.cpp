#include "gateway/server/request_message.hpp"

#include <algorithm>

#include <boost/beast/core/string.hpp>

namespace igw::server::detail {

namespace http = boost::beast::http;

namespace {

// What a connection keeps of a request's storage for the next one. A usual invite fits
// well within it; the rare large body or header is freed with its request, so that an
// idle keep-alive connection does not hold on to the largest request it ever carried.
constexpr std::size_t kept_bytes = 64 * 1024;

template <class Container>
void clear_keeping_small(Container& c) noexcept
{
    if (c.capacity() * sizeof(typename Container::value_type) > kept_bytes)
        Container().swap(c);
    else
        c.clear();
}

} // namespace

void request_message::clear() noexcept
{
    method_ = http::verb::unknown;
    method_text_.clear();
    clear_keeping_small(target_);
    version_ = 11;
    keep_alive_ = false;
    clear_keeping_small(text_);
    clear_keeping_small(fields_);
    clear_keeping_small(body_);
}

bool request_message::matches(const entry& e, field code, std::string_view name) const noexcept
{
    if (code != field::unknown)
        return e.code == code;
    return e.code == field::unknown &&
           boost::beast::iequals(std::string_view(text_.data() + e.name_at, e.name_size), name);
}

std::string_view request_message::operator[](field name) const noexcept
{
    for (const entry& e : fields_)
        if (e.code == name)
            return value_of(e);
    return {};
}

std::string_view request_message::operator[](std::string_view name) const noexcept
{
    const field code = http::string_to_field(name);
    for (const entry& e : fields_)
        if (matches(e, code, name))
            return value_of(e);
    return {};
}

std::size_t request_message::count(field name) const noexcept
{
    return static_cast<std::size_t>(
        std::count_if(fields_.begin(), fields_.end(), [name](const entry& e) { return e.code == name; }));
}

std::size_t request_message::count(std::string_view name) const noexcept
{
    const field code = http::string_to_field(name);
    return static_cast<std::size_t>(
        std::count_if(fields_.begin(), fields_.end(), [&](const entry& e) { return matches(e, code, name); }));
}

void request_message::add_field(field code, std::string_view name, std::string_view value)
{
    // Offsets, not views: appending may move the text. The header limit (at most 4 GiB,
    // a uint32 in Beast too) bounds them.
    const auto at = static_cast<std::uint32_t>(text_.size());
    text_.append(name).append(value);
    fields_.push_back({code, at, static_cast<std::uint32_t>(name.size()),
                       at + static_cast<std::uint32_t>(name.size()), static_cast<std::uint32_t>(value.size())});
}

void request_parser::on_request_impl(http::verb method, string_view method_text, string_view target, int version,
                                     error_code&)
{
    message_.method_ = method;
    message_.method_text_.assign(method_text.data(), method_text.size());
    message_.target_.assign(target.data(), target.size());
    message_.version_ = static_cast<unsigned>(version);
}

void request_parser::on_field_impl(http::field name, string_view name_text, string_view value, error_code&)
{
    message_.add_field(name, name_text, value);
}

void request_parser::on_header_impl(error_code&) { message_.keep_alive_ = keep_alive(); }

void request_parser::on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&)
{
    // basic_parser has already checked the length against the body limit.
    if (length && *length > message_.body_.capacity())
        message_.body_.reserve(static_cast<std::size_t>(*length));
}

std::size_t request_parser::on_body_impl(string_view body, error_code&)
{
    message_.body_.append(body.data(), body.size());
    return body.size();
}

std::size_t request_parser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&)
{
    message_.body_.append(body.data(), body.size());
    return body.size();
}

} // namespace igw::server::detail
