#include "sandbox/emulator.hpp"

#include "sandbox/vendors.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <mutex>
#include <span>
#include <stdexcept>
#include <thread>
#include <type_traits>

namespace igw::emulator {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

std::string_view name(vendor v) noexcept
{
    switch (v) {
    case vendor::anthropic: return "anthropic";
    case vendor::clickhouse: return "clickhouse";
    case vendor::warpstream: return "warpstream";
    case vendor::gorules: return "gorules";
    case vendor::atomicwork: return "atomicwork";
    }
    return "unknown";
}

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
// A keep-alive connection idle this long is closed, as real front ends do.
constexpr auto idle_timeout = 60s;
constexpr auto io_timeout = 30s;
constexpr std::size_t body_limit = 1 << 20;

std::size_t index(vendor v) noexcept { return static_cast<std::size_t>(v); }

using boost::beast::iequals;

void log_exception(std::string_view what, std::exception_ptr error)
{
    if (!error)
        return;
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "invitegw-emulator: %.*s: %s\n", static_cast<int>(what.size()), what.data(), e.what());
    }
}

} // namespace

// Per-vendor mutable state shared by the server threads and the test thread.
struct vendor_state {
    std::mutex mutex;
    std::deque<fault> faults;            // guarded by mutex
    std::atomic<bool> has_faults{false}; // lets the hot path skip the mutex
    std::atomic<std::size_t> connections{0};
    // Requests read in full and not yet answered (or dropped), and the most there were at once.
    std::atomic<std::size_t> in_flight{0};
    std::atomic<std::size_t> most_in_flight{0};
};

// Counts one request as in flight at its vendor while it lives.
class in_flight_mark {
public:
    explicit in_flight_mark(vendor_state& state) : state_(state)
    {
        const std::size_t now = state_.in_flight.fetch_add(1) + 1;
        std::size_t most = state_.most_in_flight.load();
        while (now > most && !state_.most_in_flight.compare_exchange_weak(most, now)) {
        }
    }
    ~in_flight_mark() { state_.in_flight.fetch_sub(1); }
    in_flight_mark(const in_flight_mark&) = delete;
    in_flight_mark& operator=(const in_flight_mark&) = delete;

private:
    vendor_state& state_;
};

struct server::impl {
    explicit impl(options o) : settings(std::move(o)), account(settings)
    {
        for (auto& store : invitations)
            store = std::make_unique<detail::invitation_store>(settings.invitations_kept);
    }

    options settings;
    detail::account account;
    // The invitations each vendor's account made, for its list endpoint. Off (null to the
    // contracts) when recording is off: the benchmarks then pay nothing for them.
    std::array<std::unique_ptr<detail::invitation_store>, all_vendors.size()> invitations;
    std::optional<ssl::context> tls;
    std::array<std::uint16_t, all_vendors.size()> ports{};
    std::array<vendor_state, all_vendors.size()> vendors;

    mutable std::mutex records_mutex;
    std::vector<recorded_request> records; // guarded by records_mutex

    // Declared after everything the coroutines use, so that it is destroyed first.
    std::vector<std::unique_ptr<net::io_context>> contexts;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
    std::vector<std::thread> threads;
    std::atomic<std::size_t> next_context{0};

    // The first queued fault that is not reject_email, consumed.
    std::optional<fault> take_fault(vendor v)
    {
        vendor_state& state = vendors[index(v)];
        if (!state.has_faults.load(std::memory_order_acquire))
            return std::nullopt;
        std::lock_guard lock(state.mutex);
        for (auto it = state.faults.begin(); it != state.faults.end(); ++it)
            if (it->kind != fault_kind::reject_email)
                return consume(state, it);
        return std::nullopt;
    }

