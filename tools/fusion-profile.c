/* tools/fusion-profile.c — counts opcode-variant pairs and triples over the
 * vm-benchmark bytecodes and writes profiles/fusion.csv, the input of
 * tools/gen-engine (superinstruction choice):
 *
 *   build/tools/fusion-profile > profiles/fusion.csv          (make fusion-profile)
 *
 * Every bare workload of the built-in manifest whose bytecode comes from
 * $ERAVM_DATA/vm-benchmark runs once, in call and constructor mode, and
 * every synthetic per-opcode loop (the forms compilers emit most), under
 * the VM's tracer. A pair (a, b) is counted when b is dispatched right after
 * a, in the same frame, at the next pc - the only sequences a fused record
 * can stand for; a triple likewise. Pseudo-instructions (the spontaneous
 * panic, the end sentinel) break the chain. The format is shared with
 * `eravm-bench --profile`: a_index,b_index,c_index,a_name,b_name,c_name,
 * count,saving_ns (c_* empty for pairs; saving_ns left empty here, so the
 * generator estimates it).
 *
 *   build/tools/fusion-profile --keyed > profiles/fusion-keyed.csv
 *
 * counts, over the same runs but the synthetic loops, the straight-line sequences of 2 to
 * ENG_SEQ_MAX instruction words themselves (a loop's body is one such
 * sequence), for the generator's keyed twins: a fused handler compiled
 * with its records' fields as constants (vm/interp.h C_REC). Each row
 * gives the words and the records the decoder makes of them
 * (predecode_record: the generator writes them out as the key, and the
 * decoder gives a keyed twin only where every field matches): count,n,
 * words (16 hex digits each, space-separated), records (idx.src0.src1.
 * dst0.dst1.imm0.imm1.slow in hex, space-separated), names. Rows below
 * KEYED_MIN_SHARE of the dispatches are left out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "engine_bits.h"
#include "opcode.h"
#include "vm_internal.h"

#define SLOTS ERAVM_OPCODE_SLOTS

typedef struct {
    uint64_t *pairs;   /* SLOTS x SLOTS */
    uint64_t *triples; /* sparse: open addressing on (a, b, c) */
    size_t tcap;
    unsigned n;        /* instructions in the current chain (0..2) */
    unsigned idx[2];   /* the last two indices of the chain */
    unsigned pc, depth;
    /* --keyed: the chain's last ENG_SEQ_MAX - 1 words (kn of them) and the
     * sequences seen, open addressing on their words */
    bool keyed;
    uint64_t last[ENG_SEQ_MAX - 1];
    unsigned kn;
    struct kseq {
        uint64_t w[ENG_SEQ_MAX];
        unsigned n;
        uint64_t count;
    } *ks;
    size_t kcap, kused;
    uint64_t dispatches;
} prof;

#define KEYED_MIN_SHARE 0.001

static void kseq_add(prof *p, const uint64_t *w, unsigned n)
{
    uint64_t hash = n;
    for (unsigned k = 0; k < n; k++)
        hash = (hash ^ w[k]) * 0x9E3779B97F4A7C15ull;
    size_t h = (size_t)(hash >> 20) & (p->kcap - 1);
    for (;; h = (h + 1) & (p->kcap - 1)) {
        struct kseq *e = &p->ks[h];
        if (!e->n) {
            if (2 * ++p->kused > p->kcap) {
                fprintf(stderr, "fusion-profile: too many distinct sequences\n");
                exit(1);
            }
            memcpy(e->w, w, n * sizeof *w);
            e->n = n;
        } else if (e->n != n || memcmp(e->w, w, n * sizeof *w) != 0) {
            continue;
        }
        e->count++;
        return;
    }
}

/* the sequences of 2.. ENG_SEQ_MAX words that end with this one */
static void keyed_insn(prof *p, uint64_t word)
{
    uint64_t w[ENG_SEQ_MAX];
    p->dispatches++;
    for (unsigned len = 2; len <= p->kn + 1; len++) {
        memcpy(w, p->last + (p->kn - (len - 1)), (len - 1) * sizeof *w);
        w[len - 1] = word;
        kseq_add(p, w, len);
    }
    if (p->kn == ENG_SEQ_MAX - 1)
        memmove(p->last, p->last + 1, (ENG_SEQ_MAX - 2) * sizeof *p->last);
    else
        p->kn++;
    p->last[p->kn - 1] = word;
}

