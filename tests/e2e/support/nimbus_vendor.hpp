#pragma once
// The strict emulator of Nimbus Workspaces, a vendor that exists only in the tests, to
// prove that a vendor needing a custom Accept media type, integer ids and team ids,
// unix-time expiry, a 409 "already invited" reply and a cursor-paged listing is
// expressible in provider YAML alone. Its contract, enforced to the letter:
//   every call   Authorization: Token <token> (scheme case-insensitive), else 401;
//                exactly one Accept, exactly application/vnd.nimbus.v3+json, else 415;
//                path /api/v3/workspaces/<workspace>/invitations (other workspace or
//                path: 404), GET or POST (else 405); errors {"error": {"code", "message"}}.
//   POST create  Content-Type application/json; a JSON object of exactly email, role_id
//                (an account role id), team_ids (1-20 account team ids), send_notification
//                (boolean), unknown or duplicate members 400; 201 {"invitation": {id
//                (sequential from 90001), email (lower-cased), role_id, team_ids, state
//                "pending", expires_at (unix s), expires_at_ms}} expiring in 14 days; an
//                email already invited: 409 code already_invited with its invitation_id.
//   GET list     no body; query page_size (1-100, default 25) and cursor (one this vendor
//                issued), each at most once, nothing else, else 400; 200 {"invitations":
//                [{id, email, state, expires_at}], "next_cursor": string | null (last page)}.
// Served on 127.0.0.1 (port 0) by a scripted_vendor, so that tests also see every request
// with its headers in order, and the create faults can close without a reply.
//
// Thread-safe: requests are answered on the vendor's thread while tests seed, inject
// faults and read the state from theirs.

#include "tests/e2e/support/scripted_vendor.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace igw::e2e {

// The one Accept value the vendor serves; anything else (or two Accept headers) is 415.
inline constexpr std::string_view nimbus_media_type = "application/vnd.nimbus.v3+json";

struct nimbus_invitation {
    std::int64_t id = 0;
    std::string email{}; // lower-cased
    std::int64_t role_id = 0;
    std::vector<std::int64_t> team_ids{};
    // The expiry instant is a whole second, so both fields name exactly the same instant.
    std::int64_t expires_at = 0;    // unix seconds
    std::int64_t expires_at_ms = 0; // unix milliseconds
};

class nimbus_vendor {
public:
    // The account: the token of `Authorization: Token <token>`, the workspace id of the
    // path, and the role ids and team ids that exist in it (each non-empty).
    nimbus_vendor(std::string token, std::string workspace, std::vector<std::int64_t> role_ids,
                  std::vector<std::int64_t> team_ids);
    ~nimbus_vendor();
    nimbus_vendor(const nimbus_vendor&) = delete;
    nimbus_vendor& operator=(const nimbus_vendor&) = delete;

    std::uint16_t port() const noexcept;
    std::string base_url() const; // http://127.0.0.1:<port>, without the /api/v3 prefix
    // "/api/v3/workspaces/<workspace>/invitations": the create and list path.
    std::string invitations_path() const;

    // Creates an invitation directly, as if made earlier (the first role id, the first team
    // id), and returns its id. Throws std::invalid_argument for an email already invited.
    std::int64_t seed(std::string_view email);

    // Faults on the next valid create for `email` (compared without regard to case) that
    // would make a new invitation; each call arms one create. drop_after_create makes the
    // invitation and closes the connection without replying (the outcome is unknown to the
    // caller, the invitation exists); drop_before_create closes without replying and makes
    // nothing.
    void drop_after_create(std::string_view email);
    void drop_before_create(std::string_view email);

    // The next `times` list calls that are otherwise valid answer `status` with the error
    // shape (e.g. 500 {"error": {"code": "internal", ...}}).
    void fail_lookups(unsigned status, unsigned times);

    std::vector<nimbus_invitation> invitations() const; // in creation order
    std::vector<scripted_request> requests() const;     // every request, headers as received

    struct state;

private:
    std::shared_ptr<state> state_;
    // After state_: destroyed (its thread joined) before the state its script uses.
    scripted_vendor vendor_;
};

} // namespace igw::e2e
