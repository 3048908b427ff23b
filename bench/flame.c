/* bench/flame.c — EraVM-level flamegraphs from the counting engine's call
 * stack profile (vm/eravm_prof.h): contract, then near-call functions, then
 * the opcode family at the leaf, weighted three ways — by instructions, by
 * ergs (as the profiler charges them: the frame that paid), and by host
 * time (timed blocks shared among their instructions by per-opcode cost).
 * Frames are named by a caller-supplied function, so the full tier can name
 * system contracts, the bootloader and user contracts its own way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "asm.h"
#include "bench.h"
#include "flamesvg.h"
#include "opcode.h"

/* System contracts by address, from the one table of them (host/syscon.def). */
static const struct {
    uint32_t addr;
    const char *name;
} system_names[] = {
    {0x8001, "Bootloader"}, /* before EmptyContract, which syscon.def also puts there */
#define X(ADDR, NAME, ARTIFACT, HASH) {ADDR, #NAME},
#include "syscon.def"
#undef X
};

static void address_name(u256 a, char *buf, size_t n)
{
    if (a.w[3] == 0 && a.w[2] == 0 && a.w[1] == 0 && a.w[0] < 65536) {
        for (size_t i = 0; i < sizeof system_names / sizeof system_names[0]; i++)
            if (system_names[i].addr == a.w[0]) {
                snprintf(buf, n, "%s", system_names[i].name);
                return;
            }
        snprintf(buf, n, "kernel:0x%llx", (unsigned long long)a.w[0]);
        return;
    }
    char hex[80];
    u256_to_hex(a, hex, sizeof hex);
    snprintf(buf, n, "%s", hex);
}

void bench_flame_default_name(void *ctx, const eravm_stack_frame *frame, char *buf, size_t n)
{
    (void)ctx;
    if (!frame->far) {
        snprintf(buf, n, "near@%u", frame->pc);
        return;
    }
    /* the code that runs names the frame; a delegate or mimic call says whose context it runs in */
    address_name(frame->code_address, buf, n);
    if (!u256_eq(frame->address, frame->code_address)) {
        size_t k = strlen(buf);
        char in[96];
        address_name(frame->address, in, sizeof in);
        snprintf(buf + k, n > k ? n - k : 0, " (as %s)", in);
    }
}

/* ---- folding the cells ---------------------------------------------------------------- */

typedef struct {
    char *stack;
    double instr, ergs, ns;
} flame_line;

static int line_cmp(const void *a, const void *b)
{
    return strcmp(((const flame_line *)a)->stack, ((const flame_line *)b)->stack);
}

/* The folded path of a frame ("A;near@31;near@31"), built once per frame. */
static const char *frame_path(char **paths, const eravm_stack_frame *fr, unsigned i, bench_name_fn name, void *ctx)
{
    if (i == 0)
        return "";
    if (paths[i])
        return paths[i];
    const char *up = frame_path(paths, fr, fr[i].parent, name, ctx);
    char label[256];
    name(ctx, &fr[i], label, sizeof label);
    for (char *p = label; *p; p++) /* ';' separates frames; ' ' ends the stack */
        if (*p == ';' || *p == ' ')
            *p = *p == ';' ? ':' : '_';
    size_t n = strlen(up) + strlen(label) + 2;
    paths[i] = malloc(n);
    snprintf(paths[i], n, "%s%s%s", up, *up ? ";" : "", label);
    return paths[i];
}

static int write_folded(const flame_line *v, size_t n, const char *path, int which)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (size_t i = 0; i < n; i++) {
        double x = which == 0 ? v[i].instr : which == 1 ? v[i].ergs : v[i].ns;
        long long k = (long long)(x + 0.5);
        if (k > 0) /* (a far call can be charged less than nothing: a kernel stipend) */
            fprintf(f, "%s %lld\n", v[i].stack, k);
    }
    return fclose(f);
}

int bench_flame_write(const eravm_counters *c, int runs, const char *base,
                      const char *what, bench_name_fn name, void *ctx)
{
    const eravm_stack_frame *fr;
    size_t nf = eravm_counters_frames(c, &fr);
    eravm_stack_cell *cells;
    size_t nc = eravm_counters_cells(c, &cells);
    char **paths = calloc(nf ? nf : 1, sizeof *paths);
    flame_line *v = calloc(nc ? nc : 1, sizeof *v);
    double per = runs > 0 ? 1.0 / runs : 1.0, total_ns = 0;
    uint64_t total_instr = 0;
    for (size_t i = 0; i < nc; i++) {
        const char *p = frame_path(paths, fr, cells[i].frame, name, ctx);
        unsigned fam = eravm_index_family(cells[i].slot);
        const char *leaf = fam == ERAVM_FAMILY_PANIC ? "(panic)" : fam == ERAVM_FAMILY_WRAP ? "(wrap)"
                                                                                            : eravm_families[fam].name;
        size_t n = strlen(p) + strlen(leaf) + 2;
        v[i].stack = malloc(n);
        snprintf(v[i].stack, n, "%s;%s", p, leaf);
        v[i].instr = (double)cells[i].count * per;
        v[i].ergs = (double)cells[i].ergs * per;
        v[i].ns = cells[i].ns * per;
        total_ns += v[i].ns;
        total_instr += cells[i].count;
    }
    /* cells of one family in one frame fold into one line */
    qsort(v, nc, sizeof *v, line_cmp);
    size_t m = 0;
    for (size_t i = 0; i < nc; i++) {
        if (m && !strcmp(v[m - 1].stack, v[i].stack)) {
            v[m - 1].instr += v[i].instr;
            v[m - 1].ergs += v[i].ergs;
            v[m - 1].ns += v[i].ns;
            free(v[i].stack);
        } else {
            v[m++] = v[i];
        }
    }
    static const char *kinds[3] = {"instr", "ergs", "time"};
    static const char *units[3] = {"instructions", "ergs", "ns"};
    int rc = 0;
    for (int k = 0; k < 3; k++) {
        char folded[1200], svg[1200], title[512];
        snprintf(folded, sizeof folded, "%s.%s.folded", base, kinds[k]);
        snprintf(svg, sizeof svg, "%s.%s.svg", base, kinds[k]);
        snprintf(title, sizeof title, "EraVM %s: %s by frame (%llu instructions, %.3f ms host time per run)", what,
                 k == 0 ? "instructions" : k == 1 ? "ergs" : "host time", (unsigned long long)(total_instr * per),
                 total_ns / 1e6);
        if (write_folded(v, m, folded, k) || flamesvg_render(folded, svg, title, units[k]))
            rc = -1;
        else
            fprintf(stderr, "eravm-bench: wrote %s and %s\n", folded, svg);
    }
    for (size_t i = 0; i < m; i++)
        free(v[i].stack);
    for (size_t i = 0; i < nf; i++)
        free(paths[i]);
    free(paths);
    free(v);
    free(cells);
    return rc;
}

