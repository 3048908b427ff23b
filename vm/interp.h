/* vm/interp.h — the engine: a handler per record that ends by tail-calling
 * the next record's handler (threaded code; the machine state that changes
 * on every instruction travels in argument registers). Included by vm.c
 * once per engine, each with its own handlers and dispatch table:
 *   fast      specialised and fused handlers (vm/engine.gen.h);
 *   counting  the same handlers, and vm/prof.h's calls at every dispatch
 *             (a fused record records each of its instructions);
 *   timing    the fast engine's handlers, each first testing whether the
 *             instruction count reached the profiler's next block boundary
 *             (vm/prof.h; a sign test, ICOUNT_BIAS): the profiler's timing runs.
 * (The simple engine and the tracer are the reference interpreter, vm/ref.c.)
 * ENGINE_PREFIX names the engine; ENGINE_COUNTING, ENGINE_TIMING select.
 *
 * NEXT() is `return disp[ip->h](state)` (the handler loaded with acquire:
 * another thread may be publishing the record, vm/predecode.c): clang is told it must be a tail
 * call (musttail), gcc makes it one from -O2 (tests/test_engine.sh runs
 * millions of instructions on a 1 MiB stack to prove it); built with
 * -DERAVM_DISPATCH_LOOP (the ablation) it returns to one loop. SAVE_STATE()
 * writes the state back to the frame before anything out of line reads the
 * VM (far calls and returns, world access, hooks, the tracer) and
 * LOAD_STATE() picks up the frame that is current afterwards (as Lua's
 * Protect). */

#define ENG_CAT_(a, b) a##b
#define ENG_CAT(a, b) ENG_CAT_(a, b)
#define ENG(x) ENG_CAT(ENGINE_PREFIX, x)

#if ENGINE_COUNTING && ENG_MANY_ARGS
/* The counting engine's profiler cursor (prof_state's bp and expect) in
 * two more argument registers: in the VM, every dispatch loaded what the
 * one before had stored, a store-to-load round trip on every instruction.
 * The rest of prof_state (bend, look) is only read. The VM's copy is
 * current wherever the state is saved (X_SAVE in SAVE_STATE). */
#define H_XPARAMS , uint16_t *pbp, uint64_t pexp
#define H_XARGS , pbp, pexp
/* pexp is relative to the depth (vm/prof.h): the VM's copy is absolute */
#define X_SAVE() (vm->prof.bp = pbp, vm->prof.expect = pexp + PROF_KEY(vm->depth, 0))
#define X_LOAD() (pbp = vm->prof.bp, pexp = vm->prof.expect - PROF_KEY(vm->depth, 0))
#define PROF_DEPTH 0
#define X_LOCALS uint16_t *pbp; uint64_t pexp;
/* prof.h's functions on a prof_state made of the registers and the VM's
 * read-only fields (kept in registers once inlined), the cursor taken back */
#define PROF_ON(CALL)                                                        \
    do {                                                                     \
        prof_state ps_ = {pbp, vm->prof.bend, pexp, vm->prof_look_tab, vm->prof_count_tab};      \
        CALL;                                                                \
        pbp = ps_.bp;                                                        \
        pexp = ps_.expect;                                                   \
    } while (0)
#define PROF_MUST_LOOK()                                                     \
    prof_must_look(&(prof_state){pbp, vm->prof.bend, pexp, vm->prof_look_tab, vm->prof_count_tab}, ergs, PROF_DEPTH)
#define PROF_PS (&ps_)
#else
#define H_XPARAMS
#define H_XARGS
#define X_SAVE() ((void)0)
#define X_LOAD() ((void)0)
#define X_LOCALS
#define PROF_ON(CALL)                                                        \
    do {                                                                     \
        prof_state *const ps_ = VM_PROF(vm);                                 \
        CALL;                                                                \
    } while (0)
#define PROF_MUST_LOOK() prof_must_look(VM_PROF(vm), ergs, PROF_DEPTH)
#define PROF_PS ps_
#define PROF_DEPTH vm->depth
#endif

