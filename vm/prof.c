/* vm/prof.c — the counting engine's profiler, the part the engine drives
 * through vm/prof.h: what happens to the records prof_dispatch leaves in its
 * buffer, where the profiler looks at the VM, and the timed blocks. The
 * readers of vm/eravm_prof.h are in vm/prof_read.c.
 *
 *  - Counts, and when asked pairs and triples by variant, are taken from
 *    the buffer when it is flushed.
 *  - Ergs: every instruction is taken to cost its base ergs; where the next
 *    dispatch sees another (depth, ergs) key, or the instruction could have
 *    changed the frame unseen, the profiler looks at the VM and charges the
 *    difference. It keeps its own copy of the call stack with the ergs each
 *    caller held back, so that a call is charged what the caller lost beyond
 *    what the callee got and a return what did not come back: the charges
 *    add up to exactly the ergs the runs used.
 *  - Host time by block timing, in pairs of runs of the same execution. A
 *    timing run counts down to the boundaries of random blocks of 1..256
 *    instructions and reads the clock (fenced rdtsc) there, nothing else;
 *    the counting run after it puts its blocks at the same positions (the
 *    same seed) and learns which instructions each one held. Per-opcode
 *    costs are then solved by least squares, block time = overhead + sum of
 *    count x cost, from normal equations accumulated block by block. One
 *    instruction cannot be timed alone (a read costs as much), and the
 *    profiler's own work never sits inside a timed block.
 *  - Call stacks (ERAVM_PROF_STACKS): per (stack, opcode) counts, ergs and a
 *    share of the timed blocks' time, in memory bounded by the distinct
 *    (contract, function, opcode) cells. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "opcode.h"
#include "prof_internal.h"
#include "xalloc.h"

/* ---- a small open-addressing map ----------------------------------------------- */

static uint64_t prof_mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    return k ^ (k >> 33);
}

static void map_free(prof_map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* The value slot of key: *found says whether it was there; otherwise it is
 * inserted with value `fresh`. */
static uint32_t *map_get(prof_map *m, uint64_t key, uint32_t fresh, bool *found)
{
    if (2 * (m->n + 1) > m->cap) {
        prof_map g = {0};
        g.cap = m->cap ? 2 * m->cap : 64;
        g.keys = xcalloc(g.cap, sizeof *g.keys);
        g.vals = xmalloc(g.cap * sizeof *g.vals);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            size_t j = prof_mix(m->keys[i]) & (g.cap - 1);
            while (g.keys[j])
                j = (j + 1) & (g.cap - 1);
            g.keys[j] = m->keys[i];
            g.vals[j] = m->vals[i];
        }
        g.n = m->n;
        map_free(m);
        *m = g;
    }
    size_t j = prof_mix(key + 1) & (m->cap - 1);
    while (m->keys[j] && m->keys[j] != key + 1)
        j = (j + 1) & (m->cap - 1);
    *found = m->keys[j] != 0;
    if (!*found) {
        m->keys[j] = key + 1;
        m->vals[j] = fresh;
        m->n++;
    }
    return &m->vals[j];
}

/* ---- lifecycle ------------------------------------------------------------------ */

eravm_counters *prof_new(void)
{
    eravm_optab_init();
    eravm_counters *C = xcalloc(1, sizeof *C);
    for (unsigned s = 0; s < ERAVM_SLOTS; s++) {
        unsigned fam = eravm_index_family(s);
        C->base[s] = fam == EOP_INVALID || fam == ERAVM_FAMILY_WRAP ? 0
                     : fam == ERAVM_FAMILY_PANIC                    ? 5
                                                                    : eravm_families[fam].ergs;
        C->col[s] = -1;
        C->look_far[s] = C->base[s] | ((PROF_WATCH_FAR >> fam & 1) ? PROF_LOOK : 0);
        C->look_all[s] = C->base[s] | ((PROF_WATCH_ALL >> fam & 1) ? PROF_LOOK : 0);
    }
    C->pairs = xcalloc((size_t)(PROF_START + 1) * ERAVM_SLOTS, sizeof *C->pairs);
    C->limit = C->buf + PROF_BUF;
    _Static_assert(offsetof(eravm_counters, pcs) == offsetof(eravm_counters, buf) + PROF_PCS * sizeof(uint16_t),
                   "prof: a record's pc is PROF_PCS records after it");
    C->seed = 0x9E3779B9u;
    prof_run_start(C);
    C->runs = 0;
    return C;
}

static void stacks_free(eravm_counters *C)
{
    free(C->nodes);
    free(C->cells);
    free(C->cell_key);
    free(C->contracts);
    map_free(&C->node_map);
    map_free(&C->cell_map);
    map_free(&C->contract_map);
    C->nodes = NULL;
    C->cells = NULL;
    C->cell_key = NULL;
    C->contracts = NULL;
    C->nnodes = C->capnodes = C->ncells = C->capcells = C->ncontracts = C->capcontracts = 0;
}

