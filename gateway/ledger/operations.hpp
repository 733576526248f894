#pragma once
// The ledger's operations as SQL, written once for both backends. Each runs inside the
// writer's open transaction and may run again after a failed batch, so each is safe to
// repeat. Database failures are thrown as sql::error (the writer turns them into values);
// what the caller did wrong or asked for in vain comes back in the result.

#include "gateway/ledger/records.hpp"
#include "gateway/ledger/result.hpp"
#include "gateway/ledger/settings.hpp"
#include "gateway/ledger/sql.hpp"

#include <optional>
#include <string>
#include <vector>

namespace igw::ledger::ops {

struct context {
    sql::connection& db;
    sql::deadline until;
    time_point now;
    const ledger::settings& config;
    const std::string& token; // this store's ownership token, unique per open
};

result<begin_outcome> begin_request(context& c, const new_request& r);
result<begin_outcome> resume(context& c, const std::string& request_id);
// Gives up a request this store claimed or resumed and sent nothing more of (see
// store::begin_request and store::release): its lease ends now, so that the client's
// retry resumes it.
result<done> release(context& c, const std::string& request_id);
result<done> mark_sending(context& c, const std::string& request_id, const std::vector<item_key>& items);
result<done> settle(context& c, const std::string& request_id, const std::vector<item_outcome>& outcomes);
result<done> complete_request(context& c, const std::string& request_id, const stored_reply& reply);
result<request_with_items> find_request(context& c, const std::string& request_id,
                                        const std::optional<std::string>& client);
result<recovered> recover(context& c);
// One bounded chunk; `more` tells whether another may be due.
result<prune_counts> prune_chunk(context& c, time_point now, bool& more);
result<std::vector<request_summary>> list_recent(context& c, std::size_t limit);
result<std::vector<item_record>> list_unknown(context& c, std::size_t limit);

std::string encode_headers(const std::vector<header>& headers);
std::vector<header> decode_headers(std::string_view text);

} // namespace igw::ledger::ops
