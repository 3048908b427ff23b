/* tests/test_predecode.c — the predecoder and the superinstructions:
 *  - the engine's generated index table says what the opcode table says,
 *    for all 2048 indices (family, modes, flags, class, base cost);
 *  - the fused-sequence table is sorted and fuses only specialised variants,
 *    and each sequence is what a program of its indices decodes to (the
 *    longest match);
 *  - each specialised index decodes to its S_, M_, Z_ and MZ_ handler
 *    exactly where the word's registers say;
 *  - records' predicate masks hold exactly for the flags eravm-isa.md §3.2
 *    gives each condition;
 *  - exactness at every ergs boundary: loops built from fused sequences
 *    (arithmetic, the decrement-and-branch tail, heap stores with growth)
 *    run with every starting ergs from 0 up to enough for a few iterations
 *    give the same status, ergs left, instruction and skipped counts on the
 *    fast engine (fused) as on the simple one (one record at a time), so an
 *    out-of-ergs panic inside a fused sequence happens where it would
 *    unfused;
 *  - lazy decoding: a new program's records are all H_DECODE; a run decodes
 *    exactly the blocks it enters, each equal to the eagerly decoded block;
 *  - a near call at the last pc returns to pc 0 on every engine;
 *  - keyed twins: each key is the records its words decode to, a program
 *    holding those words gets the twin and one with a field changed gets
 *    the plain fused handler; decode_shl_sub's loop words, placed in a
 *    program that reads the jump's link register after them, agree with
 *    the simple engine at every starting ergs, erasing and not (the twin
 *    finds its records' places in the program from ip, not from the key);
 *  - programs shared between threads: four VMs on four threads run one
 *    fresh program at once (racing to decode its blocks), many times, and
 *    each gets what one VM alone gets. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "check.h"
#include "engine.h"
#include "world_mem.h"

static void check_index_table(void)
{
    CASE_BEGIN();
    eravm_optab_init();
    for (unsigned i = 0; i < ERAVM_OPCODE_SLOTS; i++) {
        const eng_index_entry *e = &eng_index_tab[i];
        const eravm_opinfo *o = &eravm_optab[i];
        EXPECT(e->op == o->op && (e->fl & 0x1F) == o->flags, "index %u: family/flags differ", i);
        if (o->op == EOP_INVALID)
            continue;
        const eravm_family *f = &eravm_families[o->op];
        EXPECT(!!(e->fl & RB_KERNEL) == f->kernel_only && !!(e->fl & RB_NOSTATIC) == f->static_forbidden,
               "index %u: mode bits differ", i);
        unsigned nf = 0;
        for (size_t k = 0; k < eng_fused_count; k++)
            nf += eng_fused_tab[k].idx[0] == i;
        EXPECT(e->nfused == nf, "index %u: %u fused sequences, not %u", i, e->nfused, nf);
        EXPECT(e->src_mode == o->src_mode && e->dst_mode == o->dst_mode, "index %u: modes differ", i);
        EXPECT(e->hclass == eravm_families[o->op].hclass, "index %u: class differs", i);
        EXPECT(e->ergs == eravm_families[o->op].ergs, "index %u: ergs differ", i);
    }
    CASE_END("engine index table agrees with the opcode table on all 2048 indices");
}

/* lexicographic order of two index sequences */
static int memcmp_u16(const uint16_t *a, const uint16_t *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

static void check_fused_table(void)
{
    CASE_BEGIN();
    for (size_t k = 0; k < eng_fused_count; k++) {
        const eng_fused_seq *s = &eng_fused_tab[k];
        unsigned len = 0;
        while (len < ENG_SEQ_MAX && s->idx[len] != ENG_NONE)
            EXPECT(eng_index_tab[s->idx[len++]].spec, "sequence %zu: index %u unspecialised", k, len - 1);
        EXPECT(len >= 2, "sequence %zu: %u instructions", k, len);
        for (unsigned i = len; i < ENG_SEQ_MAX; i++)
            EXPECT(s->idx[i] == ENG_NONE, "sequence %zu: an index after ENG_NONE", k);
        EXPECT(s->h >= H_FUSED_FIRST && s->h < H_COUNT, "sequence %zu: handler %u", k, s->h);
        if (k) {
            const eng_fused_seq *p = &eng_fused_tab[k - 1];
            EXPECT(memcmp_u16(p->idx, s->idx, ENG_SEQ_MAX) < 0, "sequence %zu out of order", k);
        }
    }
    CASE_END("fused-sequence table: %zu sequences, sorted, specialised components", eng_fused_count);
}

/* The decoder's pair table: every two indices find the slot of exactly
 * the sequences that start with them (all 2048 x 2048, against a scan of
 * the fused table), and no other slot is in use. */
static void check_pair_table(void)
{
    CASE_BEGIN();
    static uint8_t used[1u << ENG_PAIR_BITS];
    unsigned pairs = 0;
    for (unsigned a = 0; a < ERAVM_OPCODE_SLOTS; a++) {
        size_t lo = 0;
        while (lo < eng_fused_count && eng_fused_tab[lo].idx[0] < a)
            lo++;
        for (unsigned b = 0; b < ERAVM_OPCODE_SLOTS; b++) {
            size_t first = lo, n = 0;
            for (size_t k = lo; k < eng_fused_count && eng_fused_tab[k].idx[0] == a; k++) {
                if (eng_fused_tab[k].idx[1] != b)
                    continue;
                if (!n)
                    first = k;
                n++;
            }
            uint32_t key = ENG_PAIR_KEY(a, b);
            const eng_pair *p = &eng_pair_tab[ENG_PAIR_SLOT(key)];
            bool hit = p->n && p->key == key;
            EXPECT(hit == (n != 0), "indices %u %u: %s in the pair table, %zu sequences", a, b,
                   hit ? "found" : "not found", n);
            if (n && hit) {
                EXPECT(p->first == first && p->n == n, "indices %u %u: slot says %u+%u, not %zu+%zu", a,
                       b, p->first, p->n, first, n);
                used[ENG_PAIR_SLOT(key)] = 1;
                pairs++;
            }
        }
    }
    for (unsigned i = 0; i < 1u << ENG_PAIR_BITS; i++)
        EXPECT(!eng_pair_tab[i].n || used[i], "pair slot %u in use by no sequence", i);
    CASE_END("pair table: %u pairs in %u slots, one probe each, all 2048 x 2048 pairs checked", pairs,
             1u << ENG_PAIR_BITS);
}

/* The first record of a program of these n words (at most 8), invalid
 * words (index 0, which no sequence starts or extends) after them. */
static vm_rec decoded_first(const uint64_t *words, unsigned n)
{
    uint8_t code[64] = {0};
    for (unsigned k = 0; k < n; k++)
        u256_store_be64(code + 8 * k, words[k]);
    eravm_program *p = eravm_program_new(code, sizeof code);
    predecode_all(p);
    vm_rec r = p->recs[0];
    eravm_program_free(p);
    return r;
}

/* Every sequence of the fused table is what a program of its indices
 * decodes to (the longest match: a pair's when no triple extends it, and
 * so on). */
static void check_longest_match(void)
{
    CASE_BEGIN();
    unsigned n = 0;
    for (size_t k = 0; k < eng_fused_count; k++) {
        const eng_fused_seq *s = &eng_fused_tab[k];
        uint64_t w[ENG_SEQ_MAX];
        unsigned len = 0;
        for (; len < ENG_SEQ_MAX && s->idx[len] != ENG_NONE; len++)
            w[len] = s->idx[len] | 0x1111ull << 16; /* registers r1: no twin of a component matters */
        uint16_t h = decoded_first(w, len).h;
        EXPECT(h == s->h, "sequence %zu (%u %u ...): handler %u, not %u", k, s->idx[0], s->idx[1], h,
               s->h);
        n++;
    }
    CASE_END("longest match: each of the %u fused sequences is what its indices decode to", n);
}

static void check_predicates(void)
{
    CASE_BEGIN();
    for (unsigned cond = 0; cond < 8; cond++) {
        /* nop with condition `cond`: index 1, condition in bits 13..15 */
        uint64_t w = 1 | (uint64_t)cond << 13;
        vm_rec r = decoded_first(&w, 1);
        for (unsigned fl = 0; fl < 8; fl++) {
            bool lt = fl & 1, eq = fl & 2, gt = fl & 4;
            bool want = cond == 0 ? true : cond == 1 ? gt : cond == 2 ? lt : cond == 3 ? eq
                      : cond == 4 ? gt || eq : cond == 5 ? lt || eq : cond == 6 ? !eq : gt || lt;
            EXPECT(!((r.slow >> (REC_PRED_SHIFT + fl)) & 1) == want, "cond %u flags %u", cond, fl);
        }
    }
    CASE_END("predicate masks: 8 conditions x 8 flag values");
}

/* The handler a word with this index and these operand registers decodes
 * to (the word alone, as the first record of a one-word program). */
static unsigned decoded_handler(unsigned idx, unsigned s0, unsigned s1, unsigned d0)
{
    uint64_t w = idx | (uint64_t)(s0 | s1 << 4 | d0 << 8 | 1u << 12) << 16;
    return decoded_first(&w, 1).h;
}

/* The twins of a specialised handler (vm/engine_bits.h): S_, then M_ for
 * an add without flags whose rB is r0, then Z_ and MZ_ where every stack
 * or code operand is addressed by r0 plus its immediate; the decoder picks
 * by offset, so each index's twins must sit where it adds. */
static void check_twins(void)
{
    CASE_BEGIN();
    unsigned nz = 0, nm = 0;
    for (unsigned i = 0; i < ERAVM_OPCODE_SLOTS; i++) {
        const eng_index_entry *e = &eng_index_tab[i];
        if (!e->spec)
            continue;
        unsigned move = !!(e->slow & ENG_SLOW_MOVE), zs = !!(e->slow & ENG_SLOW_ZSRC),
                 zd = !!(e->slow & ENG_SLOW_ZDST), z = zs || zd;
        nm += move;
        nz += z;
        EXPECT(decoded_handler(i, 1, 1, 1) == e->spec, "index %u: S_", i);
        EXPECT(decoded_handler(i, 1, 0, 1) == e->spec + move, "index %u: M_", i);
        EXPECT(decoded_handler(i, 0, 1, 0) == e->spec + z * (1 + move), "index %u: Z_", i);
        EXPECT(decoded_handler(i, 0, 0, 0) == e->spec + move + z * (1 + move), "index %u: MZ_", i);
        /* one addressing register r0 is not enough where both address */
        if (zs && zd)
            EXPECT(decoded_handler(i, 0, 1, 1) == e->spec && decoded_handler(i, 1, 1, 0) == e->spec,
                   "index %u: Z_ with one register", i);
        EXPECT(!z || eravm_optab[i].src_mode != SRC_REG || !zs, "index %u: ZSRC on a register source", i);
    }
    CASE_END("handler twins: %u specialised indices with move twins, %u with r0-addressed twins; "
             "the decoder lands on each",
             nm, nz);
}

typedef struct {
    eravm_status status;
    uint32_t ergs_left;
    uint64_t instructions, skipped;
} outcome;

/* One run of p, deployed at addr in w, on a fresh VM with that engine. */
static eravm_result run_program(eravm_memworld *w, const eravm_program *p, u256 addr,
                                uint32_t ergs, int engine)
{
    eravm_world iface = eravm_memworld_iface(w);
    eravm_vm *vm = eravm_vm_new(&iface, NULL);
    eravm_vm_set_engine(vm, engine);
    eravm_call call;
    memset(&call, 0, sizeof call);
    call.address = addr;
    call.ergs = ergs;
    eravm_result res;
    eravm_vm_run(vm, p, &call, &res);
    eravm_vm_free(vm);
    return res;
}

static outcome run_once(const uint8_t *code, size_t len, uint32_t ergs, int engine)
{
    eravm_memworld *w = eravm_memworld_new();
    u256 addr = u256_from_u64(0x1234567890abcdefull);
    u256 hash = eravm_memworld_deploy(w, addr, code, len, false);
    eravm_result res = run_program(w, eravm_memworld_program(w, hash), addr, ergs, engine);
    outcome o = {res.status, res.ergs_left, res.instructions, res.skipped};
    eravm_memworld_free(w);
    return o;
}

static void check_exact_at_every_ergs(const char *name, const char *src, uint32_t max_ergs)
{
    CASE_BEGIN();
    char err[256];
    eravm_asm_result r;
    if (eravm_asm(src, strlen(src), name, &r, err, sizeof err) != 0) {
        EXPECT(0, "%s", err);
        CASE_END("%s: assembles", name);
        return;
    }
    eravm_program *p = eravm_program_new(r.code, r.len);
    predecode_all(p);
    unsigned fused = 0;
    for (uint32_t i = 0; i < p->ndec; i++)
        fused += p->recs[i].h >= H_FUSED_FIRST;
    EXPECT(fused > 0, "no fused record: the test would not test fusion");
    eravm_program_free(p);
    for (uint32_t ergs = 0; ergs <= max_ergs; ergs++) {
        outcome a = run_once(r.code, r.len, ergs, ERAVM_ENGINE_FAST);
        outcome b = run_once(r.code, r.len, ergs, ERAVM_ENGINE_SIMPLE);
        EXPECT(a.status == b.status && a.ergs_left == b.ergs_left &&
                   a.instructions == b.instructions && a.skipped == b.skipped,
               "ergs %u: fast %d/%u/%llu/%llu, simple %d/%u/%llu/%llu", ergs, a.status,
               a.ergs_left, (unsigned long long)a.instructions, (unsigned long long)a.skipped,
               b.status, b.ergs_left, (unsigned long long)b.instructions,
               (unsigned long long)b.skipped);
    }
    eravm_asm_free(&r);
    CASE_END("%s: fast (%u fused records) = simple for every starting ergs 0..%u", name, fused,
             max_ergs);
}

/* A fused record whose first component reads a pointer as an integer in
 * user mode (r1, the calldata pointer a frame starts with) leaves for its
 * erasing twin, and is given the twin for good: after one run the program
 * holds twin handlers, and a second run on the same program agrees with the
 * simple engine as the first did. */
static const char erasing_loop[] = "\t.text\n\tadd\t3, r0, r2\n\tadd\t4, r0, r13\n"
                                   ".loop:\n\tadd\tr1, r2, r3\n\tadd\tr1, r2, r3\n\tadd\tr1, r2, r3\n"
                                   "\tsub.s!\t1, r13, r13\n\tjump.ne\t@.loop\n\tret\n";

static void check_twin_patch(void)
{
    CASE_BEGIN();
    char err[256];
    eravm_asm_result r;
    if (eravm_asm(erasing_loop, strlen(erasing_loop), "erasing_loop", &r, err, sizeof err) != 0) {
        EXPECT(0, "%s", err);
        CASE_END("twin patch: assembles");
        return;
    }
    eravm_memworld *w = eravm_memworld_new();
    u256 addr = u256_from_u64(0x1234567890abcdefull);
    u256 hash = eravm_memworld_deploy(w, addr, r.code, r.len, false);
    const eravm_program *p = eravm_memworld_program(w, hash);
    outcome o[2];
    for (int k = 0; k < 2; k++) {
        eravm_result res = run_program(w, p, addr, 10000, ERAVM_ENGINE_FAST);
        o[k] = (outcome){res.status, res.ergs_left, res.instructions, res.skipped};
        unsigned twins = 0;
        for (uint32_t i = 0; i < p->ndec; i++)
            twins += p->recs[i].h >= H_TWIN_FIRST && p->recs[i].h < H_COUNT;
        EXPECT(twins > 0, "run %d: no record holds an erasing twin", k);
    }
    outcome want = run_once(r.code, r.len, 10000, ERAVM_ENGINE_SIMPLE);
    for (int k = 0; k < 2; k++)
        EXPECT(o[k].status == want.status && o[k].ergs_left == want.ergs_left &&
                   o[k].instructions == want.instructions && o[k].skipped == want.skipped,
               "run %d: fast %d/%u/%llu, simple %d/%u/%llu", k, o[k].status, o[k].ergs_left,
               (unsigned long long)o[k].instructions, want.status, want.ergs_left,
               (unsigned long long)want.instructions);
    eravm_memworld_free(w);
    eravm_asm_free(&r);
    CASE_END("twin patch: a fused record that met a pointer read as an integer keeps its erasing twin, "
             "and runs on the patched program agree with the simple engine");
}

/* `pre`, then n copies of `line`, then `post`, assembled */
static int assemble_repeat(const char *pre, const char *line, unsigned n, const char *post,
                           eravm_asm_result *r)
{
    size_t cap = strlen(pre) + strlen(post) + n * strlen(line) + 1;
    char *src = malloc(cap), err[256];
    strcpy(src, pre);
    for (unsigned i = 0; i < n; i++)
        strcat(src, line);
    strcat(src, post);
    int rc = eravm_asm(src, strlen(src), "repeat", r, err, sizeof err);
    if (rc != 0)
        EXPECT(0, "%s", err);
    free(src);
    return rc;
}

static void check_lazy(void)
{
    CASE_BEGIN();
    eravm_asm_result r;
    /* pc 0 jumps over 200 instructions (blocks 1-5) to the end */
    if (assemble_repeat("\t.text\n\tjump\t@.end\n", "\tadd\t1, r1, r1\n", 200,
                        ".end:\n\tadd\t7, r0, r2\n\tret\n", &r) != 0) {
        CASE_END("lazy decoding: assembles");
        return;
    }
    eravm_memworld *w = eravm_memworld_new();
    u256 addr = u256_from_u64(0x4242);
    u256 hash = eravm_memworld_deploy(w, addr, r.code, r.len, false);
    const eravm_program *p = eravm_memworld_program(w, hash);
    unsigned undecoded = 0;
    for (uint32_t i = 0; i < p->ndec; i++)
        undecoded += p->recs[i].h == H_DECODE;
    EXPECT(undecoded == p->ndec, "%u of %u records decoded before any run", p->ndec - undecoded,
           p->ndec);
    eravm_result res = run_program(w, p, addr, 100000, ERAVM_ENGINE_FAST);
    EXPECT(res.instructions == 3, "%llu instructions", (unsigned long long)res.instructions);
    eravm_program *eager = eravm_program_new(r.code, r.len);
    predecode_all(eager);
    uint32_t end_block = 201 / PREDECODE_BLOCK;
    for (uint32_t b = 0; b * PREDECODE_BLOCK < p->ndec; b++) {
        bool want = b == 0 || b == end_block;
        EXPECT((p->blocks[b] == PREDECODE_DONE) == want, "block %u: state %u", b, p->blocks[b]);
        uint32_t first = b * PREDECODE_BLOCK;
        uint32_t n = p->ndec - first < PREDECODE_BLOCK ? p->ndec - first : PREDECODE_BLOCK;
        bool next_done = first + n < p->ndec && p->blocks[b + 1] == PREDECODE_DONE;
        for (uint32_t i = first; i < first + n; i++)
            if (want && (i + ENG_SEQ_MAX - 1 < first + n || next_done))
                EXPECT(!memcmp(&p->recs[i], &eager->recs[i], sizeof(vm_rec)),
                       "record %u differs from the eager decode", i);
            else if (want) /* a sequence into a block not decoded is not fused yet */
                EXPECT(!memcmp((const uint8_t *)&p->recs[i] + sizeof p->recs[i].h,
                               (const uint8_t *)&eager->recs[i] + sizeof p->recs[i].h,
                               sizeof(vm_rec) - sizeof p->recs[i].h) &&
                           (p->recs[i].h == eager->recs[i].h || eager->recs[i].h >= H_FUSED_FIRST),
                       "record %u differs from the eager decode", i);
            else
                EXPECT(p->recs[i].h == H_DECODE, "record %u decoded without a run", i);
    }
    /* block 1 decoded too: the sequences from block 0 into it are fused
     * as the eager decode fuses them (its last ENG_SEQ_MAX - 1 records) */
    unsigned crossing = 0;
    for (uint32_t i = PREDECODE_BLOCK - (ENG_SEQ_MAX - 1); i < PREDECODE_BLOCK; i++)
        crossing += p->recs[i].h != eager->recs[i].h;
    EXPECT(crossing > 0, "no sequence crosses from block 0 into block 1: the test lost its point");
    predecode_block(p, PREDECODE_BLOCK);
    for (uint32_t i = PREDECODE_BLOCK - (ENG_SEQ_MAX - 1); i < PREDECODE_BLOCK; i++)
        EXPECT(!memcmp(&p->recs[i], &eager->recs[i], sizeof(vm_rec)),
               "record %u: not fused into block 1 once it was decoded", i);
    eravm_program_free(eager);
    eravm_memworld_free(w);
    eravm_asm_free(&r);
    CASE_END("lazy decoding: only the blocks a run enters, as the eager decode makes them; "
             "a fused sequence into the next block once that is decoded too");
}

/* A program over the caller's bytes (eravm_program_new_borrowed, the
 * bootloader host's) reads them where they are and decodes as a copy does. */
static void check_borrowed(void)
{
    CASE_BEGIN();
    eravm_asm_result r;
    if (assemble_repeat("\t.text\n", "\tadd\t1, r1, r1\n\tsub.s!\t1, r1, stack[2]\n", 40,
                        "\tret\n", &r) != 0) {
        CASE_END("borrowed code: assembles");
        return;
    }
    eravm_program *copy = eravm_program_new(r.code, r.len);
    eravm_program *lent = eravm_program_new_borrowed(r.code, r.len);
    EXPECT(eravm_program_code(lent) == r.code, "the borrowed program copied its code");
    EXPECT(eravm_program_code(copy) != r.code, "the copied program did not copy its code");
    EXPECT(eravm_program_len(lent) == r.len, "length %zu of %zu", eravm_program_len(lent), r.len);
    predecode_all(copy);
    predecode_all(lent);
    EXPECT(lent->ndec == copy->ndec && !memcmp(lent->recs, copy->recs, (copy->ndec + 2) * sizeof(vm_rec)),
           "the borrowed program's records differ from the copy's");
    eravm_program_free(lent);
    eravm_program_free(copy);
    eravm_asm_free(&r);
    CASE_END("borrowed code: read in place, decoded as a copy is");
}

typedef struct {
    eravm_memworld *w;
    u256 addr, hash;
    pthread_barrier_t *start;
    outcome out;
} thread_run;

static void *run_thread(void *arg)
{
    thread_run *t = arg;
    eravm_world iface = eravm_memworld_iface(t->w);
    eravm_vm *vm = eravm_vm_new(&iface, NULL);
    eravm_call call;
    memset(&call, 0, sizeof call);
    call.address = t->addr;
    call.ergs = 1000000;
    eravm_result res;
    if (t->start)
        pthread_barrier_wait(t->start); /* all at once, to race on the decoding */
    eravm_vm_run(vm, eravm_memworld_program(t->w, t->hash), &call, &res);
    t->out = (outcome){res.status, res.ergs_left, res.instructions, res.skipped};
    eravm_vm_free(vm);
    return NULL;
}

static void check_threads(void)
{
    CASE_BEGIN();
    eravm_asm_result r;
    /* straight-line fused arithmetic over ~60 blocks, a conditional tail */
    if (assemble_repeat("\t.text\n\tadd\t3, r0, r2\n",
                        "\tadd\tr1, r2, r1\n\tsub.s!\t1, r2, r3\n\tadd.gt\t1, r1, r1\n", 640,
                        "\tret\n", &r) != 0) {
        CASE_END("threads: assembles");
        return;
    }
    enum { NT = 4, ROUNDS = 40 };
    outcome want = {0};
    unsigned bad = 0;
    for (int round = 0; round <= ROUNDS; round++) {
        thread_run t[NT];
        eravm_memworld *w = eravm_memworld_new(); /* a fresh, undecoded program each round */
        u256 addr = u256_from_u64(0x5151);
        u256 hash = eravm_memworld_deploy(w, addr, r.code, r.len, false);
        pthread_t th[NT];
        int nt = round == 0 ? 1 : NT; /* round 0: one VM alone */
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, (unsigned)nt);
        for (int k = 0; k < nt; k++) {
            t[k] = (thread_run){.w = w, .addr = addr, .hash = hash, .start = &start};
            pthread_create(&th[k], NULL, run_thread, &t[k]);
        }
        for (int k = 0; k < nt; k++) {
            pthread_join(th[k], NULL);
            if (round == 0)
                want = t[k].out;
            else
                bad += t[k].out.status != want.status || t[k].out.ergs_left != want.ergs_left ||
                       t[k].out.instructions != want.instructions || t[k].out.skipped != want.skipped;
        }
        pthread_barrier_destroy(&start);
        eravm_memworld_free(w);
    }
    EXPECT(want.instructions == 1922, "alone: %llu instructions",
           (unsigned long long)want.instructions);
    EXPECT(bad == 0, "%u of %d runs differ from one VM alone", bad, NT * ROUNDS);
    eravm_asm_free(&r);
    CASE_END("threads: %d VMs at once on one fresh program, %d times, as one alone", NT, ROUNDS);
}