#if ENGINE_COUNTING
/* vm/prof.h's prof_dispatch in two halves, so that no handler makes a
 * call: the rare look at the VM is a handler of its own (ENG(prof_look)),
 * which dispatches the same record again. IDX: the record's index (a
 * constant in a specialised handler); the pc: the record's address, which
 * grows by PROF_PC_STEP along the code. */
_Static_assert(sizeof(vm_rec) == PROF_PC_STEP, "the pc the counting engine records");
#define PROF(R, IDX, FAM, COST)                                              \
    do {                                                                     \
        if (__builtin_expect(PROF_MUST_LOOK(), 0))                           \
            MUSTTAIL return ENG(prof_look)(H_ARGS);                          \
        PROF_ON(prof_record(PROF_PS, (IDX), ergs, PROF_DEPTH, (uint32_t)(uintptr_t)(R))); \
    } while (0)
/* a fused record: one look for all of it, and once it is sure to run (as
 * it charges their ergs) all its instructions are recorded
 * (PROF_COMPONENTS); those after one that fails or leaves for its erasing
 * twin are taken back as their ergs and counts are (PROF_UNDO: that many,
 * and the key the next dispatch will show; the components before the
 * last are never ones the profiler must look after) */
#define PROF_FUSED()                                                         \
    do {                                                                     \
        if (__builtin_expect(PROF_MUST_LOOK(), 0))                           \
            MUSTTAIL return ENG(prof_look)(H_ARGS);                          \
    } while (0)
#define PROF_COMPONENTS(N, ...)                                              \
    PROF_ON(prof_record_run(PROF_PS, (const uint16_t[]){__VA_ARGS__}, (N),     \
                            (uint32_t)(uintptr_t)ip))
#define PROF_UNDO(N)                                                         \
    do {                                                                     \
        if (N)                                                               \
            PROF_ON(prof_unrecord(PROF_PS, (N), ergs, PROF_DEPTH));          \
    } while (0)
#elif ENGINE_TIMING
/* at a block boundary, a handler of its own reads the clock
 * (ENG(prof_tick)) and dispatches the same record again */
#define PROF(R, IDX, FAM, COST) PROF_FUSED()
#define PROF_FUSED()                                                         \
    do {                                                                     \
        if (__builtin_expect((int64_t)icount >= 0, 0)) /* ICOUNT_BIAS */     \
            MUSTTAIL return ENG(prof_tick)(H_ARGS);                          \
    } while (0)
#define PROF_COMPONENTS(N, ...) ((void)0)
#define PROF_UNDO(N) ((void)0)
#else
#define PROF(R, IDX, FAM, COST) ((void)0)
#define PROF_FUSED() ((void)0)
#define PROF_COMPONENTS(N, ...) ((void)0)
#define PROF_UNDO(N) ((void)0)
#endif

#if defined(ERAVM_DISPATCH_LOOP)
/* the ablation of threaded code and register-cached state: every handler
 * writes the state back and returns to one dispatch loop (ENG(run)) */
#define NEXT()                                                               \
    do {                                                                     \
        SAVE_STATE();                                                        \
        return RUN_ON;                                                       \
    } while (0)
#else
#define NEXT() MUSTTAIL return ENG(disp)[REC_H(ip)](H_ARGS)
#endif
#define FREE_PANIC() MUSTTAIL return ENG(free_panic)(H_ARGS)

/* Every dispatched record: counted, base cost charged (even when the
 * predicate is false), then kernel/static mode, then the predicate. A
 * failed charge or mode check panics at once (a "free" panic). The
 * predicate shares its test with what a fast body (C_ERASE 0) leaves to its
 * erasing twin BAILTO (vm_rec.slow). */
