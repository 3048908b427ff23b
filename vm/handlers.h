/* vm/handlers.h — the body of every handler class, written once. vm/interp.h
 * expands each body into the class's generic handler (modes and family read
 * from the record), into the specialised handlers vm/engine.gen.h lists
 * (family, modes and flags constant, so the switches fold away) and into the
 * components of fused handlers.
 *
 * A handler is a function of the machine state that changes on every
 * instruction - vm, the record ip, ergs, ft (the register tags in bit r,
 * bit 16 the sink's, FT_ONE, FT_KERNEL, the flags one-hot: FT_FLAGS) and the
 * instruction count and sp - and ends by tail-calling the next record's
 * handler, so that state stays in host registers (sp too: a stack
 * operand's address depends on it, and through memory every push and pop
 * paid a store-to-load round trip). The rest (the frame) is read through
 * vm->cur, the current stack through vm->stk. A body falls off its end when
 * the next record runs next; it leaves through these, which each expansion
 * site defines:
 *   NEXT()         run the record ip points at
 *   FAIL(R)        R failed: its dst1 rule, then the spontaneous panic
 *   FREE_PANIC()   panic now (failed mode check, the invalid opcode)
 *   C_LATER_ERGS   ergs a fused handler pre-charged for components after
 *   C_LATER_N      this one, and their instruction count (0 elsewhere)
 *   C_BAIL_ERGS    what to give back when the component leaves for its
 *   C_BAIL_N       erasing twin (BAIL): the later components' share, or
 *                  for a fused handler's first component all of it (its
 *                  twin is the whole fused handler, compiled erasing)
 *   REC_POS(R)     where record R is in the program: R itself, but in a
 *                  keyed twin, whose records are a const copy (the next
 *                  record, a jump's link, a near call's return, a bail)
 * Semantics follow vm2 (eravm-model.md); the reasons are in vm/vm.c. */

#define ENG_INLINE static inline __attribute__((always_inline))

/* What every handler takes and passes on. */
/* H_XPARAMS/H_XARGS: what one engine adds (vm/interp.h defines them for
 * each: the counting engine's profiler cursor where registers allow). */
#define H_PARAMS                                                             \
    eravm_vm *vm, const vm_rec *ip, uint32_t ergs, uint32_t ft, uint64_t icount, uint32_t sp H_XPARAMS
#define H_ARGS vm, ip, ergs, ft, icount, sp H_XARGS
/* With clang 19's preserve_none a handler keeps no callee-saved register:
 * none returns to its caller before the run ends, so the pushes and pops
 * of six registers that every handler paid go (ERAVM_NO_PRESERVE_NONE is
 * the ablation; other compilers build the plain convention). */
#if defined(__clang__) && defined(__x86_64__) && defined(__has_attribute) && \
    !defined(ERAVM_NO_PRESERVE_NONE)
#if __has_attribute(preserve_none)
#define ENG_CC __attribute__((preserve_none))
#define ENG_MANY_ARGS 1 /* a dozen argument registers: an engine may add some */
#endif
#endif
#ifndef ENG_CC
#define ENG_CC
#define ENG_MANY_ARGS 0 /* six: the base state fills them */
#endif

/* A record's handler id, as published by the decoder (vm/predecode.c). */
#define REC_H(R) __atomic_load_n(&(R)->h, __ATOMIC_ACQUIRE)

#if defined(ERAVM_DISPATCH_LOOP)
#define MUSTTAIL
#elif defined(__clang__)
#define MUSTTAIL __attribute__((musttail))
#elif defined(__GNUC__) && !defined(__OPTIMIZE__)
#error "the engine's handlers tail-call each other: build with -O2 (gcc) or with clang"
#else
#define MUSTTAIL
#endif

/* The timing engine (vm/prof.h) keeps icount relative to the profiler's
 * next block boundary, vm->prof_at, so the test at every dispatch is the
 * sign of a register rather than a compare with memory; elsewhere it is the
 * run's instruction count. ENGINE_TIMING is read where this expands. */
#define ICOUNT_BIAS (ENGINE_TIMING ? vm->prof_at : 0)

#define SAVE_STATE()                                                         \
    do {                                                                     \
        vm_frame *f__ = vm->cur;                                             \
        f__->pc = (uint32_t)(ip - f__->recs);                                \
        f__->ergs = ergs;                                                    \
        f__->sp = (uint16_t)sp;                                              \
        vm->flags = (uint8_t)__builtin_ctz(ft >> 24);                        \
        vm->tags = (uint16_t)ft;                                             \
        vm->instructions = icount + ICOUNT_BIAS;                             \
        X_SAVE();                                                            \
    } while (0)

#define LOAD_STATE()                                                         \
    do {                                                                     \
        vm_frame *f__ = vm->cur = &vm->frames[vm->depth];                    \
        ip = f__->recs + f__->pc;                                            \
        ergs = f__->ergs;                                                    \
        sp = f__->sp;                                                        \
        vm->stk = f__->stack;                                                \
        ft = vm->tags | FT_FLAGS(vm->flags) | FT_ONE |                       \
             (f__->is_kernel ? FT_KERNEL : 0) |                              \
             (f__->stack->has_tags ? FT_STACK_TAGS : 0);                     \
        eng_refresh_eregs(vm, ft);                                           \
        icount = vm->instructions - ICOUNT_BIAS;                             \
        X_LOAD();                                                            \
        vm->hook_at = vm->settings.hooks_enabled && vm->depth == 0 ? vm->settings.hook_address \
                                                                   : UINT32_MAX; \
        vm->watch_heap = vm->depth == 0 && (vm->settings.hooks_enabled || vm->has_ext); \
    } while (0)

