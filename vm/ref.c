/* vm/ref.c — the reference interpreter (the `simple` engine): EraVM 1.5
 * written a second time, as plainly as possible, from
 * ../shared/spec/eravm-isa.md ("isa") and eravm-model.md ("model"), which
 * cite vm2 and zk_evm for every rule. It decodes each 64-bit word itself
 * (isa §3), keeps its own registers, frames, pages, stacks and world diff
 * (vm/ref_internal.h, vm/ref_state.c), and runs one short function per
 * instruction family. It shares with the fast engine only the 256-bit
 * arithmetic (u256.h), the precompiles' arithmetic (precompile.c: what each
 * precompile computes from its input), the embedder's callbacks and the
 * public types — so a bug in the fast engine's decoder or handlers shows up
 * as a difference between the two.
 *
 * The cycle (isa §5.1): fetch and decode; the invalid opcode burns the frame
 * and panics; pay the base cost (failing drains the frame and panics at
 * once, "free panic"); check kernel/static mode (same); test the predicate
 * (false: skip, pc + 1); pc + 1; execute; apply the dst1 rule. An error
 * inside an instruction sets the frame's panic_pending, and the next
 * dispatch is an implicit 5-erg `ret.panic`. Every dispatch counts once. */
#include <stdlib.h>
#include <string.h>

#include "precompile.h"
#include "ref_internal.h"
#include "xalloc.h"

/* ---- constants (isa §8, §10; model §1.6) --------------------------------------------- */

#define REF_LAST_ADDRESS 0xFFFFFFDFu /* 2^32 - 33: the highest offset a word access may use */
#define REF_KERNEL_STIPEND 2097152u  /* heap bytes a kernel frame starts with */
#define REF_EVM_STIPEND 57344u       /* ... a frame whose code hash has version byte 2 */
#define REF_USER_STIPEND 4096u       /* ... any other frame */
#define REF_MSG_VALUE_MANDATED 27000u
#define REF_WARM_READ_REFUND 1970u   /* cold read 2000 - warm read 30 */
#define REF_WARM_WRITE_REFUND 5440u  /* cold write 5500 - warm write 60 */
#define REF_COLD_WRITE_AFTER_READ_REFUND 2000u
#define REF_ERGS_PER_CODE_WORD 4u
#define REF_FIRST_BASE_PAGE 2048u
#define REF_PAGES_PER_CALL 8u
#define REF_STATIC_PAGE 1u
#define REF_CALLDATA_PAGE 7u
#define REF_HEAP_PAGE 10u
#define REF_AUX_PAGE 11u
#define REF_PANIC_WORD 1073u /* `ret.panic r0`: how the implicit panic shows in a trace */

/* ---- decoding (isa §3) --------------------------------------------------------------------- */

enum {
    RF_INVALID, RF_NOP, RF_ADD, RF_SUB, RF_MUL, RF_DIV, RF_JUMP, RF_XOR, RF_AND, RF_OR,
    RF_SHL, RF_SHR, RF_ROL, RF_ROR, RF_PTR_ADD, RF_PTR_SUB, RF_PTR_PACK, RF_PTR_SHRINK,
    RF_NEAR_CALL, RF_THIS, RF_CALLER, RF_CODE_ADDRESS, RF_META, RF_ERGS_LEFT, RF_SP,
    RF_GET_CONTEXT, RF_SET_CONTEXT, RF_AUX_MUTATING, RF_INC_TX, RF_SLOAD, RF_SSTORE, RF_TO_L1,
    RF_EVENT, RF_PRECOMPILE, RF_FAR_CALL, RF_FAR_DELEGATE, RF_FAR_MIMIC, RF_RET_OK,
    RF_RET_REVERT, RF_RET_PANIC, RF_HEAP_READ, RF_HEAP_WRITE, RF_AUX_READ, RF_AUX_WRITE,
    RF_PTR_READ, RF_DECOMMIT, RF_TLOAD, RF_TSTORE, RF_STATIC_READ, RF_STATIC_WRITE,
};

/* Source modes (isa §3.2): register, pop, sp-relative, absolute, immediate,
 * code page. Destination modes: register, push, sp-relative, absolute. */
enum { SRC_REG, SRC_POP, SRC_REL, SRC_ABS, SRC_IMM, SRC_CODE };
enum { DST_REG, DST_PUSH, DST_REL, DST_ABS };

typedef struct {
    int family;
    int src_mode, dst_mode;
    bool swap, set_flags;     /* .s and ! (arithmetic, logic, shifts; ptr has .s only) */
    bool inc;                 /* UMA .inc */
    bool first;               /* event .first, to_l1 is_service */
    bool to_label;            /* ret .to_label */
    bool is_static, shard;    /* far call modifiers */
    unsigned cond, src0, src1, dst0, dst1;
    uint16_t imm0, imm1;
} ref_insn;

/* isa §3.3: "add-like" families are base + 8·src + 2·dst + set_flags. */
static void ref_decode_add_like(ref_insn *d, int family, unsigned k)
{
    d->family = family;
    d->src_mode = (int)(k / 8);
    d->dst_mode = (int)(k / 2 % 4);
    d->set_flags = k % 2;
}

/* isa §3.3: families with a swap bit are base + 16·src + 4·dst + 2·set_flags + swap. */
static void ref_decode_sub_like(ref_insn *d, int family, unsigned k)
{
    d->family = family;
    d->src_mode = (int)(k / 16);
    d->dst_mode = (int)(k / 4 % 4);
    d->set_flags = k / 2 % 2;
    d->swap = k % 2;
}

/* isa §3.3: ptr.* are base + 8·src + 2·dst + swap. */
static void ref_decode_ptr(ref_insn *d, int family, unsigned k)
{
    d->family = family;
    d->src_mode = (int)(k / 8);
    d->dst_mode = (int)(k / 2 % 4);
    d->swap = k % 2;
}

/* Decodes the opcode index (isa §3.3 table, one row per branch). */
static void ref_decode_op(ref_insn *d, unsigned op)
{
    if (op == 0 || op >= 1104)
        d->family = RF_INVALID;
    else if (op <= 24) {
        d->family = RF_NOP;
        d->src_mode = (int)((op - 1) / 4);
        d->dst_mode = (int)((op - 1) % 4);
    } else if (op <= 72)
        ref_decode_add_like(d, RF_ADD, op - 25);
    else if (op <= 168)
        ref_decode_sub_like(d, RF_SUB, op - 73);
    else if (op <= 216)
        ref_decode_add_like(d, RF_MUL, op - 169);
    else if (op <= 312)
        ref_decode_sub_like(d, RF_DIV, op - 217);
    else if (op <= 318) {
        d->family = RF_JUMP;
        d->src_mode = (int)(op - 313);
    } else if (op <= 366)
        ref_decode_add_like(d, RF_XOR, op - 319);
    else if (op <= 414)
        ref_decode_add_like(d, RF_AND, op - 367);
    else if (op <= 462)
        ref_decode_add_like(d, RF_OR, op - 415);
    else if (op <= 558)
        ref_decode_sub_like(d, RF_SHL, op - 463);
    else if (op <= 654)
        ref_decode_sub_like(d, RF_SHR, op - 559);
    else if (op <= 750)
        ref_decode_sub_like(d, RF_ROL, op - 655);
    else if (op <= 846)
        ref_decode_sub_like(d, RF_ROR, op - 751);
    else if (op <= 894)
        ref_decode_ptr(d, RF_PTR_ADD, op - 847);
    else if (op <= 942)
        ref_decode_ptr(d, RF_PTR_SUB, op - 895);
    else if (op <= 990)
        ref_decode_ptr(d, RF_PTR_PACK, op - 943);
    else if (op <= 1038)
        ref_decode_ptr(d, RF_PTR_SHRINK, op - 991);
    else if (op == 1039)
        d->family = RF_NEAR_CALL;
    else if (op <= 1049) /* this, caller, code_address, meta, ergs_left, sp, get/set u128, aux, inc_tx */
        d->family = RF_THIS + (int)(op - 1040);
    else if (op == 1050)
        d->family = RF_SLOAD;
    else if (op == 1051)
        d->family = RF_SSTORE;
    else if (op <= 1053) {
        d->family = RF_TO_L1;
        d->first = op == 1053;
    } else if (op <= 1055) {
        d->family = RF_EVENT;
        d->first = op == 1055;
    } else if (op == 1056)
        d->family = RF_PRECOMPILE;
    else if (op <= 1068) { /* normal, delegate, mimic: base + 2·static + shard */
        d->family = RF_FAR_CALL + (int)((op - 1057) / 4);
        d->is_static = (op - 1057) / 2 % 2;
        d->shard = (op - 1057) % 2;
    } else if (op <= 1074) { /* ok, revert, panic: base + to_label */
        d->family = RF_RET_OK + (int)((op - 1069) / 2);
        d->to_label = (op - 1069) % 2;
    } else if (op <= 1084) { /* ld.1, st.1, ld.2, st.2, ld: base + inc, address in a register */
        d->family = RF_HEAP_READ + (int)((op - 1075) / 2);
        d->inc = (op - 1075) % 2;
    } else if (op <= 1092) { /* ld.1, st.1, ld.2, st.2 with the address in imm0 */
        d->family = RF_HEAP_READ + (int)((op - 1085) / 2);
        d->inc = (op - 1085) % 2;
        d->src_mode = SRC_IMM;
    } else if (op == 1093)
        d->family = RF_DECOMMIT;
    else if (op == 1094)
        d->family = RF_TLOAD;
    else if (op == 1095)
        d->family = RF_TSTORE;
    else { /* static memory read 1096..1099, write 1100..1103: base + 2·imm + inc */
        d->family = op <= 1099 ? RF_STATIC_READ : RF_STATIC_WRITE;
        d->src_mode = (op - 1096) / 2 % 2 ? SRC_IMM : SRC_REG;
        d->inc = (op - 1096) % 2;
    }
}

