/* vm/vm.c — the EraVM interpreter: programs decoded once, the dispatch loop,
 * and every instruction's semantics, following the reference fast VM (vm2,
 * matter-labs/vm2 @ 9a378c1) where sources disagree — see
 * ../shared/spec/eravm-isa.md §5–§11 and ../shared/spec/eravm-model.md.
 *
 * The loop charges the base cost before anything else (even for a false
 * predicate), checks kernel/static mode, then the predicate. Failures inside
 * an instruction point the pc at the program's spontaneous-panic slot, which
 * the next dispatch runs as a 5-erg `ret.panic`; cost and mode failures
 * panic at once ("free panic"). Every dispatch counts as one instruction. */
#include <stdio.h>
#include <x86intrin.h>
#include <stdlib.h>
#include <string.h>

#include "bytecode.h"
#include "engine.h"
#include "precompile.h"
#include "prof.h"
#include "ref.h"
#include "vm_internal.h"
#include "xalloc.h"

#define LAST_ADDRESS 0xFFFFFFDFu /* u32::MAX - 32: the highest word offset */
#define KERNEL_STIPEND 2097152u
#define EVM_STIPEND 57344u
#define USER_STIPEND 4096u
#define MSG_VALUE_MANDATED 27000u
#define WARM_READ_REFUND 1970u
#define WARM_WRITE_REFUND 5440u
#define COLD_WRITE_AFTER_READ_REFUND 2000u

enum { F_LT = 1, F_EQ = 2, F_GT = 4 };


/* ---- programs (vm/program.c) ---------------------------------------------- */

/* The program a failed far call runs: one spontaneous panic. */
static eravm_program *program_panicking(void)
{
    eravm_program *p = eravm_program_new(NULL, 0);
    p->recs[0] = predecode_pseudo(VOP_PANIC);
    return p;
}

const char *eravm_status_name(eravm_status s)
{
    return s == ERAVM_OK ? "ok" : s == ERAVM_REVERT ? "revert" : s == ERAVM_PANIC ? "panic" : "suspended";
}

u256 eravm_code_hash(const uint8_t *code, size_t len)
{
    uint8_t h[32];
    eravm_versioned_hash(code, len, h);
    return u256_from_be(h);
}

/* ---- small helpers ---------------------------------------------------------- */

static inline vm_frame *cur(eravm_vm *vm)
{
    return &vm->frames[vm->depth];
}

static inline bool use_gas(vm_frame *f, uint32_t amount)
{
    if (f->ergs >= amount) {
        f->ergs -= amount;
        return true;
    }
    f->ergs = 0;
    return false;
}

static inline void set_pc(vm_frame *f, uint16_t target)
{
    uint32_t n = f->prog->ndec;
    f->pc = target < n ? target : n; /* beyond the program: the invalid slot */
}

/* Register writes outside the engine (which caches the tags). r may be
 * VM_SINK. */
static inline void set_reg(eravm_vm *vm, unsigned r, u256 v)
{
    vm->regs[r] = v;
    vm->tags &= (uint16_t)~(1u << r);
}

static inline void set_reg_ptr(eravm_vm *vm, unsigned r, u256 v)
{
    vm->regs[r] = v;
    vm->tags |= (uint16_t)(1u << r);
}

/* User-mode pointer erasure: page and start (bits 32..95) cleared. */
static inline void erase(u256 *v)
{
    v->w[0] &= 0xFFFFFFFFull;
    v->w[1] &= 0xFFFFFFFF00000000ull;
}

static inline u256 reg_val(eravm_vm *vm, const vm_frame *f, unsigned r)
{
    u256 v = vm->regs[r];
    if (((vm->tags >> r) & 1) && !f->is_kernel)
        erase(&v);
    return v;
}

/* Fat pointer fields of the low 128 bits. */
typedef struct {
    uint32_t offset, page, start, length;
} fatptr;

static inline fatptr fp_of(u256 v)
{
    fatptr p = {(uint32_t)v.w[0], (uint32_t)(v.w[0] >> 32), (uint32_t)v.w[1],
                (uint32_t)(v.w[1] >> 32)};
    return p;
}

static inline u256 fp_word(fatptr p)
{
    u256 v = u256_zero();
    v.w[0] = p.offset | (uint64_t)p.page << 32;
    v.w[1] = p.start | (uint64_t)p.length << 32;
    return v;
}

static inline bool is_kernel_addr(u256 a)
{
    return a.w[3] == 0 && a.w[2] == 0 && a.w[1] == 0 && a.w[0] < 65536;
}

static inline u256 addr_mask(u256 a)
{
    a.w[3] = 0;
    a.w[2] &= 0xFFFFFFFFull;
    return a;
}

static inline bool above_last_address(u256 x)
{
    return x.w[0] > LAST_ADDRESS || x.w[1] || x.w[2] || x.w[3];
}

/* Grows a heap bound, paying 1 erg per byte beyond it. */
static inline bool grow_bound(vm_frame *f, uint32_t *bound, uint32_t new_bound)
{
    if (new_bound > *bound) {
        if (!use_gas(f, new_bound - *bound))
            return false;
        *bound = new_bound;
    }
    return true;
}

static __attribute__((noinline)) U256_COLD_CC void page_write_word(vm_pages *ps, vm_page *p, uint32_t off, u256 v)
{
    uint8_t b[32];
    u256_to_be(v, b);
    page_write(ps, p, off, b, 32);
}

static U256_COLD_CC void page_read_word_slow(u256 *dst, const vm_page *p, uint32_t off);

static u256 mem_read_word(eravm_vm *vm, uint32_t page, uint32_t off)
{
    u256 v;
    page_read_word_slow(&v, pages_get(&vm->pages, page), off);
    return v;
}

/* A frame's heap or aux heap page, looked up or created when the engine
 * first needs it: most far calls never touch their heaps, so frames start
 * without pages. The frame takes its reference when its pointer is set
 * (pop_frame drops it). NULL: the page does not exist and reads as zeros. */
static __attribute__((noinline)) U256_COLD_CC vm_page *frame_page(eravm_vm *vm, vm_frame *f, bool aux, bool create)
{
    vm_page **slot = aux ? &f->aux_pg : &f->heap_pg;
    uint32_t id = aux ? f->aux : f->heap;
    vm_page *p = create ? pages_get_or_create(&vm->pages, id) : pages_get(&vm->pages, id);
    if (p && id >= FIRST_PAGE_GROUP_ID)
        p->refs++;
    return *slot = p;
}

