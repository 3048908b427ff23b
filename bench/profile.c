/* bench/profile.c — eravm-bench --profile: where the host time of a
 * workload goes, per opcode, from the counting engine's timed blocks
 * (vm/eravm_prof.h); the check that it adds up to the measured time of the
 * fast build; and which opcode pairs and triples a superinstruction would
 * pay for (count x dispatch saving), written as the CSV the superinstruction
 * generator reads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench.h"
#include "eravm_prof.h"
#include "opcode.h"

void bench_slot_name(unsigned slot, char *buf, unsigned n)
{
    if (slot == ERAVM_SLOT_PANIC)
        snprintf(buf, n, "(spontaneous panic)");
    else if (slot == ERAVM_SLOT_WRAP)
        snprintf(buf, n, "(pc wrap)");
    else
        eravm_index_name((int)slot, buf, n);
}

double bench_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the dispatch saving --------------------------------------------------------- */

/* What one dispatch costs: the fast build's ns per instruction of the
 * built-in synth/nop loop (16 nops and the loop's sub and jump), best of a
 * few runs. A superinstruction saves about this per instruction it absorbs. */
double bench_dispatch_ns(void)
{
    static double d = -1;
    if (d >= 0)
        return d;
    d = 0;
    for (size_t i = 0; i < bench_embedded_count; i++) {
        const bench_embedded *e = &bench_embedded_programs[i];
        if (strcmp(e->kind, "synth") || strcmp(e->name, "nop"))
            continue;
        bench_workload w;
        memset(&w, 0, sizeof w);
        snprintf(w.name, sizeof w.name, "synth/nop");
        snprintf(w.mode, sizeof w.mode, "call");
        w.ergs = BENCH_DEFAULT_ERGS;
        bench_run *r = bench_prepare(&w, e->code, e->len, ERAVM_ENGINE_FAST);
        double best = 0;
        for (int k = 0; k < 5; k++) {
            double t0 = bench_now_ns();
            const eravm_result *res = bench_execute(r);
            double t = (bench_now_ns() - t0) / (double)(res->instructions ? res->instructions : 1);
            if (k == 0 || t < best)
                best = t;
        }
        bench_release(r);
        d = best;
    }
    return d;
}

/* ---- fusion CSV --------------------------------------------------------------------- */

void bench_fusion_add(bench_fusion *f, const eravm_sequence *s, double saving_ns)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 256;
        f->rows = realloc(f->rows, f->cap * sizeof *f->rows);
        if (!f->rows) {
            fprintf(stderr, "eravm-bench: out of memory\n");
            exit(3);
        }
    }
    f->rows[f->n++] = (bench_fusion_row){s->a, s->b, s->c, s->count, saving_ns};
}

static int fusion_key_cmp(const void *x, const void *y)
{
    const bench_fusion_row *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b < q->b ? -1 : 1;
    return p->c < q->c ? -1 : p->c > q->c;
}

static int fusion_saving_cmp(const void *x, const void *y)
{
    const bench_fusion_row *p = x, *q = y;
    if (p->saving_ns != q->saving_ns)
        return p->saving_ns < q->saving_ns ? 1 : -1;
    return fusion_key_cmp(x, y);
}

/* One CSV row: indices, names (c empty for a pair), count, saving. */
static void fusion_row_print(FILE *out, const bench_fusion_row *r)
{
    char a[64], b[64], c[64] = "", ci[8] = "";
    bench_slot_name(r->a, a, sizeof a);
    bench_slot_name(r->b, b, sizeof b);
    if (r->c != ERAVM_NO_SLOT) {
        bench_slot_name(r->c, c, sizeof c);
        snprintf(ci, sizeof ci, "%u", r->c);
    }
    fprintf(out, "%u,%u,%s,%s,%s,%s,%llu,%.0f\n", r->a, r->b, ci, a, b, c, (unsigned long long)r->count,
            r->saving_ns);
}

/* Merges equal sequences (summing counts and savings) and writes them by
 * saving, largest first, in the format the superinstruction generator
 * reads. */
