/* vm/u256.h — 256-bit unsigned integers for EraVM registers and stack words:
 * four fixed 64-bit limbs, header-only so each operation inlines into the
 * interpreter loop instead of costing a call per instruction. */
#ifndef U256_H
#define U256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

/* w[0] is the least significant limb, which matches GMP's mpn layout on
 * 64-bit hosts and keeps carry chains running in index order. */
typedef struct {
    uint64_t w[4];
} u256;

/* The calling convention of a rare path called from the engine's handlers:
 * with clang 19, preserve_most (the callee saves every general register),
 * so the handler keeps its state in registers across the call instead of
 * saving them in its prologue on every run (ERAVM_NO_PRESERVE_NONE turns
 * it off with the handlers' own convention). Not before clang 19: clang 14
 * saves and restores rax in such a function, which destroys its return
 * value (the fuzzer's build found it). */
#if defined(__clang__) && defined(__x86_64__) && !defined(ERAVM_NO_PRESERVE_NONE) && \
    __clang_major__ >= 19
#define U256_COLD_CC __attribute__((preserve_most))
#else
#define U256_COLD_CC
#endif

/* __extension__ keeps -Wpedantic builds quiet about the non-ISO type. */
__extension__ typedef unsigned __int128 u256_u128;

/* ---- construction and inspection ------------------------------------- */

static inline u256 u256_zero(void)
{
    u256 r = {{0, 0, 0, 0}};
    return r;
}

static inline u256 u256_from_u64(uint64_t x)
{
    u256 r = {{x, 0, 0, 0}};
    return r;
}

static inline u256 u256_max(void)
{
    u256 r = {{UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX}};
    return r;
}

static inline bool u256_is_zero(u256 a)
{
    return (a.w[0] | a.w[1] | a.w[2] | a.w[3]) == 0;
}

static inline bool u256_eq(u256 a, u256 b)
{
    return ((a.w[0] ^ b.w[0]) | (a.w[1] ^ b.w[1]) | (a.w[2] ^ b.w[2]) |
            (a.w[3] ^ b.w[3])) == 0;
}

static inline uint64_t u256_low64(u256 a)
{
    return a.w[0];
}

static inline uint32_t u256_low32(u256 a)
{
    return (uint32_t)a.w[0];
}

static inline bool u256_fits_u64(u256 a)
{
    return (a.w[1] | a.w[2] | a.w[3]) == 0;
}

static inline bool u256_fits_u32(u256 a)
{
    return ((a.w[0] >> 32) | a.w[1] | a.w[2] | a.w[3]) == 0;
}

/* Number of limbs up to and including the most significant non-zero one;
 * the division and printing code size their loops by it. */
static inline int u256_limb_count(u256 a)
{
    return a.w[3] ? 4 : a.w[2] ? 3 : a.w[1] ? 2 : a.w[0] ? 1 : 0;
}

/* ---- add, subtract, compare ------------------------------------------ */

#if defined(__x86_64__) && !defined(U256_NO_ASM)
/* add/adc and sub/sbb chains: gcc does not turn the portable carry loop
 * below into one (it measured ~58 host instructions per add). */
static inline u256 u256_add(u256 a, u256 b, bool *carry)
{
    u256 r;
    unsigned long long t0, t1, t2, t3;
    unsigned char c = _addcarry_u64(0, a.w[0], b.w[0], &t0);
    c = _addcarry_u64(c, a.w[1], b.w[1], &t1);
    c = _addcarry_u64(c, a.w[2], b.w[2], &t2);
    c = _addcarry_u64(c, a.w[3], b.w[3], &t3);
    r.w[0] = t0;
    r.w[1] = t1;
    r.w[2] = t2;
    r.w[3] = t3;
    if (carry)
        *carry = c;
    return r;
}