/* isa §3.1: the fields of a 64-bit instruction word. */
static ref_insn ref_decode(uint64_t w)
{
    ref_insn d;
    memset(&d, 0, sizeof d);
    d.cond = (unsigned)(w >> 13) & 7;
    d.src0 = (unsigned)(w >> 16) & 15;
    d.src1 = (unsigned)(w >> 20) & 15;
    d.dst0 = (unsigned)(w >> 24) & 15;
    d.dst1 = (unsigned)(w >> 28) & 15;
    d.imm0 = (uint16_t)(w >> 32);
    d.imm1 = (uint16_t)(w >> 48);
    ref_decode_op(&d, (unsigned)w & 0x7FF);
    return d;
}

/* isa §8.1: the base cost, by family only. */
static uint32_t ref_cost(int family)
{
    switch (family) {
    case RF_INVALID: return 4294967295u;
    case RF_NEAR_CALL: return 25;
    case RF_FAR_CALL: case RF_FAR_DELEGATE: case RF_FAR_MIMIC: return 183;
    case RF_RET_OK: case RF_RET_REVERT: case RF_RET_PANIC: return 5;
    case RF_HEAP_READ: case RF_AUX_READ: case RF_PTR_READ: case RF_STATIC_READ: return 7;
    case RF_HEAP_WRITE: case RF_AUX_WRITE: case RF_STATIC_WRITE: return 13;
    case RF_SLOAD: return 2008;
    case RF_SSTORE: return 5511;
    case RF_TLOAD: return 38;
    case RF_TSTORE: return 71;
    case RF_EVENT: return 34;
    case RF_TO_L1: return 109;
    case RF_PRECOMPILE: case RF_DECOMMIT: return 6;
    default:
        if (family >= RF_THIS && family <= RF_INC_TX)
            return 5;
        return 6; /* nop, arithmetic, logic, shifts, jump, ptr.* */
    }
}

/* isa §9: kernel-only and static-forbidden instructions. */
static bool ref_kernel_only(int family)
{
    switch (family) {
    case RF_FAR_MIMIC: case RF_SET_CONTEXT: case RF_AUX_MUTATING: case RF_INC_TX: case RF_EVENT:
    case RF_TO_L1: case RF_PRECOMPILE: case RF_DECOMMIT: case RF_STATIC_READ: case RF_STATIC_WRITE:
        return true;
    default:
        return false;
    }
}

static bool ref_not_in_static(int family)
{
    switch (family) {
    case RF_SET_CONTEXT: case RF_AUX_MUTATING: case RF_INC_TX: case RF_SSTORE: case RF_TSTORE:
    case RF_EVENT: case RF_TO_L1:
        return true;
    default:
        return false;
    }
}

/* ---- small helpers ------------------------------------------------------------------------- */

enum { REF_RUNNING, REF_DONE_OK, REF_DONE_REVERT, REF_DONE_PANIC, REF_SUSPENDED };
enum { KIND_OK, KIND_REVERT, KIND_PANIC };

static ref_frame *ref_cur(const ref_vm *vm)
{
    return vm->frame[vm->depth];
}

/* Paying ergs: a frame that cannot pay is drained to 0 (isa §5.1 step 2). */
static bool ref_pay(ref_frame *f, uint32_t amount)
{
    if (f->ergs >= amount) {
        f->ergs -= amount;
        return true;
    }
    f->ergs = 0;
    return false;
}

/* An error inside an instruction: the next dispatch panics (isa §5.1 step 6). */
static void ref_panic_next(ref_frame *f)
{
    f->panic_pending = true;
}

/* Registers (isa §1): r0 reads 0 and ignores writes; a tag travels with each value. */
static void ref_set(ref_vm *vm, unsigned r, u256 v, bool tag)
{
    if (r != 0) {
        vm->reg[r] = v;
        vm->tag[r] = tag;
    }
}

/* dst1 written by the instruction (mul, div, loads with .inc): not cleared after. */
static void ref_set_dst1(ref_vm *vm, const ref_insn *d, u256 v, bool tag)
{
    ref_set(vm, d->dst1, v, tag);
    vm->dst1_written = true;
}

/* Pointer erasure (isa §5.3): a tagged value used as an integer in user mode
 * loses its page and start fields (bits 32..95). */
static u256 ref_plain(const ref_vm *vm, u256 v, bool tag)
{
    if (tag && !ref_cur(vm)->is_kernel) {
        v.w[0] &= 0x00000000FFFFFFFFull;
        v.w[1] &= 0xFFFFFFFF00000000ull;
    }
    return v;
}

static u256 ref_reg_plain(const ref_vm *vm, unsigned r)
{
    return ref_plain(vm, vm->reg[r], vm->tag[r]);
}

static void ref_set_flags(ref_vm *vm, bool lt, bool eq, bool gt)
{
    vm->lt = lt;
    vm->eq = eq;
    vm->gt = gt;
}

/* Addresses are the low 160 bits (isa §6.10). */
static u256 ref_address(u256 v)
{
    v.w[3] = 0;
    v.w[2] &= 0xFFFFFFFFull;
    return v;
}

/* Kernel mode: an address below 2^16 (isa §9). */
static bool ref_is_kernel_address(u256 a)
{
    return a.w[3] == 0 && a.w[2] == 0 && a.w[1] == 0 && a.w[0] < 65536;
}

static bool ref_is_address(u256 a, uint64_t x)
{
    return u256_eq(a, u256_from_u64(x));
}

/* Fat pointers (model §1.7): the low 128 bits as four u32. */
typedef struct {
    uint32_t offset, page, start, length;
} ref_fatptr;

static ref_fatptr ref_fp(u256 v)
{
    ref_fatptr p = {(uint32_t)v.w[0], (uint32_t)(v.w[0] >> 32), (uint32_t)v.w[1], (uint32_t)(v.w[1] >> 32)};
    return p;
}

static u256 ref_fp_word(ref_fatptr p)
{
    u256 v = u256_zero();
    v.w[0] = p.offset | (uint64_t)p.page << 32;
    v.w[1] = p.start | (uint64_t)p.length << 32;
    return v;
}

static u256 ref_plus32(u256 v)
{
    return u256_add(v, u256_from_u64(32), NULL);
}

static void ref_add_pubdata(ref_vm *vm, int64_t delta)
{
    vm->wd.pubdata = (int32_t)(uint32_t)((uint32_t)vm->wd.pubdata + (uint32_t)delta); /* i32, wrapping */
}

/* ---- the program ---------------------------------------------------------------------------- */

/* Instructions are 8-byte big-endian words (isa §2.1); at most 2^16 are
 * addressable, and fetching past the last one reads the invalid opcode. */
static void ref_frame_program(ref_frame *f, const eravm_program *p)
{
    size_t len = p ? eravm_program_len(p) : 0;
    f->code = p ? eravm_program_code(p) : NULL;
    f->ninsn = (uint32_t)(len / 8 > 65536 ? 65536 : len / 8);
    f->nwords = (uint32_t)(len / 32 > 65536 ? 65536 : len / 32);
}

static uint64_t ref_fetch(const ref_frame *f, uint16_t pc)
{
    if (pc >= f->ninsn)
        return 0;
    const uint8_t *b = f->code + 8 * (size_t)pc;
    uint64_t w = 0;
    for (int i = 0; i < 8; i++)
        w = w << 8 | b[i];
    return w;
}

/* The code page: 32-byte big-endian words; past the end, zero (isa §2.1). */
static u256 ref_code_word(const ref_frame *f, uint16_t i)
{
    return i < f->nwords ? u256_from_be(f->code + 32 * (size_t)i) : u256_zero();
}

/* The decommit opcode and far calls materialise code as whole code-page words (model §2.2). */
static size_t ref_code_bytes(const eravm_program *p)
{
    return p ? eravm_program_len(p) / 32 * 32 : 0;
}

/* ---- operands (isa §3.2, §5.3) ------------------------------------------------------------- */

/* Stack and code addresses: the low 16 bits of a register plus an immediate, mod 2^16. */
static uint16_t ref_reg_plus(const ref_vm *vm, unsigned r, uint16_t imm)
{
    return (uint16_t)((uint16_t)vm->reg[r].w[0] + imm);
}

/* The src0 operand, raw, with its tag. A pop moves sp first. */
static u256 ref_src(ref_vm *vm, const ref_insn *d, bool *tag)
{
    ref_frame *f = ref_cur(vm);
    uint16_t at = ref_reg_plus(vm, d->src0, d->imm0);
    switch (d->src_mode) {
    case SRC_REG:
        *tag = vm->tag[d->src0];
        return vm->reg[d->src0];
    case SRC_IMM:
        *tag = false;
        return u256_from_u64(d->imm0);
    case SRC_POP:
        f->sp = (uint16_t)(f->sp - at);
        return ref_stack_read(&f->stack, f->sp, tag);
    case SRC_REL:
        return ref_stack_read(&f->stack, (uint16_t)(f->sp - at), tag);
    case SRC_ABS:
        return ref_stack_read(&f->stack, at, tag);
    default:
        *tag = false;
        return ref_code_word(f, at);
    }
}

static u256 ref_src_plain(ref_vm *vm, const ref_insn *d)
{
    bool tag;
    u256 v = ref_src(vm, d, &tag);
    return ref_plain(vm, v, tag);
}