/* A heap word at any offset, into *dst. */
static __attribute__((noinline)) U256_COLD_CC void page_read_word_slow(u256 *dst, const vm_page *p, uint32_t off)
{
    uint8_t b[32];
    page_read(p, off, b, 32);
    u256_from_be_into(dst, b);
}

/* Heap words for the engine, into *dst: one 256-byte chunk holds the whole
 * word in 7 of 8 offsets (an absent chunk past the page's backing reads as
 * zeros); the rest take the general path. */
static inline __attribute__((always_inline)) void page_read_word_fast(u256 *dst, const vm_page *p,
                                                                     uint32_t off)
{
    if (__builtin_expect((off & (PAGE_CHUNK - 1)) <= PAGE_CHUNK - 32, 1)) {
        const uint8_t *c = p ? page_chunk_at(p, off) : NULL;
        if (__builtin_expect(c != NULL, 1)) {
            u256_from_be_into(dst, c + (off & (PAGE_CHUNK - 1)));
            return;
        }
        if (!p || off >= p->backing_len) {
            *dst = u256_zero();
            return;
        }
    }
    page_read_word_slow(dst, p, off);
}

static inline __attribute__((always_inline)) void page_write_word_fast(vm_pages *ps, vm_page *p,
                                                                      uint32_t off, u256 v)
{
    uint8_t *c = page_chunk_at(p, off);
    if (__builtin_expect(c && (off & (PAGE_CHUNK - 1)) <= PAGE_CHUNK - 32, 1))
        u256_to_be(v, c + (off & (PAGE_CHUNK - 1)));
    else
        page_write_word(ps, p, off, v);
}

/* ldp: the word at a fat pointer's offset within [start, start+length),
 * zero-padded (the caller checked tag and offset), into *dst. */
static void fat_read_word(eravm_vm *vm, u256 *dst, u256 ptr)
{
    fatptr p = fp_of(ptr);
    uint32_t start = p.start + (p.offset < p.length ? p.offset : p.length);
    uint32_t lim = p.start + p.length;
    uint32_t end = start > 0xFFFFFFFFu - 32 ? 0xFFFFFFFFu : start + 32;
    if (end > lim)
        end = lim;
    if (end - start == 32) { /* the whole word inside the window: the common case */
        page_read_word_fast(dst, pages_get(&vm->pages, p.page), start);
        return;
    }
    uint8_t buf[32] = {0};
    if (end > start)
        page_read(pages_get(&vm->pages, p.page), start, buf, end - start);
    u256_from_be_into(dst, buf);
}

/* With an external snapshot open, what any write to the bootloader's heap or
 * aux heap overwrites is journaled, whoever writes: a store, the host, dcmt
 * materialising code, precompile output (vm2 Heaps::write_u256/write_bytes). */
static void journal_initial_heap(eravm_vm *vm, uint32_t page, uint64_t off, size_t n)
{
    vm_frame *f0 = &vm->frames[0];
    if (vm->has_ext && (page == f0->heap || page == f0->aux))
        for (uint64_t o = off; o < off + n && o < (1ull << 32); o += 32)
            snapshot_journal_heap(vm, page == f0->aux, (uint32_t)o);
}

static void mem_write_word(eravm_vm *vm, uint32_t page, uint32_t off, u256 v)
{
    journal_initial_heap(vm, page, off, 32);
    vm_page *p = pages_get(&vm->pages, page);
    if (!p) {
        if (u256_is_zero(v))
            return;
        p = pages_get_or_create(&vm->pages, page);
        if (!p)
            return;
    }
    page_write_word(&vm->pages, p, off, v);
}

/* ---- storage ------------------------------------------------------------------- */

static wd_entry *storage_entry(eravm_vm *vm, u256 addr, u256 key)
{
    wd_entry *e = wd_lookup(&vm->diff.storage, &addr, &key, true);
    return e;
}

static void storage_load_initial(eravm_vm *vm, wd_entry *e)
{
    if (!e->has_initial) {
        bool wi = false;
        e->initial = vm->world.read_storage ? vm->world.read_storage(vm->world.ctx, e->address,
                                                                      e->key, &wi)
                                            : u256_zero();
        e->initial_is_write_initial = wi;
        e->has_initial = 1;
    }
}

/* Returns the value and whether the slot was already warm. */
static u256 storage_read(eravm_vm *vm, u256 addr, u256 key, bool *was_warm)
{
    wd_entry *e = storage_entry(vm, addr, key);
    *was_warm = !wd_add_flag(&vm->diff, e, SLOT_READ);
    if (e->has_write)
        return e->value;
    storage_load_initial(vm, e);
    return e->initial;
}

static bool is_free_slot(eravm_vm *vm, u256 addr, u256 key)
{
    return vm->world.is_free_storage_slot &&
           vm->world.is_free_storage_slot(vm->world.ctx, addr, key);
}

static uint32_t storage_write(eravm_vm *vm, u256 addr, u256 key, u256 value)
{
    near_snap_take(vm->cur, &vm->diff);
    wd_entry *e = storage_entry(vm, addr, key);
    storage_load_initial(vm, e);
    if (is_free_slot(vm, addr, key)) {
        wd_map_set(&vm->diff.storage, e, value, e->has_write ? e->paid : 0, true);
        wd_add_flag(&vm->diff, e, SLOT_WRITTEN);
        wd_add_flag(&vm->diff, e, SLOT_READ);
        return WARM_WRITE_REFUND;
    }
    uint32_t cost = vm->world.cost_of_writing_storage
                        ? vm->world.cost_of_writing_storage(vm->world.ctx, e->initial,
                                                            e->initial_is_write_initial, value)
                        : 0;
    uint32_t prepaid = e->has_write ? e->paid : 0;
    wd_map_set(&vm->diff.storage, e, value, cost, true);
    uint32_t refund;
    if (wd_add_flag(&vm->diff, e, SLOT_WRITTEN))
        refund = wd_add_flag(&vm->diff, e, SLOT_READ) ? 0 : COLD_WRITE_AFTER_READ_REFUND;
    else
        refund = WARM_WRITE_REFUND;
    vm->diff.pubdata += (int32_t)cost - (int32_t)prepaid;
    return refund;
}

/* ---- far calls and returns -------------------------------------------------------- */

/* One more (or one fewer) frame reference to a page; a far-call page with
 * none left that no decommit pinned is freed. The fixed pages (< 2048) are
 * never freed while the VM runs. */
static void page_ref(eravm_vm *vm, uint32_t page)
{
    vm_page *p = page >= FIRST_PAGE_GROUP_ID ? pages_get(&vm->pages, page) : NULL;
    if (p)
        p->refs++;
}

