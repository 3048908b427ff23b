/* vm/bn254.c — BN254 (alt_bn128) arithmetic for the ecadd / ecmul / ecpairing
 * precompiles: Montgomery arithmetic on four 64-bit limbs, the tower
 * Fp2 = Fp[u]/(u^2+1), Fp6 = Fp2[v]/(v^3-xi), Fp12 = Fp6[w]/(w^2-v) with
 * xi = 9+u, Jacobian group law on G1 (y^2 = x^3+3 over Fp) and on G2 (the
 * sextic twist y^2 = x^3+3/xi over Fp2), and the optimal ate pairing with
 * loop length 6t+2 followed by the exact final exponentiation (p^12-1)/r.
 *
 * Nothing here is constant-time: every input is public chain data. */
#include "bn254.h"

#include <gmp.h>
#include <string.h>

#if GMP_NUMB_BITS != 64
#error "bn254.c hands 64-bit limbs to GMP for field inversion"
#endif

typedef u256_u128 bn254_u128;

/* Field elements are u256 values in Montgomery form (x·2^256 mod p). */
typedef u256 bn254_fp;
typedef struct {
    bn254_fp c0, c1; /* c0 + c1·u */
} bn254_fp2;
typedef struct {
    bn254_fp2 c0, c1, c2; /* c0 + c1·v + c2·v^2 */
} bn254_fp6;
typedef struct {
    bn254_fp6 c0, c1; /* c0 + c1·w */
} bn254_fp12;

/* Jacobian points (X/Z^2, Y/Z^3); Z = 0 is the point at infinity. */
typedef struct {
    bn254_fp x, y, z;
} bn254_g1;
typedef struct {
    bn254_fp2 x, y, z;
} bn254_g2;

_Static_assert(sizeof(bn254_fp12) == sizeof(((bn254_pairing_acc *)0)->f),
               "the accumulator must hold exactly one Fp12");

/* ---- constants ------------------------------------------------------- */

/* p = 21888242871839275222246405745257275088696311157297823662689037894645226208583 */
static const u256 bn254_p = {
    {0x3c208c16d87cfd47, 0x97816a916871ca8d, 0xb85045b68181585d, 0x30644e72e131a029}};
/* r, the order of G1 and G2 */
static const u256 bn254_r = {
    {0x43e1f593f0000001, 0x2833e84879b97091, 0xb85045b68181585d, 0x30644e72e131a029}};
/* -p^-1 mod 2^64, the Montgomery reduction factor */
#define BN254_P_INV 0x87d20782e4866389ull
/* 2^512 mod p converts into Montgomery form; 2^768 mod p fixes up the two
 * factors of 2^-256 that a plain modular inverse of a Montgomery value loses. */
static const u256 bn254_r2 = {
    {0xf32cfc5b538afa89, 0xb5e71911d44501fb, 0x47ab1eff0a417ff6, 0x06d89f71cab8351f}};
static const u256 bn254_r3 = {
    {0xb1cd6dafda1530df, 0x62f210e6a7283db6, 0xef7f0b0c0ada0afb, 0x20fd6e902d592544}};
/* 1 and 3 in Montgomery form */
static const u256 bn254_mont_one = {
    {0xd35d438dc58f0d9d, 0x0a78eb28f5c70b3d, 0x666ea36f7879462c, 0x0e0a77c19a07df2f}};
static const u256 bn254_mont_three = {
    {0x7a17caa950ad28d7, 0x1f6ac17ae15521b9, 0x334bea4e696bd284, 0x2a1f6744ce179d8e}};

/* b' = 3/xi, the twist's constant (Montgomery form) */
static const bn254_fp2 bn254_twist_b = {
    {{0x3bf938e377b802a8, 0x020b1b273633535d, 0x26b7edf049755260, 0x2514c6324384a86d}},
    {{0x38e7ecccd1dcff67, 0x65f0b37d93ce0d3e, 0xd749d0dd22ac00aa, 0x0141b9ce4a688d4d}},
};

/* gamma_k = xi^(k(p-1)/6): the p-power Frobenius multiplies the coefficient
 * of w^k by conj(.)·gamma_k, since w^p = w·w^(p-1) and w^6 = xi. */
static const bn254_fp2 bn254_gamma[6] = {
    {{{0}}, {{0}}}, /* k = 0 is never used: the w^0 coefficient only conjugates */
    {{{0xaf9ba69633144907, 0xca6b1d7387afb78a, 0x11bded5ef08a2087, 0x02f34d751a1f3a7c}},
     {{0xa222ae234c492d72, 0xd00f02a4565de15b, 0xdc2ff3a253dfc926, 0x10a75716b3899551}}},
    {{{0xb5773b104563ab30, 0x347f91c8a9aa6454, 0x7a007127242e0991, 0x1956bcd8118214ec}},
     {{0x6e849f1ea0aa4757, 0xaa1c7b6d89f89141, 0xb6e713cdfae0ca3a, 0x26694fbb4e82ebc3}}},
    {{{0xe4bbdd0c2936b629, 0xbb30f162e133bacb, 0x31a9d1b6f9645366, 0x253570bea500f8dd}},
     {{0xa1d77ce45ffe77c7, 0x07affd117826d1db, 0x6d16bd27bb7edc6b, 0x2c87200285defecc}}},
    {{{0x7361d77f843abe92, 0xa5bb2bd3273411fb, 0x9c941f314b3e2399, 0x15df9cddbb9fd3ec}},
     {{0x5dddfd154bd8c949, 0x62cb29a5a4445b60, 0x37bc870a0c7dd2b9, 0x24830a9d3171f0fd}}},
    {{{0xc970692f41690fe7, 0xe240342127694b0b, 0x32bee66b83c459e8, 0x12aabced0ab08841}},
     {{0x0d485d2340aebfa9, 0x05193418ab2fcc57, 0xd3b0a40b8a4910f5, 0x2f21ebb535d2925a}}},
};

/* xi^((p^2-1)/3), which lies in Fp: the x factor of the p^2 Frobenius on the
 * twist (its y factor xi^((p^2-1)/2) is -1). */
static const u256 bn254_xi_p2_third = {
    {0x3350c88e13e80b9c, 0x7dce557cdb5e56b9, 0x6001b4b8b615564a, 0x2682e617020217e0}};

