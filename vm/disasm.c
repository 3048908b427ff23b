/* vm/disasm.c — instruction words to zksolc-1.5-style assembly text.
 *
 * The syntax follows what zksolc prints (../shared/spec/eravm-isa.md §4.1):
 * `mnemonic[.s][!][.cond]`, a tab, operands joined by ", ", zero offsets and
 * r0 bases left out inside brackets. Words whose fields this syntax cannot
 * carry (unused fields set, reserved bits, undefined opcodes) print as
 * `.inst 0x…` so that a whole-file listing always reassembles byte-exactly. */
#include "disasm.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "u256.h"

/* Append-formatting into a bounded buffer; len becomes -1 on overflow. */
typedef struct {
    char *buf;
    size_t n;
    int len;
} sbuf;

static void sb_printf(sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *s, const char *fmt, ...)
{
    if (s->len < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(s->buf + s->len, s->n - (size_t)s->len, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)(s->len + k) >= s->n)
        s->len = -1;
    else
        s->len += k;
}

int eravm_disasm_addr(char kind, unsigned reg, unsigned imm, const char *sym, char *buf, size_t n)
{
    sbuf s = {buf, n, 0};
    const char *pre = kind == 'p' ? "stack-=[" : kind == 'q' ? "stack+=[" : kind == 'r' ? "stack-["
                      : kind == 'a' ? "stack[" : "code[";
    sb_printf(&s, "%s", pre);
    if (kind == 'c') {
        /* zksolc: code[@CPI0_1], code[@JTI0_0+r3], code[r1+42], code[r1], code[42] */
        if (sym) {
            sb_printf(&s, "@%s", sym);
            if (reg)
                sb_printf(&s, "+r%u", reg);
        } else if (reg && imm) {
            sb_printf(&s, "r%u+%u", reg, imm);
        } else if (reg) {
            sb_printf(&s, "r%u", reg);
        } else {
            sb_printf(&s, "%u", imm);
        }
    } else {
        /* zksolc: stack-[9], stack[r1], stack[42 + r1], stack[@g + r1] */
        if (sym)
            sb_printf(&s, "@%s", sym);
        else if (imm || !reg)
            sb_printf(&s, "%u", imm);
        if (reg)
            sb_printf(&s, "%sr%u", (sym || imm) ? " + " : "", reg);
    }
    sb_printf(&s, "]");
    return s.len;
}

int eravm_disasm_mnemonic(const eravm_insn *in, char *buf, size_t n)
{
    const eravm_family *f = &eravm_families[in->op];
    sbuf s = {buf, n, 0};
    const char *name = (in->flags & OPF_VARIANT) && f->name_v ? f->name_v : f->name;
    sb_printf(&s, "%s", name);
    if (in->flags & OPF_SWAP)
        sb_printf(&s, ".s");
    if (in->flags & OPF_STATIC)
        sb_printf(&s, ".st");
    if (in->flags & OPF_SHARD)
        sb_printf(&s, ".sh");
    if (in->flags & OPF_SET_FLAGS)
        sb_printf(&s, "!");
    if (in->cond)
        sb_printf(&s, ".%s", eravm_cond_names[in->cond]);
    return s.len;
}

/* Which fields the printed form of an instruction shows. */
enum { U_SRC0 = 1, U_SRC1 = 2, U_DST0 = 4, U_DST1 = 8, U_IMM0 = 16, U_IMM1 = 32 };

static int src_uses(int mode)
{
    return mode == SRC_REG ? U_SRC0 : mode == SRC_IMM ? U_IMM0 : U_SRC0 | U_IMM0;
}

static int dst_uses(int mode)
{
    return mode == DST_REG ? U_DST0 : U_DST0 | U_IMM1;
}

static int ret_default_reg(int op)
{
    return op == EOP_RET_PANIC ? 0 : 1;
}

static int fields_used(const eravm_insn *in)
{
    const eravm_family *f = &eravm_families[in->op];
    bool v = in->flags & OPF_VARIANT;
    switch (f->ops) {
    case OPS_NONE: return 0;
    case OPS_NOP: return src_uses(in->src_mode) | U_SRC1 | dst_uses(in->dst_mode);
    case OPS_ABD: return src_uses(in->src_mode) | U_SRC1 | dst_uses(in->dst_mode);
    case OPS_ABDD: return src_uses(in->src_mode) | U_SRC1 | dst_uses(in->dst_mode) | U_DST1;
    case OPS_JUMP: return src_uses(in->src_mode) | U_DST0;
    case OPS_NEAR: return U_SRC0 | U_IMM0 | U_IMM1;
    case OPS_FAR: return U_SRC0 | U_SRC1 | U_IMM0;
    case OPS_RET: return U_SRC0 | (v ? U_IMM0 : 0);
    case OPS_OUT: return U_DST0;
    case OPS_IN: return U_SRC0;
    case OPS_KEY_OUT: return U_SRC0 | U_DST0;
    case OPS_KEY_VAL: return U_SRC0 | U_SRC1;
    case OPS_3R: return U_SRC0 | U_SRC1 | U_DST0;
    case OPS_LOAD: return src_uses(in->src_mode) | U_DST0 | (v ? U_DST1 : 0);
    case OPS_STORE: return src_uses(in->src_mode) | U_SRC1 | (v ? U_DST0 : 0);
    }
    return 0;
}