/* The dst0 operand. A push writes at sp, then moves it. */
static void ref_dst(ref_vm *vm, const ref_insn *d, u256 v, bool tag)
{
    ref_frame *f = ref_cur(vm);
    uint16_t at = ref_reg_plus(vm, d->dst0, d->imm1);
    switch (d->dst_mode) {
    case DST_REG:
        ref_set(vm, d->dst0, v, tag);
        return;
    case DST_PUSH:
        ref_stack_write(&f->stack, f->sp, v, tag);
        f->sp = (uint16_t)(f->sp + at);
        return;
    case DST_REL:
        ref_stack_write(&f->stack, (uint16_t)(f->sp - at), v, tag);
        return;
    default:
        ref_stack_write(&f->stack, at, v, tag);
        return;
    }
}

/* The two inputs of an arithmetic instruction: src0 then src1, exchanged by .s. */
static void ref_inputs(ref_vm *vm, const ref_insn *d, u256 *a, u256 *b)
{
    u256 x = ref_src_plain(vm, d);
    u256 y = ref_reg_plain(vm, d->src1);
    *a = d->swap ? y : x;
    *b = d->swap ? x : y;
}

/* isa §5.2 */
static bool ref_predicate(const ref_vm *vm, unsigned cond)
{
    switch (cond) {
    case 0: return true;
    case 1: return vm->gt;
    case 2: return vm->lt;
    case 3: return vm->eq;
    case 4: return vm->gt || vm->eq;
    case 5: return vm->lt || vm->eq;
    case 6: return !vm->eq;
    default: return vm->gt || vm->lt;
    }
}

/* ---- memory --------------------------------------------------------------------------------- */

static void ref_read(const ref_vm *vm, uint32_t page, uint64_t offset, uint8_t *dst, size_t n)
{
    ref_page_read(ref_page_find(&vm->pages, page), offset, dst, n);
}

static u256 ref_read_word(const ref_vm *vm, uint32_t page, uint32_t offset)
{
    uint8_t b[32];
    ref_read(vm, page, offset, b, 32);
    return u256_from_be(b);
}

/* Every write to a page goes through here: while an external snapshot is
 * open, what it overwrites in the initial frame's heap or aux heap is
 * journaled, whoever writes (vm2 Heaps::write_u256 / write_bytes). */
static void ref_write(ref_vm *vm, uint32_t page, uint64_t offset, const uint8_t *src, size_t n)
{
    ref_ext *x = vm->ext;
    if (x && n && (page == vm->frame[0]->heap || page == vm->frame[0]->aux)) {
        if (x->nundo == x->capundo) {
            x->capundo = x->capundo ? x->capundo * 2 : 64;
            x->undo = xrealloc(x->undo, x->capundo * sizeof *x->undo);
        }
        ref_heap_undo *u = &x->undo[x->nundo++];
        u->page = page;
        u->offset = offset;
        u->length = n;
        u->old = xmalloc(n);
        ref_read(vm, page, offset, u->old, n);
    }
    ref_page_write(ref_page_get(&vm->pages, page), offset, src, n);
}

static void ref_write_word(ref_vm *vm, uint32_t page, uint32_t offset, u256 v)
{
    uint8_t b[32];
    u256_to_be(v, b);
    ref_write(vm, page, offset, b, 32);
}

/* Heap growth (isa §8.2): reaching past the paid bound costs 1 erg per byte. */
static bool ref_grow(ref_frame *f, uint32_t *bound, uint32_t new_bound)
{
    if (new_bound >= *bound) {
        if (!ref_pay(f, new_bound - *bound))
            return false;
        *bound = new_bound;
    }
    return true;
}

static bool ref_beyond_last_address(u256 a)
{
    return a.w[3] || a.w[2] || a.w[1] || a.w[0] > REF_LAST_ADDRESS;
}

/* ld.1/st.1/ld.2/st.2 offsets (isa §6.14): out of range burns the frame;
 * otherwise the bound grows to offset + 32. False: the instruction fails. */
static bool ref_heap_offset(ref_vm *vm, u256 a, bool aux, uint32_t *offset)
{
    ref_frame *f = ref_cur(vm);
    if (ref_beyond_last_address(a)) {
        ref_pay(f, 0xFFFFFFFFu);
        return false;
    }
    *offset = (uint32_t)a.w[0];
    return ref_grow(f, aux ? &f->aux_bound : &f->heap_bound, *offset + 32);
}

/* ---- frames ------------------------------------------------------------------------------- */

/* The frame record for a depth, allocated once and reused (records never move). */
static ref_frame *ref_frame_at(ref_vm *vm, uint32_t depth)
{
    if (depth >= vm->capframe) {
        uint32_t cap = vm->capframe ? vm->capframe * 2 : 16;
        vm->frame = xrealloc(vm->frame, cap * sizeof *vm->frame);
        memset(vm->frame + vm->capframe, 0, (cap - vm->capframe) * sizeof *vm->frame);
        vm->capframe = cap;
    }
    if (!vm->frame[depth])
        vm->frame[depth] = xcalloc(1, sizeof(ref_frame));
    ref_frame *f = vm->frame[depth];
    ref_stack_clear(&f->stack);
    f->nnear = 0;
    f->nowned = 0;
    f->pc = 0;
    f->sp = 0;
    f->panic_pending = false;
    f->ended = false;
    return f;
}

static void ref_own(ref_frame *f, uint32_t page)
{
    if (f->nowned == f->capowned) {
        f->capowned = f->capowned ? f->capowned * 2 : 8;
        f->owned = xrealloc(f->owned, f->capowned * sizeof *f->owned);
    }
    f->owned[f->nowned++] = page;
}

/* A far frame dies: its pages are released, except the one its returned
 * pointer names, which its caller now owns, and pinned decommit pages. A
 * page it does not own (an ancestor's, say) is never touched: no live
 * pointer can name a released page. */
static void ref_pop_frame(ref_vm *vm, bool keep, uint32_t keep_page)
{
    ref_frame *f = ref_cur(vm);
    ref_frame *caller = vm->frame[vm->depth - 1];
    for (uint32_t i = 0; i < f->nowned; i++) {
        if (keep && f->owned[i] == keep_page) {
            ref_own(caller, keep_page);
            continue;
        }
        ref_page *p = ref_page_find(&vm->pages, f->owned[i]);
        if (p && !p->pinned)
            ref_page_release(p);
    }
    ref_stack_clear(&f->stack);
    f->nowned = f->nnear = 0;
    vm->depth--;
}

/* ---- arithmetic, logic, shifts (isa §6.2–6.6) ------------------------------------------------ */

static void ref_op_add_sub(ref_vm *vm, const ref_insn *d)
{
    u256 a, b;
    bool overflow;
    ref_inputs(vm, d, &a, &b);
    u256 r = d->family == RF_ADD ? u256_add(a, b, &overflow) : u256_sub(a, b, &overflow);
    ref_dst(vm, d, r, false);
    if (d->set_flags)
        ref_set_flags(vm, overflow, u256_is_zero(r), !overflow && !u256_is_zero(r));
}

/* Rotations by the definition (model §1.3): (a << s) | (a >> (256 - s)), a >> 256 = 0. */
static u256 ref_shifted(int family, u256 a, unsigned s)
{
    switch (family) {
    case RF_SHL: return u256_shl(a, s);
    case RF_SHR: return u256_shr(a, s);
    case RF_ROL: return u256_or(u256_shl(a, s), u256_shr(a, 256 - s));
    default: return u256_or(u256_shr(a, s), u256_shl(a, 256 - s));
    }
}

static void ref_op_bitwise(ref_vm *vm, const ref_insn *d)
{
    u256 a, b, r;
    ref_inputs(vm, d, &a, &b);
    unsigned s = (unsigned)(b.w[0] % 256); /* the amount is B mod 256 */
    if (d->family == RF_AND)
        r = u256_and(a, b);
    else if (d->family == RF_OR)
        r = u256_or(a, b);
    else if (d->family == RF_XOR)
        r = u256_xor(a, b);
    else
        r = ref_shifted(d->family, a, s);
    ref_dst(vm, d, r, false);
    if (d->set_flags)
        ref_set_flags(vm, false, u256_is_zero(r), false);
}

/* mul: dst0 = low, dst1 = high half of the 512-bit product; div: quotient
 * and remainder, both 0 (and LT) when dividing by zero. */
static void ref_op_mul_div(ref_vm *vm, const ref_insn *d)
{
    u256 a, b, lo, hi;
    bool lt, eq, gt;
    ref_inputs(vm, d, &a, &b);
    if (d->family == RF_MUL) {
        lo = u256_mul(a, b, &hi);
        lt = !u256_is_zero(hi);
        eq = u256_is_zero(lo);
        gt = u256_is_zero(hi) && !u256_is_zero(lo);
    } else if (u256_is_zero(b)) {
        lo = hi = u256_zero();
        lt = true;
        eq = gt = false;
    } else {
        u256_divmod(a, b, &lo, &hi);
        lt = false;
        eq = u256_is_zero(lo);
        gt = u256_is_zero(hi);
    }
    ref_dst(vm, d, lo, false);
    ref_set_dst1(vm, d, hi, false);
    if (d->set_flags)
        ref_set_flags(vm, lt, eq, gt);
}

/* ---- pointers (isa §6.12) ----------------------------------------------------------------- */

