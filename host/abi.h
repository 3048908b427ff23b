/* host/abi.h — Solidity ABI encoding of call arguments, as much of it as the
 * host needs to build transactions: static words (uint, address, bool,
 * bytesN), dynamic `bytes`/`string`, and dynamic arrays of static words
 * (`uint256[]`, `address[]`, `bytes32[]`). Tuples and nested dynamic types
 * are not supported; nothing the full tier sends needs them yet. */
#ifndef HOST_ABI_H
#define HOST_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "u256.h"

typedef enum {
    ABI_WORD,  /* one static word, encoded in place */
    ABI_BYTES, /* `bytes` / `string`: offset in the head, length + padded data in the tail */
    ABI_WORDS, /* `T[]` with static T: offset in the head, count + words in the tail */
} abi_kind;

typedef struct {
    abi_kind kind;
    u256 word;           /* ABI_WORD */
    const uint8_t *data; /* ABI_BYTES; may be NULL when len is 0 */
    const u256 *words;   /* ABI_WORDS; may be NULL when len is 0 */
    size_t len;          /* bytes (ABI_BYTES) or words (ABI_WORDS) */
} abi_arg;

static inline abi_arg abi_word(u256 w)
{
    abi_arg a = {ABI_WORD, w, NULL, NULL, 0};
    return a;
}

static inline abi_arg abi_bytes(const uint8_t *p, size_t n)
{
    abi_arg a = {ABI_BYTES, u256_zero(), p, NULL, n};
    return a;
}

static inline abi_arg abi_words(const u256 *w, size_t n)
{
    abi_arg a = {ABI_WORDS, u256_zero(), NULL, w, n};
    return a;
}

/* An address as "0x" + 40 lower-case hex digits (NUL at [42]): the low 20
 * bytes of a. */
void abi_address_hex(u256 a, char out[43]);

/* First four bytes of keccak256(signature), e.g. "transfer(address,uint256)"
 * → 0xa9059cbb, as a big-endian number. */
uint32_t abi_selector(const char *signature);

/* Encodes args as the head/tail of one argument list. With a signature the
 * output starts with its selector (call data), and each argument is checked
 * against the signature's top-level types (count, static vs dynamic,
 * address/uintN/bool widths) so a mismatch is an error instead of silently
 * wrong call data; with signature NULL the output is plain abi.encode(args...)
 * (constructor input, the inner part of a larger encoding). Returns 0 and a
 * malloc'd buffer, or -1 with one line in err. */
int abi_encode(const char *signature, const abi_arg *args, size_t nargs, uint8_t **out,
               size_t *len, char *err, size_t errn);

/* Bytes written by abi_encode without a selector for these args; the same
 * sum zksync-era uses to size a transaction encoding. */
size_t abi_encoded_len(const abi_arg *args, size_t nargs);

/* Splits n bytes (n a multiple of 32) into big-endian words. */
void abi_bytes_to_words(const uint8_t *p, size_t n, u256 *out);

#endif
