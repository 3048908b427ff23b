/* tests/test_engines.c — the fast and simple engines against each other on
 * random programs. The simple engine (vm/ref.c) is written independently of
 * the fast one (no shared decoder, handlers, memory or world diff), so any
 * difference is a bug in one of them.
 *
 * Each case is a world of contracts made of random instruction words: every
 * opcode index, random predicates and registers, immediates that often land
 * on the program's own instructions, stack slots and a table of constants
 * (contract and precompile addresses, far-call and precompile ABI words,
 * code hashes, offsets at the heap's edges) that a prologue loads into
 * registers. Runs use VM hooks and external snapshots in some cases, a
 * pubdata price and a free slot. Compared: status, ergs, instruction counts,
 * return data, hook values, storage, transient storage, events, L2->L1 logs,
 * pubdata, final registers and flags, and the initial frame's memory.
 * Arguments: [cases] [first seed]; prints the seed of any difference. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "eravm.h"
#include "world_mem.h"

typedef struct {
    uint64_t s;
} rng;

static uint64_t rnd(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

static uint32_t below(rng *r, uint32_t n)
{
    return (uint32_t)(rnd(r) % n);
}

#define NCONST 40
#define NCONTRACTS 9

/* Where the contracts live: the entry (user or kernel), two user contracts,
 * EventWriter, MsgValueSimulator, AccountCodeStorage and three precompile
 * addresses, so every kind of callee and precompile can run. */
static const uint64_t addresses[NCONTRACTS] = {0x1234567890abcdefull, 0x10001, 0x10002, 0x800d, 0x8009,
                                               0x8002, 0x8010, 0x0002, 0x0001};

static u256 word_u64(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    u256 v = {{a, b, c, d}};
    return v;
}

/* A far-call / return ABI word: slice, ergs, forwarding mode, shard, flags. */
static uint64_t abi_high(rng *r, uint64_t mode)
{
    static const uint64_t ergs[] = {100000, 100000, 0xFFFFFFFF, 0xFFFFFFFF, 5000, 0, 30};
    uint64_t shard = below(r, 12) ? 0 : below(r, 3);
    uint64_t ctor = below(r, 6) ? 0 : 1, sys = below(r, 3) ? 0 : 1;
    return ergs[below(r, 7)] | mode << 32 | shard << 40 | ctor << 48 | sys << 56;
}

static u256 abi_word(rng *r)
{
    bool wild = below(r, 10) == 0; /* overflowing, offset, odd mode byte */
    uint64_t start = wild && below(r, 2) ? rnd(r) & 0xFFFFFFFF : below(r, 256);
    uint64_t length = wild && below(r, 2) ? rnd(r) & 0xFFFFFFFF : below(r, 600);
    uint64_t offset = wild && below(r, 2) ? below(r, 64) : 0;
    uint64_t mode = wild ? below(r, 256) : 2 * below(r, 2); /* heap or aux heap */
    return word_u64(offset | (uint64_t)below(r, 4) << 32, start | length << 32, 0, abi_high(r, mode));
}

/* The high half of a forwarding ABI, to ptr.pack onto a pointer. */
static u256 forward_word(rng *r)
{
    return word_u64(0, 0, 0, abi_high(r, 1));
}

/* A precompile ABI word: input/output offsets and lengths, pages, parameter. */
static u256 precompile_word(rng *r)
{
    uint64_t in_off = below(r, 256), in_len = below(r, 300), out_off = below(r, 16), out_len = below(r, 4);
    static const uint64_t page_ids[] = {0, 10, 11, 7, 1, 2050};
    uint64_t pages = page_ids[below(r, 6)] | page_ids[below(r, 6)] << 32; /* read, write */
    return word_u64(in_off | in_len << 32, out_off | out_len << 32, pages, below(r, 3));
}