static inline u256 u256_sub(u256 a, u256 b, bool *borrow)
{
    u256 r;
    unsigned long long t0, t1, t2, t3;
    unsigned char c = _subborrow_u64(0, a.w[0], b.w[0], &t0);
    c = _subborrow_u64(c, a.w[1], b.w[1], &t1);
    c = _subborrow_u64(c, a.w[2], b.w[2], &t2);
    c = _subborrow_u64(c, a.w[3], b.w[3], &t3);
    r.w[0] = t0;
    r.w[1] = t1;
    r.w[2] = t2;
    r.w[3] = t3;
    if (borrow)
        *borrow = c;
    return r;
}
#else
static inline u256 u256_add(u256 a, u256 b, bool *carry)
{
    u256 r;
    bool c = false;
    for (int i = 0; i < 4; i++) {
        uint64_t s;
        bool c1 = __builtin_add_overflow(a.w[i], b.w[i], &s);
        bool c2 = __builtin_add_overflow(s, (uint64_t)c, &r.w[i]);
        c = c1 | c2;
    }
    if (carry)
        *carry = c;
    return r;
}

static inline u256 u256_sub(u256 a, u256 b, bool *borrow)
{
    u256 r;
    bool c = false;
    for (int i = 0; i < 4; i++) {
        uint64_t d;
        bool c1 = __builtin_sub_overflow(a.w[i], b.w[i], &d);
        bool c2 = __builtin_sub_overflow(d, (uint64_t)c, &r.w[i]);
        c = c1 | c2;
    }
    if (borrow)
        *borrow = c;
    return r;
}
#endif

/* The borrow out of a - b is exactly a < b; one sbb chain beats a
 * limb-by-limb compare with early exits that mispredict on random data. */
static inline bool u256_lt(u256 a, u256 b)
{
    bool borrow;
    (void)u256_sub(a, b, &borrow);
    return borrow;
}

static inline int u256_cmp(u256 a, u256 b)
{
    return (int)u256_lt(b, a) - (int)u256_lt(a, b);
}

/* ---- bitwise ---------------------------------------------------------- */

static inline u256 u256_and(u256 a, u256 b)
{
    u256 r = {{a.w[0] & b.w[0], a.w[1] & b.w[1], a.w[2] & b.w[2], a.w[3] & b.w[3]}};
    return r;
}

static inline u256 u256_or(u256 a, u256 b)
{
    u256 r = {{a.w[0] | b.w[0], a.w[1] | b.w[1], a.w[2] | b.w[2], a.w[3] | b.w[3]}};
    return r;
}

static inline u256 u256_xor(u256 a, u256 b)
{
    u256 r = {{a.w[0] ^ b.w[0], a.w[1] ^ b.w[1], a.w[2] ^ b.w[2], a.w[3] ^ b.w[3]}};
    return r;
}

static inline u256 u256_not(u256 a)
{
    u256 r = {{~a.w[0], ~a.w[1], ~a.w[2], ~a.w[3]}};
    return r;
}

static inline u256 u256_neg(u256 a)
{
    return u256_sub(u256_zero(), a, NULL);
}

/* ---- shifts and rotations --------------------------------------------- */

/* x >> (64 - s) for s in 0..63. Shifting by 64 is undefined in C, so the
 * shift is split in two; s == 0 then yields 0, as the bits that would move
 * in from a neighbouring limb are none. */
static inline uint64_t u256_bits_down(uint64_t x, unsigned s)
{
    return (x >> 1) >> (63 - s);
}

/* x << (64 - s) for s in 0..63, with the same split-shift reasoning. */
static inline uint64_t u256_bits_up(uint64_t x, unsigned s)
{
    return (x << 1) << (63 - s);
}

/* (hi:lo) << s, high half, and (hi:lo) >> s, low half, for s in 0..63:
 * x86's shld/shrd (gcc keeps a test for s >= 64 around the 128-bit shift
 * that the portable version needs). */
