/* vm/eravm_prof.h — what the counting engine's profiler measured, for
 * eravm-bench and embedders: exact per-opcode counts and ergs, opcode pairs
 * and triples by variant, per-opcode host time from timed blocks of
 * instructions, and call stacks (contract, near-call function, opcode)
 * weighted by instructions, ergs and host time. Everything accumulates over
 * runs (and over the resumptions of a suspended run) until
 * eravm_vm_reset_counters. */
#ifndef ERAVM_PROF_PUBLIC_H
#define ERAVM_PROF_PUBLIC_H

#include "eravm.h"

/* What the counting engine collects besides counts and ergs. */
enum {
    ERAVM_PROF_TIME = 1,    /* per-opcode host time from timed blocks (see below) */
    ERAVM_PROF_PAIRS = 2,   /* count opcode pairs */
    ERAVM_PROF_TRIPLES = 4, /* count opcode triples */
    ERAVM_PROF_STACKS = 8,  /* counts, ergs and time per (call stack, opcode) */
    /* every run runs the timing engine and times no block, and nothing is
     * counted: what its per-dispatch test costs, against the fast engine
     * (bench/profile.c scales the per-opcode times by the ratio) */
    ERAVM_PROF_CALIBRATE = 16,
};
/* Selects the counting engine (if not yet) and what it collects.
 *
 * With ERAVM_PROF_TIME, runs (eravm_vm_run, with any eravm_vm_continue)
 * come in pairs of the same execution: the first of a pair only times
 * blocks of instructions - it runs the fast engine's handlers, whose only
 * added work is to compare the instruction count with the next block
 * boundary, so the blocks time the engine, not the profiler - and counts
 * nothing; the second
 * counts, and learns which instructions ran in each timed block (blocks
 * whose ends do not meet the same ergs and depth are dropped). A block
 * open across a hook suspension is not timed. Turning STACKS on takes the
 * per-opcode costs solved so far as the model that shares a timed block's
 * time among its (call stack, opcode) cells. */
void eravm_vm_set_profile(eravm_vm *vm, unsigned options);

/* A profile that outlives a VM, so that VMs made one after the other (a
 * fresh one per benchmark run, say) count into the same profile. */
eravm_counters *eravm_counters_new(unsigned options);
void eravm_counters_free(eravm_counters *c);
void eravm_counters_set_options(eravm_counters *c, unsigned options); /* as eravm_vm_set_profile */
void eravm_counters_reset(eravm_counters *c);
/* The VM counts into c from now on (with the counting engine) and leaves
 * it alone when freed; a run started but not yet run (eravm_vm_start, on
 * any engine but the simple one) counts as a new run of c. */
void eravm_vm_attach_counters(eravm_vm *vm, eravm_counters *c);

/* Counts and ergs are always collected. Counter slots are opcode indices 0..2047, ERAVM_COUNTER_SLOTS-2 for the
 * VM's spontaneous panic and ERAVM_COUNTER_SLOTS-1 for the pc wrap. */
uint64_t eravm_counters_count(const eravm_counters *c, unsigned slot);
/* Ergs the executing frame paid for the instruction: base cost, dynamic
 * charges and refunds; calls are charged what the caller lost beyond what
 * it handed over (negative with a kernel stipend), returns what did not go
 * back to the caller, an instruction that runs out of ergs or panics the
 * frame everything it burnt. Summed over all slots this is exactly the ergs
 * the runs used. */
int64_t eravm_counters_ergs(const eravm_counters *c, unsigned slot);

/* The longest block of instructions the timing runs time between two clock
 * reads (they time random blocks of 1..this many). The fences around a
 * block stop the core overlapping its first instructions with what came
 * before, which short blocks charge to their opcodes: with 1..64,
 * fibonacci_rec's costs summed to 1.14x the measured time on the clang 19
 * build, with 1..256 to 1.03x. */
#define ERAVM_PROF_BLOCK_MAX 256

/* Observed sequences of consecutive instructions (by variant), by count,
 * most frequent first: pairs (c == ERAVM_NO_SLOT; needs ERAVM_PROF_PAIRS)
 * or triples (needs ERAVM_PROF_TRIPLES). Returns how many; *out is malloc'd. */
#define ERAVM_NO_SLOT 0xFFFFu
typedef struct {
    uint16_t a, b, c;
    uint64_t count;
} eravm_sequence;
size_t eravm_counters_sequences(const eravm_counters *c, int length, eravm_sequence **out);

/* The timer behind the timed blocks (rdtsc), calibrated once per process:
 * how many ticks per ns, what a read costs, the smallest step between two
 * successive reads. usable is false (with why) where the process may not
 * read it; the profiler then counts only. */
typedef struct {
    bool usable;
    char why[128];
    double ticks_per_ns, read_ns, step_ns;
} eravm_timer;
const eravm_timer *eravm_timer_get(void);

/* Per-opcode host time by least squares over the timed blocks: block time =
 * overhead + sum(count of opcode in block * its cost). resolved: the cost is
 * at least four standard errors above zero and rests on enough timed
 * executions; elsewhere it is below what the timer resolves. Opcodes that
 * ran the same number of times in (nearly) every timed block (the
 * instructions of one fused record, which the timing run times as one)
 * cannot be told apart; each is in a group (group = the group's first
 * slot, group_n members) whose summed cost group_ns is known as well as
 * its blocks allow (group_resolved), and whose members' ns and stderr_ns
 * are the group's shared equally (so that count x ns still adds up);
 * alone, group_n is 1. */
typedef struct {
    double ns, stderr_ns;
    uint64_t timed; /* executions inside timed blocks */
    bool resolved;
    unsigned group, group_n;
    double group_ns, group_stderr_ns;
    bool group_resolved;
} eravm_opcost;
typedef struct {
    uint64_t blocks, rejected, mismatched, timed_instructions, instructions;
    double overhead_ns, overhead_stderr_ns, sigma_ns;
    double sum_ns, sum_stderr_ns; /* sum of count x cost over every counted execution */
    unsigned unknowns; /* opcodes solved for, plus the overhead */
} eravm_timing;
/* Fills cost[ERAVM_COUNTER_SLOTS] and *t; returns -1 (and zeros) when no
 * block was timed. */
int eravm_counters_timing(const eravm_counters *c, eravm_opcost *cost, eravm_timing *t);

/* Call stacks (ERAVM_PROF_STACKS). Frame 0 is the root above every run;
 * a far frame is a contract (its address, and the address whose code runs),
 * a near frame a near-call function (its entry pc). */
typedef struct {
    unsigned parent;
    bool far;
    uint16_t pc;
    u256 address, code_address;
} eravm_stack_frame;
size_t eravm_counters_frames(const eravm_counters *c, const eravm_stack_frame **frames);
/* One (frame, opcode) cell. ns: host time, measured in the timed blocks of
 * that frame and opcode (less their share of the blocks' overhead) and
 * scaled to all its executions; where none was timed, count x the opcode's
 * cost; 0 without timing. */
typedef struct {
    unsigned frame;
    uint16_t slot;
    uint64_t count;
    int64_t ergs;
    double ns;
} eravm_stack_cell;
size_t eravm_counters_cells(const eravm_counters *c, eravm_stack_cell **out);

/* Runs that counted (with ERAVM_PROF_TIME, every second run). */
uint64_t eravm_counters_runs(const eravm_counters *c);

/* Frame-tracking checks: how often the profiler's copy of the call stack had
 * to be rebuilt from the VM because a change was not one call or return
 * (0 unless something is wrong). */
uint64_t eravm_counters_resyncs(const eravm_counters *c);

#endif
