/* vm/prof.h — the seam between the engine and the profiler: everything the
 * counting engine does per dispatched instruction, in three inline calls.
 *
 * An engine (whatever its dispatch: switch, computed goto, fused records)
 * calls prof_enter() when a run or a resumed run starts, prof_dispatch()
 * once per dispatched instruction *before* charging its ergs (with the
 * frame's ergs and the far-call depth as they are at that moment), and
 * prof_leave() on every way out of the loop (end of run, hook suspension).
 * Nothing else in the engine knows what is counted; the profiler owns this
 * file and eravm_counters, and may change what they do without touching
 * the engine. The fast engine makes none of these calls. */
#ifndef ERAVM_PROF_H
#define ERAVM_PROF_H

#include <x86intrin.h>

#include "vm_internal.h"

typedef struct {
    unsigned prev, prev_op;       /* previous counter slot and family */
    uint32_t ergs_before, depth_before;
    uint32_t sample_in, rng;      /* cycle sampling */
    uint64_t sample_t0;
    unsigned sample_slot;
} prof_state;

static inline void prof_enter(prof_state *s, const eravm_counters *C)
{
    s->prev = C->last;
    s->prev_op = s->prev < ERAVM_COUNTER_SLOTS ? eravm_index_family(s->prev) : 0;
    s->ergs_before = s->depth_before = 0;
    s->sample_in = C->sample_in ? C->sample_in : 1;
    s->rng = C->rng ? C->rng : 0x9E3779B9u;
    s->sample_t0 = 0;
    s->sample_slot = ERAVM_COUNTER_SLOTS;
}

/* A resumed run (hooks) continues the pair and ergs attribution. */
static inline void prof_leave(const prof_state *s, eravm_counters *C)
{
    C->last = s->prev;
    C->sample_in = s->sample_in;
    C->rng = s->rng;
}

/* idx: the 11-bit opcode index (ERAVM_COUNTER_SLOTS-2 spontaneous panic,
 * -1 pc wrap); family: its EOP_ or VOP_ family; base_ergs: its static cost;
 * ergs: the frame's ergs before that cost is charged; depth: far-call depth.
 * Plain values, so the seam does not depend on the engine's record layout;
 * a fused record calls this once per instruction it stands for. */
static inline __attribute__((always_inline)) void prof_dispatch(prof_state *s, eravm_counters *C,
                                                                unsigned idx, unsigned family,
                                                                uint32_t base_ergs, uint32_t ergs,
                                                                uint32_t depth)
{
    if (s->sample_slot < ERAVM_COUNTER_SLOTS) {
        C->cycles[s->sample_slot] += __rdtsc() - s->sample_t0;
        C->cycle_samples[s->sample_slot]++;
        s->sample_slot = ERAVM_COUNTER_SLOTS;
    }
    if (s->prev < ERAVM_COUNTER_SLOTS) { /* not the first instruction of a run */
        if (depth == s->depth_before && s->ergs_before >= ergs)
            C->ergs[s->prev] += s->ergs_before - ergs;
        C->pairs[s->prev_op][family]++;
    }
    s->prev = idx;
    s->prev_op = family;
    C->count[s->prev]++;
    s->ergs_before = ergs;
    s->depth_before = depth;
    if ((family >= EOP_FAR_CALL && family <= EOP_FAR_MIMIC) || family == EOP_NEAR_CALL ||
        (family >= EOP_RET_OK && family <= EOP_RET_PANIC) || family == VOP_PANIC) {
        /* calls and returns move ergs between frames: charge the base cost only */
        s->depth_before = UINT32_MAX;
        if (ergs >= base_ergs)
            C->ergs[s->prev] += base_ergs;
    }
    /* Host cycles are sampled: rdtsc costs more than a whole instruction on
     * these VMs (~11 ns), so one instruction in a pseudo-random ~32 is timed
     * from its dispatch to the next; per-opcode means are unbiased because
     * the random gaps cannot lock onto a loop's period. */
    if (--s->sample_in == 0) {
        s->rng ^= s->rng << 13;
        s->rng ^= s->rng >> 17;
        s->rng ^= s->rng << 5;
        s->sample_in = 1 + (s->rng & 63);
        s->sample_slot = s->prev;
        s->sample_t0 = __rdtsc();
    }
}

#endif