static u256 constant(rng *r, const u256 *hashes, unsigned nhashes)
{
    switch (below(r, 12)) {
    case 0: return u256_from_u64(addresses[below(r, NCONTRACTS)]);
    case 1: return u256_from_u64(below(r, 3) ? 0x77 : 0x8003); /* no code: default account / fails */
    case 2: case 3: return abi_word(r);
    case 4: return precompile_word(r);
    case 5: return word_u64(below(r, 4000) | (uint64_t)below(r, 100) << 32, 0, 0, 0); /* precompile aux */
    case 6: return nhashes ? hashes[below(r, nhashes)] : u256_zero();
    case 7: {
        static const uint64_t edges[] = {0xFFFFFFDF, 0xFFFFFFE0, 0xFFFFFFFF, 0x100000000ull, 4064, 4096, 65536};
        return u256_from_u64(edges[below(r, 7)]);
    }
    case 8: return word_u64(rnd(r), rnd(r), rnd(r), rnd(r));
    case 9: return word_u64(rnd(r), 0, 0, 1ull << 63);
    default: return u256_from_u64(below(r, 3) ? below(r, 300) : rnd(r) & 0xFFFF);
    }
}

/* The constants table, by role: the prologue loads one of each role into
 * the register that instructions of that kind usually take. */
enum { C_ADDRESS = 0, C_ABI = 6, C_FORWARD = 12, C_PRECOMPILE = 16, C_AUX = 20, C_HASH = 24, C_MISC = 28 };

static u256 constant_for(rng *r, unsigned k, const u256 *hashes, unsigned nhashes)
{
    if (k < C_ABI)
        return u256_from_u64(below(r, 6) ? addresses[below(r, NCONTRACTS)] : below(r, 2) ? 0x77 : 0x8003);
    if (k < C_FORWARD)
        return abi_word(r);
    if (k < C_PRECOMPILE)
        return forward_word(r);
    if (k < C_AUX)
        return precompile_word(r);
    if (k < C_HASH)
        return word_u64(below(r, 2000) | (uint64_t)below(r, 100) << 32, 0, 0, 0);
    if (k < C_MISC && nhashes)
        return hashes[below(r, nhashes)];
    return constant(r, hashes, nhashes);
}

/* Registers by role: r1 calldata / returndata pointer, r4 and r7 callee
 * addresses, r5 a far-call ABI, r6 a small offset, r8 a precompile ABI, r9
 * its aux word, r10 a code hash, r11 the high half of a forwarding ABI, r12
 * that packed onto r1 (by the generated code); the others hold anything. */
static const unsigned role_reg[] = {4, 5, 6, 7, 8, 9, 10, 11};
static const unsigned role_const[] = {C_ADDRESS, C_ABI, C_MISC, C_ADDRESS, C_PRECOMPILE, C_AUX, C_HASH, C_FORWARD};

static uint64_t enc(unsigned op, unsigned cond, unsigned src0, unsigned src1, unsigned dst0,
                    unsigned dst1, unsigned imm0, unsigned imm1)
{
    return op | (uint64_t)cond << 13 | (uint64_t)src0 << 16 | (uint64_t)src1 << 20 |
           (uint64_t)dst0 << 24 | (uint64_t)dst1 << 28 | (uint64_t)(imm0 & 0xFFFF) << 32 |
           (uint64_t)(imm1 & 0xFFFF) << 48;
}

typedef struct {
    rng *r;
    unsigned pc, ninsn, cbase;
    bool kernel; /* the contract sits at a kernel address */
} gen;

static unsigned g_cond(gen *g)
{
    return below(g->r, 4) ? 0 : 1 + below(g->r, 7);
}

static unsigned g_reg(gen *g)
{
    return below(g->r, 16);
}

/* r8 holds a precompile ABI from the prologue and nothing else: a random
 * word there could ask sha256 for 2^60 blocks. */
static unsigned g_out(gen *g)
{
    unsigned r = 2 + below(g->r, 14);
    return r == 8 ? 2 : r;
}

static unsigned g_dst1(gen *g)
{
    return below(g->r, 10) ? 0 : g_out(g);
}

/* Mostly a pc a little ahead; sometimes anywhere (loops, the end). */
static unsigned g_target(gen *g)
{
    return below(g->r, 10) ? g->pc + 1 + below(g->r, 8) : below(g->r, g->ninsn + 2);
}