#define MODE_FAILS(M) ((((M) & RB_KERNEL) && !(ft & FT_KERNEL)) || (((M) & RB_NOSTATIC) && vm->cur->is_static))

/* ft, bit by bit: the registers' tags (0-15), the sink's (16), REC_DST1's
 * bit always set (17), kernel mode (20), the stack's tags (21), and the
 * flags one-hot (bit 24 + the flags value), so that one test against a
 * record's REC_* bits (vm_rec.slow) finds a tagged operand, the dst1 rule,
 * a stack that may hold tagged words and a failing predicate at once. */
#define FT_ONE REC_DST1
#define FT_KERNEL (1u << 20) /* the current frame runs in kernel mode */
/* the current frame's stack has held a tagged word (vm_stack.has_tags):
 * its records with a stack operand leave the fast bodies, which neither
 * read a stack operand's tag nor clear a stack destination's (on a walk
 * over the whole stack, the tag bytes' cache lines cost more than the
 * tests) */
#define FT_STACK_TAGS REC_STACK
_Static_assert((FT_STACK_TAGS & (FT_KERNEL | FT_ONE | REC_TAGS | REC_PRED | (1u << 16))) == 0,
               "ft bits");
#define FT_FLAGS(v) ((1u << REC_PRED_SHIFT) << (v))
#define TAG(r) ((ft >> (r)) & 1u)
/* a pointer in register r that arithmetic must see erased (user mode) */
#define ERASES(tag) (__builtin_expect((tag), 0) && !(ft & FT_KERNEL))
#define SET_FLAGS(v) (ft = (ft & ~REC_PRED) | FT_FLAGS(v))
/* What an add or sub sets from its carry and zero (LT, EQ, both, else GT),
 * one-hot: entry c | z << 1 of a table, one load instead of a dozen
 * instructions of compares and selects. (It was byte c | z << 1 of a
 * constant, shifted out: a variable shift and its masks, four instructions
 * more; the table made access_memory's constructor 7% faster and a loop of
 * sub! 12.6%.) */
static const uint32_t eng_flags_cz[4] = {FT_FLAGS(F_GT), FT_FLAGS(F_LT), FT_FLAGS(F_EQ),
                                         FT_FLAGS(F_LT | F_EQ)};
_Static_assert(F_LT == 1 && F_EQ == 2 && F_GT == 4, "eng_flags_cz");
#define FT_FLAGS_CZ(c, z) eng_flags_cz[(unsigned)(c) | (unsigned)(z) << 1]
#define SET_REG(r, v)                                                        \
    do {                                                                     \
        unsigned rr_ = (r);                                                  \
        vm->regs[rr_] = (v);                                                 \
        ft &= ~(1u << rr_);                                                  \
    } while (0)
#define SET_REG_TAGGED(r, v, t)                                              \
    do {                                                                     \
        unsigned rr_ = (r);                                                  \
        vm->regs[rr_] = (v);                                                 \
        ft = (ft & ~(1u << rr_)) | (uint32_t)(t) << rr_;                     \
        if (t)                                                               \
            vm->eregs[rr_] = eng_erased(vm->regs[rr_]);                      \
    } while (0)

ENG_INLINE uint16_t eng_low16(const u256 *v)
{
    return (uint16_t)v->w[0];
}

#ifdef ERAVM_NO_JUMP_SEEN /* the ablation */
#define ENG_NO_JUMP_SEEN 1
#else
#define ENG_NO_JUMP_SEEN 0
#endif

/* The record a jump from r to `to` goes on at, where its target is data
 * (a register or a stack word): computed from that word, the next record's
 * address would hold every load of its fields, and so the whole of the next
 * instruction, until the word is known (decode_shl_sub's pass waited on a
 * word its rol had just pushed). The VM remembers where each such jump went
 * last; when it goes there again the next record is the remembered pointer,
 * loaded long before, and the comparison that proves it right is a branch
 * the core predicts, off the critical path. The empty asm hides from the
 * compiler that the two are equal (it would use `to`). */
ENG_INLINE const vm_rec *eng_jump_to(eravm_vm *vm, const vm_rec *r, const vm_rec *to)
{
    const vm_rec **seen = &vm->jump_seen[(uintptr_t)r / sizeof *r % VM_JUMP_SEEN];
    const vm_rec *last = *seen;
    if (__builtin_expect(last == to, 1)) {
        __asm__("" : "+r"(last));
        return last;
    }
    *seen = to;
    return to;
}

/* User-mode pointer erasure: page and start (bits 32..95) cleared. */
ENG_INLINE u256 eng_erased(u256 v)
{
    v.w[0] &= 0xFFFFFFFFull;
    v.w[1] &= 0xFFFFFFFF00000000ull;
    return v;
}

/* A stack slot and its tag. A fast body (c_erase 0) reads no tag; an
 * erasing one reads it only when the stack may hold tagged words
 * (FT_STACK_TAGS). TAGP, if not NULL, gets the tag's address instead, for
 * the caller to read when it must. */
ENG_INLINE const u256 *eng_stack_slot(const vm_stack *s, uint16_t slot, bool *tag, bool c_erase,
                                      uint32_t ft, const uint8_t **tagp)
{
    if (tagp) {
        *tag = false;
        *tagp = &s->tag[slot];
    } else {
        *tag = c_erase && (ft & FT_STACK_TAGS) && s->tag[slot];
    }
    return &s->slot[slot];
}

