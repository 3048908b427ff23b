/* vm/keccak.h — Keccak-256 (the original Keccak padding 0x01, as Ethereum
 * and EraVM use it, not FIPS-202 SHA3-256): a streaming hasher so callers can
 * feed gigabyte inputs in pieces, and a one-shot helper. */
#ifndef KECCAK_H
#define KECCAK_H

#include <stddef.h>
#include <stdint.h>

#define KECCAK256_RATE 136

typedef struct {
    uint64_t lanes[25];
    uint8_t buf[KECCAK256_RATE];
    size_t fill; /* bytes waiting in buf, always < KECCAK256_RATE */
} keccak256_ctx;

/* The bare permutation, exposed for tests and for anyone who needs to run
 * Keccak rounds on their own state. */
void keccak_f1600(uint64_t lanes[25]);
/* The same in plain C for any host; keccak_f1600 may run a version built
 * for the CPU's instructions instead (tests compare the two). */
void keccak_f1600_portable(uint64_t lanes[25]);

void keccak256_init(keccak256_ctx *ctx);
void keccak256_update(keccak256_ctx *ctx, const uint8_t *data, size_t len);
void keccak256_final(keccak256_ctx *ctx, uint8_t out[32]);

void keccak256(const uint8_t *data, size_t len, uint8_t out[32]);

#endif