/* A near call at the last pc, 65535, returns to pc 0 (the pc is 16 bits):
 * through the WRAP record in this engine, which keeps the record to return
 * to. Each engine runs it: pc 0 sends the first pass to the call, which
 * calls the `ret` at 65534; back at pc 0 the second pass ends at pc 4 (a
 * far `ret`, which panics here as a program of a bare `ret` does: the
 * engines' statuses are compared, not asserted). */
static void check_call_at_last_pc(void)
{
    CASE_BEGIN();
    static const char head[] = "\t.text\n\tadd!\tr5, r0, r0\n\tjump.ne\t4\n\tadd\t1, r0, r5\n"
                               "\tjump\t65535\n\tret\n";
    static const char tail[] = "\t.text\n\tret\n\tcall\tr0, 65534, 0\n";
    char err[256];
    eravm_asm_result h, t;
    bool ok = eravm_asm(head, strlen(head), "head", &h, err, sizeof err) == 0 &&
              eravm_asm(tail, strlen(tail), "tail", &t, err, sizeof err) == 0;
    EXPECT(ok, "%s", err);
    if (!ok) {
        CASE_END("a near call at pc 65535 returns to pc 0");
        return;
    }
    size_t len = 32 * 16385; /* 65,540 instruction slots (an odd number of words) */
    uint8_t *code = calloc(1, len);
    memcpy(code, h.code, 5 * 8);
    memcpy(code + 8 * 65534, t.code, 2 * 8);
    outcome o[3];
    const int engines[3] = {ERAVM_ENGINE_FAST, ERAVM_ENGINE_COUNTING, ERAVM_ENGINE_SIMPLE};
    for (int e = 0; e < 3; e++)
        o[e] = run_once(code, len, 100000, engines[e]);
    /* nine instructions, ergs left: the return went on at pc 0 (landing
     * anywhere else, the second pass would not have ended at pc 4) */
    EXPECT(o[2].instructions == 9 && o[2].ergs_left > 90000, "simple: status %d, %llu instructions",
           o[2].status, (unsigned long long)o[2].instructions);
    for (int e = 0; e < 2; e++)
        EXPECT(o[e].status == o[2].status && o[e].ergs_left == o[2].ergs_left &&
                   o[e].instructions == o[2].instructions && o[e].skipped == o[2].skipped,
               "engine %d: %d/%u/%llu, simple %d/%u/%llu", engines[e], o[e].status, o[e].ergs_left,
               (unsigned long long)o[e].instructions, o[2].status, o[2].ergs_left,
               (unsigned long long)o[2].instructions);
    free(code);
    eravm_asm_free(&h);
    eravm_asm_free(&t);
    CASE_END("a near call at pc 65535 returns to pc 0 on the fast, counting and simple engines");
}