/* The register part of a stack or code operand's address: none in a
 * handler with ENG_ZADDR (the decoder saw r0 there). */
#define ADDR_REG(r, FL) ((FL) & ENG_ZADDR ? (uint16_t)0 : eng_low16(&vm->regs[(r)]))

/* Source operand: where its value is (a register, a stack slot, or *tmp
 * for immediates and code words) and its tag. No side effect: pop moves
 * sp in SRC_COMMIT, once the handler is sure to go on. A fast body
 * (c_erase 0) runs only while the stack holds no tagged word. */
ENG_INLINE const u256 *eng_src(eravm_vm *vm, const vm_rec *R, int sm, int fl, uint32_t ft,
                               uint32_t sp, bool *tag, u256 *tmp, bool c_erase,
                               const uint8_t **tagp)
{
    uint16_t a;
    switch (sm) {
    case SRC_REG:
        *tag = TAG(R->src0);
        return &vm->regs[R->src0];
    case SRC_IMM:
        *tag = false;
        *tmp = u256_from_u64(R->imm0);
        return tmp;
    case SRC_POP:
    case SRC_STACK_REL:
        a = (uint16_t)(sp - (uint16_t)(ADDR_REG(R->src0, fl) + R->imm0));
        return eng_stack_slot(vm->stk, a, tag, c_erase, ft, tagp);
    case SRC_STACK_ABS:
        a = (uint16_t)(ADDR_REG(R->src0, fl) + R->imm0);
        return eng_stack_slot(vm->stk, a, tag, c_erase, ft, tagp);
    default: /* SRC_CODE */ {
        const vm_frame *f = vm->cur;
        a = (uint16_t)(ADDR_REG(R->src0, fl) + R->imm0);
        *tag = false;
        *tmp = a < f->nwords ? u256_from_be(f->code + 32 * (size_t)a) : u256_zero();
        return tmp;
    }
    }
}

#define SRC_COMMIT(R, SM, FL)                                                \
    do {                                                                     \
        if ((SM) == SRC_POP)                                                 \
            sp = (uint16_t)(sp - (uint16_t)(ADDR_REG((R)->src0, FL) + (R)->imm0)); \
    } while (0)

/* Where a result goes: the register itself, or *tmp for stack
 * destinations (eng_dst_done stores it; push moves sp there). */
ENG_INLINE u256 *eng_dst(eravm_vm *vm, const vm_rec *R, int dm, u256 *tmp)
{
    return dm == DST_REG ? &vm->regs[R->dst0] : tmp;
}

ENG_INLINE uint32_t eng_dst_done(eravm_vm *vm, const vm_rec *R, int dm, int fl, uint32_t tags,
                                 uint32_t *sp, const u256 *v, bool tag, bool c_erase)
{
    uint16_t a;
    switch (dm) {
    case DST_REG:
        if (tag)
            vm->eregs[R->dst0] = eng_erased(*v);
        return (tags & ~(1u << R->dst0)) | (uint32_t)tag << R->dst0;
    case DST_PUSH:
        a = (uint16_t)*sp;
        *sp = (uint16_t)(*sp + (uint16_t)(ADDR_REG(R->dst0, fl) + R->imm1));
        break;
    case DST_STACK_REL:
        a = (uint16_t)(*sp - (uint16_t)(ADDR_REG(R->dst0, fl) + R->imm1));
        break;
    default: /* DST_STACK_ABS */
        a = (uint16_t)(ADDR_REG(R->dst0, fl) + R->imm1);
        break;
    }
    /* a fast body (c_erase 0) runs only while the stack holds no tagged word */
    stack_write(vm->stk, a, *v, tag, c_erase && (tags & FT_STACK_TAGS));
    return tags | (tag ? FT_STACK_TAGS : 0);
}

#define SRC_IS_STACK(SM) ((SM) == SRC_POP || (SM) == SRC_STACK_REL || (SM) == SRC_STACK_ABS)
#define SRC_PTR(R, SM, FL, T, TMP)                                           \
    eng_src(vm, (R), (SM), (FL), ft, sp, &(T), &(TMP), C_ERASE, NULL)

/* A: the source operand, B: rB, as arithmetic sees them: a pointer read
 * as an integer is erased in user mode. Bodies compiled with C_ERASE 0
 * (the fast ones) leave that case to the same body compiled with C_ERASE 1
 * (BAIL): a path that rejoined would cost the common one its registers.
 * Their tagged registers and a stack that may hold tagged words were seen
 * before (REC_TAGS, REC_STACK: vm/interp.h's PROLOGUE), so they test
 * nothing. The erasing body tests the same bits first, and reads a stack
 * operand's tag only after them (a tag read ahead of the test, or a flag
 * merged from two paths, cost it registers and instructions).
 * It finds registers' erased views at hand (vm->eregs, written with every
 * tagged value: the user code of the benchmarks reads the calldata pointer
 * r1 as an integer on every pass) and copies a tagged stack operand's to
 * vm->scratch. */
