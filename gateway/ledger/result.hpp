#pragma once
// What every ledger operation hands its callback: a value, or an error saying why not.

#include <cstdint>
#include <string>
#include <string_view>

namespace igw::ledger {

enum class errc : std::uint8_t {
    ok,
    unavailable,    // queue full, database unreachable, slow or busy past the deadline: 503
    not_found,      // no such request (or not the caller's)
    lost_ownership, // another instance resumed the request: stop working on it
    invalid,        // the operation's input breaks the API's rules (a bug in the caller)
    internal,       // the database refused a statement: a bug or a corrupted database
};

std::string_view to_string(errc code) noexcept;

struct error {
    errc code = errc::ok;
    std::string message; // for logs: never holds a credential

    explicit operator bool() const noexcept { return code != errc::ok; }
};

// Operations with nothing to return.
struct done {};

template <class T>
struct result {
    ledger::error error;
    T value{};

    bool ok() const noexcept { return error.code == errc::ok; }
};

template <class T>
result<T> fail(errc code, std::string message)
{
    return result<T>{ledger::error{code, std::move(message)}, T{}};
}

} // namespace igw::ledger