/* ---- eravm-bench --flamegraph ------------------------------------------------------------ */

typedef struct {
    eravm_asm_result labels; /* the workload's .zasm, when it is a port or synthetic loop */
    bool have;
} flame_names;

static void flame_name(void *ctx, const eravm_stack_frame *frame, char *buf, size_t n)
{
    const flame_names *fn = ctx;
    if (!frame->far && fn->have)
        for (size_t i = 0; i < fn->labels.nsyms; i++)
            if (fn->labels.syms[i].kind == ASM_SYM_CODE && fn->labels.syms[i].value == frame->pc) {
                snprintf(buf, n, "%s", fn->labels.syms[i].name);
                return;
            }
    bench_flame_default_name(NULL, frame, buf, n);
}

/* Labels from workloads/ports/NAME.zasm or workloads/synthetic/NAME.zasm
 * (relative to the checkout eravm-bench runs in); none without it. */
static bool load_labels(const bench_workload *w, eravm_asm_result *res)
{
    const char *dir = !strncmp(w->source, "port:", 5) ? "workloads/ports" : !strncmp(w->source, "synth:", 6) ? "workloads/synthetic" : NULL;
    if (!dir)
        return false;
    char path[512];
    snprintf(path, sizeof path, "%s/%s.zasm", dir, strchr(w->source, ':') + 1);
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char *src = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 > cap && !(src = realloc(src, cap = cap ? 2 * cap : 65536)))
            break;
        size_t k = fread(src + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    fclose(f);
    char err[256];
    bool ok = src && eravm_asm(src, n, path, res, err, sizeof err) == 0;
    free(src);
    return ok;
}

static double flame_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Profiling runs in pairs (timing, counting) until `seconds` passed (at
 * least 3 pairs, at most 1000). */
static int run_pairs(bench_target *t, eravm_counters *c, double seconds, char *err, size_t errn)
{
    int pairs = 0;
    double t0 = flame_now();
    do {
        if (bench_target_run(t, c, NULL, err, errn) || bench_target_run(t, c, NULL, err, errn))
            return -1;
        pairs++;
    } while ((flame_now() - t0 < seconds || pairs < 3) && pairs < 1000);
    return 0;
}

int bench_flamegraph(const bench_workload *w, const uint8_t *code, size_t len, const bench_full_opts *fo,
                     const char *dir)
{
    mkdir(dir, 0755);
    char err[600];
    bench_target *t = bench_target_new(w, code, len, ERAVM_ENGINE_COUNTING, fo, err, sizeof err);
    eravm_counters *c = eravm_counters_new(ERAVM_PROF_TIME);
    /* per-opcode costs first: they share each timed block's time among its
     * (frame, opcode) cells in the call-stack pass */
    int bad = !t || run_pairs(t, c, 0.2, err, sizeof err);
    eravm_counters_set_options(c, ERAVM_PROF_TIME | ERAVM_PROF_STACKS);
    eravm_counters_reset(c);
    bad = bad || run_pairs(t, c, 0.2, err, sizeof err);
    if (bad) {
        fprintf(stderr, "eravm-bench: --flamegraph %s (%s): %s\n", w->name, w->mode, err);
        bench_target_free(t);
        eravm_counters_free(c);
        return -1;
    }
    flame_names names;
    memset(&names, 0, sizeof names);
    names.have = load_labels(w, &names.labels);
    char base[1024], safe[64], what[160];
    snprintf(safe, sizeof safe, "%s", w->name);
    for (char *p = safe; *p; p++)
        if (*p == '/')
            *p = '_';
    snprintf(base, sizeof base, "%s/eravm-%s-%s", dir, safe, w->mode);
    snprintf(what, sizeof what, "%s (%s)", w->name, w->mode);
    /* the full tier names its frames from its own chain: system contracts,
     * accounts, a script's names */
    bench_full *full = bench_target_full(t);
    int rc = full ? bench_flame_write(c, (int)eravm_counters_runs(c), base, what,
                                      bench_full_frame_name, full)
                  : bench_flame_write(c, (int)eravm_counters_runs(c), base, what, flame_name, &names);
    bench_target_free(t);
    if (names.have)
        eravm_asm_free(&names.labels);
    eravm_counters_free(c);
    return rc;
}