#define PROLOGUE(R, IDX, FAM, COST, MODE, BAILTO)                            \
    PROF(R, IDX, FAM, COST);                                                 \
    icount++;                                                                \
    if (__builtin_expect(__builtin_sub_overflow(ergs, (uint32_t)(COST), &ergs), 0)) { \
        ergs = 0;                                                            \
        FREE_PANIC();                                                        \
    }                                                                        \
    if ((MODE) && __builtin_expect(MODE_FAILS(MODE), 0))                     \
        FREE_PANIC();                                                        \
    if (__builtin_expect((ft & (R)->slow) != 0, 0)) {                        \
        if (ft & (R)->slow & REC_PRED) {                                     \
            vm->skipped++;                                                   \
            ip = (R) + 1;                                                    \
            NEXT();                                                          \
        }                                                                    \
        if (!C_ERASE)                                                        \
            BAIL(R, BAILTO);                                                 \
    }

/* R failed while executing: the dst1 rule still applies, ergs and counts
 * pre-charged for later fused components go back, and the next dispatch
 * runs the spontaneous panic record. */
#define FAIL(R)                                                              \
    do {                                                                     \
        if ((R)->dst1 != VM_SINK)                                            \
            SET_REG((R)->dst1, u256_zero());                                 \
        ergs += C_LATER_ERGS;                                                \
        icount -= C_LATER_N;                                                 \
        PROF_UNDO(C_LATER_N);                                                \
        ip = PANIC_REC();                                                    \
        NEXT();                                                              \
    } while (0)

#define C_LATER_ERGS 0
#define C_LATER_N 0
#define C_BAIL_ERGS 0
#define C_BAIL_N 0
/* A fused handler's component K reads its record from C_REC(K): the
 * program's, but a keyed twin (vm/engine.gen.h) reads a const copy, whose
 * fields the compiler folds into the code; REC_POS finds the program's
 * record again (vm/handlers.h) */
#define C_REC(K) (ip + (K))
#define REC_POS(R) (R)

