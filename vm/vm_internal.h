/* vm/vm_internal.h — the VM's state layout, shared by the interpreter
 * (vm.c), memory pages and stacks (mem.c) and the journaled world diff
 * (wdiff.c). Not part of the public interface. */
#ifndef ERAVM_VM_INTERNAL_H
#define ERAVM_VM_INTERNAL_H

#include <string.h>

#include "eravm.h"
#include "opcode.h"

/* Pseudo-instructions appended to every decoded program. */
enum { VOP_WRAP = EOP_COUNT, VOP_PANIC, VOP_COUNT };

/* Register 16 is a sink: records name it instead of r0 wherever r0 would be
 * written, so handlers store without testing for r0 (r0 reads stay zero). */
#define VM_SINK 16
#define VM_JUMP_SEEN 64 /* eravm_vm.jump_seen: entries (a power of two) */

/* A pre-decoded record (vm/predecode.c): what a handler needs, widened once
 * per program. Records stay one per instruction; a fused record only has a
 * different handler and reads the records after it. */
typedef struct {
    uint16_t h;      /* handler (vm/engine.gen.h): generic, specialised or fused */
    uint16_t idx;    /* 11-bit opcode index; ERAVM_SLOT_PANIC, ERAVM_SLOT_WRAP */
    uint8_t src0, src1;
    uint8_t dst0;    /* register-mode dst0 and dst1: r0 is VM_SINK */
    uint8_t dst1;    /* output (mul, div, .inc loads) or the register the dst1
                        rule clears (eravm-isa.md §5.5); VM_SINK: nothing */
    uint16_t imm0, imm1;
    /* What takes the record off its handler's fast path, as bits of the
     * engine's tags-and-flags word (vm/handlers.h): one test of both finds
     * all three. REC_TAGS: the registers an arithmetic body reads as values
     * (a pointer among them is erased in user mode); REC_DST1: the dst1 rule
     * clears a register (the word always has that bit); REC_STACK: a stack
     * operand (the word has it while the frame's stack holds a tagged word);
     * REC_PRED: the flag values for which the predicate fails (the word has
     * one of them). */
    uint32_t slow;
} vm_rec;
#define REC_TAGS 0xFFFFu
#define REC_DST1 (1u << 17)
#define REC_STACK (1u << 21)
#define REC_PRED 0xFF000000u
#define REC_PRED_SHIFT 24

/* Whether two records hold the same fields, all but the handler (the bytes
 * the decoder writes before it publishes the handler): where a keyed twin
 * may go (vm/predecode.c). */
static inline bool rec_same_fields(const vm_rec *a, const vm_rec *b)
{
    return memcmp((const uint8_t *)a + 2, (const uint8_t *)b + 2, sizeof *a - 2) == 0;
}

struct eravm_program {
    const uint8_t *code;
    size_t len;
    bool owns_code; /* a copy from the code pool, else the caller's (eravm_program_new_borrowed) */
    uint32_t nwords; /* whole 32-byte words of code (what code[] operands read) */
    vm_rec *recs;    /* ndec records + [ndec] invalid-or-wrap + [ndec+1] spontaneous panic;
                        a record of a block not decoded yet is zero (H_DECODE) */
    uint32_t ndec;
    unsigned passes; /* VM_PASS_* the blocks are decoded with */
    uint8_t *blocks; /* per block of PREDECODE_BLOCK records: PREDECODE_FRESH, _BUSY, _DONE
                        (atomic: programs are shared between threads) */
};

/* Builds the records of a program (predecode.c); `passes` selects the
 * optional rewrites (VM_PASS_*), for the ablation and the golden tests.
 * predecode_program decodes nothing but the two records after the code
 * (and everything when built with -DERAVM_EAGER_DECODE); the engine calls
 * predecode_block when it dispatches into a block not decoded yet. */
enum { VM_PASS_SPECIALISE = 1, VM_PASS_FUSE = 2, VM_PASS_KEYED = 4 };
/* 16 records: a transaction runs a small part of each system contract, so
 * smaller blocks decode less of what it never runs (deploy_simple: 4.19 M
 * host instructions at 32, 4.08 M at 16, 4.04 M at 8; time 1-2% better at
 * 16 than at 32, no better at 8) */
