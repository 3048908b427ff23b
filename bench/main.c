/* bench/main.c — eravm-bench: runs workloads from the manifest, verifies
 * each against its recorded outcome before timing it, and reports wall time,
 * EraVM instructions/s, ergs/s and ns/instruction as a table, JSON or CSV;
 * optionally opcode histograms and pair counts (counting engine), hardware or
 * software counters, and EraVM-level flamegraphs. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "eravm_prof.h"
#include "opcode.h"
#include "tool_util.h"

#define MAX_RUNS 1000000      /* samples are kept for the median: 8 MB at most */
#define MAX_MIN_TIME 3600.0   /* --min-time, seconds per workload */

static const char *usage_text =
    "usage: eravm-bench [options]\n"
    "  --workload NAME      run NAME (repeatable; 'all' = every workload; default all)\n"
    "  --list               list the workloads and exit\n"
    "  --tier bare|full|all tier (default: the full tier of a workload that has one,\n"
    "                       every tier for 'all')\n"
    "  --mode MODE          only this mode: call|ctor (bare), deploy|transfer|execute (full)\n"
    "  --batch N            full tier: N transactions in one batch (nonces 0..N-1)\n"
    "  --no-signatures      full tier: ecrecover answered by the host (upstream's fast_no_sigs)\n"
    "  --no-keyed           decode without keyed twins (fused handlers compiled for the\n"
    "                       hottest vm-benchmark loop bodies' exact words): the general\n"
    "                       engine's speed on those loops\n"
    "  --warm-code          full tier: keep decoded programs between runs (upstream decodes\n"
    "                       them in every run, with a VM per run)\n"
    "  --record DIR         full tier: record each workload's run into DIR/NAME (eravm replay)\n"
    "  --runs N             timed runs per workload (default 10, at most 1000000)\n"
    "  --warmup N           untimed runs first (default 1)\n"
    "  --min-time S         keep running until S seconds were timed (0 < S <= 3600;\n"
    "                       stops at 1000000 runs)\n"
    "  --engine fast|counting|simple  engine to time (default $ERAVM_ENGINE, else fast;\n"
    "                       --build is the same option)\n"
    "  --histogram          per-opcode counts, ergs and cycles (top N, CSV)\n"
    "  --pairs              opcode pairs and triples in code order, by variant (top N, CSV)\n"
    "  --top N              rows in histogram/pair tables (default 20)\n"
    "  --csv-dir DIR        where histogram/pair CSVs go (default build/bench)\n"
    "  --counters           CPU counters around the timed runs (software events without a PMU)\n"
    "  --flamegraph DIR     EraVM-level flamegraphs weighted by instructions, ergs and host time into DIR\n"
    "  --profile            per-opcode host time that adds up to the measured time, and the\n"
    "                       opcode pairs/triples a superinstruction would pay for\n"
    "  --profile-time S     seconds of counting runs per workload for --profile (default 1)\n"
    "  --fusion-csv FILE    with --profile: every workload's pairs and triples, merged, in\n"
    "                       the superinstruction generator's format (profiles/fusion.csv)\n"
    "  --isolation          per-opcode cost in each synth/* loop against in synth/mix, and exit\n"
    "  --format table|json|csv   report format (default table)\n"
    "  --output FILE        write the report to FILE\n"
    "  --pin CPU            pin to a CPU\n"
    "  --manifest FILE      workload manifest (default: the one built in)\n"
    "  --record-manifest FILE   run the selected workloads once and write their outcomes\n"
    "  --check              run each selected workload once (no timing) and list every\n"
    "                       difference from the manifest as a table; exit 1 if any\n"
    "  --max-memory SIZE    cap the process's memory (K/M/G suffixes, 0 = none; default 4G\n"
    "                       or half the machine's memory); past it: exit status 3\n"
    "  --help\n";

typedef struct {
    const char **workloads;
    int nworkloads;
    const char *tier, *mode, *build, *format, *output, *flame_dir, *csv_dir, *manifest,
        *record, *record_dir, *max_memory, *fusion_csv;
    int runs, warmup, top, pin, batch;
    double min_time, profile_time;
    bool list, histogram, pairs, counters, check, no_signatures, warm_code, profile, isolation,
        no_keyed;
} options;

static int die(const char *fmt, const char *a)
{
    fprintf(stderr, "eravm-bench: ");
    fprintf(stderr, fmt, a);
    fputc('\n', stderr);
    return 2;
}

