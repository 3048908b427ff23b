/* vm/asm.c — the `.zasm` assembler: parses zksolc 1.5 assembly (current short
 * mnemonics and the older LLVM long forms), resolves labels and lays out the
 * bytecode as the compiler does: instructions, zero padding to a whole word,
 * one word per .rodata `.cell`, then one zero word if the count is even.
 *
 * Label values (../shared/spec/eravm-isa.md §4.1): code labels are
 * instruction indices over all .text sections; .rodata labels are word
 * indices (code words + cell index); .data labels are stack-slot indices.
 * Mnemonics and operand signatures come from vm/opcodes.def. */
#include "asm.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opcode.h"
#include "u256.h"
#include "xalloc.h"

#define ASM_MAX_INSNS 65536u
#define ASM_MAX_WORDS 65535u

/* ---- mnemonic table, generated from the opcode table -------------------- */

typedef struct {
    char name[48];
    uint8_t op;
    uint8_t variant;
} asm_alias;

static asm_alias *asm_aliases;
static size_t asm_naliases;

static void alias_add(const char *name, size_t len, int op, int variant)
{
    asm_alias *a = &asm_aliases[asm_naliases++];
    if (len >= sizeof a->name)
        len = sizeof a->name - 1;
    memcpy(a->name, name, len);
    a->name[len] = 0;
    a->op = (uint8_t)op;
    a->variant = (uint8_t)variant;
}

static void alias_add_list(const char *list, int op, int variant)
{
    if (!list)
        return;
    while (*list) {
        const char *bar = strchr(list, '|');
        size_t len = bar ? (size_t)(bar - list) : strlen(list);
        alias_add(list, len, op, variant);
        list += len + (bar ? 1 : 0);
    }
}

static void aliases_init(void)
{
    if (asm_aliases)
        return;
    eravm_optab_init();
    asm_aliases = xcalloc(16 * EOP_COUNT, sizeof *asm_aliases);
    for (int op = 1; op < EOP_COUNT; op++) {
        const eravm_family *f = &eravm_families[op];
        alias_add(f->name, strlen(f->name), op, 0);
        if (f->name_v)
            alias_add(f->name_v, strlen(f->name_v), op, 1);
        alias_add_list(f->long_names, op, 0);
        alias_add_list(f->long_names_v, op, 1);
    }
}

static const asm_alias *alias_find(const char *name, size_t len)
{
    for (size_t i = 0; i < asm_naliases; i++)
        if (strlen(asm_aliases[i].name) == len && memcmp(asm_aliases[i].name, name, len) == 0)
            return &asm_aliases[i];
    return NULL;
}

/* ---- parser state -------------------------------------------------------- */

enum { SEC_TEXT, SEC_RODATA, SEC_DATA, SEC_OTHER };

/* An immediate expression: constant plus at most one symbol. */
typedef struct {
    long value;
    char *sym;    /* NULL if none */
    int sym_col;
} asm_expr;

enum { OPK_REG, OPK_IMM, OPK_POP, OPK_PUSH, OPK_REL, OPK_ABS, OPK_CODE };

typedef struct {
    int kind;
    int reg;
    bool reg_sum; /* "rX+imm" outside brackets (incsp/decsp only) */
    asm_expr e;
    int col;
} asm_operand;

/* One instruction or cell waiting for its symbols. */
typedef struct {
    uint64_t word;   /* everything but the symbol-dependent immediates */
    asm_expr imm0, imm1;
    bool has_imm0, has_imm1;
    int line, col;
} asm_item;

typedef struct {
    u256 value;
    asm_expr sym; /* .cell @label[+n] */
    bool is_sym;
    int line, col;
} asm_cell;

typedef struct {
    const char *file;
    int line;
    char *err;
    size_t errn;
    bool failed;
    int section;
    asm_item *items;
    size_t nitems, capitems;
    asm_cell *cells;
    size_t ncells, capcells;
    uint32_t ndata;
    eravm_asm_sym *syms;
    size_t nsyms, capsyms;
    int *sym_line;
    uint32_t *sym_index; /* open addressing over syms: index + 1, 0 = empty */
    size_t sym_icap;     /* a power of two, at least twice nsyms */
} asm_state;