#define OPERANDS_AB(R, SM, FL, A, B, TMP, BAILTO)                            \
    bool ta__;                                                               \
    const uint8_t *tp__ = NULL;                                              \
    const u256 *A = eng_src(vm, (R), (SM), (FL), ft, sp, &ta__, &(TMP), C_ERASE, &tp__); \
    const u256 *B = &vm->regs[(R)->src1];                                    \
    (void)ta__;                                                              \
    if (__builtin_expect(C_ERASE && (ft & (R)->slow & (REC_TAGS | REC_STACK)) != 0, 0) && \
        !(ft & FT_KERNEL)) {                                                 \
        if ((SM) == SRC_REG && TAG((R)->src0))                               \
            A = &vm->eregs[(R)->src0];                                       \
        else if (SRC_IS_STACK(SM) && *tp__) {                                \
            vm->scratch = eng_erased(*A);                                    \
            A = &vm->scratch;                                                \
        }                                                                    \
        if (TAG((R)->src1))                                                  \
            B = &vm->eregs[(R)->src1];                                       \
    }                                                                        \
    SRC_COMMIT(R, SM, FL)

/* the erased view of every tagged register, after the registers changed
 * behind the engine's back */
ENG_INLINE void eng_refresh_eregs(eravm_vm *vm, uint32_t tags)
{
    for (tags &= 0xFFFF; tags; tags &= tags - 1) {
        unsigned r = (unsigned)__builtin_ctz(tags);
        vm->eregs[r] = eng_erased(vm->regs[r]);
    }
}

/* Leave for the erasing twin: of a specialised handler, its body (the
 * prologue is done, nothing else, and later fused components run as
 * ordinary records after it); of a fused handler's first component, the
 * whole fused handler compiled erasing (so a loop that reads a pointer as
 * an integer every pass stays fused). */
#define BAIL(R, BAILTO)                                                      \
    do {                                                                     \
        ergs += C_BAIL_ERGS;                                                 \
        icount -= C_BAIL_N;                                                  \
        PROF_UNDO(C_BAIL_N); /* the counting engine's (vm/interp.h) */       \
        ip = REC_POS(R);                                                     \
        MUSTTAIL return ENG(BAILTO)(H_ARGS);                                 \
    } while (0)

/* the record a jump to t lands on: beyond the program, the sentinel */
#define PC_REC(t)                                                            \
    (vm->cur->recs + ((uint32_t)(t) < vm->cur->ndec ? (uint32_t)(t) : vm->cur->ndec))
#define PANIC_REC() (vm->cur->recs + vm->cur->ndec + 1)
/* the pc after R, as jumps and near calls record it */
#define NEXT_PC(R) ((uint16_t)(REC_POS(R) - vm->cur->recs + 1))

/* The dst1 rule (eravm-isa.md §5.5) for families that do not write dst1:
 * whatever the instruction names as dst1 is cleared (VM_SINK: nothing).
 * A record where it clears a register has REC_DST1, which sends it to the
 * C_ERASE 1 body: the fast bodies need no test. */
#define CLEAR_DST1(R)                                                        \
    do {                                                                     \
        if (C_ERASE && __builtin_expect((R)->dst1 != VM_SINK, 0))            \
            SET_REG((R)->dst1, u256_zero());                                 \
    } while (0)

/* ---- 256-bit operations from operands in memory into memory ----
 * Each limb is read after the previous result limb is stored, so d may be
 * a or b, and the carry chain runs in one host register. */

ENG_INLINE bool eng_add_to(u256 *d, const u256 *a, const u256 *b)
{
    unsigned long long *o = (unsigned long long *)d->w;
    unsigned char c = _addcarry_u64(0, a->w[0], b->w[0], &o[0]);
    c = _addcarry_u64(c, a->w[1], b->w[1], &o[1]);
    c = _addcarry_u64(c, a->w[2], b->w[2], &o[2]);
    return _addcarry_u64(c, a->w[3], b->w[3], &o[3]);
}

ENG_INLINE bool eng_sub_to(u256 *d, const u256 *a, const u256 *b)
{
    unsigned long long *o = (unsigned long long *)d->w;
    unsigned char c = _subborrow_u64(0, a->w[0], b->w[0], &o[0]);
    c = _subborrow_u64(c, a->w[1], b->w[1], &o[1]);
    c = _subborrow_u64(c, a->w[2], b->w[2], &o[2]);
    return _subborrow_u64(c, a->w[3], b->w[3], &o[3]);
}

/* *d = *a in four 8-byte moves: the empty asm keeps the compiler from
 * merging them into 16-byte ones, which could not be forwarded from the
 * 8-byte stores that wrote *a (a stall of a dozen cycles). */
ENG_INLINE void eng_copy_to(u256 *d, const u256 *a)
{
    uint64_t x0 = a->w[0], x1 = a->w[1], x2 = a->w[2], x3 = a->w[3];
    __asm__("" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3));
    d->w[0] = x0;
    d->w[1] = x1;
    d->w[2] = x2;
    d->w[3] = x3;
}

ENG_INLINE bool eng_is_zero(const u256 *v)
{
    return (v->w[0] | v->w[1] | v->w[2] | v->w[3]) == 0;
}

/* add sub and or xor shl shr rol ror of *a and *b into *d; *carry for
 * add/sub. */
ENG_INLINE void eng_binop(int op, u256 *d, const u256 *a, const u256 *b, bool *carry)
{
    switch (op) {
    case EOP_ADD: *carry = eng_add_to(d, a, b); return;
    case EOP_SUB: *carry = eng_sub_to(d, a, b); return;
    case EOP_AND:
        for (int i = 0; i < 4; i++)
            d->w[i] = a->w[i] & b->w[i];
        return;
    case EOP_OR:
        for (int i = 0; i < 4; i++)
            d->w[i] = a->w[i] | b->w[i];
        return;
    case EOP_XOR:
        for (int i = 0; i < 4; i++)
            d->w[i] = a->w[i] ^ b->w[i];
        return;
    case EOP_SHL: *d = u256_shl(*a, u256_shift_amount(*b)); return;
    case EOP_SHR: *d = u256_shr(*a, u256_shift_amount(*b)); return;
    case EOP_ROL: *d = u256_rol(*a, u256_shift_amount(*b)); return;
    default: *d = u256_ror(*a, u256_shift_amount(*b)); return;
    }
}

