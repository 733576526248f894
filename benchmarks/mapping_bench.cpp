// invitegw-mapping-bench: the cost of the mapping stage on the request path, with the
// shipped config and provider mappings: rendering one canonical invitation into all five
// vendor calls, and mapping each vendor's success reply back to per-item results. Heap
// allocations per operation are counted by a replaced global operator new.
//
// Baselines in the same run anchor the figures: copying the rendered body bytes (the least
// any renderer must do) and a full simdjson On-Demand walk of each reply (what any reader
// of that reply pays before looking at a single field).

#include "gateway/canonical/invite_request.hpp"
#include "gateway/mapping/compiled_config.hpp"
#include "gateway/mapping/dispatch_plan.hpp"
#include "gateway/mapping/reply_mapper.hpp"

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <new>
#include <string>

// ---- allocation counter ------------------------------------------------------------------

namespace {
std::atomic<std::uint64_t> allocations{0};
} // namespace

void* operator new(std::size_t size)
{
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept
{
    allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size ? size : 1);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return ::operator new(size, tag); }
void* operator new(std::size_t size, std::align_val_t align)
{
    allocations.fetch_add(1, std::memory_order_relaxed);
    const std::size_t a = static_cast<std::size_t>(align);
    if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) { return ::operator new(size, align); }
// GCC sees these inlined next to a call to operator new and, not knowing that new above
// is malloc, warns that free() does not match; it does here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

using namespace igw;

// ---- fixture: the shipped config with a fixed environment ---------------------------------

const std::map<std::string, std::string, std::less<>>& environment()
{
    static const std::map<std::string, std::string, std::less<>> env{
        {"INVITEGW_CLIENT_KEY", "bench-client-key-0123456789"},
        {"ANTHROPIC_BASE_URL", "http://127.0.0.1:9001"},
        {"ANTHROPIC_ADMIN_KEY", "sk-ant-admin-sandbox"},
        {"CLICKHOUSE_BASE_URL", "http://127.0.0.1:9002"},
        {"CLICKHOUSE_ORG_ID", "7c4a8d09-ca37-4d5a-b1e8-0a3f2f5e1d11"},
        {"CLICKHOUSE_KEY_ID", "sandbox-key-id"},
        {"CLICKHOUSE_KEY_SECRET", "sandbox-key-secret"},
        {"WARPSTREAM_BASE_URL", "http://127.0.0.1:9003"},
        {"WARPSTREAM_API_KEY", "aks_sandbox"},
        {"GORULES_BASE_URL", "http://127.0.0.1:9004"},
        {"GORULES_TOKEN", "gorules-sandbox-token"},
        {"ATOMICWORK_BASE_URL", "http://127.0.0.1:9005"},
        {"ATOMICWORK_API_KEY", "atomicwork-sandbox-key"},
        {"ATOMICWORK_WORKSPACE_ID", "42"},
    };
    return env;
}

struct fixture {
    std::shared_ptr<const mapping::compiled_config> loaded;
    const mapping::route_plan* route = nullptr;
    canonical::invite_request one;   // one invitation to all five targets
    canonical::invite_request batch; // 1000 invitations to all five targets

    static const fixture& get()
    {
        static const fixture f;
        return f;
    }

private:
    fixture()
    {
        loaded = mapping::load_compiled_config(INVITEGW_SOURCE_DIR "/config/gateway.yaml",
                                               [](std::string_view name) -> std::optional<std::string> {
                                                   const auto& env = environment();
                                                   if (auto it = env.find(name); it != env.end())
                                                       return it->second;
                                                   return std::nullopt;
                                               });
        route = &loaded->mappings.routes.at(0);
        const auto& roles = loaded->config.roles;
        const auto role = [&](std::string_view name) {
            return static_cast<std::uint32_t>(std::find(roles.begin(), roles.end(), name) - roles.begin());
        };
        for (std::uint32_t t = 0; t < route->targets.size(); ++t) {
            one.targets.push_back(t);
            batch.targets.push_back(t);
        }
        one.invitations.push_back({.email = "jane.doe@example.com", .role = role("developer"), .ref = "crm-8812"});
        for (int i = 0; i < 1000; ++i)
            batch.invitations.push_back({.email = "user" + std::to_string(i) + "@example.com",
                                         .role = role(i % 2 ? "member" : "developer"),
                                         .ref = std::nullopt});
    }
};

