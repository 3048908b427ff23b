/* vm/eravm.h — the public interface of liberavm: programs (bytecode decoded
 * once), the world an embedder supplies (storage, code by hash), and a VM
 * that runs far-call frames bit-exactly as the reference fast VM (vm2) does.
 *
 * Doors kept open for what comes next: the bootloader's VM hooks (a heap
 * write to `hook_address` suspends the run; eravm_vm_continue resumes),
 * transaction-level snapshots of the world diff, pubdata accounting, and
 * programs that the embedder decodes once per code hash and caches. */
#ifndef ERAVM_H
#define ERAVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "u256.h"

struct eravm_precompile_abi;

/* ---- programs --------------------------------------------------------- */

typedef struct eravm_program eravm_program;

/* Decodes a bytecode (any length; trailing bytes that do not fill an
 * instruction are ignored) into a program. The bytes are copied. */
eravm_program *eravm_program_new(const uint8_t *code, size_t len);
/* The same without the copy: the caller keeps `code` unchanged until the
 * program is freed (a host that holds its bytecodes by hash, as the
 * bootloader tier does, saves copying every contract it decommits). */
eravm_program *eravm_program_new_borrowed(const uint8_t *code, size_t len);
void eravm_program_free(eravm_program *p);
size_t eravm_program_len(const eravm_program *p); /* bytes */
const uint8_t *eravm_program_code(const eravm_program *p);

/* ---- the world ------------------------------------------------------------ */

/* Addresses are 160-bit values held in a u256 (high 96 bits zero). */
typedef struct {
    void *ctx;
    /* Storage at the start of the run; *is_write_initial = the slot has never
     * been written on chain (used only by cost_of_writing_storage). */
    u256 (*read_storage)(void *ctx, u256 address, u256 key, bool *is_write_initial);
    /* Pubdata bytes to publish a slot whose batch-initial value is `initial`
     * if it now holds `value`. NULL = 0. */
    uint32_t (*cost_of_writing_storage)(void *ctx, u256 initial, bool is_write_initial, u256 value);
    /* Free slots get warm refunds always (zksync-era: SystemContext). NULL = none. */
    bool (*is_free_storage_slot)(void *ctx, u256 address, u256 key);
    /* The program for a code key (versioned hash with byte 1 cleared), or NULL
     * for unknown code, which runs as an empty program (an invalid opcode).
     * It must stay valid until the VM is freed or starts its next run: code
     * pages read its code in place. */
    const eravm_program *(*decommit)(void *ctx, u256 code_key);
    /* Answers precompile_call instead of the VM, as zksync-era does to skip
     * signature checks (it returns a known ecrecover result). `read` reads
     * the caller's memory; returns the number of output words, or -1 to let
     * the VM run the precompile itself. NULL = the VM always runs it. */
    int (*call_precompile)(void *ctx, uint16_t address_low, const struct eravm_precompile_abi *abi,
                           void (*read)(void *rctx, uint32_t page, uint64_t offset, uint8_t *dst,
                                        size_t n),
                           void *rctx, u256 out[4]);
} eravm_world;

typedef struct {
    u256 default_aa_hash;       /* code hash run for addresses without code */
    u256 evm_interpreter_hash;  /* code hash run for EVM (version 2) contracts */
    uint32_t hook_address;      /* heap byte offset of the VM-hook word; used with hooks_enabled */
    bool hooks_enabled;         /* only the initial frame's program (the bootloader) hooks */
} eravm_settings;

/* ---- running -------------------------------------------------------------- */

typedef struct {
    u256 address;        /* `this` of the initial frame (kernel mode iff < 2^16) */
    u256 caller;
    u256 context_value;  /* msg.value as seen by get_context_u128 (low 128 bits) */
    const uint8_t *calldata;
    size_t calldata_len;
    uint32_t ergs;
    bool constructor;    /* r2 bit 0 */
    bool system;         /* r2 bit 1 */
    bool is_static;
    /* Heap and aux heap bounds to start with; 0 = the stipend. zksync-era
     * starts the bootloader at 2^32-1 (its heap is preallocated, never paid). */
    uint32_t heap_bound;
    /* Exception handler of the initial frame (zksync-era: 0xFFFF for the
     * bootloader; it is never jumped to, a panic there ends the run). */
    uint16_t exception_handler;
} eravm_call;

typedef enum { ERAVM_OK, ERAVM_REVERT, ERAVM_PANIC, ERAVM_SUSPENDED } eravm_status;