/* A dying frame's own heap or aux heap: its reference goes if it took one
 * (frame_page); a page others wrote under its id without it (a precompile's
 * output) dies with it unless referenced or pinned. */
static void frame_page_unref(eravm_vm *vm, vm_page *p, uint32_t page)
{
    if (page < FIRST_PAGE_GROUP_ID)
        return;
    if (p) {
        if (p->refs)
            p->refs--;
    } else if (!(p = pages_get(&vm->pages, page))) {
        return; /* never created: the common case */
    }
    if (!p->refs && !p->pinned)
        pages_free(&vm->pages, page);
}

void page_unref(eravm_vm *vm, uint32_t page)
{
    vm_page *p = page >= FIRST_PAGE_GROUP_ID ? pages_get(&vm->pages, page) : NULL;
    /* vm2 frees whatever the dying frame held; when a kernel frame forwarded
     * an ancestor's page upwards that frees a live page, and the ancestor
     * then reads zeros (the farcall corpus README, "silent wrong result").
     * EraVM never frees a page in use, so neither do we. */
    if (p && p->refs && --p->refs == 0 && !p->pinned)
        pages_free(&vm->pages, page);
}

/* Puts decommitted code into a page once per hash (page ids are observable
 * through decommit pointers); later decommits reuse that page. A page that
 * did not exist reads the program's code in place (its backing); one that
 * did (dcmt into a heap in use) gets a copy. */
static uint32_t materialize(eravm_vm *vm, u256 hash, const eravm_program *prog, uint32_t page)
{
    wd_decommit *d = wd_decommit_find(&vm->diff, hash);
    if (d && d->page)
        return d->page;
    vm_page *p = pages_get(&vm->pages, page);
    bool fresh = !p;
    if (fresh)
        p = pages_get_or_create(&vm->pages, page);
    if (p && prog && prog->len) {
        journal_initial_heap(vm, page, 0, prog->len);
        if (fresh) {
            p->backing = prog->code;
            p->backing_len = prog->len > UINT32_MAX ? UINT32_MAX : (uint32_t)prog->len;
        } else {
            page_write(&vm->pages, p, 0, prog->code, prog->len);
        }
    }
    if (p)
        p->pinned = true; /* page ids are observable: the code stays for the run */
    wd_decommit_set(&vm->diff, hash, page);
    return page;
}

/* Builds a calldata/returndata pointer from an ABI word (vm2 get_calldata). */
static bool abi_pointer(vm_frame *f, u256 abi, bool is_ptr, bool already_failed,
                        fatptr *out)
{
    fatptr p = fp_of(abi);
    uint8_t source = (uint8_t)(abi.w[3] >> 32);
    if (source == 1) {
        if (!is_ptr || p.offset > p.length)
            return false;
        p.start += p.offset;
        p.length -= p.offset;
        p.offset = 0;
        *out = p;
        return true;
    }
    bool aux = source == 2;
    uint32_t *bound = aux ? &f->aux_bound : &f->heap_bound;
    uint64_t end = (uint64_t)p.start + p.length;
    if (end > 0xFFFFFFFFull) {
        grow_bound(f, bound, 0xFFFFFFFFu); /* drains the frame, as the circuit does */
        return false;
    }
    if (is_ptr || p.offset != 0 || already_failed)
        return false;
    if (!grow_bound(f, bound, (uint32_t)end))
        return false;
    p.page = aux ? f->aux : f->heap;
    *out = p;
    return true;
}

typedef struct {
    u256 key;
    uint32_t cost;
    bool should_materialize, is_evm, is_blob;
} decommit_plan;

/* Code resolution for a far call (vm2 decommit.rs). */
static bool decommit_lookup(eravm_vm *vm, u256 dest, bool is_ctor, decommit_plan *d)
{
    bool warm;
    u256 info = storage_read(vm, u256_from_u64(ERAVM_ADDR_ACCOUNT_CODE_STORAGE), dest, &warm);
    uint8_t b[32];
    u256_to_be(info, b);
    d->is_evm = d->is_blob = false;
    bool constructed;
    if (b[1] == 0)
        constructed = true;
    else if (b[1] == 1)
        constructed = false;
    else
        return false;
    bool kernel = is_kernel_addr(dest);
    u256 code;
    if (b[0] == 1) {
        if (constructed == is_ctor) {
            if (kernel)
                return false;
            code = vm->settings.default_aa_hash;
        } else {
            code = info;
        }
    } else if (b[0] == 2) {
        d->is_blob = true;
        if (constructed == is_ctor) {
            if (kernel)
                return false;
            code = vm->settings.default_aa_hash;
        } else {
            d->is_evm = true;
            code = vm->settings.evm_interpreter_hash;
        }
    } else if (u256_is_zero(info)) {
        if (kernel)
            return false;
        code = vm->settings.default_aa_hash;
    } else {
        return false;
    }
    u256_to_be(code, b);
    b[1] = 0;
    d->key = u256_from_be(b);
    wd_decommit *st = wd_decommit_find(&vm->diff, d->key);
    bool was = st && st->page;
    d->cost = was ? 0 : 4u * (uint32_t)((b[2] << 8) | b[3]);
    d->should_materialize = !was;
    return true;
}

static const eravm_program *world_program(eravm_vm *vm, u256 key)
{
    const eravm_program *p = vm->world.decommit ? vm->world.decommit(vm->world.ctx, key) : NULL;
    return p ? p : vm->empty_program;
}

/* Zeroes a frame for reuse, keeping its pooled arrays. */
static void frame_clear(vm_frame *f)
{
    vm_near *near = f->near;
    uint32_t *keep = f->keep;
    uint32_t capnear = f->capnear, capkeep = f->capkeep;
    memset(f, 0, sizeof *f);
    f->near = near;
    f->keep = keep;
    f->capnear = capnear;
    f->capkeep = capkeep;
}

/* The registers' new file at a far call or return (explicit 16-byte stores:
 * gcc makes a memset of this size a `rep stos`, slower to start). */
static void regs_clear(eravm_vm *vm)
{
    __m128i z = _mm_setzero_si128();
    __m128i *p = (__m128i *)(void *)vm->regs;
#pragma GCC unroll 34
    for (int i = 0; i < 2 * (int)(sizeof vm->regs / sizeof vm->regs[0]); i++)
        _mm_storeu_si128(p + i, z);
}

