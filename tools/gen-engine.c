/* tools/gen-engine.c — writes vm/engine.gen.h from the committed variant
 * sequence profile (profiles/fusion.csv): which opcode variants get a
 * specialised handler, which pairs and triples become superinstructions,
 * and the engine's const 2048-entry index table.
 *
 *   build/tools/gen-engine profiles/fusion.csv > vm/engine.gen.h   (make gen-engine)
 *
 * Choice. A variant's count is the sum of the pair rows it starts or the
 * sum of those it ends, whichever is larger (a jump starts none). The
 * SPEC_MAX most frequent valid variants get their own handler, S_, and
 * twins the decoder picks by the record's registers: M_ for an add without
 * flags whose rB is r0 (a move), Z_ (and MZ_, both) where each stack or
 * code operand is addressed through r0 (compiled code's `stack-[N]`). A
 * sequence of two to ENG_SEQ_MAX specialised variants may fuse when
 * every component but the last is straight-line code that cannot change
 * ergs behind the engine's back (nop, binops, mul/div, pointer ops, context
 * reads) and the last is anything but world access or the invalid opcode;
 * none may need kernel mode or forbid static frames. The profile counts
 * pairs and triples; a longer sequence is a candidate where triples overlap
 * along it (a b c d: a b c and b c d; a b c d e: those and c d e), counted
 * as the smallest of them (a bound: it is exact where they always run
 * together, as a loop's body does, and too high where they run in
 * different places). Candidates are ranked
 * by count x saving, where saving is the profile's saving_ns over its count
 * or, when that column is empty, one dispatch (taken as 1 ns) per fused boundary; the
 * FUSE_MAX best with at least FUSE_MIN_SHARE of all dispatches are kept.
 *
 * Keyed twins (from the second profile, profiles/fusion-keyed.csv, made by
 * tools/fusion-profile --keyed): the KEYED_MAX most frequent instruction
 * word sequences with at least KEYED_MIN_SHARE of the dispatches whose
 * opcode variants are a fused sequence's get a twin of its handler that
 * reads its records from a const copy, the key, instead of from the
 * program: the compiler folds every field (registers, immediates, slow
 * bits) into the code. The decoder gives the twin only to a site whose
 * records equal the key in every field (vm/predecode.c keyed_at). A twin
 * is as specific as its key: it speeds up that loop body wherever it is,
 * and nothing else.
 *
 * The output is a pure function of the CSVs and vm/opcodes.def, so CI can
 * regenerate it and fail on a diff. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_bits.h"
#include "opcode.h"

#define SPEC_MAX 128
#define FUSE_MAX 96
#define FUSE_MIN_SHARE 0.002 /* of all profiled dispatches */
#define NONE 0xFFFF

#define SEQ_MAX ENG_SEQ_MAX /* components of a fused sequence */
#define KEYED_MAX 16
#define KEYED_MIN_SHARE 0.01

/* a keyed profile row: the words, the records' fields, the count */
typedef struct {
    unsigned n;
    unsigned long long w[SEQ_MAX];
    unsigned rec[SEQ_MAX][8]; /* idx src0 src1 dst0 dst1 imm0 imm1 slow */
    double count;
    size_t fused; /* the fused sequence (index into seqs) */
} keyed;

typedef struct {
    unsigned idx[SEQ_MAX]; /* NONE after the n-th */
    unsigned n;
    double count, saving, score;
} seq;

static double variant_count[ERAVM_OPCODE_SLOTS], starts[ERAVM_OPCODE_SLOTS], ends[ERAVM_OPCODE_SLOTS];

/* A slot of the decoder's pair table (vm/engine.h eng_pair). */
typedef struct {
    unsigned key, first, n; /* n 0: empty */
} pair_slot;
#define PAIR_BITS_MAX 12

/* The pair table of the sorted sequences: the smallest table (at least
 * twice the pairs) and the first multiplier, tried in a fixed order, under
 * which no two pairs share a slot, so the decoder's lookup is one probe.
 * A pure function of the sequences, as the rest of the output. */
