/* vm/prof_read.c — the readers of vm/eravm_prof.h: the timer's
 * calibration, profile options, counts and ergs per slot, pairs and
 * triples, the least-squares solve of per-opcode host time from the timed
 * blocks, and the call-stack cells. The profiler's engine side is
 * vm/prof.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <x86intrin.h>

#include "opcode.h"
#include "prof_internal.h"
#include "xalloc.h"

/* ---- the timer ------------------------------------------------------------------ */

static double prof_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static bool timer_allowed(char *why, size_t n)
{
    int mode = 0;
    if (prctl(PR_GET_TSC, &mode, 0, 0, 0) == 0 && mode == PR_TSC_SIGSEGV) {
        snprintf(why, n, "rdtsc is disabled for this process (prctl PR_SET_TSC)");
        return false;
    }
    return true;
}

/* Calibrated once; whether the process may read the clock is asked each
 * time (a process can forbid it later), so a VM created after that counts
 * without timing. */
const eravm_timer *eravm_timer_get(void)
{
    static eravm_timer t;
    static bool calibrated;
    char why[sizeof t.why];
    if (!timer_allowed(why, sizeof why)) {
        t.usable = false;
        snprintf(t.why, sizeof t.why, "%s", why);
        return &t;
    }
    if (calibrated) {
        t.usable = t.ticks_per_ns > 0;
        return &t;
    }
    calibrated = true;
    /* ticks per ns against the monotonic clock over ~5 ms */
    double n0 = prof_now_ns();
    uint64_t k0 = __rdtsc();
    while (prof_now_ns() - n0 < 5e6)
        ;
    double n1 = prof_now_ns();
    uint64_t k1 = __rdtsc();
    t.ticks_per_ns = (double)(k1 - k0) / (n1 - n0);
    /* cost of a read, and the smallest step two successive reads show */
    uint64_t step = UINT64_MAX;
    uint64_t sink = 0;
    enum { READS = 20000 };
    uint64_t a = __rdtsc();
    for (int i = 0; i < READS; i++)
        sink += __rdtsc();
    uint64_t b = __rdtsc();
    __asm__ volatile("" : : "r"(sink)); /* the reads are the point */
    for (int i = 0; i < 1000; i++) {
        uint64_t x = __rdtsc(), y = __rdtsc();
        if (y > x && y - x < step)
            step = y - x;
    }
    t.usable = t.ticks_per_ns > 0;
    if (!t.usable) {
        snprintf(t.why, sizeof t.why, "rdtsc does not advance");
        return &t;
    }
    t.why[0] = 0;
    t.read_ns = (double)(b - a) / READS / t.ticks_per_ns;
    t.step_ns = step == UINT64_MAX ? 0 : (double)step / t.ticks_per_ns;
    return &t;
}

/* ---- options and counts ------------------------------------------------------------- */

void eravm_counters_set_options(eravm_counters *C, unsigned options)
{
    if ((options & ERAVM_PROF_STACKS) && !(C->options & ERAVM_PROF_STACKS)) {
        eravm_opcost *cost = xcalloc(ERAVM_SLOTS, sizeof *cost);
        eravm_timing t;
        if (eravm_counters_timing(C, cost, &t) == 0) {
            for (unsigned s = 0; s < ERAVM_SLOTS; s++)
                C->model[s] = cost[s].ns > 0 ? cost[s].ns : 0;
            C->have_model = true;
        }
        free(cost);
    }
    C->options = options;
    C->timer_ok = eravm_timer_get()->usable;
}

void eravm_vm_set_profile(eravm_vm *vm, unsigned options)
{
    eravm_vm_set_engine(vm, ERAVM_ENGINE_COUNTING);
    eravm_counters_set_options(vm->counters, options);
}

eravm_counters *eravm_counters_new(unsigned options)
{
    eravm_counters *C = prof_new();
    eravm_counters_set_options(C, options);
    return C;
}

void eravm_counters_free(eravm_counters *c)
{
    prof_free(c);
}

void eravm_counters_reset(eravm_counters *c)
{
    prof_reset(c);
}