void prof_free(eravm_counters *C)
{
    if (!C)
        return;
    free(C->pairs);
    map_free(&C->triples);
    free(C->tri_count);
    free(C->stack);
    free(C->xtx);
    free(C->xty);
    free(C->win);
    stacks_free(C);
    prof_take_counts(C); /* the live VM's table cleared, and let go */
    free(C);
}

void prof_take_counts(eravm_counters *C)
{
    eravm_vm *vm = C->live;
    if (!vm)
        return;
    for (unsigned s = 0; s < ERAVM_SLOTS; s++)
        C->count[s] += vm->prof_count_tab[s];
    memset(vm->prof_count_tab, 0, sizeof vm->prof_count_tab);
    vm->prof_live = false;
    C->live = NULL;
}

void prof_detach(eravm_vm *vm)
{
    if (vm->prof_live)
        prof_take_counts(vm->counters);
}

static uint32_t prof_rand(eravm_counters *C)
{
    C->rng ^= C->rng << 13;
    C->rng ^= C->rng >> 17;
    C->rng ^= C->rng << 5;
    return C->rng;
}

/* The next timed block after position `from`: a random gap, a random length. */
static void next_block(eravm_counters *C, uint64_t from)
{
    C->wstart = from + prof_rand(C) % (2 * PROF_GAP_MEAN + 1);
    C->wend = C->wstart + 1 + prof_rand(C) % PROF_WIN_MAX;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Before a counting run learns the blocks its timing run timed: what a
 * block should take. With enough blocks, the costs solved so far (again
 * after 1, 2, 4, 8... counting runs); before, the timing run's median time
 * per instruction. */
static void update_prediction(eravm_counters *C)
{
    const eravm_timer *tm = eravm_timer_get();
    if (C->blocks > 4u * C->ncol + 64 && (C->runs >= 2 * C->pred_runs || !C->have_pred)) {
        eravm_opcost *cost = xcalloc(ERAVM_SLOTS, sizeof *cost);
        eravm_timing t;
        if (eravm_counters_timing(C, cost, &t) == 0) {
            for (unsigned s = 0; s < ERAVM_SLOTS; s++)
                C->pred_cost[s] = cost[s].ns > 0 ? cost[s].ns * tm->ticks_per_ns : 0;
            C->pred_overhead = t.overhead_ns > 0 ? t.overhead_ns * tm->ticks_per_ns : 0;
            C->have_pred = true;
            C->pred_runs = C->runs;
        }
        free(cost);
    }
    if (C->have_pred || C->nwin == 0)
        return;
    size_t n = C->nwin < 4096 ? C->nwin : 4096, k = 0;
    double *v = xmalloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        const prof_window *x = &C->win[i * (C->nwin / n)];
        if (x->dt != PROF_DT_BAD && x->len)
            v[k++] = (double)x->dt / x->len;
    }
    if (k) {
        qsort(v, k, sizeof *v, cmp_dbl);
        C->pred_per_instr = v[k / 2];
    }
    free(v);
}

/* A new run: with timing on, runs alternate between timing a set of blocks
 * and counting the same execution with the same blocks. */
bool prof_run_start(eravm_counters *C)
{
    if (!C)
        return false;
    C->nstack = 0;
    C->prev = C->prev2 = PROF_START;
    C->chain_len = 0;
    C->last_pc = PROF_NO_PC;
    C->brk_depth = UINT32_MAX;
    C->nbrk = 0;
    C->have_prev = false;
    C->flush_node = 0;
    C->pos = 0;
    C->win_open = false;
    C->w = 0;
    if (C->options & ERAVM_PROF_CALIBRATE) { /* no block: the boundary is never met */
        C->phase = PROF_TIMING;
        C->event = UINT64_MAX / 2;
        return true;
    }
    bool timing = (C->options & ERAVM_PROF_TIME) && C->timer_ok;
    C->phase = !timing ? PROF_COUNTING : C->phase == PROF_TIMING ? PROF_COMPOSING : PROF_TIMING;
    if (C->phase == PROF_TIMING) {
        C->seed = C->seed * 1664525u + 1013904223u;
        C->nwin = 0;
    }
    C->rng = C->seed | 1;
    next_block(C, 0);
    C->event = C->wstart;
    if (C->phase != PROF_TIMING)
        C->runs++;
    if (C->phase == PROF_COMPOSING)
        update_prediction(C);
    return C->phase == PROF_TIMING;
}

/* Clears what was measured; keeps the options and the cost model. The next
 * timed run starts a new pair. */
