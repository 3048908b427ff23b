/* host/world.h — the full tier's world: a key-value store of storage slots
 * and a code store (decoded once per hash) behind the VM's eravm_world,
 * with zksync-era's storage policies — initial vs repeated writes, free
 * slots and the pubdata cost of a write (bootloader.md §4.3) — and its
 * genesis (§4). In memory; the store is the one place to swap for another. */
#ifndef HOST_WORLD_H
#define HOST_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "eravm.h"
#include "syscon.h"

typedef struct host_world host_world;

host_world *hw_new(void);
void hw_free(host_world *w);

/* Committed state. A slot that was never set is an "initial write" target. */
void hw_set(host_world *w, u256 address, u256 key, u256 value);
u256 hw_get(const host_world *w, u256 address, u256 key, bool *present);

/* Code by versioned hash (marker byte ignored): stored once, decoded once.
 * Returns the versioned hash with marker 0. */
u256 hw_add_code(host_world *w, const uint8_t *code, size_t len);
/* The same, given the code's versioned hash (a transaction's factory deps
 * carry theirs: hashing a dependency again on every push was 1-2% of a
 * deploy) */
u256 hw_add_code_hashed(host_world *w, const uint8_t *code, size_t len, u256 hash);
const uint8_t *hw_code(const host_world *w, u256 hash, size_t *len);
const eravm_program *hw_program(host_world *w, u256 hash);
/* Forgets every decoded program except those of `keep` (the bytes stay);
 * the next decommit decodes again. */
void hw_drop_programs(host_world *w, const u256 *keep, size_t nkeep);

/* Genesis of protocol v29: every system contract's code, its hash in
 * AccountCodeStorage and KnownCodesStorage, SystemContext's chain id and
 * constructor values; DefaultAccount and the EVM emulator as code only. */
void hw_genesis(host_world *w, const syscon_set *s, const host_env *env);
/* Sets `address`'s base-token balance. */
void hw_fund(host_world *w, u256 address, u256 wei);

/* Writes a batch's storage changes into the state. */
void hw_commit(host_world *w, const eravm_slot *writes, size_t n);

/* Skipped signature checks (upstream's fast_no_sigs): answer an ecrecover
 * call whose 128-byte input is exactly `input` with (1, address) without
 * the curve arithmetic. A NULL input turns it off. */
void hw_expect_ecrecover(host_world *w, const uint8_t input[128], u256 address);

/* Everything the VM asks the world, as it is answered (record/replay). */
typedef struct {
    void *ctx;
    void (*storage)(void *ctx, u256 address, u256 key, u256 value, bool is_write_initial);
    void (*code)(void *ctx, u256 hash, bool known);
    void (*cost)(void *ctx, u256 initial, bool is_write_initial, u256 value, uint32_t cost);
    void (*free_slot)(void *ctx, u256 address, u256 key, bool is_free);
} hw_observer;
void hw_observe(host_world *w, const hw_observer *o);

eravm_world hw_iface(host_world *w);

/* zksync-era's pubdata cost of publishing a slot that goes from `initial`
 * (at batch start) to `value` (bootloader.md §4.3). */
uint32_t hw_write_cost(u256 initial, bool is_write_initial, u256 value);

/* Storage keys of mappings at slot 0 keyed by address (base-token
 * balances, NonceHolder nonces): keccak256(address word ‖ 0). */
u256 hw_address_key(u256 address);

#endif
