/* vm/predecode.c — turns a program's 64-bit words into the engine's records:
 * handler chosen from the generated const table (vm/engine.gen.h: a
 * specialised handler for the hot variants, the class's generic one
 * otherwise), predicate as a flags mask, r0 destinations redirected to the
 * sink register, and the superinstruction pass, which gives the first record
 * of a hot sequence its fused handler and leaves every record in place (a
 * jump into the middle lands on a plain record).
 *
 * Records are decoded a block of PREDECODE_BLOCK at a time, when the engine
 * first dispatches into the block (a zero record's handler is H_DECODE): a
 * transaction runs a few per cent of the system contracts it calls, and
 * upstream decodes every program per VM, so decoding is on the clock. A
 * record depends only on the code words of its block, so it does not
 * matter which thread decodes a block: the first claims it, writes its
 * records and publishes each handler with a release store (the engine loads
 * handlers with acquire); a thread finding the block claimed waits for it.
 * A fused sequence that runs into the next block is given to its first
 * record once both blocks are decoded (link_blocks). Only const tables are
 * read, so programs may be built and run on several threads. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "disasm.h"
#include "engine.h"
#include "vm_internal.h"

/* eng_dec_tab's word for an index: the handler its record gets with the
 * specialised handlers on (before the twins), its ENG_SLOW_* bits spread
 * where rec_from_word takes them, whether dst0 is a register (the regs_dst
 * row), whether it is the invalid opcode (which ignores its predicate: no
 * REC_PRED bits), whether fused sequences start with it. Every field that
 * depends on the index alone, so that decoding a record loads one word for
 * them (the index table's fields took a dozen instructions more, and the
 * registers to hold them). */
#define DEC_MOVE_SHIFT 16 /* 1 bit: ENG_SLOW_MOVE */
#define DEC_ZROW_SHIFT 17 /* 2 bits: ENG_SLOW_ZSRC | ENG_SLOW_ZDST, a zaddr_masks row */
#define DEC_TROW_SHIFT 19 /* 2 bits: ENG_SLOW_SRC1 | ENG_SLOW_SRC0, a tag_bits row */
#define DEC_STACK REC_STACK /* bit 21, in place */
#define DEC_DREG_SHIFT 22 /* 1 bit: dst0 is a register */
#define DEC_CLEARS_SHIFT 23 /* 1 bit: ENG_SLOW_DST1 */
#define DEC_PRED_SHIFT 24 /* 8 bits: 0xFF, or 0 for the invalid opcode */
#define DEC_FUSED_SHIFT 32 /* 1 bit: fused sequences start with it */
_Static_assert(REC_STACK == 1u << 21 && ENG_SLOW_SRC1 == 1 && ENG_SLOW_SRC0 == 2 &&
                   ENG_SLOW_DST1 == 4 && ENG_SLOW_MOVE == 8 && ENG_SLOW_ZSRC == 16 &&
                   ENG_SLOW_ZDST == 32 && ENG_SLOW_STACK == 64,
               "eng_dec_tab fields");
#define ENG_DEC(h0, es, dreg, invalid, fused)                                \
    ((uint64_t)(h0) | (uint64_t)(((es) / ENG_SLOW_MOVE) & 1) << DEC_MOVE_SHIFT |    \
     (uint64_t)(((es) / ENG_SLOW_ZSRC) & 3) << DEC_ZROW_SHIFT |                 \
     (uint64_t)((es) & 3) << DEC_TROW_SHIFT | ((es) & ENG_SLOW_STACK ? DEC_STACK : 0) | \
     (uint64_t)(dreg) << DEC_DREG_SHIFT | (uint64_t)(((es) / ENG_SLOW_DST1) & 1) << DEC_CLEARS_SHIFT | \
     (uint64_t)((invalid) ? 0 : 0xFF) << DEC_PRED_SHIFT | (uint64_t)(fused) << DEC_FUSED_SHIFT)

#define ENGINE_GEN_TABLES /* the tables live here */
#include "engine.gen.h"

/* 1 if fused sequences start with the index, else 0 */
static inline uint64_t starts_fused(unsigned index)
{
    return eng_dec_tab[index] >> DEC_FUSED_SHIFT & 1;
}

/* The register bytes of a record from two nibbles of its word at once:
 * src0 and src1 (regs_src), dst0 and dst1 (regs_dst), where a dst1 of r0
 * becomes the sink, and so does a dst0 of r0 in register mode ([1]; stack
 * destinations address through dst0). */