/* The ate loop length 6t+2 = 0x19d797039be763ba8 for t = 4965661367192848881:
 * 65 bits, the top one implicit in starting from T = Q. */
#define BN254_ATE_LOOP_LOW 0x9d797039be763ba8ull

/* 6t^2: the reference's G2 subgroup test checks psi(Q) == [6t^2]Q. */
static const u256 bn254_six_t_squared = {{0xf83e9682e87cfd46, 0x6f4d8248eeb859fb, 0, 0}};

/* ---- Fp -------------------------------------------------------------- */

/* Subtracts p when a >= p. Explicit 128-bit borrow chains and a mask keep
 * this branch-free and in registers; the generic u256 helpers spill their
 * carry flags through memory here. */
static inline bn254_fp bn254_fp_reduce_once(bn254_fp a)
{
    bn254_u128 d0 = (bn254_u128)a.w[0] - bn254_p.w[0];
    bn254_u128 d1 = (bn254_u128)a.w[1] - bn254_p.w[1] - (uint64_t)(d0 >> 127);
    bn254_u128 d2 = (bn254_u128)a.w[2] - bn254_p.w[2] - (uint64_t)(d1 >> 127);
    bn254_u128 d3 = (bn254_u128)a.w[3] - bn254_p.w[3] - (uint64_t)(d2 >> 127);
    uint64_t keep = (uint64_t)0 - (uint64_t)(d3 >> 127); /* all ones when a < p */
    bn254_fp r = {{(a.w[0] & keep) | ((uint64_t)d0 & ~keep), (a.w[1] & keep) | ((uint64_t)d1 & ~keep),
                   (a.w[2] & keep) | ((uint64_t)d2 & ~keep), (a.w[3] & keep) | ((uint64_t)d3 & ~keep)}};
    return r;
}

/* Inputs are < p < 2^254, so a sum never carries out of 256 bits. */
static inline bn254_fp bn254_fp_add(bn254_fp a, bn254_fp b)
{
    bn254_u128 s0 = (bn254_u128)a.w[0] + b.w[0];
    bn254_u128 s1 = (bn254_u128)a.w[1] + b.w[1] + (uint64_t)(s0 >> 64);
    bn254_u128 s2 = (bn254_u128)a.w[2] + b.w[2] + (uint64_t)(s1 >> 64);
    bn254_u128 s3 = (bn254_u128)a.w[3] + b.w[3] + (uint64_t)(s2 >> 64);
    bn254_fp r = {{(uint64_t)s0, (uint64_t)s1, (uint64_t)s2, (uint64_t)s3}};
    return bn254_fp_reduce_once(r);
}

static inline bn254_fp bn254_fp_sub(bn254_fp a, bn254_fp b)
{
    bn254_u128 d0 = (bn254_u128)a.w[0] - b.w[0];
    bn254_u128 d1 = (bn254_u128)a.w[1] - b.w[1] - (uint64_t)(d0 >> 127);
    bn254_u128 d2 = (bn254_u128)a.w[2] - b.w[2] - (uint64_t)(d1 >> 127);
    bn254_u128 d3 = (bn254_u128)a.w[3] - b.w[3] - (uint64_t)(d2 >> 127);
    uint64_t fix = (uint64_t)0 - (uint64_t)(d3 >> 127); /* all ones on borrow: add p back */
    bn254_u128 r0 = (bn254_u128)(uint64_t)d0 + (bn254_p.w[0] & fix);
    bn254_u128 r1 = (bn254_u128)(uint64_t)d1 + (bn254_p.w[1] & fix) + (uint64_t)(r0 >> 64);
    bn254_u128 r2 = (bn254_u128)(uint64_t)d2 + (bn254_p.w[2] & fix) + (uint64_t)(r1 >> 64);
    bn254_u128 r3 = (bn254_u128)(uint64_t)d3 + (bn254_p.w[3] & fix) + (uint64_t)(r2 >> 64);
    bn254_fp r = {{(uint64_t)r0, (uint64_t)r1, (uint64_t)r2, (uint64_t)r3}};
    return r;
}

static inline bn254_fp bn254_fp_neg(bn254_fp a)
{
    return u256_is_zero(a) ? a : u256_sub(bn254_p, a, NULL);
}

/* Montgomery product a·b·2^-256 mod p (CIOS). p's top limb is below
 * 2^62, which lets the reduction fold its carry into the multiplication
 * carry instead of keeping a fifth and sixth accumulator word; the result is
 * then < 2p and one conditional subtraction finishes. */
static bn254_fp bn254_fp_mul(bn254_fp a, bn254_fp b)
{
    const uint64_t p0 = bn254_p.w[0], p1 = bn254_p.w[1], p2 = bn254_p.w[2], p3 = bn254_p.w[3];
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t bi = b.w[i];
        bn254_u128 x = (bn254_u128)a.w[0] * bi + t0;
        t0 = (uint64_t)x;
        uint64_t m = t0 * BN254_P_INV;
        bn254_u128 y = (bn254_u128)m * p0 + t0;

        x = (bn254_u128)a.w[1] * bi + t1 + (uint64_t)(x >> 64);
        t1 = (uint64_t)x;
        y = (bn254_u128)m * p1 + t1 + (uint64_t)(y >> 64);
        t0 = (uint64_t)y;

        x = (bn254_u128)a.w[2] * bi + t2 + (uint64_t)(x >> 64);
        t2 = (uint64_t)x;
        y = (bn254_u128)m * p2 + t2 + (uint64_t)(y >> 64);
        t1 = (uint64_t)y;

        x = (bn254_u128)a.w[3] * bi + t3 + (uint64_t)(x >> 64);
        t3 = (uint64_t)x;
        y = (bn254_u128)m * p3 + t3 + (uint64_t)(y >> 64);
        t2 = (uint64_t)y;

        t3 = (uint64_t)(x >> 64) + (uint64_t)(y >> 64);
    }
    bn254_fp r = {{t0, t1, t2, t3}};
    return bn254_fp_reduce_once(r);
}

static inline bn254_fp bn254_fp_sqr(bn254_fp a)
{
    return bn254_fp_mul(a, a);
}

static inline bn254_fp bn254_fp_to_mont(u256 a)
{
    return bn254_fp_mul(a, bn254_r2);
}