/* The new pointer, or false when the arithmetic is out of range. */
static bool ref_ptr_result(int family, u256 p, u256 x, u256 *r)
{
    ref_fatptr fp = ref_fp(p);
    *r = p;
    switch (family) {
    case RF_PTR_ADD:
    case RF_PTR_SUB: {
        if (!u256_fits_u32(x))
            return false;
        uint64_t off = family == RF_PTR_ADD ? (uint64_t)fp.offset + u256_low32(x)
                                            : (uint64_t)fp.offset - u256_low32(x);
        if (off > 0xFFFFFFFFull) /* also catches the subtraction wrapping below 0 */
            return false;
        r->w[0] = (r->w[0] & 0xFFFFFFFF00000000ull) | off;
        return true;
    }
    case RF_PTR_PACK:
        if (x.w[0] || x.w[1])
            return false;
        r->w[2] = x.w[2];
        r->w[3] = x.w[3];
        return true;
    default: /* shrink: length -= low 32 bits of x */
        if (u256_low32(x) > fp.length)
            return false;
        r->w[1] = (r->w[1] & 0xFFFFFFFFull) | (uint64_t)(fp.length - u256_low32(x)) << 32;
        return true;
    }
}

static void ref_op_ptr(ref_vm *vm, const ref_insn *d)
{
    u256 p, x, r;
    bool p_tag, x_tag;
    if (d->swap) { /* the pointer comes from src1, the number from src0 */
        p = vm->reg[d->src1];
        p_tag = vm->tag[d->src1];
        x = ref_src(vm, d, &x_tag);
    } else {
        p = ref_src(vm, d, &p_tag);
        x = vm->reg[d->src1];
        x_tag = vm->tag[d->src1];
    }
    if (x_tag && !ref_cur(vm)->is_kernel) { /* user mode erases a tagged number */
        x = ref_plain(vm, x, true);
        x_tag = false;
    }
    if (!p_tag || x_tag || !ref_ptr_result(d->family, p, x, &r)) {
        ref_panic_next(ref_cur(vm));
        return;
    }
    ref_dst(vm, d, r, true);
}

/* ---- control flow (isa §6.1, §6.7, §6.9) ----------------------------------------------------- */

static void ref_op_nop(ref_vm *vm, const ref_insn *d)
{
    ref_frame *f = ref_cur(vm);
    if (d->src_mode == SRC_POP)
        f->sp = (uint16_t)(f->sp - ref_reg_plus(vm, d->src0, d->imm0));
    if (d->dst_mode == DST_PUSH)
        f->sp = (uint16_t)(f->sp + ref_reg_plus(vm, d->dst0, d->imm1));
}

static void ref_op_jump(ref_vm *vm, const ref_insn *d)
{
    ref_frame *f = ref_cur(vm);
    uint16_t target = (uint16_t)ref_src_plain(vm, d).w[0];
    ref_set(vm, d->dst0, u256_from_u64(f->pc), false); /* pc is already the next instruction */
    f->pc = target;
}

static void ref_op_near_call(ref_vm *vm, const ref_insn *d)
{
    ref_frame *f = ref_cur(vm);
    uint32_t asked = u256_low32(ref_reg_plain(vm, d->src0));
    uint32_t passed = asked == 0 || asked > f->ergs ? f->ergs : asked;
    if (f->nnear == f->capnear) {
        f->capnear = f->capnear ? f->capnear * 2 : 16;
        f->near = xrealloc(f->near, f->capnear * sizeof *f->near);
    }
    ref_near *n = &f->near[f->nnear++];
    n->handler = d->imm1;
    n->sp = f->sp;
    n->return_pc = f->pc;
    n->target = d->imm0;
    n->ergs = f->ergs - passed;
    n->snap = ref_wd_snap(&vm->wd);
    f->ergs = passed;
    ref_set_flags(vm, false, false, false);
    f->pc = d->imm0;
}

/* ---- context (isa §6.8) -------------------------------------------------------------------- */

static void ref_op_context(ref_vm *vm, const ref_insn *d)
{
    ref_frame *f = ref_cur(vm);
    u256 v = u256_zero();
    switch (d->family) {
    case RF_THIS: v = f->address; break;
    case RF_CALLER: v = f->caller; break;
    case RF_CODE_ADDRESS: v = f->code_address; break;
    case RF_ERGS_LEFT: v = u256_from_u64(f->ergs); break;
    case RF_SP: v = u256_from_u64(f->sp); break;
    case RF_GET_CONTEXT: v = f->context; break;
    case RF_META: /* pubdata (kernel only), heap bounds; shard ids are 0 */
        v.w[0] = f->is_kernel ? (uint32_t)vm->wd.pubdata : 0;
        v.w[1] = f->heap_bound | (uint64_t)f->aux_bound << 32;
        break;
    case RF_SET_CONTEXT:
        v = ref_reg_plain(vm, d->src0);
        v.w[2] = v.w[3] = 0;
        vm->context_pending = v;
        return;
    case RF_INC_TX:
        vm->tx_number++;
        ref_wd_clear_transient(&vm->wd);
        return;
    default: /* aux_mutating0: nothing in 1.5 */
        return;
    }
    ref_set(vm, d->dst0, v, false);
}

/* ---- storage, transient storage, events (isa §6.13, model §4.1, §4.2) --------------------------- */

static bool ref_free_slot(ref_vm *vm, u256 address, u256 key)
{
    return vm->world.is_free_storage_slot && vm->world.is_free_storage_slot(vm->world.ctx, address, key);
}

/* The slot, with its batch-initial value fetched from the world once. */
static ref_slot *ref_storage_slot(ref_vm *vm, u256 address, u256 key)
{
    ref_slot *s = ref_slot_find(&vm->wd.storage, address, key, true);
    if (!s->has_initial) {
        bool write_initial = false;
        s->initial = vm->world.read_storage
                         ? vm->world.read_storage(vm->world.ctx, address, key, &write_initial)
                         : u256_zero();
        s->initial_is_write_initial = write_initial;
        s->has_initial = true;
    }
    return s;
}

/* A storage read warms the slot; returns the value and whether it was already warm. */
static u256 ref_storage_read(ref_vm *vm, u256 address, u256 key, bool *was_warm)
{
    ref_slot *s = ref_storage_slot(vm, address, key);
    *was_warm = !ref_wd_warm(&vm->wd, s, false);
    return s->present ? s->value : s->initial;
}

/* A storage write; returns its refund and pays its pubdata (model §4.1). */
static uint32_t ref_storage_write(ref_vm *vm, u256 address, u256 key, u256 value)
{
    ref_slot *s = ref_storage_slot(vm, address, key);
    if (ref_free_slot(vm, address, key)) {
        ref_slot_set(&vm->wd.storage, s, true, value, s->present ? s->paid : 0);
        ref_wd_warm(&vm->wd, s, true);
        ref_wd_warm(&vm->wd, s, false);
        return REF_WARM_WRITE_REFUND;
    }
    uint32_t cost = vm->world.cost_of_writing_storage
                        ? vm->world.cost_of_writing_storage(vm->world.ctx, s->initial,
                                                            s->initial_is_write_initial, value)
                        : 0;
    uint32_t prepaid = s->present ? s->paid : 0;
    ref_slot_set(&vm->wd.storage, s, true, value, cost);
    uint32_t refund;
    if (!ref_wd_warm(&vm->wd, s, true))
        refund = REF_WARM_WRITE_REFUND;
    else
        refund = ref_wd_warm(&vm->wd, s, false) ? 0 : REF_COLD_WRITE_AFTER_READ_REFUND;
    ref_add_pubdata(vm, (int64_t)cost - (int64_t)prepaid);
    return refund;
}

static void ref_op_sload(ref_vm *vm, const ref_insn *d)
{
    ref_frame *f = ref_cur(vm);
    u256 key = ref_reg_plain(vm, d->src0);
    bool warm;
    u256 v = ref_storage_read(vm, f->address, key, &warm);
    if (warm || ref_free_slot(vm, f->address, key))
        f->ergs += REF_WARM_READ_REFUND;
    ref_set(vm, d->dst0, v, false);
}

static void ref_op_sstore(ref_vm *vm, const ref_insn *d)
{
    ref_frame *f = ref_cur(vm);
    u256 key = ref_reg_plain(vm, d->src0);
    u256 value = ref_reg_plain(vm, d->src1);
    f->ergs += ref_storage_write(vm, f->address, key, value);
}

static void ref_op_transient(ref_vm *vm, const ref_insn *d)
{
    ref_frame *f = ref_cur(vm);
    u256 key = ref_reg_plain(vm, d->src0);
    if (d->family == RF_TLOAD) {
        ref_slot *s = ref_slot_find(&vm->wd.transient, f->address, key, false);
        ref_set(vm, d->dst0, s && s->present ? s->value : u256_zero(), false);
    } else {
        ref_slot *s = ref_slot_find(&vm->wd.transient, f->address, key, true);
        ref_slot_set(&vm->wd.transient, s, true, ref_reg_plain(vm, d->src1), 0);
    }
}

/* vm2 records events only from EventWriter (isa §11 item 11); L2->L1 logs from anyone. */
static void ref_op_log(ref_vm *vm, const ref_insn *d)
{
    ref_frame *f = ref_cur(vm);
    eravm_log l = {f->address, ref_reg_plain(vm, d->src0), ref_reg_plain(vm, d->src1), d->first,
                   vm->tx_number};
    if (d->family == RF_TO_L1)
        ref_log_push(&vm->wd.l2l1, l);
    else if (ref_is_address(f->address, ERAVM_ADDR_EVENT_WRITER))
        ref_log_push(&vm->wd.events, l);
}

/* ---- decommits (isa §6.13, model §2.2, §4.4) ---------------------------------------------------- */

static const eravm_program *ref_world_program(ref_vm *vm, u256 key)
{
    return vm->world.decommit ? vm->world.decommit(vm->world.ctx, key) : NULL;
}

