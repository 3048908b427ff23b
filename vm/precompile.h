/* vm/precompile.h — EraVM's precompiles as the `precompile_call` opcode runs
 * them: the memory ABI (where input is read, how many words come out) and the
 * arithmetic (keccak256, sha256 round function, ecrecover, secp256r1 verify,
 * modexp, bn254 ecadd / ecmul / ecpairing). */
#ifndef ERAVM_PRECOMPILE_H
#define ERAVM_PRECOMPILE_H

#include <stddef.h>
#include <stdint.h>

#include "u256.h"

#define ERAVM_PRECOMPILE_MAX_OUT 4

/* The decoded src0 ABI word of precompile_call (page ids already remapped:
 * page 0 means "current heap" and the VM substitutes it before calling). */
typedef struct eravm_precompile_abi {
    uint32_t input_offset;  /* bits 0-31 */
    uint32_t input_length;  /* bits 32-63 */
    uint32_t output_offset; /* bits 64-95, in words */
    uint32_t output_length; /* bits 96-127, in words */
    uint32_t read_page;     /* bits 128-159 */
    uint32_t write_page;    /* bits 160-191 */
    uint64_t aux;           /* bits 192-255: precompile-specific ("interpreted data") */
} eravm_precompile_abi;

/* Copies n bytes of memory page `page` from byte `offset` into dst; bytes
 * that were never written (or past 2^32) read as zero. */
typedef void (*eravm_mem_read_fn)(void *ctx, uint32_t page, uint64_t offset, uint8_t *dst, size_t n);

/* Runs the precompile selected by the low 16 bits of the executing frame's
 * address (0x0001 ecrecover, 0x0002 sha256, 0x0005 modexp, 0x0006 ecadd,
 * 0x0007 ecmul, 0x0008 ecpairing, 0x0100 secp256r1, 0x8010 keccak256).
 * Writes the output words to out and returns how many (0..MAX_OUT); an
 * address that is no precompile returns 0. Never fails: malformed input
 * produces the reference VM's "failure" output words. */
int eravm_precompile_run(uint16_t address_low, const eravm_precompile_abi *abi,
                         eravm_mem_read_fn rd, void *ctx, u256 out[ERAVM_PRECOMPILE_MAX_OUT]);

#endif