static vm_frame *push_frame(eravm_vm *vm, int kind, u256 dest, const eravm_program *prog,
                            uint32_t gas, uint16_t handler, bool is_static, bool is_blob,
                            uint32_t calldata_page, wd_snapshot snap)
{
    if (vm->depth + 1 >= vm->capframes) {
        vm->frames = xrealloc(vm->frames, 2 * vm->capframes * sizeof *vm->frames);
        memset(vm->frames + vm->capframes, 0, vm->capframes * sizeof *vm->frames);
        vm->capframes *= 2;
    }
    vm_frame *caller = &vm->frames[vm->depth];
    vm_frame *f = &vm->frames[vm->depth + 1];
    near_snap_take(caller, &vm->diff); /* the callee's writes are the caller's near frames' too */
    uint32_t base = vm->next_base_page;
    vm->next_base_page += 8;
    frame_clear(f);
    f->prog = prog;
    f->recs = prog->recs;
    f->ndec = prog->ndec;
    f->code = prog->code;
    f->nwords = prog->nwords;
    f->address = kind == EOP_FAR_DELEGATE ? caller->address : dest;
    f->code_address = dest;
    f->caller = kind == EOP_FAR_CALL       ? caller->address
                : kind == EOP_FAR_DELEGATE ? caller->caller
                                           : addr_mask(vm->regs[15]);
    f->context = kind == EOP_FAR_DELEGATE ? caller->context : vm->context_pending;
    f->is_kernel = is_kernel_addr(f->address);
    f->is_static = is_static;
    f->heap = base + 2;
    f->aux = base + 3;
#ifdef ERAVM_EAGER_PAGES /* the ablation of cheap far calls: pages at every call */
    f->heap_pg = f->aux_pg = NULL;
    frame_page(vm, f, false, true);
    frame_page(vm, f, true, true);
#else
    f->heap_pg = f->aux_pg = NULL; /* created on the first write (frame_page) */
#endif
    f->heap_bound = f->aux_bound = f->is_kernel ? KERNEL_STIPEND : is_blob ? EVM_STIPEND : USER_STIPEND;
    f->calldata_page = calldata_page;
    page_ref(vm, calldata_page);
    f->ergs = gas;
    f->handler = handler;
    f->stack = stack_get(&vm->stack_pool);
    f->snap = snap;
    vm->context_pending = u256_zero();
    vm->depth++;
    return f;
}

/* Frames are pooled by depth: a released frame keeps its near-call and
 * kept-page arrays for the next frame at its depth (freed with the VM). */
static void frame_release(eravm_vm *vm, vm_frame *f)
{
    f->nnear = f->nkeep = 0;
    if (f->stack)
        stack_recycle(&vm->stack_pool, f->stack);
    f->stack = NULL;
}

static void keep_page(eravm_vm *vm, vm_frame *f, uint32_t page)
{
    if (f->nkeep == f->capkeep) {
        f->capkeep = f->capkeep ? f->capkeep * 2 : 8;
        f->keep = xrealloc(f->keep, f->capkeep * sizeof *f->keep);
    }
    f->keep[f->nkeep++] = page;
    page_ref(vm, page);
}

/* Pops the current far frame; its pages die except the returned one,
 * which the caller keeps (referenced first, so it survives). */
static void pop_frame(eravm_vm *vm, bool keep, uint32_t keep_id)
{
    vm_frame *f = cur(vm);
    if (keep)
        keep_page(vm, &vm->frames[vm->depth - 1], keep_id);
    frame_page_unref(vm, f->heap_pg, f->heap);
    frame_page_unref(vm, f->aux_pg, f->aux);
    page_unref(vm, f->calldata_page);
    for (uint32_t i = 0; i < f->nkeep; i++)
        page_unref(vm, f->keep[i]);
    frame_release(vm, f);
    vm->depth--;
}

static void read_out(eravm_vm *vm, fatptr p)
{
    free(vm->returndata);
    vm->returndata = xmalloc(p.length ? p.length : 1);
    vm->returndata_len = p.length;
    page_read(pages_get(&vm->pages, p.page), p.start, vm->returndata, p.length);
}

enum { RET_OK, RET_REVERT, RET_PANIC };
enum { RUN_ON, RUN_DONE_OK, RUN_DONE_REVERT, RUN_DONE_PANIC, RUN_SUSPENDED };

/* A far return: ret / revert / panic from a frame with no near call open
 * (vm2 naked_ret; near returns are the engine's). */
static int far_ret(eravm_vm *vm, int kind, unsigned abi_reg)
{
    vm_frame *f = cur(vm);
    u256 abi = vm->regs[abi_reg];
    bool is_ptr = (vm->tags >> abi_reg) & 1;
    fatptr rv = {0, 0, 0, 0};
    bool have = false;
    if (kind == RET_PANIC) {
        abi_pointer(f, abi, is_ptr, true, &rv); /* only for its growth charge */
    } else {
        have = abi_pointer(f, abi, is_ptr, false, &rv);
        /* user code may only return pointers to its own (newer) pages */
        if (have && !f->is_kernel && (rv.page < f->heap - 2 || rv.page == f->calldata_page))
            have = false;
        if (!have)
            kind = RET_PANIC;
    }
    uint32_t leftover = f->ergs;
    if (vm->depth == 0) {
        f->pc = f->prog->ndec; /* nothing runs after the end */
        if (have)
            read_out(vm, rv);
        else
            vm->returndata_len = 0;
        return kind == RET_OK ? RUN_DONE_OK : kind == RET_REVERT ? RUN_DONE_REVERT : RUN_DONE_PANIC;
    }
    uint16_t handler = f->handler;
    wd_snapshot snap = f->snap;
    pop_frame(vm, have, rv.page);
    f = cur(vm);
    vm->context_pending = u256_zero();
    regs_clear(vm);
    if (have)
        vm->regs[1] = fp_word(rv);
    vm->tags = 2;
    if (kind != RET_OK) {
        set_pc(f, handler);
        wd_rollback(&vm->diff, &snap);
    }
    vm->flags = kind == RET_PANIC ? F_LT : 0;
    f->ergs += leftover;
    return RUN_ON;
}

/* far_call / far_call.delegate / far_call.mimic (vm2 far_call.rs): rABI in
 * abi_reg, the destination in dest_reg, the revert handler at `handler`. */