/* The versioned hash with byte 1 (the constructing marker) cleared. */
static u256 ref_code_key(u256 hash)
{
    uint8_t b[32];
    u256_to_be(hash, b);
    b[1] = 0;
    return u256_from_be(b);
}

/* Code goes into a page once per hash; later decommits point at that page,
 * which is pinned for the rest of the run. */
static uint32_t ref_materialize(ref_vm *vm, u256 hash, const eravm_program *p, uint32_t page_id)
{
    ref_decommit *x = ref_wd_decommit(&vm->wd, hash);
    if (x && x->succeeded)
        return x->page;
    if (p)
        ref_write(vm, page_id, 0, eravm_program_code(p), ref_code_bytes(p));
    ref_page_get(&vm->pages, page_id)->pinned = true;
    ref_wd_set_decommit(&vm->wd, hash, true, page_id);
    return page_id;
}

static void ref_op_decommit(ref_vm *vm, const ref_insn *d)
{
    ref_frame *f = ref_cur(vm);
    u256 hash = ref_reg_plain(vm, d->src0);
    uint32_t extra = u256_low32(ref_reg_plain(vm, d->src1));
    uint8_t b[32];
    u256_to_be(hash, b);
    bool valid = (b[0] == 1 || b[0] == 2) && (b[1] == 0 || b[1] == 1);
    if (!ref_pay(f, extra) || !valid) {
        ref_set(vm, d->dst0, u256_zero(), false);
        return;
    }
    ref_decommit *x = ref_wd_decommit(&vm->wd, hash);
    if (x && x->succeeded)
        f->ergs += extra; /* decommitted before: the extra is refunded */
    uint32_t page = ref_materialize(vm, hash, ref_world_program(vm, ref_code_key(hash)), f->heap);
    ref_fatptr p = {0, page, 0, REF_KERNEL_STIPEND}; /* length 2 MiB whatever the code's size */
    ref_set(vm, d->dst0, ref_fp_word(p), true);
}

/* ---- precompile_call (isa §6.13, model §4.3) ------------------------------------------------------ */

static void ref_precompile_read(void *ctx, uint32_t page, uint64_t offset, uint8_t *dst, size_t n)
{
    ref_read(ctx, page, offset, dst, n);
}

static void ref_op_precompile(ref_vm *vm, const ref_insn *d)
{
    ref_frame *f = ref_cur(vm);
    u256 aux = ref_reg_plain(vm, d->src1); /* bits 0-31 extra ergs, 32-63 extra pubdata */
    if (!ref_pay(f, (uint32_t)aux.w[0])) {
        ref_set(vm, d->dst0, u256_zero(), false); /* not a panic */
        return;
    }
    ref_add_pubdata(vm, (int32_t)(uint32_t)(aux.w[0] >> 32));
    u256 w = ref_reg_plain(vm, d->src0);
    eravm_precompile_abi abi = {(uint32_t)w.w[0], (uint32_t)(w.w[0] >> 32), (uint32_t)w.w[1],
                                (uint32_t)(w.w[1] >> 32), (uint32_t)w.w[2], (uint32_t)(w.w[2] >> 32),
                                w.w[3]};
    if (abi.read_page == 0) /* page 0 means the current heap */
        abi.read_page = f->heap;
    if (abi.write_page == 0)
        abi.write_page = f->heap;
    u256 out[ERAVM_PRECOMPILE_MAX_OUT];
    uint16_t which = (uint16_t)f->address.w[0]; /* the low 16 bits of `this` pick it */
    int n = -1;
    if (vm->world.call_precompile) /* the embedder may answer instead (eravm.h) */
        n = vm->world.call_precompile(vm->world.ctx, which, &abi, ref_precompile_read, vm, out);
    if (n < 0)
        n = eravm_precompile_run(which, &abi, ref_precompile_read, vm, out);
    uint32_t at = abi.output_offset * 32u; /* words, as a u32 byte offset (wrapping) */
    for (int i = 0; i < n && (uint32_t)i < abi.output_length; i++, at += 32)
        ref_write_word(vm, abi.write_page, at, out[i]);
    ref_set(vm, d->dst0, u256_from_u64(1), false);
}

/* ---- heap access (isa §6.14) ----------------------------------------------------------------- */

static void ref_op_heap_read(ref_vm *vm, const ref_insn *d)
{
    ref_frame *f = ref_cur(vm);
    bool aux = d->family == RF_AUX_READ, tagged;
    u256 a = ref_src(vm, d, &tagged); /* raw: a tagged offset fails the range check */
    uint32_t at;
    if (!ref_heap_offset(vm, a, aux, &at)) {
        ref_panic_next(f);
        return;
    }
    ref_set(vm, d->dst0, ref_read_word(vm, aux ? f->aux : f->heap, at), false);
    if (d->inc) /* tagged iff the offset was (model §1.6) */
        ref_set_dst1(vm, d, ref_plus32(a), tagged);
}

/* Stores suspend the run at the hook address (model §1.11). */
static int ref_op_heap_write(ref_vm *vm, const ref_insn *d, eravm_result *res)
{
    ref_frame *f = ref_cur(vm);
    bool aux = d->family == RF_AUX_WRITE, tagged;
    u256 a = ref_src(vm, d, &tagged);
    uint32_t at;
    if (!ref_heap_offset(vm, a, aux, &at)) {
        ref_panic_next(f);
        return REF_RUNNING;
    }
    u256 v = ref_reg_plain(vm, d->src1);
    ref_write_word(vm, aux ? f->aux : f->heap, at, v);
    if (d->inc) /* stores put the next offset in dst0 */
        ref_set(vm, d->dst0, ref_plus32(a), false);
    if (!aux && vm->settings.hooks_enabled && vm->depth == 0 && at == vm->settings.hook_address) {
        res->hook_value = u256_low32(v);
        return REF_SUSPENDED;
    }
    return REF_RUNNING;
}

/* ld: read through a fat pointer; bytes past its length read as zero. */
static void ref_op_ptr_read(ref_vm *vm, const ref_insn *d)
{
    ref_frame *f = ref_cur(vm);
    u256 a = vm->reg[d->src0];
    ref_fatptr p = ref_fp(a);
    if (!vm->tag[d->src0] || p.offset > REF_LAST_ADDRESS) {
        ref_panic_next(f);
        return;
    }
    uint32_t start = p.start + (p.offset < p.length ? p.offset : p.length);
    uint32_t limit = p.start + p.length;
    uint32_t end = start > 0xFFFFFFFFu - 32 ? 0xFFFFFFFFu : start + 32;
    if (end > limit)
        end = limit;
    uint8_t b[32] = {0};
    if (end > start)
        ref_read(vm, p.page, start, b, end - start);
    ref_set(vm, d->dst0, u256_from_be(b), false);
    if (d->inc)
        ref_set_dst1(vm, d, ref_plus32(a), true);
}

/* ldm.st / stm.st: the global static page, no growth cost; out of range panics without burning. */
static void ref_op_static(ref_vm *vm, const ref_insn *d)
{
    bool tagged;
    u256 a = ref_src(vm, d, &tagged);
    if (ref_beyond_last_address(a)) {
        ref_panic_next(ref_cur(vm));
        return;
    }
    if (d->family == RF_STATIC_READ) {
        ref_set(vm, d->dst0, ref_read_word(vm, REF_STATIC_PAGE, (uint32_t)a.w[0]), false);
        if (d->inc)
            ref_set_dst1(vm, d, ref_plus32(a), tagged);
    } else {
        ref_write_word(vm, REF_STATIC_PAGE, (uint32_t)a.w[0], ref_reg_plain(vm, d->src1));
        if (d->inc)
            ref_set(vm, d->dst0, ref_plus32(a), false);
    }
}

/* ---- far calls (isa §6.10, model §2) ---------------------------------------------------------------- */

/* A calldata or returndata pointer from an ABI word (model §2.3 step 4):
 * forward an existing pointer, or make a fresh slice of the heap / aux heap
 * (paying its growth). A slice whose end overflows u32 drains the frame. */
static bool ref_abi_pointer(ref_vm *vm, u256 abi, bool tagged, bool already_failed, ref_fatptr *out)
{
    ref_frame *f = ref_cur(vm);
    ref_fatptr p = ref_fp(abi);
    uint8_t mode = (uint8_t)(abi.w[3] >> 32); /* 1 forward, 2 aux heap, anything else heap */
    if (mode == 1) {
        if (!tagged || p.offset > p.length)
            return false;
        p.start += p.offset;
        p.length -= p.offset;
        p.offset = 0;
        *out = p;
        return true;
    }
    uint32_t *bound = mode == 2 ? &f->aux_bound : &f->heap_bound;
    if ((uint64_t)p.start + p.length > 0xFFFFFFFFull) {
        ref_grow(f, bound, 0xFFFFFFFFu);
        return false;
    }
    if (tagged || p.offset != 0 || already_failed || !ref_grow(f, bound, p.start + p.length))
        return false;
    p.page = mode == 2 ? f->aux : f->heap;
    *out = p;
    return true;
}

/* What a far call runs (model §2.2). */
typedef struct {
    u256 key;       /* versioned hash with byte 1 cleared */
    uint32_t cost;  /* decommit ergs, 0 if decommitted before */
    bool fresh;     /* not decommitted before: its code goes into the new frame's code page */
    bool is_evm;    /* runs the EVM interpreter */
    bool is_blob;   /* the stored hash had version byte 2 (56 KiB stipend) */
    const eravm_program *program;
} ref_target;

/* Looks up the callee's code hash in AccountCodeStorage (a real storage
 * read: it warms the slot) and decides what runs; false: the call fails. */
