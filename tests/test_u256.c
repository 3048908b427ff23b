/* tests/test_u256.c — checks every vm/u256.h operation against GMP on a
 * million edge-skewed random operand pairs each, on every pair from a fixed
 * list of edge values, and on a few hand-computed known answers. */
#include <gmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "u256.h"

/* The oracle side passes u256 limbs straight to mpn, which is only sound
 * when a GMP limb is a full 64-bit word with no nail bits. */
_Static_assert(GMP_NUMB_BITS == 64 && sizeof(mp_limb_t) == 8, "mpn limbs must be 64-bit");

#define PAIRS 1000000

/* ---- deterministic operands ------------------------------------------- */

/* splitmix64: tiny, fast, and every seed gives a well-mixed stream, so each
 * case can reseed and stay reproducible on its own. */
static uint64_t test_rng_state;

static void test_seed(uint64_t s)
{
    test_rng_state = s;
}

static uint64_t test_rand(void)
{
    uint64_t z = (test_rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static unsigned test_below(unsigned n)
{
    return (unsigned)(test_rand() % n);
}

/* Operands are built limb by limb (or with mpn) rather than with the code
 * under test, so a bug in u256_shl or u256_sub cannot hide itself. */
static u256 test_pow2(unsigned k)
{
    u256 r = {{0, 0, 0, 0}};
    if (k < 256)
        r.w[k >> 6] = (uint64_t)1 << (k & 63);
    return r;
}

/* 2^k - 1 for k in 0..256. */
static u256 test_mask(unsigned k)
{
    u256 r = {{0, 0, 0, 0}};
    for (unsigned i = 0; i < 4; i++) {
        if (k >= 64 * (i + 1))
            r.w[i] = UINT64_MAX;
        else if (k > 64 * i)
            r.w[i] = ((uint64_t)1 << (k - 64 * i)) - 1;
    }
    return r;
}

static u256 test_add_small(u256 a, uint64_t x)
{
    mpn_add_1((mp_limb_t *)a.w, (const mp_limb_t *)a.w, 4, x);
    return a;
}

static u256 test_sub_small(u256 a, uint64_t x)
{
    mpn_sub_1((mp_limb_t *)a.w, (const mp_limb_t *)a.w, 4, x);
    return a;
}

static u256 test_random_full(void)
{
    u256 r = {{test_rand(), test_rand(), test_rand(), test_rand()}};
    return r;
}

/* Limb values that sit on carry, borrow and normalisation boundaries; whole
 * words built from them drive the rare add-back step of long division far
 * more often than uniform random words do. */
static uint64_t test_pattern_limb(void)
{
    static const uint64_t pats[] = {
        0, 1, 2, UINT64_MAX, UINT64_MAX - 1, (uint64_t)1 << 63, ((uint64_t)1 << 63) - 1,
        ((uint64_t)1 << 63) + 1, 0xffffffff, 0x100000000,
    };
    unsigned n = sizeof pats / sizeof pats[0];
    unsigned pick = test_below(n + 2);
    return pick < n ? pats[pick] : test_rand();
}

static u256 test_gen(void)
{
    u256 r = {{0, 0, 0, 0}};
    switch (test_below(16)) {
    case 0:
        return r;
    case 1:
        r.w[0] = 1;
        return r;
    case 2:
        r.w[0] = 2;
        return r;
    case 3:
        return test_pow2(test_below(256));
    case 4:
        return test_mask(test_below(257));
    case 5:
        return test_add_small(test_pow2(test_below(256)), 1);
    case 6:
        return test_mask(256);
    case 7:
        r.w[0] = test_rand();
        return r;
    case 8:
        r.w[3] = test_rand();
        return r;
    case 9:
        r.w[test_below(4)] = test_rand();
        return r;
    case 10:
        for (int i = 0; i < 4; i++)
            r.w[i] = test_pattern_limb();
        return r;
    case 11: {
        /* Random bit length, so every limb count and leading-zero count of
         * divisor and dividend shows up. */
        u256 x = test_random_full(), m = test_mask(test_below(257));
        for (int i = 0; i < 4; i++)
            r.w[i] = x.w[i] & m.w[i];
        return r;
    }
    case 12: {
        u256 x = test_pow2(test_below(256));
        for (int i = 0; i < 4; i++)
            r.w[i] = ~x.w[i];
        return r;
    }
    default:
        return test_random_full();
    }
}

/* A second operand related to the first, for division and comparison where
 * the interesting cases are quotients of 0, 1 and small powers of two. */
static u256 test_gen_near(u256 a)
{
    switch (test_below(8)) {
    case 0:
        return a;
    case 1:
        return test_add_small(a, 1);
    case 2:
        return test_sub_small(a, 1);
    case 3: {
        unsigned k = 1 + test_below(255);
        mpz_t t;
        mpz_init(t);
        mpz_import(t, 4, -1, 8, 0, 0, a.w);
        mpz_fdiv_q_2exp(t, t, k);
        u256 r = {{0, 0, 0, 0}};
        mpz_export(r.w, NULL, -1, 8, 0, 0, t);
        mpz_clear(t);
        return r;
    }
    case 4:
        a.w[test_below(4)] ^= (uint64_t)1 << test_below(64);
        return a;
    case 5:
        a.w[0] = test_rand();
        return a;
    case 6:
        return test_add_small(a, test_rand() & 0xffff);
    default:
        return test_sub_small(a, test_rand() & 0xffff);
    }
}

/* ---- the fixed edge list ---------------------------------------------- */

#define EDGE_MAX 80
static u256 edges[EDGE_MAX];
static int n_edges;

static void edge_add(u256 v)
{
    if (n_edges < EDGE_MAX)
        edges[n_edges++] = v;
}

static void edge_add_limbs(uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3)
{
    u256 v = {{w0, w1, w2, w3}};
    edge_add(v);
}

static void edge_add_dec(const char *s)
{
    mpz_t t;
    mpz_init_set_str(t, s, 10);
    u256 v = {{0, 0, 0, 0}};
    mpz_export(v.w, NULL, -1, 8, 0, 0, t);
    mpz_clear(t);
    edge_add(v);
}

static void edges_build(void)
{
    static const unsigned ks[] = {31, 32, 63, 64, 65, 127, 128, 129, 191, 192, 193, 255};
    static const unsigned kplus[] = {32, 64, 128, 192, 255};
    const uint64_t top = (uint64_t)1 << 63, ones = UINT64_MAX;

    for (uint64_t x = 0; x <= 3; x++)
        edge_add_limbs(x, 0, 0, 0);
    edge_add_limbs(7, 0, 0, 0);
    edge_add_limbs(10, 0, 0, 0);
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        edge_add(test_pow2(ks[i]));
        edge_add(test_mask(ks[i]));
    }
    for (size_t i = 0; i < sizeof kplus / sizeof kplus[0]; i++)
        edge_add(test_add_small(test_pow2(kplus[i]), 1));
    edge_add(test_mask(256));
    edge_add(test_sub_small(test_mask(256), 1));
    edge_add(test_sub_small(test_mask(256), 2));
    edge_add_limbs(0, ones, 0, 0);
    edge_add_limbs(0, 0, ones, 0);
    edge_add_limbs(0, 0, 0, ones);
    edge_add_limbs(0x5555555555555555u, 0x5555555555555555u, 0x5555555555555555u,
                   0x5555555555555555u);
    edge_add_limbs(0xaaaaaaaaaaaaaaaau, 0xaaaaaaaaaaaaaaaau, 0xaaaaaaaaaaaaaaaau,
                   0xaaaaaaaaaaaaaaaau);
    edge_add_limbs(0x0123456789abcdefu, 0x0123456789abcdefu, 0x0123456789abcdefu,
                   0x0123456789abcdefu);
    edge_add_dec("10000000000000000000");
    edge_add_dec("9999999999999999999");
    edge_add_dec("100000000000000000000000000000000000000");
    edge_add_dec("100000000000000000000000000000000000000000000000000000000000000000000000000"
                 "00");
    edge_add_limbs(0, ones, ones, ones);
    edge_add_limbs(0, 0, ones, ones);
    edge_add_limbs(0, 0, 0, ones);
    edge_add_limbs(ones, 0, 0, top - 1);
    edge_add_limbs(0, ones, ones, 0);
    edge_add_limbs(ones, ones, 0, 1);
    edge_add_limbs(top, 0, top, 0);
    edge_add_limbs(0, ones, top - 1, 0);
    edge_add_limbs(ones - 1, ones, ones, 0);
    edge_add_limbs(0, 0, top, top);
    edge_add_limbs(1, 0, 0, 1);
    test_seed(0xed6e5eed);
    for (int i = 0; i < 4; i++)
        edge_add(test_random_full());
}

/* ---- reporting -------------------------------------------------------- */

/* Failure messages print several operands in one printf, so hex strings
 * rotate through a few buffers. Built with snprintf, not u256_to_hex,
 * so the report cannot inherit a bug in the code under test. */
static const char *hx(u256 a)
{
    static char bufs[6][80];
    static int next;
    char *b = bufs[next];
    next = (next + 1) % 6;
    snprintf(b, 80, "0x%016llx_%016llx_%016llx_%016llx", (unsigned long long)a.w[3],
             (unsigned long long)a.w[2], (unsigned long long)a.w[1], (unsigned long long)a.w[0]);
    return b;
}

static bool same(u256 a, const mp_limb_t *x)
{
    return a.w[0] == x[0] && a.w[1] == x[1] && a.w[2] == x[2] && a.w[3] == x[3];
}

static int limbs_used(const mp_limb_t *x)
{
    int n = 4;
    while (n > 0 && x[n - 1] == 0)
        n--;
    return n;
}

static u256 from_mpz(const mpz_t z)
{
    u256 r = {{0, 0, 0, 0}};
    size_t n = mpz_size(z);
    const mp_limb_t *l = mpz_limbs_read(z);
    for (size_t i = 0; i < n && i < 4; i++)
        r.w[i] = l[i];
    return r;
}

#define LIMBS(a) ((const mp_limb_t *)(a).w)

/* ---- per-operation checks --------------------------------------------- */

static mpz_t za, zt, zu;

static void check_add(u256 a, u256 b)
{
    mp_limb_t want[4];
    mp_limb_t c = mpn_add_n(want, LIMBS(a), LIMBS(b), 4);
    bool carry = !c;
    u256 got = u256_add(a, b, &carry);
    EXPECT(same(got, want) && carry == (c != 0), "add %s + %s", hx(a), hx(b));
    EXPECT(same(u256_add(a, b, NULL), want), "add (NULL carry) %s + %s", hx(a), hx(b));
}

static void check_sub(u256 a, u256 b)
{
    mp_limb_t want[4];
    mp_limb_t c = mpn_sub_n(want, LIMBS(a), LIMBS(b), 4);
    bool borrow = !c;
    u256 got = u256_sub(a, b, &borrow);
    EXPECT(same(got, want) && borrow == (c != 0), "sub %s - %s", hx(a), hx(b));
    EXPECT(same(u256_sub(a, b, NULL), want), "sub (NULL borrow) %s - %s", hx(a), hx(b));
}

static void check_mul(u256 a, u256 b)
{
    mp_limb_t want[8];
    mpn_mul_n(want, LIMBS(a), LIMBS(b), 4);
    u256 hi;
    u256 lo = u256_mul(a, b, &hi);
    EXPECT(same(lo, want) && same(hi, want + 4), "mul %s * %s", hx(a), hx(b));
    EXPECT(same(u256_mul(a, b, NULL), want), "mul (low only) %s * %s", hx(a), hx(b));
}

static void oracle_divmod(u256 a, u256 b, mp_limb_t q[4], mp_limb_t r[4])
{
    memset(q, 0, 4 * sizeof q[0]);
    memset(r, 0, 4 * sizeof r[0]);
    int nn = limbs_used(LIMBS(a)), dn = limbs_used(LIMBS(b));
    if (dn == 0)
        return; /* EraVM: x / 0 = x % 0 = 0 */
    if (nn < dn) {
        memcpy(r, a.w, 4 * sizeof r[0]);
        return;
    }
    mpn_tdiv_qr(q, r, 0, LIMBS(a), nn, LIMBS(b), dn);
}

static void check_div(u256 a, u256 b)
{
    mp_limb_t q[4], r[4];
    oracle_divmod(a, b, q, r);
    u256 gq, gr;
    u256_divmod(a, b, &gq, &gr);
    EXPECT(same(gq, q), "div %s / %s = %s", hx(a), hx(b), hx(gq));
    EXPECT(same(u256_div(a, b), q), "u256_div %s / %s", hx(a), hx(b));
    u256 only;
    u256_divmod(a, b, &only, NULL);
    EXPECT(same(only, q), "divmod (NULL r) %s / %s", hx(a), hx(b));
}

static void check_mod(u256 a, u256 b)
{
    mp_limb_t q[4], r[4];
    oracle_divmod(a, b, q, r);
    u256 gq, gr;
    u256_divmod(a, b, &gq, &gr);
    EXPECT(same(gr, r), "mod %s %% %s = %s", hx(a), hx(b), hx(gr));
    EXPECT(same(u256_mod(a, b), r), "u256_mod %s %% %s", hx(a), hx(b));
    u256 only;
    u256_divmod(a, b, NULL, &only);
    EXPECT(same(only, r), "divmod (NULL q) %s %% %s", hx(a), hx(b));
}

static void check_and(u256 a, u256 b)
{
    mp_limb_t want[4];
    mpn_and_n(want, LIMBS(a), LIMBS(b), 4);
    EXPECT(same(u256_and(a, b), want), "and %s & %s", hx(a), hx(b));
}

static void check_or(u256 a, u256 b)
{
    mp_limb_t want[4];
    mpn_ior_n(want, LIMBS(a), LIMBS(b), 4);
    EXPECT(same(u256_or(a, b), want), "or %s | %s", hx(a), hx(b));
}

static void check_xor(u256 a, u256 b)
{
    mp_limb_t want[4];
    mpn_xor_n(want, LIMBS(a), LIMBS(b), 4);
    EXPECT(same(u256_xor(a, b), want), "xor %s ^ %s", hx(a), hx(b));
}

/* Shift and rotate oracles work on mpz: a shift there is exact, and
 * reducing mod 2^256 afterwards is the definition of the 256-bit result. */
static u256 oracle_shl(u256 a, unsigned n)
{
    mpz_roinit_n(za, LIMBS(a), 4);
    mpz_mul_2exp(zt, za, n);
    mpz_fdiv_r_2exp(zt, zt, 256);
    return from_mpz(zt);
}

static u256 oracle_shr(u256 a, unsigned n)
{
    mpz_roinit_n(za, LIMBS(a), 4);
    mpz_fdiv_q_2exp(zt, za, n);
    return from_mpz(zt);
}

static u256 oracle_rol(u256 a, unsigned n)
{
    n %= 256;
    mpz_roinit_n(za, LIMBS(a), 4);
    mpz_mul_2exp(zt, za, n);
    mpz_fdiv_r_2exp(zt, zt, 256);
    mpz_fdiv_q_2exp(zu, za, 256 - n);
    mpz_ior(zt, zt, zu);
    return from_mpz(zt);
}

static void check_shl_n(u256 a, unsigned n)
{
    u256 want = oracle_shl(a, n);
    EXPECT(same(u256_shl(a, n), want.w), "shl %s << %u", hx(a), n);
}

static void check_shr_n(u256 a, unsigned n)
{
    u256 want = oracle_shr(a, n);
    EXPECT(same(u256_shr(a, n), want.w), "shr %s >> %u", hx(a), n);
}

static void check_rol_n(u256 a, unsigned n)
{
    u256 want = oracle_rol(a, n);
    EXPECT(same(u256_rol(a, n), want.w), "rol %s by %u", hx(a), n);
}

static void check_ror_n(u256 a, unsigned n)
{
    /* Rotating right by n is rotating left by 256 - n. */
    u256 want = oracle_rol(a, (256 - n % 256) % 256);
    EXPECT(same(u256_ror(a, n), want.w), "ror %s by %u", hx(a), n);
}

static void check_amount(u256 b)
{
    mpz_roinit_n(za, LIMBS(b), 4);
    EXPECT(u256_shift_amount(b) == mpz_fdiv_ui(za, 256), "shift_amount %s", hx(b));
}

static void check_shl(u256 a, u256 b)
{
    check_amount(b);
    check_shl_n(a, u256_shift_amount(b));
}

static void check_shr(u256 a, u256 b)
{
    check_amount(b);
    check_shr_n(a, u256_shift_amount(b));
}

static void check_rol(u256 a, u256 b)
{
    check_amount(b);
    check_rol_n(a, u256_shift_amount(b));
}

static void check_ror(u256 a, u256 b)
{
    check_amount(b);
    check_ror_n(a, u256_shift_amount(b));
}

static void check_cmp(u256 a, u256 b)
{
    int c = mpn_cmp(LIMBS(a), LIMBS(b), 4);
    int want = (c > 0) - (c < 0);
    EXPECT(u256_cmp(a, b) == want, "cmp %s vs %s", hx(a), hx(b));
    EXPECT(u256_lt(a, b) == (want < 0), "lt %s < %s", hx(a), hx(b));
    EXPECT(u256_lt(b, a) == (want > 0), "lt %s < %s", hx(b), hx(a));
    EXPECT(u256_eq(a, b) == (want == 0), "eq %s == %s", hx(a), hx(b));
}

/* ---- drivers ---------------------------------------------------------- */

typedef void (*pair_fn)(u256 a, u256 b);

static void run_pairs(const char *name, uint64_t seed, bool near, pair_fn fn)
{
    CASE_BEGIN();
    test_seed(seed);
    for (int i = 0; i < PAIRS; i++) {
        u256 a = test_gen();
        u256 b = (near && (test_rand() & 1)) ? test_gen_near(a) : test_gen();
        fn(a, b);
    }
    for (int i = 0; i < n_edges; i++)
        for (int j = 0; j < n_edges; j++)
            fn(edges[i], edges[j]);
    CASE_END("u256 %s vs GMP (%d pairs + %d edge pairs)", name, PAIRS, n_edges * n_edges);
}

typedef void (*shift_fn)(u256 a, unsigned n);

/* Shifts also get every edge value at every amount, plus amounts past 255
 * that the shift functions must treat as "everything out" and the rotates
 * as mod 256. */
static void run_shift(const char *name, uint64_t seed, pair_fn fn, shift_fn each, bool wraps)
{
    static const unsigned big[] = {256, 257, 319, 320, 511, 512, 1000, 65535, 0x80000000u,
                                   0xffffffffu};
    CASE_BEGIN();
    test_seed(seed);
    for (int i = 0; i < PAIRS; i++) {
        u256 a = test_gen();
        u256 b = test_gen();
        fn(a, b);
    }
    for (int i = 0; i < n_edges; i++)
        for (int j = 0; j < n_edges; j++)
            fn(edges[i], edges[j]);
    for (int i = 0; i < n_edges; i++)
        for (unsigned n = 0; n < 256; n++)
            each(edges[i], n);
    for (int i = 0; i < n_edges; i++) {
        for (size_t k = 0; k < sizeof big / sizeof big[0]; k++) {
            u256 a = edges[i], got, want;
            if (wraps) {
                got = each == check_rol_n ? u256_rol(a, big[k]) : u256_ror(a, big[k]);
                want = each == check_rol_n ? u256_rol(a, big[k] & 255) : u256_ror(a, big[k] & 255);
            } else {
                got = each == check_shl_n ? u256_shl(a, big[k]) : u256_shr(a, big[k]);
                want = u256_zero();
            }
            EXPECT(u256_eq(got, want), "%s %s by %u", name, hx(a), big[k]);
        }
    }
    CASE_END("u256 %s vs GMP (%d pairs + %d edge pairs + %d edge x amount)", name, PAIRS,
             n_edges * n_edges, n_edges * 256);
}

/* ---- unary cases ------------------------------------------------------ */

static u256 test_gen_any(int i)
{
    return i < n_edges ? edges[i] : test_gen();
}

static void case_misc(void)
{
    CASE_BEGIN();
    test_seed(0x5eed0010);
    int total = PAIRS + n_edges;
    for (int i = 0; i < total; i++) {
        u256 a = test_gen_any(i);
        mp_limb_t want[4];
        mpn_com(want, LIMBS(a), 4);
        EXPECT(same(u256_not(a), want), "not %s", hx(a));
        mpn_neg(want, LIMBS(a), 4);
        EXPECT(same(u256_neg(a), want), "neg %s", hx(a));
        mpz_roinit_n(za, LIMBS(a), 4);
        EXPECT(u256_is_zero(a) == (mpz_sgn(za) == 0), "is_zero %s", hx(a));
        EXPECT(u256_fits_u64(a) == (mpz_sizeinbase(za, 2) <= 64), "fits_u64 %s", hx(a));
        EXPECT(u256_fits_u32(a) == (mpz_sizeinbase(za, 2) <= 32), "fits_u32 %s", hx(a));
        EXPECT(u256_low64(a) == mpz_getlimbn(za, 0), "low64 %s", hx(a));
        EXPECT(u256_low32(a) == (uint32_t)mpz_fdiv_ui(za, 0x100000000u), "low32 %s", hx(a));
        uint64_t x = a.w[0];
        mp_limb_t one[4] = {x, 0, 0, 0};
        EXPECT(same(u256_from_u64(x), one), "from_u64 %llx", (unsigned long long)x);
    }
    mp_limb_t zeros[4] = {0, 0, 0, 0};
    mp_limb_t ones[4] = {UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX};
    EXPECT(same(u256_zero(), zeros), "zero");
    EXPECT(same(u256_max(), ones), "max");
    CASE_END("u256 not/neg/is_zero/fits/low vs GMP (%d values + %d edge values)", PAIRS, n_edges);
}

static void case_be(void)
{
    CASE_BEGIN();
    test_seed(0x5eed0011);
    int total = PAIRS + n_edges;
    for (int i = 0; i < total; i++) {
        u256 a = test_gen_any(i);
        uint8_t got[32], want[32];
        size_t cnt = 0;
        memset(want, 0, sizeof want);
        mpz_roinit_n(za, LIMBS(a), 4);
        /* GMP writes the minimal byte string; right-align it in 32 bytes. */
        uint8_t tmp[32];
        mpz_export(tmp, &cnt, 1, 1, 1, 0, za);
        memcpy(want + 32 - cnt, tmp, cnt);
        u256_to_be(a, got);
        EXPECT(memcmp(got, want, 32) == 0, "to_be %s", hx(a));
        EXPECT(u256_eq(u256_from_be(want), a), "from_be %s", hx(a));

        size_t n = test_below(33);
        mpz_import(zt, n, 1, 1, 1, 0, want + 32 - n);
        u256 part = u256_from_be_bytes(want + 32 - n, n);
        EXPECT(same(part, from_mpz(zt).w), "from_be_bytes %s n=%zu", hx(a), n);
    }
    /* Longer inputs keep the last 32 bytes, i.e. the value mod 2^256. */
    uint8_t long_in[40];
    for (int i = 0; i < 40; i++)
        long_in[i] = (uint8_t)(0xa0 + i);
    EXPECT(u256_eq(u256_from_be_bytes(long_in, 40), u256_from_be(long_in + 8)), "from_be_bytes 40");
    EXPECT(u256_is_zero(u256_from_be_bytes(long_in, 0)), "from_be_bytes 0");
    CASE_END("u256 be round-trip vs GMP (%d values + %d edge values)", PAIRS, n_edges);
}

/* Parses s both as given and embedded before trailing junk, since the
 * parser must stop at len rather than at a NUL. */
static bool parse_both(const char *s, u256 *out)
{
    char padded[200];
    size_t len = strlen(s);
    memcpy(padded, s, len);
    memcpy(padded + len, "9z", 3);
    u256 v1 = u256_zero(), v2 = u256_zero();
    bool ok1 = u256_parse(s, len, &v1);
    bool ok2 = u256_parse(padded, len, &v2);
    if (ok1 != ok2 || (ok1 && !u256_eq(v1, v2)))
        return false;
    *out = v1;
    return ok1;
}

static void check_text(u256 a, int base, char *mine, char *gmp)
{
    mpz_roinit_n(za, LIMBS(a), 4);
    size_t glen;
    if (base == 16) {
        gmp[0] = '0';
        gmp[1] = 'x';
        mpz_get_str(gmp + 2, 16, za);
    } else {
        mpz_get_str(gmp, 10, za);
    }
    glen = strlen(gmp);
    int len = base == 16 ? u256_to_hex(a, mine, 100) : u256_to_dec(a, mine, 100);
    EXPECT(len == (int)glen && strcmp(mine, gmp) == 0, "to_%s %s: got %s want %s",
           base == 16 ? "hex" : "dec", hx(a), mine, gmp);

    /* The buffer must hold the text and its NUL: one byte less fails. */
    char small[100];
    int tight = base == 16 ? u256_to_hex(a, small, glen) : u256_to_dec(a, small, glen);
    int exact = base == 16 ? u256_to_hex(a, small, glen + 1) : u256_to_dec(a, small, glen + 1);
    EXPECT(tight == -1 && exact == (int)glen, "to_%s buffer size %s", base == 16 ? "hex" : "dec",
           hx(a));

    u256 back;
    EXPECT(parse_both(gmp, &back) && u256_eq(back, a), "parse %s", gmp);

    /* Leading zeros and upper-case digits do not change the value. */
    char variant[200];
    size_t zeros = test_below(8);
    size_t at = base == 16 ? 2 : 0;
    memcpy(variant, gmp, at);
    memset(variant + at, '0', zeros);
    strcpy(variant + at + zeros, gmp + at);
    if (base == 16 && (test_rand() & 1)) {
        for (char *p = variant + 1; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
    }
    EXPECT(parse_both(variant, &back) && u256_eq(back, a), "parse %s", variant);

    /* One bad character anywhere rejects the whole string. */
    static const char bad_dec[] = "/:ax -+.g";
    static const char bad_hex[] = "/:g@G -+x.`";
    const char *bad = base == 16 ? bad_hex : bad_dec;
    size_t nbad = strlen(bad);
    strcpy(variant, gmp);
    size_t pos = at + test_below((unsigned)(glen - at));
    variant[pos] = bad[test_below((unsigned)nbad)];
    EXPECT(!parse_both(variant, &back), "parse accepted %s", variant);
}

/* Values from 2^256 up must be rejected however they are written. */
static void check_too_big(int base, char *buf)
{
    u256 lo = test_gen();
    mp_limb_t l[6] = {lo.w[0], lo.w[1], lo.w[2], lo.w[3], 0, 0};
    switch (test_below(4)) {
    case 0:
        l[4] = 1;
        break;
    case 1:
        l[4] = test_rand() | 1;
        break;
    default:
        l[4] = test_rand() | 1;
        l[5] = test_rand() >> test_below(64);
        break;
    }
    mpz_roinit_n(za, l, 6);
    size_t at = 0;
    if (base == 16) {
        buf[0] = '0';
        buf[1] = 'x';
        at = 2;
    }
    mpz_get_str(buf + at, base, za);
    u256 v;
    EXPECT(!parse_both(buf, &v), "parse accepted too-big %s", buf);
}

static void case_text(int base)
{
    CASE_BEGIN();
    test_seed(base == 16 ? 0x5eed0016 : 0x5eed0010a);
    char mine[100], gmp[200];
    int total = PAIRS + n_edges;
    for (int i = 0; i < total; i++) {
        check_text(test_gen_any(i), base, mine, gmp);
        if ((i & 7) == 0)
            check_too_big(base, gmp);
    }
    u256 v;
    EXPECT(!u256_parse("", 0, &v), "empty accepted");
    EXPECT(!u256_parse("0x", 2, &v), "bare 0x accepted");
    EXPECT(!u256_parse(NULL, 0, &v), "NULL accepted");
    char big[100];
    mpz_set_ui(zt, 1);
    mpz_mul_2exp(zt, zt, 256);
    if (base == 16) {
        big[0] = '0';
        big[1] = 'x';
        mpz_get_str(big + 2, 16, zt);
    } else {
        mpz_get_str(big, 10, zt);
    }
    EXPECT(!parse_both(big, &v), "2^256 accepted: %s", big);
    CASE_END("u256 %s print and parse round-trip vs GMP (%d values + %d edge values)",
             base == 16 ? "hex" : "dec", PAIRS, n_edges);
}

/* ---- known answers, independent of GMP -------------------------------- */

static u256 kv(uint64_t w3, uint64_t w2, uint64_t w1, uint64_t w0)
{
    u256 r = {{w0, w1, w2, w3}};
    return r;
}

/* sizeof, not strlen, so the length comes from the literal itself. */
#define PARSE_LIT(lit, out) u256_parse((lit), sizeof(lit) - 1, (out))

static void case_known(void)
{
    const uint64_t F = UINT64_MAX;
    u256 max = u256_max(), one = u256_from_u64(1), zero = u256_zero();
    u256 hi, lo, q, r;
    bool c;
    char buf[100];

    CASE_BEGIN();
    lo = u256_mul(max, max, &hi);
    EXPECT(u256_eq(lo, one) && u256_eq(hi, kv(F, F, F, F - 1)), "max*max");
    EXPECT(u256_is_zero(u256_add(max, one, &c)) && c, "max+1");
    EXPECT(u256_eq(u256_sub(zero, one, &c), max) && c, "0-1");
    EXPECT(u256_eq(u256_neg(one), max), "-1");

    u256_divmod(max, kv(0, 1, 0, 1), &q, &r); /* (2^256-1) / (2^128+1) */
    EXPECT(u256_eq(q, kv(0, 0, F, F)) && u256_is_zero(r), "max / (2^128+1)");
    u256_divmod(max, kv(0, 1, 0, 0), &q, &r);
    EXPECT(u256_eq(q, kv(0, 0, F, F)) && u256_eq(r, kv(0, 0, F, F)), "max / 2^128");
    u256_divmod(max, zero, &q, &r);
    EXPECT(u256_is_zero(q) && u256_is_zero(r), "max / 0");
    u256_divmod(u256_from_u64(7), u256_from_u64(2), &q, &r);
    EXPECT(u256_eq(q, u256_from_u64(3)) && u256_eq(r, one), "7 / 2");

    EXPECT(u256_eq(u256_shl(one, 255), kv(1ull << 63, 0, 0, 0)), "1 << 255");
    EXPECT(u256_eq(u256_shr(kv(1ull << 63, 0, 0, 0), 255), one), "2^255 >> 255");
    EXPECT(u256_is_zero(u256_shl(max, 256)) && u256_is_zero(u256_shr(max, 256)), "shift 256");
    EXPECT(u256_eq(u256_ror(one, 1), kv(1ull << 63, 0, 0, 0)), "ror 1 by 1");
    EXPECT(u256_eq(u256_rol(kv(1ull << 63, 0, 0, 0), 1), one), "rol 2^255 by 1");
    EXPECT(u256_eq(u256_rol(kv(1, 2, 3, 4), 0), kv(1, 2, 3, 4)), "rol by 0");
    EXPECT(u256_eq(u256_rol(kv(1, 2, 3, 4), 64), kv(2, 3, 4, 1)), "rol by 64");
    EXPECT(u256_shift_amount(u256_from_u64(0x1ff)) == 255, "amount 0x1ff");
    EXPECT(u256_shift_amount(kv(0, 0, 1, 3)) == 3, "amount 2^64+3");

    EXPECT(u256_to_hex(zero, buf, sizeof buf) == 3 && strcmp(buf, "0x0") == 0, "hex 0");
    EXPECT(u256_to_dec(zero, buf, sizeof buf) == 1 && strcmp(buf, "0") == 0, "dec 0");
    EXPECT(u256_to_hex(max, buf, 67) == 66 && strncmp(buf, "0xffff", 6) == 0, "hex max");
    EXPECT(u256_to_hex(max, buf, 66) == -1, "hex max, short buffer");
    EXPECT(u256_to_dec(max, buf, 79) == 78 &&
               strcmp(buf, "115792089237316195423570985008687907853269984665640564039457584"
                           "007913129639935") == 0,
           "dec max");
    EXPECT(u256_to_dec(max, buf, 78) == -1, "dec max, short buffer");
    EXPECT(u256_to_dec(u256_from_u64(10000000000000000000u), buf, sizeof buf) == 20 &&
               strcmp(buf, "10000000000000000000") == 0,
           "dec 10^19");
    EXPECT(u256_to_hex(zero, NULL, 0) == -1 && u256_to_dec(zero, buf, 0) == -1, "no buffer");

    static const char *reject[] = {"", "0x", "0X", "-1", "+1", " 1", "1 ", "0x1g", "0x 1",
                                   "1e3", "00x1", "x1",
                                   ("115792089237316195423570985008687907853269984665640564039457584"
                                    "007913129639936"),
                                   "0x10000000000000000000000000000000000000000000000000000000000000000"};
    for (size_t i = 0; i < sizeof reject / sizeof reject[0]; i++) {
        u256 v = one;
        EXPECT(!u256_parse(reject[i], strlen(reject[i]), &v) && u256_eq(v, one), "accepted \"%s\"",
               reject[i]);
    }
    u256 v;
    EXPECT(u256_parse("0", 1, &v) && u256_is_zero(v), "parse 0");
    EXPECT(u256_parse("0x0", 3, &v) && u256_is_zero(v), "parse 0x0");
    EXPECT(u256_parse("0XfF", 4, &v) && u256_eq(v, u256_from_u64(255)), "parse 0XfF");
    EXPECT(PARSE_LIT("0x000000000000000000000000000000000000000000000000000000000000000000001",
                     &v) &&
               u256_eq(v, one),
           "parse long hex with leading zeros");
    EXPECT(PARSE_LIT("0000000000000000000000000000000000000000000000000000000000000000000000000"
                     "000000000042",
                     &v) &&
               u256_eq(v, u256_from_u64(42)),
           "parse long dec with leading zeros");
    EXPECT(u256_parse("1234", 2, &v) && u256_eq(v, u256_from_u64(12)), "parse honours len");
    uint8_t be[32] = {0};
    be[0] = 0x80;
    be[31] = 0x01;
    EXPECT(u256_eq(u256_from_be(be), kv(1ull << 63, 0, 0, 1)), "from_be");
    uint8_t three[3] = {0x01, 0x02, 0x03};
    EXPECT(u256_eq(u256_from_be_bytes(three, 3), u256_from_u64(0x010203)), "from_be_bytes 3");
    EXPECT(u256_fits_u32(u256_from_u64(0xffffffffu)) && !u256_fits_u32(u256_from_u64(0x100000000u)),
           "fits_u32");
    EXPECT(u256_cmp(zero, max) == -1 && u256_cmp(max, zero) == 1 && u256_cmp(max, max) == 0, "cmp");
    CASE_END("u256 known answers");
}

int main(void)
{
    mpz_init(zt);
    mpz_init(zu);
    edges_build();

    case_known();
    run_pairs("add", 0x5eed0001, false, check_add);
    run_pairs("sub", 0x5eed0002, true, check_sub);
    run_pairs("mul", 0x5eed0003, false, check_mul);
    run_pairs("div", 0x5eed0004, true, check_div);
    run_pairs("mod", 0x5eed0005, true, check_mod);
    run_pairs("and", 0x5eed0006, false, check_and);
    run_pairs("or", 0x5eed0007, false, check_or);
    run_pairs("xor", 0x5eed0008, false, check_xor);
    run_shift("shl", 0x5eed0009, check_shl, check_shl_n, false);
    run_shift("shr", 0x5eed000a, check_shr, check_shr_n, false);
    run_shift("rol", 0x5eed000b, check_rol, check_rol_n, true);
    run_shift("ror", 0x5eed000c, check_ror, check_ror_n, true);
    run_pairs("lt/eq/cmp", 0x5eed000d, true, check_cmp);
    case_be();
    case_text(16);
    case_text(10);
    case_misc();

    mpz_clear(zt);
    mpz_clear(zu);
    return check_exit();
}