static inline u256 bn254_fp_from_mont(bn254_fp a)
{
    return bn254_fp_mul(a, u256_from_u64(1));
}

/* GMP's extended gcd costs about a microsecond, several times less than a
 * Fermat power ladder; the affine Miller loop inverts once per step. Zero
 * (which only malformed arithmetic could produce) maps to zero. */
static bn254_fp bn254_fp_inv(bn254_fp a)
{
    mp_limb_t al[4], pl[4];
    for (int i = 0; i < 4; i++) {
        al[i] = a.w[i];
        pl[i] = bn254_p.w[i];
    }
    mpz_t za, zp, zi;
    mpz_roinit_n(za, al, 4);
    mpz_roinit_n(zp, pl, 4);
    mpz_init(zi);
    bn254_fp r = u256_zero();
    if (mpz_invert(zi, za, zp)) {
        size_t n = mpz_size(zi);
        for (size_t i = 0; i < n && i < 4; i++)
            r.w[i] = mpz_getlimbn(zi, (mp_size_t)i);
    }
    mpz_clear(zi);
    /* (x·R)^-1 · R^3 · R^-1 = x^-1 · R */
    return bn254_fp_mul(r, bn254_r3);
}

/* ---- Fp2 ------------------------------------------------------------- */

static inline bn254_fp2 bn254_fp2_make(bn254_fp c0, bn254_fp c1)
{
    bn254_fp2 r = {c0, c1};
    return r;
}

static inline bn254_fp2 bn254_fp2_zero(void)
{
    return bn254_fp2_make(u256_zero(), u256_zero());
}

static inline bn254_fp2 bn254_fp2_one(void)
{
    return bn254_fp2_make(bn254_mont_one, u256_zero());
}

static inline bool bn254_fp2_is_zero(bn254_fp2 a)
{
    return u256_is_zero(a.c0) && u256_is_zero(a.c1);
}

static inline bool bn254_fp2_eq(bn254_fp2 a, bn254_fp2 b)
{
    return u256_eq(a.c0, b.c0) && u256_eq(a.c1, b.c1);
}

static inline bn254_fp2 bn254_fp2_add(bn254_fp2 a, bn254_fp2 b)
{
    return bn254_fp2_make(bn254_fp_add(a.c0, b.c0), bn254_fp_add(a.c1, b.c1));
}

static inline bn254_fp2 bn254_fp2_sub(bn254_fp2 a, bn254_fp2 b)
{
    return bn254_fp2_make(bn254_fp_sub(a.c0, b.c0), bn254_fp_sub(a.c1, b.c1));
}

static inline bn254_fp2 bn254_fp2_neg(bn254_fp2 a)
{
    return bn254_fp2_make(bn254_fp_neg(a.c0), bn254_fp_neg(a.c1));
}

static inline bn254_fp2 bn254_fp2_dbl(bn254_fp2 a)
{
    return bn254_fp2_add(a, a);
}

static inline bn254_fp2 bn254_fp2_conj(bn254_fp2 a)
{
    return bn254_fp2_make(a.c0, bn254_fp_neg(a.c1));
}

/* Karatsuba: three base multiplications instead of four. */
static bn254_fp2 bn254_fp2_mul(bn254_fp2 a, bn254_fp2 b)
{
    bn254_fp t0 = bn254_fp_mul(a.c0, b.c0);
    bn254_fp t1 = bn254_fp_mul(a.c1, b.c1);
    bn254_fp t2 = bn254_fp_mul(bn254_fp_add(a.c0, a.c1), bn254_fp_add(b.c0, b.c1));
    return bn254_fp2_make(bn254_fp_sub(t0, t1), bn254_fp_sub(bn254_fp_sub(t2, t0), t1));
}

/* (a0 + a1u)^2 = (a0+a1)(a0-a1) + 2a0a1·u */
static bn254_fp2 bn254_fp2_sqr(bn254_fp2 a)
{
    bn254_fp t = bn254_fp_mul(a.c0, a.c1);
    return bn254_fp2_make(bn254_fp_mul(bn254_fp_add(a.c0, a.c1), bn254_fp_sub(a.c0, a.c1)),
                          bn254_fp_add(t, t));
}

static inline bn254_fp2 bn254_fp2_mul_fp(bn254_fp2 a, bn254_fp k)
{
    return bn254_fp2_make(bn254_fp_mul(a.c0, k), bn254_fp_mul(a.c1, k));
}

/* ·xi = ·(9+u): (9a0 - a1) + (a0 + 9a1)u, with 9a formed by additions. */
static bn254_fp2 bn254_fp2_mul_xi(bn254_fp2 a)
{
    bn254_fp2 a8 = bn254_fp2_dbl(bn254_fp2_dbl(bn254_fp2_dbl(a)));
    bn254_fp2 a9 = bn254_fp2_add(a8, a);
    return bn254_fp2_make(bn254_fp_sub(a9.c0, a.c1), bn254_fp_add(a9.c1, a.c0));
}

/* 1/(a0 + a1u) = (a0 - a1u)/(a0^2 + a1^2) */
static bn254_fp2 bn254_fp2_inv(bn254_fp2 a)
{
    bn254_fp n = bn254_fp_add(bn254_fp_sqr(a.c0), bn254_fp_sqr(a.c1));
    bn254_fp ni = bn254_fp_inv(n);
    return bn254_fp2_make(bn254_fp_mul(a.c0, ni), bn254_fp_neg(bn254_fp_mul(a.c1, ni)));
}

/* ---- Fp6 ------------------------------------------------------------- */

static inline bn254_fp6 bn254_fp6_make(bn254_fp2 c0, bn254_fp2 c1, bn254_fp2 c2)
{
    bn254_fp6 r = {c0, c1, c2};
    return r;
}

static inline bn254_fp6 bn254_fp6_add(bn254_fp6 a, bn254_fp6 b)
{
    return bn254_fp6_make(bn254_fp2_add(a.c0, b.c0), bn254_fp2_add(a.c1, b.c1), bn254_fp2_add(a.c2, b.c2));
}

static inline bn254_fp6 bn254_fp6_sub(bn254_fp6 a, bn254_fp6 b)
{
    return bn254_fp6_make(bn254_fp2_sub(a.c0, b.c0), bn254_fp2_sub(a.c1, b.c1), bn254_fp2_sub(a.c2, b.c2));
}