void prof_reset(eravm_counters *C)
{
    memset(C->count, 0, sizeof C->count);
    if (C->live)
        memset(C->live->prof_count_tab, 0, sizeof C->live->prof_count_tab);
    memset(C->adj, 0, sizeof C->adj);
    memset(C->pairs, 0, (size_t)(PROF_START + 1) * ERAVM_SLOTS * sizeof *C->pairs);
    map_free(&C->triples);
    free(C->tri_count);
    C->tri_count = NULL;
    C->tri_cap = 0;
    C->resyncs = C->runs = C->mismatched = 0;
    free(C->xtx);
    free(C->xty);
    C->xtx = C->xty = NULL;
    C->ncol = C->capcol = 0;
    C->yty = 0;
    C->blocks = C->rejected = 0;
    memset(C->timed, 0, sizeof C->timed);
    for (unsigned s = 0; s < ERAVM_SLOTS; s++)
        C->col[s] = -1;
    stacks_free(C);
    C->nwin = 0;
    C->have_pred = false;
    C->pred_per_instr = 0;
    C->pred_runs = 0;
    C->phase = PROF_COMPOSING; /* so that the next run times */
}

/* ---- call stacks: nodes and cells -------------------------------------------------- */

static uint32_t contract_id(eravm_counters *C, u256 address, u256 code)
{
    uint64_t h = prof_mix(address.w[0] ^ prof_mix(address.w[1] ^ prof_mix(address.w[2] ^ code.w[0])) ^
                          prof_mix(code.w[1] ^ prof_mix(code.w[2])));
    bool found;
    uint32_t *head = map_get(&C->contract_map, h, UINT32_MAX, &found);
    for (uint32_t i = *head; i != UINT32_MAX; i = C->contracts[i].next)
        if (u256_eq(C->contracts[i].address, address) && u256_eq(C->contracts[i].code_address, code))
            return i;
    if (C->ncontracts == C->capcontracts) {
        C->capcontracts = C->capcontracts ? 2 * C->capcontracts : 16;
        C->contracts = xrealloc(C->contracts, C->capcontracts * sizeof *C->contracts);
    }
    C->contracts[C->ncontracts] = (prof_contract){address, code, *head};
    *head = (uint32_t)C->ncontracts;
    return (uint32_t)C->ncontracts++;
}

static uint32_t node_for(eravm_counters *C, uint32_t parent, bool far, uint16_t pc, u256 address, u256 code)
{
    if (C->nnodes == 0) { /* node 0: the root above every run */
        C->capnodes = 64;
        C->nodes = xcalloc(C->capnodes, sizeof *C->nodes);
        C->nnodes = 1;
    }
    uint64_t what = far ? (uint64_t)contract_id(C, address, code) : pc;
    uint64_t key = ((uint64_t)parent << 33) | ((uint64_t)far << 32) | what;
    bool found;
    uint32_t *v = map_get(&C->node_map, key, (uint32_t)C->nnodes, &found);
    if (found)
        return *v;
    if (C->nnodes == C->capnodes) {
        C->capnodes *= 2;
        C->nodes = xrealloc(C->nodes, C->capnodes * sizeof *C->nodes);
    }
    eravm_stack_frame *n = &C->nodes[C->nnodes];
    memset(n, 0, sizeof *n);
    n->parent = parent;
    n->far = far;
    n->pc = far ? 0 : pc;
    if (far) {
        n->address = address;
        n->code_address = code;
    }
    return (uint32_t)C->nnodes++;
}

static prof_cell *cell_for(eravm_counters *C, uint32_t node, unsigned slot)
{
    uint64_t key = ((uint64_t)node << 12) | slot;
    bool found;
    uint32_t *v = map_get(&C->cell_map, key, (uint32_t)C->ncells, &found);
    if (!found) {
        if (C->ncells == C->capcells) {
            C->capcells = C->capcells ? 2 * C->capcells : 256;
            C->cells = xrealloc(C->cells, C->capcells * sizeof *C->cells);
            C->cell_key = xrealloc(C->cell_key, C->capcells * sizeof *C->cell_key);
        }
        memset(&C->cells[C->ncells], 0, sizeof *C->cells);
        C->cell_key[C->ncells++] = key;
    }
    return &C->cells[*v];
}

/* ---- the VM as the profiler reads it (the only place that knows vm_frame) ---- */

static unsigned vm_nnear(const eravm_vm *vm, unsigned depth)
{
    return vm->frames[depth].nnear;
}

/* The ergs the caller of level (depth, nnear) holds back while it runs. */
static uint32_t vm_held(const eravm_vm *vm, unsigned depth, unsigned nnear)
{
    if (nnear)
        return vm->frames[depth].near[nnear - 1].saved_ergs;
    return depth ? vm->frames[depth - 1].ergs : 0;
}

