/* bench/bench.h — eravm-bench internals shared by its modules: the workload
 * manifest, resolving a workload's bytecode, running and verifying it,
 * hardware/software counters, EraVM-level flamegraphs and profiles. */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <stdio.h>

#include "eravm.h"
#include "eravm_prof.h"

#define BENCH_ADDRESS 0x1234567890abcdefull /* where bare workloads run, as in `eravm run` */
#define BENCH_DEFAULT_ERGS 30000000u

typedef struct {
    char name[64];
    char tier[8];   /* bare | full */
    char mode[12];  /* bare: call | ctor; full: deploy | transfer */
    char source[160]; /* data:PATH | port:NAME | synth:NAME */
    uint32_t ergs;
    char status[12];
    uint64_t ergs_used;
    uint64_t instructions;
    bool measured;  /* expectations present (not "-") */
} bench_workload;

typedef struct {
    bench_workload *w;
    size_t n;
    char (*alias)[2][64];
    size_t nalias;
} bench_manifest;

/* Every field is checked: names and sources that fit, tier bare (mode call
 * or ctor) or full (deploy or transfer), ergs 0..2^32-1 (0 = the default:
 * BENCH_DEFAULT_ERGS in the bare tier), status (the VM's in the bare tier, a
 * transaction's in the full tier) or "-" with "-" expectations, decimal counts. */
int bench_manifest_load(const char *path, bench_manifest *m, char *err, size_t errn);
/* The manifest built into the binary (workloads/manifest.tsv at build time). */
int bench_manifest_load_builtin(bench_manifest *m, char *err, size_t errn);
extern const char bench_embedded_manifest[];
void bench_manifest_free(bench_manifest *m);
/* Writes the manifest back with the given rows (measured values filled in). */
int bench_manifest_write(const char *path, const bench_manifest *m);

/* The ergs a bare workload runs with (its manifest value, or the default for 0). */
uint32_t bench_workload_ergs(const bench_workload *w);

/* Bytecode of a workload: from $ERAVM_DATA (truncated to an odd word count)
 * or from the ports and synthetic loops assembled into the binary. */
int bench_load_code(const bench_workload *w, uint8_t **code, size_t *len, char *err, size_t errn);

/* Programs assembled at build time (build/gen/embedded.c). */
typedef struct {
    const char *kind; /* "port" | "synth" */
    const char *name;
    const uint8_t *code;
    size_t len;
} bench_embedded;
extern const bench_embedded bench_embedded_programs[];
extern const size_t bench_embedded_count;

/* One prepared workload: world, program and call, reusable for many runs. */
typedef struct bench_run bench_run;
bench_run *bench_prepare(const bench_workload *w, const uint8_t *code, size_t len, int engine);
eravm_vm *bench_vm(bench_run *r);
/* Runs once; returns the result (valid until the next run). */
const eravm_result *bench_execute(bench_run *r);
void bench_release(bench_run *r);

/* ---- the full tier (full.c): a transaction through the real bootloader ---- */
typedef struct {
    int engine;
    unsigned batch;      /* transactions per batch (0 = 1) */
    bool no_signatures;  /* upstream's fast_no_sigs: ecrecover answered by the host */
    bool warm_code;      /* keep decoded programs between runs (upstream decodes per VM) */
} bench_full_opts;

typedef struct bench_full bench_full;
/* Builds and signs the workload's transactions (code: the bytecode to
 * deploy, NULL for a transfer). NULL with err on failure. */
bench_full *bench_full_prepare(const bench_workload *w, const uint8_t *code, size_t len,
                               const bench_full_opts *o, char *err, size_t errn);
/* Runs once at the start of a fresh batch and checks every effect; then
 * bench_full_outcome holds the result. 0, or -1 with err. */
int bench_full_verify(bench_full *f, char *err, size_t errn);
/* Untimed: a fresh VM at batch start. Timed: push and run every tx. */
int bench_full_reset(bench_full *f, char *err, size_t errn);
int bench_full_execute(bench_full *f, char *err, size_t errn);
/* Of the last verify or execute, summed over the batch. */
void bench_full_outcome(const bench_full *f, const char **status, uint64_t *ergs_used,
                        uint64_t *gas_used, uint64_t *instructions);
void bench_full_release(bench_full *f);
/* Names a far frame of the full tier (a bench_name_fn; ctx = the bench_full). */
void bench_full_frame_name(void *ctx, const eravm_stack_frame *frame, char *buf, size_t n);
/* Transactions per batch (--batch, or the workload's own default). */
unsigned bench_full_ntx(const bench_full *f);
/* Runs the batch once more with a recording into DIR (host/record.h). */
int bench_full_record(bench_full *f, const char *dir, char *err, size_t errn);
/* The VM of the current batch (a new one after each bench_full_reset). */
eravm_vm *bench_full_vm(bench_full *f);

