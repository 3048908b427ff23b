/* vm/ref.h — the reference interpreter behind the `simple` engine: a second,
 * independently written EraVM (vm/ref*.c) that shares no decoder, handler,
 * memory or world-diff code with the fast engine, so that comparing the two
 * can catch a bug in either. vm.c delegates every public eravm_vm_* function
 * here while the simple engine is selected (or a tracer is set). */
#ifndef ERAVM_REF_H
#define ERAVM_REF_H

#include "eravm.h"

typedef struct ref_vm ref_vm;

ref_vm *ref_new(const eravm_world *world, const eravm_settings *settings);
void ref_free(ref_vm *vm);

/* The tracer gets `outer` (the eravm_vm the embedder holds) so that its
 * inspection calls come back through the public API. */
void ref_set_trace(ref_vm *vm, eravm_trace_fn fn, void *ctx, const eravm_vm *outer);

void ref_start(ref_vm *vm, const eravm_program *program, const eravm_call *call);
eravm_status ref_continue(ref_vm *vm, eravm_result *result);

void ref_read_memory(const ref_vm *vm, uint32_t page, uint64_t offset, uint8_t *dst, size_t n);
void ref_write_memory(ref_vm *vm, uint32_t page, uint64_t offset, const uint8_t *src, size_t n);
uint32_t ref_ergs(const ref_vm *vm);
void ref_set_ergs(ref_vm *vm, uint32_t ergs);
uint32_t ref_heap_page(const ref_vm *vm);

eravm_slot *ref_storage_writes(const ref_vm *vm, size_t *n);
eravm_slot *ref_transient(const ref_vm *vm, size_t *n);
const eravm_log *ref_events(const ref_vm *vm, size_t *n);
const eravm_log *ref_l2l1_logs(const ref_vm *vm, size_t *n);
int32_t ref_pubdata(const ref_vm *vm);
bool ref_storage_written(ref_vm *vm, u256 address, u256 key, u256 *value);

bool ref_snapshot(ref_vm *vm);
bool ref_rollback(ref_vm *vm);
bool ref_pop_snapshot(ref_vm *vm);

unsigned ref_depth(const ref_vm *vm);
u256 ref_frame_address(const ref_vm *vm, unsigned depth, u256 *code_address);
unsigned ref_near_count(const ref_vm *vm, unsigned depth);
uint16_t ref_near_target(const ref_vm *vm, unsigned depth, unsigned i);
u256 ref_register(const ref_vm *vm, int r, bool *tagged);
unsigned ref_flags(const ref_vm *vm);

#endif