#define RB_PAIR(lo, hi) ((uint16_t)((lo) | (hi) << 8))
#define RB_SINK(r) ((r) | ((r) == 0) << 4)
#define RB_SRC(x) RB_PAIR((x) & 15, (x) >> 4)
#define RB_DST0(x) RB_PAIR((x) & 15, RB_SINK((x) >> 4))
#define RB_DST1(x) RB_PAIR(RB_SINK((x) & 15), RB_SINK((x) >> 4))
#define RB_4(F, x) F(x), F((x) + 1), F((x) + 2), F((x) + 3)
#define RB_16(F, x) RB_4(F, x), RB_4(F, (x) + 4), RB_4(F, (x) + 8), RB_4(F, (x) + 12)
#define RB_64(F, x) RB_16(F, x), RB_16(F, (x) + 16), RB_16(F, (x) + 32), RB_16(F, (x) + 48)
#define RB_256(F) RB_64(F, 0), RB_64(F, 64), RB_64(F, 128), RB_64(F, 192)

/* A record's REC_TAGS from the src nibbles (x: src0 | src1 << 4) and the
 * index's ENG_SLOW_SRC1 | ENG_SLOW_SRC0 bits (the row): one load where
 * two variable shifts and their masks took a tenth of decoding */
#define TB_SRC1(x) (1u << ((x) >> 4))
#define TB_SRC0(x) (1u << ((x) & 15))
#define TB_0(x) 0
#define TB_1(x) TB_SRC1(x)
#define TB_2(x) TB_SRC0(x)
#define TB_3(x) (TB_SRC1(x) | TB_SRC0(x))
_Static_assert(ENG_SLOW_SRC1 == 1 && ENG_SLOW_SRC0 == 2, "tag_bits rows");

/* The decoder's tables in one object: one base register reaches them all
 * (as five, each took its own address load a record: position-independent
 * code cannot index a symbol directly) */
static const struct {
    uint16_t regs_src[256];
    uint16_t regs_dst[2][256];
    uint16_t tag_bits[4][256];
    /* a zero bit for each register nibble of a word (src0 src1 dst0 dst1
     * in bits 0-15) that must be r0 for an index's ENG_ZADDR twins, by its
     * ENG_SLOW_ZSRC / ZDST bits; bit 16, never zero on the word's side (see
     * rec_from_word), where it has none */
    uint32_t zaddr_masks[4];
    /* bit `flags` of a mask is set when the predicate holds for those flags
     * (LT 1, EQ 2, GT 4): always, gt, lt, eq, ge, le, ne, gtlt
     * (tests/test_predecode.c checks each); a record keeps the complement,
     * the values for which it fails (REC_PRED) */
    uint8_t cond_masks[8];
} dec_tabs = {
    .regs_src = {RB_256(RB_SRC)},
    .regs_dst = {{RB_256(RB_DST0)}, {RB_256(RB_DST1)}},
    .tag_bits = {{RB_256(TB_0)}, {RB_256(TB_1)}, {RB_256(TB_2)}, {RB_256(TB_3)}},
    .zaddr_masks = {1u << 16, 0x000F, 0x0F00, 0x0F0F},
    .cond_masks = {0xFF, 0xF0, 0xAA, 0xCC, 0xFC, 0xEE, 0x33, 0xFA},
};

/* One record from one word: every field but the handler, written to r
 * (whose handler stays H_DECODE until decode_block publishes it), and the
 * handler returned. Fields are computed with shifts, masks and table loads
 * and no data-dependent branch (a mispredicted one costs more than the
 * rest): decoding is on the clock. SPEC: the specialised handlers are on
 * (a constant where this is inlined). */