static uint32_t vm_node(eravm_counters *C, const eravm_vm *vm, uint32_t parent, unsigned depth, unsigned nnear)
{
    if (!(C->options & ERAVM_PROF_STACKS))
        return 0;
    const vm_frame *f = &vm->frames[depth];
    if (nnear)
        return node_for(C, parent, false, f->near[nnear - 1].call->imm0, u256_zero(), u256_zero());
    return node_for(C, parent, true, 0, f->address, f->code_address);
}

/* kernel-only outside kernel mode, static-forbidden in a static frame */
static bool vm_refuses(const eravm_vm *vm, unsigned depth, unsigned fam)
{
    const vm_frame *f = &vm->frames[depth];
    return fam < EOP_COUNT && ((eravm_families[fam].kernel_only && !f->is_kernel) ||
                               (eravm_families[fam].static_forbidden && f->is_static));
}

/* ---- the copy of the call stack -------------------------------------------------------- */

static void stack_push(eravm_counters *C, uint32_t depth, uint32_t nnear, uint32_t held, uint32_t node)
{
    if (C->nstack == C->capstack) {
        C->capstack = C->capstack ? 2 * C->capstack : 64;
        C->stack = xrealloc(C->stack, C->capstack * sizeof *C->stack);
    }
    C->stack[C->nstack++] = (prof_level){depth, nnear, held, node};
}

/* Rebuilds the copy from the VM: at the start of a run, and should a change
 * ever not be one call or one return. Counting alone keeps far frames only
 * (see resolve_far). */
static void stack_resync(eravm_counters *C, unsigned depth)
{
    const eravm_vm *vm = C->vm;
    C->nstack = 0;
    uint32_t node = 0;
    for (unsigned d = 0; d <= depth; d++) {
        unsigned nn = C->options & ERAVM_PROF_STACKS ? vm_nnear(vm, d) : 0;
        for (unsigned k = 0; k <= nn; k++) {
            node = vm_node(C, vm, node, d, k);
            stack_push(C, d, k, vm_held(vm, d, k), node);
        }
    }
}

static uint32_t top_node(const eravm_counters *C)
{
    return C->nstack ? C->stack[C->nstack - 1].node : 0;
}

/* ---- flushing the buffer --------------------------------------------------------------- */

static void triple_add(eravm_counters *C, uint32_t a, uint32_t b, uint32_t c)
{
    uint64_t key = ((uint64_t)a * ERAVM_SLOTS + b) * ERAVM_SLOTS + c;
    bool found;
    uint32_t *v = map_get(&C->triples, key, (uint32_t)C->triples.n, &found);
    if (!found) {
        if (*v >= C->tri_cap) {
            C->tri_cap = C->tri_cap ? 2 * C->tri_cap : 256;
            C->tri_count = xrealloc(C->tri_count, C->tri_cap * sizeof *C->tri_count);
        }
        C->tri_count[*v] = 0;
    }
    C->tri_count[*v]++;
}

/* The buffer's records into pairs, triples and call-stack cells, as asked
 * (the counts are the VM's, prof_record), and the buffer emptied. */
static void flush(eravm_counters *C, prof_state *s)
{
    uint32_t prev = C->prev, prev2 = C->prev2, node = C->flush_node;
    unsigned chain = C->chain_len;
    uint32_t last_pc = C->last_pc;
    bool stacks = C->options & ERAVM_PROF_STACKS, triples = C->options & ERAVM_PROF_TRIPLES;
    bool pairs = C->options & ERAVM_PROF_PAIRS;
    size_t n = (size_t)(s->bp - C->buf);
    if (!stacks && !triples && !pairs) { /* the common case: counts only (in the VM) */
        if (n) {
            prev2 = n >= 2 ? PROF_SLOT(C->buf[n - 2]) : prev;
            prev = PROF_SLOT(C->buf[n - 1]);
        }
    } else {
        unsigned ie = 0, ib = 0;
        for (size_t i = 0; i < n; i++) {
            for (; ie < C->nev && C->ev[ie].at == i; ie++) {
                const prof_event *e = &C->ev[ie];
                if (stacks && e->slot != ERAVM_NO_SLOT)
                    cell_for(C, e->node_before, e->slot)->adj += e->adj;
                node = e->node_after;
            }
            unsigned x = PROF_SLOT(C->buf[i]);
            /* sequences in code order only; the invalid opcode and the VM's
             * pseudo-instructions never fuse */
            bool fusible = x != 0 && x < ERAVM_OPCODE_SLOTS;
            bool brk = last_pc == PROF_NO_PC || C->pcs[i] != (uint16_t)(last_pc + PROF_PC_STEP);
            for (; ib < C->nbrk && C->brk[ib] <= i; ib++)
                brk |= C->brk[ib] == i;
            last_pc = C->pcs[i];
            chain = !fusible ? 0 : brk ? 1 : chain + 1;
            if (pairs && chain >= 2)
                C->pairs[(size_t)prev * ERAVM_SLOTS + x]++;
            if (triples && chain >= 3)
                triple_add(C, prev2, prev, x);
            if (stacks)
                cell_for(C, node, x)->count++;
            prev2 = prev;
            prev = x;
        }
        for (unsigned ie2 = ie; ie2 < C->nev; ie2++) { /* events after the last record */
            const prof_event *e = &C->ev[ie2];
            if (stacks && e->slot != ERAVM_NO_SLOT)
                cell_for(C, e->node_before, e->slot)->adj += e->adj;
            node = e->node_after;
        }
    }
    C->prev = prev;
    C->prev2 = prev2;
    C->chain_len = chain;
    C->last_pc = n && !(stacks || triples || pairs) ? C->pcs[n - 1] : last_pc;
    C->nbrk = 0;
    C->flush_node = node;
    C->pos += n;
    s->bp = C->buf;
    C->nev = 0;
}