/* mul (low, high) or div (quotient, remainder; x/0 = 0, 0) into *d and
 * *h, and the flags they set. Each path stores its results straight into
 * the destinations, limb by limb, once every operand limb is read (d or h
 * may be a or b): results built in a temporary and copied went through
 * memory on every path, a 16-byte load of 8-byte stores that could not be
 * forwarded. A dividend below 2^64 (what compiled code and the benchmarks
 * divide) takes one host division, and none when it is below the divisor
 * (quotient 0, remainder the dividend: a compare instead of a division of
 * 12-25 cycles; access_memory's constructor divides 0 and 1 by stack
 * words), and its flags come from the limbs. */
ENG_INLINE uint8_t eng_muldiv_to(int op, const u256 *a, const u256 *b, u256 *d, u256 *h)
{
    if (op == EOP_MUL) {
        u256 hi, lo = u256_mul(*a, *b, &hi);
        uint8_t fl = (uint8_t)((!u256_is_zero(hi) ? F_LT : 0) | (u256_is_zero(lo) ? F_EQ : 0) |
                               (u256_is_zero(hi) && !u256_is_zero(lo) ? F_GT : 0));
        *d = lo;
        *h = hi;
        return fl;
    }
    uint64_t b0 = b->w[0], bhi = b->w[1] | b->w[2] | b->w[3];
    uint64_t a0 = a->w[0], ahi = a->w[1] | a->w[2] | a->w[3];
    if ((b0 | bhi) == 0) {
        d->w[0] = d->w[1] = d->w[2] = d->w[3] = 0;
        h->w[0] = h->w[1] = h->w[2] = h->w[3] = 0;
        return F_LT;
    }
    if (__builtin_expect(ahi == 0, 1)) {
        uint64_t rem, q = u256_div_narrow(a0, b0, bhi != 0 || a0 < b0, &rem); /* a0 < b: 0, a0 */
        d->w[0] = q, d->w[1] = d->w[2] = d->w[3] = 0;
        h->w[0] = rem, h->w[1] = h->w[2] = h->w[3] = 0;
        return (uint8_t)((q == 0 ? F_EQ : 0) | (rem == 0 ? F_GT : 0));
    }
    u256 q, rem;
    u256_divmod_wide(*a, *b, &q, &rem);
    eng_copy_to(d, &q);
    eng_copy_to(h, &rem);
    return (uint8_t)((u256_is_zero(q) ? F_EQ : 0) | (u256_is_zero(rem) ? F_GT : 0));
}

/* ---- the classes ---- */

#define BODY_NOP(R, OP, SM, DM, FL, BAILTO)                                  \
    do {                                                                     \
        SRC_COMMIT(R, SM, FL);                                               \
        if ((DM) == DST_PUSH)                                                \
            sp = (uint16_t)(sp + (uint16_t)(ADDR_REG((R)->dst0, FL) + (R)->imm1)); \
        CLEAR_DST1(R);                                                       \
    } while (0)

/* add sub and or xor shl shr rol ror: A op rB -> D (.s swaps A and rB).
 * Flags only with `!`: add/sub set LT on carry, EQ on zero, GT otherwise;
 * the others only EQ. */
#define BODY_BINOP(R, OP, SM, DM, FL, BAILTO)                                \
    do {                                                                     \
        u256 ta_, td_;                                                       \
        OPERANDS_AB(R, SM, FL, a_, b_, ta_, BAILTO);                         \
        u256 *d_ = eng_dst(vm, (R), (DM), &td_);                             \
        bool c_ = false;                                                     \
        /* `add A, r0, D` is how compiled code moves a value (ENG_MOVE, the \
         * M_ handlers the decoder picks for it): no carry chain to wait for */ \
        if ((FL) & ENG_MOVE)                                                 \
            eng_copy_to(d_, a_);                                             \
        else if ((FL) & OPF_SWAP)                                            \
            eng_binop((OP), d_, b_, a_, &c_);                                \
        else                                                                 \
            eng_binop((OP), d_, a_, b_, &c_);                                \
        if ((FL) & OPF_SET_FLAGS) {                                          \
            bool z_ = eng_is_zero(d_);                                       \
            if ((OP) == EOP_ADD || (OP) == EOP_SUB)                          \
                ft = (ft & ~REC_PRED) | FT_FLAGS_CZ(c_, z_);                 \
            else                                                             \
                SET_FLAGS(z_ ? F_EQ : 0);                                    \
        }                                                                    \
        ft = eng_dst_done(vm, (R), (DM), (FL), ft, &sp, d_, false, C_ERASE); \
        CLEAR_DST1(R);                                                       \
    } while (0)

/* mul: low half to D, high half to rD1; div: quotient to D, remainder to
 * rD1, and x/0 gives 0, 0 with LT. dst1 is always written. */