int bench_fusion_write(bench_fusion *f, const char *path)
{
    qsort(f->rows, f->n, sizeof *f->rows, fusion_key_cmp);
    size_t m = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (m && !fusion_key_cmp(&f->rows[m - 1], &f->rows[i])) {
            f->rows[m - 1].count += f->rows[i].count;
            f->rows[m - 1].saving_ns += f->rows[i].saving_ns;
        } else {
            f->rows[m++] = f->rows[i];
        }
    }
    f->n = m;
    qsort(f->rows, f->n, sizeof *f->rows, fusion_saving_cmp);
    FILE *out = fopen(path, "w");
    if (!out)
        return -1;
    fprintf(out, "%s\n", BENCH_FUSION_HEADER);
    for (size_t i = 0; i < f->n; i++)
        fusion_row_print(out, &f->rows[i]);
    return fclose(out) ? -1 : 0;
}

/* ---- the profile -------------------------------------------------------------------- */

typedef struct {
    unsigned slot;
    uint64_t count;
    int64_t ergs;
    eravm_opcost cost;
    double total_ns;
} prof_row;

/* Opcodes the timed blocks cannot tell apart (they ran the same number of
 * times in every block: one fused record), with the cost of the group. */
static void print_groups(FILE *out, const prof_row *rows, size_t n, double pct)
{
    fprintf(out, "       %.2f%% of instructions ran only inside groups timed as one (fused records); per "
                 "execution of the group:\n", pct);
    for (size_t i = 0; i < n; i++) {
        const eravm_opcost *g = &rows[i].cost;
        if (g->group_n < 2 || g->group != rows[i].slot)
            continue;
        char line[256] = "", name[64];
        for (size_t j = 0; j < n; j++)
            if (rows[j].cost.group_n > 1 && rows[j].cost.group == g->group) {
                bench_slot_name(rows[j].slot, name, sizeof name);
                snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", *line ? " + " : "", name);
            }
        if (g->group_resolved)
            fprintf(out, "       %s: %.2f ±%.2f ns\n", line, g->group_ns, g->group_stderr_ns);
        else
            fprintf(out, "       %s: below timer res.\n", line);
    }
}

static int row_time_cmp(const void *x, const void *y)
{
    const prof_row *p = x, *q = y;
    if (p->total_ns != q->total_ns)
        return p->total_ns < q->total_ns ? 1 : -1;
    return p->count < q->count ? 1 : p->count > q->count ? -1 : (int)p->slot - (int)q->slot;
}

/* Saving of fusing a sequence, per occurrence: one dispatch for every
 * instruction after the first, but never more than that instruction costs. */
static double seq_saving(const eravm_sequence *s, const eravm_opcost *cost, double dispatch)
{
    double v = 0;
    unsigned later[2] = {s->b, s->c};
    for (int i = 0; i < 2; i++) {
        if (later[i] == ERAVM_NO_SLOT)
            continue;
        double c = cost[later[i]].resolved ? cost[later[i]].ns : dispatch;
        v += c < dispatch ? (c > 0 ? c : 0) : dispatch;
    }
    return v;
}

static void seq_name(const eravm_sequence *s, char *buf, size_t n)
{
    char a[64], b[64], c[64];
    bench_slot_name(s->a, a, sizeof a);
    bench_slot_name(s->b, b, sizeof b);
    if (s->c == ERAVM_NO_SLOT) {
        snprintf(buf, n, "%s -> %s", a, b);
    } else {
        bench_slot_name(s->c, c, sizeof c);
        snprintf(buf, n, "%s -> %s -> %s", a, b, c);
    }
}