static void asm_error(asm_state *st, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void asm_error(asm_state *st, int col, const char *fmt, ...)
{
    if (st->failed)
        return;
    st->failed = true;
    int k = snprintf(st->err, st->errn, "%s:%d:%d: error: ", st->file, st->line, col);
    if (k < 0 || (size_t)k >= st->errn)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->err + k, st->errn - (size_t)k, fmt, ap);
    va_end(ap);
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    void *q = xrealloc(p, nc * elem);
    *cap = nc;
    return q;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static bool is_sym_char(int c)
{
    return isalnum(c) || c == '_' || c == '.' || c == '$';
}

static uint32_t sym_hash(const char *name, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    return h;
}

/* The slot of `name` in the index: where it is, or the empty slot it would take. */
static size_t sym_slot(const asm_state *st, const char *name, size_t len)
{
    size_t mask = st->sym_icap - 1, i = sym_hash(name, len) & mask;
    while (st->sym_index[i]) {
        const char *other = st->syms[st->sym_index[i] - 1].name;
        if (strlen(other) == len && memcmp(other, name, len) == 0)
            break;
        i = (i + 1) & mask;
    }
    return i;
}

/* A hash index, not a scan: sources with tens of thousands of labels are real
 * (zksolc output of large contracts) and a scan made them quadratic. */
static void sym_index_grow(asm_state *st)
{
    free(st->sym_index);
    st->sym_icap = st->sym_icap ? st->sym_icap * 2 : 256;
    st->sym_index = xcalloc(st->sym_icap, sizeof *st->sym_index);
    for (size_t k = 0; k < st->nsyms; k++) {
        const char *name = st->syms[k].name;
        st->sym_index[sym_slot(st, name, strlen(name))] = (uint32_t)k + 1;
    }
}

static const eravm_asm_sym *find_sym(const asm_state *st, const char *name)
{
    if (!st->sym_icap)
        return NULL;
    uint32_t k = st->sym_index[sym_slot(st, name, strlen(name))];
    return k ? &st->syms[k - 1] : NULL;
}

static void define_label(asm_state *st, const char *name, size_t len, int col)
{
    if (2 * (st->nsyms + 1) > st->sym_icap)
        sym_index_grow(st);
    size_t slot = sym_slot(st, name, len);
    if (st->sym_index[slot]) {
        asm_error(st, col, "duplicate label '%.*s' (first defined on line %d)", (int)len, name,
                  st->sym_line[st->sym_index[slot] - 1]);
        return;
    }
    size_t cap = st->capsyms;
    st->syms = grow(st->syms, &st->capsyms, st->nsyms + 1, sizeof *st->syms);
    st->sym_line = grow(st->sym_line, &cap, st->nsyms + 1, sizeof *st->sym_line);
    eravm_asm_sym *s = &st->syms[st->nsyms];
    s->name = xstrndup(name, len);
    if (st->section == SEC_RODATA) {
        s->kind = ASM_SYM_CONST;
        s->value = (uint32_t)st->ncells; /* word index fixed up once code size is known */
    } else if (st->section == SEC_DATA) {
        s->kind = ASM_SYM_DATA;
        s->value = st->ndata;
    } else {
        s->kind = ASM_SYM_CODE;
        s->value = (uint32_t)st->nitems;
    }
    st->sym_line[st->nsyms] = st->line;
    st->sym_index[slot] = (uint32_t)++st->nsyms;
}

/* ---- lexing helpers ------------------------------------------------------- */

typedef struct {
    const char *s; /* the line */
    size_t pos, len;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->pos < c->len && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t'))
        c->pos++;
}

static int parse_reg(const char *s, size_t len)
{
    if (len < 2 || len > 3 || s[0] != 'r' || !isdigit((unsigned char)s[1]))
        return -1;
    int v = 0;
    for (size_t i = 1; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= 15 && !(len == 3 && s[1] == '0') ? v : -1;
}

static bool parse_number(const char *s, size_t len, long *out)
{
    u256 v;
    if (len > 0 && s[0] == '#') { /* older Rust syntax allows #imm */
        s++;
        len--;
    }
    if (!u256_parse(s, len, &v) || !u256_fits_u32(v))
        return false;
    *out = (long)u256_low32(v);
    return true;
}

/* Parses "a + b + …" where each term is a number, @symbol or register.
 * Writes the register (or 0) to *reg; a second register is an error. */
static bool parse_expr(asm_state *st, const char *s, size_t len, int col0, asm_expr *e, int *reg,
                       bool allow_reg)
{
    e->value = 0;
    e->sym = NULL;
    e->sym_col = col0; /* the expression's column until a symbol names a better one */
    if (reg)
        *reg = 0;
    bool have_reg = false;
    size_t i = 0;
    if (len == 0) {
        asm_error(st, col0, "empty operand");
        return false;
    }
    while (i <= len) {
        size_t j = i;
        while (j < len && s[j] != '+')
            j++;
        size_t a = i, b = j;
        while (a < b && isspace((unsigned char)s[a]))
            a++;
        while (b > a && isspace((unsigned char)s[b - 1]))
            b--;
        int col = col0 + (int)a;
        if (a == b) {
            asm_error(st, col, "missing term in '%.*s'", (int)len, s);
            return false;
        }
        int r = parse_reg(s + a, b - a);
        long num;
        if (r >= 0) {
            if (!allow_reg || have_reg) {
                asm_error(st, col, "unexpected register '%.*s'", (int)(b - a), s + a);
                return false;
            }
            have_reg = true;
            *reg = r;
        } else if (s[a] == '@') {
            for (size_t k = a + 1; k < b; k++) {
                if (!is_sym_char((unsigned char)s[k])) {
                    asm_error(st, col, "bad symbol '%.*s'", (int)(b - a), s + a);
                    return false;
                }
            }
            if (e->sym || b - a < 2) {
                asm_error(st, col, "bad symbol reference '%.*s'", (int)(b - a), s + a);
                return false;
            }
            e->sym = xstrndup(s + a + 1, b - a - 1);
            e->sym_col = col;
        } else if (parse_number(s + a, b - a, &num)) {
            e->value += num;
            if (e->value > 0xFFFFFFFFL) {
                asm_error(st, col, "immediate out of range");
                return false;
            }
        } else {
            asm_error(st, col, "bad operand term '%.*s'", (int)(b - a), s + a);
            return false;
        }
        i = j + 1;
    }
    return true;
}

/* Parses one operand (text s of length len starting at column col). */
static bool parse_operand(asm_state *st, const char *s, size_t len, int col, asm_operand *op)
{
    memset(op, 0, sizeof *op);
    op->col = col;
    int r = parse_reg(s, len);
    if (r >= 0) {
        op->kind = OPK_REG;
        op->reg = r;
        return true;
    }
    const char *lb = memchr(s, '[', len);
    if (lb) {
        if (s[len - 1] != ']') {
            asm_error(st, col, "missing ']' in '%.*s'", (int)len, s);
            return false;
        }
        size_t plen = (size_t)(lb - s);
        struct { const char *p; int kind; } prefixes[] = {
            {"stack-=", OPK_POP}, {"stack+=", OPK_PUSH}, {"stack-", OPK_REL},
            {"stack=", OPK_ABS},  {"stack", OPK_ABS},    {"code", OPK_CODE},
        };
        int kind = -1;
        for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
            size_t pl = strlen(prefixes[k].p);
            if (plen == pl && memcmp(s, prefixes[k].p, pl) == 0) {
                kind = prefixes[k].kind;
                break;
            }
        }
        char *presym = NULL;
        int presym_col = 0;
        if (kind < 0 && plen >= 2 && s[0] == '@') {
            /* older spelling of a code constant: @SYM[rX+imm] */
            for (size_t k = 1; k < plen; k++)
                if (!is_sym_char((unsigned char)s[k]))
                    goto bad;
            kind = OPK_CODE;
            presym = xstrndup(s + 1, plen - 1);
            presym_col = col;
        }
        if (kind < 0)
            goto bad;
        op->kind = kind;
        size_t inner = plen + 1;
        if (!parse_expr(st, s + inner, len - inner - 1, col + (int)inner, &op->e, &op->reg, true)) {
            free(presym);
            return false;
        }
        if (presym) {
            if (op->e.sym) {
                asm_error(st, col, "two symbols in one operand");
                free(presym);
                return false;
            }
            op->e.sym = presym;
            op->e.sym_col = presym_col;
        }
        return true;
    }
    if (isdigit((unsigned char)s[0]) || s[0] == '@' || s[0] == '#') {
        op->kind = OPK_IMM;
        return parse_expr(st, s, len, col, &op->e, NULL, false);
    }
    if (s[0] == 'r' && memchr(s, '+', len)) {
        /* "rX+imm": the amount of incsp/decsp */
        op->kind = OPK_IMM;
        op->reg_sum = true;
        return parse_expr(st, s, len, col, &op->e, &op->reg, true);
    }
bad:
    asm_error(st, col, "bad operand '%.*s'", (int)len, s);
    return false;
}

/* ---- instruction assembly ------------------------------------------------- */

static const char *const opk_names[] = {"register", "immediate", "stack-=[...]", "stack+=[...]",
                                        "stack-[...]", "stack[...]", "code[...]"};

static int src_mode_of(int kind)
{
    switch (kind) {
    case OPK_REG: return SRC_REG;
    case OPK_IMM: return SRC_IMM;
    case OPK_POP: return SRC_POP;
    case OPK_REL: return SRC_STACK_REL;
    case OPK_ABS: return SRC_STACK_ABS;
    case OPK_CODE: return SRC_CODE;
    default: return -1;
    }
}

static int dst_mode_of(int kind)
{
    switch (kind) {
    case OPK_REG: return DST_REG;
    case OPK_PUSH: return DST_PUSH;
    case OPK_REL: return DST_STACK_REL;
    case OPK_ABS: return DST_STACK_ABS;
    default: return -1;
    }
}

typedef struct {
    eravm_insn in;
    asm_expr imm0, imm1;
    bool has_imm0, has_imm1;
    int src_mode, dst_mode;
} insn_build;

static bool want_reg(asm_state *st, const char *mn, asm_operand *o, uint8_t *field)
{
    if (o->kind != OPK_REG) {
        asm_error(st, o->col, "'%s' expects a register here, not %s", mn, opk_names[o->kind]);
        return false;
    }
    *field = (uint8_t)o->reg;
    return true;
}

static bool no_reg_sum(asm_state *st, const asm_operand *o)
{
    if (o->reg_sum)
        asm_error(st, o->col, "register + immediate is only an incsp/decsp amount; use a bracket");
    return !o->reg_sum;
}

static bool set_src(asm_state *st, const char *mn, asm_operand *o, insn_build *b, bool any)
{
    if (!no_reg_sum(st, o))
        return false;
    int m = src_mode_of(o->kind);
    if (m < 0 || (!any && m != SRC_REG && m != SRC_IMM)) {
        asm_error(st, o->col, "bad operand mode for '%s': %s cannot be a source", mn,
                  opk_names[o->kind]);
        return false;
    }
    b->src_mode = m;
    b->in.src0 = (uint8_t)o->reg;
    if (m != SRC_REG) {
        b->imm0 = o->e;
        o->e.sym = NULL;
        b->has_imm0 = true;
    }
    return true;
}

static bool set_dst(asm_state *st, const char *mn, asm_operand *o, insn_build *b)
{
    int m = dst_mode_of(o->kind);
    if (m < 0) {
        asm_error(st, o->col, "bad operand mode for '%s': %s cannot be a destination", mn,
                  opk_names[o->kind]);
        return false;
    }
    b->dst_mode = m;
    b->in.dst0 = (uint8_t)o->reg;
    if (m != DST_REG) {
        b->imm1 = o->e;
        o->e.sym = NULL;
        b->has_imm1 = true;
    }
    return true;
}

static bool want_imm(asm_state *st, const char *mn, asm_operand *o, asm_expr *e, bool *has)
{
    if (!no_reg_sum(st, o))
        return false;
    if (o->kind != OPK_IMM) {
        asm_error(st, o->col, "'%s' expects a label or immediate here, not %s", mn,
                  opk_names[o->kind]);
        return false;
    }
    *e = o->e;
    o->e.sym = NULL;
    *has = true;
    return true;
}

/* "N", "rX" or "rX+N" for incsp/decsp. */
static bool parse_amount(asm_state *st, asm_operand *o, uint8_t *reg, asm_expr *e, bool *has)
{
    if (o->kind == OPK_REG) {
        *reg = (uint8_t)o->reg;
        return true;
    }
    if (o->kind != OPK_IMM) {
        asm_error(st, o->col, "bad stack adjustment operand");
        return false;
    }
    *reg = (uint8_t)o->reg;
    *e = o->e;
    o->e.sym = NULL;
    *has = true;
    return true;
}

static bool count_ok(asm_state *st, const char *mn, int n, int lo, int hi, int col)
{
    if (n < lo || n > hi) {
        if (lo == hi)
            asm_error(st, col, "'%s' takes %d operand%s, got %d", mn, lo, lo == 1 ? "" : "s", n);
        else
            asm_error(st, col, "'%s' takes %d to %d operands, got %d", mn, lo, hi, n);
        return false;
    }
    return true;
}

static bool parse_mnemonic(asm_state *st, const char *mn, int col, int *op, int *flags, int *cond,
                           int *special)
{
    char buf[64];
    size_t n = strlen(mn);
    *flags = 0;
    *cond = 0;
    *special = 0;
    if (n >= sizeof buf) {
        asm_error(st, col, "unknown mnemonic '%s'", mn);
        return false;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (mn[i] == '!')
            *flags |= OPF_SET_FLAGS;
        else
            buf[k++] = mn[i];
    }
    buf[k] = 0;
    /* component boundaries */
    size_t starts[16], ncomp = 0;
    starts[ncomp++] = 0;
    for (size_t i = 0; i < k && ncomp < 16; i++)
        if (buf[i] == '.')
            starts[ncomp++] = i + 1;
    size_t used = 0;
    const asm_alias *a = NULL;
    for (size_t c = ncomp; c >= 1 && !a; c--) {
        size_t len = c < ncomp ? starts[c] - 1 : k;
        if (c == 1 && (strncmp(buf, "incsp", len) == 0 || strncmp(buf, "decsp", len) == 0) &&
            len == 5) {
            *special = buf[0] == 'i' ? 1 : 2;
            *op = EOP_NOP;
            used = 1;
            break;
        }
        a = alias_find(buf, len);
        if (a)
            used = c;
    }
    if (!a && !*special) {
        asm_error(st, col, "unknown mnemonic '%s'", mn);
        return false;
    }
    if (a) {
        *op = a->op;
        if (a->variant)
            *flags |= OPF_VARIANT;
    }
    for (size_t c = used; c < ncomp; c++) {
        size_t end = c + 1 < ncomp ? starts[c + 1] - 1 : k;
        const char *m = buf + starts[c];
        size_t ml = end - starts[c];
        int cd = -1;
        for (int q = 1; q < 8; q++)
            if (strlen(eravm_cond_names[q]) == ml && memcmp(eravm_cond_names[q], m, ml) == 0)
                cd = q;
        if (cd > 0) {
            if (*cond) {
                asm_error(st, col, "two conditions in '%s'", mn);
                return false;
            }
            *cond = cd;
        } else if (ml == 1 && m[0] == 's') {
            *flags |= OPF_SWAP;
        } else if ((ml == 2 && !memcmp(m, "st", 2)) || (ml == 6 && !memcmp(m, "static", 6))) {
            *flags |= OPF_STATIC;
        } else if ((ml == 2 && !memcmp(m, "sh", 2)) || (ml == 5 && !memcmp(m, "shard", 5))) {
            *flags |= OPF_SHARD;
        } else if ((ml == 3 && !memcmp(m, "inc", 3)) || (ml == 5 && !memcmp(m, "first", 5)) ||
                   (ml == 8 && !memcmp(m, "to_label", 8))) {
            *flags |= OPF_VARIANT;
        } else {
            asm_error(st, col, "unknown modifier '.%.*s' in '%s'", (int)ml, m, mn);
            return false;
        }
    }
    return true;
}

static void expr_free(asm_expr *e)
{
    free(e->sym);
    e->sym = NULL;
}

static void assemble_insn(asm_state *st, const char *mn, int mn_col, asm_operand *ops, int nops,
                          int end_col)
{
    int op, flags, cond, special;
    if (!parse_mnemonic(st, mn, mn_col, &op, &flags, &cond, &special))
        return;
    const eravm_family *f = &eravm_families[op];
    insn_build b;
    memset(&b, 0, sizeof b);
    b.in.cond = (uint8_t)cond;
    bool v = flags & OPF_VARIANT;
    int c0 = nops ? ops[0].col : end_col;
    bool ok = true;

    if (special) { /* incsp / decsp */
        if (!count_ok(st, mn, nops, 1, 1, c0))
            return;
        if (special == 1) {
            b.dst_mode = DST_PUSH;
            ok = parse_amount(st, &ops[0], &b.in.dst0, &b.imm1, &b.has_imm1);
        } else {
            b.src_mode = SRC_POP;
            ok = parse_amount(st, &ops[0], &b.in.src0, &b.imm0, &b.has_imm0);
        }
    } else {
        switch (f->ops) {
        case OPS_NONE:
            ok = count_ok(st, mn, nops, 0, 0, c0);
            break;
        case OPS_NOP:
            if (nops == 0)
                break;
            if (nops == 1) { /* older `nop stack+=[…]` / `nop stack-=[…]` */
                if (ops[0].kind == OPK_PUSH)
                    ok = set_dst(st, mn, &ops[0], &b);
                else if (ops[0].kind == OPK_POP)
                    ok = set_src(st, mn, &ops[0], &b, true);
                else {
                    asm_error(st, c0, "'nop' with one operand takes stack+=[...] or stack-=[...]");
                    ok = false;
                }
                break;
            }
            /* nop A, rB, D: the same operands as add */
            __attribute__((fallthrough));
        case OPS_ABD:
        case OPS_ABDD: {
            int want = f->ops == OPS_ABDD ? 4 : 3;
            ok = count_ok(st, mn, nops, want, want, c0) && set_src(st, mn, &ops[0], &b, true) &&
                 want_reg(st, mn, &ops[1], &b.in.src1) && set_dst(st, mn, &ops[2], &b) &&
                 (want == 3 || want_reg(st, mn, &ops[3], &b.in.dst1));
            break;
        }
        case OPS_JUMP:
            ok = count_ok(st, mn, nops, 1, 2, c0) && set_src(st, mn, &ops[0], &b, true) &&
                 (nops == 1 || want_reg(st, mn, &ops[1], &b.in.dst0));
            break;
        case OPS_NEAR:
            ok = count_ok(st, mn, nops, 2, 3, c0);
            if (ok && nops == 3)
                ok = want_reg(st, mn, &ops[0], &b.in.src0);
            if (ok)
                ok = want_imm(st, mn, &ops[nops - 2], &b.imm0, &b.has_imm0) &&
                     want_imm(st, mn, &ops[nops - 1], &b.imm1, &b.has_imm1);
            break;
        case OPS_FAR:
            ok = count_ok(st, mn, nops, 3, 3, c0) && want_reg(st, mn, &ops[0], &b.in.src0) &&
                 want_reg(st, mn, &ops[1], &b.in.src1) &&
                 want_imm(st, mn, &ops[2], &b.imm0, &b.has_imm0);
            break;
        case OPS_RET:
            b.in.src0 = op == EOP_RET_PANIC ? 0 : 1;
            if (v) {
                ok = count_ok(st, mn, nops, 1, 2, c0) &&
                     (nops == 1 || want_reg(st, mn, &ops[0], &b.in.src0)) &&
                     want_imm(st, mn, &ops[nops - 1], &b.imm0, &b.has_imm0);
            } else {
                ok = count_ok(st, mn, nops, 0, 1, c0) &&
                     (nops == 0 || want_reg(st, mn, &ops[0], &b.in.src0));
            }
            break;
        case OPS_OUT:
            ok = count_ok(st, mn, nops, 1, 1, c0) && want_reg(st, mn, &ops[0], &b.in.dst0);
            break;
        case OPS_IN:
            ok = count_ok(st, mn, nops, 1, 1, c0) && want_reg(st, mn, &ops[0], &b.in.src0);
            break;
        case OPS_KEY_OUT:
            ok = count_ok(st, mn, nops, 2, 2, c0) && want_reg(st, mn, &ops[0], &b.in.src0) &&
                 want_reg(st, mn, &ops[1], &b.in.dst0);
            break;
        case OPS_KEY_VAL:
            ok = count_ok(st, mn, nops, 2, 2, c0) && want_reg(st, mn, &ops[0], &b.in.src0) &&
                 want_reg(st, mn, &ops[1], &b.in.src1);
            break;
        case OPS_3R:
            ok = count_ok(st, mn, nops, 3, 3, c0) && want_reg(st, mn, &ops[0], &b.in.src0) &&
                 want_reg(st, mn, &ops[1], &b.in.src1) && want_reg(st, mn, &ops[2], &b.in.dst0);
            break;
        case OPS_LOAD:
        case OPS_STORE: {
            int want = v ? 3 : 2;
            bool imm_ok = f->shape == SHAPE_HEAP || f->shape == SHAPE_STMEM;
            ok = count_ok(st, mn, nops, want, want, c0);
            if (ok && ops[0].kind == OPK_IMM && !imm_ok) {
                asm_error(st, ops[0].col, "bad operand mode for '%s': immediate not allowed", mn);
                ok = false;
            }
            ok = ok && set_src(st, mn, &ops[0], &b, false);
            if (ok && f->ops == OPS_LOAD)
                ok = want_reg(st, mn, &ops[1], &b.in.dst0) &&
                     (!v || want_reg(st, mn, &ops[2], &b.in.dst1));
            else if (ok)
                ok = want_reg(st, mn, &ops[1], &b.in.src1) &&
                     (!v || want_reg(st, mn, &ops[2], &b.in.dst0));
            break;
        }
        }
    }
    if (!ok) {
        expr_free(&b.imm0);
        expr_free(&b.imm1);
        return;
    }
    int idx = eravm_encode_index(op, b.src_mode, b.dst_mode, flags);
    if (idx < 0) {
        asm_error(st, mn_col, "'%s': no such form of %s (modifier or operand mode not allowed)", mn,
                  f->name);
        expr_free(&b.imm0);
        expr_free(&b.imm1);
        return;
    }
    if (st->nitems >= ASM_MAX_INSNS) {
        asm_error(st, mn_col, "more than %u instructions", ASM_MAX_INSNS);
        expr_free(&b.imm0);
        expr_free(&b.imm1);
        return;
    }
    b.in.index = (uint16_t)idx;
    st->items = grow(st->items, &st->capitems, st->nitems + 1, sizeof *st->items);
    asm_item *it = &st->items[st->nitems++];
    it->word = eravm_encode(&b.in);
    it->imm0 = b.imm0;
    it->imm1 = b.imm1;
    it->has_imm0 = b.has_imm0;
    it->has_imm1 = b.has_imm1;
    it->line = st->line;
    it->col = mn_col;
}

/* ---- directives ----------------------------------------------------------- */

static void add_cell(asm_state *st, const char *s, size_t len, int col)
{
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0) {
        asm_error(st, col, ".cell needs a value");
        return;
    }
    if (st->section == SEC_DATA) {
        st->ndata++; /* .data cells are stack slots, not bytecode */
        return;
    }
    if (st->section != SEC_RODATA) {
        asm_error(st, col, ".cell outside .rodata/.data");
        return;
    }
    asm_cell cell;
    memset(&cell, 0, sizeof cell);
    cell.line = st->line;
    cell.col = col;
    if (s[0] == '@') {
        int reg;
        if (!parse_expr(st, s, len, col, &cell.sym, &reg, false))
            return;
        cell.is_sym = true;
    } else {
        bool neg = s[0] == '-';
        u256 v;
        if (!u256_parse(s + neg, len - neg, &v)) {
            asm_error(st, col, "bad .cell value '%.*s'", (int)len, s);
            return;
        }
        cell.value = neg ? u256_neg(v) : v;
    }
    st->cells = grow(st->cells, &st->capcells, st->ncells + 1, sizeof *st->cells);
    st->cells[st->ncells++] = cell;
}