/* ---- ergs and frames --------------------------------------------------------------------- */

/* The copy of the stack moved, or an instruction was charged beyond its
 * base cost: noted before the next record, for the call-stack cells. */
static void stack_event(prof_state *s, eravm_counters *C, uint32_t before, unsigned slot, int64_t adj)
{
    uint32_t after = top_node(C);
    if (adj || after != before)
        C->ev[C->nev++] = (prof_event){(uint16_t)(s->bp - C->buf), (uint16_t)(adj ? slot : ERAVM_NO_SLOT),
                                       before, after, adj};
}

/* The first dispatch of a run or of a resumed run: nothing to charge yet;
 * the copy of the stack is (re)built from the VM if it has none. */
static void resolve_first(prof_state *s, eravm_counters *C, uint32_t depth)
{
    uint32_t before = top_node(C);
    bool stacks = C->options & ERAVM_PROF_STACKS;
    if (C->nstack == 0 || C->stack[C->nstack - 1].depth != depth ||
        C->stack[C->nstack - 1].nnear != (stacks ? vm_nnear(C->vm, depth) : 0))
        stack_resync(C, depth);
    if (stacks)
        stack_event(s, C, before, ERAVM_NO_SLOT, 0);
}

/* What the last dispatch saw: its key (far-call depth, frame's ergs) and
 * whether it ran out of ergs. expect holds the key with the look bit, or
 * the key minus the base cost (borrowing into bit 32 if it ran out). */
typedef struct {
    unsigned slot;
    uint32_t depth;
    int64_t ergs;
    bool out_of_ergs;
} prof_prev;

static prof_prev prev_of(const prof_state *s, const eravm_counters *C)
{
    prof_prev p;
    p.slot = s->bp > C->buf ? PROF_SLOT(s->bp[-1]) : C->prev;
    uint64_t key = s->expect + s->look[p.slot];
    p.depth = (uint32_t)(key >> 33);
    p.ergs = (uint32_t)key;
    p.out_of_ergs = eravm_index_family(p.slot) == EOP_INVALID || p.ergs < C->base[p.slot];
    return p;
}

static void charge(eravm_counters *C, unsigned slot, int64_t spent)
{
    C->adj[slot] += spent - C->base[slot];
}

/* Counting alone: the copy of the stack holds far frames only. Within a
 * far frame the VM's rules fix what a near call or return costs: its base
 * cost (the rest of the ergs goes to the callee and comes back), unless it
 * ran out (then everything the frame had); tests/test_prof.c checks the sum
 * against the ergs used. */
static void resolve_far(prof_state *s, eravm_counters *C, uint32_t ergs, uint32_t depth, bool last)
{
    const eravm_vm *vm = C->vm;
    prof_prev p = prev_of(s, C);
    unsigned fam = eravm_index_family(p.slot);
    prof_level *t = &C->stack[C->nstack - 1];
    int64_t spent;
    if (depth == p.depth + 1) { /* a far call */
        uint32_t held = vm->frames[depth - 1].ergs;
        spent = p.ergs - held - ergs;
        stack_push(C, depth, 0, held, 0);
    } else if (depth + 1 == p.depth && C->nstack > 1) { /* a far return */
        spent = p.ergs - ((int64_t)ergs - t->held);
        C->nstack--;
    } else if (depth == p.depth) {
        bool nearish = fam == EOP_NEAR_CALL || fam == EOP_RET_OK || fam == EOP_RET_REVERT ||
                       fam == EOP_RET_PANIC || fam == ERAVM_FAMILY_PANIC;
        /* a refused instruction panics, which returns the frame's ergs to
         * its caller; the last instruction of a run (or the one that
         * suspended it) stays in its frame */
        bool base_only = (nearish || vm_refuses(vm, depth, fam)) && !last;
        spent = p.out_of_ergs ? p.ergs : base_only ? (int64_t)C->base[p.slot] : p.ergs - ergs;
    } else {
        C->resyncs++;
        stack_resync(C, depth);
        return;
    }
    charge(C, p.slot, spent);
}