/* imm0 for a source mode: an immediate, a stack offset or a constant. */
static unsigned g_imm_for(gen *g, unsigned mode)
{
    if (mode == 4)
        return below(g->r, 3) ? below(g->r, 300) : (unsigned)rnd(g->r);
    if (mode == 5)
        return g->cbase + below(g->r, NCONST);
    return below(g->r, 6);
}

static uint64_t g_arith(gen *g)
{
    static const unsigned add_like[] = {25, 169, 319, 367, 415}, sub_like[] = {73, 217, 463, 559, 655, 751};
    unsigned src = below(g->r, 6), dst = below(g->r, 3) ? 0 : below(g->r, 4), sf = below(g->r, 2);
    unsigned op = below(g->r, 2) ? add_like[below(g->r, 5)] + 8 * src + 2 * dst + sf
                                 : sub_like[below(g->r, 6)] + 16 * src + 4 * dst + 2 * sf + below(g->r, 2);
    unsigned dst0 = dst ? below(g->r, 3) : g_out(g);
    return enc(op, g_cond(g), below(g->r, 3) ? g_reg(g) : 0, g_reg(g), dst0, g_dst1(g), g_imm_for(g, src),
               below(g->r, 6));
}

static uint64_t g_ptr(gen *g)
{
    if (below(g->r, 3) == 0) /* ptr.pack r1, r11, r12: a forwarding ABI */
        return enc(943, g_cond(g), 1, 11, 12, 0, 0, 0);
    unsigned src = below(g->r, 3) ? 0 : below(g->r, 6), dst = below(g->r, 3) ? 0 : below(g->r, 4);
    unsigned op = 847 + 48 * below(g->r, 4) + 8 * src + 2 * dst + (below(g->r, 5) ? 0 : 1);
    return enc(op, g_cond(g), below(g->r, 2) ? 1 : g_reg(g), below(g->r, 2) ? 6 : g_reg(g),
               dst ? 0 : 1 + below(g->r, 4), g_dst1(g), g_imm_for(g, src), below(g->r, 4));
}

static uint64_t g_call(gen *g)
{
    switch (below(g->r, 3)) {
    case 0: /* near_call rE, callee, handler */
        return enc(1039, g_cond(g), below(g->r, 2) ? 0 : g_reg(g), 0, 0, g_dst1(g), g_target(g), g_target(g));
    case 1: /* jump */
        return enc(313 + (below(g->r, 4) ? 4 : below(g->r, 6)), g_cond(g), 0, 0, below(g->r, 2) ? 0 : g_out(g),
                   g_dst1(g), g_target(g), 0);
    default: { /* far call (normal, delegate, mimic; .static, .shard) */
        unsigned op = 1057 + 4 * below(g->r, 3) + 2 * (below(g->r, 6) == 0) + (below(g->r, 10) == 0);
        unsigned k = below(g->r, 20), abi = k < 12 ? 5 : k < 18 ? 12 : 1;
        return enc(op, g_cond(g), abi, below(g->r, 2) ? 4 : 7, 0, g_dst1(g), g_target(g), 0);
    }
    }
}

static uint64_t g_ret(gen *g)
{
    unsigned op = 1069 + 2 * below(g->r, 3) + below(g->r, 2);
    unsigned k = below(g->r, 10), abi = k < 5 ? 5 : k < 8 ? 12 : 1;
    return enc(op, g_cond(g), abi, 0, 0, g_dst1(g), g_target(g), 0);
}