    // The first queued reject_email fault naming one of `emails`, consumed.
    std::optional<std::string> take_rejection(vendor v, std::span<const std::string_view> emails)
    {
        vendor_state& state = vendors[index(v)];
        if (!state.has_faults.load(std::memory_order_acquire))
            return std::nullopt;
        std::lock_guard lock(state.mutex);
        for (auto it = state.faults.begin(); it != state.faults.end(); ++it) {
            if (it->kind != fault_kind::reject_email)
                continue;
            for (const std::string_view email : emails)
                if (iequals(email, it->email)) {
                    consume(state, it);
                    return std::string(email);
                }
        }
        return std::nullopt;
    }

    static fault consume(vendor_state& state, std::deque<fault>::iterator it)
    {
        fault taken = *it;
        if (it->times == 1)
            state.faults.erase(it);
        else if (it->times > 1)
            --it->times;
        state.has_faults.store(!state.faults.empty(), std::memory_order_release);
        return taken;
    }

    void record(vendor v, const http::request<http::string_body>& request, unsigned status)
    {
        if (!settings.record)
            return;
        recorded_request entry;
        entry.target = v;
        entry.method = std::string(request.method_string());
        entry.path = std::string(request.target());
        for (const auto& field : request)
            entry.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        entry.body = request.body();
        entry.status = status;
        std::lock_guard lock(records_mutex);
        records.push_back(std::move(entry));
    }

    // Closes the connection without a reply.
    template <class Stream>
    static void drop(Stream& stream)
    {
        beast::error_code ignored;
        beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(stream).close();
    }

    net::awaitable<void> accept_loop(vendor v, tcp::acceptor acceptor);
    net::awaitable<void> session(vendor v, tcp::socket socket);
    template <class Stream>
    net::awaitable<bool> serve(vendor v, Stream& stream);
};

namespace {

// Routes rejections asked for by reject_email faults to the server's fault queue.
class fault_filter final : public detail::email_filter {
public:
    fault_filter(server::impl& self, vendor v) : self_(self), vendor_(v) {}
    std::optional<std::string> rejected(std::span<const std::string_view> emails) override
    {
        return self_.take_rejection(vendor_, emails);
    }

private:
    server::impl& self_;
    vendor vendor_;
};

std::optional<std::string_view> header(const http::request<http::string_body>& request, std::string_view name)
{
    const auto it = request.find(name);
    if (it == request.end())
        return std::nullopt;
    return it->value();
}

} // namespace

net::awaitable<void> server::impl::accept_loop(vendor v, tcp::acceptor acceptor)
{
    for (;;) {
        // Connections are spread over the threads' io_contexts round-robin; each then
        // lives on one thread only, so nothing on the request path needs a lock.
        auto& context = *contexts[next_context.fetch_add(1, std::memory_order_relaxed) % contexts.size()];
        auto [ec, socket] = co_await acceptor.async_accept(net::any_io_executor(context.get_executor()), use_tuple);
        if (ec == net::error::operation_aborted)
            co_return;
        if (ec) {
            // Out of descriptors, or a connection reset before accept: wait a moment so a
            // persistent error does not spin this thread.
            net::steady_timer pause(acceptor.get_executor(), 10ms);
            co_await pause.async_wait(use_tuple);
            continue;
        }
        vendors[index(v)].connections.fetch_add(1, std::memory_order_relaxed);
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        auto executor = socket.get_executor();
        net::co_spawn(executor, session(v, std::move(socket)),
                      [](std::exception_ptr e) { log_exception("session", e); });
    }
}

net::awaitable<void> server::impl::session(vendor v, tcp::socket socket)
{
    beast::tcp_stream stream(std::move(socket));
    if (!tls) {
        if (co_await serve(v, stream)) {
            beast::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        }
        co_return;
    }
    ssl::stream<beast::tcp_stream> secure(std::move(stream), *tls);
    secure.next_layer().expires_after(io_timeout);
    auto [handshake_error] = co_await secure.async_handshake(ssl::stream_base::server, use_tuple);
    if (handshake_error)
        co_return;
    if (co_await serve(v, secure)) {
        secure.next_layer().expires_after(5s);
        // stream_truncated from a client that just closes is normal: nothing to do.
        auto [shutdown_error] = co_await secure.async_shutdown(use_tuple);
        (void)shutdown_error;
    }
}