// Allocations per iteration over the timed loop, steady state (the caller warms up first).
struct allocation_meter {
    std::uint64_t start = allocations.load(std::memory_order_relaxed);
    void report(benchmark::State& state, double per_iteration_divisor, const char* per_name)
    {
        const double total = static_cast<double>(allocations.load(std::memory_order_relaxed) - start);
        const double iterations = static_cast<double>(state.iterations());
        state.counters["allocs_per_op"] = total / iterations;
        if (per_iteration_divisor > 0)
            state.counters[per_name] = total / iterations / per_iteration_divisor;
    }
};

// ---- (a) rendering -----------------------------------------------------------------------

void render_calls(benchmark::State& state, const canonical::invite_request& request)
{
    const fixture& f = fixture::get();
    mapping::dispatch_plan plan;
    mapping::render_calls(request, *f.route, f.loaded->config.roles, plan); // warm: capacity
    allocation_meter meter;
    for (auto _ : state) {
        plan.clear();
        mapping::render_calls(request, *f.route, f.loaded->config.roles, plan);
        benchmark::DoNotOptimize(plan.bodies.data());
        benchmark::ClobberMemory();
    }
    const double calls = static_cast<double>(plan.calls.size());
    meter.report(state, calls, "allocs_per_call");
    state.counters["calls"] = calls;
    state.counters["ns_per_call"] = benchmark::Counter(calls * static_cast<double>(state.iterations()),
                                                       benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    state.counters["body_bytes"] = static_cast<double>(plan.bodies.size());
}

void BM_render_one_invitation_five_targets(benchmark::State& state) { render_calls(state, fixture::get().one); }
void BM_render_1000_invitations_five_targets(benchmark::State& state) { render_calls(state, fixture::get().batch); }

// Baseline: copying the bytes of the five rendered bodies into a reused buffer.
void BM_baseline_copy_rendered_bodies(benchmark::State& state)
{
    const fixture& f = fixture::get();
    mapping::dispatch_plan plan;
    mapping::render_calls(f.one, *f.route, f.loaded->config.roles, plan);
    std::string copy;
    copy.reserve(plan.bodies.size());
    allocation_meter meter;
    for (auto _ : state) {
        copy.assign(plan.bodies);
        benchmark::DoNotOptimize(copy.data());
        benchmark::ClobberMemory();
    }
    meter.report(state, 0, "");
    state.counters["body_bytes"] = static_cast<double>(plan.bodies.size());
}

// ---- (b) reply mapping -------------------------------------------------------------------

// Success replies as each vendor (and the strict emulator) sends them for jane.doe@example.com.
std::string success_reply(std::string_view target)
{
    if (target == "anthropic")
        return R"({"id":"invite_015gWxCN9Hfg2QhZwTK7Mdeu","type":"invite","email":"jane.doe@example.com",)"
               R"("role":"developer","invited_at":"2024-10-30T23:58:27.427722Z",)"
               R"("expires_at":"2024-11-20T23:58:27.427722Z","status":"pending"})";
    if (target == "clickhouse")
        return R"({"status":200,"requestId":"5f9ac3a8-9d55-4c4b-8a5e-0c1c5d0f7b21","result":{"role":"developer",)"
               R"("id":"0b8a7d3e-1f2c-4d5e-9a8b-7c6d5e4f3a21","email":"jane.doe@example.com",)"
               R"("createdAt":"2024-10-30T23:58:27Z","expireAt":"2024-11-29T23:58:27Z"}})";
    if (target == "gorules")
        return R"([{"id":"3c2b1a09-8f7e-4d6c-b5a4-392817160504","email":"jane.doe@example.com","status":"pending",)"
               R"("userId":"9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a","createdAt":"2024-10-30T23:58:27.427Z",)"
               R"("expiresAt":"2024-11-06T23:58:27.427Z"}])";
    return "{}"; // warpstream, atomicwork
}

void BM_map_reply(benchmark::State& state, std::string target)
{
    const fixture& f = fixture::get();
    mapping::dispatch_plan plan;
    mapping::render_calls(f.one, *f.route, f.loaded->config.roles, plan);
    const mapping::upstream_call* call = nullptr;
    for (const auto& c : plan.calls)
        if (f.route->target_names.at(c.target_index) == target)
            call = &c;
    if (!call) {
        state.SkipWithError("no call for this target");
        return;
    }
    std::string body = success_reply(target);
    mapping::reply_mapper mapper;
    std::vector<mapping::item_result> results;
    mapper.map_reply(f.one, plan, *call, 200, body, results); // warm: capacity, parser
    if (results.size() != 1 || results[0].status != mapping::item_status::invited) {
        state.SkipWithError("the reply was not mapped to one invited result");
        return;
    }
    allocation_meter meter;
    for (auto _ : state) {
        results.clear();
        mapper.map_reply(f.one, plan, *call, 200, body, results);
        benchmark::DoNotOptimize(results.data());
        benchmark::ClobberMemory();
    }
    meter.report(state, 1, "allocs_per_call");
    state.counters["reply_bytes"] = static_cast<double>(body.size());
}

// Sums the lengths of every string, key and scalar token: visits the whole document.
std::size_t walk(simdjson::ondemand::value value)
{
    std::size_t n = 0;
    switch (value.type().value_unsafe()) {
    case simdjson::ondemand::json_type::object:
        for (auto field : value.get_object()) {
            n += field.unescaped_key().value_unsafe().size();
            n += walk(field.value());
        }
        break;
    case simdjson::ondemand::json_type::array:
        for (auto element : value.get_array())
            n += walk(element.value_unsafe());
        break;
    case simdjson::ondemand::json_type::string: n += value.get_string().value_unsafe().size(); break;
    default: n += value.raw_json_token().size(); break;
    }
    return n;
}

// Baseline: parsing the same reply with a reused simdjson parser, reading every value.
void BM_baseline_simdjson_walk(benchmark::State& state, std::string target)
{
    std::string body = success_reply(target);
    const std::size_t size = body.size();
    body.reserve(size + simdjson::SIMDJSON_PADDING);
    simdjson::ondemand::parser parser;
    allocation_meter meter;
    for (auto _ : state) {
        auto doc = parser.iterate(simdjson::padded_string_view(body.data(), size, body.capacity()));
        simdjson::ondemand::value root;
        std::size_t n = 0;
        // A document that is a bare scalar cannot be a value; every reply here is an object or array.
        if (!doc.get_value().get(root))
            n = walk(root);
        benchmark::DoNotOptimize(n);
    }
    meter.report(state, 0, "");
}

} // namespace

int main(int argc, char** argv)
{
    try {
        (void)fixture::get();
    } catch (const std::exception& e) {
        std::cerr << "invitegw-mapping-bench: cannot load the shipped config: " << e.what() << "\n";
        return 1;
    }
    benchmark::RegisterBenchmark("render/1_invitation_x_5_targets", BM_render_one_invitation_five_targets);
    benchmark::RegisterBenchmark("render/baseline_copy_body_bytes", BM_baseline_copy_rendered_bodies);
    benchmark::RegisterBenchmark("render/1000_invitations_x_5_targets", BM_render_1000_invitations_five_targets);
    for (const char* target : {"anthropic", "clickhouse", "warpstream", "gorules", "atomicwork"}) {
        benchmark::RegisterBenchmark((std::string("map_reply/") + target).c_str(), BM_map_reply, target);
        benchmark::RegisterBenchmark((std::string("map_reply/baseline_simdjson_walk/") + target).c_str(),
                                     BM_baseline_simdjson_walk, target);
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
