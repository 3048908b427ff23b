/* host/env.h — the one deterministic batch environment of the full tier:
 * every value the bootloader reads from its batch header and first L2
 * block, the fee model they derive from, and the VM settings. Written down
 * here once because pubdata, and so gas, depend on them: a wall clock or a
 * random fee account (as upstream's harness has) would make runs
 * incomparable. Values: ../shared/spec/bootloader.md §1.1, §2.1, §6, §7. */
#ifndef HOST_ENV_H
#define HOST_ENV_H

#include <stdint.h>

#include "u256.h"

typedef struct {
    uint64_t chain_id;            /* SystemContext slot 0 and the EIP-712 domain */
    uint64_t batch_number;
    u256 prev_batch_hash;
    uint64_t timestamp;           /* milliseconds, as zksync-era's harness passes it */
    u256 fee_account;             /* receives the batch's fees at its end */
    uint64_t l1_gas_price;        /* wei */
    uint64_t fair_l2_gas_price;   /* wei */
    uint64_t first_block_number;
    uint64_t first_block_timestamp;
    u256 first_block_prev_hash;   /* keccak256 of the 4-byte big-endian number - 1 */
    uint32_t max_virtual_blocks;
    uint32_t bootloader_gas_limit;
    uint32_t validation_gas_limit; /* per transaction, hooks 0 and 2 */
    u256 sender_balance;           /* what each funded key starts with */
} host_env;

/* Fee values the bootloader derives and checks (L1-pegged fee model). */
typedef struct {
    uint64_t fair_pubdata_price;   /* l1 gas price x 17 (L1 gas per pubdata byte) */
    uint64_t base_fee;             /* max(fair L2 price, ceil(pubdata price / 50 000)) */
    uint64_t gas_per_pubdata;      /* ceil(pubdata price / base fee) */
} host_fees;

/* The environment every full-tier run uses unless told otherwise. */
void host_env_default(host_env *e);
host_fees host_env_fees(const host_env *e);

/* Heap layout of the v29 (Interop) proved-batch bootloader, in 32-byte
 * slots (bootloader.md §1). */
enum {
    BOOT_SLOT_OPERATOR_REFUNDS = 143,
    BOOT_SLOT_OPERATOR_OVERHEAD = 10143,
    BOOT_SLOT_TRUSTED_GAS_LIMIT = 20143,
    BOOT_SLOT_L2_BLOCKS = 30143,
    BOOT_SLOT_INTEROP_COUNTS = 70150,
    BOOT_SLOT_COMPRESSED = 80657,
    BOOT_SLOT_COMPRESSED_END = 277264,
    BOOT_SLOT_PUBDATA = 277267,
    BOOT_SLOT_TX_DESCRIPTIONS = 1637267,
    BOOT_SLOT_TX_ENCODINGS = 1657307,
    BOOT_SLOT_TX_ENCODINGS_END = 1983746, /* one past the last usable slot */
    BOOT_SLOT_HOOK_PARAMS = 1983746,
    BOOT_SLOT_HOOK = 1983749,
    BOOT_SLOT_RESULTS = 1983750,
    BOOT_MAX_TXS = 10000,
};
#define BOOT_HOOK_ADDRESS (BOOT_SLOT_HOOK * 32u)

#endif