// Answers requests on one connection until it closes. Returns true when the connection
// should be closed gracefully (false: it failed or was dropped on purpose).
template <class Stream>
net::awaitable<bool> server::impl::serve(vendor v, Stream& stream)
{
    beast::flat_buffer buffer;
    detail::reply reply;
    fault_filter filter(*this, v);
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(body_limit);
        beast::get_lowest_layer(stream).expires_after(idle_timeout);
        auto [header_error, header_bytes] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
        // A Content-Length over the limit fails here already; a chunked body while reading it.
        bool too_large = header_error == http::error::body_limit;
        if (header_error && !too_large)
            co_return false;
        beast::get_lowest_layer(stream).expires_after(io_timeout);
        if (!too_large) {
            if (const auto expect = header(parser.get(), "Expect"); expect && iequals(*expect, "100-continue")) {
                http::response<http::empty_body> go_on{http::status::continue_, 11};
                auto [continue_error, continue_bytes] = co_await http::async_write(stream, go_on, use_tuple);
                if (continue_error)
                    co_return false;
            }
            auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, parser, use_tuple);
            too_large = read_error == http::error::body_limit;
            if (read_error && !too_large)
                co_return false;
        }
        const http::request<http::string_body>& request = parser.get();
        const in_flight_mark counted(vendors[index(v)]);

        std::optional<fault> injected = take_fault(v);
        std::string_view retry_after;
        if (too_large) {
            detail::error_reply(v, 413, "request body too large", reply);
        } else if (injected && injected->kind == fault_kind::drop_connection) {
            record(v, request, 0);
            drop(stream);
            co_return false;
        } else if (injected && injected->kind == fault_kind::status) {
            detail::error_reply(v, injected->status, "injected failure", reply);
            retry_after = injected->retry_after;
        } else if (injected && injected->kind == fault_kind::unreadable_body) {
            // A proxy's error page in place of the vendor's JSON, still labelled as JSON.
            reply.clear();
            reply.body = "<html>oops</html>";
        } else {
            if (injected && injected->kind == fault_kind::delay) {
                net::steady_timer timer(co_await net::this_coro::executor, injected->delay);
                co_await timer.async_wait(use_tuple);
            }
            std::string_view path = request.target(), query;
            if (const std::size_t question = path.find('?'); question != std::string_view::npos) {
                query = path.substr(question + 1);
                path = path.substr(0, question);
            }
            const std::string& prefix = settings.path_prefix;
            if (!prefix.empty() &&
                !(path.starts_with(prefix) && path.size() > prefix.size() && path[prefix.size()] == '/')) {
                detail::error_reply(v, 404, "no route for " + std::string(path), reply);
            } else {
                path.remove_prefix(prefix.size());
                const detail::request_view view{
                    .method = request.method_string(),
                    .path = path,
                    .query = query,
                    .content_length = header(request, "Content-Length"),
                    .transfer_encoding = header(request, "Transfer-Encoding"),
                    .content_type = header(request, "Content-Type"),
                    .authorization = header(request, "Authorization"),
                    .x_api_key = header(request, "X-Api-Key"),
                    .anthropic_version = header(request, "anthropic-version"),
                    .warpstream_api_key = header(request, "warpstream-api-key"),
                    .workspace_id = header(request, "X-Workspace-Id"),
                    .body = request.body(),
                };
                detail::handle(v, account, view, &filter, settings.record ? invitations[index(v)].get() : nullptr,
                               reply);
            }
            if (injected && injected->kind == fault_kind::drop_after_create) {
                // Processed (an invitation made, when the call was a valid create): now the
                // reply is lost, as when a vendor's front end fails after its backend acted.
                record(v, request, 0);
                drop(stream);
                co_return false;
            }
        }
        const bool keep_alive = request.keep_alive() && !too_large;
        record(v, request, reply.status);
        if (settings.latency.count() > 0) {
            net::steady_timer timer(co_await net::this_coro::executor, settings.latency);
            co_await timer.async_wait(use_tuple);
        }

        http::response<http::string_body> response{static_cast<http::status>(reply.status), request.version()};
        response.set(http::field::content_type, "application/json");
        if (!retry_after.empty())
            response.set(http::field::retry_after, retry_after);
        if (!reply.allow.empty())
            response.set(http::field::allow, reply.allow);
        if (!reply.www_authenticate.empty())
            response.set(http::field::www_authenticate, reply.www_authenticate);
        response.keep_alive(keep_alive);
        response.body() = std::move(reply.body);
        response.prepare_payload();
        auto [write_error, written] = co_await http::async_write(stream, response, use_tuple);
        reply.body = std::move(response.body()); // keep the buffer for the next request
        if (write_error)
            co_return false;
        if (too_large) {
            // Lingering close: closing with the rest of the body unread would reset the
            // connection, and the client could lose the 413 before reading it.
            if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
                beast::error_code ignored;
                stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
            }
            beast::get_lowest_layer(stream).expires_after(5s);
            std::array<char, 16384> scratch;
            for (std::size_t drained = 0; drained < 64 * body_limit;) {
                auto [drain_error, n] = co_await stream.async_read_some(net::buffer(scratch), use_tuple);
                if (drain_error)
                    break;
                drained += n;
            }
            co_return false;
        }
        if (!keep_alive)
            co_return true;
    }
}