/* Call stacks: every call, return and panic is looked at, and the copy of
 * the stack holds near frames too. Same frame: the instruction cost the
 * drop in ergs. A call: what the caller lost beyond what the callee got. A
 * return: what did not come back. */
static void resolve_stacks(prof_state *s, eravm_counters *C, uint32_t ergs, uint32_t depth)
{
    const eravm_vm *vm = C->vm;
    prof_prev p = prev_of(s, C);
    unsigned nnear = vm_nnear(vm, depth);
    prof_level *t = &C->stack[C->nstack - 1];
    uint32_t node = t->node;
    int64_t spent;
    if (t->depth == depth && t->nnear == nnear) {
        spent = p.ergs - ergs;
    } else if (C->nstack > 1 && t[-1].depth == depth && t[-1].nnear == nnear) { /* a return */
        spent = p.ergs - ((int64_t)ergs - t->held);
        C->nstack--;
    } else if ((depth == t->depth + 1 && nnear == 0) || (depth == t->depth && nnear == t->nnear + 1)) {
        uint32_t held = vm_held(vm, depth, nnear); /* a call */
        spent = p.ergs - held - ergs;
        stack_push(C, depth, nnear, held, vm_node(C, vm, node, depth, nnear));
    } else {
        C->resyncs++;
        stack_resync(C, depth);
        stack_event(s, C, node, ERAVM_NO_SLOT, 0);
        return;
    }
    charge(C, p.slot, spent);
    stack_event(s, C, node, p.slot, spent - C->base[p.slot]);
}

/* The last dispatched instruction (not yet charged) against the VM as it is
 * now: `ergs` are the current frame's ergs, `depth` its far-call depth. */
static void resolve(prof_state *s, eravm_counters *C, uint32_t ergs, uint32_t depth, bool last)
{
    if (__builtin_expect(!C->have_prev || C->nstack == 0, 0))
        resolve_first(s, C, depth);
    else if (C->options & ERAVM_PROF_STACKS)
        resolve_stacks(s, C, ergs, depth);
    else
        resolve_far(s, C, ergs, depth, last);
}

/* ---- timed blocks: the timing run ---------------------------------------------------------- */

/* A timestamp no earlier or later instruction leaks across: the fences
 * keep the out-of-order core from starting a block's first instruction
 * before the read, or reading before its last instruction retired (without
 * them the instruction that ends a block loses part of its time to the
 * next one). */
static inline uint64_t fenced_tsc(void)
{
    _mm_lfence();
    uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
}

/* At a block boundary of a timing run (the first dispatch at or after
 * position C->event: a fused record may step over it, so the block's
 * boundaries are where the clock was actually read, and the counting run
 * takes them from here): close the open block, open the next one; the
 * clock is read first and last, so that nothing of this is inside a block. */
void prof_timing_event(eravm_vm *vm, uint32_t ergs, uint64_t pos)
{
    eravm_counters *C = vm->counters;
    uint64_t now = C->win_open ? fenced_tsc() : 0;
    uint64_t key = PROF_KEY(vm->depth, ergs);
    if (C->win_open) {
        prof_window *x = &C->win[C->nwin++];
        x->dt = C->suspended || now - C->t0 > PROF_DT_MAX ? PROF_DT_BAD : now - C->t0;
        x->key1 = key;
        x->len = (uint32_t)(pos - x->p0);
        C->win_open = false;
        next_block(C, pos);
    }
    bool open = pos >= C->wstart && C->nwin < PROF_WINDOWS_MAX;
    if (open) {
        if (C->nwin == C->capwin) {
            C->capwin = C->capwin ? 2 * C->capwin : 1024;
            C->win = xrealloc(C->win, C->capwin * sizeof *C->win);
        }
        C->win[C->nwin].key0 = key;
        C->win[C->nwin].p0 = pos;
        C->wend = pos + (C->wend - C->wstart);
        C->win_open = true;
        C->suspended = false;
    }
    C->event = open ? C->wend : C->nwin < PROF_WINDOWS_MAX ? C->wstart : UINT64_MAX / 2;
    vm->prof_at = C->event;
    if (open)
        C->t0 = fenced_tsc();
}

