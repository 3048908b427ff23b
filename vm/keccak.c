/* vm/keccak.c — Keccak-f[1600] and the Keccak-256 sponge (rate 136 bytes,
 * capacity 512 bits, multi-rate padding 0x01 ... 0x80). */
#include "keccak.h"

#include <string.h>

/* Round constants of the iota step (the LFSR outputs of FIPS 202 §3.2.5). */
static const uint64_t keccak_round_constants[24] = {
    0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000,
    0x000000000000808b, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008a, 0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
    0x000000008000808b, 0x800000000000008b, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
};

static inline uint64_t keccak_rotl(uint64_t v, unsigned n)
{
    /* The mask keeps n == 0 from shifting by 64, which C leaves undefined. */
    return (v << n) | (v >> ((64 - n) & 63));
}

/* chi on one row of five lanes starting at index r */
#define KECCAK_CHI_ROW(r)                                                   \
    do {                                                                    \
        a[(r) + 0] = b[(r) + 0] ^ (~b[(r) + 1] & b[(r) + 2]);               \
        a[(r) + 1] = b[(r) + 1] ^ (~b[(r) + 2] & b[(r) + 3]);               \
        a[(r) + 2] = b[(r) + 2] ^ (~b[(r) + 3] & b[(r) + 4]);               \
        a[(r) + 3] = b[(r) + 3] ^ (~b[(r) + 4] & b[(r) + 0]);               \
        a[(r) + 4] = b[(r) + 4] ^ (~b[(r) + 0] & b[(r) + 1]);               \
    } while (0)

/* Written out lane by lane: with loops and "% 5" indexing gcc ran this at a
 * third of the speed. Lane (x, y) is a[x + 5y]. */
void keccak_f1600(uint64_t a[25])
{
    for (int round = 0; round < 24; round++) {
        /* theta: column parities, folded into each lane below */
        uint64_t c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20];
        uint64_t c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21];
        uint64_t c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22];
        uint64_t c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23];
        uint64_t c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24];
        uint64_t d0 = c4 ^ keccak_rotl(c1, 1);
        uint64_t d1 = c0 ^ keccak_rotl(c2, 1);
        uint64_t d2 = c1 ^ keccak_rotl(c3, 1);
        uint64_t d3 = c2 ^ keccak_rotl(c4, 1);
        uint64_t d4 = c3 ^ keccak_rotl(c0, 1);

        /* rho (rotate by the FIPS 202 offsets) and pi (lane (x, y) moves
         * to (y, 2x + 3y)); each line below follows from those two rules */
        uint64_t b[25];
        b[0] = keccak_rotl(a[0] ^ d0, 0);
        b[10] = keccak_rotl(a[1] ^ d1, 1);
        b[20] = keccak_rotl(a[2] ^ d2, 62);
        b[5] = keccak_rotl(a[3] ^ d3, 28);
        b[15] = keccak_rotl(a[4] ^ d4, 27);
        b[16] = keccak_rotl(a[5] ^ d0, 36);
        b[1] = keccak_rotl(a[6] ^ d1, 44);
        b[11] = keccak_rotl(a[7] ^ d2, 6);
        b[21] = keccak_rotl(a[8] ^ d3, 55);
        b[6] = keccak_rotl(a[9] ^ d4, 20);
        b[7] = keccak_rotl(a[10] ^ d0, 3);
        b[17] = keccak_rotl(a[11] ^ d1, 10);
        b[2] = keccak_rotl(a[12] ^ d2, 43);
        b[12] = keccak_rotl(a[13] ^ d3, 25);
        b[22] = keccak_rotl(a[14] ^ d4, 39);
        b[23] = keccak_rotl(a[15] ^ d0, 41);
        b[8] = keccak_rotl(a[16] ^ d1, 45);
        b[18] = keccak_rotl(a[17] ^ d2, 15);
        b[3] = keccak_rotl(a[18] ^ d3, 21);
        b[13] = keccak_rotl(a[19] ^ d4, 8);
        b[14] = keccak_rotl(a[20] ^ d0, 18);
        b[24] = keccak_rotl(a[21] ^ d1, 2);
        b[9] = keccak_rotl(a[22] ^ d2, 61);
        b[19] = keccak_rotl(a[23] ^ d3, 56);
        b[4] = keccak_rotl(a[24] ^ d4, 14);

        KECCAK_CHI_ROW(0);
        KECCAK_CHI_ROW(5);
        KECCAK_CHI_ROW(10);
        KECCAK_CHI_ROW(15);
        KECCAK_CHI_ROW(20);

        a[0] ^= keccak_round_constants[round]; /* iota */
    }
}

/* Lanes are little-endian by definition; assembling them bytewise keeps the
 * code right on any host without an endianness switch. */
static void keccak_absorb_block(uint64_t lanes[25], const uint8_t *block)
{
    for (int i = 0; i < KECCAK256_RATE / 8; i++) {
        uint64_t v = 0;
        for (int k = 7; k >= 0; k--)
            v = (v << 8) | block[8 * i + k];
        lanes[i] ^= v;
    }
    keccak_f1600(lanes);
}

void keccak256_init(keccak256_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
}

void keccak256_update(keccak256_ctx *ctx, const uint8_t *data, size_t len)
{
    if (len == 0) /* data may be NULL then, and memcpy must not see it */
        return;
    if (ctx->fill) {
        size_t take = KECCAK256_RATE - ctx->fill;
        if (take > len)
            take = len;
        memcpy(ctx->buf + ctx->fill, data, take);
        ctx->fill += take;
        data += take;
        len -= take;
        if (ctx->fill < KECCAK256_RATE)
            return;
        keccak_absorb_block(ctx->lanes, ctx->buf);
        ctx->fill = 0;
    }
    /* Whole blocks go straight from the caller's buffer. */
    while (len >= KECCAK256_RATE) {
        keccak_absorb_block(ctx->lanes, data);
        data += KECCAK256_RATE;
        len -= KECCAK256_RATE;
    }
    if (len) {
        memcpy(ctx->buf, data, len);
        ctx->fill = len;
    }
}

void keccak256_final(keccak256_ctx *ctx, uint8_t out[32])
{
    /* fill < rate always, so the padding fits in this block; when only one
     * byte is free, 0x01 and 0x80 share it as 0x81. */
    memset(ctx->buf + ctx->fill, 0, KECCAK256_RATE - ctx->fill);
    ctx->buf[ctx->fill] |= 0x01;
    ctx->buf[KECCAK256_RATE - 1] |= 0x80;
    keccak_absorb_block(ctx->lanes, ctx->buf);
    for (int i = 0; i < 32; i++)
        out[i] = (uint8_t)(ctx->lanes[i / 8] >> (8 * (i % 8)));
    ctx->fill = 0;
}

void keccak256(const uint8_t *data, size_t len, uint8_t out[32])
{
    keccak256_ctx ctx;
    keccak256_init(&ctx);
    keccak256_update(&ctx, data, len);
    keccak256_final(&ctx, out);
}