#define BODY_MULDIV(R, OP, SM, DM, FL, BAILTO)                               \
    do {                                                                     \
        u256 ta_, td_;                                                       \
        OPERANDS_AB(R, SM, FL, a_, b_, ta_, BAILTO);                         \
        if ((FL) & OPF_SWAP) {                                               \
            const u256 *t_ = a_;                                             \
            a_ = b_;                                                         \
            b_ = t_;                                                         \
        }                                                                    \
        u256 *d_ = eng_dst(vm, (R), (DM), &td_);                             \
        uint8_t fl_ = eng_muldiv_to((OP), a_, b_, d_, &vm->regs[(R)->dst1]); \
        ft &= ~(1u << (R)->dst1);                                            \
        ft = eng_dst_done(vm, (R), (DM), (FL), ft, &sp, d_, false, C_ERASE); \
        if ((FL) & OPF_SET_FLAGS)                                            \
            SET_FLAGS(fl_);                                                  \
    } while (0)

/* pc <- low 16 bits of A (beyond the program: the sentinel); dst0 <- the
 * return address. */
#define BODY_JUMP(R, OP, SM, DM, FL, BAILTO)                                 \
    do {                                                                     \
        bool t_;                                                             \
        u256 ta_;                                                            \
        uint16_t to_ = eng_low16(SRC_PTR(R, SM, FL, t_, ta_));               \
        (void)t_;                                                            \
        SRC_COMMIT(R, SM, FL);                                               \
        if ((R)->dst0 != VM_SINK) /* most jumps link to r0: nothing to write */ \
            SET_REG((R)->dst0, u256_from_u64(NEXT_PC(R)));                   \
        CLEAR_DST1(R);                                                       \
        ip = (SM) == SRC_IMM || ENG_NO_JUMP_SEEN ? PC_REC(to_) : eng_jump_to(vm, REC_POS(R), PC_REC(to_)); \
        NEXT();                                                              \
    } while (0)

/* addp subp pack shrnk: A must be a pointer and rB not (in user mode a
 * tagged rB is erased and counts as an integer). */
#define BODY_PTR(R, OP, SM, DM, FL, BAILTO)                                  \
    do {                                                                     \
        u256 ta_, td_, r_;                                                   \
        bool tg_, tb_;                                                       \
        const u256 *s_ = SRC_PTR(R, SM, FL, tg_, ta_);                       \
        u256 a_, b_;                                                         \
        SRC_COMMIT(R, SM, FL);                                               \
        if ((FL) & OPF_SWAP) {                                               \
            a_ = vm->regs[(R)->src1];                                        \
            b_ = *s_;                                                        \
            tb_ = tg_;                                                       \
            tg_ = TAG((R)->src1);                                            \
        } else {                                                             \
            a_ = *s_;                                                        \
            b_ = vm->regs[(R)->src1];                                        \
            tb_ = TAG((R)->src1);                                            \
        }                                                                    \
        if (ERASES(tb_)) {                                                   \
            b_ = eng_erased(b_);                                             \
            tb_ = false;                                                     \
        }                                                                    \
        if (!tg_ || tb_ || !eng_ptr_op((OP), a_, b_, &r_))                   \
            FAIL(R);                                                         \
        u256 *d_ = eng_dst(vm, (R), (DM), &td_);                             \
        *d_ = r_;                                                            \
        ft = eng_dst_done(vm, (R), (DM), (FL), ft, &sp, d_, true, C_ERASE);  \
        CLEAR_DST1(R);                                                       \
    } while (0)

ENG_INLINE bool eng_ptr_op(int op, u256 a, u256 b, u256 *out)
{
    uint32_t off = (uint32_t)a.w[0], len = (uint32_t)(a.w[1] >> 32);
    u256 r = a;
    switch (op) {
    case EOP_PTR_ADD:
    case EOP_PTR_SUB: {
        if (!u256_fits_u32(b))
            return false;
        uint32_t x = u256_low32(b);
        if (op == EOP_PTR_ADD ? __builtin_add_overflow(off, x, &off)
                              : __builtin_sub_overflow(off, x, &off))
            return false;
        r.w[0] = off | (r.w[0] & 0xFFFFFFFF00000000ull);
        break;
    }
    case EOP_PTR_PACK:
        if (b.w[0] || b.w[1])
            return false;
        r.w[2] = b.w[2];
        r.w[3] = b.w[3];
        break;
    default: /* shrink */
        if (__builtin_sub_overflow(len, u256_low32(b), &len))
            return false;
        r.w[1] = (r.w[1] & 0xFFFFFFFFull) | (uint64_t)len << 32;
        break;
    }
    *out = r;
    return true;
}

/* One frame field into dst0. Inside a fused handler the ergs of the later
 * components are already charged, so ergs_left adds them back. */
#define BODY_CTX_READ(R, OP, SM, DM, FL, BAILTO)                             \
    do {                                                                     \
        const vm_frame *f_ = vm->cur;                                        \
        u256 v_;                                                             \
        switch (OP) {                                                        \
        case EOP_CTX_THIS: v_ = f_->address; break;                          \
        case EOP_CTX_CALLER: v_ = f_->caller; break;                         \
        case EOP_CTX_CODE_ADDR: v_ = f_->code_address; break;                \
        case EOP_CTX_ERGS_LEFT: v_ = u256_from_u64(ergs + C_LATER_ERGS); break; \
        case EOP_CTX_SP: v_ = u256_from_u64(sp); break;                      \
        case EOP_CTX_GET_U128: v_ = f_->context; break;                      \
        default: /* meta */                                                  \
            v_ = u256_zero();                                                \
            v_.w[0] = f_->is_kernel ? (uint32_t)vm->diff.pubdata : 0;        \
            v_.w[1] = f_->heap_bound | (uint64_t)f_->aux_bound << 32;        \
            break;                                                           \
        }                                                                    \
        SET_REG((R)->dst0, v_);                                              \
        CLEAR_DST1(R);                                                       \
    } while (0)

