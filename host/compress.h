/* host/compress.h — bytecode compression as the v29 Compressor system
 * contract verifies it (bootloader spec §3.4), and the compressed-bytecode
 * entry the host places in the bootloader heap so that a deploy publishes its
 * bytecode through Compressor.publishCompressedBytecode, as upstream does.
 *
 * Format: dictionary size (u16 BE) ‖ dictionary of distinct 8-byte chunks ‖
 * for every 8-byte chunk of the bytecode its dictionary index (u16 BE). The
 * dictionary order is part of the contract between host and chain (the
 * compressed bytes are published to L1, so they decide pubdata and gas):
 * most frequent chunk first, ties broken by the later first occurrence
 * first — zksync-era sorts by (count, first position) ascending and then
 * walks the list backwards. */
#ifndef HOST_COMPRESS_H
#define HOST_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "u256.h"

/* Indices are u16, so at most 65,535 distinct chunks fit. */
#define COMPRESS_MAX_DICT 65535u

typedef enum {
    COMPRESS_OK = 0,
    COMPRESS_INVALID = -1,  /* not a valid EraVM bytecode (whole words, odd count, < 2^16 words) */
    COMPRESS_TOO_MANY = -2, /* more than COMPRESS_MAX_DICT distinct chunks: upstream then
                               supplies no compressed form and the bytecode is published whole */
    COMPRESS_NOMEM = -3,
} compress_status;

/* Compresses a bytecode. On COMPRESS_OK *out is malloc'd (caller frees);
 * otherwise *out is NULL and err holds one line. */
compress_status compress_bytecode(const uint8_t *code, size_t len, uint8_t **out, size_t *out_len,
                                  char *err, size_t errn);

/* Inverse of compress_bytecode with the checks Compressor.publishCompressedBytecode
 * makes (dictionary inside the data, indices inside the dictionary, whole u16
 * indices, no more dictionary entries than indices). Returns 0 and a malloc'd
 * buffer, or -1 with err. */
int compress_decompress(const uint8_t *c, size_t n, uint8_t **out, size_t *out_len, char *err,
                        size_t errn);

/* Words of one compressed-bytecode heap entry for an original of code_len
 * bytes and a compressed form of comp_len bytes. */
size_t compress_entry_words(size_t code_len, size_t comp_len);

/* Builds the heap entry for one bytecode: versioned hash; a zero word (the
 * bootloader writes the publishCompressedBytecode selector there); then
 * abi.encode(bytes original, bytes compressed). *out is malloc'd with
 * *nwords words. Status as compress_bytecode. hash: the code's versioned
 * hash (a transaction's dependency carries it). */
compress_status compress_entry(const uint8_t *code, size_t len, u256 hash, u256 **out,
                               size_t *nwords, char *err, size_t errn);

#endif