static bool parse_int(const char *s, int *out, int lo, int hi)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    int engine = tool_engine_default();
    if (engine < 0)
        return 2;
    o->build = tool_engine_name(engine);
    o->format = "table";
    o->csv_dir = "build/bench";
    o->runs = 10;
    o->warmup = 1;
    o->top = 20;
    o->pin = -1;
    o->profile_time = 1;
    o->workloads = calloc((size_t)argc + 1, sizeof *o->workloads);
    if (!o->workloads)
        tool_out_of_memory();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define VALUE()                                                      \
    do {                                                             \
        if (!v)                                                      \
            return die("%s needs a value (see --help)", a);           \
        i++;                                                         \
    } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            exit(0);
        } else if (!strcmp(a, "--workload")) {
            VALUE();
            o->workloads[o->nworkloads++] = v;
        } else if (!strcmp(a, "--list")) {
            o->list = true;
        } else if (!strcmp(a, "--tier")) {
            VALUE();
            if (strcmp(v, "bare") && strcmp(v, "full") && strcmp(v, "all"))
                return die("--tier is bare, full or all, not '%s'", v);
            o->tier = strcmp(v, "all") ? v : NULL;
        } else if (!strcmp(a, "--mode")) {
            VALUE();
            if (strcmp(v, "call") && strcmp(v, "ctor") && strcmp(v, "deploy") &&
                strcmp(v, "transfer") && strcmp(v, "execute"))
                return die("--mode is call, ctor, deploy, transfer or execute, not '%s'", v);
            o->mode = v;
        } else if (!strcmp(a, "--batch")) {
            VALUE();
            if (!parse_int(v, &o->batch, 1, 5000))
                return die("--batch wants 1 to 5000 transactions, not '%s'", v);
        } else if (!strcmp(a, "--no-signatures")) {
            o->no_signatures = true;
        } else if (!strcmp(a, "--no-keyed")) {
            o->no_keyed = true;
        } else if (!strcmp(a, "--warm-code")) {
            o->warm_code = true;
        } else if (!strcmp(a, "--record")) {
            VALUE();
            o->record_dir = v;
        } else if (!strcmp(a, "--runs")) {
            VALUE();
            if (!parse_int(v, &o->runs, 1, MAX_RUNS))
                return die("--runs wants a number from 1 to 1000000, not '%s'", v);
        } else if (!strcmp(a, "--warmup")) {
            VALUE();
            if (!parse_int(v, &o->warmup, 0, MAX_RUNS))
                return die("--warmup wants a number from 0 to 1000000, not '%s'", v);
        } else if (!strcmp(a, "--top")) {
            VALUE();
            if (!parse_int(v, &o->top, 1, 1000000000))
                return die("--top wants a positive number, not '%s'", v);
        } else if (!strcmp(a, "--min-time")) {
            VALUE();
            char *end;
            o->min_time = strtod(v, &end);
            /* !(x > 0) also refuses nan */
            if (!*v || *end || !(o->min_time > 0) || o->min_time > MAX_MIN_TIME)
                return die("--min-time wants seconds, more than 0 and at most 3600, not '%s'", v);
        } else if (!strcmp(a, "--engine") || !strcmp(a, "--build")) {
            VALUE();
            if (tool_engine(v) < 0)
                return die("--engine (--build) is fast, counting or simple, not '%s'", v);
            o->build = v;
        } else if (!strcmp(a, "--max-memory")) {
            VALUE();
            o->max_memory = v;
        } else if (!strcmp(a, "--histogram")) {
            o->histogram = true;
        } else if (!strcmp(a, "--pairs")) {
            o->pairs = true;
        } else if (!strcmp(a, "--counters")) {
            o->counters = true;
        } else if (!strcmp(a, "--flamegraph")) {
            VALUE();
            o->flame_dir = v;
        } else if (!strcmp(a, "--profile")) {
            o->profile = true;
        } else if (!strcmp(a, "--profile-time")) {
            VALUE();
            char *end;
            o->profile_time = strtod(v, &end);
            if (!*v || *end || !(o->profile_time > 0 && o->profile_time <= 3600))
                return die("--profile-time wants seconds (0 < S <= 3600), not '%s'", v);
        } else if (!strcmp(a, "--fusion-csv")) {
            VALUE();
            o->fusion_csv = v;
        } else if (!strcmp(a, "--format")) {
            VALUE();
            if (strcmp(v, "table") && strcmp(v, "json") && strcmp(v, "csv"))
                return die("--format is table, json or csv, not '%s'", v);
            o->format = v;
        } else if (!strcmp(a, "--output")) {
            VALUE();
            o->output = v;
        } else if (!strcmp(a, "--csv-dir")) {
            VALUE();
            o->csv_dir = v;
        } else if (!strcmp(a, "--pin")) {
            VALUE();
            if (!parse_int(v, &o->pin, 0, 1 << 20))
                return die("--pin wants a CPU number, not '%s'", v);
        } else if (!strcmp(a, "--manifest")) {
            VALUE();
            o->manifest = v;
        } else if (!strcmp(a, "--isolation")) {
            o->isolation = true;
        } else if (!strcmp(a, "--check")) {
            o->check = true;
        } else if (!strcmp(a, "--record-manifest")) {
            VALUE();
            o->record = v;
        } else {
            return die("unknown option '%s' (see --help)", a);
        }
#undef VALUE
    }
    return 0;
}


/* ---- histogram and pairs ---- */

typedef struct {
    unsigned slot;
    uint64_t count;
    int64_t ergs;
    double ns, se; /* host time per execution and its standard error */
    bool resolved;
    unsigned group_n; /* timed only together with group_n - 1 others (one fused record) */
} hist_row;

static int hist_cmp(const void *a, const void *b)
{
    const hist_row *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : (int)x->slot - (int)y->slot;
}

static const char *family_name(unsigned f)
{
    if (f == ERAVM_FAMILY_PANIC)
        return "(panic)";
    if (f == ERAVM_FAMILY_WRAP)
        return "(wrap)";
    return eravm_families[f].name;
}

/* Some report file (CSV, flamegraph) could not be written: exit 1 at the end. */
static bool output_failed;

static FILE *csv_open(const options *o, const char *what, const bench_workload *w)
{
    char path[1024], safe[64];
    snprintf(safe, sizeof safe, "%s", w->name);
    for (char *p = safe; *p; p++)
        if (*p == '/')
            *p = '_';
    snprintf(path, sizeof path, "%s/%s-%s-%s.csv", o->csv_dir, what, safe, w->mode);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "eravm-bench: cannot write %s: %s\n", path, strerror(errno));
        output_failed = true;
    }
    return f;
}

/* A CSV written in full, or a failure remembered for the exit status. */
static void csv_close(FILE *f, const char *what)
{
    if (f && tool_close_output(f, what, 0))
        output_failed = true;
}

/* "12.3 ±0.4" or "below timer resolution" (cost per execution, ns) */
static void cost_text(const hist_row *r, char *buf, size_t n)
{
    if (r->group_n > 1)
        snprintf(buf, n, "%12s %2u", "in group", r->group_n); /* see --profile */
    else if (r->resolved)
        snprintf(buf, n, "%8.2f ±%5.2f", r->ns, r->se);
    else
        snprintf(buf, n, "%15s", "below timer res.");
}

