#include "tests/ledger/support/backends.hpp"

#include <libpq-fe.h>
#include <stdlib.h>

#include "tests/support/paths.hpp"
#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace igw::ledger {
std::ostream& operator<<(std::ostream& out, backend_kind kind) { return out << to_string(kind); }
std::ostream& operator<<(std::ostream& out, begin_kind kind) { return out << to_string(kind); }
std::ostream& operator<<(std::ostream& out, errc code) { return out << to_string(code); }
std::ostream& operator<<(std::ostream& out, item_status status) { return out << to_string(status); }
std::ostream& operator<<(std::ostream& out, request_state state) { return out << to_string(state); }
std::ostream& operator<<(std::ostream& out, const stored_reply& reply)
{
    out << reply.status << " [";
    for (const auto& h : reply.headers) {
        out << h << "; ";
    }
    return out << "] " << reply.body;
}
std::ostream& operator<<(std::ostream& out, const header& h) { return out << h.name << ": " << h.value; }
} // namespace igw::ledger

namespace igw::test {
namespace {

const std::string script = ::igw::test::test_data_dir() + "/../scripts/postgres";

std::string run(const std::string& command)
{
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) {
        throw std::runtime_error("cannot run " + command);
    }
    std::array<char, 512> buffer{};
    while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), p)) {
        out += buffer.data();
    }
    const int status = ::pclose(p);
    if (status != 0) {
        throw std::runtime_error(command + " failed (status " + std::to_string(status) + ")");
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
        out.pop_back();
    }
    return out;
}

struct server_state {
    std::string dir;
    std::string url;
};

server_state& state()
{
    static server_state s;
    return s;
}

// Once per test program: PostgreSQL up before the first test, gone after the last.
struct postgres_fixture {
    postgres_fixture()
    {
        char pattern[] = "/tmp/invitegw-ledger-pg.XXXXXX";
        if (!::mkdtemp(pattern)) {
            throw std::runtime_error("cannot create a temporary folder for PostgreSQL");
        }
        state().dir = pattern;
        // Missing binaries make this throw, which fails the whole program: a backend
        // that cannot be tested is a failure, not a skip.
        try {
            state().url = run(script + " start " + state().dir);
        } catch (...) {
            std::error_code ignored; // the folder is ours alone; the failure is what matters
            std::filesystem::remove_all(state().dir, ignored);
            throw;
        }
    }
    ~postgres_fixture()
    {
        try {
            run(script + " destroy " + state().dir + " >/dev/null");
        } catch (const std::exception& e) {
            std::fprintf(stderr, "ledger tests: %s\n", e.what());
        }
    }
};

BOOST_TEST_GLOBAL_FIXTURE(postgres_fixture);

void exec_admin(const std::string& statement)
{
    PGconn* c = PQconnectdb(state().url.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
        std::string message = PQerrorMessage(c);
        PQfinish(c);
        throw std::runtime_error("cannot reach the test PostgreSQL: " + message);
    }
    PGresult* r = PQexec(c, statement.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    std::string message = PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
    if (!ok) {
        throw std::runtime_error(statement + ": " + message);
    }
}

} // namespace

const std::string& postgres_server::url() { return state().url; }
void postgres_server::stop() { run(script + " stop " + state().dir); }
void postgres_server::restart() { run(script + " start " + state().dir + " 2>/dev/null"); }

test_database::test_database(ledger::backend_kind kind) : kind_(kind)
{
    if (kind == ledger::backend_kind::postgres) {
        static std::atomic<int> counter{0};
        const std::string schema = "t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
        exec_admin("CREATE SCHEMA " + schema);
        url_ = postgres_server::url() + "?options=-csearch_path%3D" + schema;
    }
}

ledger::settings test_database::settings(std::string instance) const
{
    ledger::settings s;
    s.backend = kind_;
    // A folder that does not exist yet: the store creates it.
    s.path = (dir_.path() / "state" / "ledger.db").string();
    s.url = url_;
    s.instance = std::move(instance);
    s.op_timeout = std::chrono::seconds(5);
    s.prune_interval = std::chrono::milliseconds(0); // tests prune by hand
    return s;
}

ledger::new_request make_request(const std::string& id, const std::string& client, std::optional<std::string> key,
                                 std::size_t targets, std::string fingerprint)
{
    ledger::new_request r;
    r.request_id = id;
    r.client = client;
    r.route = "/v1/invitations";
    r.config_version = "cfg-1";
    r.idempotency_key = std::move(key);
    r.fingerprint = std::move(fingerprint);
    for (std::uint32_t t = 0; t < targets; ++t) {
        ledger::new_item& item = r.items.emplace_back();
        item.target = t;
        item.email = "jane.doe@example.com";
        item.ref = "crm-1";
        item.target_name = "target-" + std::to_string(t);
        item.role = "developer";
    }
    return r;
}

ledger::result<ledger::begin_outcome> begin(ledger::store& s, ledger::new_request r)
{
    return wait_for<ledger::begin_outcome>([&](auto cb) { s.begin_request(std::move(r), cb); });
}
ledger::result<ledger::begin_outcome> resume(ledger::store& s, const std::string& id)
{
    return wait_for<ledger::begin_outcome>([&](auto cb) { s.resume(id, cb); });
}
ledger::result<ledger::done> mark_sending(ledger::store& s, const std::string& id, std::vector<ledger::item_key> keys)
{
    return wait_for<ledger::done>([&](auto cb) { s.mark_sending(id, std::move(keys), cb); });
}
ledger::result<ledger::done> settle(ledger::store& s, const std::string& id, std::vector<ledger::item_outcome> o)
{
    return wait_for<ledger::done>([&](auto cb) { s.settle(id, std::move(o), cb); });
}
ledger::result<ledger::done> complete(ledger::store& s, const std::string& id, ledger::stored_reply reply)
{
    return wait_for<ledger::done>([&](auto cb) { s.complete_request(id, std::move(reply), cb); });
}
ledger::result<ledger::request_with_items> find(ledger::store& s, const std::string& id,
                                                std::optional<std::string> client)
{
    return wait_for<ledger::request_with_items>([&](auto cb) { s.find_request(id, std::move(client), cb); });
}
ledger::result<ledger::recovered> recover(ledger::store& s)
{
    return wait_for<ledger::recovered>([&](auto cb) { s.recover(cb); });
}
ledger::result<ledger::prune_counts> prune(ledger::store& s, ledger::time_point now)
{
    return wait_for<ledger::prune_counts>([&](auto cb) { s.prune(now, cb); });
}
ledger::result<ledger::done> ping(ledger::store& s)
{
    return wait_for<ledger::done>([&](auto cb) { s.ping(cb); });
}

std::vector<ledger::item_key> all_keys(const ledger::new_request& r)
{
    std::vector<ledger::item_key> keys;
    for (const auto& i : r.items) {
        keys.push_back({i.invitation, i.target});
    }
    return keys;
}

ledger::item_outcome invited(std::uint32_t invitation, std::uint32_t target, std::string id)
{
    ledger::item_outcome o;
    o.invitation = invitation;
    o.target = target;
    o.status = ledger::item_status::invited;
    o.invitation_id = std::move(id);
    o.expires_at = "2026-12-08T00:00:00Z";
    o.vendor_status = "pending";
    o.upstream_status = 201;
    return o;
}

ledger::stored_reply sample_reply(const std::string& request_id, unsigned status)
{
    return {status,
            {{"Content-Type", "application/json"}, {"X-Request-Id", request_id}},
            "{\"request_id\":\"" + request_id + "\",\"results\":[]}"};
}

} // namespace igw::test