static inline bn254_fp6 bn254_fp6_neg(bn254_fp6 a)
{
    return bn254_fp6_make(bn254_fp2_neg(a.c0), bn254_fp2_neg(a.c1), bn254_fp2_neg(a.c2));
}

/* ·v shifts the coefficients up, and v^3 = xi wraps the top one around. */
static inline bn254_fp6 bn254_fp6_mul_v(bn254_fp6 a)
{
    return bn254_fp6_make(bn254_fp2_mul_xi(a.c2), a.c0, a.c1);
}

/* Karatsuba-style: six Fp2 products instead of nine. */
static bn254_fp6 bn254_fp6_mul(bn254_fp6 a, bn254_fp6 b)
{
    bn254_fp2 t0 = bn254_fp2_mul(a.c0, b.c0);
    bn254_fp2 t1 = bn254_fp2_mul(a.c1, b.c1);
    bn254_fp2 t2 = bn254_fp2_mul(a.c2, b.c2);
    bn254_fp2 s12 = bn254_fp2_mul(bn254_fp2_add(a.c1, a.c2), bn254_fp2_add(b.c1, b.c2));
    bn254_fp2 s01 = bn254_fp2_mul(bn254_fp2_add(a.c0, a.c1), bn254_fp2_add(b.c0, b.c1));
    bn254_fp2 s02 = bn254_fp2_mul(bn254_fp2_add(a.c0, a.c2), bn254_fp2_add(b.c0, b.c2));
    /* c0 = a0b0 + xi(a1b2 + a2b1), c1 = a0b1 + a1b0 + xi·a2b2, c2 = a0b2 + a2b0 + a1b1 */
    bn254_fp2 c0 = bn254_fp2_add(t0, bn254_fp2_mul_xi(bn254_fp2_sub(bn254_fp2_sub(s12, t1), t2)));
    bn254_fp2 c1 = bn254_fp2_add(bn254_fp2_sub(bn254_fp2_sub(s01, t0), t1), bn254_fp2_mul_xi(t2));
    bn254_fp2 c2 = bn254_fp2_add(bn254_fp2_sub(bn254_fp2_sub(s02, t0), t2), t1);
    return bn254_fp6_make(c0, c1, c2);
}

static inline bn254_fp6 bn254_fp6_sqr(bn254_fp6 a)
{
    return bn254_fp6_mul(a, a);
}

/* The inverse is the adjugate row (A, B, C) over the norm F, where
 * A = a0^2 - xi·a1a2, B = xi·a2^2 - a0a1, C = a1^2 - a0a2 and
 * F = a0A + xi(a2B + a1C). */
static bn254_fp6 bn254_fp6_inv(bn254_fp6 a)
{
    bn254_fp2 A = bn254_fp2_sub(bn254_fp2_sqr(a.c0), bn254_fp2_mul_xi(bn254_fp2_mul(a.c1, a.c2)));
    bn254_fp2 B = bn254_fp2_sub(bn254_fp2_mul_xi(bn254_fp2_sqr(a.c2)), bn254_fp2_mul(a.c0, a.c1));
    bn254_fp2 C = bn254_fp2_sub(bn254_fp2_sqr(a.c1), bn254_fp2_mul(a.c0, a.c2));
    bn254_fp2 F =
        bn254_fp2_add(bn254_fp2_mul(a.c0, A),
                      bn254_fp2_mul_xi(bn254_fp2_add(bn254_fp2_mul(a.c2, B), bn254_fp2_mul(a.c1, C))));
    bn254_fp2 Fi = bn254_fp2_inv(F);
    return bn254_fp6_make(bn254_fp2_mul(A, Fi), bn254_fp2_mul(B, Fi), bn254_fp2_mul(C, Fi));
}

/* ---- Fp12 ------------------------------------------------------------ */

static inline bn254_fp12 bn254_fp12_make(bn254_fp6 c0, bn254_fp6 c1)
{
    bn254_fp12 r = {c0, c1};
    return r;
}

static bn254_fp12 bn254_fp12_one(void)
{
    bn254_fp12 r;
    memset(&r, 0, sizeof r);
    r.c0.c0.c0 = bn254_mont_one;
    return r;
}

/* The twelve Fp coefficients in the order c0.c0.c0, c0.c0.c1, ..., c1.c2.c1;
 * every level is a struct of u256 values, so the layouts coincide. */
_Static_assert(sizeof(bn254_fp12) == 12 * sizeof(u256), "Fp12 is twelve packed u256");

static void bn254_fp12_to_words(const bn254_fp12 *a, u256 out[12])
{
    memcpy(out, a, sizeof *a);
}

static bool bn254_fp12_is_one(const bn254_fp12 *a)
{
    bn254_fp12 one = bn254_fp12_one();
    u256 x[12], y[12];
    bn254_fp12_to_words(a, x);
    bn254_fp12_to_words(&one, y);
    for (int i = 0; i < 12; i++)
        if (!u256_eq(x[i], y[i]))
            return false;
    return true;
}

static bn254_fp12 bn254_fp12_mul(bn254_fp12 a, bn254_fp12 b)
{
    bn254_fp6 t0 = bn254_fp6_mul(a.c0, b.c0);
    bn254_fp6 t1 = bn254_fp6_mul(a.c1, b.c1);
    bn254_fp6 s = bn254_fp6_mul(bn254_fp6_add(a.c0, a.c1), bn254_fp6_add(b.c0, b.c1));
    return bn254_fp12_make(bn254_fp6_add(t0, bn254_fp6_mul_v(t1)), bn254_fp6_sub(bn254_fp6_sub(s, t0), t1));
}

/* (a0 + a1w)^2 = (a0+a1)(a0+v·a1) - t - v·t + 2t·w with t = a0a1:
 * two Fp6 products instead of three. */
static bn254_fp12 bn254_fp12_sqr(bn254_fp12 a)
{
    bn254_fp6 t = bn254_fp6_mul(a.c0, a.c1);
    bn254_fp6 s = bn254_fp6_mul(bn254_fp6_add(a.c0, a.c1), bn254_fp6_add(a.c0, bn254_fp6_mul_v(a.c1)));
    return bn254_fp12_make(bn254_fp6_sub(bn254_fp6_sub(s, t), bn254_fp6_mul_v(t)), bn254_fp6_add(t, t));
}