#define PREDECODE_BLOCK_BITS 4
#define PREDECODE_BLOCK (1u << PREDECODE_BLOCK_BITS)
enum { PREDECODE_FRESH, PREDECODE_BUSY, PREDECODE_DONE };
void predecode_program(eravm_program *p, unsigned passes);
void predecode_block(const eravm_program *p, uint32_t pc);
void predecode_all(const eravm_program *p);
unsigned predecode_default_passes(void);
vm_rec predecode_pseudo(int op);
/* the record of one code word as a decoded block holds it, its handler the
 * specialised one (the keyed profile, tools/fusion-profile --keyed) */
vm_rec predecode_record(uint64_t word);

/* ---- memory pages (mem.c) ---- */

#define PAGE_CHUNK_BITS 8
#define PAGE_CHUNK (1u << PAGE_CHUNK_BITS)       /* 256-byte chunks, allocated on write */
#define PAGE_MID_BITS 8                          /* 256 chunks per mid table: 64 KiB */

/* A mid table: 256 chunk pointers and which of them are set, so that a
 * page is released in time proportional to what it holds. */
typedef struct vm_mid {
    uint8_t *chunk[1u << PAGE_MID_BITS];
    uint64_t present[(1u << PAGE_MID_BITS) / 64];
} vm_mid;

typedef struct vm_page {
    vm_mid **top; /* top[addr >> 16]->chunk[(addr >> 8) & 255]; kept when recycled */
    uint32_t ntop;
    /* Read-only bytes under the chunks (a decommitted program's code, read
     * in place instead of copied): where no chunk exists, byte i reads
     * backing[i] below backing_len and zero above; a write copies the chunk
     * out first. The program outlives the VM's run (eravm.h). */
    const uint8_t *backing;
    uint32_t backing_len;
    /* Liveness of far-call pages: how many (frame, role) references live
     * frames hold (heap, aux heap, calldata, returndata kept), and whether a
     * decommit pinned it as code. A page dies when both end, in O(1), so a
     * long batch whose bootloader keeps thousands of returndata pages does
     * not scan them on every return. */
    uint32_t refs;
    bool pinned;
    struct vm_page *next_free;
} vm_page;

void page_read(const vm_page *p, uint64_t off, uint8_t *dst, size_t n);

/* The chunk holding byte `off`, or NULL when absent (reads from the
 * backing, or as zero). */
static inline uint8_t *page_chunk_at(const vm_page *p, uint32_t off)
{
    uint32_t t = off >> (PAGE_CHUNK_BITS + PAGE_MID_BITS);
    if (t >= p->ntop || !p->top[t])
        return NULL;
    return p->top[t]->chunk[(off >> PAGE_CHUNK_BITS) & ((1u << PAGE_MID_BITS) - 1)];
}

typedef struct {
    struct vm_page *slot[4]; /* base+0 code, (+1 stack: unused), +2 heap, +3 aux heap */
} vm_page_group;

#define FIRST_PAGE_GROUP_ID 2048u /* the first far call's base page */

/* A VM's pages, and what released pages leave behind for the next ones:
 * a frame's heap is created and released at every far call that uses it,
 * so chunks (linked through their first word), mid tables (zeroed) and page
 * headers are recycled within the VM instead of going back to malloc. */
typedef struct {
    vm_page *fixed[12]; /* 1 static memory, 7 calldata, 10 heap, 11 aux of the initial frame */
    vm_page_group *groups;
    uint32_t ngroups, capgroups;
    void *free_chunks;
    vm_mid *free_mids;
    vm_page *free_pages;
} vm_pages;

void page_write(vm_pages *ps, vm_page *p, uint64_t off, const uint8_t *src, size_t n);
vm_page *pages_get(vm_pages *ps, uint32_t id);        /* NULL if never allocated */
vm_page *pages_get_or_create(vm_pages *ps, uint32_t id); /* NULL for ids no page can have */
void pages_free(vm_pages *ps, uint32_t id);
/* Releases every page (what they held stays in the pools). */
void pages_release_all(vm_pages *ps);
/* ... and frees the pools too. */
void pages_destroy(vm_pages *ps);
/* Frees every page of the far-call groups from page id `first_id` on (a
 * group boundary): what a rolled-back transaction allocated. */
void pages_free_from(vm_pages *ps, uint32_t first_id);