/* ---- either tier, run again and again (target.c) ---- */
typedef struct bench_target bench_target;
/* fo: full-tier options (NULL = defaults); ignored for the bare tier. */
bench_target *bench_target_new(const bench_workload *w, const uint8_t *code, size_t len, int engine,
                               const bench_full_opts *fo, char *err, size_t errn);
/* One run: untimed preparation (the full tier's fresh VM), the VM counts
 * into prof if given, then the run; *cpu_ns its thread CPU time. */
int bench_target_run(bench_target *t, eravm_counters *prof, double *cpu_ns, char *err, size_t errn);
void bench_target_free(bench_target *t);
/* The full tier's batch behind a target, or NULL for the bare tier. */
bench_full *bench_target_full(bench_target *t);

/* ---- counters (counters.c) ---- */
typedef struct {
    bool hardware;       /* false: the machine has no PMU; software events instead */
    int n;
    const char *names[8];
    uint64_t values[8];
} bench_counter_set;

/* Opens the counters once; prints one note when no PMU is present. */
void bench_counters_open(void);
/* start: zeroed and counting; pause/resume around what is not to be
 * counted (the full tier's reset between runs); stop: read */
void bench_counters_start(void);
void bench_counters_pause(void);
void bench_counters_resume(void);
void bench_counters_stop(bench_counter_set *out);
void bench_counters_close(void);

/* ---- EraVM-level flamegraphs (flame.c) ---- */

/* Names a far frame (contract) or near frame (function) of a profiled call
 * stack into buf. The full tier supplies its own (system contracts, the
 * bootloader, user contracts); bench_flame_default_name names system
 * contracts by address, others by hex address, functions by entry pc. */
typedef void (*bench_name_fn)(void *ctx, const eravm_stack_frame *frame, char *buf, size_t n);
void bench_flame_default_name(void *ctx, const eravm_stack_frame *frame, char *buf, size_t n);
/* Writes BASE.{instr,ergs,time}.folded and .svg from a VM's profiled call
 * stacks (ERAVM_PROF_STACKS), divided by `runs`: contract, then near-call
 * functions, then the opcode family at the leaf. Returns 0 or -1. */
int bench_flame_write(const eravm_counters *c, int runs, const char *base,
                      const char *what, bench_name_fn name, void *ctx);
/* Profiles the workload in the counting engine (first for per-opcode
 * costs, then per call stack) and writes DIR/eravm-<name>-<mode>.*; near
 * frames of port:/synth: workloads are named by their .zasm labels.
 * Returns 0 or -1. */
int bench_flamegraph(const bench_workload *w, const uint8_t *code, size_t len, const bench_full_opts *fo,
                     const char *dir);

/* ---- profiler reports (profile.c) ---- */

void bench_slot_name(unsigned slot, char *buf, unsigned n); /* "add.imm.stack_rel!", "(pc wrap)" */
double bench_median(double *v, size_t n);                   /* sorts v */
double bench_now_ns(void);                                  /* CLOCK_MONOTONIC */
int bench_cmp_double(const void *a, const void *b);         /* for qsort */
/* ns per dispatch: the fast build's ns/instruction on synth/nop */
double bench_dispatch_ns(void);

typedef struct {
    uint16_t a, b, c; /* c = ERAVM_NO_SLOT for a pair */
    uint64_t count;
    double saving_ns;
} bench_fusion_row;
typedef struct {
    bench_fusion_row *rows;
    size_t n, cap;
} bench_fusion;
void bench_fusion_add(bench_fusion *f, const eravm_sequence *s, double saving_ns);
/* the superinstruction generator's input (profiles/fusion.csv): by saving_ns,
 * largest first; c empty for a pair; saving_ns = count x the dispatches
 * fusing saves x ns per dispatch */
#define BENCH_FUSION_HEADER "a_index,b_index,c_index,a_name,b_name,c_name,count,saving_ns"
int bench_fusion_write(bench_fusion *f, const char *path);

typedef struct {
    int top;
    bool text;
    FILE *out;
    const char *csv_dir; /* fusion-<workload>-<mode>.csv; NULL = none */
    double min_seconds;  /* of counting runs per workload */
    int max_runs;
} bench_profile_opts;
/* Per-opcode host time with the check against the fast build's measured
 * time, and the pair/triple ranking; adds the sequences to agg (may be
 * NULL). Returns the JSON "profile" object. */
json_t *bench_profile(const bench_profile_opts *o, const bench_workload *w, const uint8_t *code, size_t len,
                      const bench_full_opts *fo, bench_fusion *agg);

/* For each synth loop: the fast build's ns per instruction of the loop,
 * the profiled cost of its instruction in the loop, and in synth/mix. */
json_t *bench_isolation(const bench_profile_opts *o, const bench_manifest *m);

#endif