void eravm_vm_attach_counters(eravm_vm *vm, eravm_counters *c)
{
    if (vm->counters == c)
        return;
    prof_detach(vm);
    if (!vm->counters_shared)
        prof_free(vm->counters);
    vm->counters = c;
    vm->counters_shared = true;
    eravm_vm_set_engine(vm, ERAVM_ENGINE_COUNTING);
    if (vm->fresh_run) /* started, nothing run yet: a new run of c */
        vm->timing_run = prof_run_start(c);
}

uint64_t prof_slot_count(const eravm_counters *c, unsigned slot)
{
    return c->count[slot] + (c->live ? c->live->prof_count_tab[slot] : 0);
}

uint64_t eravm_counters_count(const eravm_counters *c, unsigned slot)
{
    return c && slot < ERAVM_SLOTS ? prof_slot_count(c, slot) : 0;
}

int64_t eravm_counters_ergs(const eravm_counters *c, unsigned slot)
{
    return c && slot < ERAVM_SLOTS ? (int64_t)prof_slot_count(c, slot) * c->base[slot] + c->adj[slot] : 0;
}

uint64_t eravm_counters_resyncs(const eravm_counters *c)
{
    return c ? c->resyncs : 0;
}

uint64_t eravm_counters_runs(const eravm_counters *c)
{
    return c ? c->runs : 0;
}

static int seq_cmp(const void *x, const void *y)
{
    const eravm_sequence *p = x, *q = y;
    if (p->count != q->count)
        return p->count < q->count ? 1 : -1;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b < q->b ? -1 : 1;
    return p->c < q->c ? -1 : p->c > q->c;
}

size_t eravm_counters_sequences(const eravm_counters *c, int length, eravm_sequence **out)
{
    size_t n = 0, cap = 64;
    eravm_sequence *v = xmalloc(cap * sizeof *v);
    if (c && length == 2) {
        for (unsigned a = 0; a < ERAVM_SLOTS; a++) {
            if (!prof_slot_count(c, a))
                continue; /* a row is only touched after its slot ran */
            const uint64_t *row = &c->pairs[(size_t)a * ERAVM_SLOTS];
            for (unsigned b = 0; b < ERAVM_SLOTS; b++) {
                if (!row[b])
                    continue;
                if (n == cap)
                    v = xrealloc(v, (cap *= 2) * sizeof *v);
                v[n++] = (eravm_sequence){(uint16_t)a, (uint16_t)b, ERAVM_NO_SLOT, row[b]};
            }
        }
    } else if (c && length == 3) {
        for (size_t i = 0; i < c->triples.cap; i++) {
            if (!c->triples.keys[i])
                continue;
            uint64_t k = c->triples.keys[i] - 1;
            if (n == cap)
                v = xrealloc(v, (cap *= 2) * sizeof *v);
            v[n++] = (eravm_sequence){(uint16_t)(k / ERAVM_SLOTS / ERAVM_SLOTS),
                                      (uint16_t)(k / ERAVM_SLOTS % ERAVM_SLOTS), (uint16_t)(k % ERAVM_SLOTS),
                                      c->tri_count[c->triples.vals[i]]};
        }
    }
    qsort(v, n, sizeof *v, seq_cmp);
    *out = v;
    return n;
}

/* Cholesky factorisation of the p x p matrix a (row-major, full); false if
 * it is not positive definite. */
static bool cholesky(double *a, unsigned p)
{
    for (unsigned j = 0; j < p; j++) {
        double d = a[j * p + j];
        for (unsigned k = 0; k < j; k++)
            d -= a[j * p + k] * a[j * p + k];
        if (!(d > 0))
            return false;
        d = sqrt(d);
        a[j * p + j] = d;
        for (unsigned i = j + 1; i < p; i++) {
            double x = a[i * p + j];
            for (unsigned k = 0; k < j; k++)
                x -= a[i * p + k] * a[j * p + k];
            a[i * p + j] = x / d;
        }
    }
    return true;
}