/* Passes min(rE, ergs) (all when rE is 0) to the callee at imm0; imm1 is
 * the handler for reverts and panics. */
#define BODY_NEAR_CALL(R, OP, SM, DM, FL, BAILTO)                            \
    do {                                                                     \
        uint32_t pass_ = (uint32_t)vm->regs[(R)->src0].w[0]; /* erasure-proof */ \
        uint32_t g_ = pass_ == 0 || pass_ > ergs ? ergs : pass_;             \
        vm_frame *f_ = vm->cur;                                              \
        if (f_->nnear == f_->capnear)                                        \
            frame_grow_near(f_);                                             \
        vm_near *n_ = &f_->near[f_->nnear++];                                \
        n_->sp = (uint16_t)sp;                                               \
        n_->saved_ergs = ergs - g_;                                          \
        n_->call = REC_POS(R); /* no snapshot yet: vm_frame.nsnapped */      \
        ergs = g_;                                                           \
        SET_FLAGS(0);                                                        \
        CLEAR_DST1(R);                                                       \
        ip = PC_REC((R)->imm0);                                              \
        NEXT();                                                              \
    } while (0)

/* ret / rev / pnc, near or far. A near return restores sp and gives back
 * the ergs kept at the call; a far one is out of line. */
#define BODY_RET(R, OP, SM, DM, FL, BAILTO)                                  \
    do {                                                                     \
        int kind_ = (OP) == EOP_RET_OK ? RET_OK : (OP) == EOP_RET_REVERT ? RET_REVERT : RET_PANIC; \
        RETURN_FROM(kind_, (FL) & OPF_VARIANT ? (int32_t)(R)->imm0 : -1, (R)->src0, (R)->dst1); \
    } while (0)

#define RETURN_FROM(KIND, LABEL, ABI, DST1)                                  \
    do {                                                                     \
        vm_frame *f_ = vm->cur;                                              \
        if (f_->nnear) {                                                     \
            vm_near *n_ = &f_->near[--f_->nnear];                            \
            sp = n_->sp;                                                     \
            ergs += n_->saved_ergs;                                          \
            if ((LABEL) >= 0)                                                \
                ip = PC_REC(LABEL);                                          \
            else if ((KIND) != RET_OK)                                       \
                ip = PC_REC(n_->call->imm1); /* its exception handler */    \
            else                                                             \
                ip = n_->call + 1;                                           \
            if (f_->nnear < f_->nsnapped) { /* it has a snapshot */          \
                if ((KIND) != RET_OK)                                        \
                    wd_rollback(&vm->diff, &n_->snap);                       \
                f_->nsnapped = f_->nnear;                                    \
            }                                                                \
            SET_FLAGS((KIND) == RET_PANIC ? F_LT : 0);                       \
        } else {                                                             \
            SAVE_STATE();                                                    \
            int rc_ = far_ret(vm, (KIND), (ABI));                            \
            if (rc_ != RUN_ON) {                                             \
                /* the run ended: dst1 is cleared all the same (vm2's        \
                 * full_boilerplate clears after any handler) */             \
                vm->regs[(DST1)] = u256_zero();                              \
                vm->tags &= (uint16_t)~(1u << (DST1));                       \
                return rc_;                                                  \
            }                                                                \
            LOAD_STATE();                                                    \
        }                                                                    \
        /* in the registers of the frame returned to (a fast body has none: \
         * REC_DST1 sent the record to its erasing twin) */                  \
        if (C_ERASE && (DST1) != VM_SINK)                                    \
            SET_REG((DST1), u256_zero());                                    \
        NEXT();                                                              \
    } while (0)

/* Out of line with the state saved: the callee frame becomes current, and
 * the dst1 rule then clears a register in the callee's fresh file. */
#define BODY_FAR_CALL(R, OP, SM, DM, FL, BAILTO)                             \
    do {                                                                     \
        const vm_rec *r_ = (R);                                              \
        ip = REC_POS(r_) + 1;                                                \
        SAVE_STATE();                                                        \
        far_call(vm, r_->src0, r_->src1, r_->imm0, (OP), (FL));              \
        LOAD_STATE();                                                        \
        if (r_->dst1 != VM_SINK)                                             \
            SET_REG(r_->dst1, u256_zero());                                  \
        NEXT();                                                              \
    } while (0)

/* ld.1/ld.2 offsets: above 2^32-33 burns the frame; growth to offset + 32
 * costs 1 erg per byte. Fused handlers put heap accesses last, so a
 * failure needs no refund of later components. */
#define HEAP_OFFSET(R, A, AUX, ADDR)                                         \
    do {                                                                     \
        if (above_last_address(A)) {                                         \
            ergs = 0;                                                        \
            FAIL(R);                                                         \
        }                                                                    \
        ADDR = (uint32_t)(A).w[0];                                           \
        uint32_t *bound_ = (AUX) ? &vm->cur->aux_bound : &vm->cur->heap_bound; \
        if (__builtin_expect(ADDR + 32 > *bound_, 0)) {                      \
            uint32_t grow_ = ADDR + 32 - *bound_;                            \
            if (ergs < grow_) {                                              \
                ergs = 0;                                                    \
                FAIL(R);                                                     \
            }                                                                \
            ergs -= grow_;                                                   \
            *bound_ = ADDR + 32;                                             \
        }                                                                    \
    } while (0)