/* ---- keyed twins ---- */

static void check_keyed_table(void)
{
    CASE_BEGIN();
    eravm_optab_init();
    for (size_t i = 0; i < eng_keyed_count; i++) {
        const eng_keyed_seq *k = &eng_keyed_tab[i];
        EXPECT(k->n >= 2 && k->n <= ENG_SEQ_MAX, "key %zu: %u components", i, k->n);
        EXPECT(k->h >= H_FUSED_FIRST && k->h < H_TWIN_FIRST, "key %zu: handler %u", i, k->h);
        const eng_fused_seq *f = NULL;
        for (size_t j = 0; j < eng_fused_count; j++)
            if (eng_fused_tab[j].h == k->fused)
                f = &eng_fused_tab[j];
        EXPECT(f != NULL, "key %zu: its fused handler %u is no sequence's", i, k->fused);
        size_t first = f && f->keyed ? (size_t)f->keyed - 1 : i + 1;
        EXPECT(first <= i, "key %zu: its sequence does not lead to it", i);
        for (size_t j = first; j < i; j++)
            EXPECT(eng_keyed_tab[j].fused == k->fused, "key %zu: key %zu between, another sequence's", i, j);
        for (unsigned c = 0; c < k->n && c < ENG_SEQ_MAX; c++) {
            vm_rec r = predecode_record(k->words[c]);
            EXPECT(rec_same_fields(&r, &k->recs[c]),
                   "key %zu component %u: the key is not what word %016llx decodes to "
                   "(make fusion-profile gen-engine)", i, c, (unsigned long long)k->words[c]);
            EXPECT(!f || f->idx[c] == r.idx, "key %zu component %u: index %u, sequence has %u", i,
                   c, r.idx, f ? f->idx[c] : 0);
        }
        EXPECT(!f || k->n == ENG_SEQ_MAX || f->idx[k->n] == ENG_NONE, "key %zu: shorter than its sequence", i);
        EXPECT(decoded_first(k->words, k->n).h == k->h, "key %zu: its words do not decode to the twin", i);
        /* one field off: imm1 (bits 48..63) of the last word, then src0 of the first */
        uint64_t w[ENG_SEQ_MAX];
        memcpy(w, k->words, sizeof w);
        w[k->n - 1] ^= 1ull << 49;
        EXPECT(decoded_first(w, k->n).h == k->fused, "key %zu: imm1 changed, still the twin", i);
        memcpy(w, k->words, sizeof w);
        w[0] ^= 1ull << 16;
        uint16_t h = decoded_first(w, k->n).h;
        EXPECT(h != k->h, "key %zu: src0 changed, still the twin", i);
    }
    CASE_END("keyed twins: %zu keys, each the records of its words; a field changed loses the twin",
             eng_keyed_count);
}