static void triple_add(prof *p, unsigned a, unsigned b, unsigned c)
{
    uint64_t key = ((uint64_t)a << 22 | (uint64_t)b << 11 | c) + 1;
    size_t h = (size_t)(key * 0x9E3779B97F4A7C15ull) & (p->tcap - 1);
    while (p->triples[2 * h] && p->triples[2 * h] != key)
        h = (h + 1) & (p->tcap - 1);
    p->triples[2 * h] = key;
    p->triples[2 * h + 1]++;
}

static void on_insn(void *ctx, const eravm_vm *vm, uint16_t pc, uint64_t word, uint32_t ergs,
                    int depth)
{
    (void)vm;
    (void)ergs;
    prof *p = ctx;
    unsigned idx = (unsigned)(word & 0x7FF);
    /* a new chain after a jump, a frame change or a pseudo-instruction
     * (the tracer passes word 0 beyond the code; index 0 never fuses) */
    if ((p->n || p->kn) && ((unsigned)depth != p->depth || pc != (uint16_t)(p->pc + 1)))
        p->n = p->kn = 0;
    if (idx == 0) {
        p->n = p->kn = 0;
        return;
    }
    if (p->keyed) {
        keyed_insn(p, word);
        p->pc = pc;
        p->depth = (unsigned)depth;
        return;
    }
    if (p->n >= 1)
        p->pairs[(size_t)p->idx[1] * SLOTS + idx]++;
    if (p->n >= 2)
        triple_add(p, p->idx[0], p->idx[1], idx);
    p->idx[0] = p->idx[1];
    p->idx[1] = idx;
    p->n = p->n < 2 ? p->n + 1 : 2;
    p->pc = pc;
    p->depth = (unsigned)depth;
}

typedef struct {
    unsigned a, b, c;
    uint64_t count;
} row;

static int by_count(const void *x, const void *y)
{
    const row *r = x, *s = y;
    if (r->count != s->count)
        return r->count < s->count ? 1 : -1;
    if (r->a != s->a)
        return r->a < s->a ? -1 : 1;
    if (r->b != s->b)
        return r->b < s->b ? -1 : 1;
    return r->c < s->c ? -1 : r->c > s->c;
}

static int by_kcount(const void *x, const void *y)
{
    const struct kseq *a = x, *b = y;
    if (a->count != b->count)
        return a->count < b->count ? 1 : -1;
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    return memcmp(a->w, b->w, a->n * sizeof *a->w);
}