static uint64_t g_memory(gen *g)
{
    unsigned k = below(g->r, 6), inc = below(g->r, 2);
    if (k == 0) /* ld through the pointer in r1 */
        return enc(1083 + inc, g_cond(g), 1, 0, g_out(g), below(g->r, 2) ? 1 : g_out(g), 0, 0);
    if (k == 1) /* static memory */
        return enc(1096 + 4 * below(g->r, 2) + 2 * below(g->r, 2) + inc, g_cond(g), 6, g_reg(g),
                   g_out(g), g_dst1(g), 32 * below(g->r, 8), 0);
    unsigned imm = below(g->r, 2); /* ld.1 st.1 ld.2 st.2, register or immediate offset */
    unsigned op = (imm ? 1085 : 1075) + 2 * below(g->r, 4) + inc;
    unsigned k2 = below(g->r, 40);
    unsigned off = k2 < 12 ? 32 * below(g->r, 4) /* where the hook may be */
                   : k2 < 30 ? 32 * below(g->r, 130) : k2 < 39 ? below(g->r, 9000) : (unsigned)rnd(g->r);
    return enc(op, g_cond(g), imm ? 0 : 6, g_reg(g), g_out(g), g_dst1(g), off, 0);
}

static uint64_t g_world(gen *g)
{
    /* user code mostly keeps to what it may do */
    switch (g->kernel || below(g->r, 8) == 0 ? below(g->r, 6) : below(g->r, 3)) {
    case 0: return enc(1040 + below(g->r, 10), g_cond(g), g_reg(g), 0, g_out(g), g_dst1(g), 0, 0);
    case 1: return enc(1050 + below(g->r, 2), g_cond(g), below(g->r, 16), g_reg(g), g_out(g), g_dst1(g), 0, 0);
    case 2: return enc(1094 + below(g->r, 2), g_cond(g), below(g->r, 16), g_reg(g), g_out(g), g_dst1(g), 0, 0);
    case 3: return enc(1052 + below(g->r, 4), g_cond(g), g_reg(g), g_reg(g), 0, g_dst1(g), 0, 0);
    case 4: return enc(1056, g_cond(g), 8, 9, g_out(g), g_dst1(g), 0, 0);
    default: return enc(1093, g_cond(g), 10, below(g->r, 2) ? 0 : 9, g_out(g), g_dst1(g), 0, 0);
    }
}

static uint64_t random_insn(gen *g)
{
    unsigned k = below(g->r, 100);
    if (k < 32) return g_arith(g);
    if (k < 38) return g_ptr(g);
    if (k < 56) return g_call(g);
    if (k < 59) return g_ret(g);
    if (k < 76) return g_memory(g);
    if (k < 95) return g_world(g);
    /* anything at all (the invalid opcodes included), or any valid one */
    unsigned op = k < 98 ? below(g->r, 2048) : below(g->r, 1104);
    unsigned src0 = op == 1056 ? 8 : g_reg(g), dst0 = g_reg(g);
    if (dst0 == 8)
        dst0 = 2;
    if (k < 98)
        return enc(op, g_cond(g), src0, g_reg(g), dst0, g_dst1(g), (unsigned)rnd(g->r), (unsigned)rnd(g->r));
    return enc(op, 0, src0, g_reg(g), dst0, g_dst1(g), g_target(g), g_target(g));
}

static void put_be64(uint8_t *p, uint64_t x)
{
    for (int i = 7; i >= 0; i--, x >>= 8)
        p[i] = (uint8_t)x;
}

/* A contract: a prologue loading the role registers (and a few others),
 * random instructions, a final return, then the constants as code-page
 * words (odd word count). */
static uint8_t *random_contract(rng *r, bool kernel, const u256 *hashes, unsigned nhashes, size_t *len)
{
    unsigned body = 16 + below(r, 120), nrole = sizeof role_reg / sizeof role_reg[0];
    unsigned ninsn = nrole + 3 + body + 1;
    unsigned insn_words = (ninsn + 3) / 4;
    unsigned words = insn_words + NCONST;
    if (words % 2 == 0)
        words++;
    uint8_t *code = calloc(words, 32);
    gen g = {r, 0, ninsn, insn_words, kernel};
    for (unsigned i = 0; i < ninsn; i++, g.pc++) {
        uint64_t w;
        if (i < nrole) /* add code[c], r0, rN */
            w = enc(65, 0, 0, 0, role_reg[i], 0, insn_words + role_const[i] + below(r, 4), 0);
        else if (i == nrole) /* ptr.pack r1, r11, r12 */
            w = enc(943, 0, 1, 11, 12, 0, 0, 0);
        else if (i < nrole + 3)
            w = enc(65, 0, 0, 0, 13 + below(r, 3), 0, insn_words + below(r, NCONST), 0);
        else if (i == ninsn - 1)
            w = enc(1069 + 2 * below(r, 2), 0, below(r, 2) ? 1 : 5, 0, 0, 0, 0, 0);
        else
            w = random_insn(&g);
        put_be64(code + 8 * (size_t)i, w);
    }
    for (unsigned k = 0; k < NCONST; k++)
        u256_to_be(constant_for(r, k, hashes, nhashes), code + 32 * (size_t)(insn_words + k));
    *len = (size_t)words * 32;
    return code;
}