/* decode_shl_sub's loop body (rol from the stack, pushed; ror popped into
 * r8; sub into the stack; jump to a popped pc, linking r4) at pcs 5..8,
 * after a test of r4 at pc 0: the first time r4 is 0 and the program goes
 * to the loop body, whose jump pops a 0 (as in decode_shl_sub) and links
 * r4; back at pc 0 it returns ok (r1 cleared) only if r4 holds that link,
 * 9, else it runs the body until the ergs run out. With r1 left a pointer
 * (the calldata) the rol reads it as an integer and the erasing twin runs;
 * with r1 cleared first, the plain one. */
static const uint64_t dss_loop[4] = {0x0021017e0018f2c4ull, 0x7e0021c428013b00ull,
                                     0x04003f1100000098ull, 0x00000021c428013aull};

static void check_keyed_dss(bool clear_r1)
{
    CASE_BEGIN();
    const eng_keyed_seq *k = NULL;
    for (size_t i = 0; i < eng_keyed_count; i++)
        if (eng_keyed_tab[i].n == 4 && !memcmp(eng_keyed_tab[i].words, dss_loop, sizeof dss_loop))
            k = &eng_keyed_tab[i];
    EXPECT(k != NULL, "no keyed twin of decode_shl_sub's loop in vm/engine.gen.h");
    char src[256];
    snprintf(src, sizeof src,
             "\t.text\n\tsub.s!\t9, r4, r0\n\tjump.ne\t@.first\n\tadd\tr0, r0, r1\n\tret\n.first:\n\t%s\n"
             "\tnop\n\tnop\n\tnop\n\tnop\n\tret\n",
             clear_r1 ? "add\tr0, r0, r1" : "nop");
    char err[256];
    eravm_asm_result r;
    if (eravm_asm(src, strlen(src), "keyed_dss", &r, err, sizeof err) != 0) {
        EXPECT(0, "%s", err);
        CASE_END("keyed twin of decode_shl_sub's loop: assembles");
        return;
    }
    EXPECT(r.len >= 8 * 10 && eravm_fetch_word(r.code, 5) == 1 && eravm_fetch_word(r.code, 8) == 1 &&
               eravm_fetch_word(r.code, 9) != 1,
           "the placeholders are not at pcs 5..8");
    for (unsigned c = 0; c < 4; c++)
        u256_store_be64(r.code + 8 * (5 + c), dss_loop[c]);
    eravm_program *p = eravm_program_new(r.code, r.len);
    predecode_all(p);
    EXPECT(!k || p->recs[5].h == k->h, "pc 5 holds handler %u, not the keyed twin", p->recs[5].h);
    eravm_program_free(p);
    unsigned ok = 0;
    for (uint32_t ergs = 0; ergs <= 200; ergs++) {
        outcome a = run_once(r.code, r.len, ergs, ERAVM_ENGINE_FAST);
        outcome b = run_once(r.code, r.len, ergs, ERAVM_ENGINE_SIMPLE);
        EXPECT(a.status == b.status && a.ergs_left == b.ergs_left &&
                   a.instructions == b.instructions && a.skipped == b.skipped,
               "ergs %u: fast %d/%u/%llu, simple %d/%u/%llu", ergs, a.status, a.ergs_left,
               (unsigned long long)a.instructions, b.status, b.ergs_left,
               (unsigned long long)b.instructions);
        ok += a.status == ERAVM_OK;
    }
    EXPECT(ok > 0, "no starting ergs up to 200 reaches the epilogue's ret");
    eravm_asm_free(&r);
    CASE_END("keyed twin of decode_shl_sub's loop (%s): fast = simple at every ergs 0..200, "
             "%u of them returning ok (r4 holds the link)",
             clear_r1 ? "r1 cleared, plain" : "r1 a pointer, erasing", ok);
}

