/* vm/prof_internal.h — the profiler's state (struct eravm_counters), shared
 * by the part the engine drives (vm/prof.c) and the readers of
 * vm/eravm_prof.h (vm/prof_read.c). */
#ifndef ERAVM_PROF_INTERNAL_H
#define ERAVM_PROF_INTERNAL_H

#include "eravm_prof.h"
#include "prof.h"

#define PROF_SLOT(r) (r) /* a record's slot (records are the slots themselves) */
#define PROF_START ERAVM_SLOTS /* "previous instruction" at the start of a run */
#define PROF_NO_PC 0x7FFFFFFFu /* "previous pc" at the start of a run: no pc is one past it */
#define PROF_WIN_MAX ERAVM_PROF_BLOCK_MAX /* longest timed block (eravm_prof.h) */
#define PROF_GAP_MEAN 48       /* mean untimed instructions between two blocks */
#define PROF_WINDOWS_MAX (1u << 18) /* timed blocks per run, at most */
#define PROF_DT_MAX 5000000u   /* ticks: a longer block was interrupted (~2 ms) */
#define PROF_DT_BAD UINT64_MAX /* a block that was interrupted or suspended */

/* What a run is for, with ERAVM_PROF_TIME: a timing run does nothing per
 * instruction but count down to the next block boundary and read the clock
 * there; the counting run after it (the same execution) counts, and learns
 * which instructions ran in each of those blocks. */
enum { PROF_COUNTING, PROF_TIMING, PROF_COMPOSING };

/* Families after which the frame may have changed in a way the key does
 * not show. Counting alone (PROF_WATCH_FAR) needs far calls, the invalid
 * opcode and what panics outside kernel mode or in a static frame: far
 * returns change the depth, and a near call or return costs its base cost
 * whenever the frame's ergs are not what that predicts. Call stacks
 * (PROF_WATCH_ALL) need every call, return and panic. One bit per family
 * (families and the VM's pseudo-ops are fewer than 64). */
#define PROF_WATCH_FAR                                                                        \
    ((1ull << EOP_INVALID) | (1ull << EOP_FAR_CALL) | (1ull << EOP_FAR_DELEGATE) |            \
     (1ull << EOP_FAR_MIMIC) | prof_mode_mask())
#define PROF_WATCH_ALL                                                                        \
    (PROF_WATCH_FAR | (1ull << EOP_NEAR_CALL) | (1ull << EOP_RET_OK) | (1ull << EOP_RET_REVERT) | \
     (1ull << EOP_RET_PANIC) | (1ull << VOP_PANIC))
static inline uint64_t prof_mode_mask(void)
{
    uint64_t m = 0;
    for (unsigned f = 0; f < EOP_COUNT; f++)
        m |= (uint64_t)(eravm_families[f].kernel_only || eravm_families[f].static_forbidden) << f;
    return m;
}
_Static_assert(VOP_COUNT <= 64, "prof: one watch bit per family");

/* A 64-bit key -> 32-bit value open-addressing map. */
typedef struct {
    uint64_t *keys; /* key + 1; 0 = empty */
    uint32_t *vals;
    size_t cap, n;
} prof_map;

typedef struct {
    uint32_t depth, nnear; /* where this frame is in the VM */
    uint32_t held;         /* ergs the caller kept while this frame runs */
    uint32_t node;
} prof_level;

/* Something that happened before record `at` of the buffer: the stack
 * moved to node_after, and/or `slot` (the record before) was charged `adj`
 * ergs beyond its base cost in node_before. */
typedef struct {
    uint16_t at, slot;
    uint32_t node_before, node_after;
    int64_t adj;
} prof_event;

typedef struct {
    uint64_t count, timed;
    int64_t adj;  /* ergs beyond count * base */
    double ticks; /* time shared out of timed blocks, their overhead included */
    double share; /* the sum of this cell's shares of those blocks */
} prof_cell;

typedef struct {
    u256 address, code_address;
    uint32_t next; /* chain of contracts in the same hash bucket */
} prof_contract;

/* One timed block of a timing run: its time and the keys (depth, ergs) at
 * its ends, which the counting run must see again at the same positions. */
