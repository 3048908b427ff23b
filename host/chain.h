/* host/chain.h — one full-tier batch as a user sees it: protocol v29's code
 * and genesis, a few funded keys, and transactions (deploy, execute,
 * base-token transfer) that are built, signed, pushed into the bootloader
 * and run to TxHasEnded. The layer `eravm deploy`, `eravm batch` and the
 * full tier of `eravm-bench` stand on. */
#ifndef HOST_CHAIN_H
#define HOST_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "boot.h"
#include "env.h"
#include "tx.h"

#define CHAIN_MAX_KEYS 16

typedef struct {
    const char *data_dir;   /* the shared data folder ($ERAVM_DATA) */
    int engine;             /* ERAVM_ENGINE_* */
    bool no_signatures;     /* upstream's fast_no_sigs: ecrecover answered by the host */
    bool snapshots;         /* each tx in a snapshot: a halted one is rolled back */
    unsigned nkeys;         /* funded keys (0 = 1): key 0 is 0x2a x 32, key i is 0x2a+i x 32 */
    FILE *trace_hooks;      /* --trace-hooks */
    const char *record_dir; /* --record DIR, or NULL */
    const host_env *env;    /* NULL = host_env_default */
} chain_options;

typedef struct {
    boot_result run;        /* status, reason, output, instructions, ergs, gas, logs */
    u256 tx_hash;
    u256 from;
    uint64_t nonce;
    bool deploy;
    u256 deployed_address;  /* deploy: the CREATE address of (sender, deployment nonce) */
} chain_result;

/* A factory dependency or a contract to deploy. */
typedef struct {
    const uint8_t *code;
    size_t len;
} chain_code;

typedef struct chain chain;

/* Loads the system contracts (hash-checked), builds genesis, funds the
 * keys and opens a batch. NULL with one line in err on failure. */
chain *chain_open(const chain_options *o, char *err, size_t errn);
/* Finishes a recording if one was asked for (0, or -1 with err) and frees. */
int chain_close(chain *c, char *err, size_t errn);

/* Explicit nonce, or CHAIN_AUTO_NONCE for the account's current one. */
#define CHAIN_AUTO_NONCE UINT64_MAX

typedef struct {
    unsigned key;             /* which funded key sends it */
    uint64_t nonce;           /* CHAIN_AUTO_NONCE: the account's nonce now */
    uint64_t gas_limit;       /* 0: the vm-benchmark default of the kind */
    uint64_t trusted_gas_limit; /* 0: min(80 M, gas limit) */
    u256 value;
    bool unsigned_tx;         /* leave it unsigned (a placeholder signature) */
    int sign_with;            /* -1: its own key; else sign with this key (a bad signature) */
} chain_tx_opts;

void chain_tx_defaults(chain_tx_opts *t);

/* A transaction built and signed, ready to run (possibly many times, after
 * chain_reset): what happens before upstream's timer starts. */
typedef struct chain_tx chain_tx;

int chain_build_deploy(chain *c, const chain_tx_opts *t, chain_code code, const uint8_t *args,
                       size_t nargs, const chain_code *deps, size_t ndeps, chain_tx **out,
                       char *err, size_t errn);
/* A call with calldata; deps are factory dependencies it carries (code the
 * call may deploy), as upstream's load test sends its child contract. */
int chain_build_execute(chain *c, const chain_tx_opts *t, u256 to, const uint8_t *calldata,
                        size_t n, const chain_code *deps, size_t ndeps, chain_tx **out, char *err,
                        size_t errn);
int chain_build_transfer(chain *c, const chain_tx_opts *t, u256 to, chain_tx **out, char *err,
                         size_t errn);
/* What upstream times: encoding, compression, the push into the heap and
 * the run to TxHasEnded. */
int chain_run(chain *c, const chain_tx *tx, chain_result *r, char *err, size_t errn);
void chain_tx_free(chain_tx *tx);

/* Ends this batch (finishing it if it is not) and opens the next one over
 * its committed state: batch number + 1, timestamp + 1 s, its first L2 block
 * following the last one. The previous batch hash SystemContext records
 * (unchecked) is keccak256(batch number ‖ last L2 block hash). A setup made
 * in one batch is then the starting state that chain_reset returns to. */
int chain_next_batch(chain *c, char *err, size_t errn);

/* Starts recording this batch into DIR (host/record.h); only at the start
 * of a batch, before its first transaction. The recording ends with
 * chain_close. */
int chain_record(chain *c, const char *dir, char *err, size_t errn);

/* Back to the start of a fresh batch over the same genesis state: a new VM
 * and bootloader heap. With cold_code, every decoded program except the
 * ones zksync-era preloads (bootloader, DefaultAccount, EVM emulator) is
 * dropped, so the next run decodes what it calls, as upstream's benchmark
 * does with its VM created per iteration. Not with a recording. */
int chain_reset(chain *c, bool cold_code, char *err, size_t errn);

/* Build and run in one go. ContractDeployer.create of `code` with
 * constructor input `args`; deps are further factory dependencies
 * (contracts the constructor creates). */
int chain_deploy(chain *c, const chain_tx_opts *t, chain_code code, const uint8_t *args,
                 size_t nargs, const chain_code *deps, size_t ndeps, chain_result *r, char *err,
                 size_t errn);
int chain_execute(chain *c, const chain_tx_opts *t, u256 to, const uint8_t *calldata, size_t n,
                  chain_result *r, char *err, size_t errn);
/* A base-token transfer (empty calldata); `to` 0 = the sender itself. */
int chain_transfer(chain *c, const chain_tx_opts *t, u256 to, chain_result *r, char *err,
                   size_t errn);
/* A read-only call on the batch's current state, outside the bootloader
 * (what eth_call answers): `to`'s code runs as the only far frame with
 * `from` as caller and 80 M ergs; nothing it writes is kept. Returns 0 with
 * the status and a malloc'd copy of the return data, or -1 with err (no
 * code at `to`). */
int chain_call(chain *c, u256 from, u256 to, const uint8_t *calldata, size_t n,
               eravm_status *status, uint8_t **out, size_t *outlen, char *err, size_t errn);

/* Runs the batch to its end (the operator is paid, pubdata published). */
int chain_finish(chain *c, char *err, size_t errn);

void chain_result_free(chain_result *r);

/* The current value of a slot: this batch's write, else the state. */
u256 chain_storage(chain *c, u256 address, u256 key);
u256 chain_key_address(const chain *c, unsigned key);
u256 chain_balance(chain *c, u256 address);
/* NonceHolder's raw value: deployment nonce x 2^128 + tx nonce. */
u256 chain_raw_nonce(chain *c, u256 address);

boot_vm *chain_boot(chain *c);
const syscon_set *chain_syscon(const chain *c);
const host_env *chain_env(const chain *c);
eravm_vm *chain_vm(chain *c);

#endif