static void far_call(eravm_vm *vm, unsigned abi_reg, unsigned dest_reg, uint16_t handler, int op,
                     unsigned opf)
{
    vm_frame *f = cur(vm);
    u256 raw_abi = vm->regs[abi_reg];
    bool abi_ptr = (vm->tags >> abi_reg) & 1;
    u256 dest = addr_mask(reg_val(vm, f, dest_reg));
    uint32_t gas_to_pass = (uint32_t)raw_abi.w[3];
    uint32_t settings = (uint32_t)(raw_abi.w[3] >> 32);
    uint8_t shard_id = (uint8_t)(settings >> 8);
    bool is_ctor = ((settings >> 16) & 0xff) && f->is_kernel;
    bool is_system = ((settings >> 24) & 0xff) && is_kernel_addr(dest);
    uint32_t mandated =
        is_system && u256_eq(dest, u256_from_u64(ERAVM_ADDR_MSG_VALUE)) ? MSG_VALUE_MANDATED : 0;
    uint32_t new_base = vm->next_base_page;
    bool failed = false, shard_failed = (opf & OPF_SHARD) && shard_id != 0;
    bool calldata_ok = false;
    fatptr calldata = {0, 0, 0, 0};
    decommit_plan plan;
    bool plan_ok = false;
    const eravm_program *prog = NULL;

    if (shard_failed) {
        abi_pointer(f, raw_abi, abi_ptr, true, &calldata);
    } else {
        plan_ok = decommit_lookup(vm, dest, is_ctor, &plan);
        calldata_ok = abi_pointer(f, raw_abi, abi_ptr, !plan_ok, &calldata);
    }
    if (f->ergs >= mandated) {
        f->ergs -= mandated;
    } else {
        f->ergs = 0;
        mandated = 0;
        failed = true;
    }
    if (!failed && (shard_failed || !calldata_ok || !plan_ok))
        failed = true;
    if (!failed) {
        if (plan.cost > f->ergs) {
            wd_decommit *st = wd_decommit_find(&vm->diff, plan.key);
            if (!st)
                wd_decommit_set(&vm->diff, plan.key, 0);
            failed = true;
        } else {
            f->ergs -= plan.cost;
            prog = world_program(vm, plan.key);
            if (plan.should_materialize)
                materialize(vm, plan.key, prog, new_base);
        }
    }
    uint32_t max_pass = f->ergs / 64 * 63;
    uint32_t passed = gas_to_pass < max_pass ? gas_to_pass : max_pass;
    f->ergs -= passed;
    bool is_evm = false, is_blob = false;
    if (failed) {
        calldata = (fatptr){0, 0, 0, 0};
        prog = vm->panic_program;
    } else {
        is_evm = plan.is_evm;
        is_blob = plan.is_blob;
    }
    bool new_static = (opf & OPF_STATIC) || f->is_static;
    wd_snapshot snap = wd_snapshot_take(&vm->diff);
    push_frame(vm, op, dest, prog, passed + mandated, handler, new_static && !is_evm, is_blob,
               calldata.page, snap);
    vm->flags = 0;
    if (is_system) {
        for (int r = 13; r < 16; r++)
            vm->regs[r] = u256_zero();
    } else {
        regs_clear(vm);
    }
    vm->tags = 2;
    vm->regs[1] = fp_word(calldata);
    vm->regs[2] = u256_from_u64((uint64_t)((new_static && is_evm) ? 4 : 0) | (is_system ? 2 : 0) |
                                (is_ctor ? 1 : 0));
}

/* ---- precompile memory reader ----------------------------------------------------- */

static void precompile_read(void *ctx, uint32_t page, uint64_t offset, uint8_t *dst, size_t n)
{
    eravm_vm *vm = ctx;
    page_read(pages_get(&vm->pages, page), offset, dst, n);
}

/* ---- world access, out of the engine's loop ------------------------------------------ */

/* Storage, transient storage, events and logs, precompiles, decommit, static
 * memory and context writes: one function per family, called by the engine
 * with the tags and the frame's ergs written back (and vm->cur current).
 * Each applies the dst1 rule; false: the instruction failed (the
 * spontaneous panic runs next). */

static inline __attribute__((always_inline)) bool world_done(eravm_vm *vm, const vm_rec *R)
{
    set_reg(vm, R->dst1, u256_zero()); /* VM_SINK when there is nothing to clear */
    return true;
}

static bool world_ctx_set_u128(eravm_vm *vm, const vm_rec *R)
{
    u256 a = reg_val(vm, vm->cur, R->src0);
    a.w[2] = a.w[3] = 0;
    vm->context_pending = a;
    return world_done(vm, R);
}

static bool world_inc_tx(eravm_vm *vm, const vm_rec *R)
{
    vm->tx_number++;
    wd_map_clear(&vm->diff.transient);
    return world_done(vm, R);
}

static inline __attribute__((always_inline)) bool world_sload(eravm_vm *vm, const vm_rec *R)
{
    vm_frame *f = vm->cur;
    bool warm;
    u256 a = reg_val(vm, f, R->src0);
    u256 r = storage_read(vm, f->address, a, &warm);
    if (warm || is_free_slot(vm, f->address, a))
        f->ergs += WARM_READ_REFUND;
    set_reg(vm, R->dst0, r);
    return world_done(vm, R);
}

static bool world_sstore(eravm_vm *vm, const vm_rec *R)
{
    vm_frame *f = vm->cur;
    u256 a = reg_val(vm, f, R->src0), b = reg_val(vm, f, R->src1);
    f->ergs += storage_write(vm, f->address, a, b);
    return world_done(vm, R);
}

static inline __attribute__((always_inline)) bool world_tload(eravm_vm *vm, const vm_rec *R)
{
    vm_frame *f = vm->cur;
    u256 a = reg_val(vm, f, R->src0);
    wd_entry *e = wd_lookup(&vm->diff.transient, &f->address, &a, false);
    set_reg(vm, R->dst0, e && e->has_write ? e->value : u256_zero());
    return world_done(vm, R);
}

static inline __attribute__((always_inline)) bool world_tstore(eravm_vm *vm, const vm_rec *R)
{
    vm_frame *f = vm->cur;
    u256 a = reg_val(vm, f, R->src0), b = reg_val(vm, f, R->src1);
    near_snap_take(f, &vm->diff);
    wd_entry *e = wd_lookup(&vm->diff.transient, &f->address, &a, true);
    wd_map_set(&vm->diff.transient, e, b, 0, true);
    return world_done(vm, R);
}

/* event (only the event writer's are kept) and L2->L1 log */
static bool world_log(eravm_vm *vm, const vm_rec *R, bool l1)
{
    vm_frame *f = vm->cur;
    if (l1 || u256_eq(f->address, u256_from_u64(ERAVM_ADDR_EVENT_WRITER))) {
        eravm_log l = {f->address, reg_val(vm, f, R->src0), reg_val(vm, f, R->src1),
                       (eng_index_tab[R->idx].fl & OPF_VARIANT) != 0, vm->tx_number};
        near_snap_take(f, &vm->diff);
        wd_log_push(l1 ? &vm->diff.l2l1 : &vm->diff.events, &l);
    }
    return world_done(vm, R);
}