#if defined(__x86_64__) && !defined(U256_NO_ASM)
static inline uint64_t u256_funnel_left(uint64_t hi, uint64_t lo, unsigned s)
{
    __asm__("shldq %%cl, %1, %0" : "+r"(hi) : "r"(lo), "c"(s) : "cc");
    return hi;
}

static inline uint64_t u256_funnel_right(uint64_t hi, uint64_t lo, unsigned s)
{
    __asm__("shrdq %%cl, %1, %0" : "+r"(lo) : "r"(hi), "c"(s) : "cc");
    return lo;
}
#else
static inline uint64_t u256_funnel_left(uint64_t hi, uint64_t lo, unsigned s)
{
    return (uint64_t)((((u256_u128)hi << 64) | lo) << (s & 63) >> 64);
}

static inline uint64_t u256_funnel_right(uint64_t hi, uint64_t lo, unsigned s)
{
    return (uint64_t)(((((u256_u128)hi << 64) | lo) >> (s & 63)));
}
#endif

/* The limbs of a moved up by k (0..3) limb places, rotating (the top limbs
 * wrap to the bottom): selects, no indexing by a variable. */
static inline u256 u256_rotate_limbs_up(u256 a, unsigned k)
{
    u256 r = a;
    if (k & 1) {
        r.w[0] = a.w[3];
        r.w[1] = a.w[0];
        r.w[2] = a.w[1];
        r.w[3] = a.w[2];
    }
    if (k & 2) {
        uint64_t t0 = r.w[0], t1 = r.w[1];
        r.w[0] = r.w[2];
        r.w[1] = r.w[3];
        r.w[2] = t0;
        r.w[3] = t1;
    }
    return r;
}

static inline u256 u256_shl(u256 a, unsigned n)
{
    if (n >= 256)
        return u256_zero();
    unsigned limbs = n >> 6, bits = n & 63;
    /* move whole limbs up, zero-filling from the bottom */
    for (unsigned i = 0; i < limbs; i++)
        a = (u256){{0, a.w[0], a.w[1], a.w[2]}};
    return (u256){{a.w[0] << bits, u256_funnel_left(a.w[1], a.w[0], bits),
                   u256_funnel_left(a.w[2], a.w[1], bits), u256_funnel_left(a.w[3], a.w[2], bits)}};
}

static inline u256 u256_shr(u256 a, unsigned n)
{
    if (n >= 256)
        return u256_zero();
    unsigned limbs = n >> 6, bits = n & 63;
    for (unsigned i = 0; i < limbs; i++)
        a = (u256){{a.w[1], a.w[2], a.w[3], 0}};
    return (u256){{u256_funnel_right(a.w[1], a.w[0], bits), u256_funnel_right(a.w[2], a.w[1], bits),
                   u256_funnel_right(a.w[3], a.w[2], bits), a.w[3] >> bits}};
}

/* Rotation is a limb rotation plus a funnel shift of neighbouring limbs;
 * every amount (0 included) takes the same path. */
static inline u256 u256_rol(u256 a, unsigned n)
{
    unsigned bits = n & 63;
    u256 r = u256_rotate_limbs_up(a, (n >> 6) & 3);
    return (u256){{u256_funnel_left(r.w[0], r.w[3], bits), u256_funnel_left(r.w[1], r.w[0], bits),
                   u256_funnel_left(r.w[2], r.w[1], bits), u256_funnel_left(r.w[3], r.w[2], bits)}};
}

static inline u256 u256_ror(u256 a, unsigned n)
{
    unsigned bits = n & 63;
    u256 r = u256_rotate_limbs_up(a, (4 - ((n >> 6) & 3)) & 3);
    return (u256){{u256_funnel_right(r.w[1], r.w[0], bits), u256_funnel_right(r.w[2], r.w[1], bits),
                   u256_funnel_right(r.w[3], r.w[2], bits), u256_funnel_right(r.w[0], r.w[3], bits)}};
}