static bool ref_resolve_code(ref_vm *vm, u256 dest, bool ctor, ref_target *t)
{
    bool warm;
    u256 info = ref_storage_read(vm, u256_from_u64(ERAVM_ADDR_ACCOUNT_CODE_STORAGE), dest, &warm);
    uint8_t b[32];
    u256_to_be(info, b);
    if (b[1] > 1)
        return false;
    bool constructed = b[1] == 0;
    bool kernel = ref_is_kernel_address(dest);
    u256 code = vm->settings.default_aa_hash; /* for calls that do not match the marker */
    if (b[0] == 1 || b[0] == 2) {
        t->is_blob = b[0] == 2;
        if (constructed == ctor) {
            if (kernel)
                return false;
        } else if (b[0] == 1) {
            code = info;
        } else {
            t->is_evm = true;
            code = vm->settings.evm_interpreter_hash;
        }
    } else if (!u256_is_zero(info) || kernel) {
        return false;
    }
    t->key = ref_code_key(code);
    u256_to_be(t->key, b);
    ref_decommit *x = ref_wd_decommit(&vm->wd, t->key);
    t->fresh = !(x && x->succeeded);
    t->cost = t->fresh ? REF_ERGS_PER_CODE_WORD * (uint32_t)(b[2] << 8 | b[3]) : 0;
    return true;
}

/* The part of a far call that may fail (model §2.3 steps 3-6), in vm2's
 * order: code lookup, calldata pointer, mandated ergs, decommit payment. */
static bool ref_far_call_prepare(ref_vm *vm, const ref_insn *d, u256 abi, bool abi_tagged, u256 dest,
                                 bool ctor, uint32_t *mandated, uint32_t base, ref_target *t,
                                 ref_fatptr *calldata)
{
    ref_frame *f = ref_cur(vm);
    bool shard_failed = d->shard && (uint8_t)(abi.w[3] >> 40) != 0;
    bool found = false, have_calldata = false;
    if (shard_failed) {
        ref_abi_pointer(vm, abi, abi_tagged, true, calldata); /* only for its growth charge */
    } else {
        found = ref_resolve_code(vm, dest, ctor, t);
        have_calldata = ref_abi_pointer(vm, abi, abi_tagged, !found, calldata);
    }
    if (f->ergs < *mandated) {
        f->ergs = 0;
        *mandated = 0;
        return false;
    }
    f->ergs -= *mandated;
    if (shard_failed || !found || !have_calldata)
        return false;
    if (t->cost > f->ergs) { /* not paid; the hash is remembered, but not as free */
        if (t->fresh)
            ref_wd_set_decommit(&vm->wd, t->key, false, 0);
        return false;
    }
    f->ergs -= t->cost;
    t->program = ref_world_program(vm, t->key);
    if (t->fresh)
        ref_materialize(vm, t->key, t->program, base); /* the new frame's code page */
    return true;
}

/* Enters the callee's frame (model §2.4). */
static ref_frame *ref_push_frame(ref_vm *vm, const ref_insn *d, u256 dest, const ref_target *t,
                                 uint32_t ergs, bool is_static, uint32_t calldata_page)
{
    ref_frame *caller = ref_cur(vm);
    ref_frame *f = ref_frame_at(vm, vm->depth + 1);
    uint32_t base = vm->next_base_page;
    vm->next_base_page += REF_PAGES_PER_CALL;
    ref_frame_program(f, t->program);
    f->address = d->family == RF_FAR_DELEGATE ? caller->address : dest;
    f->code_address = dest;
    f->caller = d->family == RF_FAR_CALL       ? caller->address
                : d->family == RF_FAR_DELEGATE ? caller->caller
                                               : ref_address(vm->reg[15]);
    f->context = d->family == RF_FAR_DELEGATE ? caller->context : vm->context_pending;
    vm->context_pending = u256_zero();
    f->is_kernel = ref_is_kernel_address(f->address);
    f->is_static = is_static;
    f->heap = base + 2;
    f->aux = base + 3;
    f->calldata_page = calldata_page;
    f->heap_bound = f->aux_bound = f->is_kernel ? REF_KERNEL_STIPEND
                                   : t->is_blob ? REF_EVM_STIPEND
                                                : REF_USER_STIPEND;
    f->ergs = ergs;
    f->handler = d->imm0;
    f->snap = ref_wd_snap(&vm->wd);
    ref_own(f, f->heap);
    ref_own(f, f->aux);
    vm->depth++;
    return f;
}

static void ref_op_far_call(ref_vm *vm, const ref_insn *d)
{
    ref_frame *f = ref_cur(vm);
    u256 abi = vm->reg[d->src0];
    bool abi_tagged = vm->tag[d->src0];
    u256 dest = ref_address(ref_reg_plain(vm, d->src1));
    uint32_t asked = (uint32_t)abi.w[3];
    bool ctor = (uint8_t)(abi.w[3] >> 48) != 0 && f->is_kernel;      /* honoured from kernel callers */
    bool system = (uint8_t)(abi.w[3] >> 56) != 0 && ref_is_kernel_address(dest); /* ... to kernel callees */
    uint32_t mandated = system && ref_is_address(dest, ERAVM_ADDR_MSG_VALUE) ? REF_MSG_VALUE_MANDATED : 0;
    ref_target t;
    memset(&t, 0, sizeof t);
    ref_fatptr calldata = {0, 0, 0, 0};
    bool ok = ref_far_call_prepare(vm, d, abi, abi_tagged, dest, ctor, &mandated, vm->next_base_page,
                                   &t, &calldata);
    uint32_t cap = f->ergs / 64 * 63; /* the 63/64 rule, dividing first */
    uint32_t passed = asked < cap ? asked : cap;
    f->ergs -= passed;
    if (!ok) { /* the callee is entered anyway, and panics at once */
        memset(&t, 0, sizeof t);
        memset(&calldata, 0, sizeof calldata);
    }
    bool is_static = d->is_static || f->is_static;
    ref_frame *callee = ref_push_frame(vm, d, dest, &t, passed + mandated, is_static && !t.is_evm,
                                       calldata.page);
    callee->panic_pending = !ok;
    ref_set_flags(vm, false, false, false);
    for (unsigned r = 0; r < 16; r++) { /* a system call keeps r3..r12, untagged */
        if (!system || r < 3 || r > 12)
            vm->reg[r] = u256_zero();
        vm->tag[r] = false;
    }
    vm->reg[1] = ref_fp_word(calldata);
    vm->tag[1] = true;
    vm->reg[2] = u256_from_u64((is_static && t.is_evm ? 4u : 0u) | (system ? 2u : 0u) | (ctor ? 1u : 0u));
}

/* ---- returns (isa §6.11, model §2.5, §3.2) ---------------------------------------------------------- */

static int ref_near_return(ref_vm *vm, int kind, bool to_label, uint16_t label)
{
    ref_frame *f = ref_cur(vm);
    ref_near n = f->near[--f->nnear];
    uint32_t leftover = f->ergs;
    f->sp = n.sp;
    f->ergs = n.ergs;
    f->pc = to_label ? label : kind == KIND_OK ? n.return_pc : n.handler;
    if (kind != KIND_OK)
        ref_wd_rollback(&vm->wd, &n.snap);
    ref_set_flags(vm, kind == KIND_PANIC, false, false);
    f->ergs += leftover;
    return REF_RUNNING;
}

static void ref_set_returndata(ref_vm *vm, bool have, ref_fatptr p)
{
    free(vm->returndata);
    vm->returndata_len = have ? p.length : 0;
    vm->returndata = xmalloc(vm->returndata_len);
    ref_read(vm, p.page, p.start, vm->returndata, vm->returndata_len);
}

static int ref_far_return(ref_vm *vm, int kind, unsigned abi_reg)
{
    ref_frame *f = ref_cur(vm);
    u256 abi = vm->reg[abi_reg];
    bool tagged = vm->tag[abi_reg];
    ref_fatptr rv = {0, 0, 0, 0};
    bool have = false;
    if (kind == KIND_PANIC) {
        ref_abi_pointer(vm, abi, tagged, true, &rv); /* returns nothing, but pays an overflowing slice */
    } else {
        have = ref_abi_pointer(vm, abi, tagged, false, &rv);
        /* user code returns only memory younger than its frame, and not its calldata */
        if (have && !f->is_kernel && (rv.page < f->heap - 2 || rv.page == f->calldata_page))
            have = false;
        if (!have)
            kind = KIND_PANIC;
    }
    uint32_t leftover = f->ergs;
    if (vm->depth == 0) { /* the run ends; the initial frame is not rolled back (the embedder's job) */
        f->ended = true; /* vm2 points the pc at the invalid instruction */
        ref_set_returndata(vm, have, rv);
        return kind == KIND_OK ? REF_DONE_OK : kind == KIND_REVERT ? REF_DONE_REVERT : REF_DONE_PANIC;
    }
    uint16_t handler = f->handler;
    ref_snap snap = f->snap;
    ref_pop_frame(vm, have, rv.page);
    ref_frame *caller = ref_cur(vm);
    vm->context_pending = u256_zero();
    for (unsigned r = 0; r < 16; r++) {
        vm->reg[r] = u256_zero();
        vm->tag[r] = false;
    }
    if (have)
        vm->reg[1] = ref_fp_word(rv);
    vm->tag[1] = true; /* tagged even when it is 0 */
    if (kind != KIND_OK) {
        caller->pc = handler;
        ref_wd_rollback(&vm->wd, &snap);
    }
    ref_set_flags(vm, kind == KIND_PANIC, false, false);
    caller->ergs += leftover;
    return REF_RUNNING;
}