/* Per-far-frame stack: 2^16 tagged words at fixed places in one mapping
 * that the OS backs with zeroed pages as they are first touched (mem.c), so
 * that an operand's address is the base plus the slot: a table of chunk
 * pointers cost every stack operand a dependent load and its arithmetic
 * (five host instructions). A write marks its chunk, which is what a
 * recycled stack zeroes and a snapshot copies. */
#define STACK_SLOTS 65536
#define STACK_CHUNK 256
#define STACK_NCHUNKS (STACK_SLOTS / STACK_CHUNK)
/* one chunk's words and tags, copied out (snapshot.c) */
typedef struct {
    u256 slot[STACK_CHUNK];
    uint8_t tag[STACK_CHUNK];
} vm_stack_chunk;

typedef struct vm_stack {
    u256 slot[STACK_SLOTS]; /* first: vm->stk is the base of the words */
    /* a byte per slot, not a bit: a read tests it with one load, a write
     * compares and stores it without the bit arithmetic */
    uint8_t tag[STACK_SLOTS];
    uint8_t written[STACK_NCHUNKS]; /* the chunk was written since the stack was handed out */
    uint16_t used[STACK_NCHUNKS];   /* those chunks' indices, for cheap recycling */
    uint32_t nused;
    /* a tagged word was written since the stack was handed out: until then
     * no tag byte needs reading or clearing (the engine's FT_STACK_TAGS) */
    bool has_tags;
    struct vm_stack *next_free;
} vm_stack;

vm_stack *stack_get(vm_stack **pool);
void stack_recycle(vm_stack **pool, vm_stack *s);
void stack_destroy_pool(vm_stack **pool);
/* slot's chunk is written from now on (counted against the memory cap) */
U256_COLD_CC void stack_mark_written(vm_stack *s, uint16_t slot);
/* zeroes every written chunk: the stack is as handed out */
void stack_clear(vm_stack *s);
/* chunk c's words and tags copied out, and back in (marked written) */
void stack_chunk_save(const vm_stack *s, uint32_t c, vm_stack_chunk *out);
void stack_chunk_restore(vm_stack *s, uint32_t c, const vm_stack_chunk *in);

/* TAGS: the stack may hold a tagged word (else the tag bytes are all 0,
 * and a write need not look at them) */
static inline __attribute__((always_inline)) void stack_write(vm_stack *s, uint16_t slot, u256 v,
                                                             bool tag, bool tags)
{
    if (__builtin_expect(!s->written[slot / STACK_CHUNK], 0)) {
        if (u256_is_zero(v) && !tag)
            return; /* an unwritten chunk reads as zero already */
        stack_mark_written(s, slot);
    }
    s->slot[slot] = v;
    if (tag)
        s->has_tags = true;
    /* stored only when it changes (mostly it does not): an unconditional
     * store chains every later read of the tag behind it */
    if ((tag || tags) && __builtin_expect(s->tag[slot] != tag, 0))
        s->tag[slot] = tag;
}

/* ---- world diff (wdiff.c) ---- */

enum { SLOT_READ = 1, SLOT_WRITTEN = 2 };

typedef struct {
    u256 address, key;
    u256 value;        /* live write (storage) / value (transient) */
    u256 initial;      /* storage: value at the start of the run */
    uint32_t paid;     /* pubdata already paid for this slot */
    uint8_t has_write; /* storage: slot is in the write set; transient: present */
    uint8_t has_initial, initial_is_write_initial;
    uint8_t flags;     /* SLOT_*; rolled back only by external snapshots */
} wd_entry;

typedef struct {
    uint32_t entry;
    uint8_t prev_has_write;
    uint32_t prev_paid;
    u256 prev_value;
} wd_undo;

typedef struct {
    wd_entry *e;
    uint32_t n, cap;
    uint32_t *index; /* open addressing: entry + 1, 0 = empty */
    uint32_t icap;
    wd_undo *undo;
    size_t nundo, capundo;
} wd_map;

typedef struct {
    eravm_log *v;
    size_t n, cap;
} wd_logs;

typedef struct {
    u256 key;
    uint32_t page; /* 0 = unsuccessful */
} wd_decommit;

typedef struct {
    size_t storage, transient, events, l2l1;
    int32_t pubdata;
} wd_snapshot;