static int pair_table(const seq *s, size_t n, pair_slot *out, unsigned *bits, unsigned *mul)
{
    unsigned key[FUSE_MAX], first[FUSE_MAX], cnt[FUSE_MAX], np = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned k = ENG_PAIR_KEY(s[i].idx[0], s[i].idx[1]);
        if (np && key[np - 1] == k) {
            cnt[np - 1]++;
        } else {
            key[np] = k;
            first[np] = (unsigned)i;
            cnt[np++] = 1;
        }
    }
    unsigned b = 1;
    while ((1u << b) < 2 * np)
        b++;
    for (; b <= PAIR_BITS_MAX; b++) {
        uint32_t m = 0x9E3779B1u; /* odd multipliers from a fixed Weyl sequence */
        for (unsigned tries = 0; tries < 100000; tries++, m += 0x6A09E668u) {
            m |= 1;
            memset(out, 0, sizeof *out << b);
            bool ok = true;
            for (unsigned i = 0; i < np && ok; i++) {
                unsigned h = ENG_PAIR_HASH(key[i], m, b);
                ok = out[h].n == 0;
                out[h] = (pair_slot){key[i], first[i], cnt[i]};
            }
            if (ok) {
                *bits = b;
                *mul = m;
                return 0;
            }
        }
    }
    return -1;
}

static int die(const char *msg, const char *arg)
{
    fprintf(stderr, "gen-engine: %s%s\n", msg, arg ? arg : "");
    return 1;
}

static bool no_mode_req(unsigned idx)
{
    const eravm_family *f = &eravm_families[eravm_optab[idx].op];
    return !f->kernel_only && !f->static_forbidden;
}

static bool specialisable(unsigned idx)
{
    return eravm_optab[idx].op != EOP_INVALID;
}

/* the mode requirement a specialised handler checks (RB_KERNEL, RB_NOSTATIC) */
static unsigned mode_req(unsigned idx)
{
    const eravm_family *f = &eravm_families[eravm_optab[idx].op];
    return (f->kernel_only ? (unsigned)RB_KERNEL : 0u) |
           (f->static_forbidden ? (unsigned)RB_NOSTATIC : 0u);
}

/* The ENG_SLOW_* bits of an index (but ENG_SLOW_MOVE):
 * the arithmetic classes read their register operands as integers (a
 * pointer among them is erased in user mode); the classes whose bodies
 * apply the dst1 rule (vm/handlers.h CLEAR_DST1), loads only without .inc
 * (which writes dst1) */
static unsigned slow_bits(int hclass, const eravm_opinfo *oi)
{
    bool arith = hclass == HC_BINOP || hclass == HC_MULDIV;
    bool clears = hclass == HC_NOP || hclass == HC_BINOP || hclass == HC_JUMP || hclass == HC_PTR ||
                  hclass == HC_CTX_READ || hclass == HC_NEAR_CALL || hclass == HC_HEAP_WRITE ||
                  hclass == HC_RET ||
                  ((hclass == HC_HEAP_READ || hclass == HC_FAT_READ) && !(oi->flags & OPF_VARIANT));
    bool stack = oi->src_mode == SRC_POP || oi->src_mode == SRC_STACK_REL ||
                 oi->src_mode == SRC_STACK_ABS || oi->dst_mode == DST_PUSH ||
                 oi->dst_mode == DST_STACK_REL || oi->dst_mode == DST_STACK_ABS;
    return (arith ? ENG_SLOW_SRC1 : 0u) | (arith && oi->src_mode == SRC_REG ? ENG_SLOW_SRC0 : 0u) |
           (clears ? ENG_SLOW_DST1 : 0u) | (stack ? ENG_SLOW_STACK : 0u);
}

/* an add without flags: with rB = r0 it is a move, which gets a handler of
 * its own (ENG_MOVE) */
static bool has_move(unsigned idx)
{
    const eravm_opinfo *oi = &eravm_optab[idx];
    return oi->op == EOP_ADD && !(oi->flags & OPF_SET_FLAGS);
}

/* The ENG_SLOW_ZSRC / ENG_SLOW_ZDST bits of an index whose operands may
 * address the stack or the code through a register (0: no ENG_ZADDR twin).
 * Only the classes that address them through vm/handlers.h's eng_src and
 * eng_dst_done. */
static unsigned zaddr_bits(unsigned idx)
{
    const eravm_opinfo *oi = &eravm_optab[idx];
    switch (eravm_families[oi->op].hclass) {
    case HC_NOP: case HC_BINOP: case HC_MULDIV: case HC_JUMP: case HC_PTR: case HC_HEAP_READ:
    case HC_HEAP_WRITE: break;
    default: return 0;
    }
    bool zs = oi->src_mode != SRC_REG && oi->src_mode != SRC_IMM;
    bool zd = oi->dst_mode != DST_REG;
    return (zs ? ENG_SLOW_ZSRC : 0u) | (zd ? ENG_SLOW_ZDST : 0u);
}