/* EraVM shift and rotate instructions only look at the low byte of the
 * amount operand, so larger amounts wrap rather than saturate. */
static inline unsigned u256_shift_amount(u256 b)
{
    return (unsigned)(b.w[0] & 255);
}

/* ---- multiplication --------------------------------------------------- */

/* a * m, returning the low 256 bits and the limb that spilled over. */
static inline u256 u256_mul_u64(u256 a, uint64_t m, uint64_t *spill)
{
    u256 r;
    uint64_t carry = 0;
    for (int i = 0; i < 4; i++) {
        u256_u128 t = (u256_u128)a.w[i] * m + carry;
        r.w[i] = (uint64_t)t;
        carry = (uint64_t)(t >> 64);
    }
    *spill = carry;
    return r;
}

static inline u256 u256_mul(u256 a, u256 b, u256 *hi)
{
    /* Each step's sum is at most (2^64-1)^2 + 2*(2^64-1) = 2^128 - 1, so a
     * 128-bit accumulator never overflows. */
    if (!hi) {
        /* The low half only needs the 10 partial products below the
         * diagonal i + j = 3; MUL is common enough to skip the other 6. */
        u256 r = u256_zero();
        for (int i = 0; i < 4; i++) {
            uint64_t carry = 0;
            for (int j = 0; i + j < 4; j++) {
                u256_u128 t = (u256_u128)a.w[i] * b.w[j] + r.w[i + j] + carry;
                r.w[i + j] = (uint64_t)t;
                carry = (uint64_t)(t >> 64);
            }
        }
        return r;
    }
    uint64_t p[8] = {0};
    for (int i = 0; i < 4; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 4; j++) {
            u256_u128 t = (u256_u128)a.w[i] * b.w[j] + p[i + j] + carry;
            p[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        p[i + 4] = carry;
    }
    u256 lo = {{p[0], p[1], p[2], p[3]}};
    u256 h = {{p[4], p[5], p[6], p[7]}};
    *hi = h;
    return lo;
}

/* ---- division --------------------------------------------------------- */

/* (hi:lo) / d for hi < d, so the quotient fits one limb. On x86-64 this is
 * a single DIV; the portable __int128 form calls a 128/128 libgcc routine
 * that is several times slower. Define U256_NO_ASM to test the portable
 * form on x86-64. */
static inline uint64_t u256_div_2by1(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
#if defined(__x86_64__) && !defined(U256_NO_ASM)
    uint64_t q, r;
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d) : "cc");
    *rem = r;
    return q;
#else
    u256_u128 n = ((u256_u128)hi << 64) | lo;
    *rem = (uint64_t)(n % d);
    return (uint64_t)(n / d);
#endif
}

/* a / d and a % d for a one-limb d != 0: schoolbook long division with
 * 64-bit digits, where each running remainder is below d and so satisfies
 * the 2-by-1 precondition. */
static inline u256 u256_divmod_u64(u256 a, uint64_t d, uint64_t *rem)
{
    u256 q;
    uint64_t r = 0;
    for (int i = 3; i >= 0; i--)
        q.w[i] = u256_div_2by1(r, a.w[i], d, &r);
    *rem = r;
    return q;
}

/* Knuth's algorithm D (TAOCP 4.3.1) with 64-bit digits, for a divisor of
 * n >= 2 limbs and a >= b. Normalising so the divisor's top bit is set
 * makes the two-limb quotient estimate at most 2 too large; the refinement
 * against the second divisor limb almost always removes that excess, and
 * the rare leftover is repaired by adding the divisor back. */