/* The p^6 Frobenius: w -> -w. */
static inline bn254_fp12 bn254_fp12_conj(bn254_fp12 a)
{
    return bn254_fp12_make(a.c0, bn254_fp6_neg(a.c1));
}

/* 1/(a0 + a1w) = (a0 - a1w)/(a0^2 - v·a1^2) */
static bn254_fp12 bn254_fp12_inv(bn254_fp12 a)
{
    bn254_fp6 d = bn254_fp6_sub(bn254_fp6_sqr(a.c0), bn254_fp6_mul_v(bn254_fp6_sqr(a.c1)));
    bn254_fp6 di = bn254_fp6_inv(d);
    return bn254_fp12_make(bn254_fp6_mul(a.c0, di), bn254_fp6_neg(bn254_fp6_mul(a.c1, di)));
}

/* x -> x^p. In the w-power basis the Fp6 coefficients c0.c0, c0.c1, c0.c2,
 * c1.c0, c1.c1, c1.c2 belong to w^0, w^2, w^4, w^1, w^3, w^5. */
static bn254_fp12 bn254_fp12_frob(bn254_fp12 a)
{
    bn254_fp12 r;
    r.c0.c0 = bn254_fp2_conj(a.c0.c0);
    r.c0.c1 = bn254_fp2_mul(bn254_fp2_conj(a.c0.c1), bn254_gamma[2]);
    r.c0.c2 = bn254_fp2_mul(bn254_fp2_conj(a.c0.c2), bn254_gamma[4]);
    r.c1.c0 = bn254_fp2_mul(bn254_fp2_conj(a.c1.c0), bn254_gamma[1]);
    r.c1.c1 = bn254_fp2_mul(bn254_fp2_conj(a.c1.c1), bn254_gamma[3]);
    r.c1.c2 = bn254_fp2_mul(bn254_fp2_conj(a.c1.c2), bn254_gamma[5]);
    return r;
}

/* f^t for the curve parameter t = 0x44e992b44a6909f1. */
static bn254_fp12 bn254_fp12_pow_t(bn254_fp12 f)
{
    const uint64_t t = 0x44e992b44a6909f1ull;
    bn254_fp12 acc = f;
    for (int i = 61; i >= 0; i--) {
        acc = bn254_fp12_sqr(acc);
        if ((t >> i) & 1)
            acc = bn254_fp12_mul(acc, f);
    }
    return acc;
}

/* f^((p^12-1)/r), split as (p^6-1)(p^2+1) · (p^4-p^2+1)/r. The easy part
 * uses conjugation and Frobenius and lands in the cyclotomic subgroup, where
 * an inverse is a conjugate. The hard part writes (p^4-p^2+1)/r in base p
 * with coefficients polynomial in t:
 *   l3 = 1, l2 = 6t^2 + 1, l1 = -36t^3 - 18t^2 - 12t + 1,
 *   l0 = -36t^3 - 30t^2 - 18t - 2,
 * so three 63-bit powers by t, a few small powers and Frobenius maps give
 * the exact exponent (not a multiple of it: the pairing value itself is
 * compared against published vectors). */
static bn254_fp12 bn254_final_exp(bn254_fp12 f)
{
    bn254_fp12 m = bn254_fp12_mul(bn254_fp12_conj(f), bn254_fp12_inv(f));
    m = bn254_fp12_mul(bn254_fp12_frob(bn254_fp12_frob(m)), m);

    bn254_fp12 a = bn254_fp12_pow_t(m); /* m^t */
    bn254_fp12 b = bn254_fp12_pow_t(a); /* m^(t^2) */
    bn254_fp12 c = bn254_fp12_pow_t(b); /* m^(t^3) */

    bn254_fp12 a2 = bn254_fp12_sqr(a);
    bn254_fp12 a6 = bn254_fp12_sqr(bn254_fp12_mul(a2, a));
    bn254_fp12 a12 = bn254_fp12_sqr(a6);
    bn254_fp12 a18 = bn254_fp12_mul(a12, a6);

    bn254_fp12 b2 = bn254_fp12_sqr(b);
    bn254_fp12 b6 = bn254_fp12_sqr(bn254_fp12_mul(b2, b));
    bn254_fp12 b12 = bn254_fp12_sqr(b6);
    bn254_fp12 b18 = bn254_fp12_mul(b12, b6);
    bn254_fp12 b30 = bn254_fp12_mul(b18, b12);

    bn254_fp12 c9 = bn254_fp12_mul(bn254_fp12_sqr(bn254_fp12_sqr(bn254_fp12_sqr(c))), c);
    bn254_fp12 c36 = bn254_fp12_sqr(bn254_fp12_sqr(c9));

    /* m^l0 = conj(m^2 · a^18 · b^30 · c^36) */
    bn254_fp12 x0 = bn254_fp12_mul(bn254_fp12_mul(bn254_fp12_sqr(m), a18), bn254_fp12_mul(b30, c36));
    x0 = bn254_fp12_conj(x0);
    /* m^l1 = m · conj(a^12 · b^18 · c^36) */
    bn254_fp12 x1 = bn254_fp12_mul(bn254_fp12_mul(a12, b18), c36);
    x1 = bn254_fp12_mul(m, bn254_fp12_conj(x1));
    /* m^l2 = m · b^6 */
    bn254_fp12 x2 = bn254_fp12_mul(m, b6);

    bn254_fp12 r = bn254_fp12_mul(x0, bn254_fp12_frob(x1));
    r = bn254_fp12_mul(r, bn254_fp12_frob(bn254_fp12_frob(x2)));
    return bn254_fp12_mul(r, bn254_fp12_frob(bn254_fp12_frob(bn254_fp12_frob(m))));
}

/* ---- G1 -------------------------------------------------------------- */

static bn254_g1 bn254_g1_infinity(void)
{
    bn254_g1 r = {bn254_mont_one, bn254_mont_one, u256_zero()};
    return r;
}

