#pragma once
// The five vendors' published invite contracts as code: given one HTTP request (already
// routed to a vendor's port), produce exactly the reply that vendor would give. Knows
// nothing of sockets; emulator.cpp feeds it and writes what it returns.

#include "sandbox/emulator.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace igw::emulator::detail {

// The emulated accounts, with what can be derived once from the credentials.
struct account {
    explicit account(const options&);

    credentials creds;
    std::size_t warpstream_max_batch;
    std::string clickhouse_basic_token; // base64("<key id>:<key secret>")
};

// The parts of a request the contracts look at. `path` is the target without its query
// and without the configured path prefix, `query` what follows its '?' (empty when none);
// a header that was not sent is nullopt.
struct request_view {
    std::string_view method;
    std::string_view path;
    std::string_view query;
    std::optional<std::string_view> content_length;
    std::optional<std::string_view> transfer_encoding;
    std::optional<std::string_view> content_type;
    std::optional<std::string_view> authorization;
    std::optional<std::string_view> x_api_key; // also "X-Api-Key": names are case-insensitive
    std::optional<std::string_view> anthropic_version;
    std::optional<std::string_view> warpstream_api_key;
    std::optional<std::string_view> workspace_id;
    std::string_view body;
};

struct reply {
    unsigned status = 200;
    std::string body;
    std::string_view allow; // 405: the methods the path allows ("POST", "GET, POST"), a literal
    std::string www_authenticate;

    void clear()
    {
        status = 200;
        body.clear();
        allow = {};
        www_authenticate.clear();
    }
};

// One invitation an emulated account made, as its create reply described it: what the
// vendors that publish a list endpoint (Anthropic, ClickHouse) list again later.
struct stored_invitation {
    std::string id, email, role, created_at, expires_at;
};

// The invitations one vendor's account made, in creation order, bounded: past `limit`
// the oldest is forgotten, so that a benchmark making millions cannot grow memory
// without bound. Thread-safe (the server's threads add, list calls read).
class invitation_store {
public:
    explicit invitation_store(std::size_t limit) : limit_(limit) {}

    void add(stored_invitation);
    void clear();

    struct page {
        std::vector<stored_invitation> items;
        bool has_more = false;    // more beyond the page, in the direction it was read
        bool cursor_found = true; // false: the id given as cursor is not (or no longer) kept
    };
    // Up to `limit` invitations after the one with id `after_id` (from the oldest when
    // nullopt), or, with `before`, the `limit` invitations right before it, oldest first.
    page read(std::optional<std::string_view> cursor_id, bool before, std::size_t limit) const;
    std::vector<stored_invitation> all() const;

private:
    mutable std::mutex mutex_;
    std::size_t limit_;
    std::deque<stored_invitation> items_;                // guarded by mutex_
    std::unordered_map<std::string, std::uint64_t> ids_; // id -> sequence number; guarded
    std::uint64_t front_sequence_ = 0;                   // sequence number of items_.front()
};

// Asked once a request is otherwise valid: returns the email (as the request spelled it)
// that the account refuses, if any. Lets tests make a vendor reject one address.
class email_filter {
public:
    virtual std::optional<std::string> rejected(std::span<const std::string_view> emails) = 0;

protected:
    ~email_filter() = default;
};

// Fills `out` with `target`'s answer to `request`. `filter` may be null; so may `store`
// (the vendor's invitations: its creates add to it, its list endpoint reads it), which
// then lists nothing.
void handle(vendor target, const account&, const request_view& request, email_filter* filter, invitation_store* store,
            reply& out);

// `target`'s error reply for `status` (its documented or chosen error shape), e.g. for an
// injected 429/500/503 or a route that does not exist.
void error_reply(vendor target, unsigned status, std::string_view message, reply& out);

// The vendor's 400 reply refusing `email`.
void email_rejected_reply(vendor target, std::string_view email, reply& out);

// True when `text` looks like an email address: exactly one '@', a non-empty local part,
// a domain of at least two non-empty dot-separated labels, no spaces, control characters
// or characters that RFC 5322 only allows quoted.
bool looks_like_email(std::string_view text) noexcept;

// True when a Content-Type value is application/json, parameters allowed.
bool is_json_media_type(std::string_view content_type) noexcept;

// "2024-10-30T23:58:27.427722Z" (fraction digits: 0, 3 or 6).
std::string rfc3339(std::chrono::system_clock::time_point, int fraction_digits);

// A random version 4 UUID, lower-case, hyphenated.
std::string random_uuid();

bool is_uuid(std::string_view text) noexcept;

} // namespace igw::emulator::detail