static inline __attribute__((always_inline)) uint16_t rec_from_word(vm_rec *r, uint64_t w,
                                                                    bool spec)
{
    unsigned index = (unsigned)(w & 0x7FF);
    uint64_t d = eng_dec_tab[index];
    uint32_t n = (uint32_t)(w >> 16) & 0xFFFF; /* src0 src1 dst0 dst1, a nibble each */
    uint32_t h;
    if (spec) {
        /* the twins after S_: M_ (a move: rB is r0), then Z_ and MZ_ (each
         * stack or code operand addressed through r0) */
        uint32_t move = (uint32_t)(d >> DEC_MOVE_SHIFT) & 1;
        uint32_t zaddr = ((n | 1u << 16) & dec_tabs.zaddr_masks[(d >> DEC_ZROW_SHIFT) & 3]) == 0;
        h = (uint32_t)(d & 0xFFFF) + (move & (((n >> 4) & 15) == 0)) + (-zaddr & (1 + move));
    } else {
        h = H_GENERIC(eng_index_tab[index].hclass);
    }
    uint32_t regs = dec_tabs.regs_src[n & 0xFF] |
                    (uint32_t)dec_tabs.regs_dst[(d >> DEC_DREG_SHIFT) & 1][n >> 8] << 16;
    uint32_t clears = (uint32_t)(d >> DEC_CLEARS_SHIFT) & (n >= 0x1000); /* the dst1 rule clears a register */
    /* the invalid opcode ignores its predicate (its DEC_PRED bits are 0) */
    uint32_t pred = ~(uint32_t)dec_tabs.cond_masks[(w >> 13) & 7] & (uint32_t)(d >> DEC_PRED_SHIFT) & 0xFFu;
    uint32_t slow = dec_tabs.tag_bits[(d >> DEC_TROW_SHIFT) & 3][n & 0xFF] | clears * REC_DST1 |
                    ((uint32_t)d & DEC_STACK) | pred << REC_PRED_SHIFT;
    uint16_t idx16 = (uint16_t)index;
    uint64_t hi = (uint32_t)(w >> 32) | (uint64_t)slow << 32;
    _Static_assert(sizeof(vm_rec) == 16 && offsetof(vm_rec, idx) == 2 &&
                       offsetof(vm_rec, src0) == 4 && offsetof(vm_rec, imm0) == 8 &&
                       offsetof(vm_rec, slow) == 12,
                   "vm_rec layout (little-endian host)");
    memcpy((uint8_t *)r + 2, &idx16, 2);
    memcpy((uint8_t *)r + 4, &regs, 4);
    memcpy((uint8_t *)r + 8, &hi, 8);
    return (uint16_t)h;
}

vm_rec predecode_record(uint64_t word)
{
    vm_rec r;
    memset(&r, 0, sizeof r);
    r.h = rec_from_word(&r, word, true);
    return r;
}

vm_rec predecode_pseudo(int op)
{
    vm_rec r;
    memset(&r, 0, sizeof r);
    r.dst0 = r.dst1 = VM_SINK;
    if (op == VOP_PANIC) {
        r.h = H_PANIC;
        r.idx = ERAVM_SLOT_PANIC;
    } else if (op == VOP_WRAP) {
        r.h = H_WRAP;
        r.idx = ERAVM_SLOT_WRAP;
    } else {
        r.h = H_END; /* the invalid instruction vm2 appends: costs 0, burns all */
    }
    return r;
}

/* The sequence of the longest fused handler the records from pc on start
 * (of the first n records, the ones that can be read), or NULL: the slot of
 * the first two indices (eng_pair_tab), then a pass over their sequences,
 * sorted so that the first that matches is the longest (each comes before
 * the shorter ones it extends). */
static const eng_fused_seq *fused_at(const vm_rec *r, uint32_t pc, uint32_t n)
{
    uint32_t key = ENG_PAIR_KEY(r[pc].idx, r[pc + 1].idx);
    const eng_pair *p = &eng_pair_tab[ENG_PAIR_SLOT(key)];
    if (p->key != key)
        return NULL;
    uint32_t avail = n - pc; /* at least 2 */
    for (const eng_fused_seq *s = &eng_fused_tab[p->first], *end = s + p->n; s < end; s++) {
        uint32_t k = 2;
        while (k < ENG_SEQ_MAX && s->idx[k] != ENG_NONE && k < avail && s->idx[k] == r[pc + k].idx)
            k++;
        if (k == ENG_SEQ_MAX || s->idx[k] == ENG_NONE)
            return s;
    }
    return NULL;
}

/* The handler for sequence s at records r (n of them readable from r on):
 * a keyed twin of its handler if the pass is on and r's records equal
 * its key in every field, else its fused handler. A keyed twin reads its
 * records from that const copy, the key (vm/interp.h C_REC), so it may go
 * nowhere else. */
static uint16_t fused_handler(const eng_fused_seq *s, const vm_rec *r, uint32_t n, bool keyed)
{
    if (!s->keyed || !keyed)
        return s->h;
    for (const eng_keyed_seq *k = &eng_keyed_tab[s->keyed - 1];
         k < eng_keyed_tab + eng_keyed_count && k->fused == s->h; k++) {
        uint32_t j = 0;
        while (j < k->n && j < n && rec_same_fields(&r[j], &k->recs[j]))
            j++;
        if (j == k->n)
            return k->h;
    }
    return s->h;
}

/* The superinstruction pass over one block: `starts` marks the records
 * whose variant starts a fused sequence (the generator fuses specialised
 * variants only, so a match also says the later records are specialised);
 * the longest match wins, into the handlers h[]. Sequences that leave the
 * block are given by link_blocks once the next block is decoded too. */