/* dbl-2009-l for a = 0; Z = 0 stays 0 because Z3 = 2YZ. */
static bn254_g1 bn254_g1_dbl(bn254_g1 a)
{
    bn254_fp A = bn254_fp_sqr(a.x);
    bn254_fp B = bn254_fp_sqr(a.y);
    bn254_fp C = bn254_fp_sqr(B);
    bn254_fp D = bn254_fp_sub(bn254_fp_sub(bn254_fp_sqr(bn254_fp_add(a.x, B)), A), C);
    D = bn254_fp_add(D, D);
    bn254_fp E = bn254_fp_add(bn254_fp_add(A, A), A);
    bn254_fp F = bn254_fp_sqr(E);
    bn254_g1 r;
    r.x = bn254_fp_sub(F, bn254_fp_add(D, D));
    bn254_fp C8 = bn254_fp_add(C, C);
    C8 = bn254_fp_add(C8, C8);
    C8 = bn254_fp_add(C8, C8);
    r.y = bn254_fp_sub(bn254_fp_mul(E, bn254_fp_sub(D, r.x)), C8);
    bn254_fp yz = bn254_fp_mul(a.y, a.z);
    r.z = bn254_fp_add(yz, yz);
    return r;
}

/* add-2007-bl, with the cases the formula cannot take (an operand at
 * infinity, equal points, opposite points) peeled off first. */
static bn254_g1 bn254_g1_add_jac(bn254_g1 a, bn254_g1 b)
{
    if (u256_is_zero(a.z))
        return b;
    if (u256_is_zero(b.z))
        return a;
    bn254_fp z1z1 = bn254_fp_sqr(a.z);
    bn254_fp z2z2 = bn254_fp_sqr(b.z);
    bn254_fp u1 = bn254_fp_mul(a.x, z2z2);
    bn254_fp u2 = bn254_fp_mul(b.x, z1z1);
    bn254_fp s1 = bn254_fp_mul(bn254_fp_mul(a.y, b.z), z2z2);
    bn254_fp s2 = bn254_fp_mul(bn254_fp_mul(b.y, a.z), z1z1);
    bn254_fp h = bn254_fp_sub(u2, u1);
    bn254_fp rr = bn254_fp_sub(s2, s1);
    if (u256_is_zero(h))
        return u256_is_zero(rr) ? bn254_g1_dbl(a) : bn254_g1_infinity();
    rr = bn254_fp_add(rr, rr);
    bn254_fp i = bn254_fp_sqr(bn254_fp_add(h, h));
    bn254_fp j = bn254_fp_mul(h, i);
    bn254_fp v = bn254_fp_mul(u1, i);
    bn254_g1 r;
    r.x = bn254_fp_sub(bn254_fp_sub(bn254_fp_sqr(rr), j), bn254_fp_add(v, v));
    bn254_fp s1j = bn254_fp_mul(s1, j);
    r.y = bn254_fp_sub(bn254_fp_mul(rr, bn254_fp_sub(v, r.x)), bn254_fp_add(s1j, s1j));
    bn254_fp zs = bn254_fp_sqr(bn254_fp_add(a.z, b.z));
    r.z = bn254_fp_mul(bn254_fp_sub(bn254_fp_sub(zs, z1z1), z2z2), h);
    return r;
}

/* Index of the highest set bit, -1 for zero: ladders start there instead of
 * doubling the point at infinity through the leading zeros. */
static int bn254_top_bit(u256 k)
{
    for (int i = 3; i >= 0; i--)
        if (k.w[i])
            return i * 64 + 63 - __builtin_clzll(k.w[i]);
    return -1;
}

static bn254_g1 bn254_g1_mul_scalar(bn254_g1 p, u256 k)
{
    bn254_g1 acc = bn254_g1_infinity();
    for (int i = bn254_top_bit(k); i >= 0; i--) {
        acc = bn254_g1_dbl(acc);
        if ((k.w[i / 64] >> (i % 64)) & 1)
            acc = bn254_g1_add_jac(acc, p);
    }
    return acc;
}

/* Parses the reference's G1 encoding: both coordinates < p, (0, 0) is the
 * point at infinity, anything else must satisfy y^2 = x^3 + 3. */
static bool bn254_g1_decode(u256 x, u256 y, bn254_g1 *out)
{
    if (!u256_lt(x, bn254_p) || !u256_lt(y, bn254_p))
        return false;
    if (u256_is_zero(x) && u256_is_zero(y)) {
        *out = bn254_g1_infinity();
        return true;
    }
    bn254_fp mx = bn254_fp_to_mont(x), my = bn254_fp_to_mont(y);
    bn254_fp rhs = bn254_fp_add(bn254_fp_mul(bn254_fp_sqr(mx), mx), bn254_mont_three);
    if (!u256_eq(bn254_fp_sqr(my), rhs))
        return false;
    out->x = mx;
    out->y = my;
    out->z = bn254_mont_one;
    return true;
}

static void bn254_g1_encode(bn254_g1 p, u256 out[2])
{
    if (u256_is_zero(p.z)) {
        out[0] = out[1] = u256_zero();
        return;
    }
    bn254_fp zi = bn254_fp_inv(p.z);
    bn254_fp zi2 = bn254_fp_sqr(zi);
    out[0] = bn254_fp_from_mont(bn254_fp_mul(p.x, zi2));
    out[1] = bn254_fp_from_mont(bn254_fp_mul(p.y, bn254_fp_mul(zi2, zi)));
}

/* ---- G2 -------------------------------------------------------------- */

static bn254_g2 bn254_g2_infinity(void)
{
    bn254_g2 r = {bn254_fp2_one(), bn254_fp2_one(), bn254_fp2_zero()};
    return r;
}

/* The same two formulas as on G1, over Fp2. */
static bn254_g2 bn254_g2_dbl(bn254_g2 a)
{
    bn254_fp2 A = bn254_fp2_sqr(a.x);
    bn254_fp2 B = bn254_fp2_sqr(a.y);
    bn254_fp2 C = bn254_fp2_sqr(B);
    bn254_fp2 D = bn254_fp2_sub(bn254_fp2_sub(bn254_fp2_sqr(bn254_fp2_add(a.x, B)), A), C);
    D = bn254_fp2_dbl(D);
    bn254_fp2 E = bn254_fp2_add(bn254_fp2_dbl(A), A);
    bn254_fp2 F = bn254_fp2_sqr(E);
    bn254_g2 r;
    r.x = bn254_fp2_sub(F, bn254_fp2_dbl(D));
    bn254_fp2 C8 = bn254_fp2_dbl(bn254_fp2_dbl(bn254_fp2_dbl(C)));
    r.y = bn254_fp2_sub(bn254_fp2_mul(E, bn254_fp2_sub(D, r.x)), C8);
    r.z = bn254_fp2_dbl(bn254_fp2_mul(a.y, a.z));
    return r;
}