static inline void u256_divmod_knuth(u256 a, u256 b, u256 *q, u256 *r)
{
    int n = u256_limb_count(b);
    int m = u256_limb_count(a) - n;
    unsigned s = (unsigned)__builtin_clzll(b.w[n - 1]);
    u256 vn = u256_shl(b, s);
    u256 an = u256_shl(a, s);
    uint64_t u[5] = {an.w[0], an.w[1], an.w[2], an.w[3], u256_bits_down(a.w[3], s)};
    const uint64_t *v = vn.w;
    uint64_t vtop = v[n - 1], vnext = v[n - 2];
    u256 qt = u256_zero();

    for (int j = m; j >= 0; j--) {
        uint64_t uh = u[j + n], ul = u[j + n - 1], qhat, rhat;
        bool rhat_big;
        if (uh >= vtop) {
            /* The true estimate would be >= 2^64; Knuth clamps it to
             * 2^64 - 1, whose remainder against vtop is ul + vtop. */
            qhat = UINT64_MAX;
            rhat_big = __builtin_add_overflow(ul, vtop, &rhat);
        } else {
            qhat = u256_div_2by1(uh, ul, vtop, &rhat);
            rhat_big = false;
        }
        /* Once rhat reaches 2^64 the test below can no longer succeed. */
        while (!rhat_big &&
               (u256_u128)qhat * vnext > (((u256_u128)rhat << 64) | u[j + n - 2])) {
            qhat--;
            rhat_big = __builtin_add_overflow(rhat, vtop, &rhat);
        }

        uint64_t mulc = 0;
        bool borrow = false;
        for (int i = 0; i < n; i++) {
            u256_u128 p = (u256_u128)qhat * v[i] + mulc;
            mulc = (uint64_t)(p >> 64);
            uint64_t t;
            bool b1 = __builtin_sub_overflow(u[i + j], (uint64_t)p, &t);
            bool b2 = __builtin_sub_overflow(t, (uint64_t)borrow, &u[i + j]);
            borrow = b1 | b2;
        }
        uint64_t t;
        bool b1 = __builtin_sub_overflow(u[j + n], mulc, &t);
        bool b2 = __builtin_sub_overflow(t, (uint64_t)borrow, &u[j + n]);
        if (b1 | b2) {
            /* qhat was still one too large (probability ~2/2^64). */
            qhat--;
            bool c = false;
            for (int i = 0; i < n; i++) {
                uint64_t x;
                bool c1 = __builtin_add_overflow(u[i + j], v[i], &x);
                bool c2 = __builtin_add_overflow(x, (uint64_t)c, &u[i + j]);
                c = c1 | c2;
            }
            u[j + n] += (uint64_t)c;
        }
        qt.w[j] = qhat;
    }
    if (q)
        *q = qt;
    if (r) {
        /* Every limb from n up is zero now: the remainder is below v. */
        u256 rn = {{u[0], u[1], u[2], u[3]}};
        *r = u256_shr(rn, s);
    }
}

/* The multi-limb cases out of line: inlined into every division site
 * they made compilers give up inlining the one-limb case the benchmarks
 * and compiled code divide by almost always. */
static __attribute__((noinline, unused)) U256_COLD_CC void u256_divmod_wide(u256 a, u256 b, u256 *qt,
                                                              u256 *rt)
{
    if (u256_is_zero(b)) {
        *qt = *rt = u256_zero();
    } else if (u256_fits_u64(b)) {
        uint64_t rem;
        *qt = u256_divmod_u64(a, b.w[0], &rem);
        *rt = u256_from_u64(rem);
    } else if (u256_lt(a, b)) {
        *qt = u256_zero();
        *rt = a;
    } else {
        u256_divmod_knuth(a, b, qt, rt);
    }
}

/* a (below 2^64) over a nonzero b given as its low limb and whether b is
 * known to be above a (2^64 or more, or compared): then the quotient is 0
 * and the remainder a. The quotient, the remainder in *rem. One host
 * division at most. */
static inline uint64_t u256_div_narrow(uint64_t a, uint64_t b0, bool b_above, uint64_t *rem)
{
    *rem = b_above ? a : a % b0;
    return b_above ? 0 : a / b0;
}

