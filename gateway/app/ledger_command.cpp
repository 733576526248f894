// `invitegw ledger ...`: what operators ask the ledger without going through HTTP.
#include "gateway/app/commands.hpp"

#include "gateway/app/ledger_setup.hpp"
#include "gateway/config/loader.hpp"
#include "gateway/config/yaml_reader.hpp"
#include "gateway/dispatch/ledger_record.hpp"

#include <charconv>
#include <chrono>
#include <iomanip>

namespace igw::app {
namespace {

void print_requests(const std::vector<ledger::request_summary>& list, std::ostream& out)
{
    out << std::left << std::setw(21) << "created" << std::setw(38) << "request_id" << std::setw(10) << "state"
        << std::setw(16) << "client"
        << "items invited failed unknown pending sending\n";
    for (const auto& s : list) {
        out << std::setw(21) << ledger::to_rfc3339(s.request.created_at, false) << std::setw(38) << s.request.request_id
            << std::setw(10) << ledger::to_string(s.request.state) << std::setw(16) << s.request.client << std::setw(6)
            << s.items << std::setw(8) << s.invited << std::setw(7) << s.failed << std::setw(8) << s.unknown
            << std::setw(8) << s.pending << s.sending << "\n";
    }
}

void print_unknown(const std::vector<ledger::item_record>& items, std::ostream& out)
{
    out << std::left << std::setw(21) << "updated" << std::setw(38) << "request_id" << std::setw(6) << "index"
        << std::setw(14) << "target" << std::setw(22) << "code"
        << "email\n";
    for (const auto& item : items)
        out << std::setw(21) << ledger::to_rfc3339(item.updated_at, false) << std::setw(38) << item.request_id
            << std::setw(6) << item.invitation << std::setw(14) << item.target_name << std::setw(22) << item.error_code
            << item.email << "\n";
}

} // namespace

int ledger_command(const ledger_options& options, std::ostream& out, std::ostream& err)
{
    config::gateway_config config;
    try {
        config = config::load_gateway_config(options.config_file);
    } catch (const config::config_error& e) {
        for (const auto& line : e.diagnostics())
            err << line << "\n";
        return 1;
    }
    if (!config.state.enabled()) {
        err << "invitegw: " << options.config_file << " has no ledger (state.backend: none)\n";
        return 1;
    }
    std::string error;
    const auto store = open_ledger(config.state, std::chrono::seconds(5), error);
    if (!store) {
        err << "invitegw: " << error << "\n";
        return 1;
    }
    const auto failed = [&](const ledger::error& e) {
        err << "invitegw: " << ledger::to_string(e.code) << ": " << e.message << "\n";
        return 1;
    };
    if (options.action == "requests") {
        const auto r = wait_for<std::vector<ledger::request_summary>>(
            [&](auto done) { store->list_recent(options.limit, std::move(done)); });
        if (!r.ok())
            return failed(r.error);
        print_requests(r.value, out);
    } else if (options.action == "unknown") {
        const auto r = wait_for<std::vector<ledger::item_record>>(
            [&](auto done) { store->list_unknown(options.limit, std::move(done)); });
        if (!r.ok())
            return failed(r.error);
        print_unknown(r.value, out);
    } else if (options.action == "show") {
        const auto r = wait_for<ledger::request_with_items>(
            [&](auto done) { store->find_request(options.request_id, std::nullopt, std::move(done)); });
        if (r.error.code == ledger::errc::not_found) {
            err << "invitegw: no request " << options.request_id << " in the ledger\n";
            return 1;
        }
        if (!r.ok())
            return failed(r.error);
        std::string document;
        dispatch::write_request_document(r.value, document);
        out << document << "\n";
    } else if (options.action == "prune") {
        const auto r = wait_for<ledger::prune_counts>([&](auto done) { store->prune(ledger::now(), std::move(done)); });
        if (!r.ok())
            return failed(r.error);
        out << "pruned " << r.value.requests << " requests, " << r.value.items << " items, " << r.value.keys
            << " idempotency keys\n";
    } else {
        err << "invitegw: unknown ledger action " << options.action << "\n";
        return 2;
    }
    return 0;
}

} // namespace igw::app