/* The world's pubdata price and free slot, so the engines' pubdata and
 * refund bookkeeping is exercised. */
static uint32_t price(void *ctx, u256 initial, bool is_write_initial, u256 value)
{
    (void)ctx;
    if (u256_eq(initial, value))
        return 0;
    return (is_write_initial ? 32u : 5u) + (uint32_t)(value.w[0] & 7);
}

static bool free_slot(void *ctx, u256 address, u256 key)
{
    (void)ctx;
    return u256_eq(address, u256_from_u64(0x10002)) && key.w[0] == 1 && !key.w[1] && !key.w[2] && !key.w[3];
}

typedef struct {
    eravm_status st[64];
    eravm_result res[64];
    uint32_t hook[64];
    int steps;
} run_log;

static void differ(uint64_t seed, const char *what)
{
    EXPECT(0, "seed %llu: the engines differ in %s", (unsigned long long)seed, what);
}

static void compare_slots(uint64_t seed, eravm_slot *a, size_t na, eravm_slot *b, size_t nb, const char *what)
{
    if (na != nb || (na && memcmp(a, b, na * sizeof *a)))
        differ(seed, what);
    free(a);
    free(b);
}

static void compare_logs(uint64_t seed, const eravm_log *a, size_t na, const eravm_log *b, size_t nb,
                         const char *what)
{
    bool same = na == nb;
    for (size_t i = 0; same && i < na; i++)
        same = u256_eq(a[i].address, b[i].address) && u256_eq(a[i].key, b[i].key) &&
               u256_eq(a[i].value, b[i].value) && a[i].first == b[i].first && a[i].tx_number == b[i].tx_number;
    if (!same)
        differ(seed, what);
}

/* What the two VMs report now, through the public interface. */
static void compare_state(uint64_t seed, eravm_vm *f, eravm_vm *s)
{
    size_t na, nb;
    eravm_slot *a = eravm_vm_storage_writes(f, &na), *b = eravm_vm_storage_writes(s, &nb);
    compare_slots(seed, a, na, b, nb, "storage writes");
    a = eravm_vm_transient(f, &na);
    b = eravm_vm_transient(s, &nb);
    compare_slots(seed, a, na, b, nb, "transient storage");
    const eravm_log *la = eravm_vm_events(f, &na), *lb = eravm_vm_events(s, &nb);
    compare_logs(seed, la, na, lb, nb, "events");
    la = eravm_vm_l2l1_logs(f, &na);
    lb = eravm_vm_l2l1_logs(s, &nb);
    compare_logs(seed, la, na, lb, nb, "L2->L1 logs");
    if (eravm_vm_pubdata(f) != eravm_vm_pubdata(s))
        differ(seed, "pubdata");
    if (eravm_vm_ergs(f) != eravm_vm_ergs(s))
        differ(seed, "ergs of the current frame");
    for (uint64_t k = 0; k < 4; k++) {
        u256 va = u256_zero(), vb = u256_zero();
        bool wa = eravm_vm_storage_written(f, u256_from_u64(0x10001), u256_from_u64(k), &va);
        bool wb = eravm_vm_storage_written(s, u256_from_u64(0x10001), u256_from_u64(k), &vb);
        if (wa != wb || !u256_eq(va, vb))
            differ(seed, "storage_written");
    }
    for (int r = 0; r < 16; r++) {
        bool ta, tb;
        u256 va = eravm_vm_register(f, r, &ta), vb = eravm_vm_register(s, r, &tb);
        if (!u256_eq(va, vb) || ta != tb) {
            char ha[80], hb[80];
            u256_to_hex(va, ha, sizeof ha);
            u256_to_hex(vb, hb, sizeof hb);
            printf("  # r%d: fast %s%s, simple %s%s\n", r, ha, ta ? " (ptr)" : "", hb, tb ? " (ptr)" : "");
            differ(seed, "registers");
        }
    }
    if (eravm_vm_flags(f) != eravm_vm_flags(s))
        differ(seed, "flags");
    static const uint32_t pages[] = {1, 10, 11};
    for (int i = 0; i < 3; i++) {
        uint8_t ma[4096], mb[4096];
        eravm_vm_read_memory(f, pages[i], 0, ma, sizeof ma);
        eravm_vm_read_memory(s, pages[i], 0, mb, sizeof mb);
        if (memcmp(ma, mb, sizeof ma))
            differ(seed, "memory of the initial frame");
    }
}