static json_t *report_histogram(const options *o, const bench_workload *w, const eravm_counters *c, FILE *out, bool text)
{
    hist_row *rows = calloc(ERAVM_COUNTER_SLOTS, sizeof *rows);
    if (!rows)
        tool_out_of_memory();
    eravm_opcost *cost = calloc(ERAVM_COUNTER_SLOTS, sizeof *cost);
    eravm_timing tm;
    eravm_counters_timing(c, cost, &tm);
    size_t n = 0;
    uint64_t total = 0;
    for (unsigned s = 0; s < ERAVM_COUNTER_SLOTS; s++) {
        uint64_t k = eravm_counters_count(c, s);
        if (!k)
            continue;
        rows[n++] = (hist_row){s, k, eravm_counters_ergs(c, s), cost[s].ns, cost[s].stderr_ns, cost[s].resolved,
                               cost[s].group_n};
        total += k;
    }
    qsort(rows, n, sizeof *rows, hist_cmp);
    FILE *csv = csv_open(o, "histogram", w);
    if (csv)
        fprintf(csv, "opcode,family,count,ergs,cycles,ns,ns_stderr,resolved\n");
    json_t *arr = json_array();
    double tpn = eravm_timer_get()->ticks_per_ns;
    if (text)
        fprintf(out, "\nopcode histogram: %s %s (%llu instructions; top %d by count; ns/op from %llu timed "
                     "blocks, see --profile)\n%-28s %12s %7s %12s %15s\n",
                w->name, w->mode, (unsigned long long)total, o->top, (unsigned long long)tm.blocks, "opcode",
                "count", "%", "ergs", "ns/op ±stderr");
    for (size_t i = 0; i < n; i++) {
        char name[64], ns[40];
        bench_slot_name(rows[i].slot, name, sizeof name);
        cost_text(&rows[i], ns, sizeof ns);
        /* cycles: estimated host time of all executions in timer ticks (0 where not resolved) */
        uint64_t cyc = rows[i].resolved ? (uint64_t)(rows[i].ns * tpn * (double)rows[i].count) : 0;
        if (csv)
            fprintf(csv, "%s,%s,%llu,%lld,%llu,%.3f,%.3f,%d\n", name,
                    family_name(eravm_index_family(rows[i].slot)), (unsigned long long)rows[i].count,
                    (long long)rows[i].ergs, (unsigned long long)cyc, rows[i].ns, rows[i].se, rows[i].resolved);
        if ((int)i < o->top) {
            if (text)
                fprintf(out, "%-28s %12llu %6.2f%% %12lld %s\n", name, (unsigned long long)rows[i].count,
                        100.0 * (double)rows[i].count / (double)total, (long long)rows[i].ergs, ns);
            json_array_append_new(arr, json_pack("{s:s,s:I,s:I,s:I,s:f,s:f,s:b}", "opcode", name, "count",
                                                 (json_int_t)rows[i].count, "ergs", (json_int_t)rows[i].ergs,
                                                 "cycles", (json_int_t)cyc, "ns", rows[i].ns, "ns_stderr",
                                                 rows[i].se, "resolved", rows[i].resolved));
        }
    }
    csv_close(csv, "the histogram CSV");
    /* the same per family (all variants of an opcode together); a family's
     * time is the sum of its variants' (resolved ones only) */
    hist_row fam[ERAVM_FAMILIES];
    double fam_ns[ERAVM_FAMILIES] = {0};
    memset(fam, 0, sizeof fam);
    for (size_t i = 0; i < n; i++) {
        unsigned f = eravm_index_family(rows[i].slot);
        fam[f].slot = f;
        fam[f].count += rows[i].count;
        fam[f].ergs += rows[i].ergs;
        fam[f].resolved = fam[f].resolved || rows[i].resolved;
        if (rows[i].resolved)
            fam_ns[f] += rows[i].ns * (double)rows[i].count;
    }
    for (unsigned f = 0; f < ERAVM_FAMILIES; f++)
        fam[f].ns = fam[f].count ? fam_ns[f] / (double)fam[f].count : 0;
    qsort(fam, ERAVM_FAMILIES, sizeof *fam, hist_cmp);
    if (text)
        fprintf(out, "\nby family:\n%-28s %12s %7s %12s %15s\n", "family", "count", "%", "ergs", "ns/op");
    json_t *farr = json_array();
    for (int i = 0; i < ERAVM_FAMILIES && i < o->top && fam[i].count; i++) {
        char ns[40];
        if (fam[i].resolved)
            snprintf(ns, sizeof ns, "%8.2f", fam[i].ns);
        else
            snprintf(ns, sizeof ns, "%15s", "below timer res.");
        if (text)
            fprintf(out, "%-28s %12llu %6.2f%% %12lld %s\n", family_name(fam[i].slot),
                    (unsigned long long)fam[i].count, 100.0 * (double)fam[i].count / (double)total,
                    (long long)fam[i].ergs, ns);
        json_array_append_new(farr, json_pack("{s:s,s:I,s:I,s:f}", "family", family_name(fam[i].slot), "count",
                                              (json_int_t)fam[i].count, "ergs", (json_int_t)fam[i].ergs, "ns",
                                              fam[i].ns));
    }
    free(rows);
    free(cost);
    json_t *both = json_object();
    json_object_set_new(both, "variants", arr);
    json_object_set_new(both, "families", farr);
    return both;
}

static json_t *report_pairs(const options *o, const bench_workload *w, const eravm_counters *c, FILE *out, bool text)
{
    eravm_sequence *rows;
    size_t n = eravm_counters_sequences(c, 2, &rows);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += rows[i].count;
    FILE *csv = csv_open(o, "pairs", w);
    if (csv)
        fprintf(csv, "first,second,count,first_index,second_index\n");
    json_t *arr = json_array();
    if (text)
        fprintf(out, "\nopcode pairs: %s %s (top %d; variant -> the next in code, same frame)\n%-28s %-28s %12s %7s\n",
                w->name, w->mode, o->top, "first", "then", "count", "%");
    for (size_t i = 0; i < n; i++) {
        char a[64], b[64];
        bench_slot_name(rows[i].a, a, sizeof a);
        bench_slot_name(rows[i].b, b, sizeof b);
        if (csv)
            fprintf(csv, "%s,%s,%llu,%u,%u\n", a, b, (unsigned long long)rows[i].count, rows[i].a, rows[i].b);
        if ((int)i < o->top) {
            if (text)
                fprintf(out, "%-28s %-28s %12llu %6.2f%%\n", a, b, (unsigned long long)rows[i].count,
                        100.0 * (double)rows[i].count / (double)total);
            json_array_append_new(arr, json_pack("{s:s,s:s,s:I}", "first", a, "second", b, "count",
                                                 (json_int_t)rows[i].count));
        }
    }
    csv_close(csv, "the pairs CSV");
    free(rows);
    return arr;
}

/* ---- selection ---- */

static const char *resolve_alias(const bench_manifest *m, const char *name)
{
    for (size_t i = 0; i < m->nalias; i++)
        if (!strcmp(m->alias[i][0], name))
            return m->alias[i][1];
    return name;
}

static bool has_full_tier(const bench_manifest *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->w[i].name, name) && !strcmp(m->w[i].tier, "full"))
            return true;
    return false;
}

/* Without --tier, a workload named on its own runs its full tier when it
 * has one (deploy_simple is a transaction through the bootloader, as
 * upstream measures it), unless a bare mode was asked for; 'all' runs both. */
