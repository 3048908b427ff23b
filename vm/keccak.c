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

/* rho offsets indexed by lane x + 5y. */
static const unsigned keccak_rho[25] = {
    0,  1,  62, 28, 27,
    36, 44, 6,  55, 20,
    3,  10, 43, 25, 39,
    41, 45, 15, 21, 8,
    18, 2,  61, 56, 14,
};

static inline uint64_t keccak_rotl(uint64_t v, unsigned n)
{
    /* The mask keeps n == 0 from shifting by 64, which C leaves undefined. */
    return (v << n) | (v >> ((64 - n) & 63));
}

void keccak_f1600(uint64_t a[25])
{
    for (int round = 0; round < 24; round++) {
        uint64_t c[5], b[25];

        /* theta */
        for (int x = 0; x < 5; x++)
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        for (int x = 0; x < 5; x++) {
            uint64_t d = c[(x + 4) % 5] ^ keccak_rotl(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5)
                a[x + y] ^= d;
        }

        /* rho and pi together: lane (x, y) lands at (y, 2x + 3y). */
        for (int x = 0; x < 5; x++)
            for (int y = 0; y < 5; y++)
                b[y + 5 * ((2 * x + 3 * y) % 5)] = keccak_rotl(a[x + 5 * y], keccak_rho[x + 5 * y]);

        /* chi */
        for (int y = 0; y < 25; y += 5)
            for (int x = 0; x < 5; x++)
                a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y]);

        /* iota */
        a[0] ^= keccak_round_constants[round];
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