int eravm_insn_is_canonical(uint64_t word)
{
    eravm_insn in = eravm_decode(word);
    if (in.op == EOP_INVALID || (word & 0x1800))
        return 0;
    int u = fields_used(&in);
    if ((!(u & U_SRC0) && in.src0) || (!(u & U_SRC1) && in.src1) ||
        (!(u & U_DST0) && in.dst0) || (!(u & U_DST1) && in.dst1) ||
        (!(u & U_IMM0) && in.imm0) || (!(u & U_IMM1) && in.imm1))
        return 0;
    /* A panic/ok/revert label form has no spelling for a non-default register. */
    if (eravm_families[in.op].ops == OPS_RET && (in.flags & OPF_VARIANT) &&
        in.src0 != ret_default_reg(in.op))
        return 0;
    return 1;
}

static void put_src(sbuf *s, const eravm_insn *in, eravm_disasm_symfn sym, void *ctx, int imm_kind)
{
    char tmp[96];
    const char *name = NULL;
    switch (in->src_mode) {
    case SRC_REG: sb_printf(s, "r%u", in->src0); return;
    case SRC_IMM:
        if (sym && imm_kind >= 0)
            name = sym(ctx, imm_kind, in->imm0);
        if (name)
            sb_printf(s, "@%s", name);
        else
            sb_printf(s, "%u", in->imm0);
        return;
    case SRC_CODE:
        if (sym)
            name = sym(ctx, DISASM_SYM_CONST, in->imm0);
        eravm_disasm_addr('c', in->src0, in->imm0, name, tmp, sizeof tmp);
        break;
    case SRC_POP: eravm_disasm_addr('p', in->src0, in->imm0, NULL, tmp, sizeof tmp); break;
    case SRC_STACK_REL: eravm_disasm_addr('r', in->src0, in->imm0, NULL, tmp, sizeof tmp); break;
    default: eravm_disasm_addr('a', in->src0, in->imm0, NULL, tmp, sizeof tmp); break;
    }
    sb_printf(s, "%s", tmp);
}

static void put_dst(sbuf *s, const eravm_insn *in)
{
    char tmp[96];
    switch (in->dst_mode) {
    case DST_REG: sb_printf(s, "r%u", in->dst0); return;
    case DST_PUSH: eravm_disasm_addr('q', in->dst0, in->imm1, NULL, tmp, sizeof tmp); break;
    case DST_STACK_REL: eravm_disasm_addr('r', in->dst0, in->imm1, NULL, tmp, sizeof tmp); break;
    default: eravm_disasm_addr('a', in->dst0, in->imm1, NULL, tmp, sizeof tmp); break;
    }
    sb_printf(s, "%s", tmp);
}

static void put_label(sbuf *s, unsigned v, eravm_disasm_symfn sym, void *ctx)
{
    const char *name = sym ? sym(ctx, DISASM_SYM_CODE, v) : NULL;
    if (name)
        sb_printf(s, "@%s", name);
    else
        sb_printf(s, "%u", v);
}

static void put_amount(sbuf *s, unsigned reg, unsigned imm)
{
    if (reg && imm)
        sb_printf(s, "r%u+%u", reg, imm);
    else if (reg || !imm)
        sb_printf(s, "r%u", reg);
    else
        sb_printf(s, "%u", imm);
}