static bool selected(const options *o, const bench_manifest *m, const bench_workload *w)
{
    if ((o->tier && strcmp(w->tier, o->tier)) || (o->mode && strcmp(w->mode, o->mode)))
        return false;
    if (o->nworkloads == 0)
        return true;
    for (int i = 0; i < o->nworkloads; i++) {
        const char *want = resolve_alias(m, o->workloads[i]);
        if (!strcmp(want, "all"))
            return true;
        if (strcmp(want, w->name))
            continue;
        if (!o->tier && !o->mode && !strcmp(w->tier, "bare") && has_full_tier(m, w->name))
            continue;
        return true;
    }
    return false;
}

/* Without a data directory the built-in ports stand in for the bytecodes
 * (port/<name> in the same mode); workloads without a port are skipped. */
static bool data_available(void)
{
    const char *data = getenv("ERAVM_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/vm-benchmark", data && *data ? data : "../shared/data");
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bench_workload *port_for(bench_manifest *m, const bench_workload *w)
{
    const char *base = strrchr(w->source, '/');
    char name[80];
    snprintf(name, sizeof name, "port/%s", base ? base + 1 : w->name);
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->w[i].name, name) && !strcmp(m->w[i].mode, w->mode) && !strcmp(m->w[i].tier, w->tier))
            return &m->w[i];
    return NULL;
}

static void progress(bool tty, size_t k, size_t n, const bench_workload *w, const char *what)
{
    if (!tty)
        return;
    fprintf(stderr, "\r\033[K[%zu/%zu] %s %s: %s", k, n, w->name, w->mode, what);
    fflush(stderr);
}

/* ---- timed runs ---- */

/* The samples of one workload: at least --runs, more while --min-time
 * lasts, never more than MAX_RUNS, so the buffer is bounded and checked. */
typedef struct {
    double *v;
    size_t n, cap;
    double timed, last_note;
} samples;

/* True if another timed run is due; shows progress (on a terminal, or a
 * line every 10 s elsewhere, so a long run says it is alive). */
static bool samples_next(const options *o, samples *s, bool tty, size_t k, size_t nsel,
                         const bench_workload *w)
{
    if (!(s->n < (size_t)o->runs || (s->timed < o->min_time * 1e9 && s->n < MAX_RUNS)))
        return false;
    if (s->n == s->cap) {
        size_t first = (size_t)o->runs < 1024 && o->min_time > 0 ? 1024 : (size_t)o->runs;
        s->cap = !s->cap ? first : s->cap * 2 > MAX_RUNS ? MAX_RUNS : s->cap * 2;
        if (!(s->v = realloc(s->v, s->cap * sizeof *s->v)))
            tool_out_of_memory();
    }
    char what[96];
    if (o->min_time > 0)
        snprintf(what, sizeof what, "run %zu, %.1f of %.0f s timed", s->n + 1, s->timed / 1e9, o->min_time);
    else
        snprintf(what, sizeof what, "run %zu/%d", s->n + 1, o->runs);
    progress(tty, k, nsel, w, what);
    double now = bench_now_ns();
    if (!s->last_note)
        s->last_note = now;
    if (!tty && now - s->last_note > 10e9) {
        fprintf(stderr, "eravm-bench: %s %s: %s\n", w->name, w->mode, what);
        s->last_note = now;
    }
    return true;
}

static void samples_add(samples *s, double ns)
{
    s->v[s->n++] = ns;
    s->timed += ns;
}

/* min, median, max; frees the samples */
static void samples_done(samples *s, double *mn, double *md, double *mx)
{
    size_t n = s->n;
    qsort(s->v, n, sizeof *s->v, bench_cmp_double);
    *mn = s->v[0];
    *md = n % 2 ? s->v[n / 2] : (s->v[n / 2 - 1] + s->v[n / 2]) / 2;
    *mx = s->v[n - 1];
    free(s->v);
    s->v = NULL;
}

/* ---- the full tier ---- */

typedef struct {
    size_t k, nsel;
    bool tty;
    FILE *out;
    int *mismatches;
    size_t *checked;
    bool text;            /* table output: the reports print */
    bench_fusion *fusion; /* --fusion-csv */
} full_ctx;

/* The counting engine's reports on a workload of either tier (fo: the
 * full tier's options, NULL for the bare tier): --histogram and --pairs
 * from one pair of profiling runs, --profile, --flamegraph. */
static void profile_reports(const options *o, const bench_workload *w, const uint8_t *code, size_t len,
                            const bench_full_opts *fo, json_t *row, FILE *out, bool text, bench_fusion *fusion)
{
    if (o->histogram || o->pairs) {
        char err[600];
        bench_target *t = bench_target_new(w, code, len, ERAVM_ENGINE_COUNTING, fo, err, sizeof err);
        eravm_counters *c = eravm_counters_new(ERAVM_PROF_TIME | (o->pairs ? ERAVM_PROF_PAIRS : 0));
        /* a timing run, then the counting run of the same execution */
        bool tty = isatty(2);
        if (!t || bench_target_run(t, c, NULL, err, sizeof err) || bench_target_run(t, c, NULL, err, sizeof err)) {
            fprintf(stderr, "%seravm-bench: %s (%s): %s\n", tty ? "\r\033[K" : "", w->name, w->mode, err);
        } else {
            if (tty)
                fprintf(stderr, "\r\033[K");
            if (o->histogram)
                json_object_set_new(row, "histogram", report_histogram(o, w, c, out, text));
            if (o->pairs)
                json_object_set_new(row, "pairs", report_pairs(o, w, c, out, text));
        }
        eravm_counters_free(c);
        bench_target_free(t);
    }
    if (o->profile) {
        bench_profile_opts po = {o->top, text, out, o->csv_dir, o->profile_time, 1000};
        json_t *p = bench_profile(&po, w, code, len, fo, o->fusion_csv ? fusion : NULL);
        if (p)
            json_object_set_new(row, "profile", p);
    }
    if (o->flame_dir && bench_flamegraph(w, code, len, fo, o->flame_dir)) {
        fprintf(stderr, "eravm-bench: cannot write the flamegraph for %s into %s\n", w->name, o->flame_dir);
        output_failed = true;
    }
}

/* A row's "counters": each counter per run, and per EraVM instruction. */
static json_t *counters_json(const bench_counter_set *cs, size_t runs, uint64_t instructions)
{
    json_t *c = json_object();
    json_object_set_new(c, "hardware", json_boolean(cs->hardware));
    json_t *per = json_object();
    double nr = runs ? (double)runs : 1.0, ni = instructions ? (double)instructions : 1.0;
    for (int q = 0; q < cs->n; q++) {
        json_object_set_new(c, cs->names[q], json_real((double)cs->values[q] / nr));
        json_object_set_new(per, cs->names[q], json_real((double)cs->values[q] / nr / ni));
    }
    json_object_set_new(c, "per_instruction", per);
    return c;
}

