/* host/boot.h — the bootloader driver: runs protocol v29's proved-batch
 * bootloader on the VM the way zksync-era's fast VM does (vm_fast/vm.rs):
 * writes the batch header and each transaction into the bootloader heap,
 * answers the hooks (refunds, results, the fictive block, pubdata), stops
 * a one-transaction run at TxHasEnded and rolls a halted transaction back
 * with a snapshot. Specification: ../shared/spec/bootloader.md. */
#ifndef HOST_BOOT_H
#define HOST_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "env.h"
#include "eravm.h"
#include "syscon.h"
#include "tx.h"
#include "world.h"

/* What the heap needs of one transaction (host/tx.c builds it). */
typedef struct {
    const u256 *encoding;     /* TransactionData, word 0 = 0x20 (bootloader.md §3.1) */
    size_t nwords;
    u256 hash;                /* canonical tx hash: the L2 block's rolling hash */
    u256 from;
    uint64_t gas_limit;
    uint64_t overhead;        /* operator overhead (zksync-era: max(10 000, 10 x words)) */
    uint64_t trusted_gas_limit; /* 0: min(80 000 000, gas limit), zksync-era's default */
    /* factory dependencies (the transaction's, with their versioned
     * hashes): made decommittable by hash */
    const tx_dep *deps;
    size_t ndeps;
    /* compressed-bytecode entries for the deps not yet known (as upstream's
     * push supplies them; see boot_code_known), concatenated */
    const u256 *compressed;
    size_t ncompressed;
    /* skipped signature check: the ecrecover input DefaultAccount will make
     * (128 bytes), answered with `from` (NULL: verify for real) */
    const uint8_t *ecrecover_input;
} boot_tx;

typedef enum { BOOT_SUCCESS, BOOT_REVERT, BOOT_HALT } boot_status;

typedef struct {
    boot_status status;
    uint8_t *output;          /* PostResult's bytes (return data or revert data); malloc'd */
    size_t output_len;
    char reason[256];         /* revert/halt reason as text ("" on success) */
    uint64_t instructions;    /* dispatched from the run's (re)start to TxHasEnded */
    uint32_t ergs_used;       /* bootloader ergs spent in that span */
    uint64_t gas_limit;
    uint64_t refund;          /* the bootloader's final refund (hook 9) */
    uint64_t gas_used;        /* gas limit - final refund */
    uint64_t operator_refund; /* what the host offered at hook 8 */
    uint32_t pubdata;         /* bytes published while the tx ran */
    /* what the tx left in the VM's logs: [from, to) of eravm_vm_events /
     * eravm_vm_l2l1_logs (empty for a rolled-back halt) */
    size_t events_from, events_to, l2l1_from, l2l1_to;
} boot_result;

/* The host's side of record/replay: every action it takes on the VM. */
typedef struct {
    void *ctx;
    /* the VM as created and its initial frame, before anything else */
    void (*start)(void *ctx, const eravm_settings *settings, const eravm_call *call,
                  u256 program_hash);
    void (*run)(void *ctx);                   /* before each eravm_vm_continue */
    void (*stop)(void *ctx, const eravm_result *res); /* each suspension or end */
    void (*heap_write)(void *ctx, uint32_t offset, const uint8_t *bytes, size_t n);
    void (*ergs)(void *ctx, uint32_t ergs); /* validation gas split */
    void (*snapshot)(void *ctx, int op);   /* 0 snapshot, 1 rollback, 2 pop */
    void (*ecrecover)(void *ctx, const uint8_t *input, u256 address);
} boot_observer;

typedef struct boot_vm boot_vm;

typedef struct {
    int engine;               /* ERAVM_ENGINE_* */
    FILE *trace_hooks;        /* print hooks (debug log, return data) here; NULL = quiet */
    const boot_observer *observer;
} boot_options;

/* A VM at the start of a batch over `world` (which must hold the genesis).
 * Keeps pointers to env, sys and world. */
boot_vm *boot_new(const host_env *env, const syscon_set *sys, host_world *world,
                  const boot_options *opt);
void boot_free(boot_vm *b);
eravm_vm *boot_eravm(boot_vm *b);
uint32_t boot_tx_count(const boot_vm *b);
/* How the VM last stopped (a hook, or the bootloader's end). */
const eravm_result *boot_last_stop(const boot_vm *b);

/* Whether KnownCodesStorage knows a bytecode hash now (this batch's
 * writes first, then the state), as upstream's push asks before it offers
 * a compressed form. */
bool boot_code_known(boot_vm *b, u256 hash);

/* Pushes one transaction; returns 0, or -1 with one line in err (the
 * batch is full, the encoding does not fit). */
int boot_push(boot_vm *b, const boot_tx *tx, char *err, size_t errn);

/* Runs the pushed transaction until TxHasEnded (a one-transaction run as
 * upstream's benchmark times it). A halt (the bootloader itself ended)
 * leaves the VM ended unless a snapshot is rolled back. Returns 0, or -1
 * with err if the run cannot go on (no transaction, the VM ended). */
int boot_run_tx(boot_vm *b, boot_result *r, char *err, size_t errn);

/* snapshot, push, run; a halted transaction is rolled back (it leaves no
 * trace and its index is reused), anything else is kept. */
int boot_execute(boot_vm *b, const boot_tx *tx, boot_result *r, char *err, size_t errn);

/* Runs the batch to its end: the bootloader pays the operator, opens the
 * fictive L2 block (hook 11) and publishes pubdata (hook 12). Returns 0 if
 * the bootloader finished successfully, else -1 with err. */
int boot_finish(boot_vm *b, char *err, size_t errn);

/* The L2 block the batch is in now (after boot_finish: its fictive block),
 * so that the next batch's first block can follow it. */
void boot_last_block(const boot_vm *b, uint64_t *number, uint64_t *timestamp, u256 *hash);
bool boot_ended(const boot_vm *b);

void boot_result_free(boot_result *r);
const char *boot_status_name(boot_status s); /* "success", "revert", "halt" */

/* The text of revert data: Error(string)'s message, a Panic(uint256) code,
 * a system contract's custom error (sys may be NULL), or the bytes in hex. */
void boot_revert_text(const syscon_set *sys, const uint8_t *data, size_t len, char *out,
                      size_t n);

#endif