int eravm_disasm_insn(uint64_t word, eravm_disasm_symfn sym, void *ctx, char *buf, size_t n)
{
    sbuf s = {buf, n, 0};
    if (!eravm_insn_is_canonical(word)) {
        sb_printf(&s, ".inst\t0x%016llx", (unsigned long long)word);
        return s.len;
    }
    eravm_insn in = eravm_decode(word);
    const eravm_family *f = &eravm_families[in.op];
    char mn[48];
    eravm_disasm_mnemonic(&in, mn, sizeof mn);
    bool v = in.flags & OPF_VARIANT;

    if (f->ops == OPS_NOP) {
        /* incsp/decsp are nop with only a push or only a pop (src0/dst0 + imm). */
        bool plain = in.src1 == 0 && in.dst1 == 0;
        const char *cond = in.cond ? "." : "";
        const char *cn = eravm_cond_names[in.cond];
        if (plain && in.src_mode == SRC_REG && in.src0 == 0 && in.dst_mode == DST_REG &&
            in.dst0 == 0 && in.imm0 == 0 && in.imm1 == 0) {
            sb_printf(&s, "%s", mn);
            return s.len;
        }
        if (plain && in.src_mode == SRC_REG && in.src0 == 0 && in.imm0 == 0 &&
            in.dst_mode == DST_PUSH) {
            sb_printf(&s, "incsp%s%s\t", cond, cn);
            put_amount(&s, in.dst0, in.imm1);
            return s.len;
        }
        if (plain && in.src_mode == SRC_POP && in.dst_mode == DST_REG && in.dst0 == 0 &&
            in.imm1 == 0) {
            sb_printf(&s, "decsp%s%s\t", cond, cn);
            put_amount(&s, in.src0, in.imm0);
            return s.len;
        }
    }

    switch (f->ops) {
    case OPS_NONE:
        sb_printf(&s, "%s", mn);
        break;
    case OPS_NOP:
    case OPS_ABD:
    case OPS_ABDD:
        sb_printf(&s, "%s\t", mn);
        put_src(&s, &in, sym, ctx, -1);
        sb_printf(&s, ", r%u, ", in.src1);
        put_dst(&s, &in);
        if (f->ops == OPS_ABDD)
            sb_printf(&s, ", r%u", in.dst1);
        break;
    case OPS_JUMP:
        sb_printf(&s, "%s\t", mn);
        put_src(&s, &in, sym, ctx, DISASM_SYM_CODE);
        if (in.dst0)
            sb_printf(&s, ", r%u", in.dst0);
        break;
    case OPS_NEAR:
        sb_printf(&s, "%s\tr%u, ", mn, in.src0);
        put_label(&s, in.imm0, sym, ctx);
        sb_printf(&s, ", ");
        put_label(&s, in.imm1, sym, ctx);
        break;
    case OPS_FAR:
        sb_printf(&s, "%s\tr%u, r%u, ", mn, in.src0, in.src1);
        put_label(&s, in.imm0, sym, ctx);
        break;
    case OPS_RET:
        if (v) {
            sb_printf(&s, "%s\t", mn);
            put_label(&s, in.imm0, sym, ctx);
        } else if (in.src0 == ret_default_reg(in.op)) {
            sb_printf(&s, "%s", mn);
        } else {
            /* No zksolc spelling: use the older long form with the register. */
            const char *lng = in.op == EOP_RET_OK ? "ret.ok" : in.op == EOP_RET_REVERT
                              ? "ret.revert" : "ret.panic";
            sb_printf(&s, "%s%s%s\tr%u", lng, in.cond ? "." : "", eravm_cond_names[in.cond],
                      in.src0);
        }
        break;
    case OPS_OUT: sb_printf(&s, "%s\tr%u", mn, in.dst0); break;
    case OPS_IN: sb_printf(&s, "%s\tr%u", mn, in.src0); break;
    case OPS_KEY_OUT: sb_printf(&s, "%s\tr%u, r%u", mn, in.src0, in.dst0); break;
    case OPS_KEY_VAL: sb_printf(&s, "%s\tr%u, r%u", mn, in.src0, in.src1); break;
    case OPS_3R: sb_printf(&s, "%s\tr%u, r%u, r%u", mn, in.src0, in.src1, in.dst0); break;
    case OPS_LOAD:
        sb_printf(&s, "%s\t", mn);
        put_src(&s, &in, NULL, NULL, -1);
        sb_printf(&s, ", r%u", in.dst0);
        if (v)
            sb_printf(&s, ", r%u", in.dst1);
        break;
    case OPS_STORE:
        sb_printf(&s, "%s\t", mn);
        put_src(&s, &in, NULL, NULL, -1);
        sb_printf(&s, ", r%u", in.src1);
        if (v)
            sb_printf(&s, ", r%u", in.dst0);
        break;
    }
    return s.len;
}

/* ---- whole-file listing ------------------------------------------------ */

typedef struct {
    uint32_t ninsn;       /* instructions in the code region */
    uint32_t data_word;   /* first word of the constant region */
    uint32_t nwords;
    uint32_t shown;       /* instructions printed (trailing padding dropped) */
    uint8_t *is_target;   /* per instruction index: referenced as a code label */
    uint8_t *is_const;    /* per word: referenced by a code[] read */
    char name[32];
} listing;