/* EraVM defines division by zero as quotient 0 and remainder 0 rather
 * than a trap. Either output pointer may be NULL. */
static inline __attribute__((always_inline)) void u256_divmod(u256 a, u256 b, u256 *q, u256 *r)
{
    if (u256_fits_u64(a)) {
        /* the results are stored a limb at a time (built whole, they went
         * through the stack in pieces that a 16-byte load could not
         * forward) */
        uint64_t rr = 0; /* x / 0 = 0, 0 */
        uint64_t qq = u256_is_zero(b) ? 0 : u256_div_narrow(a.w[0], b.w[0], !u256_fits_u64(b), &rr);
        if (q)
            q->w[0] = qq, q->w[1] = q->w[2] = q->w[3] = 0;
        if (r)
            r->w[0] = rr, r->w[1] = r->w[2] = r->w[3] = 0;
        return;
    }
    u256 qt, rt;
    u256_divmod_wide(a, b, &qt, &rt);
    if (q)
        *q = qt;
    if (r)
        *r = rt;
}

static inline u256 u256_div(u256 a, u256 b)
{
    u256 q;
    u256_divmod(a, b, &q, NULL);
    return q;
}

static inline u256 u256_mod(u256 a, u256 b)
{
    u256 r;
    u256_divmod(a, b, NULL, &r);
    return r;
}

/* ---- big-endian bytes ------------------------------------------------- */

/* EraVM memory, calldata and hashes are big-endian byte strings. */
/* Whole limbs at a time: every heap access converts a word, and the
 * byte-at-a-time loops cost more than the rest of the access. */