/* Verifies, then times, one full-tier workload; appends its row to report.
 * Returns 0, or 1 on a failed check or a difference from the manifest. */
static int run_full(const options *o, bench_workload *w, full_ctx *x, json_t *report)
{
    char err[600];
    uint8_t *code = NULL;
    size_t len = 0;
    if (strncmp(w->source, "script:", 7) && !strcmp(w->mode, "deploy") &&
        bench_load_code(w, &code, &len, err, sizeof err)) {
        fprintf(stderr, "%seravm-bench: %s\n", x->tty ? "\r\033[K" : "", err);
        return 1;
    }
    bench_full_opts fo = {.engine = tool_engine(o->build),
                          .batch = (unsigned)o->batch,
                          .no_signatures = o->no_signatures,
                          .warm_code = o->warm_code};
    progress(x->tty, x->k, x->nsel, w, "verifying");
    bench_full *f = bench_full_prepare(w, code, len, &fo, err, sizeof err);
    free(code);
    if (!f || bench_full_verify(f, err, sizeof err) != 0) {
        fprintf(stderr, "%seravm-bench: %s (%s): %s\n", x->tty ? "\r\033[K" : "", w->name, w->mode,
                err);
        bench_full_release(f);
        return 1;
    }
    const char *fst;
    uint64_t used, gas, instructions;
    bench_full_outcome(f, &fst, &used, &gas, &instructions);
    char st[sizeof w->status]; /* a copy: the report is written after f is released */
    snprintf(st, sizeof st, "%s", fst);
    /* the manifest holds one transaction's outcome; a batch is checked by
     * status (each transaction was verified above) */
    unsigned ntx = bench_full_ntx(f);
    /* the manifest's numbers are for the workload's own batch (one
     * transaction, or a script's "batch") */
    bool one = !o->batch || (o->batch == 1 && strncmp(w->source, "script:", 7));
    bool same = w->measured && !strcmp(st, w->status) &&
                (!one || (used == w->ergs_used && instructions == w->instructions));
    if (o->record) {
        snprintf(w->status, sizeof w->status, "%s", st);
        w->ergs_used = used;
        w->instructions = instructions;
        w->measured = true;
        bench_full_release(f);
        return 0;
    }
    if (o->check) {
        if (!same) {
            if (!(*x->mismatches)++)
                fprintf(x->out, "| workload | mode | build | manifest status | status | manifest ergs used | ergs used | manifest instructions | instructions |\n|---|---|---|---|---|---|---|---|---|\n");
            fprintf(x->out, "| %s | %s | %s | %s | %s | %llu | %llu | %llu | %llu |\n", w->name,
                    w->mode, o->build, w->measured ? w->status : "-", st,
                    (unsigned long long)w->ergs_used, (unsigned long long)used,
                    (unsigned long long)w->instructions, (unsigned long long)instructions);
        }
        (*x->checked)++;
        bench_full_release(f);
        return 0;
    }
    if (!same) {
        fprintf(stderr, "%seravm-bench: %s (%s, %s) does not match the manifest; not timing it\n"
                        "  status %s (manifest %s), ergs used %llu (%llu), instructions %llu (%llu)\n",
                x->tty ? "\r\033[K" : "", w->name, w->mode, o->build, st,
                w->measured ? w->status : "-", (unsigned long long)used,
                (unsigned long long)w->ergs_used, (unsigned long long)instructions,
                (unsigned long long)w->instructions);
        bench_full_release(f);
        return 1;
    }
    if (o->record_dir) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", o->record_dir, w->name);
        for (char *p = dir + strlen(o->record_dir) + 1; *p; p++)
            if (*p == '/')
                *p = '_';
        progress(x->tty, x->k, x->nsel, w, "recording");
        mkdir(o->record_dir, 0777);
        if (bench_full_record(f, dir, err, sizeof err) != 0) {
            fprintf(stderr, "%seravm-bench: %s: --record: %s\n", x->tty ? "\r\033[K" : "",
                    w->name, err);
            bench_full_release(f);
            return 1;
        }
    }
    for (int i = 0; i < o->warmup; i++) {
        progress(x->tty, x->k, x->nsel, w, "warming up");
        if (bench_full_reset(f, err, sizeof err) || bench_full_execute(f, err, sizeof err))
            break;
    }
    samples sm = {0};
    int rc = 0;
    /* the counters count the timed transactions, not the resets between */
    bench_counter_set cs;
    memset(&cs, 0, sizeof cs);
    if (o->counters) {
        bench_counters_start();
        bench_counters_pause();
    }
    while (samples_next(o, &sm, x->tty, x->k, x->nsel, w)) {
        if (bench_full_reset(f, err, sizeof err) != 0) {
            rc = 1;
            break;
        }
        if (o->counters)
            bench_counters_resume();
        double t0 = bench_now_ns();
        int e = bench_full_execute(f, err, sizeof err);
        double t1 = bench_now_ns();
        if (o->counters)
            bench_counters_pause();
        if (e != 0) {
            rc = 1;
            break;
        }
        samples_add(&sm, t1 - t0);
    }
    if (o->counters)
        bench_counters_stop(&cs);
    bench_full_release(f);
    if (rc) {
        fprintf(stderr, "%seravm-bench: %s: %s\n", x->tty ? "\r\033[K" : "", w->name, err);
        free(sm.v);
        return 1;
    }
    size_t n = sm.n;
    double mn, md, mx;
    samples_done(&sm, &mn, &md, &mx);
    json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:{s:f,s:f,s:f},s:f,s:f,s:f}",
                            "workload", w->name, "tier", w->tier, "mode", w->mode, "status", st,
                            "instructions", (json_int_t)instructions, "ergs_used",
                            (json_int_t)used, "ergs_left", (json_int_t)0, "runs", (json_int_t)n,
                            "wall_ns", "min", mn, "median", md, "max", mx, "ns_per_instr",
                            instructions ? md / (double)instructions : 0.0, "minstr_per_s",
                            (double)instructions / md * 1e3, "mgas_per_s", (double)used / md * 1e3);
    json_object_set_new(row, "build", json_string(o->build));
    json_object_set_new(row, "keyed_twins", json_integer(eravm_keyed_twins()));
    json_object_set_new(row, "gas_used", json_integer((json_int_t)gas));
    json_object_set_new(row, "batch", json_integer(ntx));
    json_object_set_new(row, "signatures", json_boolean(!o->no_signatures));
    json_object_set_new(row, "warm_code", json_boolean(o->warm_code));
    json_object_set_new(row, "us_per_tx", json_real(md / 1e3 / ntx));
    json_object_set_new(row, "tx_per_s", json_real(ntx / (md / 1e9)));
    if (o->counters)
        json_object_set_new(row, "counters", counters_json(&cs, n, instructions));
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    json_object_set_new(row, "peak_rss_kb", json_integer(ru.ru_maxrss));
    if (o->histogram || o->pairs || o->profile || o->flame_dir) {
        progress(x->tty, x->k, x->nsel, w, "profiling");
        code = NULL;
        len = 0;
        if (strcmp(w->mode, "deploy") || !bench_load_code(w, &code, &len, err, sizeof err))
            profile_reports(o, w, code, len, &fo, row, x->out, x->text, x->fusion);
        free(code);
    }
    json_array_append_new(report, row);
    return 0;
}