static void directive(asm_state *st, const char *d, size_t dl, const char *rest, size_t rl, int col,
                      int rest_col)
{
#define IS(x) (dl == sizeof(x) - 1 && memcmp(d, x, dl) == 0)
    if (IS(".text")) {
        st->section = SEC_TEXT;
    } else if (IS(".rodata")) {
        st->section = SEC_RODATA;
    } else if (IS(".data") || IS(".bss")) {
        st->section = SEC_DATA;
    } else if (IS(".section")) {
        size_t i = 0;
        while (i < rl && (rest[i] == '"' || isspace((unsigned char)rest[i])))
            i++;
        if (rl - i >= 5 && !memcmp(rest + i, ".text", 5))
            st->section = SEC_TEXT;
        else if (rl - i >= 7 && !memcmp(rest + i, ".rodata", 7))
            st->section = SEC_RODATA;
        else if (rl - i >= 5 && !memcmp(rest + i, ".data", 5))
            st->section = SEC_DATA;
        else
            st->section = SEC_OTHER;
    } else if (IS(".cell")) {
        add_cell(st, rest, rl, rest_col);
    } else if (IS(".inst")) {
        /* our own directive: one raw 8-byte instruction word (disassembler output) */
        u256 v;
        while (rl && isspace((unsigned char)rest[rl - 1]))
            rl--;
        if (st->section != SEC_TEXT || !u256_parse(rest, rl, &v) || !u256_fits_u64(v)) {
            asm_error(st, rest_col, "bad .inst (want a 64-bit value in .text)");
            return;
        }
        if (st->nitems >= ASM_MAX_INSNS) {
            asm_error(st, col, "more than %u instructions", ASM_MAX_INSNS);
            return;
        }
        st->items = grow(st->items, &st->capitems, st->nitems + 1, sizeof *st->items);
        asm_item *it = &st->items[st->nitems++];
        memset(it, 0, sizeof *it);
        it->word = u256_low64(v);
        it->line = st->line;
        it->col = col;
    } else if (IS(".globl") || IS(".global") || IS(".file") || IS(".p2align") || IS(".align") ||
               IS(".type") || IS(".size") || IS(".ident") || IS(".local") || IS(".weak") ||
               IS(".note") || IS(".hidden")) {
        /* layout-neutral for EraVM: cells are always whole words */
    } else if (dl > 5 && !memcmp(d, ".note", 5)) {
        /* .note.GNU-stack and similar */
    } else {
        asm_error(st, col, "unknown directive '%.*s'", (int)dl, d);
    }
#undef IS
}

