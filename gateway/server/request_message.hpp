#pragma once
// A request as the server reads it: the request line, the header fields as received and
// the body, filled by request_parser (a Beast basic_parser) straight from the connection's
// read buffer. The connection keeps one request_message and reuses it for each request:
// the fields are views into one text, so a warmed-up connection reads a request's header
// without a heap allocation (Beast's own parser allocates a node per field).
// Internal to igw_server: the connection's sources include it through connection.hpp.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

namespace igw::server::detail {

class request_message {
public:
    using field = boost::beast::http::field;

    // Forgets the previous request, keeping the storage.
    void clear() noexcept;

    boost::beast::http::verb method() const noexcept { return method_; }
    std::string_view method_string() const noexcept { return method_text_; }
    // Empty until the request line has ended.
    std::string_view target() const noexcept { return target_; }
    unsigned version() const noexcept { return version_; }
    // Whether the connection may carry another request after this one (RFC 9112 §9.3).
    bool keep_alive() const noexcept { return keep_alive_; }

    // The value of the first field of that name, or empty. A name Beast knows is matched
    // by its code, any other case-insensitively.
    std::string_view operator[](field name) const noexcept;
    std::string_view operator[](std::string_view name) const noexcept;
    std::size_t count(field name) const noexcept;
    std::size_t count(std::string_view name) const noexcept;
    // Calls fn(value) for each field of that name, in the order received.
    template <class Fn>
    void for_each(std::string_view name, Fn&& fn) const
    {
        const field code = boost::beast::http::string_to_field(name);
        for (const entry& e : fields_)
            if (matches(e, code, name))
                fn(value_of(e));
    }

    std::string& body() noexcept { return body_; }
    const std::string& body() const noexcept { return body_; }

private:
    friend class request_parser;

    struct entry {
        field code;
        std::uint32_t name_at, name_size, value_at, value_size;
    };

    bool matches(const entry& e, field code, std::string_view name) const noexcept;
    std::string_view value_of(const entry& e) const noexcept { return {text_.data() + e.value_at, e.value_size}; }
    void add_field(field code, std::string_view name, std::string_view value);

    boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
    std::string method_text_;
    std::string target_;
    unsigned version_ = 11;
    bool keep_alive_ = false;
    std::string text_; // every field's name and value, back to back
    std::vector<entry> fields_;
    std::string body_;
};

// Parses one request into a request_message. Beast parsers cannot be reset, so the
// connection makes one per request: it holds no storage of its own.
class request_parser final : public boost::beast::http::basic_parser<true> {
public:
    // Clears `message` and fills it as the request is read.
    explicit request_parser(request_message& message) : message_(message) { message_.clear(); }

    request_message& get() noexcept { return message_; }
    const request_message& get() const noexcept { return message_; }

private:
    using error_code = boost::beast::error_code;
    using string_view = boost::beast::string_view;

    void on_request_impl(boost::beast::http::verb method, string_view method_text, string_view target, int version,
                         error_code& ec) override;
    void on_response_impl(int, string_view, int, error_code&) override {}
    void on_field_impl(boost::beast::http::field name, string_view name_text, string_view value,
                       error_code& ec) override;
    void on_header_impl(error_code& ec) override;
    void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code& ec) override;
    std::size_t on_body_impl(string_view body, error_code& ec) override;
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override;
    void on_finish_impl(error_code&) override {}

    request_message& message_;
};

} // namespace igw::server::detail
