/* vm/precompile.c — what EraVM's `precompile_call` computes at each
 * precompile address: where the input is read from (byte or word offsets),
 * what the interpreted-data field means, and the exact output words on
 * success and on every failure, as zksync-protocol's zk_evm_abstractions
 * computes them behind vm2's LegacyPrecompiles. */
#include "precompile.h"

#include <string.h>

/* SHA256_Transform (below) is deprecated in OpenSSL 3, not removed */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <gmp.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "bn254.h"
#include "keccak.h"

enum {
    PRECOMPILE_ECRECOVER = 0x0001,
    PRECOMPILE_SHA256 = 0x0002,
    PRECOMPILE_MODEXP = 0x0005,
    PRECOMPILE_ECADD = 0x0006,
    PRECOMPILE_ECMUL = 0x0007,
    PRECOMPILE_ECPAIRING = 0x0008,
    PRECOMPILE_SECP256R1 = 0x0100,
    PRECOMPILE_KECCAK256 = 0x8010,
};

typedef struct {
    eravm_mem_read_fn rd;
    void *ctx;
    uint32_t page;
} precompile_mem;

/* Input word `index` of the read page. The reference keeps word indices in
 * a u32 that it increments per read and forms the byte address as
 * index * 32 in u32 as well; release builds wrap both, so a read never
 * reaches past 2^32 but comes back around to the start of the page. */
static u256 precompile_word(const precompile_mem *m, uint32_t index)
{
    uint8_t b[32];
    m->rd(m->ctx, m->page, (uint64_t)(uint32_t)(index * 32u), b, sizeof b);
    return u256_from_be(b);
}

/* ---- keccak256 (0x8010) ---------------------------------------------- */

/* input_offset / input_length are bytes; aux is ignored. The reference
 * gathers the bytes from aligned word reads (word offset/32, skipping
 * offset%32 bytes), which is byte-for-byte the range [offset, offset+len)
 * taken mod 2^32 because of the u32 address wrap described above. The input
 * streams through a fixed buffer: its length can approach 4 GiB. */
static int precompile_keccak256(const eravm_precompile_abi *abi, const precompile_mem *m, u256 *out)
{
    keccak256_ctx k;
    keccak256_init(&k);
    uint8_t chunk[KECCAK256_RATE * 8];
    uint32_t pos = abi->input_offset;
    uint64_t left = abi->input_length;
    while (left) {
        uint64_t n = left < sizeof chunk ? left : sizeof chunk;
        uint64_t before_wrap = ((uint64_t)1 << 32) - pos;
        if (n > before_wrap)
            n = before_wrap;
        m->rd(m->ctx, m->page, pos, chunk, (size_t)n);
        keccak256_update(&k, chunk, (size_t)n);
        pos += (uint32_t)n;
        left -= n;
    }
    uint8_t h[32];
    keccak256_final(&k, h);
    out[0] = u256_from_be(h);
    return 1;
}

/* ---- sha256 round function (0x0002) ----------------------------------- */

/* The bare SHA-256 compression function is OpenSSL's SHA256_Transform:
 * EVP offers no way to stop before the padding, and OpenSSL 3 keeps the
 * low-level call (deprecated, not removed) on its assembly paths (SHA-NI,
 * AVX2): the sha256 calls of `eravm-bench --workload deploy_simple` took
 * 4.3% of its cpu-clock samples in the plain C this replaced, 0.6% here. */
static void precompile_sha256_compress(uint32_t st[8], const uint8_t block[64])
{
    SHA256_CTX c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < 8; i++)
        c.h[i] = st[i];
    SHA256_Transform(&c, block);
    for (int i = 0; i < 8; i++)
        st[i] = c.h[i];
}

static const uint32_t precompile_sha256_iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* input_offset is in words and input_length is ignored; aux is the number
 * of 64-byte blocks, each two consecutive words, run through the
 * compression function from the standard IV with no padding added (the
 * caller pads). Output: the eight state words big-endian as one word, or
 * nothing at all for zero blocks. */