/* A class's generic handler: family, modes and flags from the record. */
#define GENERIC(CLASS)                                                       \
    static ENG_CC int ENG(G_##CLASS)(H_PARAMS)                               \
    {                                                                        \
        const vm_rec *const rec_ = ip;                                       \
        const eng_index_entry *e_ = &eng_index_tab[rec_->idx];               \
        (void)e_;                                                            \
        PROLOGUE(rec_, rec_->idx, e_->op, e_->ergs, e_->fl & (RB_KERNEL | RB_NOSTATIC), G_##CLASS); \
        BODY_##CLASS(rec_, e_->op, e_->src_mode, e_->dst_mode, e_->fl, G_##CLASS); \
        ip = rec_ + 1;                                                       \
        NEXT();                                                              \
    }

/* A specialised handler: everything but the operand fields is constant.
 * NAME_e is its body compiled to erase pointer operands, which NAME
 * leaves to it (BAIL). */
#define SPECIALISED(NAME, INDEX, CLASS, FAM, SM, DM, FL, ERGS, MODE)         \
    static ENG_CC int ENG(NAME)(H_PARAMS)                                    \
    {                                                                        \
        const vm_rec *const rec_ = ip;                                       \
        PROLOGUE(rec_, INDEX, FAM, ERGS, MODE, NAME##_e);                    \
        BODY_##CLASS(rec_, FAM, SM, DM, FL, NAME##_e);                       \
        ip = rec_ + 1;                                                       \
        NEXT();                                                              \
    }
#define SPECIALISED_ERASING(NAME, INDEX, CLASS, FAM, SM, DM, FL, ERGS, MODE) \
    static ENG_CC int ENG(NAME##_e)(H_PARAMS)                                \
    {                                                                        \
        const vm_rec *const rec_ = ip;                                       \
        BODY_##CLASS(rec_, FAM, SM, DM, FL, NAME##_e);                       \
        ip = rec_ + 1;                                                       \
        NEXT();                                                              \
    }

/* A fused handler: one charge for all components when the frame can pay
 * for all of them; otherwise the first component alone, through its own
 * handler (the others follow as ordinary records, so an out-of-ergs panic
 * happens exactly where it would unfused). Each component keeps its
 * predicate and its instruction count. */
#define FUSED_HANDLER(NAME, FIRST, TOTAL, N, ...)                            \
    static ENG_CC int ENG(NAME)(H_PARAMS)                                    \
    {                                                                        \
        PROF_FUSED();                                                        \
        if (__builtin_expect(ergs < (uint32_t)(TOTAL), 0))                   \
            MUSTTAIL return ENG(FIRST)(H_ARGS);                              \
        ergs -= (uint32_t)(TOTAL);                                           \
        icount += (N);                                                       \
        PROF_COMPONENTS(N, __VA_ARGS__);
/* ...: the components' indices (the counting engine records them) */
#define FUSED_BEGIN(NAME, FIRST, TOTAL, N, ...) FUSED_HANDLER(NAME, FIRST, TOTAL, N, __VA_ARGS__)
/* The erasing twin runs only when the fused handler's first component met a
 * pointer read as an integer (BAIL). That record will likely meet it again
 * (user code reads the calldata pointer r1 as an integer on every pass), so
 * it is given the twin for good, as CPython quickens an instruction: both
 * handlers are right for every operand, so another thread running the
 * record with either is right too (a release store: the reader's acquire
 * load of the handler sees the record). */
#define FUSED_BEGIN_ERASING(NAME, FIRST, TOTAL, N, ...)                      \
    FUSED_HANDLER(NAME##_e, FIRST, TOTAL, N, __VA_ARGS__)                    \
        if (__builtin_expect(ip->h != H_##NAME##_e, 0))                      \
            __atomic_store_n(&((vm_rec *)ip)->h, (uint16_t)H_##NAME##_e, __ATOMIC_RELEASE);
/* (the same test as PROLOGUE's, the erasing twin's for the rest) */
#define COMPONENT(K, BAILTO, CLASS, FAM, SM, DM, FL)                         \
        {                                                                    \
            const vm_rec *const rec_ = C_REC(K);                             \
            uint32_t slow_ = ft & rec_->slow;                                \
            if (__builtin_expect(slow_ != 0, 0) && !(slow_ & REC_PRED) && !C_ERASE) \
                BAIL(rec_, BAILTO);                                          \
            if (__builtin_expect(!(slow_ & REC_PRED), 1))                    \
                BODY_##CLASS(rec_, FAM, SM, DM, FL, BAILTO);                 \
            else                                                             \
                vm->skipped++;                                               \
        }
/* In an erasing twin the components after the first still run their fast
 * bodies when nothing in them needs erasing (their slow bits all clear),
 * the erasing ones otherwise; the first, which sent the record here, runs
 * its erasing body (C_ERASE is a constant of each branch, c_erase_).
 * decode_shl_sub 3.9% faster, access_memory 2.3%; splitting the first
 * component too made decode_shl_sub 9% slower (its layout), and access_memory
 * only 2% faster again. */
#define COMPONENT_ERASING(K, BAILTO, CLASS, FAM, SM, DM, FL)                 \
        {                                                                    \
            const vm_rec *const rec_ = C_REC(K);                             \
            uint32_t slow_ = ft & rec_->slow;                                \
            if (__builtin_expect(slow_ & REC_PRED, 0)) {                     \
                vm->skipped++;                                               \
            } else if ((K) > 0 && __builtin_expect(slow_ == 0, 1)) {         \
                const bool c_erase_ = false;                                 \
                (void)c_erase_;                                              \
                BODY_##CLASS(rec_, FAM, SM, DM, FL, BAILTO);                 \
            } else {                                                         \
                const bool c_erase_ = true;                                  \
                (void)c_erase_;                                              \
                BODY_##CLASS(rec_, FAM, SM, DM, FL, BAILTO);                 \
            }                                                                \
        }
#define FUSED_END(NAME, N)                                                   \
        ip += (N);                                                           \
        NEXT();                                                              \
    }

#define DECLARE(NAME, ...) static ENG_CC int ENG(NAME)(H_PARAMS);
#define DECLARE_CLASS(NAME) DECLARE(G_##NAME)
#define CLASSES(X)                                                           \
    X(NOP) X(BINOP) X(MULDIV) X(JUMP) X(PTR) X(NEAR_CALL) X(CTX_READ) X(WORLD) \
    X(FAR_CALL) X(RET) X(HEAP_READ) X(HEAP_WRITE) X(FAT_READ)
DECLARE(decode)
DECLARE(G_INVALID)
CLASSES(DECLARE_CLASS)
DECLARE(END)
DECLARE(WRAP)
DECLARE(PANIC)
DECLARE(free_panic)
#if ENGINE_COUNTING
DECLARE(prof_look)
#elif ENGINE_TIMING
DECLARE(prof_tick)
#endif
#define DECLARE_SPEC(NAME, ...)                                              \
    DECLARE(NAME) static __attribute__((unused)) ENG_CC int ENG(NAME##_e)(H_PARAMS);
ENGINE_SPECIALISED(DECLARE_SPEC)
#define DECLARE_FUSED(NAME, ...)                                             \
    DECLARE(NAME) static __attribute__((unused)) ENG_CC int ENG(NAME##_e)(H_PARAMS);
#if !defined(ERAVM_NO_FUSE)
ENGINE_FUSED(DECLARE_FUSED)
#endif
typedef ENG_CC int ENG(handler)(H_PARAMS);
static ENG(handler) *const ENG(disp)[H_COUNT];

#define C_ERASE 1
CLASSES(GENERIC)

static ENG_CC int ENG(G_INVALID)(H_PARAMS)
{
    PROLOGUE(ip, ip->idx, EOP_INVALID, 4294967295u, 0, G_INVALID);
    BODY_INVALID(ip, 0, 0, 0, 0, G_INVALID);
}

ENGINE_SPECIALISED(SPECIALISED_ERASING)
#undef C_ERASE
#define C_ERASE 0
ENGINE_SPECIALISED(SPECIALISED)
#if !defined(ERAVM_NO_FUSE)
#undef C_LATER_ERGS
#undef C_LATER_N
#undef C_BAIL_ERGS
#undef C_BAIL_N
#define ENGINE_GEN_BODIES
#include "engine.gen.h" /* the fused handlers */
#undef FUSED_BEGIN
#define FUSED_BEGIN(NAME, FIRST, TOTAL, N, ...) FUSED_BEGIN_ERASING(NAME, FIRST, TOTAL, N, __VA_ARGS__)
#undef C_ERASE
#define C_ERASE c_erase_
#undef COMPONENT
#define COMPONENT COMPONENT_ERASING
#include "engine.gen.h" /* and their erasing twins */
#undef ENGINE_GEN_BODIES
#undef COMPONENT
#undef C_ERASE
#define C_ERASE 1
#define C_LATER_ERGS 0
#define C_LATER_N 0
#define C_BAIL_ERGS 0
#define C_BAIL_N 0
#endif

/* a record whose block is not decoded yet: decode it, then run the record
 * (nothing is charged or counted here) */
static __attribute__((noinline)) ENG_CC int ENG(decode)(H_PARAMS)
{
    predecode_block(vm->cur->prog, (uint32_t)(ip - vm->cur->recs));
    NEXT();
}

/* the invalid instruction vm2 appends: costs nothing, burns all */
static ENG_CC int ENG(END)(H_PARAMS)
{
    PROLOGUE(ip, ip->idx, EOP_INVALID, 0, 0, END);
    BODY_INVALID(ip, 0, 0, 0, 0, END);
}

/* vm2's wrap to pc 0 is not an instruction */
static ENG_CC int ENG(WRAP)(H_PARAMS)
{
    PROLOGUE(ip, ip->idx, VOP_WRAP, 0, 0, WRAP);
    icount--;
    ip = vm->cur->recs;
    NEXT();
}

/* the spontaneous panic a failed instruction leaves behind */
static ENG_CC int ENG(PANIC)(H_PARAMS)
{
    PROLOGUE(ip, ip->idx, VOP_PANIC, 5, 0, PANIC);
    FREE_PANIC();
}

static ENG_CC int ENG(free_panic)(H_PARAMS)
{
    RETURN_FROM(RET_PANIC, -1, 0, VM_SINK);
}

#if ENGINE_COUNTING
/* the profiler looks at the VM, then the record is dispatched again (out
 * of line: inlined, its call would make every handler save registers) */
static __attribute__((noinline)) ENG_CC int ENG(prof_look)(H_PARAMS)
{
    X_SAVE();
    prof_look(VM_PROF(vm), vm->counters, ergs);
    X_LOAD();
    NEXT();
}
#elif ENGINE_TIMING
static __attribute__((noinline)) ENG_CC int ENG(prof_tick)(H_PARAMS)
{
    icount += vm->prof_at; /* the boundary moves: icount follows (ICOUNT_BIAS) */
    prof_timing_event(vm, ergs, icount);
    icount -= vm->prof_at;
    NEXT();
}
#endif

/* Where each handler id goes in this engine. */
#define ROUTE(id, fn) [id] = ENG(fn),
#define ROUTE_CLASS(NAME) ROUTE(H_GENERIC(HC_##NAME), G_##NAME)
#define ROUTE_SPEC(NAME, ...) ROUTE(H_##NAME, NAME)
#if defined(ERAVM_NO_FUSE)
#define ROUTE_FUSED(NAME, FIRST, CLASS) ROUTE(H_##NAME, FIRST) ROUTE(H_##NAME##_e, FIRST)
#else
#define ROUTE_FUSED(NAME, FIRST, CLASS) ROUTE(H_##NAME, NAME) ROUTE(H_##NAME##_e, NAME##_e)
#endif
static ENG(handler) *const ENG(disp)[H_COUNT] = {
    ROUTE(H_DECODE, decode) ROUTE_CLASS(INVALID) ROUTE_CLASS(NOP) ROUTE_CLASS(BINOP) ROUTE_CLASS(MULDIV)
    ROUTE_CLASS(JUMP) ROUTE_CLASS(PTR) ROUTE_CLASS(NEAR_CALL) ROUTE_CLASS(CTX_READ)
    ROUTE_CLASS(WORLD) ROUTE_CLASS(FAR_CALL) ROUTE_CLASS(RET) ROUTE_CLASS(HEAP_READ)
    ROUTE_CLASS(HEAP_WRITE) ROUTE_CLASS(FAT_READ)
    ROUTE(H_END, END) ROUTE(H_WRAP, WRAP) ROUTE(H_PANIC, PANIC)
    ENGINE_SPECIALISED(ROUTE_SPEC) ENGINE_FUSED(ROUTE_FUSED)
};

/* Runs from the saved state until the run ends or suspends. */
static int ENG(run)(eravm_vm *vm, eravm_result *res)
{
    const vm_rec *ip;
    uint32_t ergs, ft, sp;
    uint64_t icount;
    X_LOCALS
    vm->hook_res = res;
#if defined(ERAVM_DISPATCH_LOOP)
    for (;;) {
        LOAD_STATE();
        int rc = ENG(disp)[REC_H(ip)](H_ARGS);
        if (rc != RUN_ON)
            return rc;
    }
#else
    LOAD_STATE();
    return ENG(disp)[REC_H(ip)](H_ARGS);
#endif
}

#undef ENG
#undef H_XPARAMS
#undef H_XARGS
#undef X_SAVE
#undef X_LOAD
#undef X_LOCALS
#undef PROF_ON
#undef PROF_MUST_LOOK
#undef PROF_PS
#undef PROF_DEPTH
#undef PROF
#undef PROF_FUSED
#undef PROF_COMPONENTS
#undef PROF_UNDO
#undef NEXT
#undef FREE_PANIC
#undef ROUTE
#undef ROUTE_CLASS
#undef ROUTE_SPEC
#undef ROUTE_FUSED
#undef DECLARE
#undef DECLARE_SPEC
#undef DECLARE_CLASS
#undef C_ERASE
#undef CLASSES
#undef C_LATER_ERGS
#undef C_LATER_N
#undef C_BAIL_ERGS
#undef C_BAIL_N
#undef C_REC
#undef REC_POS
#undef DECLARE_FUSED
#undef FUSED_BEGIN