static bool world_precompile(eravm_vm *vm, const vm_rec *R)
{
    vm_frame *f = vm->cur;
    u256 b = reg_val(vm, f, R->src1);
    if (!use_gas(f, (uint32_t)b.w[0])) {
        set_reg(vm, R->dst0, u256_zero());
        return world_done(vm, R);
    }
    near_snap_take(f, &vm->diff);
    vm->diff.pubdata += (int32_t)(uint32_t)(b.w[0] >> 32);
    u256 a = reg_val(vm, f, R->src0);
    eravm_precompile_abi abi = {(uint32_t)a.w[0], (uint32_t)(a.w[0] >> 32), (uint32_t)a.w[1],
                                (uint32_t)(a.w[1] >> 32), (uint32_t)a.w[2],
                                (uint32_t)(a.w[2] >> 32), a.w[3]};
    if (!abi.read_page)
        abi.read_page = f->heap;
    if (!abi.write_page)
        abi.write_page = f->heap;
    u256 out[ERAVM_PRECOMPILE_MAX_OUT];
    int nout = -1;
    if (vm->world.call_precompile) /* the world may answer (replays) */
        nout = vm->world.call_precompile(vm->world.ctx, (uint16_t)f->address.w[0], &abi,
                                         precompile_read, vm, out);
    if (nout < 0)
        nout = eravm_precompile_run((uint16_t)f->address.w[0], &abi, precompile_read, vm, out);
    uint64_t off = (uint64_t)abi.output_offset * 32;
    for (int i = 0; i < nout && (uint32_t)i < abi.output_length; i++) {
        mem_write_word(vm, abi.write_page, (uint32_t)off, out[i]);
        off += 32;
    }
    set_reg(vm, R->dst0, u256_from_u64(1));
    return world_done(vm, R);
}

static bool world_decommit(eravm_vm *vm, const vm_rec *R)
{
    vm_frame *f = vm->cur;
    u256 a = reg_val(vm, f, R->src0);
    uint32_t extra = u256_low32(reg_val(vm, f, R->src1));
    uint8_t hb[32];
    u256_to_be(a, hb);
    if (!use_gas(f, extra) || (hb[0] != 1 && hb[0] != 2) || hb[1] > 1) {
        set_reg(vm, R->dst0, u256_zero());
        return world_done(vm, R);
    }
    wd_decommit *st = wd_decommit_find(&vm->diff, a);
    bool fresh = !(st && st->page);
    const eravm_program *p = world_program(vm, a);
    if (!fresh)
        f->ergs += extra;
    uint32_t page = materialize(vm, a, p, f->heap);
    fatptr fp = {0, page, 0, KERNEL_STIPEND};
    set_reg_ptr(vm, R->dst0, fp_word(fp));
    return world_done(vm, R);
}

/* ldm.st / stm.st: static memory (page 1), no growth cost; .inc reads write
 * A + 32 to rD1, tagged iff A was (vm2 PR #98). */
static bool world_static(eravm_vm *vm, const vm_rec *R, bool write)
{
    bool imm = eng_index_tab[R->idx].src_mode == SRC_IMM, ta = false;
    u256 a = imm ? u256_from_u64(R->imm0) : vm->regs[R->src0];
    if (!imm)
        ta = (vm->tags >> R->src0) & 1;
    if (above_last_address(a)) {
        set_reg(vm, R->dst1, u256_zero());
        return false;
    }
    u256 next = u256_add(a, u256_from_u64(32), NULL);
    if (!write) {
        set_reg(vm, R->dst0, mem_read_word(vm, 1, (uint32_t)a.w[0]));
        if (eng_index_tab[R->idx].fl & OPF_VARIANT) {
            if (ta)
                set_reg_ptr(vm, R->dst1, next);
            else
                set_reg(vm, R->dst1, next);
            return true;
        }
    } else {
        mem_write_word(vm, 1, (uint32_t)a.w[0], reg_val(vm, vm->cur, R->src1));
        if (eng_index_tab[R->idx].fl & OPF_VARIANT)
            set_reg(vm, R->dst0, next);
    }
    return world_done(vm, R);
}

static inline __attribute__((always_inline)) bool world_op(eravm_vm *vm, const vm_rec *R, int op)
{
    switch (op) {
    case EOP_CTX_SET_U128: return world_ctx_set_u128(vm, R);
    case EOP_CTX_INC_TX: return world_inc_tx(vm, R);
    case EOP_SLOAD: return world_sload(vm, R);
    case EOP_SSTORE: return world_sstore(vm, R);
    case EOP_TLOAD: return world_tload(vm, R);
    case EOP_TSTORE: return world_tstore(vm, R);
    case EOP_EVENT: return world_log(vm, R, false);
    case EOP_TO_L1: return world_log(vm, R, true);
    case EOP_PRECOMPILE: return world_precompile(vm, R);
    case EOP_DECOMMIT: return world_decommit(vm, R);
    case EOP_STATIC_READ: return world_static(vm, R, false);
    case EOP_STATIC_WRITE: return world_static(vm, R, true);
    default: return world_done(vm, R); /* aux_mutating0: nothing to do */
    }
}

static __attribute__((noinline)) U256_COLD_CC void frame_grow_near(vm_frame *f)
{
    f->capnear = f->capnear ? f->capnear * 2 : 16;
    f->near = xrealloc(f->near, f->capnear * sizeof *f->near);
}

/* ---- the loop ------------------------------------------------------------------------ */

_Static_assert(ERAVM_SLOTS == ERAVM_COUNTER_SLOTS, "counter slots");
_Static_assert((int)VOP_PANIC == (int)ERAVM_FAMILY_PANIC && (int)VOP_WRAP == (int)ERAVM_FAMILY_WRAP,
               "pseudo families");

#include "handlers.h"

#define VM_PROF(vm) (&(vm)->prof)

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("optimize-sibling-calls") /* the handlers' NEXT() */
#endif

#define ENGINE_TIMING 0
#define ENGINE_PREFIX fast_
#define ENGINE_COUNTING 0
#include "interp.h"
#undef ENGINE_PREFIX
#undef ENGINE_COUNTING

#define ENGINE_PREFIX count_
#define ENGINE_COUNTING 1
#include "interp.h"
#undef ENGINE_PREFIX
#undef ENGINE_COUNTING
#undef ENGINE_TIMING

/* the profiler's timing runs: the fast engine's handlers (fused records
 * too), each first checking whether the next block boundary is reached */
