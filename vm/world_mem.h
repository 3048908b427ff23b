/* vm/world_mem.h — an in-memory world for tools and tests: storage, code by
 * hash, and AccountCodeStorage entries, committed between runs. */
#ifndef ERAVM_WORLD_MEM_H
#define ERAVM_WORLD_MEM_H

#include "eravm.h"

typedef struct eravm_memworld eravm_memworld;

eravm_memworld *eravm_memworld_new(void);
void eravm_memworld_free(eravm_memworld *w);
eravm_world eravm_memworld_iface(eravm_memworld *w);

void eravm_memworld_set_storage(eravm_memworld *w, u256 address, u256 key, u256 value);
u256 eravm_memworld_get_storage(eravm_memworld *w, u256 address, u256 key);

/* Registers code; returns its versioned hash (marker byte 0). */
u256 eravm_memworld_add_code(eravm_memworld *w, const uint8_t *code, size_t len);
/* Registers code and stores its hash in AccountCodeStorage (0x8002) under
 * `address`, with marker byte 1 set when `constructing`. */
u256 eravm_memworld_deploy(eravm_memworld *w, u256 address, const uint8_t *code, size_t len,
                           bool constructing);
const eravm_program *eravm_memworld_program(eravm_memworld *w, u256 hash);

/* Writes a finished run's storage writes into the world. */
void eravm_memworld_commit(eravm_memworld *w, const eravm_vm *vm);

/* Every non-zero slot, sorted by (address, key); malloc'd, caller frees. */
eravm_slot *eravm_memworld_dump(eravm_memworld *w, size_t *n);

#endif