static void chol_solve(const double *l, unsigned p, double *x)
{
    for (unsigned i = 0; i < p; i++) {
        for (unsigned k = 0; k < i; k++)
            x[i] -= l[i * p + k] * x[k];
        x[i] /= l[i * p + i];
    }
    for (unsigned i = p; i-- > 0;) {
        for (unsigned k = i + 1; k < p; k++)
            x[i] -= l[k * p + i] * x[k];
        x[i] /= l[i * p + i];
    }
}

/* Groups of opcodes whose columns of block counts are (nearly) the same:
 * the cosine of columns i and j, ci.cj / (|ci| |cj|), at least
 * PROF_TIED_COS - equal columns (one fused record) or columns that differ
 * in a handful of blocks out of many, whose costs the blocks can only
 * trade against each other. A group's summed cost and its standard error
 * come from the whole covariance. */
#define PROF_TIED_COS 0.999
static void timing_groups(const eravm_counters *c, const double *full, const double *chol, unsigned p,
                          double s2, double tpn, eravm_opcost *cost, double *e)
{
    for (unsigned i = 1; i < p; i++) {
        eravm_opcost *o = &cost[c->col_slot[i]];
        if (o->group_n)
            continue; /* already in a group */
        memset(e, 0, p * sizeof *e);
        unsigned n = 0;
        for (unsigned j = i; j < p && o->timed >= 30; j++) /* a handful of blocks proves nothing */
            if (full[j * p + j] > 0 &&
                full[i * p + j] >= PROF_TIED_COS * sqrt(full[i * p + i] * full[j * p + j])) {
                e[j] = 1;
                n++;
            }
        double sum = 0;
        for (unsigned j = i; j < p; j++)
            sum += e[j] ? cost[c->col_slot[j]].ns : 0;
        double *x = xmalloc(p * sizeof *x);
        memcpy(x, e, p * sizeof *x);
        chol_solve(chol, p, x);
        double var = 0;
        for (unsigned j = 0; j < p; j++)
            var += e[j] * x[j];
        free(x);
        double se = sqrt(s2 * (var > 0 ? var : 0)) / tpn;
        for (unsigned j = i; j < p; j++) {
            if (!e[j] && j != i)
                continue;
            eravm_opcost *m = &cost[c->col_slot[j]];
            m->group = c->col_slot[i];
            m->group_n = n ? n : 1;
            m->group_ns = n ? sum : o->ns;
            m->group_stderr_ns = n ? se : o->stderr_ns;
            m->group_resolved = m->timed >= 30 && m->group_ns > 4 * m->group_stderr_ns;
            if (n > 1) { /* the members' own estimates only trade against each other */
                m->ns = sum / n;
                m->stderr_ns = se / n;
                m->resolved = false;
            }
        }
    }
}