#define ENGINE_PREFIX time_
#define ENGINE_COUNTING 0
#define ENGINE_TIMING 1
#include "interp.h"
#undef ENGINE_PREFIX
#undef ENGINE_COUNTING
#undef ENGINE_TIMING

static int run(eravm_vm *vm, eravm_result *res)
{
    vm->fresh_run = false;
    if (vm->engine == ERAVM_ENGINE_COUNTING && vm->timing_run) {
        prof_timing_enter(vm);
        int rc = time_run(vm, res);
        prof_timing_leave(vm);
        return rc;
    }
    if (vm->engine == ERAVM_ENGINE_COUNTING) {
        prof_enter(VM_PROF(vm), vm);
        int rc = count_run(vm, res);
        prof_leave(VM_PROF(vm), vm);
        return rc;
    }
    return fast_run(vm, res);
}

/* ---- public API ------------------------------------------------------------------------ */

/* The simple engine (and any traced run) is the reference interpreter of
 * vm/ref.c; while it is selected every function below delegates to it. */
static void select_engine(eravm_vm *vm)
{
    vm->on_ref = vm->engine == ERAVM_ENGINE_SIMPLE || vm->trace;
    if (vm->on_ref && !vm->ref)
        vm->ref = ref_new(&vm->world, &vm->settings);
    if (vm->ref)
        ref_set_trace(vm->ref, vm->trace, vm->trace_ctx, vm);
}

eravm_vm *eravm_vm_new(const eravm_world *world, const eravm_settings *settings)
{
    eravm_optab_init();
    /* page-aligned: where malloc put the VM moved finish_eventful_frames by
     * 7.5% when the struct grew by 16 KB at its end (perf put the time in
     * the memset of a frame at every far call, which the VM's hot fields
     * can alias 4 KiB apart); at a page boundary its fields sit at the same
     * offsets in their pages whatever was allocated before */
    eravm_vm *vm = xaligned(4096, sizeof *vm);
    memset(vm, 0, sizeof *vm);
    if (world)
        vm->world = *world;
    if (settings)
        vm->settings = *settings;
    vm->capframes = 16;
    vm->frames = xmalloc(vm->capframes * sizeof *vm->frames);
    memset(vm->frames, 0, vm->capframes * sizeof *vm->frames);
    vm->empty_program = eravm_program_new(NULL, 0);
    vm->panic_program = program_panicking();
    wd_init(&vm->diff);
    return vm;
}

static void vm_reset(eravm_vm *vm)
{
    while (vm->depth > 0) {
        frame_release(vm, cur(vm));
        vm->depth--;
    }
    frame_release(vm, &vm->frames[0]);
    snapshot_free(vm);
    pages_release_all(&vm->pages);
    wd_free(&vm->diff);
    wd_init(&vm->diff);
    free(vm->returndata);
    vm->returndata = NULL;
    vm->returndata_len = 0;
}

void eravm_vm_free(eravm_vm *vm)
{
    if (!vm)
        return;
    vm_reset(vm);
    pages_destroy(&vm->pages);
    stack_destroy_pool(&vm->stack_pool);
    for (uint32_t d = 0; d < vm->capframes; d++) {
        free(vm->frames[d].near);
        free(vm->frames[d].keep);
    }
    free(vm->frames);
    eravm_program_free(vm->empty_program);
    eravm_program_free(vm->panic_program);
    prof_detach(vm);
    if (!vm->counters_shared)
        prof_free(vm->counters);
    ref_free(vm->ref);
    free(vm);
}

static eravm_status finish(eravm_vm *vm, int rc, eravm_result *res)
{
    eravm_status st = rc == RUN_DONE_OK       ? ERAVM_OK
                      : rc == RUN_DONE_REVERT ? ERAVM_REVERT
                      : rc == RUN_DONE_PANIC  ? ERAVM_PANIC
                                              : ERAVM_SUSPENDED;
    vm->running = st == ERAVM_SUSPENDED;
    res->status = st;
    res->returndata = vm->returndata;
    res->returndata_len = st == ERAVM_PANIC || st == ERAVM_SUSPENDED ? 0 : vm->returndata_len;
    res->ergs_left = vm->frames[0].ergs;
    res->instructions = vm->instructions;
    res->skipped = vm->skipped;
    return st;
}

void eravm_vm_start(eravm_vm *vm, const eravm_program *program, const eravm_call *call)
{
    select_engine(vm);
    if (vm->on_ref) {
        ref_start(vm->ref, program, call);
        return;
    }
    vm_reset(vm);
    memset(vm->regs, 0, sizeof vm->regs);
    vm->tags = 2;
    vm->flags = 0;
    vm->context_pending = u256_zero();
    vm->tx_number = 0;
    vm->next_base_page = FIRST_PAGE_GROUP_ID;
    vm->instructions = vm->skipped = 0;
    vm->timing_run = prof_run_start(vm->counters);
    vm->fresh_run = true;
    vm_frame *f = &vm->frames[0];
    frame_clear(f);
    f->prog = program;
    f->recs = program->recs;
    f->ndec = program->ndec;
    f->code = program->code;
    f->nwords = program->nwords;
    f->address = addr_mask(call->address);
    f->code_address = f->address;
    f->caller = addr_mask(call->caller);
    f->context = call->context_value;
    f->context.w[2] = f->context.w[3] = 0;
    f->is_kernel = is_kernel_addr(f->address);
    f->is_static = call->is_static;
    f->heap = 10;
    f->aux = 11;
    f->calldata_page = 7;
    f->heap_bound = f->aux_bound = call->heap_bound ? call->heap_bound
                                   : f->is_kernel  ? KERNEL_STIPEND
                                                   : USER_STIPEND;
    f->handler = call->exception_handler;
    f->ergs = call->ergs;
    f->stack = stack_get(&vm->stack_pool);
    f->snap = wd_snapshot_take(&vm->diff);
    f->heap_pg = pages_get_or_create(&vm->pages, 10);
    f->aux_pg = pages_get_or_create(&vm->pages, 11);
    vm_page *cd = pages_get_or_create(&vm->pages, 7);
    if (call->calldata_len)
        page_write(&vm->pages, cd, 0, call->calldata, call->calldata_len);
    fatptr p = {0, 7, 0, (uint32_t)call->calldata_len};
    vm->regs[1] = fp_word(p);
    vm->regs[2] = u256_from_u64((call->system ? 2u : 0u) | (call->constructor ? 1u : 0u));
    vm->running = true;
}

