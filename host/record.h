/* host/record.h — record and replay of a full-tier run: everything the VM
 * was given and everything the host did to it, written to a directory, and
 * a replay that re-runs it on the VM alone, with no host logic, and checks
 * that it comes out the same. This is how a full-tier run is compared with
 * another VM implementation and how a user reports a bug.
 *
 * Format (version 1), directory DIR:
 *   DIR/transcript   text, one action per line, in the order they happened:
 *     eravm-bench transcript 1
 *     settings <default_aa_hash> <evm_interpreter_hash> <hook_address> <hooks 0|1>
 *     start <address> <caller> <ergs> <heap_bound> <exception_handler> <program_hash>
 *     heap <byte offset> <bytes>       host write to the initial frame's heap
 *     run                              eravm_vm_continue
 *     stop <status> <hook> <instructions> <ergs_left>   what that run ended in
 *     storage <address> <key> <value> <is_write_initial 0|1>   a world answer
 *     code <hash> <known 0|1>          a decommit the world answered
 *     ergs <value>                     the host set the running frame's ergs
 *     snapshot | rollback | pop        transaction snapshots
 *     ecrecover <128 input bytes> <address>   a precompile answer the world
 *                                      gives instead of the VM (no signatures)
 *   Numbers are 0x-hex, bytes are hex without 0x; status is ok, revert,
 *   panic or suspended. World answers appear in the run that asked them.
 *   DIR/code/<hash>.bin  every program the VM was given, raw bytes, named by
 *                        its versioned hash (0x-hex, marker byte 0)
 *   DIR/state.json       the VM's state at the end: status, instructions,
 *                        ergs left, pubdata, storage writes, raw events and
 *                        L2->L1 logs (the replay must produce the same file). */
#ifndef HOST_RECORD_H
#define HOST_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "boot.h"
#include "world.h"

typedef struct rec_writer rec_writer;

/* Creates DIR (it may exist and be empty) and starts the transcript; code
 * bytes are taken from `world` as the VM asks for them. */
rec_writer *rec_open(const char *dir, host_world *world, char *err, size_t errn);
/* The observers to give the world (hw_observe) and the driver (boot_options). */
hw_observer rec_world_observer(rec_writer *r);
boot_observer rec_boot_observer(rec_writer *r);
/* Writes state.json from the VM as it is now and closes; returns 0 or -1
 * with err (a write failed). Frees r either way. */
int rec_close(rec_writer *r, eravm_vm *vm, const eravm_result *last, char *err, size_t errn);

/* The end state as a JSON text (malloc'd): what rec_close writes and what a
 * replay is compared with. */
char *rec_state_json(eravm_vm *vm, const eravm_result *last);

/* Replays DIR on the VM alone with `engine`. Returns 0 if every stop
 * (hook id, instruction count, ergs) and the end state match, 1 on a
 * mismatch (err says the first one), -1 if DIR cannot be read (err). */
int rec_replay(const char *dir, int engine, uint64_t *instructions, char *err, size_t errn);

#endif