/* ret.ok / ret.revert / ret.panic, near or far; `.to_label` counts only for near returns. */
static int ref_return(ref_vm *vm, int kind, bool to_label, uint16_t label, unsigned abi_reg)
{
    if (ref_cur(vm)->nnear)
        return ref_near_return(vm, kind, to_label, label);
    return ref_far_return(vm, kind, abi_reg);
}

/* A panic raised before the instruction runs (cost, mode, invalid opcode):
 * no return ABI (r0), no extra cost. */
static int ref_free_panic(ref_vm *vm)
{
    return ref_return(vm, KIND_PANIC, false, 0, 0);
}

/* ---- the cycle ------------------------------------------------------------------------------- */

static int ref_execute(ref_vm *vm, const ref_insn *d, eravm_result *res)
{
    switch (d->family) {
    case RF_NOP: ref_op_nop(vm, d); break;
    case RF_ADD: case RF_SUB: ref_op_add_sub(vm, d); break;
    case RF_MUL: case RF_DIV: ref_op_mul_div(vm, d); break;
    case RF_AND: case RF_OR: case RF_XOR: case RF_SHL: case RF_SHR: case RF_ROL: case RF_ROR:
        ref_op_bitwise(vm, d);
        break;
    case RF_PTR_ADD: case RF_PTR_SUB: case RF_PTR_PACK: case RF_PTR_SHRINK: ref_op_ptr(vm, d); break;
    case RF_JUMP: ref_op_jump(vm, d); break;
    case RF_NEAR_CALL: ref_op_near_call(vm, d); break;
    case RF_SLOAD: ref_op_sload(vm, d); break;
    case RF_SSTORE: ref_op_sstore(vm, d); break;
    case RF_TLOAD: case RF_TSTORE: ref_op_transient(vm, d); break;
    case RF_EVENT: case RF_TO_L1: ref_op_log(vm, d); break;
    case RF_PRECOMPILE: ref_op_precompile(vm, d); break;
    case RF_DECOMMIT: ref_op_decommit(vm, d); break;
    case RF_FAR_CALL: case RF_FAR_DELEGATE: case RF_FAR_MIMIC: ref_op_far_call(vm, d); break;
    case RF_RET_OK: return ref_return(vm, KIND_OK, d->to_label, d->imm0, d->src0);
    case RF_RET_REVERT: return ref_return(vm, KIND_REVERT, d->to_label, d->imm0, d->src0);
    case RF_RET_PANIC: return ref_return(vm, KIND_PANIC, d->to_label, d->imm0, d->src0);
    case RF_HEAP_READ: case RF_AUX_READ: ref_op_heap_read(vm, d); break;
    case RF_HEAP_WRITE: case RF_AUX_WRITE: return ref_op_heap_write(vm, d, res);
    case RF_PTR_READ: ref_op_ptr_read(vm, d); break;
    case RF_STATIC_READ: case RF_STATIC_WRITE: ref_op_static(vm, d); break;
    default: ref_op_context(vm, d); break;
    }
    return REF_RUNNING;
}

/* One instruction after fetch and decode (isa §5.1). */
static int ref_dispatch(ref_vm *vm, const ref_insn *d, uint32_t cost, eravm_result *res)
{
    ref_frame *f = ref_cur(vm);
    if (d->family == RF_INVALID) { /* burns the frame whatever its predicate (vm2 ret.rs `invalid`) */
        f->ergs = 0;
        return ref_free_panic(vm);
    }
    if (!ref_pay(f, cost))
        return ref_free_panic(vm);
    if ((ref_kernel_only(d->family) && !f->is_kernel) || (ref_not_in_static(d->family) && f->is_static))
        return ref_free_panic(vm);
    if (!ref_predicate(vm, d->cond)) {
        vm->skipped++;
        f->pc++;
        return REF_RUNNING;
    }
    f->pc++;
    vm->dst1_written = false;
    int rc = ref_execute(vm, d, res);
    /* the dst1 rule (isa §5.5): an unwritten dst1 is cleared — after far
     * calls and returns, in the registers the next frame sees */
    if (!vm->dst1_written)
        ref_set(vm, d->dst1, u256_zero(), false);
    return rc;
}

static int ref_loop(ref_vm *vm, eravm_result *res)
{
    for (;;) {
        ref_frame *f = ref_cur(vm);
        uint64_t word;
        ref_insn d;
        uint32_t cost;
        if (f->panic_pending) { /* the implicit `ret.panic r0`, 5 ergs */
            f->panic_pending = false;
            word = REF_PANIC_WORD;
            d = ref_decode(word);
            cost = ref_cost(RF_RET_PANIC);
        } else {
            word = f->ended ? 0 : ref_fetch(f, f->pc);
            d = ref_decode(word);
            cost = ref_cost(d.family);
        }
        if (vm->trace)
            vm->trace(vm->trace_ctx, vm->outer, f->pc, word, f->ergs, (int)vm->depth);
        vm->instructions++;
        int rc = ref_dispatch(vm, &d, cost, res);
        if (rc != REF_RUNNING)
            return rc;
    }
}

/* ---- runs ----------------------------------------------------------------------------------- */

ref_vm *ref_new(const eravm_world *world, const eravm_settings *settings)
{
    ref_vm *vm = xcalloc(1, sizeof *vm);
    if (world)
        vm->world = *world;
    if (settings)
        vm->settings = *settings;
    return vm;
}

static void ref_ext_free(ref_vm *vm);

/* Forgets the previous run: frames' stacks, pages, the world diff. */
static void ref_reset(ref_vm *vm)
{
    for (uint32_t i = 0; i < vm->capframe; i++)
        if (vm->frame[i])
            ref_stack_clear(&vm->frame[i]->stack);
    ref_pages_free(&vm->pages);
    ref_wd_free(&vm->wd);
    free(vm->returndata);
    vm->returndata = NULL;
    vm->returndata_len = 0;
    vm->depth = 0;
    ref_ext_free(vm);
}

void ref_free(ref_vm *vm)
{
    if (!vm)
        return;
    ref_reset(vm);
    for (uint32_t i = 0; i < vm->capframe; i++) {
        if (vm->frame[i]) {
            free(vm->frame[i]->near);
            free(vm->frame[i]->owned);
            free(vm->frame[i]);
        }
    }
    free(vm->frame);
    free(vm);
}

void ref_set_trace(ref_vm *vm, eravm_trace_fn fn, void *ctx, const eravm_vm *outer)
{
    vm->trace = fn;
    vm->trace_ctx = ctx;
    vm->outer = outer;
}

static eravm_status ref_finish(ref_vm *vm, int rc, eravm_result *res)
{
    eravm_status st = rc == REF_DONE_OK       ? ERAVM_OK
                      : rc == REF_DONE_REVERT ? ERAVM_REVERT
                      : rc == REF_DONE_PANIC  ? ERAVM_PANIC
                                              : ERAVM_SUSPENDED;
    vm->running = st == ERAVM_SUSPENDED;
    res->status = st;
    res->returndata = vm->returndata;
    res->returndata_len = st == ERAVM_OK || st == ERAVM_REVERT ? vm->returndata_len : 0;
    res->ergs_left = vm->frame[0]->ergs;
    res->instructions = vm->instructions;
    res->skipped = vm->skipped;
    return st;
}

/* The initial frame (model §1.11): bootloader pages 7 (calldata), 10, 11; r1
 * points at the calldata, r2 holds the call flags. */
void ref_start(ref_vm *vm, const eravm_program *program, const eravm_call *call)
{
    ref_reset(vm);
    memset(vm->reg, 0, sizeof vm->reg);
    memset(vm->tag, 0, sizeof vm->tag);
    ref_set_flags(vm, false, false, false);
    vm->context_pending = u256_zero();
    vm->tx_number = 0;
    vm->next_base_page = REF_FIRST_BASE_PAGE;
    vm->instructions = vm->skipped = 0;
    ref_frame *f = ref_frame_at(vm, 0);
    ref_frame_program(f, program);
    f->address = ref_address(call->address);
    f->code_address = f->address;
    f->caller = ref_address(call->caller);
    f->context = call->context_value;
    f->context.w[2] = f->context.w[3] = 0;
    f->is_kernel = ref_is_kernel_address(f->address);
    f->is_static = call->is_static;
    f->heap = REF_HEAP_PAGE;
    f->aux = REF_AUX_PAGE;
    f->calldata_page = REF_CALLDATA_PAGE;
    f->heap_bound = f->aux_bound = call->heap_bound ? call->heap_bound /* the embedder's choice */
                                   : f->is_kernel  ? REF_KERNEL_STIPEND
                                                   : REF_USER_STIPEND;
    f->ergs = call->ergs;
    f->handler = call->exception_handler;
    f->snap = ref_wd_snap(&vm->wd);
    if (call->calldata_len)
        ref_page_write(ref_page_get(&vm->pages, REF_CALLDATA_PAGE), 0, call->calldata, call->calldata_len);
    ref_fatptr cd = {0, REF_CALLDATA_PAGE, 0, (uint32_t)call->calldata_len};
    vm->reg[1] = ref_fp_word(cd);
    vm->tag[1] = true;
    vm->reg[2] = u256_from_u64((call->system ? 2u : 0u) | (call->constructor ? 1u : 0u));
    vm->running = true;
}

eravm_status ref_continue(ref_vm *vm, eravm_result *res)
{
    res->hook_value = 0;
    if (!vm->running) {
        res->status = ERAVM_PANIC;
        return ERAVM_PANIC;
    }
    return ref_finish(vm, ref_loop(vm, res), res);
}

/* ---- what a run left ----------------------------------------------------------------------- */