eravm_status eravm_vm_run(eravm_vm *vm, const eravm_program *program, const eravm_call *call,
                          eravm_result *res)
{
    eravm_vm_start(vm, program, call);
    memset(res, 0, sizeof *res);
    if (vm->on_ref)
        return ref_continue(vm->ref, res);
    return finish(vm, run(vm, res), res);
}

eravm_status eravm_vm_continue(eravm_vm *vm, eravm_result *res)
{
    if (vm->on_ref)
        return ref_continue(vm->ref, res);
    res->hook_value = 0;
    if (!vm->running) {
        res->status = ERAVM_PANIC;
        return ERAVM_PANIC;
    }
    return finish(vm, run(vm, res), res);
}

void eravm_vm_read_memory(eravm_vm *vm, uint32_t page, uint64_t offset, uint8_t *dst, size_t n)
{
    if (vm->on_ref) {
        ref_read_memory(vm->ref, page, offset, dst, n);
        return;
    }
    page_read(pages_get(&vm->pages, page), offset, dst, n);
}

void eravm_vm_write_memory(eravm_vm *vm, uint32_t page, uint64_t offset, const uint8_t *src,
                           size_t n)
{
    if (vm->on_ref) {
        ref_write_memory(vm->ref, page, offset, src, n);
        return;
    }
    journal_initial_heap(vm, page, offset, n);
    vm_page *p = pages_get_or_create(&vm->pages, page);
    if (p)
        page_write(&vm->pages, p, offset, src, n);
}

uint32_t eravm_vm_ergs(const eravm_vm *vm)
{
    if (vm->on_ref)
        return ref_ergs(vm->ref);
    return vm->frames[vm->depth].ergs;
}

void eravm_vm_set_ergs(eravm_vm *vm, uint32_t ergs)
{
    if (vm->on_ref) {
        ref_set_ergs(vm->ref, ergs);
        return;
    }
    vm->frames[vm->depth].ergs = ergs;
}

uint32_t eravm_vm_heap_page(const eravm_vm *vm)
{
    if (vm->on_ref)
        return ref_heap_page(vm->ref);
    return vm->frames[0].heap;
}

static int slot_cmp(const void *x, const void *y)
{
    const eravm_slot *a = x, *b = y;
    int c = u256_cmp(a->address, b->address);
    return c ? c : u256_cmp(a->key, b->key);
}

static eravm_slot *map_dump(const wd_map *m, size_t *n)
{
    eravm_slot *out = xmalloc(sizeof *out * (m->n ? m->n : 1));
    size_t k = 0;
    for (uint32_t i = 0; i < m->n; i++) {
        if (!m->e[i].has_write)
            continue;
        out[k].address = m->e[i].address;
        out[k].key = m->e[i].key;
        out[k].value = m->e[i].value;
        k++;
    }
    qsort(out, k, sizeof *out, slot_cmp);
    *n = k;
    return out;
}

eravm_slot *eravm_vm_storage_writes(const eravm_vm *vm, size_t *n)
{
    if (vm->on_ref)
        return ref_storage_writes(vm->ref, n);
    return map_dump(&vm->diff.storage, n);
}

eravm_slot *eravm_vm_transient(const eravm_vm *vm, size_t *n)
{
    if (vm->on_ref)
        return ref_transient(vm->ref, n);
    return map_dump(&vm->diff.transient, n);
}

const eravm_log *eravm_vm_events(const eravm_vm *vm, size_t *n)
{
    if (vm->on_ref)
        return ref_events(vm->ref, n);
    *n = vm->diff.events.n;
    return vm->diff.events.v;
}

const eravm_log *eravm_vm_l2l1_logs(const eravm_vm *vm, size_t *n)
{
    if (vm->on_ref)
        return ref_l2l1_logs(vm->ref, n);
    *n = vm->diff.l2l1.n;
    return vm->diff.l2l1.v;
}

bool eravm_vm_storage_written(eravm_vm *vm, u256 address, u256 key, u256 *value)
{
    if (vm->on_ref)
        return ref_storage_written(vm->ref, address, key, value);
    wd_entry *e = wd_lookup(&vm->diff.storage, &address, &key, false);
    if (!e || !e->has_write)
        return false;
    *value = e->value;
    return true;
}

int32_t eravm_vm_pubdata(const eravm_vm *vm)
{
    if (vm->on_ref)
        return ref_pubdata(vm->ref);
    return vm->diff.pubdata;
}

void eravm_vm_set_engine(eravm_vm *vm, int engine)
{
    vm->engine = engine;
    select_engine(vm);
    if (engine == ERAVM_ENGINE_COUNTING && !vm->counters)
        vm->counters = prof_new();
}

const eravm_counters *eravm_vm_counters(const eravm_vm *vm)
{
    return vm->counters;
}

void eravm_vm_reset_counters(eravm_vm *vm)
{
    if (vm->counters)
        prof_reset(vm->counters);
}

void eravm_vm_set_trace(eravm_vm *vm, eravm_trace_fn fn, void *ctx)
{
    vm->trace = fn;
    vm->trace_ctx = ctx;
    select_engine(vm);
}

u256 eravm_vm_register(const eravm_vm *vm, int r, bool *tagged)
{
    if (vm->on_ref)
        return ref_register(vm->ref, r, tagged);
    if (tagged)
        *tagged = (vm->tags >> (r & 15)) & 1;
    return vm->regs[r & 15];
}

unsigned eravm_vm_depth(const eravm_vm *vm)
{
    if (vm->on_ref)
        return ref_depth(vm->ref);
    return vm->depth;
}

u256 eravm_vm_frame_address(const eravm_vm *vm, unsigned depth, u256 *code_address)
{
    if (vm->on_ref)
        return ref_frame_address(vm->ref, depth, code_address);
    const vm_frame *f = &vm->frames[depth <= vm->depth ? depth : vm->depth];
    if (code_address)
        *code_address = f->code_address;
    return f->address;
}

unsigned eravm_vm_near_count(const eravm_vm *vm, unsigned depth)
{
    if (vm->on_ref)
        return ref_near_count(vm->ref, depth);
    return depth <= vm->depth ? vm->frames[depth].nnear : 0;
}

uint16_t eravm_vm_near_target(const eravm_vm *vm, unsigned depth, unsigned i)
{
    if (vm->on_ref)
        return ref_near_target(vm->ref, depth, i);
    if (depth > vm->depth || i >= vm->frames[depth].nnear)
        return 0;
    return vm->frames[depth].near[i].call->imm0;
}

unsigned eravm_vm_flags(const eravm_vm *vm)
{
    if (vm->on_ref)
        return ref_flags(vm->ref);
    return vm->flags;
}