/* may run before another component: straight-line, no dynamic ergs */
static bool inner_ok(unsigned idx)
{
    switch (eravm_families[eravm_optab[idx].op].hclass) {
    case HC_NOP: case HC_BINOP: case HC_MULDIV: case HC_PTR: case HC_CTX_READ: return true;
    default: return false;
    }
}

static const char *class_name(unsigned hc)
{
    static const char *const n[HC_COUNT] = {"INVALID", "NOP", "BINOP", "MULDIV", "JUMP", "PTR",
                                            "NEAR_CALL", "CTX_READ", "WORLD", "FAR_CALL", "RET",
                                            "HEAP_READ", "HEAP_WRITE", "FAT_READ"};
    return n[hc];
}

static const char *src_name(unsigned m)
{
    static const char *const n[SRC_MODES] = {"SRC_REG", "SRC_POP", "SRC_STACK_REL",
                                             "SRC_STACK_ABS", "SRC_IMM", "SRC_CODE"};
    return n[m];
}

static const char *dst_name(unsigned m)
{
    static const char *const n[DST_MODES] = {"DST_REG", "DST_PUSH", "DST_STACK_REL",
                                             "DST_STACK_ABS"};
    return n[m];
}

/* One specialised handler of ENGINE_SPECIALISED: PREFIX_idx, the index's
 * flags with EXTRA (ENG_MOVE, ENG_ZADDR), its variant name VN and NOTE in
 * the comment. */
static void print_spec(const char *prefix, unsigned idx, unsigned extra, const char *vn,
                       const char *note)
{
    const eravm_opinfo *oi = &eravm_optab[idx];
    const eravm_family *f = &eravm_families[oi->op];
    printf("    X(%s_%u, %u, %s, EOP_%s, %s, %s, %u, %u, %u) /* %s%s */ \\\n", prefix, idx, idx,
           class_name(f->hclass), f->id, src_name(oi->src_mode), dst_name(oi->dst_mode),
           oi->flags | extra, f->ergs, mode_req(idx), vn, note);
}

static int by_key(const void *x, const void *y)
{
    const seq *a = x, *b = y;
    for (unsigned k = 0; k < SEQ_MAX; k++)
        if (a->idx[k] != b->idx[k])
            return a->idx[k] < b->idx[k] ? -1 : 1;
    return 0;
}

static int by_score(const void *x, const void *y)
{
    const seq *a = x, *b = y;
    if (a->score != b->score)
        return a->score < b->score ? 1 : -1;
    return by_key(x, y);
}

static int by_index_count(const void *x, const void *y)
{
    unsigned a = *(const unsigned *)x, b = *(const unsigned *)y;
    if (variant_count[a] != variant_count[b])
        return variant_count[a] < variant_count[b] ? 1 : -1;
    return a < b ? -1 : a > b;
}