static void print_keyed(prof *p)
{
    size_t n = 0;
    for (size_t h = 0; h < p->kcap; h++)
        if (p->ks[h].n && (double)p->ks[h].count >= KEYED_MIN_SHARE * (double)p->dispatches)
            p->ks[n++] = p->ks[h];
    qsort(p->ks, n, sizeof *p->ks, by_kcount);
    printf("count,n,words,records,names\n");
    for (size_t i = 0; i < n; i++) {
        const struct kseq *e = &p->ks[i];
        printf("%llu,%u,", (unsigned long long)e->count, e->n);
        for (unsigned k = 0; k < e->n; k++)
            printf("%s%016llx", k ? " " : "", (unsigned long long)e->w[k]);
        printf(",");
        for (unsigned k = 0; k < e->n; k++) {
            vm_rec r = predecode_record(e->w[k]);
            printf("%s%x.%x.%x.%x.%x.%x.%x.%x", k ? " " : "", r.idx, r.src0, r.src1, r.dst0,
                   r.dst1, r.imm0, r.imm1, r.slow);
        }
        printf(",");
        for (unsigned k = 0; k < e->n; k++) {
            char nm[48];
            eravm_index_name((int)(e->w[k] & 0x7FF), nm, sizeof nm);
            printf("%s%s", k ? " ; " : "", nm);
        }
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    bool keyed = argc == 2 && strcmp(argv[1], "--keyed") == 0;
    if (argc != 1 && !keyed) {
        fprintf(stderr, "usage: fusion-profile [--keyed] > profiles/fusion[-keyed].csv  (reads $ERAVM_DATA)\n");
        return 2;
    }
    eravm_optab_init();
    bench_manifest m;
    char err[256];
    if (bench_manifest_load_builtin(&m, err, sizeof err) != 0) {
        fprintf(stderr, "fusion-profile: %s\n", err);
        return 1;
    }
    prof p;
    memset(&p, 0, sizeof p);
    p.pairs = calloc((size_t)SLOTS * SLOTS, sizeof *p.pairs);
    p.tcap = 1 << 20; /* distinct triples: far fewer */
    p.triples = calloc(2 * p.tcap, sizeof *p.triples);
    p.keyed = keyed;
    if (keyed) {
        p.kcap = 1 << 20;
        p.ks = calloc(p.kcap, sizeof *p.ks);
    }
    int runs = 0;
    for (size_t i = 0; i < m.n; i++) {
        const bench_workload *w = &m.w[i];
        /* (the keyed profile leaves the synthetic loops out: they measure
         * each opcode's cost, which a twin keyed on their words would
         * hide) */
        if (strcmp(w->tier, "bare") != 0 || (strncmp(w->source, "data:vm-benchmark/", 18) != 0 &&
                                              (keyed || strncmp(w->source, "synth:", 6) != 0)))
            continue;
        uint8_t *code;
        size_t len;
        if (bench_load_code(w, &code, &len, err, sizeof err) != 0) {
            fprintf(stderr, "fusion-profile: %s\n", err);
            return 1;
        }
        bench_run *r = bench_prepare(w, code, len, ERAVM_ENGINE_SIMPLE);
        p.n = p.kn = 0;
        eravm_vm_set_trace(bench_vm(r), on_insn, &p);
        bench_execute(r);
        bench_release(r);
        free(code);
        runs++;
    }
    if (!runs) {
        fprintf(stderr, "fusion-profile: no vm-benchmark bytecode found (set ERAVM_DATA)\n");
        return 1;
    }
    if (keyed) {
        print_keyed(&p);
        free(p.ks);
        free(p.pairs);
        free(p.triples);
        bench_manifest_free(&m);
        return 0;
    }
    size_t cap = 4096, n = 0;
    row *rows = malloc(cap * sizeof *rows);
    for (size_t k = 0; k < (size_t)SLOTS * SLOTS; k++) {
        if (!p.pairs[k])
            continue;
        if (n == cap)
            rows = realloc(rows, (cap *= 2) * sizeof *rows);
        rows[n++] = (row){(unsigned)(k / SLOTS), (unsigned)(k % SLOTS), SLOTS, p.pairs[k]};
    }
    for (size_t h = 0; h < p.tcap; h++) {
        uint64_t key = p.triples[2 * h];
        if (!key--)
            continue;
        if (n == cap)
            rows = realloc(rows, (cap *= 2) * sizeof *rows);
        rows[n++] = (row){(unsigned)(key >> 22), (unsigned)(key >> 11) & 0x7FF,
                          (unsigned)key & 0x7FF, p.triples[2 * h + 1]};
    }
    qsort(rows, n, sizeof *rows, by_count);
    printf("a_index,b_index,c_index,a_name,b_name,c_name,count,saving_ns\n");
    for (size_t k = 0; k < n; k++) {
        char na[48], nb[48], nc[48] = "";
        eravm_index_name((int)rows[k].a, na, sizeof na);
        eravm_index_name((int)rows[k].b, nb, sizeof nb);
        if (rows[k].c < SLOTS) {
            eravm_index_name((int)rows[k].c, nc, sizeof nc);
            printf("%u,%u,%u,%s,%s,%s,%llu,\n", rows[k].a, rows[k].b, rows[k].c, na, nb, nc,
                   (unsigned long long)rows[k].count);
        } else {
            printf("%u,%u,,%s,%s,,%llu,\n", rows[k].a, rows[k].b, na, nb,
                   (unsigned long long)rows[k].count);
        }
    }
    free(rows);
    free(p.pairs);
    free(p.triples);
    bench_manifest_free(&m);
    return 0;
}
