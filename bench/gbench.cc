// bench/gbench.cc — eravm-gbench: the bare-tier workloads of eravm-bench's
// built-in manifest as Google Benchmark benchmarks (`<workload>/<mode>`), so
// the library's own flags, JSON output and compare.py work on them. Each
// benchmark checks one run against the manifest before it times anything.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

extern "C" {
#include "bench.h"
#include "opcode.h"
}

namespace {

int g_engine = ERAVM_ENGINE_FAST;

// Empty string when the result is the one the manifest recorded, otherwise a
// one-line description of the first difference.
std::string mismatch(const bench_workload *w, const eravm_result *res)
{
    const char *st = eravm_status_name(res->status);
    uint64_t used = (uint64_t)w->ergs - res->ergs_left;
    char buf[256];
    if (!w->measured)
        snprintf(buf, sizeof buf, "the manifest has no expected outcome for this workload");
    else if (strcmp(st, w->status))
        snprintf(buf, sizeof buf, "status %s, manifest says %s", st, w->status);
    else if (used != w->ergs_used)
        snprintf(buf, sizeof buf, "ergs used %llu, manifest says %llu", (unsigned long long)used,
                 (unsigned long long)w->ergs_used);
    else if (res->instructions != w->instructions)
        snprintf(buf, sizeof buf, "instructions %llu, manifest says %llu",
                 (unsigned long long)res->instructions, (unsigned long long)w->instructions);
    else
        return std::string();
    return buf;
}

// A fresh world per call: Google Benchmark calls this several times (to size
// the iteration count, and once per repetition), and each call should time
// exactly what eravm-bench times.
void run_workload(benchmark::State &state, const bench_workload *w)
{
    uint8_t *code = nullptr;
    size_t len = 0;
    char err[512];
    if (bench_load_code(w, &code, &len, err, sizeof err)) {
        state.SkipWithError(err);
        return;
    }
    bench_run *r = bench_prepare(w, code, len, g_engine);
    if (!r) {
        free(code);
        state.SkipWithError("out of memory preparing the workload");
        return;
    }
    std::string bad = mismatch(w, bench_execute(r));
    if (!bad.empty()) {
        bad = "does not match the manifest: " + bad;
        state.SkipWithError(bad.c_str());
        bench_release(r);
        free(code);
        return;
    }
    const eravm_result *res = nullptr;
    for (auto _ : state) {
        res = bench_execute(r);
        benchmark::DoNotOptimize(res);
    }
    // The timed runs reuse one VM; make sure the last of them still did the
    // recorded work, so the rates below describe what was timed.
    bad = res ? mismatch(w, res) : std::string();
    if (!bad.empty()) {
        bad = "a timed run diverged from the manifest: " + bad;
        state.SkipWithError(bad.c_str());
    } else {
        double iters = (double)state.iterations();
        double instr = (double)w->instructions, ergs = (double)w->ergs_used;
        // kIsRate divides by the total (real) time of all iterations, hence
        // the per-run amounts times the iteration count.
        state.counters["instructions/s"] = benchmark::Counter(instr * iters, benchmark::Counter::kIsRate);
        state.counters["gas/s"] = benchmark::Counter(ergs * iters, benchmark::Counter::kIsRate);
        state.counters["instructions"] = benchmark::Counter(instr);
        state.counters["ergs_used"] = benchmark::Counter(ergs);
    }
    bench_release(r);
    free(code);
}

bool load_manifest(bench_manifest *m)
{
    char err[512];
    if (bench_manifest_load_builtin(m, err, sizeof err)) {
        fprintf(stderr, "eravm-gbench: %s\n", err);
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    // Our one flag of our own, left in argv by Initialize: which engine to time.
    int out = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strncmp(a, "--build=", 8)) {
            const char *b = a + 8;
            if (!strcmp(b, "fast"))
                g_engine = ERAVM_ENGINE_FAST;
            else if (!strcmp(b, "counting"))
                g_engine = ERAVM_ENGINE_COUNTING;
            else if (!strcmp(b, "simple"))
                g_engine = ERAVM_ENGINE_SIMPLE;
            else {
                fprintf(stderr, "eravm-gbench: --build is fast, counting or simple, not '%s'\n", b);
                return 2;
            }
            benchmark::AddCustomContext("eravm_build", b);
        } else {
            argv[out++] = argv[i];
        }
    }
    argc = out;
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    eravm_optab_init();
    bench_manifest m;
    if (!load_manifest(&m)) {
        fprintf(stderr, "eravm-gbench: cannot load the built-in manifest\n");
        return 1;
    }
    const char *data = getenv("ERAVM_DATA");
    benchmark::AddCustomContext("eravm_data", data && *data ? data : "../shared/data");
    for (size_t i = 0; i < m.n; i++) {
        const bench_workload *w = &m.w[i];
        if (strcmp(w->tier, "bare"))
            continue;
        std::string name = std::string(w->name) + "/" + w->mode;
        // A unit that keeps the numbers readable from 5 to 5,000,000 instructions.
        benchmark::TimeUnit unit = w->instructions >= 100000 ? benchmark::kMillisecond
                                   : w->instructions >= 1000  ? benchmark::kMicrosecond
                                                              : benchmark::kNanosecond;
        // No UseRealTime(): it would append "/real_time" to every name. The VM
        // is single-threaded, so CPU time (which the rates divide by) tracks
        // wall time, and the JSON carries real_time as well.
        benchmark::RegisterBenchmark(name.c_str(), run_workload, w)->Unit(unit);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    bench_manifest_free(&m);
    return 0;
}