static bn254_g2 bn254_g2_add_jac(bn254_g2 a, bn254_g2 b)
{
    if (bn254_fp2_is_zero(a.z))
        return b;
    if (bn254_fp2_is_zero(b.z))
        return a;
    bn254_fp2 z1z1 = bn254_fp2_sqr(a.z);
    bn254_fp2 z2z2 = bn254_fp2_sqr(b.z);
    bn254_fp2 u1 = bn254_fp2_mul(a.x, z2z2);
    bn254_fp2 u2 = bn254_fp2_mul(b.x, z1z1);
    bn254_fp2 s1 = bn254_fp2_mul(bn254_fp2_mul(a.y, b.z), z2z2);
    bn254_fp2 s2 = bn254_fp2_mul(bn254_fp2_mul(b.y, a.z), z1z1);
    bn254_fp2 h = bn254_fp2_sub(u2, u1);
    bn254_fp2 rr = bn254_fp2_sub(s2, s1);
    if (bn254_fp2_is_zero(h))
        return bn254_fp2_is_zero(rr) ? bn254_g2_dbl(a) : bn254_g2_infinity();
    rr = bn254_fp2_dbl(rr);
    bn254_fp2 i = bn254_fp2_sqr(bn254_fp2_dbl(h));
    bn254_fp2 j = bn254_fp2_mul(h, i);
    bn254_fp2 v = bn254_fp2_mul(u1, i);
    bn254_g2 r;
    r.x = bn254_fp2_sub(bn254_fp2_sub(bn254_fp2_sqr(rr), j), bn254_fp2_dbl(v));
    r.y = bn254_fp2_sub(bn254_fp2_mul(rr, bn254_fp2_sub(v, r.x)), bn254_fp2_dbl(bn254_fp2_mul(s1, j)));
    bn254_fp2 zs = bn254_fp2_sqr(bn254_fp2_add(a.z, b.z));
    r.z = bn254_fp2_mul(bn254_fp2_sub(bn254_fp2_sub(zs, z1z1), z2z2), h);
    return r;
}

static bn254_g2 bn254_g2_mul_scalar(bn254_g2 p, u256 k)
{
    bn254_g2 acc = bn254_g2_infinity();
    for (int i = bn254_top_bit(k); i >= 0; i--) {
        acc = bn254_g2_dbl(acc);
        if ((k.w[i / 64] >> (i % 64)) & 1)
            acc = bn254_g2_add_jac(acc, p);
    }
    return acc;
}

/* The twist's untwist-Frobenius-twist endomorphism psi(x, y) =
 * (conj(x)·xi^((p-1)/3), conj(y)·xi^((p-1)/2)); on G2 it acts as
 * multiplication by p. */
static inline bn254_fp2 bn254_psi_x(bn254_fp2 x)
{
    return bn254_fp2_mul(bn254_fp2_conj(x), bn254_gamma[2]);
}

static inline bn254_fp2 bn254_psi_y(bn254_fp2 y)
{
    return bn254_fp2_mul(bn254_fp2_conj(y), bn254_gamma[3]);
}

/* The reference's subgroup test, reproduced as written rather than replaced
 * by [r]Q == O, so the two agree on every input: psi(Q) == [6t^2]Q.
 * q is affine (z = 1) or infinity. */
static bool bn254_g2_in_subgroup(bn254_g2 q)
{
    if (bn254_fp2_is_zero(q.z))
        return true; /* psi(O) = O = [k]O */
    bn254_g2 m = bn254_g2_mul_scalar(q, bn254_six_t_squared);
    if (bn254_fp2_is_zero(m.z))
        return false; /* psi of a finite point is finite */
    bn254_fp2 z2 = bn254_fp2_sqr(m.z);
    bn254_fp2 z3 = bn254_fp2_mul(z2, m.z);
    return bn254_fp2_eq(m.x, bn254_fp2_mul(bn254_psi_x(q.x), z2)) &&
           bn254_fp2_eq(m.y, bn254_fp2_mul(bn254_psi_y(q.y), z3));
}

/* Input words are {x.im, x.re, y.im, y.re}, the EIP-197 order. */
static bool bn254_g2_decode(const u256 w[4], bn254_g2 *out)
{
    for (int i = 0; i < 4; i++)
        if (!u256_lt(w[i], bn254_p))
            return false;
    if (u256_is_zero(w[0]) && u256_is_zero(w[1]) && u256_is_zero(w[2]) && u256_is_zero(w[3])) {
        *out = bn254_g2_infinity();
        return true;
    }
    bn254_fp2 x = bn254_fp2_make(bn254_fp_to_mont(w[1]), bn254_fp_to_mont(w[0]));
    bn254_fp2 y = bn254_fp2_make(bn254_fp_to_mont(w[3]), bn254_fp_to_mont(w[2]));
    bn254_fp2 rhs = bn254_fp2_add(bn254_fp2_mul(bn254_fp2_sqr(x), x), bn254_twist_b);
    if (!bn254_fp2_eq(bn254_fp2_sqr(y), rhs))
        return false;
    out->x = x;
    out->y = y;
    out->z = bn254_fp2_one();
    return true;
}

/* ---- pairing --------------------------------------------------------- */

/* Multiplies f by the line of slope lambda through (xt, yt) on the twist,
 * evaluated at P. Untwisting maps (x, y) to (x·w^2, y·w^3) and the slope to
 * lambda·w, so the line is yP - lambda·xP·w + (lambda·xt - yt)·w^3, and
 * w^3 = v·w puts the last term at c1.c1. */
static bn254_fp12 bn254_line_mul(bn254_fp12 f, bn254_fp2 lambda, bn254_fp2 xt, bn254_fp2 yt, bn254_fp px,
                                 bn254_fp py)
{
    bn254_fp12 l;
    memset(&l, 0, sizeof l);
    l.c0.c0.c0 = py;
    l.c1.c0 = bn254_fp2_neg(bn254_fp2_mul_fp(lambda, px));
    l.c1.c1 = bn254_fp2_sub(bn254_fp2_mul(lambda, xt), yt);
    return bn254_fp12_mul(f, l);
}