void prof_timing_enter(eravm_vm *vm)
{
    vm->counters->vm = vm;
    vm->prof_at = vm->counters->event;
}

void prof_timing_leave(eravm_vm *vm)
{
    vm->counters->suspended = true; /* a block that continues after a suspension is not timed */
}

/* ---- timed blocks: the counting run learns what they held ----------------------------------- */

static void grow_cols(eravm_counters *C)
{
    unsigned cap = C->capcol ? 2 * C->capcol : 32;
    double *x = xcalloc((size_t)cap * cap, sizeof *x), *y = xcalloc(cap, sizeof *y);
    for (unsigned i = 0; i < C->ncol; i++) {
        memcpy(&x[(size_t)i * cap], &C->xtx[(size_t)i * C->capcol], C->ncol * sizeof *x);
        y[i] = C->xty[i];
    }
    free(C->xtx);
    free(C->xty);
    C->xtx = x;
    C->xty = y;
    C->capcol = cap;
}

/* The unknown's column of an opcode; column 0 is the per-block overhead. */
static unsigned col_of(eravm_counters *C, unsigned slot)
{
    if (C->col[slot] < 0) {
        if (C->ncol == C->capcol)
            grow_cols(C);
        C->col_slot[C->ncol] = (uint16_t)slot;
        C->col[slot] = (int32_t)C->ncol++;
    }
    return (unsigned)C->col[slot];
}

/* Adds block [wbuf, end) of y ticks to the normal equations. */
static void block_solve_add(eravm_counters *C, const uint16_t *start, const uint16_t *end, double y)
{
    unsigned touched[PROF_WIN_MAX], k = 0;
    /* runs of one opcode are counted as runs: whist[x]++ record after
     * record would wait on its own previous store each time */
    unsigned cur = PROF_SLOT(*start), run = 0;
    for (const uint16_t *r = start; r <= end; r++) {
        if (r < end && PROF_SLOT(*r) == cur) {
            run++;
            continue;
        }
        if (!C->whist[cur])
            touched[k++] = cur;
        C->whist[cur] += run;
        if (r < end) {
            cur = PROF_SLOT(*r);
            run = 1;
        }
    }
    unsigned cols[PROF_WIN_MAX + 1];
    double cnt[PROF_WIN_MAX + 1];
    if (C->ncol == 0) {
        grow_cols(C);
        C->ncol = 1;
        C->col_slot[0] = ERAVM_NO_SLOT;
    }
    cols[0] = 0;
    cnt[0] = 1;
    for (unsigned i = 0; i < k; i++) {
        cols[i + 1] = col_of(C, touched[i]);
        cnt[i + 1] = C->whist[touched[i]];
        C->timed[touched[i]] += C->whist[touched[i]];
        C->whist[touched[i]] = 0;
    }
    size_t cap = C->capcol;
    for (unsigned i = 0; i <= k; i++) {
        C->xty[cols[i]] += cnt[i] * y;
        for (unsigned j = 0; j <= k; j++)
            if (cols[i] <= cols[j])
                C->xtx[cols[i] * cap + cols[j]] += cnt[i] * cnt[j];
    }
    C->yty += y * y;
    C->blocks++;
}

/* Shares y ticks of block [start, end) among its (frame, opcode) cells by
 * the cost model (per record where there is none yet); the overhead solved
 * in the end is taken out again per share (eravm_counters_cells). */
static void block_share(eravm_counters *C, const uint16_t *start, const uint16_t *end, double y)
{
    double model = 0;
    for (const uint16_t *r = start; r < end; r++)
        model += C->have_model ? C->model[PROF_SLOT(*r)] : 1.0;
    if (!(model > 0))
        return;
    uint32_t node = C->wnode;
    unsigned ie = 0, off0 = (unsigned)(start - C->buf);
    while (ie < C->nev && C->ev[ie].at <= off0)
        ie++;
    for (const uint16_t *r = start; r < end; r++) {
        unsigned off = (unsigned)(r - C->buf);
        for (; ie < C->nev && C->ev[ie].at == off; ie++)
            node = C->ev[ie].node_after;
        unsigned x = PROF_SLOT(*r);
        double share = (C->have_model ? C->model[x] : 1.0) / model;
        prof_cell *c = cell_for(C, node, x);
        c->ticks += y * share;
        c->share += share;
        c->timed++;
    }
}

/* A block far slower than predicted was interrupted (a timer interrupt,
 * another thread on the CPU): its time is not the engine's. More than 4x
 * the prediction and 5 us over it; legitimately slow instructions (far
 * calls that decommit, precompiles) raise their own prediction. */