int eravm_counters_timing(const eravm_counters *c, eravm_opcost *cost, eravm_timing *t)
{
    memset(cost, 0, ERAVM_SLOTS * sizeof *cost);
    memset(t, 0, sizeof *t);
    if (!c)
        return -1;
    for (unsigned s = 0; s < ERAVM_SLOTS; s++) {
        t->instructions += prof_slot_count(c, s);
        t->timed_instructions += c->timed[s];
        cost[s].timed = c->timed[s];
    }
    t->blocks = c->blocks;
    t->rejected = c->rejected;
    t->mismatched = c->mismatched;
    unsigned p = c->ncol;
    const eravm_timer *tm = eravm_timer_get();
    if (p == 0 || c->blocks <= p || !tm->usable)
        return -1;
    double *a = xmalloc((size_t)p * p * sizeof *a), *b = xmalloc(p * sizeof *b);
    double *full = xmalloc((size_t)p * p * sizeof *full);
    for (unsigned i = 0; i < p; i++)
        for (unsigned j = 0; j < p; j++)
            full[i * p + j] = i <= j ? c->xtx[(size_t)i * c->capcol + j] : c->xtx[(size_t)j * c->capcol + i];
    memcpy(a, full, (size_t)p * p * sizeof *a);
    /* a whisper of ridge keeps an opcode that was never timed apart from
     * one that always ran with it from making the system singular */
    for (unsigned i = 0; i < p; i++)
        a[i * p + i] += 1e-9 * a[i * p + i] + 1e-9;
    if (!cholesky(a, p)) {
        free(a);
        free(b);
        free(full);
        return -1;
    }
    for (unsigned i = 0; i < p; i++)
        b[i] = c->xty[i];
    chol_solve(a, p, b);
    /* residual sum of squares: y'y - 2 b'X'y + b'X'X b */
    double rss = c->yty;
    for (unsigned i = 0; i < p; i++) {
        rss -= 2 * b[i] * c->xty[i];
        double row = 0;
        for (unsigned j = 0; j < p; j++)
            row += full[i * p + j] * b[j];
        rss += b[i] * row;
    }
    double dof = (double)c->blocks - p, s2 = rss > 0 && dof > 0 ? rss / dof : 0;
    double *e = xmalloc(p * sizeof *e);
    double tpn = tm->ticks_per_ns;
    for (unsigned i = 0; i < p; i++) {
        memset(e, 0, p * sizeof *e);
        e[i] = 1;
        chol_solve(a, p, e);
        double se = sqrt(s2 * (e[i] > 0 ? e[i] : 0)) / tpn, ns = b[i] / tpn;
        if (i == 0) {
            t->overhead_ns = ns;
            t->overhead_stderr_ns = se;
            continue;
        }
        eravm_opcost *o = &cost[c->col_slot[i]];
        o->ns = ns;
        o->stderr_ns = se;
        o->resolved = o->timed >= 30 && ns > 4 * se;
    }
    t->sigma_ns = sqrt(s2) / tpn;
    t->unknowns = p;
    timing_groups(c, full, a, p, s2, tpn, cost, e);
    /* the total over all counted executions, and its standard error from
     * the whole covariance: opcodes that always ran together are each
     * uncertain, their sum is not */
    memset(e, 0, p * sizeof *e);
    double sum = 0, var = 0;
    for (unsigned i = 1; i < p; i++) {
        double k = (double)prof_slot_count(c, c->col_slot[i]);
        sum += k * b[i];
        /* an opcode timed a handful of times is all uncertainty and next
         * to no weight: left out of the error, not of the sum */
        e[i] = c->timed[c->col_slot[i]] >= 30 ? k : 0;
    }
    double *x = xmalloc(p * sizeof *x);
    memcpy(x, e, p * sizeof *x);
    chol_solve(a, p, x);
    for (unsigned i = 1; i < p; i++)
        var += e[i] * x[i];
    free(x);
    t->sum_ns = sum / tpn;
    t->sum_stderr_ns = sqrt(s2 * (var > 0 ? var : 0)) / tpn;
    free(e);
    free(a);
    free(b);
    free(full);
    return 0;
}

size_t eravm_counters_frames(const eravm_counters *c, const eravm_stack_frame **frames)
{
    *frames = c ? c->nodes : NULL;
    return c ? c->nnodes : 0;
}

size_t eravm_counters_cells(const eravm_counters *c, eravm_stack_cell **out)
{
    size_t n = c ? c->ncells : 0;
    eravm_stack_cell *v = xmalloc((n ? n : 1) * sizeof *v);
    const eravm_timer *tm = eravm_timer_get();
    eravm_opcost *cost = xcalloc(ERAVM_SLOTS, sizeof *cost);
    eravm_timing t;
    bool timed = c && eravm_counters_timing(c, cost, &t) == 0;
    double overhead = timed ? t.overhead_ns * tm->ticks_per_ns : 0;
    for (size_t i = 0; i < n; i++) {
        const prof_cell *x = &c->cells[i];
        unsigned slot = (unsigned)(c->cell_key[i] & 0xFFF);
        double ns = 0;
        if (timed && x->timed) {
            double ticks = x->ticks - overhead * x->share;
            ns = (ticks > 0 ? ticks : 0) / (double)x->timed * (double)x->count / tm->ticks_per_ns;
        } else if (timed) {
            ns = (double)x->count * (cost[slot].ns > 0 ? cost[slot].ns : 0);
        }
        v[i] = (eravm_stack_cell){(unsigned)(c->cell_key[i] >> 12), (uint16_t)slot, x->count,
                                  (int64_t)x->count * c->base[slot] + x->adj, ns};
    }
    free(cost);
    *out = v;
    return n;
}