static inline uint64_t u256_load_be64(const uint8_t *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    x = __builtin_bswap64(x);
#elif !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_BIG_ENDIAN__
    x = (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 | (uint64_t)p[3] << 32 |
        (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 | (uint64_t)p[6] << 8 | p[7];
#endif
    return x;
}

static inline void u256_store_be64(uint8_t *p, uint64_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    x = __builtin_bswap64(x);
    memcpy(p, &x, 8);
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    memcpy(p, &x, 8);
#else
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(x >> (56 - 8 * i));
#endif
}

/* Written out limb by limb: gcc splits a struct into registers before it
 * unrolls loops, so with a loop the value went through the stack and was
 * read back 16 bytes at a time, a store-forwarding stall per word read
 * (heap and fat-pointer reads). */
static inline void u256_to_be(u256 a, uint8_t out[32])
{
    u256_store_be64(out + 24, a.w[0]);
    u256_store_be64(out + 16, a.w[1]);
    u256_store_be64(out + 8, a.w[2]);
    u256_store_be64(out, a.w[3]);
}

static inline u256 u256_from_be(const uint8_t in[32])
{
    u256 r = {{u256_load_be64(in + 24), u256_load_be64(in + 16), u256_load_be64(in + 8),
               u256_load_be64(in)}};
    return r;
}

/* u256_from_be into *dst, limb by limb: where the engine reads the word
 * next (a register), a value returned from two paths met in a temporary,
 * written 8 bytes at a time and copied 16 at a time, a store-forwarding
 * stall on every load. */
static inline __attribute__((always_inline)) void u256_from_be_into(u256 *dst, const uint8_t in[32])
{
    dst->w[0] = u256_load_be64(in + 24);
    dst->w[1] = u256_load_be64(in + 16);
    dst->w[2] = u256_load_be64(in + 8);
    dst->w[3] = u256_load_be64(in);
}

/* A short big-endian number, e.g. a partial word read at the end of
 * calldata. Bytes beyond 32 would not fit, so only the last 32 count,
 * which is the value mod 2^256. */
static inline u256 u256_from_be_bytes(const uint8_t *in, size_t n)
{
    if (n > 32) {
        in += n - 32;
        n = 32;
    }
    u256 r = u256_zero();
    for (size_t i = 0; i < n; i++)
        r.w[i >> 3] |= (uint64_t)in[n - 1 - i] << ((i & 7) * 8);
    return r;
}

/* ---- text ------------------------------------------------------------- */

static inline int u256_to_hex(u256 a, char *buf, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    int limbs = u256_limb_count(a);
    int nibbles = 1;
    if (limbs)
        nibbles = (limbs - 1) * 16 + (64 - __builtin_clzll(a.w[limbs - 1]) + 3) / 4;
    size_t len = 2 + (size_t)nibbles;
    if (!buf || n < len + 1)
        return -1;
    buf[0] = '0';
    buf[1] = 'x';
    for (int k = 0; k < nibbles; k++) {
        int pos = nibbles - 1 - k; /* nibble index from the least significant */
        buf[2 + k] = digits[(a.w[pos >> 4] >> ((pos & 15) * 4)) & 15];
    }
    buf[len] = '\0';
    return (int)len;
}

static inline int u256_to_dec(u256 a, char *buf, size_t n)
{
    /* 2^256 - 1 has 78 digits. Dividing by 10^19, the largest power of ten
     * in a limb, yields 19 digits per 64-bit division instead of one. */
    const uint64_t chunk_div = 10000000000000000000u;
    char tmp[80];
    int len = 0;
    do {
        uint64_t chunk;
        if (u256_fits_u64(a)) {
            chunk = a.w[0] % chunk_div;
            a = u256_from_u64(a.w[0] / chunk_div);
        } else {
            a = u256_divmod_u64(a, chunk_div, &chunk);
        }
        bool last = u256_is_zero(a);
        /* Inner chunks keep their leading zeros; the top one does not. */
        for (int k = 0; k < 19 && (!last || chunk != 0 || k == 0); k++) {
            tmp[len++] = (char)('0' + chunk % 10);
            chunk /= 10;
        }
    } while (!u256_is_zero(a));
    if (!buf || n < (size_t)len + 1)
        return -1;
    for (int k = 0; k < len; k++)
        buf[k] = tmp[len - 1 - k];
    buf[len] = '\0';
    return len;
}

static inline int u256_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses exactly len characters (s need not be NUL-terminated): decimal
 * digits, or "0x"/"0X" followed by hex digits of either case. Leading
 * zeros are allowed; signs, spaces and values >= 2^256 are rejected, and
 * *out is left untouched on failure. */
static inline bool u256_parse(const char *s, size_t len, u256 *out)
{
    if (!s || len == 0)
        return false;
    u256 v = u256_zero();
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        if (len == 2)
            return false;
        for (size_t i = 2; i < len; i++) {
            int d = u256_hex_digit(s[i]);
            if (d < 0 || (v.w[3] >> 60) != 0)
                return false;
            v.w[3] = (v.w[3] << 4) | (v.w[2] >> 60);
            v.w[2] = (v.w[2] << 4) | (v.w[1] >> 60);
            v.w[1] = (v.w[1] << 4) | (v.w[0] >> 60);
            v.w[0] = (v.w[0] << 4) | (uint64_t)d;
        }
    } else {
        /* Gather up to 19 digits in a plain integer, then fold them in with
         * one 256x64 multiply; overflow shows as a spilled limb or carry. */
        size_t i = 0;
        while (i < len) {
            uint64_t chunk = 0, scale = 1;
            for (int k = 0; k < 19 && i < len; k++, i++) {
                if (s[i] < '0' || s[i] > '9')
                    return false;
                chunk = chunk * 10 + (uint64_t)(s[i] - '0');
                scale *= 10;
            }
            uint64_t spill;
            bool carry;
            v = u256_mul_u64(v, scale, &spill);
            v = u256_add(v, u256_from_u64(chunk), &carry);
            if (spill || carry)
                return false;
        }
    }
    *out = v;
    return true;
}

#endif