/* The pair and triple ranking: top N of each by count x saving. */
static json_t *report_fusion(const bench_profile_opts *o, const eravm_counters *c, const eravm_opcost *cost,
                             double runs, double measured_ns, bench_fusion *agg, FILE *csv)
{
    double dispatch = bench_dispatch_ns();
    json_t *arr = json_array();
    for (int len = 2; len <= 3; len++) {
        eravm_sequence *seq;
        size_t n = eravm_counters_sequences(c, len, &seq);
        /* rank by saving: sort a copy of (index, saving) */
        double *sav = malloc((n ? n : 1) * sizeof *sav);
        size_t *ord = malloc((n ? n : 1) * sizeof *ord);
        for (size_t i = 0; i < n; i++) {
            seq[i].count = (uint64_t)llround((double)seq[i].count / runs); /* per run */
            sav[i] = (double)seq[i].count * seq_saving(&seq[i], cost, dispatch);
            ord[i] = i;
        }
        for (size_t i = 1; i < n; i++) /* insertion sort by saving, stable on count order */
            for (size_t j = i; j > 0 && sav[ord[j]] > sav[ord[j - 1]]; j--) {
                size_t t = ord[j];
                ord[j] = ord[j - 1];
                ord[j - 1] = t;
            }
        if (o->text)
            fprintf(o->out, "\n%s by count x dispatch saving (%.2f ns per absorbed dispatch, synth/nop):\n"
                            "%-64s %12s %10s %9s\n",
                    len == 2 ? "opcode pairs" : "opcode triples", dispatch, "sequence", "per run", "saving ms",
                    "% of run");
        for (size_t k = 0; k < n; k++) {
            const eravm_sequence *s = &seq[ord[k]];
            if (!s->count)
                continue;
            if (agg)
                bench_fusion_add(agg, s, sav[ord[k]]);
            if (csv) {
                bench_fusion_row row = {s->a, s->b, s->c, s->count, sav[ord[k]]};
                fusion_row_print(csv, &row);
            }
            if ((int)k < o->top) {
                char name[220];
                seq_name(s, name, sizeof name);
                if (o->text)
                    fprintf(o->out, "%-64s %12llu %10.3f %8.2f%%\n", name, (unsigned long long)s->count,
                            sav[ord[k]] / 1e6, measured_ns > 0 ? 100 * sav[ord[k]] / measured_ns : 0);
                json_t *row = json_pack("{s:s,s:I,s:I,s:I,s:f}", "sequence", name, "a", (json_int_t)s->a, "b",
                                        (json_int_t)s->b, "count", (json_int_t)s->count, "saving_ns", sav[ord[k]]);
                if (s->c != ERAVM_NO_SLOT)
                    json_object_set_new(row, "c", json_integer(s->c));
                json_array_append_new(arr, row);
            }
        }
        free(sav);
        free(ord);
        free(seq);
    }
    return arr;
}

/* Three runs of t (with the counters prof, or none): the first only to warm
 * up again after the profiling runs (their tables evict the engine's data),
 * the CPU times of the other two appended to *v. */
static int timed_runs(bench_target *t, eravm_counters *prof, double **v, size_t *n, size_t *cap,
                      char *err, size_t errn)
{
    if (*n + 2 > *cap)
        *v = realloc(*v, (*cap *= 2) * sizeof **v);
    for (int k = 0; k < 3; k++) {
        if (bench_target_run(t, prof, &(*v)[*n], err, errn))
            return -1;
        *n += k > 0;
    }
    return 0;
}

/* Runs w in pairs of profiling runs (timing, then counting; with pairs and
 * triples) until min_seconds, each pair after runs of the fast build, whose
 * median CPU time (not wall time: on a shared machine a run is often
 * descheduled, and a timed block that was is rejected) is what the
 * per-opcode times must add up to, and runs of the timing engine that time
 * no block (ERAVM_PROF_CALIBRATE): the blocks time that engine, whose test
 * of the instruction count at every dispatch made fibonacci_rec 8-10%
 * slower than the fast build, so the per-opcode times are scaled by the
 * ratio of the two medians. Returns the JSON "profile" object, or NULL
 * with a message. */