static bool interrupted(const eravm_counters *C, const uint16_t *start, const uint16_t *end, uint64_t dt)
{
    double pred;
    if (C->have_pred) {
        pred = C->pred_overhead;
        for (const uint16_t *r = start; r < end; r++)
            pred += C->pred_cost[PROF_SLOT(*r)];
    } else if (C->pred_per_instr > 0) {
        pred = C->pred_per_instr * (double)(end - start);
    } else {
        return false;
    }
    return (double)dt > 4 * pred + 5000 * eravm_timer_get()->ticks_per_ns;
}

/* The open block of a counting run ends at the current dispatch. */
static void block_done(prof_state *s, eravm_counters *C, uint64_t key)
{
    C->win_open = false;
    unsigned w = C->w++;
    if (w >= C->nwin)
        return; /* the timing run stopped earlier: not the same execution */
    const prof_window *x = &C->win[w];
    if (x->key0 != C->wkey || x->key1 != key) {
        C->mismatched++;
        return;
    }
    if (x->dt == PROF_DT_BAD || interrupted(C, C->wbuf, s->bp, x->dt)) {
        C->rejected++;
        return;
    }
    block_solve_add(C, C->wbuf, s->bp, (double)x->dt);
    if (C->options & ERAVM_PROF_STACKS)
        block_share(C, C->wbuf, s->bp, (double)x->dt);
}

/* Block boundaries of a counting run: close the block ending here, open
 * the one starting here (flushing first so that it fits in the buffer),
 * and set where prof_dispatch must come back. */
static void composing(prof_state *s, eravm_counters *C, uint64_t key)
{
    uint64_t pos = C->pos + (uint64_t)(s->bp - C->buf);
    if (C->win_open && pos == C->wend)
        block_done(s, C, key);
    for (; !C->win_open && C->w < C->nwin && C->win[C->w].p0 < pos; C->w++)
        C->mismatched++; /* passed unseen: not the same execution */
    if (!C->win_open && C->w < C->nwin && pos == C->win[C->w].p0) {
        if (s->bp + C->win[C->w].len + 2 > C->limit)
            flush(C, s);
        C->win_open = true;
        C->wbuf = s->bp;
        C->wnode = top_node(C);
        C->wkey = key;
        C->wend = pos + C->win[C->w].len;
    }
    pos = C->pos + (uint64_t)(s->bp - C->buf);
    uint64_t next = C->win_open ? C->wend : C->w < C->nwin ? C->win[C->w].p0 : UINT64_MAX / 2;
    s->bend = next - pos < (uint64_t)(C->limit - s->bp) ? s->bp + (next - pos) : C->limit;
}

/* ---- the slow path, and entering and leaving the loop --------------------------------------- */

void prof_look(prof_state *s, eravm_counters *C, uint32_t ergs)
{
    uint32_t depth = C->vm->depth;
    uint64_t key = PROF_KEY(depth, ergs);
    if (key != s->expect)
        resolve(s, C, ergs, depth, false);
    C->have_prev = true; /* the instruction being dispatched */
    if (s->bp >= s->bend) {
        if (!C->win_open && s->bp + 2 >= C->limit)
            flush(C, s);
        if (C->phase == PROF_COMPOSING)
            composing(s, C, key);
        else
            s->bend = C->limit;
    }
    /* every change of far frame comes here (the key holds the depth):
     * sequences in code order do not run across it */
    if (depth != C->brk_depth) {
        C->brk[C->nbrk++] = (uint16_t)(s->bp - C->buf);
        C->brk_depth = depth;
    }
    s->expect = key; /* the dispatch that follows records */
}

prof_state prof_enter_state(eravm_vm *vm)
{
    eravm_counters *C = vm->counters;
    C->vm = vm;
    if (C->live != vm) { /* the VM's count table becomes these counters' */
        prof_take_counts(C);
        C->live = vm;
        vm->prof_live = true;
    }
    C->have_prev = false;
    prof_state s;
    memset(&s, 0, sizeof s);
    /* the first dispatch goes to prof_look: it looks at the frame */
    s.bp = C->buf;
    s.bend = C->buf;
    s.expect = PROF_LOOK;
    const uint64_t *look = C->options & ERAVM_PROF_STACKS ? C->look_all : C->look_far;
    if (vm->prof_look_src != look) {
        memcpy(vm->prof_look_tab, look, sizeof vm->prof_look_tab);
        vm->prof_look_src = look;
    }
    s.look = vm->prof_look_tab;
    s.count = vm->prof_count_tab;
    return s;
}

void prof_leave_state(prof_state s, eravm_vm *vm)
{
    eravm_counters *C = vm->counters;
    if (C->have_prev)
        resolve(&s, C, vm->frames[vm->depth].ergs, vm->depth, true);
    C->have_prev = false;
    if (C->win_open) { /* the timing run could not time it either */
        C->win_open = false;
        C->w++;
    }
    flush(C, &s);
}