/* Adds (x2, y2) to the affine point (*x, *y) and multiplies f by the chord;
 * the loop never meets T = ±Q for points of order r, so the slope exists. */
static bn254_fp12 bn254_miller_add(bn254_fp12 f, bn254_fp2 *x, bn254_fp2 *y, bn254_fp2 x2, bn254_fp2 y2,
                                   bn254_fp px, bn254_fp py)
{
    bn254_fp2 lambda = bn254_fp2_mul(bn254_fp2_sub(y2, *y), bn254_fp2_inv(bn254_fp2_sub(x2, *x)));
    f = bn254_line_mul(f, lambda, *x, *y, px, py);
    bn254_fp2 x3 = bn254_fp2_sub(bn254_fp2_sub(bn254_fp2_sqr(lambda), *x), x2);
    *y = bn254_fp2_sub(bn254_fp2_mul(lambda, bn254_fp2_sub(*x, x3)), *y);
    *x = x3;
    return f;
}

/* The optimal ate Miller loop f_{6t+2,Q}(P) · l_{T,pi(Q)}(P) · l_{T',-pi^2(Q)}(P)
 * with T kept affine. Vertical lines are left out: they lie in Fp6 and the
 * final exponentiation sends them to one. */
static bn254_fp12 bn254_miller_loop(const bn254_g1 *p, const bn254_g2 *q)
{
    bn254_fp px = p->x, py = p->y; /* both affine (z = 1) */
    bn254_fp2 qx = q->x, qy = q->y;
    bn254_fp2 tx = qx, ty = qy;
    bn254_fp12 f = bn254_fp12_one();

    for (int i = 63; i >= 0; i--) {
        f = bn254_fp12_sqr(f);
        /* tangent: lambda = 3x^2 / 2y */
        bn254_fp2 x2 = bn254_fp2_sqr(tx);
        bn254_fp2 lambda =
            bn254_fp2_mul(bn254_fp2_add(bn254_fp2_dbl(x2), x2), bn254_fp2_inv(bn254_fp2_dbl(ty)));
        f = bn254_line_mul(f, lambda, tx, ty, px, py);
        bn254_fp2 nx = bn254_fp2_sub(bn254_fp2_sqr(lambda), bn254_fp2_dbl(tx));
        ty = bn254_fp2_sub(bn254_fp2_mul(lambda, bn254_fp2_sub(tx, nx)), ty);
        tx = nx;
        if ((BN254_ATE_LOOP_LOW >> i) & 1)
            f = bn254_miller_add(f, &tx, &ty, qx, qy, px, py);
    }

    /* Q1 = pi(Q), Q2 = -pi^2(Q) = (x·xi^((p^2-1)/3), y) */
    f = bn254_miller_add(f, &tx, &ty, bn254_psi_x(qx), bn254_psi_y(qy), px, py);
    f = bn254_miller_add(f, &tx, &ty, bn254_fp2_mul_fp(qx, bn254_xi_p2_third), qy, px, py);
    return f;
}

/* Decodes and validates one pair; *skip is set when either point is the
 * point at infinity, whose pairing is one. */
static bool bn254_pair_decode(const u256 in[6], bn254_g1 *p, bn254_g2 *q, bool *skip)
{
    /* The reference range-checks all six words before parsing any point;
     * any failure gives the same result, so the order here is free. */
    if (!bn254_g1_decode(in[0], in[1], p))
        return false;
    if (!bn254_g2_decode(in + 2, q))
        return false;
    /* The subgroup test runs even when the G1 point is at infinity. */
    if (!bn254_g2_in_subgroup(*q))
        return false;
    *skip = u256_is_zero(p->z) || bn254_fp2_is_zero(q->z);
    return true;
}

/* ---- public API ------------------------------------------------------ */

bool bn254_g1_add(const u256 in[4], u256 out[2])
{
    bn254_g1 a, b;
    if (!bn254_g1_decode(in[0], in[1], &a) || !bn254_g1_decode(in[2], in[3], &b))
        return false;
    bn254_g1_encode(bn254_g1_add_jac(a, b), out);
    return true;
}

bool bn254_g1_mul(const u256 in[3], u256 out[2])
{
    bn254_g1 a;
    if (!bn254_g1_decode(in[0], in[1], &a))
        return false;
    /* The reference reduces the scalar mod r by repeated subtraction;
     * 2^256 < 6r, so this loop runs at most five times. */
    u256 k = in[2];
    while (!u256_lt(k, bn254_r))
        k = u256_sub(k, bn254_r, NULL);
    bn254_g1_encode(bn254_g1_mul_scalar(a, k), out);
    return true;
}

void bn254_pairing_begin(bn254_pairing_acc *acc)
{
    bn254_fp12 one = bn254_fp12_one();
    memcpy(acc->f, &one, sizeof acc->f);
}

bool bn254_pairing_add(bn254_pairing_acc *acc, const u256 in[6])
{
    bn254_g1 p;
    bn254_g2 q;
    bool skip;
    if (!bn254_pair_decode(in, &p, &q, &skip))
        return false;
    if (skip)
        return true;
    bn254_fp12 f;
    memcpy(&f, acc->f, sizeof f);
    f = bn254_fp12_mul(f, bn254_miller_loop(&p, &q));
    memcpy(acc->f, &f, sizeof acc->f);
    return true;
}

bool bn254_pairing_end(const bn254_pairing_acc *acc)
{
    bn254_fp12 f;
    memcpy(&f, acc->f, sizeof f);
    /* Multiplying Miller loops and exponentiating once equals multiplying
     * the individual pairings: the final exponentiation is a homomorphism. */
    f = bn254_final_exp(f);
    return bn254_fp12_is_one(&f);
}

bool bn254_pairing_value(const u256 in[6], u256 out[12])
{
    bn254_g1 p;
    bn254_g2 q;
    bool skip;
    if (!bn254_pair_decode(in, &p, &q, &skip))
        return false;
    bn254_fp12 f = skip ? bn254_fp12_one() : bn254_final_exp(bn254_miller_loop(&p, &q));
    bn254_fp12_to_words(&f, out);
    for (int i = 0; i < 12; i++)
        out[i] = bn254_fp_from_mont(out[i]);
    return true;
}