typedef struct {
    eravm_status status;
    uint8_t *returndata;     /* owned by the VM; valid until the next run or free */
    size_t returndata_len;
    uint32_t ergs_left;      /* of the initial frame */
    uint64_t instructions;   /* every dispatched instruction (see README: counting) */
    uint64_t skipped;        /* of which predicated off */
    uint32_t hook_value;     /* ERAVM_SUSPENDED: the word written to the hook address */
} eravm_result;

/* "ok", "revert", "panic" or "suspended": the names every report uses. */
const char *eravm_status_name(eravm_status s);

typedef struct eravm_vm eravm_vm;

eravm_vm *eravm_vm_new(const eravm_world *world, const eravm_settings *settings);
void eravm_vm_free(eravm_vm *vm);

/* Starts a run of `program` as the initial far frame and runs it until it
 * ends, or until it suspends on a hook. */
eravm_status eravm_vm_run(eravm_vm *vm, const eravm_program *program, const eravm_call *call,
                          eravm_result *result);
/* Sets up the initial frame as eravm_vm_run does, without running it, so
 * the host can write the bootloader's heap first; eravm_vm_continue runs. */
void eravm_vm_start(eravm_vm *vm, const eravm_program *program, const eravm_call *call);
/* Resumes a suspended (or started) run. */
eravm_status eravm_vm_continue(eravm_vm *vm, eravm_result *result);

/* Reads `n` bytes of a memory page (zero where never written). */
void eravm_vm_read_memory(eravm_vm *vm, uint32_t page, uint64_t offset, uint8_t *dst, size_t n);
/* Host writes (the bootloader driver, between runs): `n` bytes at `offset`
 * of a page. Writes to the initial frame's heap or aux heap while an
 * external snapshot is open are undone by eravm_vm_rollback, as the VM's own
 * stores are. */
void eravm_vm_write_memory(eravm_vm *vm, uint32_t page, uint64_t offset, const uint8_t *src,
                           size_t n);
/* Ergs of the running frame (while suspended: the bootloader's), and a
 * way to set them (zksync-era's account-validation gas split). */
uint32_t eravm_vm_ergs(const eravm_vm *vm);
void eravm_vm_set_ergs(eravm_vm *vm, uint32_t ergs);
/* The initial frame's heap page id (for hook hosts). */
uint32_t eravm_vm_heap_page(const eravm_vm *vm);

/* ---- the world diff: what a run changed ------------------------------------ */

typedef struct {
    u256 address, key, value;
} eravm_slot;

typedef struct {
    u256 address, key, value;
    bool first;       /* event: .first; l2->l1 log: is_service */
    uint16_t tx_number;
} eravm_log;

/* Every slot written and not rolled back, with its final value, sorted by
 * (address, key). The outermost frame is not rolled back on revert/panic
 * (that is the embedder's job, as in vm2). *n receives the count; the
 * array is malloc'd and owned by the caller. */
eravm_slot *eravm_vm_storage_writes(const eravm_vm *vm, size_t *n);
eravm_slot *eravm_vm_transient(const eravm_vm *vm, size_t *n);
const eravm_log *eravm_vm_events(const eravm_vm *vm, size_t *n);
const eravm_log *eravm_vm_l2l1_logs(const eravm_vm *vm, size_t *n);
int32_t eravm_vm_pubdata(const eravm_vm *vm);
/* The value this batch has written to a slot (true), or false if none. */
bool eravm_vm_storage_written(eravm_vm *vm, u256 address, u256 key, u256 *value);

/* Transaction-level ("external") snapshots, as vm2's make_snapshot /
 * rollback / pop_snapshot: only while no far call is open (the bootloader
 * frame, possibly inside its near calls), one at a time. A snapshot
 * captures the world diff (storage, transient storage, events, L2->L1 logs,
 * pubdata, warm slots, decommit cache) and the bootloader's state: registers
 * and tags, flags, its frame (pc, sp, ergs, near calls, stack, heap bounds,
 * context, kept pages), every heap and aux-heap word written after it (VM
 * stores and host writes), the tx number, the pending context and the page
 * allocator. Rollback restores all of it; pop keeps the changes and frees
 * the returndata pages the bootloader kept (vm2 does the same), so a long
 * batch does not grow with its transactions. snapshot returns false (and
 * does nothing) outside the bootloader frame or with a snapshot open;
 * rollback/pop return false without a snapshot. */