/* One CSV row into s; returns 0 on success. */
static int parse_row(char *line, seq *s)
{
    char *field[8];
    int nf = 0;
    char *p = line;
    while (nf < 8) {
        field[nf++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = 0;
        p = c + 1;
    }
    if (nf != 8)
        return -1;
    field[7][strcspn(field[7], "\r\n")] = 0;
    char *end;
    for (int k = 0; k < 3; k++) {
        if (k == 2 && !*field[2]) {
            s->idx[2] = NONE;
            continue;
        }
        unsigned long v = strtoul(field[k], &end, 10);
        if (*end || end == field[k] || v >= 2048)
            return -1;
        s->idx[k] = (unsigned)v;
    }
    for (int k = 3; k < SEQ_MAX; k++)
        s->idx[k] = NONE;
    s->n = s->idx[2] == NONE ? 2 : 3;
    s->count = strtod(field[6], &end);
    if (*end || end == field[6] || s->count < 0)
        return -1;
    /* saving_ns is the total over the profile (count x the saving of one
     * occurrence, as eravm-bench --profile writes it) */
    s->saving = *field[7] ? strtod(field[7], &end) / (s->count > 0 ? s->count : 1) : (double)(s->n - 1) * 1.0;
    if (*field[7] && *end)
        return -1;
    return 0;
}

/* The sequences of 4 to SEQ_MAX instructions along which triples of the
 * profile overlap, appended to seqs: each of length L extends one of
 * length L - 1 (x) by a triple (y) whose first two are x's last two,
 * counted as the smaller of the two, saving one dispatch per boundary. */
static seq *add_longer(seq *seqs, size_t *nseq, size_t *cap)
{
    size_t nprofile = *nseq, from = 0, to = *nseq; /* x: seqs[from, to) of length L - 1 */
    for (unsigned len = 4; len <= SEQ_MAX; len++) {
        for (size_t i = from; i < to; i++)
            for (size_t j = 0; j < nprofile; j++) { /* y: the profile's triples */
                const seq *x = &seqs[i], *y = &seqs[j];
                if (x->n != len - 1 || y->n != 3 || x->idx[len - 3] != y->idx[0] ||
                    x->idx[len - 2] != y->idx[1])
                    continue;
                seq q = *x;
                q.idx[len - 1] = y->idx[2];
                q.n = len;
                q.count = x->count < y->count ? x->count : y->count;
                q.saving = (double)(len - 1);
                if (*nseq == *cap)
                    seqs = realloc(seqs, (*cap *= 2) * sizeof *seqs);
                seqs[(*nseq)++] = q;
            }
        from = to;
        to = *nseq;
    }
    return seqs;
}

static void handler_name(char *buf, size_t n, const char *prefix, const unsigned *idx, unsigned k)
{
    int w = snprintf(buf, n, "%s", prefix);
    for (unsigned i = 0; i < k; i++)
        w += snprintf(buf + w, n - (size_t)w, "_%u", idx[i]);
}

/* One fused handler's body (NAME, with the erasing twin NAME_e the first
 * component bails to). */
static void print_body(const seq *s, const char *name)
{
    uint32_t total_ergs = 0, later_ergs[SEQ_MAX];
    for (unsigned k = 0; k < s->n; k++)
        total_ergs += eravm_families[eravm_optab[s->idx[k]].op].ergs;
    for (unsigned k = 0; k < s->n; k++) {
        later_ergs[k] = 0;
        for (unsigned j = k + 1; j < s->n; j++)
            later_ergs[k] += eravm_families[eravm_optab[s->idx[j]].op].ergs;
    }
    printf("FUSED_BEGIN(%s, S_%u, %u, %u", name, s->idx[0], total_ergs, s->n);
    for (unsigned k = 0; k < s->n; k++)
        printf(", %u", s->idx[k]);
    printf(")\n");
    for (unsigned k = 0; k < s->n; k++) {
        const eravm_opinfo *oi = &eravm_optab[s->idx[k]];
        const eravm_family *f = &eravm_families[oi->op];
        printf("#define C_LATER_ERGS %u\n#define C_LATER_N %u\n", later_ergs[k], s->n - 1 - k);
        printf("#define C_BAIL_ERGS %u\n#define C_BAIL_N %u\n",
               k ? later_ergs[k] : total_ergs, k ? s->n - 1 - k : s->n);
        char bail[80];
        if (k)
            snprintf(bail, sizeof bail, "S_%u_e", s->idx[k]);
        else
            snprintf(bail, sizeof bail, "%s_e", name);
        printf("COMPONENT(%u, %s, %s, EOP_%s, %s, %s, %u)\n", k, bail, class_name(f->hclass),
               f->id, src_name(oi->src_mode), dst_name(oi->dst_mode), oi->flags);
        printf("#undef C_LATER_ERGS\n#undef C_LATER_N\n#undef C_BAIL_ERGS\n#undef C_BAIL_N\n");
    }
    printf("FUSED_END(%s, %u)\n\n", name, s->n);
}

/* keyed twin i's handler name: K<i>_<its sequence's indices> */
static void keyed_name(char *buf, size_t n, const seq *seqs, const keyed *ks, size_t i)
{
    char prefix[16];
    snprintf(prefix, sizeof prefix, "K%zu", i);
    handler_name(buf, n, prefix, seqs[ks[i].fused].idx, ks[i].n);
}

/* One keyed-profile row into k; returns 0 on success. */
static int parse_keyed(char *line, keyed *k)
{
    char *end;
    k->count = strtod(line, &end);
    if (end == line || *end != ',' || k->count < 0)
        return -1;
    unsigned long n = strtoul(end + 1, &end, 10);
    if (*end != ',' || n < 2 || n > SEQ_MAX)
        return -1;
    k->n = (unsigned)n;
    char *p = end + 1;
    for (unsigned j = 0; j < k->n; j++) {
        k->w[j] = strtoull(p, &end, 16);
        if (end - p != 16 || *end != (j + 1 < k->n ? ' ' : ','))
            return -1;
        p = end + 1;
    }
    for (unsigned j = 0; j < k->n; j++)
        for (unsigned f = 0; f < 8; f++) {
            unsigned long v = strtoul(p, &end, 16);
            char want = f < 7 ? '.' : j + 1 < k->n ? ' ' : ',';
            if (end == p || *end != want || v > (f == 7 ? 0xFFFFFFFFul : f == 0 || f >= 5 ? 0xFFFFul : 0xFFul))
                return -1;
            k->rec[j][f] = (unsigned)v;
            p = end + 1;
        }
    for (unsigned j = 0; j < k->n; j++)
        if (k->rec[j][0] != (k->w[j] & 0x7FF))
            return -1;
    return 0;
}

static int by_keyed(const void *x, const void *y)
{
    const keyed *a = x, *b = y;
    if (a->count != b->count)
        return a->count < b->count ? 1 : -1;
    if (a->n != b->n)
        return a->n < b->n ? 1 : -1;
    for (unsigned k = 0; k < a->n; k++)
        if (a->w[k] != b->w[k])
            return a->w[k] < b->w[k] ? -1 : 1;
    return 0;
}

static int by_fused(const void *x, const void *y)
{
    const keyed *a = x, *b = y;
    if (a->fused != b->fused)
        return a->fused < b->fused ? -1 : 1;
    return by_keyed(x, y);
}

/* whether k's words run inside those of o */
static bool keyed_inside(const keyed *k, const keyed *o)
{
    for (unsigned at = 0; at + k->n <= o->n; at++) {
        unsigned j = 0;
        while (j < k->n && k->w[j] == o->w[at + j])
            j++;
        if (j == k->n)
            return true;
    }
    return false;
}

#define KEYED_ROWS_MAX 4096

/* The keyed twins into ks; returns how many, or -1. Candidates: rows of
 * the keyed profile with KEYED_MIN_SHARE of the dispatches whose variants
 * are a fused sequence's; the most frequent first, the longer first among
 * equals, and none that runs inside one taken (a loop body's shorter
 * windows: the decoder gives its sites the longest sequence). */
static int read_keyed(const char *path, const seq *seqs, size_t nf, double total, keyed *ks)
{
    FILE *in = fopen(path, "r");
    if (!in)
        return die("cannot read ", path), -1;
    char line[1024];
    if (!fgets(line, sizeof line, in) || strncmp(line, "count,n,words,records,", 22) != 0) {
        fclose(in);
        return die("bad header in ", path), -1;
    }
    static keyed cand[KEYED_ROWS_MAX];
    size_t nc = 0;
    int lineno = 1;
    while (fgets(line, sizeof line, in)) {
        lineno++;
        keyed k;
        if (parse_keyed(line, &k) != 0 || nc == KEYED_ROWS_MAX) {
            fclose(in);
            fprintf(stderr, "gen-engine: %s:%d: %s\n", path, lineno,
                    nc == KEYED_ROWS_MAX ? "too many rows" : "bad row");
            return -1;
        }
        if (k.count < KEYED_MIN_SHARE * total)
            continue;
        for (size_t i = 0; i < nf; i++) {
            unsigned j = 0;
            while (j < k.n && seqs[i].idx[j] == k.rec[j][0])
                j++;
            if (j == k.n && seqs[i].n == k.n) {
                k.fused = i;
                cand[nc++] = k;
                break;
            }
        }
    }
    fclose(in);
    qsort(cand, nc, sizeof *cand, by_keyed);
    int nk = 0;
    for (size_t c = 0; c < nc && nk < KEYED_MAX; c++) {
        bool inside = false;
        for (int j = 0; j < nk && !inside; j++)
            inside = keyed_inside(&cand[c], &ks[j]);
        if (!inside)
            ks[nk++] = cand[c];
    }
    /* a sequence's twins side by side (eng_fused_seq.keyed), by sequence */
    qsort(ks, (size_t)nk, sizeof *ks, by_fused);
    return nk;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3)
        return die("usage: gen-engine PROFILE.csv [KEYED.csv]", NULL);
    eravm_optab_init();
    FILE *in = fopen(argv[1], "r");
    if (!in)
        return die("cannot read ", argv[1]);
    char line[512];
    if (!fgets(line, sizeof line, in) || strncmp(line, "a_index,b_index,c_index,", 24) != 0) {
        fclose(in);
        return die("bad header in ", argv[1]);
    }
    size_t cap = 256, nseq = 0;
    seq *seqs = malloc(cap * sizeof *seqs);
    double total = 0;
    int lineno = 1;
    while (fgets(line, sizeof line, in)) {
        lineno++;
        if (line[0] == '\n')
            continue;
        seq s;
        if (parse_row(line, &s) != 0) {
            fclose(in);
            fprintf(stderr, "gen-engine: %s:%d: bad row\n", argv[1], lineno);
            return 1;
        }
        if (s.n == 2) {
            starts[s.idx[0]] += s.count;
            ends[s.idx[1]] += s.count;
            total += s.count;
        }
        if (nseq == cap)
            seqs = realloc(seqs, (cap *= 2) * sizeof *seqs);
        seqs[nseq++] = s;
    }
    fclose(in);
    seqs = add_longer(seqs, &nseq, &cap);

    /* specialised variants */
    for (unsigned i = 0; i < ERAVM_OPCODE_SLOTS; i++)
        variant_count[i] = starts[i] > ends[i] ? starts[i] : ends[i];
    unsigned order[ERAVM_OPCODE_SLOTS], nord = 0;
    for (unsigned i = 0; i < ERAVM_OPCODE_SLOTS; i++)
        if (variant_count[i] > 0 && specialisable(i))
            order[nord++] = i;
    qsort(order, nord, sizeof *order, by_index_count);
    if (nord > SPEC_MAX)
        nord = SPEC_MAX;
    static bool spec[ERAVM_OPCODE_SLOTS];
    for (unsigned i = 0; i < nord; i++)
        spec[order[i]] = true;
    qsort(order, nord, sizeof *order, by_key); /* index order in the output */

    /* fused sequences */
    size_t nf = 0;
    for (size_t i = 0; i < nseq; i++) {
        seq *s = &seqs[i];
        bool ok = s->count >= FUSE_MIN_SHARE * total;
        for (unsigned k = 0; k < s->n && ok; k++)
            ok = spec[s->idx[k]] && no_mode_req(s->idx[k]) &&
                 eravm_families[eravm_optab[s->idx[k]].op].hclass != HC_WORLD &&
                 (k == s->n - 1 || inner_ok(s->idx[k]));
        if (!ok)
            continue;
        s->score = s->count * s->saving;
        seqs[nf++] = *s;
    }
    qsort(seqs, nf, sizeof *seqs, by_score);
    if (nf > FUSE_MAX)
        nf = FUSE_MAX;
    qsort(seqs, nf, sizeof *seqs, by_key);

    /* the decoder's pair table: each distinct first two indices of the
     * sequences, under a multiplicative hash with no collision */
    static pair_slot pairs[1u << PAIR_BITS_MAX];
    unsigned pbits, pmul;
    if (pair_table(seqs, nf, pairs, &pbits, &pmul) != 0)
        return die("no collision-free pair hash found", NULL);
    static keyed ks[KEYED_MAX];
    int nki = argc == 3 ? read_keyed(argv[2], seqs, nf, total, ks) : 0;
    if (nki < 0)
        return 1;
    size_t nk = (size_t)nki;

    printf("/* vm/engine.gen.h — GENERATED by tools/gen-engine from profiles/fusion.csv and\n"
           " * profiles/fusion-keyed.csv (make gen-engine); do not edit. CI regenerates it and\n * fails on a diff.\n"
           " * %u specialised variants, %zu fused sequences, %zu keyed twins. */\n\n", nord, nf, nk);
    printf("/* the fused-sequence pair table's hash (vm/engine.h ENG_PAIR_SLOT) */\n"
           "#define ENG_PAIR_BITS %u\n#define ENG_PAIR_MUL 0x%08xu\n\n", pbits, pmul);
    printf("/* X(NAME, INDEX, CLASS, FAMILY, SRC, DST, OPF flags, ERGS, MODE) */\n");
    printf("#define ENGINE_SPECIALISED(X) \\\n");
    char name[64], vn[64];
    for (unsigned i = 0; i < nord; i++) {
        unsigned idx = order[i];
        eravm_index_name((int)idx, vn, sizeof vn);
        print_spec("S", idx, 0, vn, "");
        if (has_move(idx)) /* its move twin: right after, the decoder adds 1 */
            print_spec("M", idx, ENG_MOVE, vn, " from r0");
        /* the twins without the addressing register: after those, the
         * decoder adds 1 + has_move */
        if (zaddr_bits(idx))
            print_spec("Z", idx, ENG_ZADDR, vn, " by immediate");
        if (zaddr_bits(idx) && has_move(idx))
            print_spec("MZ", idx, ENG_MOVE | ENG_ZADDR, vn, " from r0 by immediate");
    }
    printf("\n\n/* X(NAME, HANDLER AND CLASS OF THE FIRST COMPONENT) */\n#define ENGINE_FUSED(X) \\\n");
    for (size_t i = 0; i < nf; i++) {
        handler_name(name, sizeof name, "F", seqs[i].idx, seqs[i].n);
        printf("    X(%s, S_%u, %s) \\\n", name, seqs[i].idx[0],
               class_name(eravm_families[eravm_optab[seqs[i].idx[0]].op].hclass));
    }
    for (size_t i = 0; i < nk; i++) {
        keyed_name(name, sizeof name, seqs, ks, i);
        unsigned first = seqs[ks[i].fused].idx[0];
        printf("    X(%s, S_%u, %s) \\\n", name, first,
               class_name(eravm_families[eravm_optab[first].op].hclass));
    }
    printf("\n\n/* the keyed twins' keys: {handler (unused), idx, src0, src1, dst0, dst1, imm0,\n"
           " * imm1, slow}; static const where the handlers read them, so that their\n"
           " * fields fold into the code */\n");
    printf("#if (defined(ENGINE_GEN_TABLES) || defined(ENGINE_GEN_BODIES)) && !defined(ENGINE_GEN_KEYS_DONE)\n"
           "#define ENGINE_GEN_KEYS_DONE\n");
    for (size_t i = 0; i < nk; i++) {
        keyed_name(name, sizeof name, seqs, ks, i);
        printf("static const vm_rec eng_key_%s[%u] = {\n", name, ks[i].n);
        for (unsigned k = 0; k < ks[i].n; k++) {
            const unsigned *r = ks[i].rec[k];
            printf("    {0, %u, %u, %u, %u, %u, %u, %u, 0x%08xu},\n", r[0], r[1], r[2], r[3], r[4],
                   r[5], r[6], r[7]);
        }
        printf("};\n");
    }
    printf("#endif\n");
    printf("\n#ifdef ENGINE_GEN_TABLES\n");
    printf("/* op, src mode, dst mode, OPF and mode bits, class, fused sequences starting\n"
           " * here, ENG_SLOW_* bits, specialised handler, ergs */\n");
    printf("const eng_index_entry eng_index_tab[ERAVM_OPCODE_SLOTS] = {\n");
    size_t fi = 0;
    static char dec[ERAVM_OPCODE_SLOTS][96];
    for (unsigned idx = 0; idx < ERAVM_OPCODE_SLOTS; idx++) {
        const eravm_opinfo *oi = &eravm_optab[idx];
        const eravm_family *f = &eravm_families[oi->op];
        char h[32] = "0";
        if (spec[idx])
            snprintf(h, sizeof h, "H_S_%u", idx);
        size_t first = fi;
        while (fi < nf && seqs[fi].idx[0] == idx)
            fi++;
        if (oi->op == EOP_INVALID && idx) {
            printf("    {0, 0, 0, 0, HC_INVALID, 0, 0, 0, %uu},\n", f->ergs);
            snprintf(dec[idx], sizeof dec[idx], "ENG_DEC(H_GENERIC(HC_INVALID), 0, 1, 1, 0)");
            continue;
        }
        eravm_index_name((int)idx, vn, sizeof vn);
        unsigned es = slow_bits(f->hclass, oi) | (spec[idx] && has_move(idx) ? ENG_SLOW_MOVE : 0u) |
                      (spec[idx] ? zaddr_bits(idx) : 0u);
        printf("    {EOP_%s, %s, %s, %u, HC_%s, %zu, %u, %s, %uu}, /* %u %s */\n", f->id,
               src_name(oi->src_mode), dst_name(oi->dst_mode), oi->flags | mode_req(idx),
               class_name(f->hclass), fi - first, es, h, f->ergs, idx, vn);
        char h0[48];
        if (spec[idx])
            snprintf(h0, sizeof h0, "H_S_%u", idx);
        else
            snprintf(h0, sizeof h0, "H_GENERIC(HC_%s)", class_name(f->hclass));
        snprintf(dec[idx], sizeof dec[idx], "ENG_DEC(%s, %u, %d, %d, %d)", h0, es,
                 oi->dst_mode == DST_REG, oi->op == EOP_INVALID, fi > first);
    }
    printf("};\n\n");
    printf("/* The decoder's view of each index, packed by vm/predecode.c's ENG_DEC:\n"
           " * its handler with the specialised handlers on, its ENG_SLOW_* bits, a\n"
           " * register-mode dst0, the invalid opcode, fused sequences start with it */\n");
    printf("const uint64_t eng_dec_tab[ERAVM_OPCODE_SLOTS] = {\n");
    for (unsigned idx = 0; idx < ERAVM_OPCODE_SLOTS; idx++)
        printf("    %s,\n", dec[idx]);
    printf("};\n\n");
    printf("const eng_fused_seq eng_fused_tab[] = {\n");
    for (size_t i = 0; i < nf; i++) {
        handler_name(name, sizeof name, "H_F", seqs[i].idx, seqs[i].n);
        printf("    {{");
        for (unsigned k = 0; k < SEQ_MAX; k++)
            printf(k < seqs[i].n ? "%s%u" : "%sENG_NONE", k ? ", " : "", seqs[i].idx[k]);
        size_t first = 0;
        while (first < nk && ks[first].fused != i)
            first++;
        printf("}, %s, %zu},\n", name, first < nk ? first + 1 : 0);
    }
    if (!nf)
        printf("    {{0}, 0, 0},\n");
    printf("};\nconst size_t eng_fused_count = %zu;\n\n", nf);
    printf("/* the fused handler, the keyed twin, components, words, the key */\n");
    printf("const eng_keyed_seq eng_keyed_tab[] = {\n");
    for (size_t i = 0; i < nk; i++) {
        char fname[64];
        handler_name(fname, sizeof fname, "H_F", seqs[ks[i].fused].idx, ks[i].n);
        keyed_name(name, sizeof name, seqs, ks, i);
        printf("    {%s, H_%s, %u, {", fname, name, ks[i].n);
        for (unsigned k = 0; k < ks[i].n; k++)
            printf("%s0x%016llxull", k ? ", " : "", ks[i].w[k]);
        printf("}, eng_key_%s},\n", name);
    }
    if (!nk)
        printf("    {0, 0, 0, {0}, NULL},\n");
    printf("};\nconst size_t eng_keyed_count = %zu;\n\n", nk);
    printf("/* first two indices, the first of their sequences in eng_fused_tab, how many */\n");
    printf("const eng_pair eng_pair_tab[1u << ENG_PAIR_BITS] = {\n");
    for (unsigned i = 0; i < 1u << pbits; i++) {
        if (pairs[i].n)
            printf("    [%u] = {ENG_PAIR_KEY(%u, %u), %u, %u},\n", i, pairs[i].key >> 16,
                   pairs[i].key & 0xFFFF, pairs[i].first, pairs[i].n);
    }
    printf("};\n#endif\n\n");

    printf("#ifdef ENGINE_GEN_BODIES\n");
    for (size_t i = 0; i < nf; i++) {
        const seq *s = &seqs[i];
        handler_name(name, sizeof name, "F", s->idx, s->n);
        printf("/*");
        for (unsigned k = 0; k < s->n; k++) {
            eravm_index_name((int)s->idx[k], vn, sizeof vn);
            printf("%s %s", k ? " ;" : "", vn);
        }
        printf(": %.0f in the profile */\n", s->count);
        print_body(s, name);
    }
    /* the keyed twins: the components read the key (C_REC), and a record's
     * place in the program is found from ip (REC_POS) */
    for (size_t i = 0; i < nk; i++) {
        keyed_name(name, sizeof name, seqs, ks, i);
        char fname[64];
        handler_name(fname, sizeof fname, "F", seqs[ks[i].fused].idx, ks[i].n);
        printf("/* keyed twin of %s, words", fname);
        for (unsigned k = 0; k < ks[i].n; k++)
            printf(" %016llx", ks[i].w[k]);
        printf(": %.0f in the profile */\n", ks[i].count);
        printf("#undef C_REC\n#undef REC_POS\n#define C_REC(K) (&eng_key_%s[K])\n"
               "#define REC_POS(R) (ip + ((R) - eng_key_%s))\n", name, name);
        print_body(&seqs[ks[i].fused], name);
        printf("#undef C_REC\n#undef REC_POS\n#define C_REC(K) (ip + (K))\n"
               "#define REC_POS(R) (R)\n\n");
    }
    printf("#endif\n");
    free(seqs);
    return 0;
}