/* mkdir -p DIR, then it must be writable: found before the runs, not after. */
static bool ensure_dir(const char *dir)
{
    char p[1024];
    snprintf(p, sizeof p, "%s", dir);
    for (char *q = p + 1; *q; q++) {
        if (*q != '/')
            continue;
        *q = 0;
        mkdir(p, 0755);
        *q = '/';
    }
    mkdir(p, 0755);
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode) && access(p, W_OK) == 0;
}

/* --output while its report is not complete: removed on any exit, so a
 * failed or interrupted run leaves no half-written report behind. */
static const char *unfinished_output;

static void remove_unfinished_output(void)
{
    struct stat st;
    if (unfinished_output && stat(unfinished_output, &st) == 0 && S_ISREG(st.st_mode))
        remove(unfinished_output);
}

static int bench_main(int argc, char **argv);
static int bench_load_and_run(const options *o);
static int bench_selected(const options *o, bench_manifest *mp);

int main(int argc, char **argv)
{
    tool_prog = "eravm-bench";
    return tool_close_output(stdout, "standard output", bench_main(argc, argv));
}

static int bench_main(int argc, char **argv)
{
    options o;
    int rc = parse_args(argc, argv, &o);
    if (!rc)
        rc = bench_load_and_run(&o);
    free(o.workloads);
    return rc;
}

/* The options' manifest, loaded for the run and freed after it: every way
 * out of the run leaves both to its caller, so that none leaks (the
 * sanitizer build runs the command-line tests). */
static int bench_load_and_run(const options *o)
{
    if (!tool_set_memory_limit(o->max_memory))
        return die("--max-memory wants a size such as 512M or 4G (0 = no limit), not '%s'", o->max_memory);
    eravm_set_keyed_twins(!o->no_keyed); /* before any program is made */
    eravm_optab_init();
    bench_manifest m;
    char err[512];
    if (o->manifest) {
        if (bench_manifest_load(o->manifest, &m, err, sizeof err))
            return die("%s", err);
    } else if (bench_manifest_load_builtin(&m, err, sizeof err)) { /* runs without a checkout */
        return die("%s", err);
    }
    int rc = bench_selected(o, &m);
    bench_manifest_free(&m);
    return rc;
}

