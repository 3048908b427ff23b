/* vm/ref_internal.h — the reference interpreter's state: memory pages,
 * per-frame stacks, the journaled world diff, far and near frames. Shared by
 * ref.c (decode and instruction semantics) and ref_state.c (the data
 * structures). Section numbers cite ../shared/spec/eravm-model.md ("model")
 * and ../shared/spec/eravm-isa.md ("isa"). Plain structures on purpose:
 * this engine is the one that is easy to check, not the one that is fast. */
#ifndef ERAVM_REF_INTERNAL_H
#define ERAVM_REF_INTERNAL_H

#include "ref.h"

/* ---- memory pages (model §1.6) ------------------------------------------
 * A page is 2^32 bytes of zeros until written. Written bytes live in 1 KiB
 * chunks, found through a table per 64 KiB region; reads of anything never
 * written give zeros. Pages are named by the ids EraVM makes observable
 * through fat pointers. */

#define REF_CHUNK 1024u
#define REF_REGION 65536u
#define REF_CHUNKS_PER_REGION (REF_REGION / REF_CHUNK)

typedef struct {
    uint8_t *chunk[REF_CHUNKS_PER_REGION];
} ref_region;

typedef struct {
    uint32_t id;
    ref_region **region; /* region[offset / REF_REGION]; grown on demand */
    uint32_t nregion;
    bool pinned; /* holds decommitted code (isa §6.13): never released */
} ref_page;

typedef struct {
    ref_page **slot; /* open addressing by id; released pages stay, empty */
    uint32_t cap, n;
} ref_pages;

ref_page *ref_page_find(const ref_pages *ps, uint32_t id);
ref_page *ref_page_get(ref_pages *ps, uint32_t id); /* creates it */
void ref_page_read(const ref_page *p, uint64_t offset, uint8_t *dst, size_t n); /* p may be NULL */
void ref_page_write(ref_page *p, uint64_t offset, const uint8_t *src, size_t n);
void ref_page_release(ref_page *p); /* drops the contents: reads give zeros again */
void ref_pages_free(ref_pages *ps);

/* ---- per-far-frame stack (model §1.5): 2^16 tagged words ---------------- */

#define REF_STACK_CHUNK 256u

typedef struct {
    u256 value[REF_STACK_CHUNK];
    bool tag[REF_STACK_CHUNK];
} ref_stack_chunk;

typedef struct {
    ref_stack_chunk *chunk[65536 / REF_STACK_CHUNK]; /* NULL: all zero, untagged */
    unsigned nchunks; /* how many are allocated: clearing an unused stack is free */
} ref_stack;

u256 ref_stack_read(const ref_stack *s, uint16_t slot, bool *tag);
void ref_stack_write(ref_stack *s, uint16_t slot, u256 value, bool tag);
void ref_stack_clear(ref_stack *s);

/* ---- the world diff (model §3.4, §4.1, §4.2) ------------------------------ */

/* One (address, key) slot of storage or of transient storage. */
typedef struct {
    u256 address, key;
    bool has_initial;              /* storage: initial value fetched from the world */
    u256 initial;                  /* storage: value at the start of the run */
    bool initial_is_write_initial; /* storage: never written on chain */
    bool present;                  /* a live write (storage) / a value (transient) */
    u256 value;
    uint32_t paid;   /* storage: pubdata already paid for this slot */
    bool warm_read;  /* warm flags: undone only by external snapshots */
    bool warm_written;
} ref_slot;

/* Undo record of a live write: what the slot held before. */
typedef struct {
    uint32_t slot;
    bool present;
    u256 value;
    uint32_t paid;
} ref_undo;

typedef struct {
    ref_slot *v;
    uint32_t n, cap;
    uint32_t *index; /* open addressing: slot number + 1, 0 = free */
    uint32_t icap;
    ref_undo *undo;
    size_t nundo, capundo;
} ref_slots;

ref_slot *ref_slot_find(ref_slots *m, u256 address, u256 key, bool create);
void ref_slot_set(ref_slots *m, ref_slot *s, bool present, u256 value, uint32_t paid);
void ref_slots_rollback(ref_slots *m, size_t nundo);
void ref_slots_free(ref_slots *m);

typedef struct {
    eravm_log *v;
    size_t n, cap;
} ref_logs;

void ref_log_push(ref_logs *l, eravm_log x);

/* Far-call and decommit bookkeeping (model §2.2, §4.4): a hash whose code was
 * decommitted (free to call again, code page `page`) or that a far call could
 * not pay for (remembered, not free). */
typedef struct {
    u256 hash;
    bool succeeded;
    uint32_t page;
} ref_decommit;

/* What a frame or near call restores on revert/panic (model §3.4). */
typedef struct {
    size_t storage, transient, events, l2l1;
    int32_t pubdata;
} ref_snap;