server::server(options o) : impl_(std::make_unique<impl>(std::move(o)))
{
    impl& self = *impl_;
    const options& settings = self.settings;
    if (settings.tls_certificate_file.empty() != settings.tls_private_key_file.empty())
        throw std::invalid_argument("emulator: TLS needs both a certificate and a private key file");
    if (!settings.tls_certificate_file.empty()) {
        self.tls.emplace(ssl::context::tls_server);
        self.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                              ssl::context::single_dh_use);
        self.tls->use_certificate_chain_file(settings.tls_certificate_file);
        self.tls->use_private_key_file(settings.tls_private_key_file, ssl::context::pem);
    }
    if (!settings.path_prefix.empty() && (settings.path_prefix.front() != '/' || settings.path_prefix.back() == '/'))
        throw std::invalid_argument("emulator: path_prefix must start with '/' and not end with one");

    const unsigned threads = std::max(1u, settings.threads);
    for (unsigned i = 0; i < threads; ++i) {
        self.contexts.push_back(std::make_unique<net::io_context>(1));
        self.work.push_back(net::make_work_guard(*self.contexts.back()));
    }
    const auto address = net::ip::make_address(settings.address);
    for (const vendor v : all_vendors) {
        tcp::acceptor acceptor(*self.contexts.front());
        const tcp::endpoint endpoint(address, 0);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(net::socket_base::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen(net::socket_base::max_listen_connections);
        self.ports[index(v)] = acceptor.local_endpoint().port();
        net::co_spawn(*self.contexts.front(), self.accept_loop(v, std::move(acceptor)),
                      [](std::exception_ptr e) { log_exception("accept loop", e); });
    }
    for (auto& context : self.contexts)
        self.threads.emplace_back([&context] { context->run(); });
}

server::~server()
{
    impl& self = *impl_;
    for (auto& context : self.contexts)
        context->stop();
    for (auto& thread : self.threads)
        thread.join();
    self.work.clear();
    // The first context holds the accept loops, whose pending accepts refer to the other
    // contexts: destroy it first, then the others (each destroys its own sessions).
    for (auto& context : self.contexts)
        context.reset();
}

std::uint16_t server::port(vendor v) const { return impl_->ports[index(v)]; }

std::string server::base_url(vendor v) const
{
    const options& settings = impl_->settings;
    std::string host = settings.address;
    if (host.find(':') != std::string::npos)
        host = "[" + host + "]";
    return (impl_->tls ? "https://" : "http://") + host + ":" + std::to_string(port(v)) + settings.path_prefix;
}