void ref_read_memory(const ref_vm *vm, uint32_t page, uint64_t offset, uint8_t *dst, size_t n)
{
    ref_read(vm, page, offset, dst, n);
}

void ref_write_memory(ref_vm *vm, uint32_t page, uint64_t offset, const uint8_t *src, size_t n)
{
    ref_write(vm, page, offset, src, n);
}

uint32_t ref_ergs(const ref_vm *vm)
{
    return vm->capframe && vm->frame[0] ? ref_cur(vm)->ergs : 0;
}

void ref_set_ergs(ref_vm *vm, uint32_t ergs)
{
    if (vm->capframe && vm->frame[0])
        ref_cur(vm)->ergs = ergs;
}

uint32_t ref_heap_page(const ref_vm *vm)
{
    return vm->capframe && vm->frame[0] ? vm->frame[0]->heap : 0;
}

static int ref_slot_cmp(const void *x, const void *y)
{
    const eravm_slot *a = x, *b = y;
    int c = u256_cmp(a->address, b->address);
    return c ? c : u256_cmp(a->key, b->key);
}

static eravm_slot *ref_dump(const ref_slots *m, size_t *n)
{
    eravm_slot *out = xmalloc(sizeof *out * (m->n ? m->n : 1));
    size_t k = 0;
    for (uint32_t i = 0; i < m->n; i++) {
        if (m->v[i].present) {
            out[k].address = m->v[i].address;
            out[k].key = m->v[i].key;
            out[k].value = m->v[i].value;
            k++;
        }
    }
    qsort(out, k, sizeof *out, ref_slot_cmp);
    *n = k;
    return out;
}

eravm_slot *ref_storage_writes(const ref_vm *vm, size_t *n)
{
    return ref_dump(&vm->wd.storage, n);
}

eravm_slot *ref_transient(const ref_vm *vm, size_t *n)
{
    return ref_dump(&vm->wd.transient, n);
}

const eravm_log *ref_events(const ref_vm *vm, size_t *n)
{
    *n = vm->wd.events.n;
    return vm->wd.events.v;
}

const eravm_log *ref_l2l1_logs(const ref_vm *vm, size_t *n)
{
    *n = vm->wd.l2l1.n;
    return vm->wd.l2l1.v;
}

int32_t ref_pubdata(const ref_vm *vm)
{
    return vm->wd.pubdata;
}

bool ref_storage_written(ref_vm *vm, u256 address, u256 key, u256 *value)
{
    ref_slot *s = ref_slot_find(&vm->wd.storage, address, key, false);
    if (!s || !s->present)
        return false;
    *value = s->value;
    return true;
}

/* ---- external (transaction) snapshots (model §3.4) ------------------------------------------------ */

static void ref_ext_free(ref_vm *vm)
{
    ref_ext *x = vm->ext;
    if (!x)
        return;
    for (size_t i = 0; i < x->nundo; i++)
        free(x->undo[i].old);
    free(x->undo);
    free(x->near);
    ref_stack_clear(&x->stack);
    free(x);
    vm->ext = NULL;
}

static void ref_stack_copy(ref_stack *to, const ref_stack *from)
{
    ref_stack_clear(to);
    for (size_t i = 0; i < sizeof from->chunk / sizeof from->chunk[0]; i++) {
        if (from->chunk[i]) {
            to->chunk[i] = xmalloc(sizeof *to->chunk[i]);
            *to->chunk[i] = *from->chunk[i];
        }
    }
    to->nchunks = from->nchunks;
}

/* Only in the initial frame (its near calls allowed), one at a time. */
bool ref_snapshot(ref_vm *vm)
{
    if (vm->ext || vm->depth != 0 || !vm->capframe || !vm->frame[0])
        return false;
    ref_ext *x = xcalloc(1, sizeof *x);
    ref_frame *f = vm->frame[0];
    x->wd = ref_wd_snap(&vm->wd);
    x->flag_undo = vm->wd.nflag_undo;
    x->dec_undo = vm->wd.ndec_undo;
    memcpy(x->reg, vm->reg, sizeof x->reg);
    memcpy(x->tag, vm->tag, sizeof x->tag);
    x->lt = vm->lt;
    x->eq = vm->eq;
    x->gt = vm->gt;
    x->tx_number = vm->tx_number;
    x->context_pending = vm->context_pending;
    x->next_base_page = vm->next_base_page;
    x->frame = *f; /* fields only: the stack and the arrays are copied or kept */
    memset(&x->frame.stack, 0, sizeof x->frame.stack);
    x->near = xmalloc((f->nnear ? f->nnear : 1) * sizeof *x->near);
    if (f->nnear)
        memcpy(x->near, f->near, f->nnear * sizeof *x->near);
    ref_stack_copy(&x->stack, &f->stack);
    vm->ext = x;
    return true;
}

/* Rolls the world diff back (warm flags and decommits too), and clears
 * transient storage: vm2 records it as empty in the snapshot. */
static void ref_rollback_world(ref_vm *vm, const ref_ext *x)
{
    ref_wd_rollback(&vm->wd, &x->wd);
    while (vm->wd.nflag_undo > x->flag_undo) {
        ref_flag_undo *u = &vm->wd.flag_undo[--vm->wd.nflag_undo];
        vm->wd.storage.v[u->slot].warm_read = u->was_read;
        vm->wd.storage.v[u->slot].warm_written = u->was_written;
    }
    while (vm->wd.ndec_undo > x->dec_undo) {
        ref_dec_undo *u = &vm->wd.dec_undo[--vm->wd.ndec_undo];
        if (!u->existed) {
            vm->wd.ndec = u->index; /* it was the newest entry */
        } else {
            vm->wd.dec[u->index].succeeded = u->succeeded;
            vm->wd.dec[u->index].page = u->page;
        }
    }
    ref_wd_clear_transient(&vm->wd);
}

/* Pages of far calls made after the snapshot are gone, and their ids will
 * be handed out again. */
static void ref_forget_pages_from(ref_vm *vm, uint32_t first)
{
    for (uint32_t i = 0; i < vm->pages.cap; i++) {
        ref_page *p = vm->pages.slot[i];
        if (p && p->id >= first && p->id >= REF_FIRST_BASE_PAGE) {
            ref_page_release(p);
            p->pinned = false;
        }
    }
}

bool ref_rollback(ref_vm *vm)
{
    ref_ext *x = vm->ext;
    if (!x || vm->depth != 0)
        return false;
    ref_rollback_world(vm, x);
    for (size_t i = x->nundo; i-- > 0;) /* heap words, newest first */
        ref_page_write(ref_page_get(&vm->pages, x->undo[i].page), x->undo[i].offset, x->undo[i].old,
                       x->undo[i].length);
    ref_frame *f = vm->frame[0];
    ref_near *near = f->near;
    uint32_t capnear = f->capnear;
    uint32_t *owned = f->owned;
    uint32_t capowned = f->capowned;
    ref_stack_copy(&x->frame.stack, &x->stack); /* the copy becomes the frame's own */
    ref_stack_clear(&f->stack);
    *f = x->frame; /* pages kept since are dropped with the longer owned list */
    if (f->nnear > capnear) {
        capnear = f->nnear;
        near = xrealloc(near, capnear * sizeof *near);
    }
    if (f->nnear)
        memcpy(near, x->near, f->nnear * sizeof *near);
    f->near = near;
    f->capnear = capnear;
    f->owned = owned;
    f->capowned = capowned;
    ref_forget_pages_from(vm, x->next_base_page);
    memcpy(vm->reg, x->reg, sizeof vm->reg);
    memcpy(vm->tag, x->tag, sizeof vm->tag);
    ref_set_flags(vm, x->lt, x->eq, x->gt);
    vm->tx_number = x->tx_number;
    vm->context_pending = x->context_pending;
    vm->next_base_page = x->next_base_page;
    vm->running = true; /* a bootloader that ended runs on from the snapshot */
    ref_ext_free(vm);
    return true;
}

/* The transaction stays; the pages its calls returned to the initial frame
 * are released (vm2 reclaim_bootloader_returndata_heaps), decommitted code
 * stays pinned. */
bool ref_pop_snapshot(ref_vm *vm)
{
    if (!vm->ext || vm->depth != 0)
        return false;
    ref_ext_free(vm);
    ref_frame *f = vm->frame[0];
    for (uint32_t i = 0; i < f->nowned; i++) {
        ref_page *p = ref_page_find(&vm->pages, f->owned[i]);
        if (p && !p->pinned)
            ref_page_release(p);
    }
    f->nowned = 0;
    return true;
}

/* ---- inspection for tracers ---------------------------------------------------------------- */

unsigned ref_depth(const ref_vm *vm)
{
    return vm->depth;
}

u256 ref_frame_address(const ref_vm *vm, unsigned depth, u256 *code_address)
{
    const ref_frame *f = vm->frame[depth <= vm->depth ? depth : vm->depth];
    if (code_address)
        *code_address = f->code_address;
    return f->address;
}

unsigned ref_near_count(const ref_vm *vm, unsigned depth)
{
    return depth <= vm->depth ? vm->frame[depth]->nnear : 0;
}

uint16_t ref_near_target(const ref_vm *vm, unsigned depth, unsigned i)
{
    if (depth > vm->depth || i >= vm->frame[depth]->nnear)
        return 0;
    return vm->frame[depth]->near[i].target;
}

u256 ref_register(const ref_vm *vm, int r, bool *tagged)
{
    if (tagged)
        *tagged = vm->tag[r & 15];
    return vm->reg[r & 15];
}

unsigned ref_flags(const ref_vm *vm)
{
    return (vm->lt ? 1u : 0u) | (vm->eq ? 2u : 0u) | (vm->gt ? 4u : 0u);
}
