/* bench/target.c — a workload ready to be run again and again in one
 * engine, whatever its tier: the bare tier's prepared run, or the full
 * tier's transaction batch (a fresh VM before each run, untimed). The
 * profiler's reports (profile.c, flame.c) run their fast runs and their
 * profiling runs through it, and count every profiling run into one
 * profile (eravm_counters) that outlives the VMs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

struct bench_target {
    bench_run *bare;
    bench_full *full;
};

bench_target *bench_target_new(const bench_workload *w, const uint8_t *code, size_t len, int engine,
                               const bench_full_opts *fo, char *err, size_t errn)
{
    bench_target *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errn, "out of memory");
        return NULL;
    }
    if (!strcmp(w->tier, "full")) {
        bench_full_opts o = fo ? *fo : (bench_full_opts){0};
        o.engine = engine;
        t->full = bench_full_prepare(w, code, len, &o, err, errn);
    } else {
        t->bare = bench_prepare(w, code, len, engine);
        if (!t->bare)
            snprintf(err, errn, "out of memory");
    }
    if (!t->bare && !t->full) {
        free(t);
        return NULL;
    }
    return t;
}

static double thread_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int bench_target_run(bench_target *t, eravm_counters *prof, double *cpu_ns, char *err, size_t errn)
{
    double c0 = 0;
    if (t->full) {
        if (bench_full_reset(t->full, err, errn) != 0)
            return -1;
        if (prof)
            eravm_vm_attach_counters(bench_full_vm(t->full), prof);
        c0 = thread_cpu_ns();
        if (bench_full_execute(t->full, err, errn) != 0)
            return -1;
    } else {
        if (prof)
            eravm_vm_attach_counters(bench_vm(t->bare), prof);
        c0 = thread_cpu_ns();
        bench_execute(t->bare);
    }
    if (cpu_ns)
        *cpu_ns = thread_cpu_ns() - c0;
    return 0;
}

bench_full *bench_target_full(bench_target *t)
{
    return t->full;
}

void bench_target_free(bench_target *t)
{
    if (!t)
        return;
    bench_release(t->bare);
    bench_full_release(t->full);
    free(t);
}