static void fuse(const vm_rec *recs, uint16_t *h, uint32_t n, uint64_t starts, bool keyed)
{
    for (; starts; starts &= starts - 1) {
        uint32_t i = (uint32_t)__builtin_ctzll(starts);
        if (i + 1 >= n)
            break;
        const eng_fused_seq *s = fused_at(recs, i, n);
        if (s)
            h[i] = fused_handler(s, recs + i, n - i, keyed);
    }
}

/* eravm_set_keyed_twins (relaxed: read when a program is made) */
static bool keyed_on = true;

void eravm_set_keyed_twins(bool on)
{
    __atomic_store_n(&keyed_on, on, __ATOMIC_RELAXED);
}

unsigned eravm_keyed_twins(void)
{
    return (predecode_default_passes() & VM_PASS_KEYED) ? (unsigned)eng_keyed_count : 0;
}

unsigned predecode_default_passes(void)
{
    unsigned p = 0;
#ifndef ERAVM_NO_SPECIALISE
    p |= VM_PASS_SPECIALISE;
#endif
#ifndef ERAVM_NO_FUSE
    p |= VM_PASS_FUSE;
#endif
#if !defined(ERAVM_NO_FUSE) && !defined(ERAVM_NO_KEYED)
    if (__atomic_load_n(&keyed_on, __ATOMIC_RELAXED))
        p |= VM_PASS_KEYED;
#endif
    return p;
}

/* Block b's records: every field but the handlers written in place (their
 * handlers are H_DECODE: a thread that dispatches into the block waits for
 * it, predecode_block), the handlers computed in h[], then each published
 * with a release store. */
static void decode_block(const eravm_program *p, uint32_t b)
{
    uint32_t first = b * PREDECODE_BLOCK;
    uint32_t n = p->ndec - first < PREDECODE_BLOCK ? p->ndec - first : PREDECODE_BLOCK;
    vm_rec *r = p->recs + first;
    const uint8_t *code = p->code + 8 * (size_t)first;
    uint16_t h[PREDECODE_BLOCK];
    bool spec = p->passes & VM_PASS_SPECIALISE;
    uint64_t starts = 0;
    if (spec) {
        for (uint32_t i = 0; i < n; i++) {
            uint64_t w = u256_load_be64(code + 8 * (size_t)i);
            h[i] = rec_from_word(&r[i], w, true);
            starts |= starts_fused((unsigned)(w & 0x7FF)) << i;
        }
    } else { /* the ablation without specialised handlers (one loop testing
              * spec took deploy_simple's decoding 4% more instructions) */
        for (uint32_t i = 0; i < n; i++)
            h[i] = rec_from_word(&r[i], u256_load_be64(code + 8 * (size_t)i), false);
    }
    if ((p->passes & VM_PASS_FUSE) && spec)
        fuse(r, h, n, starts, p->passes & VM_PASS_KEYED);
    for (uint32_t i = 0; i < n; i++)
        __atomic_store_n(&r[i].h, h[i], __ATOMIC_RELEASE);
}

/* The last ENG_SEQ_MAX - 1 records of block b start sequences that may run into block
 * b + 1, which decode_block cannot fuse: it may not read records that are
 * not decoded. Once both blocks are done, whichever was decoded second
 * gives them the handler an eager decode would (the longest match), with
 * a release store: a thread still running the plain handler is as right.
 * Both blocks' records are read from here on: their DONE, loaded seq_cst,
 * was stored after them.
 * Two threads finishing the pair at once may both miss it (seq_cst makes
 * at least one see the other's block done); that costs speed only. */
static void link_blocks(const eravm_program *p, uint32_t b)
{
    uint32_t end = (b + 1) * PREDECODE_BLOCK; /* the first record of block b + 1 */
    if (end >= p->ndec ||
        __atomic_load_n(&p->blocks[b], __ATOMIC_SEQ_CST) != PREDECODE_DONE ||
        __atomic_load_n(&p->blocks[b + 1], __ATOMIC_SEQ_CST) != PREDECODE_DONE)
        return;
    const vm_rec *r = p->recs;
    for (uint32_t pc = end - (ENG_SEQ_MAX - 1); pc < end; pc++) {
        if (!starts_fused(r[pc].idx))
            continue;
        const eng_fused_seq *s = fused_at(r, pc, p->ndec);
        if (s)
            __atomic_store_n(&p->recs[pc].h, fused_handler(s, r + pc, p->ndec - pc, p->passes & VM_PASS_KEYED),
                             __ATOMIC_RELEASE);
    }
}