static int precompile_sha256(const eravm_precompile_abi *abi, const precompile_mem *m, u256 *out)
{
    uint64_t blocks = abi->aux;
    if (blocks == 0)
        return 0;
    uint32_t st[8];
    memcpy(st, precompile_sha256_iv, sizeof st);
    uint32_t index = abi->input_offset;
    for (uint64_t i = 0; i < blocks; i++) {
        uint8_t block[64];
        u256_to_be(precompile_word(m, index), block);
        u256_to_be(precompile_word(m, index + 1), block + 32);
        index += 2;
        precompile_sha256_compress(st, block);
    }
    uint8_t h[32];
    for (int i = 0; i < 8; i++) {
        h[4 * i] = (uint8_t)(st[i] >> 24);
        h[4 * i + 1] = (uint8_t)(st[i] >> 16);
        h[4 * i + 2] = (uint8_t)(st[i] >> 8);
        h[4 * i + 3] = (uint8_t)st[i];
    }
    out[0] = u256_from_be(h);
    return 1;
}

/* ---- ecrecover (0x0001) ----------------------------------------------- */

/* Words at input_offset: digest, v, r, s. Output [1, address] or [0, 0].
 * Only the lowest byte of v counts (the reference takes byte 31 of its
 * big-endian form). The reference asserts that byte is 0 or 1, i.e. its
 * host process panics otherwise; the system contract never passes
 * anything else, and here it is reported as a failed recovery.
 * r and s must be in [1, n-1]; high s is accepted (no malleability check),
 * as in k256's recover + verify_prehashed that the reference calls. */
static int precompile_ecrecover(const eravm_precompile_abi *abi, const precompile_mem *m, u256 *out)
{
    uint32_t i = abi->input_offset;
    u256 digest = precompile_word(m, i);
    u256 v = precompile_word(m, i + 1);
    u256 r = precompile_word(m, i + 2);
    u256 s = precompile_word(m, i + 3);
    out[0] = out[1] = u256_zero();

    unsigned recid = (unsigned)(v.w[0] & 0xff);
    if (recid > 1)
        return 2;
    /* The static context suffices: recovery uses no secret-key tables. */
    const secp256k1_context *c = secp256k1_context_static;
    uint8_t sig[64], msg[32];
    u256_to_be(r, sig);
    u256_to_be(s, sig + 32);
    u256_to_be(digest, msg);
    secp256k1_ecdsa_recoverable_signature rsig;
    secp256k1_pubkey pk;
    /* parse_compact rejects r or s >= n; recover rejects r or s == 0, an r
     * that is no curve x-coordinate, and a recovered point at infinity. */
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(c, &rsig, sig, (int)recid) ||
        !secp256k1_ecdsa_recover(c, &pk, &rsig, msg))
        return 2;
    uint8_t ser[65];
    size_t len = sizeof ser;
    secp256k1_ec_pubkey_serialize(c, ser, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
    uint8_t h[32];
    keccak256(ser + 1, 64, h);
    memset(h, 0, 12); /* the address is the low 20 bytes */
    out[0] = u256_from_u64(1);
    out[1] = u256_from_be(h);
    return 2;
}

/* ---- secp256r1 verify (0x0100) ---------------------------------------- */

/* ECDSA verification on P-256 over a prehashed digest with OpenSSL's
 * non-deprecated EC_POINT primitives (the EC_KEY / ECDSA_do_verify route is
 * deprecated in OpenSSL 3). Returns -1 when the inputs are malformed (r or
 * s outside [1, n-1], a coordinate >= p, the point off the curve), else
 * 1 or 0 for a valid or invalid signature. */