/* On success a .inc writes A + 32 to rD1, tagged iff A was. */
#define BODY_HEAP_READ(R, OP, SM, DM, FL, BAILTO)                            \
    do {                                                                     \
        bool tg_;                                                            \
        u256 ta_;                                                            \
        u256 a_ = *SRC_PTR(R, SM, FL, tg_, ta_);                             \
        bool aux_ = (OP) == EOP_AUX_READ;                                    \
        SRC_COMMIT(R, SM, FL);                                               \
        uint32_t addr_;                                                      \
        HEAP_OFFSET(R, a_, aux_, addr_);                                     \
        vm_page *pg_ = aux_ ? vm->cur->aux_pg : vm->cur->heap_pg;            \
        if (__builtin_expect(!pg_, 0))                                       \
            pg_ = frame_page(vm, vm->cur, aux_, false);                      \
        page_read_word_fast(&vm->regs[(R)->dst0], pg_, addr_);               \
        ft &= ~(1u << (R)->dst0);                                            \
        if ((FL) & OPF_VARIANT)                                              \
            SET_REG_TAGGED((R)->dst1, u256_add(a_, u256_from_u64(32), NULL), tg_); \
        else                                                                 \
            CLEAR_DST1(R);                                                   \
    } while (0)

/* Stores of the initial frame are watched (vm->watch_heap): while an
 * external snapshot is open their old words are journaled, and st.1 to the
 * hook address suspends the run after the store. */
#define BODY_HEAP_WRITE(R, OP, SM, DM, FL, BAILTO)                           \
    do {                                                                     \
        bool tg_;                                                            \
        u256 ta_;                                                            \
        u256 a_ = *SRC_PTR(R, SM, FL, tg_, ta_);                             \
        (void)tg_;                                                           \
        const u256 *b_ = &vm->regs[(R)->src1];                               \
        if (ERASES(TAG((R)->src1))) {                                        \
            if (!C_ERASE)                                                    \
                BAIL(R, BAILTO);                                             \
            b_ = &vm->eregs[(R)->src1];                                      \
        }                                                                    \
        bool aux_ = (OP) == EOP_AUX_WRITE;                                   \
        uint32_t addr_;                                                      \
        SRC_COMMIT(R, SM, FL);                                               \
        HEAP_OFFSET(R, a_, aux_, addr_);                                     \
        vm_page *pg_ = aux_ ? vm->cur->aux_pg : vm->cur->heap_pg;            \
        if (__builtin_expect(!pg_, 0))                                       \
            pg_ = frame_page(vm, vm->cur, aux_, true);                       \
        if (__builtin_expect(vm->watch_heap, 0) && vm->has_ext)              \
            snapshot_journal_heap(vm, aux_, addr_);                          \
        page_write_word_fast(&vm->pages, pg_, addr_, *b_);                   \
        uint32_t hv_ = (uint32_t)b_->w[0]; /* before .inc or dst1 may overwrite rB */ \
        if ((FL) & OPF_VARIANT)                                              \
            SET_REG((R)->dst0, u256_add(a_, u256_from_u64(32), NULL));       \
        CLEAR_DST1(R);                                                       \
        if (__builtin_expect(vm->watch_heap, 0) && !aux_ && addr_ == vm->hook_at) { \
            ip = REC_POS(R) + 1;                                             \
            SAVE_STATE();                                                    \
            vm->hook_res->hook_value = hv_;                                  \
            return RUN_SUSPENDED;                                            \
        }                                                                    \
    } while (0)

/* ldp: 32 bytes of a fat pointer's window at its offset, zero-padded past
 * its length; .inc writes the pointer + 32 (still a pointer) to rD1. */
#define BODY_FAT_READ(R, OP, SM, DM, FL, BAILTO)                             \
    do {                                                                     \
        u256 a_ = vm->regs[(R)->src0];                                       \
        if (!TAG((R)->src0) || (uint32_t)a_.w[0] > LAST_ADDRESS)             \
            FAIL(R);                                                         \
        fat_read_word(vm, &vm->regs[(R)->dst0], a_);                         \
        ft &= ~(1u << (R)->dst0);                                            \
        if ((FL) & OPF_VARIANT)                                              \
            SET_REG_TAGGED((R)->dst1, u256_add(a_, u256_from_u64(32), NULL), 1); \
        else                                                                 \
            CLEAR_DST1(R);                                                   \
    } while (0)

/* storage, transient storage, events, L2->L1 logs, precompiles, decommit,
 * static memory, context writes: out of line, with the tags and the ergs
 * (which refunds and gas use change) written back. */
#define BODY_WORLD(R, OP, SM, DM, FL, BAILTO)                                \
    do {                                                                     \
        const vm_rec *r_ = (R);                                              \
        vm_frame *f_ = vm->cur;                                              \
        vm->tags = (uint16_t)ft;                                             \
        f_->ergs = ergs;                                                     \
        f_->sp = (uint16_t)sp; /* world_op sees the whole frame */           \
        bool ok_ = world_op(vm, r_, (OP));                                   \
        ft = (ft & ~0xFFFFu) | vm->tags;                                     \
        if ((OP) == EOP_DECOMMIT || (OP) == EOP_STATIC_READ) /* tagged writes */ \
            eng_refresh_eregs(vm, ft);                                       \
        ergs = f_->ergs;                                                     \
        ip = ok_ ? r_ + 1 : PANIC_REC();                                     \
        NEXT();                                                              \
    } while (0)

/* Burns everything (even 2^32-1 ergs that could pay) and panics at once. */
#define BODY_INVALID(R, OP, SM, DM, FL, BAILTO)                              \
    do {                                                                     \
        ergs = 0;                                                            \
        FREE_PANIC();                                                        \
    } while (0)