/* ---- line driver ---------------------------------------------------------- */

static void assemble_line(asm_state *st, const char *s, size_t len)
{
    /* strip a comment: ';' or '//' outside a string */
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            in_str = !in_str;
        else if (!in_str && (s[i] == ';' || (s[i] == '/' && i + 1 < len && s[i + 1] == '/'))) {
            len = i;
            break;
        }
    }
    cursor c = {s, 0, len};
    for (;;) {
        skip_ws(&c);
        if (c.pos >= len)
            return;
        /* label? */
        size_t j = c.pos;
        while (j < len && is_sym_char((unsigned char)s[j]))
            j++;
        if (j > c.pos && j < len && s[j] == ':') {
            define_label(st, s + c.pos, j - c.pos, (int)c.pos + 1);
            c.pos = j + 1;
            continue;
        }
        break;
    }
    size_t ms = c.pos;
    while (c.pos < len && !isspace((unsigned char)s[c.pos]))
        c.pos++;
    size_t me = c.pos;
    skip_ws(&c);
    if (s[ms] == '.') {
        directive(st, s + ms, me - ms, s + c.pos, len - c.pos, (int)ms + 1, (int)c.pos + 1);
        return;
    }
    if (st->section != SEC_TEXT) {
        asm_error(st, (int)ms + 1, "instruction outside .text");
        return;
    }
    char mn[64];
    size_t ml = me - ms < sizeof mn - 1 ? me - ms : sizeof mn - 1;
    memcpy(mn, s + ms, ml);
    mn[ml] = 0;
    asm_operand ops[8];
    int nops = 0;
    size_t p = c.pos;
    while (p < len && !st->failed) {
        size_t q = p;
        int depth = 0;
        while (q < len && (depth || s[q] != ',')) {
            if (s[q] == '[')
                depth++;
            else if (s[q] == ']')
                depth--;
            q++;
        }
        size_t a = p, b = q;
        while (a < b && isspace((unsigned char)s[a]))
            a++;
        while (b > a && isspace((unsigned char)s[b - 1]))
            b--;
        if (nops == 8) {
            asm_error(st, (int)a + 1, "too many operands");
            break;
        }
        if (a == b) {
            asm_error(st, (int)a + 1, "empty operand");
            break;
        }
        if (!parse_operand(st, s + a, b - a, (int)a + 1, &ops[nops]))
            break;
        nops++;
        p = q + 1;
        if (q >= len)
            break;
    }
    if (!st->failed)
        assemble_insn(st, mn, (int)ms + 1, ops, nops, (int)len + 1);
    for (int i = 0; i < nops; i++)
        expr_free(&ops[i].e);
}