static int precompile_p256_verify(const uint8_t digest[32], const uint8_t r[32], const uint8_t s[32],
                                  const uint8_t x[32], const uint8_t y[32])
{
    int verdict = -1;
    BN_CTX *bn = BN_CTX_new();
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *q = NULL, *pt = NULL;
    if (!bn || !g)
        goto done;
    BN_CTX_start(bn);
    BIGNUM *p = BN_CTX_get(bn), *ca = BN_CTX_get(bn), *cb = BN_CTX_get(bn);
    BIGNUM *bx = BN_CTX_get(bn), *by = BN_CTX_get(bn), *br = BN_CTX_get(bn), *bs = BN_CTX_get(bn);
    BIGNUM *bz = BN_CTX_get(bn), *w = BN_CTX_get(bn), *u1 = BN_CTX_get(bn), *u2 = BN_CTX_get(bn);
    BIGNUM *rx = BN_CTX_get(bn);
    const BIGNUM *n = EC_GROUP_get0_order(g);
    q = EC_POINT_new(g);
    pt = EC_POINT_new(g);
    if (!rx || !n || !q || !pt || !EC_GROUP_get_curve(g, p, ca, cb, bn))
        goto end;
    if (!BN_bin2bn(r, 32, br) || !BN_bin2bn(s, 32, bs) || !BN_bin2bn(x, 32, bx) || !BN_bin2bn(y, 32, by) ||
        !BN_bin2bn(digest, 32, bz))
        goto end;
    /* The p256 crate's Signature::from_scalars and its SEC1 point decoding
     * reject these before any verification. */
    if (BN_is_zero(br) || BN_cmp(br, n) >= 0 || BN_is_zero(bs) || BN_cmp(bs, n) >= 0)
        goto end;
    if (BN_cmp(bx, p) >= 0 || BN_cmp(by, p) >= 0)
        goto end;
    if (!EC_POINT_set_affine_coordinates(g, q, bx, by, bn) || EC_POINT_is_on_curve(g, q, bn) != 1)
        goto end;

    /* A 256-bit digest needs no truncation for a 256-bit order; it is
     * reduced mod n. u1·G + u2·Q with u1 = z/s, u2 = r/s must have x == r
     * (mod n); the point at infinity means "invalid", not an error. */
    verdict = 0;
    if (!BN_mod_inverse(w, bs, n, bn) || !BN_mod_mul(u1, bz, w, n, bn) || !BN_mod_mul(u2, br, w, n, bn) ||
        !EC_POINT_mul(g, pt, u1, q, u2, bn))
        goto end;
    if (EC_POINT_is_at_infinity(g, pt))
        goto end;
    if (!EC_POINT_get_affine_coordinates(g, pt, rx, NULL, bn) || !BN_nnmod(rx, rx, n, bn))
        goto end;
    verdict = BN_cmp(rx, br) == 0;
end:
    BN_CTX_end(bn);
done:
    EC_POINT_free(pt);
    EC_POINT_free(q);
    EC_GROUP_free(g);
    BN_CTX_free(bn);
    /* Rejected inputs push entries onto OpenSSL's per-thread error queue;
     * clear them so they cannot surface in some unrelated later call. */
    ERR_clear_error();
    return verdict;
}

/* Words at input_offset: digest, r, s, x, y. Output [1, 1] for a valid
 * signature, [1, 0] for a well-formed but wrong one, [0, 0] for malformed
 * input (see precompile_p256_verify). */
static int precompile_secp256r1(const eravm_precompile_abi *abi, const precompile_mem *m, u256 *out)
{
    uint8_t b[5][32];
    for (uint32_t k = 0; k < 5; k++)
        u256_to_be(precompile_word(m, abi->input_offset + k), b[k]);
    int verdict = precompile_p256_verify(b[0], b[1], b[2], b[3], b[4]);
    out[0] = u256_from_u64(verdict >= 0);
    out[1] = u256_from_u64(verdict == 1);
    return 2;
}

/* ---- modexp (0x0005) -------------------------------------------------- */

/* Words at input_offset: base, exponent, modulus (32 bytes each). Output:
 * base^exponent mod modulus, with the reference's (EIP-198) edge cases:
 * modulus 0 gives 0, and anything mod 1 is 0 (so 0^0 mod 1 = 0 too). */
static int precompile_modexp(const eravm_precompile_abi *abi, const precompile_mem *m, u256 *out)
{
    uint32_t i = abi->input_offset;
    u256 b = precompile_word(m, i), e = precompile_word(m, i + 1), mod = precompile_word(m, i + 2);
    out[0] = u256_zero();
    if (u256_is_zero(mod) || u256_eq(mod, u256_from_u64(1)))
        return 1;
    mpz_t zb, ze, zm, zr;
    mpz_inits(zb, ze, zm, zr, NULL);
    mpz_import(zb, 4, -1, sizeof b.w[0], 0, 0, b.w);
    mpz_import(ze, 4, -1, sizeof e.w[0], 0, 0, e.w);
    mpz_import(zm, 4, -1, sizeof mod.w[0], 0, 0, mod.w);
    mpz_powm(zr, zb, ze, zm);
    /* The result is < modulus < 2^256, so four words always hold it. */
    mpz_export(out[0].w, NULL, -1, sizeof out[0].w[0], 0, 0, zr);
    mpz_clears(zb, ze, zm, zr, NULL);
    return 1;
}