json_t *bench_profile(const bench_profile_opts *o, const bench_workload *w, const uint8_t *code, size_t len,
                      const bench_full_opts *fo, bench_fusion *agg)
{
    const eravm_timer *tm = eravm_timer_get();
    char err[600];
    bench_target *prof_t = bench_target_new(w, code, len, ERAVM_ENGINE_COUNTING, fo, err, sizeof err);
    bench_target *fast = prof_t ? bench_target_new(w, code, len, ERAVM_ENGINE_FAST, fo, err, sizeof err) : NULL;
    eravm_counters *c = eravm_counters_new(ERAVM_PROF_TIME | ERAVM_PROF_PAIRS | ERAVM_PROF_TRIPLES);
    eravm_counters *cal = eravm_counters_new(ERAVM_PROF_CALIBRATE);
    /* warm-up: a timing run and its counting run, and a fast run */
    int bad = !fast || bench_target_run(prof_t, c, NULL, err, sizeof err) ||
              bench_target_run(prof_t, c, NULL, err, sizeof err) || bench_target_run(fast, NULL, NULL, err, sizeof err);
    eravm_counters_reset(c);
    double spent = 0, t0 = bench_now_ns();
    size_t capfast = 64, nfast = 0, capcal = 64, ncal = 0;
    double *cpu = malloc(capfast * sizeof *cpu), *calcpu = malloc(capcal * sizeof *calcpu);
    int runs = 0;
    while (!bad && ((spent < o->min_seconds * 1e9 || runs < 3) && runs < o->max_runs)) {
        /* fast runs, the timing engine's alone, then a timing run and its
         * counting run */
        bad = timed_runs(fast, NULL, &cpu, &nfast, &capfast, err, sizeof err) ||
              timed_runs(prof_t, cal, &calcpu, &ncal, &capcal, err, sizeof err) ||
              bench_target_run(prof_t, c, NULL, err, sizeof err) || /* timing */
              bench_target_run(prof_t, c, NULL, err, sizeof err);         /* counting: the same execution */
        runs++;
        spent = bench_now_ns() - t0;
    }
    bench_target_free(fast);
    bench_target_free(prof_t);
    eravm_counters_free(cal);
    if (bad) {
        fprintf(stderr, "eravm-bench: --profile %s (%s): %s\n", w->name, w->mode, err);
        eravm_counters_free(c);
        free(cpu);
        free(calcpu);
        return NULL;
    }
    double measured_ns = bench_median(cpu, nfast);
    double timing_ns = bench_median(calcpu, ncal);
    free(cpu);
    free(calcpu);
    bool full = !strcmp(w->tier, "full");
    eravm_opcost *cost = calloc(ERAVM_COUNTER_SLOTS, sizeof *cost);
    eravm_timing t;
    bool timed = tm->usable && eravm_counters_timing(c, cost, &t) == 0;
    if (!timed)
        eravm_counters_timing(c, cost, &t); /* counts only */
    /* the timing engine's time over the fast build's: the blocks' times are
     * the former's, what they must add up to the latter's */
    double engine_ratio = timed && measured_ns > 0 && timing_ns > 0 ? timing_ns / measured_ns : 1;
    for (unsigned s = 0; s < ERAVM_COUNTER_SLOTS; s++) {
        cost[s].ns /= engine_ratio;
        cost[s].stderr_ns /= engine_ratio;
        cost[s].group_ns /= engine_ratio;
        cost[s].group_stderr_ns /= engine_ratio;
    }
    t.sum_ns /= engine_ratio;
    t.sum_stderr_ns /= engine_ratio;
    prof_row *rows = calloc(ERAVM_COUNTER_SLOTS, sizeof *rows);
    size_t n = 0;
    uint64_t total = 0, unresolved = 0, grouped = 0;
    double sum_ns = 0;
    for (unsigned s = 0; s < ERAVM_COUNTER_SLOTS; s++) {
        uint64_t k = eravm_counters_count(c, s);
        if (!k)
            continue;
        double per_run = (double)k / (double)eravm_counters_runs(c);
        rows[n] = (prof_row){s, (uint64_t)llround(per_run), (int64_t)llround((double)eravm_counters_ergs(c, s) / runs),
                             cost[s], per_run * cost[s].ns};
        total += rows[n].count;
        if (cost[s].group_n > 1 && cost[s].group_resolved)
            grouped += rows[n].count;
        else if (!cost[s].resolved)
            unresolved += rows[n].count;
        sum_ns += rows[n].total_ns;
        n++;
    }
    qsort(rows, n, sizeof *rows, row_time_cmp);
    double sum_se = timed && eravm_counters_runs(c) ? t.sum_stderr_ns / (double)eravm_counters_runs(c) : 0;
    double ratio = measured_ns > 0 ? sum_ns / measured_ns : 0;
    bool adds_up = timed && ratio >= 0.9 && ratio <= 1.1;
    FILE *out = o->out;
    if (o->text) {
        fprintf(out, "\nprofile: %s %s (%llu instructions per run; %d pairs of timing and counting runs in %.2f s)\n", w->name, w->mode,
                (unsigned long long)total, runs, spent / 1e9);
        if (tm->usable)
            fprintf(out, "timer: rdtsc, %.3f ticks/ns; a read costs %.1f ns, successive reads differ by >= %.1f ns "
                         "- too coarse for one instruction, so blocks of 1-%d are timed, in runs that do nothing else\n",
                    tm->ticks_per_ns, tm->read_ns, tm->step_ns, ERAVM_PROF_BLOCK_MAX);
        if (timed)
            fprintf(out, "blocks: %llu timed (%llu rejected as interrupted, %llu not met again), %.1f%% of "
                         "instructions; per-block overhead %.1f ±%.1f ns; residual sd %.1f ns per block; the "
                         "timing engine took %.3fx the fast build's time (median CPU time of %d runs), "
                         "ns/op scaled by the inverse\n",
                    (unsigned long long)t.blocks, (unsigned long long)t.rejected, (unsigned long long)t.mismatched,
                    100.0 * (double)t.timed_instructions / (double)(t.instructions ? t.instructions : 1),
                    t.overhead_ns, t.overhead_stderr_ns, t.sigma_ns, engine_ratio, 2 * runs);
        else
            fprintf(out, "no timed blocks (%s): counts only\n", tm->usable ? "the workload is too short" : tm->why);
        fprintf(out, "%-28s %12s %16s %11s %10s %7s %12s\n", "opcode (by host time)", "count", "ns/op ±stderr",
                "timed", "total ms", "% time", "ergs");
    }
    json_t *ops = json_array();
    for (size_t i = 0; i < n; i++) {
        const prof_row *x = &rows[i];
        char name[64], ns[40];
        bench_slot_name(x->slot, name, sizeof name);
        if (x->cost.group_n > 1)
            snprintf(ns, sizeof ns, "%13s %2u", "in group", x->cost.group_n);
        else if (x->cost.resolved)
            snprintf(ns, sizeof ns, "%7.2f ±%6.2f", x->cost.ns, x->cost.stderr_ns);
        else
            snprintf(ns, sizeof ns, "%16s", "below timer res.");
        if (o->text && (int)i < o->top)
            fprintf(out, "%-28s %12llu %16s %11llu %10.3f %6.2f%% %12lld\n", name, (unsigned long long)x->count, ns,
                    (unsigned long long)x->cost.timed, x->total_ns / 1e6,
                    sum_ns > 0 ? 100 * x->total_ns / sum_ns : 0, (long long)x->ergs);
        json_t *op = json_pack("{s:s,s:I,s:f,s:f,s:b,s:I,s:I}", "name", name, "count", (json_int_t)x->count,
                               "ns_mean", x->cost.ns, "ns_stderr", x->cost.stderr_ns, "resolved",
                               x->cost.resolved, "timed", (json_int_t)x->cost.timed, "ergs", (json_int_t)x->ergs);
        if (x->cost.group_n > 1) {
            char first[64];
            bench_slot_name(x->cost.group, first, sizeof first);
            json_object_set_new(op, "group", json_pack("{s:s,s:I,s:f,s:f,s:b}", "first", first, "members",
                                                       (json_int_t)x->cost.group_n, "ns", x->cost.group_ns,
                                                       "ns_stderr", x->cost.group_stderr_ns, "resolved",
                                                       x->cost.group_resolved));
        }
        json_array_append_new(ops, op);
    }
    if (o->text) {
        if ((int)n > o->top)
            fprintf(out, "(%zu more opcodes)\n", n - (size_t)o->top);
        fprintf(out, "check: sum of count x ns/op = %.3f ms (±%.3f); measured %.3f ms (fast build, median CPU time "
                     "of %d runs%s); ratio %.3f - %s\n",
                sum_ns / 1e6, sum_se / 1e6, measured_ns / 1e6, 2 * runs,
                full ? ", with the host's part: building and pushing the transaction, answering hooks" : "", ratio,
                !timed ? "not timed" : adds_up ? "adds up (within ±10%)" : full ? "the rest is the host's" : "DOES NOT add up (outside ±10%)");
        if ((double)unresolved >= 5e-5 * (double)total)
            fprintf(out, "       %.2f%% of instructions are opcodes below timer resolution (their estimates are "
                         "still in the sum)\n",
                    100.0 * (double)unresolved / (double)(total ? total : 1));
        if (grouped)
            print_groups(out, rows, n, 100.0 * (double)grouped / (double)(total ? total : 1));
    }
    FILE *csv = NULL;
    if (o->csv_dir) {
        mkdir(o->csv_dir, 0755);
        char path[1024], safe[64];
        snprintf(safe, sizeof safe, "%s", w->name);
        for (char *p = safe; *p; p++)
            if (*p == '/')
                *p = '_';
        snprintf(path, sizeof path, "%s/fusion-%s-%s.csv", o->csv_dir, safe, w->mode);
        if (!(csv = fopen(path, "w")))
            fprintf(stderr, "eravm-bench: cannot write %s\n", path);
        else
            fprintf(csv, "%s\n", BENCH_FUSION_HEADER);
    }
    json_t *fusion = report_fusion(o, c, cost, (double)eravm_counters_runs(c), measured_ns, agg, csv);
    if (csv)
        fclose(csv);
    json_t *prof = json_pack("{s:f,s:f,s:f,s:b,s:o}", "measured_ns", measured_ns, "sum_estimated_ns", sum_ns,
                             "ratio", ratio, "adds_up", adds_up, "opcodes", ops);
    json_object_set_new(prof, "sum_stderr_ns", json_real(sum_se));
    json_object_set_new(prof, "runs", json_integer(runs));
    json_object_set_new(prof, "blocks", json_integer((json_int_t)t.blocks));
    json_object_set_new(prof, "block_overhead_ns", json_real(t.overhead_ns));
    json_object_set_new(prof, "timing_engine_ratio", json_real(engine_ratio));
    json_object_set_new(prof, "timer", json_pack("{s:b,s:f,s:f,s:f}", "usable", tm->usable, "ticks_per_ns",
                                                 tm->ticks_per_ns, "read_ns", tm->read_ns, "step_ns", tm->step_ns));
    json_object_set_new(prof, "fusion", fusion);
    free(rows);
    free(cost);
    eravm_counters_free(c);
    return prof;
}