/* Resolves an expression to a 16-bit immediate. */
static bool resolve(asm_state *st, asm_expr *e, int line, uint16_t *out)
{
    long v = e->value;
    if (e->sym) {
        const eravm_asm_sym *s = find_sym(st, e->sym);
        if (!s) {
            st->line = line;
            asm_error(st, e->sym_col, "undefined label '%s'", e->sym);
            return false;
        }
        v += s->value;
    }
    if (v < 0 || v > 0xFFFF) {
        st->line = line;
        asm_error(st, e->sym_col, "immediate %ld out of range (0..65535)", v);
        return false;
    }
    *out = (uint16_t)v;
    return true;
}

int eravm_asm(const char *src, size_t n, const char *filename, eravm_asm_result *res, char *err,
              size_t errn)
{
    aliases_init();
    memset(res, 0, sizeof *res);
    asm_state st;
    memset(&st, 0, sizeof st);
    st.file = filename ? filename : "<input>";
    st.err = err;
    st.errn = errn;
    st.section = SEC_TEXT;
    if (errn)
        err[0] = 0;
    size_t pos = 0;
    while (pos < n && !st.failed) {
        size_t e = pos;
        while (e < n && src[e] != '\n')
            e++;
        st.line++;
        size_t le = e;
        if (le > pos && src[le - 1] == '\r')
            le--;
        for (size_t i = pos; i < le; i++) {
            if (src[i] == 0) {
                asm_error(&st, (int)(i - pos) + 1, "NUL byte in source");
                break;
            }
        }
        if (!st.failed)
            assemble_line(&st, src + pos, le - pos);
        pos = e + 1;
    }
    uint32_t ninsn = (uint32_t)st.nitems;
    uint32_t code_words = (ninsn + 3) / 4;
    for (size_t i = 0; i < st.nsyms; i++)
        if (st.syms[i].kind == ASM_SYM_CONST)
            st.syms[i].value += code_words;
    uint64_t words = (uint64_t)code_words + st.ncells;
    if (words % 2 == 0)
        words++;
    if (!st.failed && ninsn == 0) {
        /* it would be one zero word: a program that only panics, surely not what was meant */
        st.line = 1;
        asm_error(&st, 1, "no instructions (an empty program)");
    }
    if (!st.failed && words > ASM_MAX_WORDS) {
        st.line = st.line ? st.line : 1;
        asm_error(&st, 1, "bytecode of %llu words exceeds the %u-word limit",
                  (unsigned long long)words, ASM_MAX_WORDS);
    }
    uint8_t *code = NULL;
    if (!st.failed) {
        code = xcalloc(words, 32);
    }
    for (size_t i = 0; i < st.nitems && !st.failed; i++) {
        asm_item *it = &st.items[i];
        eravm_insn in = eravm_decode(it->word);
        uint64_t w = it->word;
        if (it->has_imm0 || it->has_imm1) {
            if (it->has_imm0 && !resolve(&st, &it->imm0, it->line, &in.imm0))
                break;
            if (it->has_imm1 && !resolve(&st, &it->imm1, it->line, &in.imm1))
                break;
            w = eravm_encode(&in) | (it->word & 0x1800);
        }
        for (int k = 0; k < 8; k++)
            code[8 * i + (size_t)k] = (uint8_t)(w >> (56 - 8 * k));
    }
    for (size_t i = 0; i < st.ncells && !st.failed; i++) {
        asm_cell *cell = &st.cells[i];
        u256 v = cell->value;
        if (cell->is_sym) {
            const eravm_asm_sym *s = find_sym(&st, cell->sym.sym);
            if (!s) {
                st.line = cell->line;
                asm_error(&st, cell->col, "undefined label '%s'", cell->sym.sym);
                break;
            }
            v = u256_from_u64((uint64_t)s->value + (uint64_t)cell->sym.value);
        }
        u256_to_be(v, code + 32 * ((size_t)code_words + i));
    }
    for (size_t i = 0; i < st.nitems; i++) {
        expr_free(&st.items[i].imm0);
        expr_free(&st.items[i].imm1);
    }
    for (size_t i = 0; i < st.ncells; i++)
        expr_free(&st.cells[i].sym);
    free(st.items);
    free(st.cells);
    free(st.sym_line);
    free(st.sym_index);
    res->syms = st.syms;
    res->nsyms = st.nsyms;
    if (st.failed) {
        free(code);
        eravm_asm_free(res);
        return -1;
    }
    res->code = code;
    res->len = (size_t)words * 32;
    res->ninsn = ninsn;
    res->code_words = code_words;
    res->ncells = (uint32_t)st.ncells;
    return 0;
}

void eravm_asm_free(eravm_asm_result *res)
{
    for (size_t i = 0; i < res->nsyms; i++)
        free(res->syms[i].name);
    free(res->syms);
    free(res->code);
    memset(res, 0, sizeof *res);
}

long eravm_asm_lookup(const eravm_asm_result *res, const char *name)
{
    for (size_t i = 0; i < res->nsyms; i++)
        if (strcmp(res->syms[i].name, name) == 0)
            return res->syms[i].value;
    return -1;
}