static const char *listing_sym(void *vctx, int kind, unsigned value)
{
    listing *l = vctx;
    if (kind == DISASM_SYM_CODE) {
        if (value >= l->shown || !l->is_target[value])
            return NULL;
        snprintf(l->name, sizeof l->name, ".L%u", value);
        return l->name;
    }
    if (value < l->data_word || value >= l->nwords)
        return NULL;
    snprintf(l->name, sizeof l->name, "CPI_%u", value);
    return l->name;
}

void eravm_disasm_file(FILE *out, const uint8_t *code, size_t len, int flags)
{
    eravm_optab_init();
    uint32_t ninsn = (uint32_t)(len / 8);
    if (ninsn > 65536)
        ninsn = 65536; /* the PC is 16 bits; the rest is only data */
    listing l = {0};
    l.nwords = (uint32_t)(len / 32);
    l.data_word = l.nwords;
    /* Constants follow the code: the lowest word read by code[imm] marks the
     * start of the constant region (everything after it prints as .cell). */
    for (uint32_t i = 0; i < ninsn; i++) {
        uint64_t w = eravm_fetch_word(code, i);
        eravm_insn in = eravm_decode(w);
        /* a constant lies after the code that reads it (zksolc's layout) */
        if (eravm_insn_is_canonical(w) && in.src_mode == SRC_CODE &&
            eravm_families[in.op].ops != OPS_LOAD && eravm_families[in.op].ops != OPS_STORE &&
            in.imm0 < l.data_word && in.imm0 > i / 4)
            l.data_word = in.imm0;
    }
    if ((uint64_t)l.data_word * 4 < ninsn)
        ninsn = l.data_word * 4;
    l.ninsn = ninsn;
    l.is_target = calloc(ninsn + 1, 1);
    l.is_const = calloc(l.nwords + 1, 1);
    if (!l.is_target || !l.is_const) {
        fprintf(stderr, "eravm: out of memory\n");
        exit(1);
    }
    for (uint32_t i = 0; i < ninsn; i++) {
        uint64_t w = eravm_fetch_word(code, i);
        if (!eravm_insn_is_canonical(w))
            continue;
        eravm_insn in = eravm_decode(w);
        int ops = eravm_families[in.op].ops;
        if (ops == OPS_JUMP && in.src_mode == SRC_IMM && in.imm0 < ninsn)
            l.is_target[in.imm0] = 1;
        if (ops == OPS_NEAR) {
            if (in.imm0 < ninsn) l.is_target[in.imm0] = 1;
            if (in.imm1 < ninsn) l.is_target[in.imm1] = 1;
        }
        if ((ops == OPS_FAR || (ops == OPS_RET && (in.flags & OPF_VARIANT))) && in.imm0 < ninsn)
            l.is_target[in.imm0] = 1;
    }
    /* Trailing all-zero instructions inside the last code word are padding
     * the assembler adds back by itself. */
    uint32_t shown = ninsn, keep = ninsn ? (ninsn - 1) / 4 * 4 + 1 : 0;
    while (shown > keep && eravm_fetch_word(code, shown - 1) == 0)
        shown--;
    l.shown = shown;

    bool raw = flags & DISASM_RAW, labels = !(flags & DISASM_NO_LABELS);
    char text[160];
    if (!raw)
        fprintf(out, "\t.text\n");
    for (uint32_t i = 0; i < shown; i++) {
        uint64_t w = eravm_fetch_word(code, i);
        if (!raw && labels && l.is_target[i])
            fprintf(out, ".L%u:\n", i);
        eravm_disasm_insn(w, labels ? listing_sym : NULL, &l, text, sizeof text);
        if (raw) {
            for (char *p = text; *p; p++)
                if (*p == '\t')
                    *p = ' ';
            fprintf(out, "%6u  %016llx  %s\n", i, (unsigned long long)w, text);
        } else {
            fprintf(out, "\t%s\n", text);
        }
    }
    uint32_t first_word = (ninsn + 3) / 4;
    if (first_word < l.nwords) {
        if (!raw)
            fprintf(out, "\n\t.rodata\n");
        for (uint32_t wi = first_word; wi < l.nwords; wi++) {
            u256 v = u256_from_be(code + 32 * (size_t)wi);
            char dec[100];
            u256_to_dec(v, dec, sizeof dec);
            if (raw) {
                fprintf(out, "%6s  word %-6u .cell %s\n", "", wi, dec);
            } else {
                if (labels)
                    fprintf(out, "CPI_%u:\n", wi);
                fprintf(out, "\t.cell\t%s\n", dec);
            }
        }
    }
    free(l.is_target);
    free(l.is_const);
}
