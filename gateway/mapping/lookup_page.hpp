#pragma once
// Reading one page of a vendor's listing of invitations (a provider's `lookup`), for
// reconcile: the emails it lists with the vendor's ids, and the cursor of the next page.
// Not on the request path: it uses simdjson's DOM, which checks the whole page at once.

#include "gateway/mapping/provider_plan.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace igw::mapping {

struct listed_invitation {
    std::string email; // lower-case ASCII, so that it compares with the ledger's items
    std::string invitation_id;
};

struct lookup_page {
    std::vector<listed_invitation> invitations;
    std::optional<std::string> next_cursor; // set when another page follows
};

class lookup_reader {
public:
    lookup_reader();
    ~lookup_reader();
    lookup_reader(lookup_reader&&) noexcept;
    lookup_reader& operator=(lookup_reader&&) noexcept;

    // Reads `body` as a page of `lookup` into `out`; "" on success, else what is wrong
    // with the page (for the log: a page that cannot be read makes the listing incomplete).
    std::string read(const lookup_plan& lookup, std::string_view body, lookup_page& out);

private:
    struct state;
    std::unique_ptr<state> state_;
};

} // namespace igw::mapping