bool eravm_vm_snapshot(eravm_vm *vm);
bool eravm_vm_rollback(eravm_vm *vm);
bool eravm_vm_pop_snapshot(eravm_vm *vm);

/* ---- engines and counters ---------------------------------------------------- */

/* fast: pre-decoded dispatch (default); counting: the same plus the
 * profiler (vm/eravm_prof.h: per-opcode counts, ergs, pairs, host time,
 * call stacks); simple: an independent reference interpreter (vm/ref.c,
 * sharing no decoder or handler with the others) that decodes every word as
 * it goes - the one the others are checked against. Select before a run:
 * every function here then answers for the selected engine. Tracing runs
 * the simple engine. */
enum { ERAVM_ENGINE_FAST, ERAVM_ENGINE_COUNTING, ERAVM_ENGINE_SIMPLE };
void eravm_vm_set_engine(eravm_vm *vm, int engine);

#define ERAVM_COUNTER_SLOTS 2050 /* opcode indices 0..2047, spontaneous panic, pc wrap */

/* What the counting engine measured (read it with vm/eravm_prof.h),
 * accumulated over runs until reset; NULL before the counting engine was
 * selected. */
typedef struct eravm_counters eravm_counters;
const eravm_counters *eravm_vm_counters(const eravm_vm *vm);
void eravm_vm_reset_counters(eravm_vm *vm);

/* Tracing: called before each dispatched instruction (NULL = off; tracing
 * runs the simple engine). */
typedef void (*eravm_trace_fn)(void *ctx, const eravm_vm *vm, uint16_t pc, uint64_t word,
                               uint32_t ergs_left, int depth);
void eravm_vm_set_trace(eravm_vm *vm, eravm_trace_fn fn, void *ctx);
/* Call-stack inspection for tracers: far frames 0..depth (0 = initial) and
 * the near calls open inside each (their target pcs, outermost first). */
unsigned eravm_vm_depth(const eravm_vm *vm);
u256 eravm_vm_frame_address(const eravm_vm *vm, unsigned depth, u256 *code_address);
unsigned eravm_vm_near_count(const eravm_vm *vm, unsigned depth);
uint16_t eravm_vm_near_target(const eravm_vm *vm, unsigned depth, unsigned i);

/* Register and flag inspection for tracers. */
u256 eravm_vm_register(const eravm_vm *vm, int r, bool *tagged);
unsigned eravm_vm_flags(const eravm_vm *vm); /* bit 0 LT, bit 1 EQ, bit 2 GT */

/* ---- memory ------------------------------------------------------------------ */

/* What a run may hold is bounded by the ergs it pays (README, "Memory"), but
 * 2^32 ergs pay for gigabytes. The VM checks the process's resident size
 * against a limit while it allocates (0, the default, = none). When the host
 * refuses memory or the limit would be passed, the process ends: the handler
 * (default: "eravm: MESSAGE" on stderr) is called with a one-line message,
 * then exit(ERAVM_EXIT_OUT_OF_MEMORY), so atexit handlers run. */
#define ERAVM_EXIT_OUT_OF_MEMORY 3
void eravm_set_memory_limit(uint64_t bytes);
uint64_t eravm_memory_limit(void);
typedef void (*eravm_oom_fn)(const char *message);
void eravm_set_oom_handler(eravm_oom_fn fn);
/* The process's resident size in bytes (0 if unknown). */
uint64_t eravm_resident_bytes(void);

/* ---- keyed twins ------------------------------------------------------------- */

/* Keyed twins are fused handlers compiled for the instruction words of the
 * hottest loop bodies of the profile the engine was generated from
 * (profiles/fusion-keyed.csv: the vm-benchmark bytecodes), with every
 * operand a constant; the decoder gives one only where a program holds
 * exactly those words. They speed up those loops and nothing else. Off,
 * programs made afterwards decode without them (the general engine's speed
 * on those loops); on by default unless built with -DERAVM_NO_KEYED.
 * eravm_keyed_twins: how many programs made now may use (0 when off). */
void eravm_set_keyed_twins(bool on);
unsigned eravm_keyed_twins(void);

/* ---- helpers ---------------------------------------------------------------- */

/* Versioned hash of a bytecode as a u256 (see vm/bytecode.h). */
u256 eravm_code_hash(const uint8_t *code, size_t len);

#define ERAVM_ADDR_ACCOUNT_CODE_STORAGE 0x8002
#define ERAVM_ADDR_MSG_VALUE 0x8009
#define ERAVM_ADDR_EVENT_WRITER 0x800d

#endif
