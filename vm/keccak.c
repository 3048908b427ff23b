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

/* One row of the next state: the five lanes rho and pi bring to it (each
 * V rotated by R), then chi across them. */
#define KECCAK_ROW(E0, E1, E2, E3, E4, V0, R0, V1, R1, V2, R2, V3, R3, V4, R4) \
    do {                                                                    \
        uint64_t b0 = keccak_rotl((V0), (R0)), b1 = keccak_rotl((V1), (R1)); \
        uint64_t b2 = keccak_rotl((V2), (R2)), b3 = keccak_rotl((V3), (R3)); \
        uint64_t b4 = keccak_rotl((V4), (R4));                              \
        E0 = b0 ^ (~b1 & b2);                                               \
        E1 = b1 ^ (~b2 & b3);                                               \
        E2 = b2 ^ (~b3 & b4);                                               \
        E3 = b3 ^ (~b4 & b0);                                               \
        E4 = b4 ^ (~b0 & b1);                                               \
    } while (0)

/* One round from the lanes named A0..A24 into E0..E24 (lane (x, y) is
 * number x + 5y): theta's column parities folded into each lane, rho and
 * pi (lane (x, y) moves to (y, 2x + 3y), rotated by the FIPS 202 offset)
 * row by row, chi, and iota's constant RC. */
#define KECCAK_ROUND(A, E, RC)                                              \
    do {                                                                    \
        uint64_t c0 = A##0 ^ A##5 ^ A##10 ^ A##15 ^ A##20;                  \
        uint64_t c1 = A##1 ^ A##6 ^ A##11 ^ A##16 ^ A##21;                  \
        uint64_t c2 = A##2 ^ A##7 ^ A##12 ^ A##17 ^ A##22;                  \
        uint64_t c3 = A##3 ^ A##8 ^ A##13 ^ A##18 ^ A##23;                  \
        uint64_t c4 = A##4 ^ A##9 ^ A##14 ^ A##19 ^ A##24;                  \
        uint64_t d0 = c4 ^ keccak_rotl(c1, 1), d1 = c0 ^ keccak_rotl(c2, 1); \
        uint64_t d2 = c1 ^ keccak_rotl(c3, 1), d3 = c2 ^ keccak_rotl(c4, 1); \
        uint64_t d4 = c3 ^ keccak_rotl(c0, 1);                              \
        KECCAK_ROW(E##0, E##1, E##2, E##3, E##4,                            \
                   A##0 ^ d0, 0, A##6 ^ d1, 44, A##12 ^ d2, 43,             \
                   A##18 ^ d3, 21, A##24 ^ d4, 14);                         \
        KECCAK_ROW(E##5, E##6, E##7, E##8, E##9,                            \
                   A##3 ^ d3, 28, A##9 ^ d4, 20, A##10 ^ d0, 3,             \
                   A##16 ^ d1, 45, A##22 ^ d2, 61);                         \
        KECCAK_ROW(E##10, E##11, E##12, E##13, E##14,                       \
                   A##1 ^ d1, 1, A##7 ^ d2, 6, A##13 ^ d3, 25,              \
                   A##19 ^ d4, 8, A##20 ^ d0, 18);                          \
        KECCAK_ROW(E##15, E##16, E##17, E##18, E##19,                       \
                   A##4 ^ d4, 27, A##5 ^ d0, 36, A##11 ^ d1, 10,            \
                   A##17 ^ d2, 15, A##23 ^ d3, 56);                         \
        KECCAK_ROW(E##20, E##21, E##22, E##23, E##24,                       \
                   A##2 ^ d2, 62, A##8 ^ d3, 55, A##14 ^ d4, 39,            \
                   A##15 ^ d0, 41, A##21 ^ d1, 2);                          \
        E##0 ^= (RC);                                                       \
    } while (0)

#define KECCAK_LANES(X)                                                     \
    X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12)     \
    X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24)

/* The state lives in 25 locals, two rounds per pass (a into e, e back into
 * a), so that a round's lanes are not stored to an array and loaded back
 * (the compiler still spills some): 9% faster a permutation than the
 * two-array version (clang 19 -O2, 200,000 permutations, 300 against 330 ns
 * on the 2-core Xeon; with gcc 12, 3% slower: 330 against 318 ns, and
 * clang is the default build). */
#define KECCAK_F1600_BODY(st)                                               \
    do {                                                                    \
        KECCAK_LANES(KECCAK_LOAD)                                           \
        for (int round = 0; round < 24; round += 2) {                       \
            KECCAK_ROUND(a, e, keccak_round_constants[round]);              \
            KECCAK_ROUND(e, a, keccak_round_constants[round + 1]);          \
        }                                                                   \
        KECCAK_LANES(KECCAK_STORE)                                          \
    } while (0)
#define KECCAK_LOAD(i) uint64_t a##i = st[i], e##i;
#define KECCAK_STORE(i) st[i] = a##i;

void keccak_f1600_portable(uint64_t st[25])
{
    KECCAK_F1600_BODY(st);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* The same compiled for BMI1 and BMI2, where the CPU has them: chi's
 * ~b & c is one andn, and rorx rotates into another register without
 * touching the flags (199 against 254 ns a permutation with clang 19 on
 * the 2-core Xeon). The build stays baseline x86-64, which the whole
 * engine is faster at (x86-64-v3 made call_far 27% slower), so this one
 * function is picked at run time. */
__attribute__((target("bmi,bmi2"))) static void keccak_f1600_bmi(uint64_t st[25])
{
    KECCAK_F1600_BODY(st);
}

static void keccak_f1600_pick(uint64_t st[25]);
static void (*keccak_f1600_impl)(uint64_t st[25]) = keccak_f1600_pick;

/* the first call: choose, then run (a race only stores the same pointer) */
static void keccak_f1600_pick(uint64_t st[25])
{
    __builtin_cpu_init();
    void (*f)(uint64_t *) = __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2")
                                ? keccak_f1600_bmi
                                : keccak_f1600_portable;
    __atomic_store_n(&keccak_f1600_impl, f, __ATOMIC_RELAXED);
    f(st);
}

void keccak_f1600(uint64_t st[25])
{
    __atomic_load_n(&keccak_f1600_impl, __ATOMIC_RELAXED)(st);
}
#else
void keccak_f1600(uint64_t st[25])
{
    keccak_f1600_portable(st);
}
#endif
#undef KECCAK_LOAD
#undef KECCAK_STORE

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