/* ---- per-opcode cost: in a mix against in isolation -------------------------------- */

/* A bare-options target for w on engine, its code loaded; NULL with err. */
static bench_target *target_on(const bench_workload *w, int engine, char *err, size_t errn)
{
    uint8_t *code;
    size_t len;
    if (bench_load_code(w, &code, &len, err, errn))
        return NULL;
    bench_target *t = bench_target_new(w, code, len, engine, NULL, err, errn);
    free(code);
    return t;
}

/* Per-opcode costs of a workload from pairs of profiling runs (at least 3
 * pairs, until `seconds`); also its counts per run. 0, or -1 with err. */
static int profile_costs(const bench_workload *w, double seconds, eravm_opcost *cost, uint64_t *count,
                         char *err, size_t errn)
{
    bench_target *t = target_on(w, ERAVM_ENGINE_COUNTING, err, errn);
    if (!t)
        return -1;
    eravm_counters *c = eravm_counters_new(ERAVM_PROF_TIME);
    int pairs = 0, rc = 0;
    double t0 = bench_now_ns();
    while (rc == 0 && (pairs < 3 || bench_now_ns() - t0 < seconds * 1e9) && pairs < 1000) {
        rc = bench_target_run(t, c, NULL, err, errn) || bench_target_run(t, c, NULL, err, errn);
        pairs++;
    }
    eravm_timing tm;
    if (rc == 0 && eravm_counters_timing(c, cost, &tm) != 0)
        memset(cost, 0, ERAVM_COUNTER_SLOTS * sizeof *cost);
    for (unsigned s = 0; s < ERAVM_COUNTER_SLOTS; s++)
        count[s] = eravm_counters_count(c, s) / (eravm_counters_runs(c) ? eravm_counters_runs(c) : 1);
    eravm_counters_free(c);
    bench_target_free(t);
    return rc ? -1 : 0;
}