/* The run itself: the workloads the options select from the manifest. */
static int bench_selected(const options *o, bench_manifest *mp)
{
    char err[512];
    for (int i = 0; i < o->nworkloads; i++) {
        const char *want = resolve_alias(mp, o->workloads[i]);
        bool found = !strcmp(want, "all");
        for (size_t k = 0; k < mp->n && !found; k++)
            found = !strcmp(mp->w[k].name, want);
        if (!found)
            return die("unknown workload '%s' (see --list)", o->workloads[i]);
    }
    if (o->profile || o->isolation) {
        /* A run's large arrays (storage and transient journals) would
         * otherwise go back to the kernel at the end of every run and fault
         * in again in the next (synth/mix: 2,848 page faults and +20% per
         * run): time spent outside any EraVM instruction, which the
         * per-opcode times cannot and should not hold. */
        mallopt(M_MMAP_THRESHOLD, 256 << 20);
        mallopt(M_TRIM_THRESHOLD, 512 << 20);
    }
    if (o->isolation) {
        bench_profile_opts po = {o->top, strcmp(o->format, "json") != 0, stdout, NULL, o->profile_time, 1000};
        json_t *iso = bench_isolation(&po, mp);
        if (iso && !po.text) {
            char *txt = json_dumps(iso, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
            printf("%s\n", txt);
            free(txt);
        }
        json_decref(iso);
        return iso ? 0 : 1;
    }
    if (o->list) {
        printf("%-34s %-5s %-5s %-7s %12s %10s  %s\n", "workload", "tier", "mode", "status", "instructions",
               "ergs used", "source");
        for (size_t k = 0; k < mp->n; k++) {
            bench_workload *w = &mp->w[k];
            printf("%-34s %-5s %-5s %-7s %12llu %10llu  %s\n", w->name, w->tier, w->mode, w->status,
                   (unsigned long long)w->instructions, (unsigned long long)w->ergs_used, w->source);
        }
        for (size_t k = 0; k < mp->nalias; k++)
            printf("alias %s = %s\n", mp->alias[k][0], mp->alias[k][1]);
        return 0;
    }
    size_t nsel = 0;
    for (size_t k = 0; k < mp->n; k++)
        nsel += selected(o, mp, &mp->w[k]);
    if (nsel == 0)
        return die("no workload matches the selection%s", "");
    if (o->pin >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(o->pin, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0)
            fprintf(stderr, "eravm-bench: cannot pin to CPU %d: %s\n", o->pin, strerror(errno));
    }
    if ((o->histogram || o->pairs) && !ensure_dir(o->csv_dir))
        return die("--csv-dir: cannot create or write to the directory '%s'", o->csv_dir);
    if (o->flame_dir && !ensure_dir(o->flame_dir))
        return die("--flamegraph: cannot create or write to the directory '%s'", o->flame_dir);
    FILE *out = stdout;
    if (o->output) {
        if (!(out = fopen(o->output, "w")))
            return die("cannot write '%s'", o->output);
        unfinished_output = o->output;
        atexit(remove_unfinished_output);
    }
    bool tty = isatty(2), text = !strcmp(o->format, "table");
    int engine = tool_engine(o->build);
    if (o->counters)
        bench_counters_open();
    bool have_data = data_available();
    bool told_ports = false;
    json_t *report = json_array();
    bench_fusion fusion = {NULL, 0, 0};
    size_t k = 0, checked = 0;
    int status = 0, mismatches = 0;
    for (size_t i = 0; i < mp->n && !status; i++) {
        bench_workload *w = &mp->w[i];
        if (!selected(o, mp, w))
            continue;
        k++;
        if (!strcmp(w->tier, "full")) {
            full_ctx fx = {k, nsel, tty, out, &mismatches, &checked, text, &fusion};
            bool named = false;
            for (int q = 0; q < o->nworkloads; q++)
                named |= !strcmp(resolve_alias(mp, o->workloads[q]), w->name);
            if (!have_data && !named)
                continue; /* 'all' without data: the bare ports run, the full tier cannot */
            if (!have_data) {
                fprintf(stderr, "%seravm-bench: %s: the full tier needs the data directory "
                        "($ERAVM_DATA, now '%s') for the bootloader and system contracts\n",
                        tty ? "\r\033[K" : "", w->name,
                        getenv("ERAVM_DATA") ? getenv("ERAVM_DATA") : "../shared/data");
                status = 1;
                break;
            }
            status = run_full(o, w, &fx, report);
            continue;
        }
        if (!have_data && !strncmp(w->source, "data:", 5)) {
            bench_workload *p = port_for(mp, w);
            if (!p || selected(o, mp, p))
                continue; /* no port, or the port runs in its own right */
            if (!told_ports)
                fprintf(stderr, "eravm-bench: no data directory ($ERAVM_DATA/vm-benchmark); running "
                                "the built-in ports in place of the benchmark bytecodes\n");
            told_ports = true;
            w = p;
        }
        uint8_t *code;
        size_t len;
        if (bench_load_code(w, &code, &len, err, sizeof err)) {
            fprintf(stderr, "%seravm-bench: %s\n", tty ? "\r\033[K" : "", err);
            status = 1;
            break;
        }
        /* verify before timing */
        progress(tty, k, nsel, w, "verifying");
        bench_run *r = bench_prepare(w, code, len, engine);
        const eravm_result *res = bench_execute(r);
        uint64_t used = (uint64_t)bench_workload_ergs(w) - res->ergs_left;
        const char *st = eravm_status_name(res->status);
        uint64_t instructions = res->instructions;
        uint32_t ergs_left = res->ergs_left;
        if (o->record) {
            snprintf(w->status, sizeof w->status, "%s", st);
            w->ergs_used = used;
            w->instructions = instructions;
            w->measured = true;
            bench_release(r);
            free(code);
            continue;
        }
        if (o->check) {
            bool same = w->measured && !strcmp(st, w->status) && used == w->ergs_used &&
                        instructions == w->instructions;
            if (!same) {
                if (!mismatches++)
                    fprintf(out, "| workload | mode | build | manifest status | status | manifest ergs used | ergs used | manifest instructions | instructions |\n|---|---|---|---|---|---|---|---|---|\n");
                fprintf(out, "| %s | %s | %s | %s | %s | %llu | %llu | %llu | %llu |\n", w->name, w->mode, o->build,
                        w->measured ? w->status : "-", st, (unsigned long long)w->ergs_used,
                        (unsigned long long)used, (unsigned long long)w->instructions,
                        (unsigned long long)instructions);
            }
            checked++;
            bench_release(r);
            free(code);
            continue;
        }
        if (!w->measured || strcmp(st, w->status) || used != w->ergs_used || instructions != w->instructions) {
            fprintf(stderr, "%seravm-bench: %s (%s, %s) does not match the manifest; not timing it\n",
                    tty ? "\r\033[K" : "", w->name, w->mode, o->build);
            fprintf(stderr, "  %-13s %12s %12s\n  %-13s %12s %12s\n  %-13s %12llu %12llu\n  %-13s %12llu %12llu\n",
                    "", "manifest", "measured", "status", w->measured ? w->status : "-", st, "ergs used",
                    (unsigned long long)w->ergs_used, (unsigned long long)used, "instructions",
                    (unsigned long long)w->instructions, (unsigned long long)instructions);
            bench_release(r);
            free(code);
            status = 1;
            break;
        }
        /* timing */
        for (int i2 = 0; i2 < o->warmup; i2++) {
            progress(tty, k, nsel, w, "warming up");
            bench_execute(r);
        }
        samples sm = {0};
        if (o->counters)
            bench_counters_start();
        while (samples_next(o, &sm, tty, k, nsel, w)) {
            double t0 = bench_now_ns();
            bench_execute(r);
            double t1 = bench_now_ns();
            samples_add(&sm, t1 - t0);
        }
        size_t n = sm.n;
        bench_counter_set cs;
        memset(&cs, 0, sizeof cs);
        if (o->counters)
            bench_counters_stop(&cs);
        double mn, md, mx;
        samples_done(&sm, &mn, &md, &mx);
        bench_release(r);
        json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:{s:f,s:f,s:f},s:f,s:f,s:f}",
                                "workload", w->name, "tier", w->tier, "mode", w->mode, "status", st,
                                "instructions", (json_int_t)instructions, "ergs_used", (json_int_t)used,
                                "ergs_left", (json_int_t)ergs_left, "runs", (json_int_t)n, "wall_ns",
                                "min", mn, "median", md, "max", mx, "ns_per_instr",
                                instructions ? md / (double)instructions : 0.0, "minstr_per_s",
                                (double)instructions / md * 1e3, "mgas_per_s", (double)used / md * 1e3);
        json_object_set_new(row, "build", json_string(o->build));
        json_object_set_new(row, "keyed_twins", json_integer(eravm_keyed_twins()));
        if (o->counters)
            json_object_set_new(row, "counters", counters_json(&cs, n, instructions));
        progress(tty, k, nsel, w, "profiling");
        profile_reports(o, w, code, len, NULL, row, out, text, &fusion);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        json_object_set_new(row, "peak_rss_kb", json_integer(ru.ru_maxrss));
        json_array_append_new(report, row);
        free(code);
    }
    if (tty)
        fprintf(stderr, "\r\033[K");
    if (o->check) {
        if (tty)
            fprintf(stderr, "\r\033[K");
        if (mismatches)
            fprintf(out, "\n%d of %zu workloads differ from the manifest (build %s)\n", mismatches, checked, o->build);
        else
            fprintf(out, "all %zu workloads match the manifest (build %s)\n", checked, o->build);
        status = status ? status : mismatches ? 1 : 0;
    }
    if (o->fusion_csv && o->profile && !status) {
        if (bench_fusion_write(&fusion, o->fusion_csv)) {
            fprintf(stderr, "eravm-bench: cannot write %s\n", o->fusion_csv);
            status = 1;
        } else {
            fprintf(stderr, "eravm-bench: wrote %s (%zu sequences)\n", o->fusion_csv, fusion.n);
        }
    }
    free(fusion.rows);
    if (o->record && !status) {
        if (bench_manifest_write(o->record, mp)) {
            fprintf(stderr, "eravm-bench: cannot write %s\n", o->record);
            status = 1;
        } else {
            fprintf(stderr, "eravm-bench: recorded %zu workloads in %s\n", nsel, o->record);
        }
    }
    if (!status && !o->record && !o->check) {
        if (!strcmp(o->format, "json")) {
            json_dumpf(report, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
            fputc('\n', out);
        } else if (!strcmp(o->format, "csv")) {
            fprintf(out, "workload,tier,mode,build,status,instructions,ergs_used,ergs_left,runs,wall_min_ns,"
                         "wall_median_ns,wall_max_ns,ns_per_instr,minstr_per_s,mgas_per_s\n");
            size_t i;
            json_t *row;
            json_array_foreach(report, i, row) {
                json_t *wn = json_object_get(row, "wall_ns");
                fprintf(out, "%s,%s,%s,%s,%s,%lld,%lld,%lld,%lld,%.0f,%.0f,%.0f,%.3f,%.3f,%.3f\n",
                        json_string_value(json_object_get(row, "workload")),
                        json_string_value(json_object_get(row, "tier")),
                        json_string_value(json_object_get(row, "mode")), o->build,
                        json_string_value(json_object_get(row, "status")),
                        json_integer_value(json_object_get(row, "instructions")),
                        json_integer_value(json_object_get(row, "ergs_used")),
                        json_integer_value(json_object_get(row, "ergs_left")),
                        json_integer_value(json_object_get(row, "runs")),
                        json_real_value(json_object_get(wn, "min")), json_real_value(json_object_get(wn, "median")),
                        json_real_value(json_object_get(wn, "max")),
                        json_real_value(json_object_get(row, "ns_per_instr")),
                        json_real_value(json_object_get(row, "minstr_per_s")),
                        json_real_value(json_object_get(row, "mgas_per_s")));
            }
        } else {
            fprintf(out, "\n%-30s %-4s %-4s %-6s %11s %10s %10s %10s %10s %9s %9s %7s\n", "workload", "tier",
                    "mode", "status", "instr", "ergs used", "min ms", "median ms", "max ms", "Minstr/s",
                    "Mgas/s", "ns/ins");
            size_t i;
            json_t *row;
            json_array_foreach(report, i, row) {
                json_t *wn = json_object_get(row, "wall_ns");
                fprintf(out, "%-30s %-4s %-4s %-6s %11lld %10lld %10.3f %10.3f %10.3f %9.1f %9.1f %7.2f\n",
                        json_string_value(json_object_get(row, "workload")),
                        json_string_value(json_object_get(row, "tier")),
                        json_string_value(json_object_get(row, "mode")),
                        json_string_value(json_object_get(row, "status")),
                        json_integer_value(json_object_get(row, "instructions")),
                        json_integer_value(json_object_get(row, "ergs_used")),
                        json_real_value(json_object_get(wn, "min")) / 1e6,
                        json_real_value(json_object_get(wn, "median")) / 1e6,
                        json_real_value(json_object_get(wn, "max")) / 1e6,
                        json_real_value(json_object_get(row, "minstr_per_s")),
                        json_real_value(json_object_get(row, "mgas_per_s")),
                        json_real_value(json_object_get(row, "ns_per_instr")));
                if (json_object_get(row, "batch"))
                    fprintf(out, "    full tier: %lld tx per batch, %.1f us/tx, %.0f tx/s, gas used %lld, "
                                 "signatures %s, %s code\n",
                            json_integer_value(json_object_get(row, "batch")),
                            json_real_value(json_object_get(row, "us_per_tx")),
                            json_real_value(json_object_get(row, "tx_per_s")),
                            json_integer_value(json_object_get(row, "gas_used")),
                            json_is_true(json_object_get(row, "signatures")) ? "checked" : "skipped",
                            json_is_true(json_object_get(row, "warm_code")) ? "warm" : "cold");
                json_t *c = json_object_get(row, "counters");
                if (c) {
                    const char *key;
                    json_t *val;
                    fprintf(out, "    counters per run:");
                    json_object_foreach(c, key, val) {
                        if (json_is_real(val))
                            fprintf(out, " %s=%.0f", key, json_real_value(val));
                    }
                    fprintf(out, "\n    per EraVM instruction:");
                    json_object_foreach(json_object_get(c, "per_instruction"), key, val)
                        fprintf(out, " %s=%.4g", key, json_real_value(val));
                    fprintf(out, "\n");
                }
            }
            /* the runs made, which --min-time may have raised above --runs */
            json_int_t rmin = 0, rmax = 0;
            json_array_foreach(report, i, row) {
                json_int_t r = json_integer_value(json_object_get(row, "runs"));
                rmin = !i || r < rmin ? r : rmin;
                rmax = r > rmax ? r : rmax;
            }
            if (rmin == rmax)
                fprintf(out, "build: %s; %lld timed runs per workload after %d warm-up\n", o->build,
                        (long long)rmin, o->warmup);
            else
                fprintf(out, "build: %s; %lld to %lld timed runs per workload (--min-time %g s) after %d warm-up\n",
                        o->build, (long long)rmin, (long long)rmax, o->min_time, o->warmup);
            fprintf(out, "keyed twins: %u%s\n", eravm_keyed_twins(),
                    eravm_keyed_twins() ? " (fused handlers compiled for the exact words of the hottest "
                                          "vm-benchmark loops; --no-keyed: without)"
                                        : "");
        }
    }
    json_decref(report);
    if (o->counters)
        bench_counters_close();
    if (out != stdout) {
        status = tool_close_output(out, o->output, status);
        if (!status || o->check)
            unfinished_output = NULL; /* a complete report, or --check's table of differences */
    }
    if (!status && output_failed)
        status = 1;
    return status;
}
