/* vm/prof.h — the seam between the engines and the profiler (vm/prof.c):
 * everything the counting and timing engines do per dispatched instruction.
 *
 * The counting engine (whatever its dispatch: threaded handlers, switch,
 * fused records) runs between prof_enter(&P, vm) and prof_leave(&P, vm) -
 * a run or a resumed run, up to its end or a hook suspension - and calls
 * prof_dispatch() once per dispatched instruction *before* charging its
 * ergs (with the frame's ergs and the far-call depth as they are at that
 * moment; a fused record calls it once per instruction it stands for, or
 * is not used). The timing engine - the fast engine's handlers, fused
 * records too, instantiated once more - runs between prof_timing_enter(vm)
 * and prof_timing_leave(vm) and, at every dispatch of a record (instruction
 * or fused record), tests whether the instruction count so far reached
 * vm->prof_at (prof_timing_event);
 * the VM picks it for the runs prof_run_start() says are timing runs.
 * Nothing else in the engines knows what is counted.
 *
 * The per-dispatch part of counting is kept to two stores, an increment,
 * a table load and a few register operations so that the counting build
 * stays close to the fast one: the slot's execution count in the VM goes
 * up, the opcode index and the pc go into a buffer (paired at flush, when
 * pairs, triples or call stacks are asked for), and the profiler looks at
 * the VM only when the
 * far-call depth or the frame's ergs are not what the previous
 * instruction's base cost predicts, or that instruction could have changed
 * the frame unseen (its entry in look[] has PROF_LOOK: see PROF_WATCH_* in
 * prof_internal.h; the engine's base_ergs and family are not needed for
 * that, the arguments stay so that the seam says what the engine knows).
 * Host time is measured in separate timing runs, whose only per-dispatch
 * work is a compare with the position of the next timed block's boundary,
 * so that the blocks time the fast engine, not the profiler. */
#ifndef ERAVM_PROF_H
#define ERAVM_PROF_H

#include "vm_internal.h"

#define PROF_BUF 1024         /* records between two flushes */
#define PROF_PCS (PROF_BUF + 4) /* records from one to its pc (the array after the buffer) */

/* prof_state (the per-run part the engine keeps, in the VM) is in vm_internal.h. */

#define PROF_LOOK (1ull << 63)
#define PROF_KEY(depth, ergs) ((uint64_t)(depth) << 33 | (uint32_t)(ergs))

prof_state prof_enter_state(eravm_vm *vm);
void prof_leave_state(prof_state s, eravm_vm *vm);
/* The rare path, out of line: a block boundary, an unexpected ergs change
 * or a possible frame change. Afterwards prof_must_look() says false. */
void prof_look(prof_state *s, eravm_counters *C, uint32_t ergs);

/* The VM's side (vm.c): counters of a VM, a new run (true: it is a timing
 * run, for the timing engine), reset. */
eravm_counters *prof_new(void);
void prof_free(eravm_counters *C);
bool prof_run_start(eravm_counters *C);
void prof_reset(eravm_counters *C);
/* The executions counted in C->live's table, added to C's own (the table
 * cleared, the VM let go); prof_detach(vm): the same for the counters the
 * VM counts for, if any, before it is freed or given others. */
void prof_take_counts(eravm_counters *C);
void prof_detach(eravm_vm *vm);

static inline void prof_enter(prof_state *s, eravm_vm *vm)
{
    *s = prof_enter_state(vm);
}

static inline void prof_leave(const prof_state *s, eravm_vm *vm)
{
    prof_leave_state(*s, vm);
}

/* idx: the 11-bit opcode index (ERAVM_SLOT_PANIC spontaneous panic,
 * ERAVM_SLOT_WRAP pc wrap); family: its EOP_ or VOP_ family; base_ergs: the
 * cost the engine is about to charge; ergs: the frame's ergs before that;
 * depth: far-call depth; pc: anything that grows by PROF_PC_STEP from an
 * instruction to the next in code (the threaded engine passes its record's
 * address: one shift fewer per dispatch than a position would take).
 * Plain values, so the seam does not depend on the engine's record layout.
 *
 * An engine that keeps bp and expect in registers may keep expect relative
 * to the depth (expect - PROF_KEY(depth, 0)) and pass depth 0 here: the
 * depth changes only where it writes them back and reads them again (far
 * calls and returns save the state), so the test needs no load of the
 * depth; it converts back when it writes expect to the VM. */