void predecode_block(const eravm_program *p, uint32_t pc)
{
    uint32_t b = pc / PREDECODE_BLOCK;
    uint8_t *st = &p->blocks[b];
    uint8_t fresh = PREDECODE_FRESH;
    if (__atomic_compare_exchange_n(st, &fresh, PREDECODE_BUSY, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        decode_block(p, b);
        __atomic_store_n(st, PREDECODE_DONE, __ATOMIC_SEQ_CST);
        if ((p->passes & VM_PASS_FUSE) && (p->passes & VM_PASS_SPECIALISE)) {
            if (b > 0)
                link_blocks(p, b - 1);
            link_blocks(p, b);
        }
        return;
    }
    while (__atomic_load_n(st, __ATOMIC_ACQUIRE) != PREDECODE_DONE)
        __builtin_ia32_pause(); /* another thread is decoding it: a few hundred ns */
}

void predecode_all(const eravm_program *p)
{
    for (uint32_t pc = 0; pc < p->ndec; pc += PREDECODE_BLOCK)
        predecode_block(p, pc);
}

void predecode_program(eravm_program *p, unsigned passes)
{
    p->passes = passes;
    /* vm2 appends an invalid instruction, or a wrap to pc 0 when the pc
     * space is full; then the slot failing instructions jump to. */
    p->recs[p->ndec] = predecode_pseudo(p->ndec >= 65536 ? VOP_WRAP : EOP_INVALID);
    p->recs[p->ndec + 1] = predecode_pseudo(VOP_PANIC);
#ifdef ERAVM_EAGER_DECODE /* the ablation of lazy decoding */
    predecode_all(p);
#endif
}

/* ---- the records, printed (eravm disasm --predecoded, golden tests) ---- */

static const char *const handler_names[H_COUNT] = {
    [H_DECODE] = "DECODE",
#define NAME_CLASS(C) [H_GENERIC(HC_##C)] = "G_" #C,
    NAME_CLASS(INVALID) NAME_CLASS(NOP) NAME_CLASS(BINOP) NAME_CLASS(MULDIV) NAME_CLASS(JUMP)
    NAME_CLASS(PTR) NAME_CLASS(NEAR_CALL) NAME_CLASS(CTX_READ) NAME_CLASS(WORLD)
    NAME_CLASS(FAR_CALL) NAME_CLASS(RET) NAME_CLASS(HEAP_READ) NAME_CLASS(HEAP_WRITE)
    NAME_CLASS(FAT_READ)
#undef NAME_CLASS
    [H_END] = "END", [H_WRAP] = "WRAP", [H_PANIC] = "PANIC",
#define NAME_X(NAME, ...) [H_##NAME] = #NAME,
    ENGINE_SPECIALISED(NAME_X) ENGINE_FUSED(NAME_X)
#undef NAME_X
#define NAME_X(NAME, ...) [H_##NAME##_e] = #NAME "_e",
    ENGINE_FUSED(NAME_X)
#undef NAME_X
};

static void reg_name(char *buf, size_t n, unsigned r)
{
    if (r == VM_SINK)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "r%u", r);
}

void eravm_disasm_predecoded(FILE *out, const uint8_t *code, size_t len, uint32_t count)
{
    eravm_optab_init();
    eravm_program *p = eravm_program_new(code, len);
    predecode_all(p);
    if (count > p->ndec)
        count = p->ndec;
    fprintf(out, ";   pc  handler         idx  slow      src0 src1 dst0 dst1  imm0  imm1  instruction\n");
    for (uint32_t i = 0; i < count + 2; i++) {
        uint32_t pc = i < count ? i : p->ndec + (i - count);
        const vm_rec *r = &p->recs[pc];
        char text[96] = "", d0[8], d1[8];
        if (pc < p->ndec)
            eravm_disasm_insn(eravm_fetch_word(p->code, pc), NULL, NULL, text, sizeof text);
        else
            snprintf(text, sizeof text, pc == p->ndec ? "(after the code)" : "(spontaneous panic)");
        for (char *t = text; *t; t++)
            if (*t == '\t')
                *t = ' ';
        reg_name(d0, sizeof d0, r->dst0);
        reg_name(d1, sizeof d1, r->dst1);
        fprintf(out, "%6u  %-14s %4u  %08x  r%-3u r%-3u %-4s %-4s %5u %5u  %s\n", pc,
                handler_names[r->h], r->idx, r->slow, r->src0, r->src1, d0, d1, r->imm0, r->imm1,
                text);
    }
    eravm_program_free(p);
}