int main(void)
{
    check_index_table();
    check_fused_table();
    check_pair_table();
    check_longest_match();
    check_predicates();
    check_twins();
    check_lazy();
    check_borrowed();
    check_threads();
    check_exact_at_every_ergs("arith_loop",
                              "\t.text\n\tadd\t5, r0, r1\n\tadd\t3, r0, r2\n\tadd\t4, r0, r13\n"
                              ".loop:\n\tadd\tr1, r2, r3\n\tadd\tr1, r2, r3\n\tadd\tr1, r2, r3\n"
                              "\tsub.s!\t1, r13, r13\n\tjump.ne\t@.loop\n\tret\n",
                              260);
    check_exact_at_every_ergs("erasing_loop", erasing_loop, 260);
    /* stack operands addressed by immediates alone (the Z_ and MZ_ twins)
     * beside the same through a register */
    check_exact_at_every_ergs("stack_loop",
                              "\t.text\n\tadd\t7, r0, r1\n\tadd\t1, r0, r4\n\tadd\t5, r0, r13\n"
                              "\tnop\tstack+=[4]\n"
                              ".loop:\n\tadd\tr1, r0, stack-[2]\n\tadd\tstack-[2], r0, r2\n"
                              "\tadd\tstack-[1 + r4], r2, stack[3]\n\tsub.s\tstack[3], r1, stack-[1]\n"
                              "\tadd\tcode[0], r0, r3\n\tsub.s!\t1, r13, r13\n\tjump.ne\t@.loop\n\tret\n",
                              400);
    check_twin_patch();
    check_call_at_last_pc();
    check_keyed_table();
    check_keyed_dss(false);
    check_keyed_dss(true);
    /* heap stores last in fused sequences, paying growth past the 4 KiB a
     * user frame starts with, and reads of what they wrote */
    check_exact_at_every_ergs("heap_loop",
                              "\t.text\n\tadd\t4000, r0, r1\n\tadd\t6, r0, r13\n"
                              ".loop:\n\tadd\t32, r1, r1\n\tstm.h\tr1, r13\n\tadd\t0, r1, r2\n"
                              "\tldm.h\tr2, r3\n\tsub.s!\t1, r13, r13\n\tjump.ne\t@.loop\n\tret\n",
                              700);
    return check_exit();
}