typedef struct {
    wd_map storage, transient;
    wd_logs events, l2l1;
    int32_t pubdata;
    wd_decommit *dec;
    size_t ndec, capdec;
    /* open addressing over dec by key (an entry's index + 1; 0 empty); a
     * slot left by a rollback (ndec shrank) points past ndec or at another
     * key and is skipped, then reused */
    uint32_t *dec_index;
    size_t dec_slots, dec_used; /* a power of two, or 0; slots not empty */
    /* external (transaction) snapshot support: undo of flags and decommits */
    struct { uint32_t entry; uint8_t prev; } *flag_undo;
    size_t nflag_undo, capflag_undo;
    bool recording_external;
} wdiff;

void wd_init(wdiff *d);
void wd_free(wdiff *d);
wd_entry *wd_lookup(wd_map *m, const u256 *addr, const u256 *key, bool create);
void wd_map_set(wd_map *m, wd_entry *e, u256 value, uint32_t paid, bool has);
void wd_map_rollback(wd_map *m, size_t to);
void wd_map_clear(wd_map *m);
bool wd_add_flag(wdiff *d, wd_entry *e, uint8_t flag); /* true if newly added */
/* inline: a struct returned from another file comes back through memory,
 * written 8 bytes at a time and read 16 */
static inline wd_snapshot wd_snapshot_take(const wdiff *d)
{
    wd_snapshot s = {d->storage.nundo, d->transient.nundo, d->events.n, d->l2l1.n, d->pubdata};
    return s;
}
U256_COLD_CC void wd_rollback(wdiff *d, const wd_snapshot *s);
void wd_log_push(wd_logs *l, const eravm_log *x);
wd_decommit *wd_decommit_find(wdiff *d, u256 key);
void wd_decommit_set(wdiff *d, u256 key, uint32_t page);

/* ---- external snapshots (snapshot.c) ---- */

/* The old contents of a 32-byte window of the bootloader's heap (aux = 1:
 * aux heap), written back in reverse order on rollback. */
typedef struct {
    uint32_t off;
    uint8_t aux;
    uint8_t old[32];
} vm_heap_undo;

/* Before a store of the initial frame to its heap or aux heap while an
 * external snapshot is open: remember what is there. */
U256_COLD_CC void snapshot_journal_heap(eravm_vm *vm, bool aux, uint32_t off);
void snapshot_free(eravm_vm *vm);
/* Drops a frame's reference to a page (vm.c); frees it when none is left. */
void page_unref(eravm_vm *vm, uint32_t page);

/* ---- frames ---- */

typedef struct {
    /* the call's record: the frame's program outlives its near calls. The
     * return goes to the record after it, which spares call and return the
     * arithmetic of a pc (after a call at pc 65535 that is the WRAP record,
     * which goes on at pc 0 as the pc's 16 bits do, charging and counting
     * nothing); its immediates are the target and the exception handler */
    const vm_rec *call;
    uint16_t sp;
    uint32_t saved_ergs;
    wd_snapshot snap;
} vm_near;
_Static_assert(sizeof(vm_near) == 56, "a near frame's memory per erg (README, Memory)");

typedef struct {
    const eravm_program *prog;
    const vm_rec *recs;
    uint32_t ndec;  /* prog->ndec, for jumps */
    const uint8_t *code; /* prog->code: code[] operands read its words */
    uint32_t nwords;
    uint32_t pc; /* index into recs */
    uint32_t ergs;
    uint16_t sp;
    uint16_t handler; /* pc in the caller to resume at on revert/panic */
    bool is_kernel, is_static;
    u256 address, code_address, caller;
    u256 context; /* 128 bits */
    uint32_t heap, aux, calldata_page;
    vm_page *heap_pg, *aux_pg; /* the pages behind heap and aux once used (NULL before) */
    uint32_t heap_bound, aux_bound;
    vm_stack *stack;
    vm_near *near;
    uint32_t nnear, capnear;
    /* near frames [0, nsnapped) hold their snapshot of the world diff; those
     * after took none: nothing was journaled since the first of them was
     * called (near_snap_take gives them one before anything is), so a revert
     * to one of them has nothing to undo. A near call then copies no
     * snapshot, and most near frames never need one. */
    uint32_t nsnapped;
    uint32_t *keep; /* pages kept alive for this frame (returndata of callees) */
    uint32_t nkeep, capkeep;
    wd_snapshot snap;
} vm_frame;

/* Before the world diff grows (a storage, transient or pubdata write, a
 * log) or a far call leaves frame f: its near frames without a snapshot
 * take the diff as it is now, which is what it was when they were called. */