static void compare_results(uint64_t seed, const eravm_result *a, const eravm_result *b)
{
    if (a->status != b->status)
        differ(seed, "status");
    if (a->ergs_left != b->ergs_left)
        differ(seed, "ergs left");
    if (a->instructions != b->instructions || a->skipped != b->skipped)
        differ(seed, "instruction counts");
    if (a->status == ERAVM_SUSPENDED && a->hook_value != b->hook_value)
        differ(seed, "hook value");
    if (a->returndata_len != b->returndata_len ||
        (a->returndata_len && memcmp(a->returndata, b->returndata, a->returndata_len)))
        differ(seed, "returndata");
}

/* What a bootloader host does at a hook, on both VMs alike: snapshot,
 * rollback or pop, write the heap, change the ergs. */
static void host_step(uint64_t seed, rng *r, eravm_vm *f, eravm_vm *s)
{
    bool a = true, b = true;
    switch (below(r, 6)) {
    case 0: a = eravm_vm_snapshot(f); b = eravm_vm_snapshot(s); break;
    case 1: a = eravm_vm_rollback(f); b = eravm_vm_rollback(s); break;
    case 2: a = eravm_vm_pop_snapshot(f); b = eravm_vm_pop_snapshot(s); break;
    case 3: {
        uint8_t bytes[40];
        for (size_t i = 0; i < sizeof bytes; i++)
            bytes[i] = (uint8_t)rnd(r);
        uint32_t page = below(r, 2) ? eravm_vm_heap_page(f) : 11, off = below(r, 300);
        eravm_vm_write_memory(f, page, off, bytes, sizeof bytes);
        eravm_vm_write_memory(s, page, off, bytes, sizeof bytes);
        break;
    }
    case 4: {
        uint32_t e = eravm_vm_ergs(f) / 2 + below(r, 1000);
        eravm_vm_set_ergs(f, e);
        eravm_vm_set_ergs(s, e);
        break;
    }
    default: break;
    }
    if (a != b)
        differ(seed, "what snapshot, rollback or pop returned");
}

/* One world, run on both engines side by side; at each hook suspension the
 * same random host action is applied to both. */