/* ---- bn254 (0x0006 ecadd, 0x0007 ecmul, 0x0008 ecpairing) -------------- */

/* Words x1, y1, x2, y2. Output [1, x, y] ((0, 0) for infinity) or
 * [0, 0, 0] when a coordinate is >= p or a point is off the curve. */
static int precompile_ecadd(const eravm_precompile_abi *abi, const precompile_mem *m, u256 *out)
{
    u256 in[4], xy[2];
    for (uint32_t k = 0; k < 4; k++)
        in[k] = precompile_word(m, abi->input_offset + k);
    bool ok = bn254_g1_add(in, xy);
    out[0] = u256_from_u64(ok);
    out[1] = ok ? xy[0] : u256_zero();
    out[2] = ok ? xy[1] : u256_zero();
    return 3;
}

/* Words x, y, scalar (any 256-bit value, reduced mod the group order).
 * Output as for ecadd. */
static int precompile_ecmul(const eravm_precompile_abi *abi, const precompile_mem *m, u256 *out)
{
    u256 in[3], xy[2];
    for (uint32_t k = 0; k < 3; k++)
        in[k] = precompile_word(m, abi->input_offset + k);
    bool ok = bn254_g1_mul(in, xy);
    out[0] = u256_from_u64(ok);
    out[1] = ok ? xy[0] : u256_zero();
    out[2] = ok ? xy[1] : u256_zero();
    return 3;
}

/* aux = number of pairs, six words each from input_offset: g1.x, g1.y,
 * g2.x.im, g2.x.re, g2.y.im, g2.y.re. Output [1, 1] when the product of
 * the pairings is one (also for zero pairs), [1, 0] when it is not, and
 * [0, 0] when any pair is malformed (coordinate >= p, point off its curve,
 * G2 point outside the r-torsion subgroup). The reference reads every pair
 * before checking; a malformed pair fails the whole call either way, so
 * stopping at the first one changes nothing observable. */
static int precompile_ecpairing(const eravm_precompile_abi *abi, const precompile_mem *m, u256 *out)
{
    bn254_pairing_acc acc;
    bn254_pairing_begin(&acc);
    uint32_t index = abi->input_offset;
    bool ok = true;
    for (uint64_t pair = 0; pair < abi->aux && ok; pair++) {
        u256 in[6];
        for (int k = 0; k < 6; k++)
            in[k] = precompile_word(m, index++);
        ok = bn254_pairing_add(&acc, in);
    }
    out[0] = u256_from_u64(ok);
    out[1] = u256_from_u64(ok && bn254_pairing_end(&acc));
    return 2;
}

/* ---- dispatch --------------------------------------------------------- */

int eravm_precompile_run(uint16_t address_low, const eravm_precompile_abi *abi, eravm_mem_read_fn rd,
                         void *ctx, u256 out[ERAVM_PRECOMPILE_MAX_OUT])
{
    precompile_mem m = {rd, ctx, abi->read_page};
    for (int i = 0; i < ERAVM_PRECOMPILE_MAX_OUT; i++)
        out[i] = u256_zero();
    switch (address_low) {
    case PRECOMPILE_KECCAK256:
        return precompile_keccak256(abi, &m, out);
    case PRECOMPILE_SHA256:
        return precompile_sha256(abi, &m, out);
    case PRECOMPILE_ECRECOVER:
        return precompile_ecrecover(abi, &m, out);
    case PRECOMPILE_SECP256R1:
        return precompile_secp256r1(abi, &m, out);
    case PRECOMPILE_MODEXP:
        return precompile_modexp(abi, &m, out);
    case PRECOMPILE_ECADD:
        return precompile_ecadd(abi, &m, out);
    case PRECOMPILE_ECMUL:
        return precompile_ecmul(abi, &m, out);
    case PRECOMPILE_ECPAIRING:
        return precompile_ecpairing(abi, &m, out);
    default:
        /* The reference lets any other address through (system contracts
         * use it just to burn ergs) and produces no output. */
        return 0;
    }
}