/* Undo records for an external (transaction) rollback of warm flags and
 * decommits, which frames never roll back. */
typedef struct {
    uint32_t slot;
    bool was_read, was_written;
} ref_flag_undo;

typedef struct {
    uint32_t index; /* into ref_wd.dec */
    bool existed, succeeded;
    uint32_t page;
} ref_dec_undo;

typedef struct {
    ref_slots storage, transient;
    ref_logs events, l2l1;
    int32_t pubdata;
    ref_decommit *dec;
    size_t ndec, capdec;
    ref_flag_undo *flag_undo;
    size_t nflag_undo, capflag_undo;
    ref_dec_undo *dec_undo;
    size_t ndec_undo, capdec_undo;
} ref_wd;

ref_snap ref_wd_snap(const ref_wd *w);
void ref_wd_rollback(ref_wd *w, const ref_snap *s);
void ref_wd_clear_transient(ref_wd *w);
/* Sets a warm flag, journaled; true if it was not set before. */
bool ref_wd_warm(ref_wd *w, ref_slot *s, bool written);
ref_decommit *ref_wd_decommit(ref_wd *w, u256 hash);
void ref_wd_set_decommit(ref_wd *w, u256 hash, bool succeeded, uint32_t page);
void ref_wd_free(ref_wd *w);

/* ---- frames (model §1.4) ------------------------------------------------------ */

typedef struct {
    uint16_t handler;   /* pc to resume at on revert/panic */
    uint16_t sp;        /* sp at the call, restored on return */
    uint16_t return_pc; /* the instruction after near_call */
    uint16_t target;    /* the callee's pc, for tracers */
    uint32_t ergs;      /* what the caller kept */
    ref_snap snap;
} ref_near;

typedef struct {
    /* the program: instructions and the code page are read from its bytes */
    const uint8_t *code;
    uint32_t ninsn;  /* instructions, at most 2^16 */
    uint32_t nwords; /* code-page words */
    uint16_t pc;
    bool panic_pending; /* the next dispatch is the implicit ret.panic (isa §5.1 step 6) */
    bool ended;         /* the run returned from here: what would come next is the invalid opcode */
    uint16_t sp;
    uint32_t ergs;
    u256 address, code_address, caller;
    u256 context; /* the u128 msg.value this frame was entered with */
    bool is_kernel, is_static;
    uint32_t heap, aux, calldata_page;
    uint32_t heap_bound, aux_bound; /* bytes already paid for */
    uint16_t handler; /* pc in the caller to resume at on revert/panic */
    ref_snap snap;    /* the world before this frame */
    ref_stack stack;
    ref_near *near;
    uint32_t nnear, capnear;
    /* Pages this frame owns and releases when it dies: its heap and aux
     * heap, plus pages its callees returned pointers to (ownership passes
     * to the caller with the returned pointer, so a live pointer never names
     * a released page). */
    uint32_t *owned;
    uint32_t nowned, capowned;
} ref_frame;

/* ---- external (transaction) snapshots (model §3.4) ------------------------------
 * Besides the world diff, a snapshot keeps the initial frame's state and
 * journals every later write to its heap and aux heap, so that a rollback
 * puts the bootloader back exactly where it was. */

typedef struct {
    uint32_t page; /* the initial frame's heap or aux heap */
    uint64_t offset;
    size_t length;
    uint8_t *old; /* what the bytes held before the write */
} ref_heap_undo;

typedef struct {
    ref_snap wd;
    size_t flag_undo, dec_undo;
    u256 reg[16];
    bool tag[16];
    bool lt, eq, gt;
    uint16_t tx_number;
    u256 context_pending;
    uint32_t next_base_page;
    ref_frame frame;  /* the initial frame's fields; its arrays are copied below */
    ref_near *near;   /* frame.nnear near calls */
    ref_stack stack;  /* a copy of the stack's chunks */
    ref_heap_undo *undo;
    size_t nundo, capundo;
} ref_ext;

struct ref_vm {
    /* registers and flags (isa §1) */
    u256 reg[16];
    bool tag[16];
    bool lt, eq, gt;
    bool dst1_written; /* per instruction: the dst1 rule (isa §5.5) */
    /* call stack: frame[0] is the initial frame */
    ref_frame **frame;
    uint32_t depth, capframe;
    /* global state (model §1.10) */
    u256 context_pending;
    uint16_t tx_number;
    uint32_t next_base_page;
    ref_pages pages;
    ref_wd wd;
    /* embedder */
    eravm_world world;
    eravm_settings settings;
    eravm_trace_fn trace;
    void *trace_ctx;
    const eravm_vm *outer;
    /* run */
    bool running;
    uint64_t instructions, skipped;
    uint8_t *returndata;
    size_t returndata_len;
    ref_ext *ext; /* the open external snapshot, or NULL */
};

#endif