#define PROF_PC_STEP 16
static inline __attribute__((always_inline)) bool prof_must_look(const prof_state *s, uint32_t ergs,
                                                                 uint32_t depth)
{
    return (PROF_KEY(depth, ergs) != s->expect) | (s->bp >= s->bend);
}

/* After prof_must_look() said false (or prof_look() ran). */
static inline __attribute__((always_inline)) void prof_record(prof_state *s, unsigned idx, uint32_t ergs,
                                                              uint32_t depth, uint32_t pc)
{
    /* the pc beside the record: pairs and triples follow code order (a
     * change of far frame goes through prof_look, which notes it) */
    s->bp[PROF_PCS] = (uint16_t)pc;
    *s->bp++ = (uint16_t)idx;
    s->count[idx]++;
    /* an instruction that will run out of ergs borrows into bit 32 of the
     * key minus its cost: no key the next dispatch can show */
    s->expect = PROF_KEY(depth, ergs) - s->look[idx];
}

/* A fused record's n instructions after one look (prof_must_look said
 * false for the first): their indices idx[0..n), their pcs pc,
 * pc + PROF_PC_STEP, ... prof_unrecord() takes the last n back, where the
 * record's later instructions did not run after all; ergs is then what the
 * frame has. */
static inline __attribute__((always_inline)) void prof_record_run(prof_state *s, const uint16_t *idx,
                                                                  unsigned n, uint32_t pc)
{
    uint16_t *bp = s->bp;
    uint64_t expect = s->expect;
    const uint64_t *look = s->look;
#pragma GCC unroll 4
    for (unsigned k = 0; k < n; k++) {
        unsigned x = idx[k];
        bp[PROF_PCS + k] = (uint16_t)(pc + k * PROF_PC_STEP);
        bp[k] = (uint16_t)x;
        s->count[x]++;
        expect -= look[x];
    }
    s->bp = bp + n;
    s->expect = expect;
}

static inline void prof_unrecord(prof_state *s, unsigned n, uint32_t ergs, uint32_t depth)
{
    for (unsigned k = 1; k <= n; k++)
        s->count[s->bp[-(int)k]]--;
    s->bp -= n;
    s->expect = PROF_KEY(depth, ergs);
}

/* The whole per-dispatch call, for an engine whose handlers can make a
 * call. A threaded engine whose handlers must not (a call in a handler
 * makes it save registers on every run of it) does the two halves itself:
 * on prof_must_look() it tail-calls a handler that runs prof_look() and
 * dispatches the same record again; then prof_record(). */
static inline __attribute__((always_inline)) void prof_dispatch(prof_state *s, eravm_counters *C,
                                                                unsigned idx, unsigned family,
                                                                uint32_t base_ergs, uint32_t ergs,
                                                                uint32_t depth, uint32_t pc)
{
    (void)family;
    (void)base_ergs; /* the profiler's own table says the same (look[]), and one load is cheaper */
    if (__builtin_expect(prof_must_look(s, ergs, depth), 0))
        prof_look(s, C, ergs);
    prof_record(s, idx, ergs, depth, pc);
}

/* The timing engine: at every dispatch of a record, whether the
 * instructions of the run before this one reached vm->prof_at (a sign test:
 * the engine keeps its count relative to it, vm/handlers.h ICOUNT_BIAS);
 * when they did, prof_timing_event() (out of line: the engine
 * may tail-call a handler that calls it and dispatches the record again),
 * which reads the clock and moves vm->prof_at, the next boundary. */
void prof_timing_enter(eravm_vm *vm);
void prof_timing_leave(eravm_vm *vm);
void prof_timing_event(eravm_vm *vm, uint32_t ergs, uint64_t pos);

#endif