void server::inject(vendor v, fault f)
{
    vendor_state& state = impl_->vendors[index(v)];
    std::lock_guard lock(state.mutex);
    state.faults.push_back(std::move(f));
    state.has_faults.store(true, std::memory_order_release);
}

void server::clear_faults()
{
    for (vendor_state& state : impl_->vendors) {
        std::lock_guard lock(state.mutex);
        state.faults.clear();
        state.has_faults.store(false, std::memory_order_release);
    }
}

std::vector<recorded_request> server::requests(std::optional<vendor> only) const
{
    std::lock_guard lock(impl_->records_mutex);
    if (!only)
        return impl_->records;
    std::vector<recorded_request> selected;
    for (const recorded_request& entry : impl_->records)
        if (entry.target == *only)
            selected.push_back(entry);
    return selected;
}

std::size_t server::connections_accepted(vendor v) const
{
    return impl_->vendors[index(v)].connections.load(std::memory_order_relaxed);
}

std::size_t server::most_in_flight(vendor v) const
{
    return impl_->vendors[index(v)].most_in_flight.load();
}

void server::reset()
{
    clear_faults();
    for (vendor_state& state : impl_->vendors) {
        state.connections.store(0, std::memory_order_relaxed);
        state.most_in_flight.store(state.in_flight.load());
    }
    for (auto& store : impl_->invitations)
        store->clear();
    std::lock_guard lock(impl_->records_mutex);
    impl_->records.clear();
}

const options& server::settings() const { return impl_->settings; }

std::vector<std::pair<std::string, std::string>> environment_for(const server& s)
{
    const credentials& c = s.settings().creds;
    std::vector<std::pair<std::string, std::string>> env{
        {"ANTHROPIC_BASE_URL", s.base_url(vendor::anthropic)},
        {"ANTHROPIC_ADMIN_KEY", c.anthropic_api_key},
        {"CLICKHOUSE_BASE_URL", s.base_url(vendor::clickhouse)},
        {"CLICKHOUSE_ORG_ID", c.clickhouse_org_id},
        {"CLICKHOUSE_KEY_ID", c.clickhouse_key_id},
        {"CLICKHOUSE_KEY_SECRET", c.clickhouse_key_secret},
        {"WARPSTREAM_BASE_URL", s.base_url(vendor::warpstream)},
        {"WARPSTREAM_API_KEY", c.warpstream_api_key},
        {"GORULES_BASE_URL", s.base_url(vendor::gorules)},
        {"GORULES_TOKEN", c.gorules_token},
        {"ATOMICWORK_BASE_URL", s.base_url(vendor::atomicwork)},
        {"ATOMICWORK_API_KEY", c.atomicwork_api_key},
        {"ATOMICWORK_WORKSPACE_ID", c.atomicwork_workspace_id},
    };
    const auto role = [](const auto& ids, std::size_t i) -> std::string {
        if (i >= ids.size())
            return {};
        if constexpr (std::is_same_v<std::decay_t<decltype(ids[i])>, std::string>)
            return ids[i];
        else
            return std::to_string(ids[i]);
    };
    env.emplace_back("WARPSTREAM_ROLE_ADMIN", role(c.warpstream_role_ids, 0));
    env.emplace_back("WARPSTREAM_ROLE_MEMBER", role(c.warpstream_role_ids, 1));
    env.emplace_back("ATOMICWORK_ROLE_ADMIN", role(c.atomicwork_role_ids, 0));
    env.emplace_back("ATOMICWORK_ROLE_DEVELOPER", role(c.atomicwork_role_ids, 1));
    env.emplace_back("ATOMICWORK_ROLE_MEMBER", role(c.atomicwork_role_ids, 2));
    env.emplace_back("ATOMICWORK_ROLE_BILLING", role(c.atomicwork_role_ids, 3));
    return env;
}

} // namespace igw::emulator