static void one_case(uint64_t seed)
{
    rng r = {seed * 0x9E3779B97F4A7C15ull + 1};
    eravm_memworld *w = eravm_memworld_new();
    uint8_t *code[NCONTRACTS];
    size_t len[NCONTRACTS];
    u256 hashes[NCONTRACTS];
    bool kernel_entry = below(&r, 3) == 0;
    u256 entry = u256_from_u64(kernel_entry ? 0x8001 : addresses[0]);
    /* last first, so that each contract's constants can hold the code hashes
     * of the contracts after it (for decommit) */
    for (int i = NCONTRACTS - 1; i >= 0; i--) {
        bool kernel = i == 0 ? kernel_entry : addresses[i] < 65536;
        code[i] = random_contract(&r, kernel, hashes + i + 1, NCONTRACTS - 1 - i, &len[i]);
        hashes[i] = eravm_code_hash(code[i], len[i]);
    }
    for (int i = 0; i < NCONTRACTS; i++)
        eravm_memworld_deploy(w, i == 0 ? entry : u256_from_u64(addresses[i]), code[i], len[i],
                              i == 2 && below(&r, 4) == 0);
    eravm_memworld_set_storage(w, u256_from_u64(0x10001), u256_from_u64(below(&r, 4)), u256_from_u64(5));
    eravm_world iface = eravm_memworld_iface(w);
    iface.cost_of_writing_storage = price;
    iface.is_free_storage_slot = free_slot;
    eravm_settings settings;
    memset(&settings, 0, sizeof settings);
    settings.default_aa_hash = below(&r, 2) ? hashes[1] : u256_zero();
    settings.evm_interpreter_hash = hashes[2];
    settings.hooks_enabled = below(&r, 2);
    settings.hook_address = 32 * below(&r, 4);
    eravm_vm *f = eravm_vm_new(&iface, &settings), *s = eravm_vm_new(&iface, &settings);
    eravm_vm_set_engine(s, ERAVM_ENGINE_SIMPLE);
    uint8_t calldata[96];
    for (size_t i = 0; i < sizeof calldata; i++)
        calldata[i] = (uint8_t)rnd(&r);
    eravm_call call;
    memset(&call, 0, sizeof call);
    call.address = entry;
    call.caller = u256_from_u64(addresses[below(&r, NCONTRACTS)]);
    call.context_value = u256_from_u64(below(&r, 1000));
    call.calldata = calldata;
    call.calldata_len = below(&r, sizeof calldata + 1);
    call.ergs = below(&r, 4) ? 50000 + below(&r, 200000) : 2000000;
    call.constructor = below(&r, 8) == 0;
    call.system = below(&r, 4) == 0;
    call.is_static = below(&r, 10) == 0;
    const eravm_program *prog = eravm_memworld_program(w, hashes[0]);
    eravm_result ra, rb;
    eravm_status sa, sb;
    if (below(&r, 2)) {
        sa = eravm_vm_run(f, prog, &call, &ra);
        sb = eravm_vm_run(s, prog, &call, &rb);
    } else { /* as a bootloader host: set up, write the heap, snapshot, run */
        eravm_vm_start(f, prog, &call);
        eravm_vm_start(s, prog, &call);
        for (int k = below(&r, 4); k > 0; k--)
            host_step(seed, &r, f, s);
        memset(&ra, 0, sizeof ra);
        memset(&rb, 0, sizeof rb);
        sa = eravm_vm_continue(f, &ra);
        sb = eravm_vm_continue(s, &rb);
    }
    for (int steps = 0;; steps++) {
        compare_results(seed, &ra, &rb);
        compare_state(seed, f, s);
        if (steps > 50)
            break;
        /* after the end a rollback may revive the run: the host goes on */
        if ((sa != ERAVM_SUSPENDED || sb != ERAVM_SUSPENDED) && below(&r, 2))
            break;
        host_step(seed, &r, f, s);
        compare_state(seed, f, s);
        sa = eravm_vm_continue(f, &ra);
        sb = eravm_vm_continue(s, &rb);
    }
    eravm_vm_free(f);
    eravm_vm_free(s);
    eravm_memworld_free(w);
    for (int i = 0; i < NCONTRACTS; i++)
        free(code[i]);
}

int main(int argc, char **argv)
{
    long cases = argc > 1 ? atol(argv[1]) : 3000;
    uint64_t first = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    CASE_BEGIN();
    for (long i = 0; i < cases && check_case_failures < 8; i++)
        one_case(first + (uint64_t)i);
    CASE_END("engines: %ld random multi-contract programs (every opcode index, far calls, pointers, "
             "precompiles, hooks, snapshots) give the same results on the fast and simple engines",
             cases);
    return check_exit();
}