/* The fast build's median CPU time per instruction over `runs` runs. */
static double fast_ns_per_instr(const bench_workload *w, int runs, char *err, size_t errn)
{
    bench_target *t = target_on(w, ERAVM_ENGINE_FAST, err, errn);
    if (!t)
        return -1;
    double *v = malloc((size_t)runs * sizeof *v);
    bench_target_run(t, NULL, NULL, err, errn);
    for (int i = 0; i < runs; i++)
        bench_target_run(t, NULL, &v[i], err, errn);
    double m = bench_median(v, (size_t)runs);
    free(v);
    bench_target_free(t);
    return w->instructions ? m / (double)w->instructions : 0;
}

static void cost_cell(const eravm_opcost *c, char *buf, size_t n)
{
    if (c->group_n > 1)
        snprintf(buf, n, "%11s %2u", "in group", c->group_n);
    else if (c->resolved)
        snprintf(buf, n, "%7.2f ±%5.2f", c->ns, c->stderr_ns);
    else if (c->timed)
        snprintf(buf, n, "%14s", "below res.");
    else
        snprintf(buf, n, "%14s", "-");
}

json_t *bench_isolation(const bench_profile_opts *o, const bench_manifest *m)
{
    const bench_workload *mix = NULL;
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->w[i].name, "synth/mix"))
            mix = &m->w[i];
    char err[600];
    eravm_opcost *in_mix = calloc(ERAVM_COUNTER_SLOTS, sizeof *in_mix), *own = calloc(ERAVM_COUNTER_SLOTS, sizeof *own);
    uint64_t *count = calloc(ERAVM_COUNTER_SLOTS, sizeof *count);
    if (!mix || profile_costs(mix, o->min_seconds, in_mix, count, err, sizeof err)) {
        fprintf(stderr, "eravm-bench: --isolation: %s\n", mix ? err : "no synth/mix workload in the manifest");
        free(in_mix);
        free(own);
        free(count);
        return NULL;
    }
    if (o->text)
        fprintf(o->out, "\nper-opcode host time: in its own loop against inside synth/mix (each of the loops' "
                        "forms once per iteration)\n%-22s %-22s %11s %14s %14s %9s\n",
                "loop", "opcode", "loop ns/ins", "in loop ns/op", "in mix ns/op", "mix/loop");
    json_t *arr = json_array();
    for (size_t i = 0; i < m->n; i++) {
        const bench_workload *w = &m->w[i];
        if (strncmp(w->name, "synth/", 6) || w == mix || strcmp(w->tier, "bare"))
            continue;
        double loop = fast_ns_per_instr(w, 7, err, sizeof err);
        if (loop < 0 || profile_costs(w, o->min_seconds / 10, own, count, err, sizeof err)) {
            fprintf(stderr, "eravm-bench: --isolation %s: %s\n", w->name, err);
            continue;
        }
        unsigned slot = 0; /* the instruction under test: the loop's commonest */
        for (unsigned s = 1; s < ERAVM_COUNTER_SLOTS; s++)
            if (count[s] > count[slot])
                slot = s;
        char name[64], a[40], b[40];
        bench_slot_name(slot, name, sizeof name);
        cost_cell(&own[slot], a, sizeof a);
        cost_cell(&in_mix[slot], b, sizeof b);
        double ratio = in_mix[slot].resolved && loop > 0 ? in_mix[slot].ns / loop : 0;
        if (o->text)
            fprintf(o->out, "%-22s %-22s %11.2f %14s %14s %9.2f\n", w->name + 6, name, loop, a, b, ratio);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:f,s:f,s:f,s:b,s:f,s:f,s:b}", "loop", w->name, "opcode", name,
                                             "loop_ns_per_instr", loop, "in_loop_ns", own[slot].ns,
                                             "in_loop_stderr_ns", own[slot].stderr_ns, "in_loop_resolved",
                                             own[slot].resolved, "in_mix_ns", in_mix[slot].ns, "in_mix_stderr_ns",
                                             in_mix[slot].stderr_ns, "in_mix_resolved", in_mix[slot].resolved));
    }
    free(in_mix);
    free(own);
    free(count);
    return arr;
}
