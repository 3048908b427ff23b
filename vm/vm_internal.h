/* vm/vm_internal.h — the VM's state layout, shared by the interpreter
 * (vm.c), memory pages and stacks (mem.c) and the journaled world diff
 * (wdiff.c). Not part of the public interface. */
#ifndef ERAVM_VM_INTERNAL_H
#define ERAVM_VM_INTERNAL_H

#include "eravm.h"
#include "opcode.h"

/* The dst1 rule (eravm-isa.md §5.5), decided once at decode: nothing (dst1
 * is r0, or the op always writes it), always clear it, or clear it unless
 * the op wrote it (loads with .inc, which may fail before writing). */
enum { DST1_NONE, DST1_CLEAR, DST1_UNLESS_WRITTEN };

/* Pseudo-instructions appended to every decoded program. */
enum { VOP_WRAP = EOP_COUNT, VOP_PANIC, VOP_COUNT };

/* A pre-decoded instruction: everything the handler needs, widened once. */
typedef struct {
    uint8_t op, src_mode, dst_mode, flags;
    uint8_t cond, mode_req; /* mode_req: bit 0 kernel only, bit 1 not in static */
    uint8_t dst1_rule;      /* DST1_*: what the dst1 rule asks after execution */
    uint8_t src0, src1, dst0, dst1;
    uint16_t imm0, imm1;
    uint16_t idx; /* the 11-bit opcode index; 2048 spontaneous panic, 2049 wrap (counters) */
    uint32_t ergs;
} vm_insn;

struct eravm_program {
    uint8_t *code;
    size_t len;
    u256 *words;     /* the code page */
    uint32_t nwords;
    vm_insn *insns;  /* ndec decoded + [ndec] invalid-or-wrap + [ndec+1] spontaneous panic */
    uint32_t ndec;
};

/* ---- memory pages (mem.c) ---- */

#define PAGE_CHUNK_BITS 8
#define PAGE_CHUNK (1u << PAGE_CHUNK_BITS)       /* 256-byte chunks, allocated on write */
#define PAGE_MID_BITS 8                          /* 256 chunks per mid table: 64 KiB */

typedef struct {
    uint8_t ***top; /* top[addr >> 16][(addr >> 8) & 255] -> chunk */
    uint32_t ntop;
    /* Liveness of far-call pages: how many (frame, role) references live
     * frames hold (heap, aux heap, calldata, returndata kept), and whether a
     * decommit pinned it as code. A page dies when both end, in O(1), so a
     * long batch whose bootloader keeps thousands of returndata pages does
     * not scan them on every return. */
    uint32_t refs;
    bool pinned;
} vm_page;

void page_read(const vm_page *p, uint64_t off, uint8_t *dst, size_t n);
void page_write(vm_page *p, uint64_t off, const uint8_t *src, size_t n);
void page_release(vm_page *p);

typedef struct {
    vm_page *slot[4]; /* base+0 code, (+1 stack: unused), +2 heap, +3 aux heap */
} vm_page_group;

#define FIRST_PAGE_GROUP_ID 2048u /* the first far call's base page */

typedef struct {
    vm_page *fixed[12]; /* 1 static memory, 7 calldata, 10 heap, 11 aux of the initial frame */
    vm_page_group *groups;
    uint32_t ngroups, capgroups;
} vm_pages;

vm_page *pages_get(vm_pages *ps, uint32_t id);        /* NULL if never allocated */
vm_page *pages_get_or_create(vm_pages *ps, uint32_t id); /* NULL for ids no page can have */
void pages_free(vm_pages *ps, uint32_t id);
void pages_release_all(vm_pages *ps);
/* Frees every page of the far-call groups from page id `first_id` on (a
 * group boundary): what a rolled-back transaction allocated. */
void pages_free_from(vm_pages *ps, uint32_t first_id);

/* Per-far-frame stack: 2^16 tagged words in lazily allocated chunks. */
#define STACK_CHUNK 256
typedef struct {
    u256 slot[STACK_CHUNK];
    uint64_t tags[STACK_CHUNK / 64];
} vm_stack_chunk;

typedef struct vm_stack {
    vm_stack_chunk *chunk[65536 / STACK_CHUNK];
    uint16_t used[65536 / STACK_CHUNK]; /* indices of allocated chunks, for cheap recycling */
    uint32_t nused;
    struct vm_stack *next_free;
} vm_stack;

vm_stack *stack_get(vm_stack **pool);
void stack_recycle(vm_stack **pool, vm_stack *s);
void stack_destroy_pool(vm_stack **pool);
vm_stack_chunk *stack_chunk_for_write(vm_stack *s, uint16_t slot);

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
wd_snapshot wd_snapshot_take(const wdiff *d);
void wd_rollback(wdiff *d, const wd_snapshot *s);
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
void snapshot_journal_heap(eravm_vm *vm, bool aux, uint32_t off);
void snapshot_free(eravm_vm *vm);
/* Drops a frame's reference to a page (vm.c); frees it when none is left. */
void page_unref(eravm_vm *vm, uint32_t page);

/* ---- frames ---- */

typedef struct {
    uint16_t handler, sp, ret_pc, target;
    uint32_t saved_ergs;
    wd_snapshot snap;
} vm_near;

typedef struct {
    const eravm_program *prog;
    const vm_insn *insns;
    const u256 *words;
    uint32_t nwords;
    uint32_t pc; /* index into insns */
    uint32_t ergs;
    uint16_t sp;
    uint16_t handler; /* pc in the caller to resume at on revert/panic */
    bool is_kernel, is_static;
    u256 address, code_address, caller;
    u256 context; /* 128 bits */
    uint32_t heap, aux, calldata_page;
    vm_page *heap_pg, *aux_pg; /* the pages behind heap and aux, live as long as the frame */
    uint32_t heap_bound, aux_bound;
    vm_stack *stack;
    vm_near *near;
    uint32_t nnear, capnear;
    uint32_t *keep; /* pages kept alive for this frame (returndata of callees) */
    uint32_t nkeep, capkeep;
    wd_snapshot snap;
} vm_frame;

struct eravm_vm {
    u256 regs[16];
    uint16_t tags;
    uint8_t flags; /* 1 LT, 2 EQ, 4 GT */
    bool dst1_written;
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
    eravm_program *empty_program; /* unknown code: one invalid instruction */
    eravm_program *panic_program; /* what a failed far call runs */
    uint64_t instructions, skipped;
    uint8_t *returndata;
    size_t returndata_len;
    bool running;
    int engine; /* ERAVM_ENGINE_* */
    eravm_counters *counters;
    eravm_trace_fn trace;
    void *trace_ctx;
    /* the simple engine: an independent interpreter (vm/ref.h) that every
     * public function delegates to while it is selected */
    struct ref_vm *ref;
    bool on_ref;
    /* external (transaction) snapshot, vm/snapshot.c */
    bool has_ext;
    struct vm_ext_snapshot *ext;
};

#endif