static inline void near_snap_take(vm_frame *f, const wdiff *d)
{
    if (__builtin_expect(f->nsnapped < f->nnear, 0)) {
        wd_snapshot s = wd_snapshot_take(d);
        for (uint32_t k = f->nsnapped; k < f->nnear; k++)
            f->near[k].snap = s;
        f->nsnapped = f->nnear;
    }
}

/* What the counting engine keeps of the profiler between dispatches
 * (vm/prof.h owns it; here so that it sits in the VM, one load away). */
typedef struct {
    uint16_t *bp;   /* next record; its pc goes to bp[PROF_PCS] */
    uint16_t *bend; /* where the profiler must look next */
    /* what the next dispatch should see: (depth << 33 | the frame's ergs),
     * i.e. the last key minus look[] of its slot; that has bit 63 set (no
     * key can match) after the instructions the profiler must look after */
    uint64_t expect;
    const uint64_t *look; /* per slot: base cost, plus PROF_LOOK if watched */
    uint64_t *count;      /* per slot: executions (vm->prof_count_tab) */
} prof_state;

struct eravm_vm {
    u256 regs[17]; /* r0..r15 and the sink VM_SINK */
    u256 eregs[17]; /* the engine's: regs[r] as a user-mode read of it as an
                       integer sees it (erased) while its tag is set */
    uint16_t tags;
    uint8_t flags; /* 1 LT, 2 EQ, 4 GT */
    vm_frame *frames; /* frames[0] is the initial frame; cur = &frames[depth] */
    uint32_t depth, capframes;
    u256 context_pending;
    uint16_t tx_number;
    uint32_t next_base_page;
    vm_pages pages;
    vm_stack *stack_pool;
    wdiff diff;
    eravm_world world;
    eravm_settings settings;
    /* the engine's: the current frame and its stack, the hook address while the initial
     * frame runs with hooks on (else UINT32_MAX, which no heap offset is),
     * where a hook's value goes, the counting engine's profiler state */
    vm_frame *cur;
    vm_stack *stk;
    u256 scratch; /* an erased copy of a tagged stack operand */
    bool watch_heap; /* the initial frame runs with hooks on or a snapshot open */
    uint32_t hook_at;
    eravm_result *hook_res;
    prof_state prof;  /* the counting engine's (vm/prof.h) */
    uint64_t prof_at; /* the timing engine's: instruction count of the next block boundary */
    eravm_program *empty_program; /* unknown code: one invalid instruction */
    eravm_program *panic_program; /* what a failed far call runs */
    uint64_t instructions, skipped;
    uint8_t *returndata;
    size_t returndata_len;
    bool running;
    int engine; /* ERAVM_ENGINE_* */
    eravm_counters *counters;
    bool timing_run; /* counting engine: this run is a profiler timing run (time_run) */
    bool counters_shared; /* counters attached by the embedder (eravm_vm_attach_counters): not ours */
    bool fresh_run;       /* started (eravm_vm_start), not run yet */
    eravm_trace_fn trace;
    void *trace_ctx;
    /* the simple engine: an independent interpreter (vm/ref.h) that every
     * public function delegates to while it is selected */
    struct ref_vm *ref;
    bool on_ref;
    /* external (transaction) snapshot, vm/snapshot.c */
    bool has_ext;
    struct vm_ext_snapshot *ext;
    /* the counting engine's copy of the profiler's look table (prof.look
     * points here; prof_enter_state copies it when the table it comes from
     * changes, which holds the same for every counters object): at a fixed
     * offset from vm, a constant index reads it with one instruction
     * instead of two */
    const uint64_t *prof_look_src;
    uint64_t prof_look_tab[ERAVM_SLOTS];
    /* the counting engine's executions per slot (prof.count points here),
     * at a fixed offset for the same reason: a specialised handler counts
     * with one instruction, and no flush of the buffer has to. They belong
     * to vm->counters while prof_live (its C->live is this VM), which take
     * them in when another VM runs with them, when they are reset or freed,
     * and when this VM is freed or given other counters (vm/prof.c) */
    bool prof_live;
    uint64_t prof_count_tab[ERAVM_SLOTS];
    /* where each jump whose target is data went last, by its record's
     * address (vm/handlers.h eng_jump_to; a stale entry is only compared) */
    const vm_rec *jump_seen[VM_JUMP_SEEN];
};

#endif