typedef struct {
    uint64_t dt, key0, key1;
    uint64_t p0;  /* position of its first instruction */
    uint32_t len; /* instructions */
} prof_window;

struct eravm_counters {
    unsigned options;
    uint32_t base[ERAVM_SLOTS]; /* static base ergs (0 for the invalid opcode) */
    /* prof_state.look: base[] plus PROF_LOOK after the watched families
     * (PROF_WATCH_FAR, PROF_WATCH_ALL for call stacks) */
    uint64_t look_far[ERAVM_SLOTS], look_all[ERAVM_SLOTS];

    /* results */
    /* executions: these, plus what the counting engine counted in the VM
     * these counters last ran on (live) and they have not taken in yet
     * (prof_slot_count; prof_take_counts) */
    uint64_t count[ERAVM_SLOTS];
    eravm_vm *live;
    int64_t adj[ERAVM_SLOTS];        /* ergs beyond count * base */
    uint64_t *pairs;                 /* [(PROF_START+1) * ERAVM_SLOTS]: row = previous slot */
    prof_map triples;
    uint64_t *tri_count;
    size_t tri_cap;
    uint64_t resyncs, runs;

    /* the buffer and what the engine left between two entries */
    eravm_vm *vm;
    uint16_t buf[PROF_PCS];
    uint16_t pcs[PROF_PCS]; /* each record's pc (at record + PROF_PCS) */
    uint16_t *limit;
    uint64_t pos;         /* records flushed in this run */
    uint32_t prev, prev2; /* last two flushed instructions */
    unsigned chain_len;   /* instructions in code order up to prev (for pairs, triples) */
    uint32_t last_pc;     /* prev's pc (PROF_NO_PC: none) */
    uint32_t brk_depth;   /* far-call depth of the last record (UINT32_MAX: none yet) */
    uint16_t brk[PROF_PCS]; /* records where the far frame changed, in order */
    unsigned nbrk;
    bool have_prev;       /* the last dispatched instruction is not charged yet */
    prof_event ev[PROF_BUF + 4];
    unsigned nev;

    /* the call stack as the profiler sees it */
    prof_level *stack;
    unsigned nstack, capstack;
    uint32_t flush_node; /* node of the next record to flush */

    /* timed blocks: where they are (the same in both runs of a pair) */
    bool timer_ok;
    int phase;
    uint32_t rng, seed;
    uint64_t wstart, wend; /* positions of the next (or open) block */
    bool win_open;
    unsigned w;            /* blocks of this run so far */
    /* timing run */
    uint64_t t0, event; /* position of the next event (the VM's prof_at while it runs) */
    bool suspended;           /* the open block saw a suspension */
    prof_window *win;
    size_t nwin, capwin;
    /* counting run */
    uint16_t *wbuf;   /* the open block's first record */
    uint32_t wnode;   /* the stack's node there */
    uint64_t wkey;    /* the key seen there */
    uint64_t mismatched;

    /* least squares: block time = overhead + sum(count x cost) */
    uint8_t whist[ERAVM_SLOTS];
    int32_t col[ERAVM_SLOTS]; /* unknown's column (0 = the overhead), -1 none */
    uint16_t col_slot[ERAVM_SLOTS + 1];
    uint64_t timed[ERAVM_SLOTS];
    unsigned ncol, capcol;
    double *xtx, *xty; /* normal equations, upper triangle of capcol x capcol */
    double yty;
    uint64_t blocks, rejected;
    double model[ERAVM_SLOTS]; /* cost per opcode, for sharing a block's time */
    bool have_model;
    /* what a block should take, to reject one that was interrupted: the
     * costs solved so far (ticks), or before there are any a median per
     * instruction */
    double pred_cost[ERAVM_SLOTS], pred_overhead, pred_per_instr;
    bool have_pred;
    uint64_t pred_runs; /* counting runs when the costs were last solved */

    /* call stacks */
    eravm_stack_frame *nodes;
    size_t nnodes, capnodes;
    prof_map node_map, cell_map, contract_map;
    prof_cell *cells;
    uint64_t *cell_key;
    size_t ncells, capcells;
    prof_contract *contracts;
    size_t ncontracts, capcontracts;
};

uint64_t prof_slot_count(const eravm_counters *c, unsigned slot);

#endif
