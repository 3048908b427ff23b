/* vm/predecode.c — turns a program's 64-bit words into the engine's records
 * once per program: handler chosen from the generated const table
 * (vm/engine.gen.h: a specialised handler for the hot variants, the class's
 * generic one otherwise), predicate as a flags mask, r0 destinations
 * redirected to the sink register, and the superinstruction pass, which
 * gives the first record of a hot sequence its fused handler and leaves
 * every record in place (a jump into the middle lands on a plain record).
 * Reads only const tables, so programs may be built from several threads. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "disasm.h"
#include "engine.h"
#include "vm_internal.h"

#define ENGINE_GEN_TABLES /* the tables live here */
#include "engine.gen.h"

/* Bit `flags` of a record's mask is set when its predicate holds for those
 * flags (LT 1, EQ 2, GT 4), so the handler's test is one shift: always,
 * gt, lt, eq, ge, le, ne, gtlt (tests/test_predecode.c checks each). */
static const uint8_t cond_masks[8] = {0xFF, 0xF0, 0xAA, 0xCC, 0xFC, 0xEE, 0x33, 0xFA};

/* One record from one word, as two 8-byte stores of fields computed with
 * shifts and masks: programs are decoded inside transactions (the full
 * tier's system contracts), so this is on the clock. */
static inline void rec_from_word(vm_rec *r, uint64_t w, unsigned passes)
{
    unsigned index = (unsigned)(w & 0x7FF);
    const eng_index_entry *e = &eng_index_tab[index];
    uint32_t n = (uint32_t)(w >> 16) & 0xFFFF; /* src0 src1 dst0 dst1, a nibble each */
    uint32_t s0 = n & 15, s1 = (n >> 4) & 15, d0 = (n >> 8) & 15, d1 = n >> 12;
    /* r0 as a written register becomes the sink; stack destinations address
     * through dst0, so only register-mode dst0 moves */
    d0 |= (uint32_t)(d0 == 0 && e->dst_mode == DST_REG) << 4;
    d1 |= (uint32_t)(d1 == 0) << 4;
    uint32_t h = (passes & VM_PASS_SPECIALISE) && e->spec ? e->spec : e->hclass;
    /* the invalid opcode ignores its predicate */
    uint32_t cmask = e->op == EOP_INVALID ? 0xFF : cond_masks[(w >> 13) & 7];
    uint32_t rmask = 1u << s1 | (uint32_t)(e->src_mode == SRC_REG) << s0;
    uint64_t lo = h | cmask << 16 | (uint32_t)e->fl << 24 |
                  (uint64_t)(s0 | s1 << 8 | d0 << 16 | d1 << 24) << 32;
    uint64_t hi = (uint32_t)(w >> 32) | (uint64_t)(index | rmask << 16) << 32;
    _Static_assert(sizeof(vm_rec) == 16 && offsetof(vm_rec, src0) == 4 &&
                       offsetof(vm_rec, imm0) == 8 && offsetof(vm_rec, idx) == 12 &&
                       offsetof(vm_rec, rmask) == 14,
                   "vm_rec layout (little-endian host)");
    memcpy(r, &lo, 8);
    memcpy((uint8_t *)r + 8, &hi, 8);
}

vm_rec predecode_pseudo(int op)
{
    vm_rec r;
    memset(&r, 0, sizeof r);
    r.cmask = 0xFF;
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

/* The fused handler for the sequence a, b[, c] (c = ENG_NONE for pairs),
 * or 0: a scan of the few sequences that start with a. */
static uint16_t fused_lookup(unsigned a, unsigned b, unsigned c)
{
    const eng_index_entry *e = &eng_index_tab[a];
    for (unsigned k = 0; k < e->nfused; k++) {
        const eng_fused_seq *s = &eng_fused_tab[e->fused + k];
        if (s->b == b && s->c == c)
            return s->h;
    }
    return 0;
}

/* A record may start or continue a fused sequence only with its specialised
 * handler (the generator fuses specialised variants only). */
static bool fusable(const vm_rec *r)
{
    static const unsigned nspec = H_FUSED_FIRST - H_SPECIALISED_FIRST;
    return (unsigned)(r->h - H_SPECIALISED_FIRST) < nspec;
}

static void fuse(vm_rec *recs, uint32_t n)
{
    for (uint32_t i = 0; i + 1 < n; i++) {
        if (!fusable(&recs[i]) || !fusable(&recs[i + 1]))
            continue;
        if (!eng_index_tab[recs[i].idx].nfused)
            continue;
        uint16_t h = 0;
        if (i + 2 < n && fusable(&recs[i + 2]))
            h = fused_lookup(recs[i].idx, recs[i + 1].idx, recs[i + 2].idx);
        if (!h)
            h = fused_lookup(recs[i].idx, recs[i + 1].idx, ENG_NONE);
        if (h)
            recs[i].h = h;
    }
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
    return p;
}

void predecode_program(eravm_program *p, unsigned passes)
{
    for (uint32_t i = 0; i < p->ndec; i++)
        rec_from_word(&p->recs[i], u256_load_be64(p->code + 8 * (size_t)i), passes);
    /* vm2 appends an invalid instruction, or a wrap to pc 0 when the pc
     * space is full; then the slot failing instructions jump to. */
    p->recs[p->ndec] = predecode_pseudo(p->ndec >= 65536 ? VOP_WRAP : EOP_INVALID);
    p->recs[p->ndec + 1] = predecode_pseudo(VOP_PANIC);
    if ((passes & VM_PASS_FUSE) && (passes & VM_PASS_SPECIALISE))
        fuse(p->recs, p->ndec);
}

/* ---- the records, printed (eravm disasm --predecoded, golden tests) ---- */

static const char *const handler_names[H_COUNT] = {
    [HC_INVALID] = "G_INVALID", [HC_NOP] = "G_NOP", [HC_BINOP] = "G_BINOP",
    [HC_MULDIV] = "G_MULDIV", [HC_JUMP] = "G_JUMP", [HC_PTR] = "G_PTR",
    [HC_NEAR_CALL] = "G_NEAR_CALL", [HC_CTX_READ] = "G_CTX_READ", [HC_WORLD] = "G_WORLD",
    [HC_FAR_CALL] = "G_FAR_CALL", [HC_RET] = "G_RET", [HC_HEAP_READ] = "G_HEAP_READ",
    [HC_HEAP_WRITE] = "G_HEAP_WRITE", [HC_FAT_READ] = "G_FAT_READ",
    [H_END] = "END", [H_WRAP] = "WRAP", [H_PANIC] = "PANIC",
#define NAME_X(NAME, ...) [H_##NAME] = #NAME,
    ENGINE_SPECIALISED(NAME_X) ENGINE_FUSED(NAME_X)
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
    if (count > p->ndec)
        count = p->ndec;
    fprintf(out, ";   pc  handler         idx  cmask fl rmask src0 src1 dst0 dst1  imm0  imm1  instruction\n");
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
        fprintf(out, "%6u  %-14s %4u  %02x   %02x %04x  r%-3u r%-3u %-4s %-4s %5u %5u  %s\n", pc,
                handler_names[r->h], r->idx, r->cmask, r->fl, r->rmask, r->src0, r->src1, d0, d1,
                r->imm0, r->imm1, text);
    }
    eravm_program_free(p);
}
