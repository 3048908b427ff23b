/* tests/test_precompile.c — checks eravm_precompile_run against known hashes
 * and signatures, OpenSSL, and the zksync-protocol bn254 / modexp vectors in
 * $ERAVM_DATA/conformance/zksync-protocol, all through a small fake paged
 * memory behind the read callback, so the memory conventions (byte vs word
 * offsets, the u32 address wrap, which page) are exercised too. */
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bn254.h"
#include "check.h"
#include "keccak.h"
#include "precompile.h"

/* ---- fake memory ------------------------------------------------------ */

#define TEST_CHUNK 4096

typedef struct {
    uint32_t page;
    uint64_t base;
    uint8_t bytes[TEST_CHUNK];
} test_chunk;

typedef struct {
    test_chunk *chunks;
    size_t n, cap;
    size_t largest_read; /* the biggest single rd() request seen */
} test_mem;

static test_chunk *test_mem_chunk(test_mem *m, uint32_t page, uint64_t base, bool create)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->chunks[i].page == page && m->chunks[i].base == base)
            return &m->chunks[i];
    if (!create)
        return NULL;
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 16;
        m->chunks = realloc(m->chunks, m->cap * sizeof *m->chunks);
        if (!m->chunks)
            abort();
    }
    test_chunk *c = &m->chunks[m->n++];
    c->page = page;
    c->base = base;
    memset(c->bytes, 0, sizeof c->bytes);
    return c;
}

static void test_mem_write(test_mem *m, uint32_t page, uint64_t off, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t a = off + i;
        test_chunk *c = test_mem_chunk(m, page, a - a % TEST_CHUNK, true);
        c->bytes[a % TEST_CHUNK] = src[i];
    }
}

static void test_mem_write_word(test_mem *m, uint32_t page, uint64_t off, u256 v)
{
    uint8_t b[32];
    u256_to_be(v, b);
    test_mem_write(m, page, off, b, 32);
}

/* The eravm_mem_read_fn contract: unwritten bytes and bytes at or past
 * 2^32 read as zero. */
static void test_mem_read(void *ctx, uint32_t page, uint64_t off, uint8_t *dst, size_t n)
{
    test_mem *m = ctx;
    if (n > m->largest_read)
        m->largest_read = n;
    size_t i = 0;
    while (i < n) {
        uint64_t a = off + i;
        uint64_t base = a - a % TEST_CHUNK;
        size_t run = TEST_CHUNK - (size_t)(a % TEST_CHUNK);
        if (run > n - i)
            run = n - i;
        test_chunk *c = a >> 32 ? NULL : test_mem_chunk(m, page, base, false);
        if (c)
            memcpy(dst + i, c->bytes + a % TEST_CHUNK, run);
        else
            memset(dst + i, 0, run);
        i += run;
    }
}

static void test_mem_free(test_mem *m)
{
    free(m->chunks);
    memset(m, 0, sizeof *m);
}

static int test_run(test_mem *m, uint16_t address, uint32_t in_off, uint32_t in_len, uint32_t page,
                    uint64_t aux, u256 out[ERAVM_PRECOMPILE_MAX_OUT])
{
    eravm_precompile_abi abi = {in_off, in_len, 5, 3, page, page + 1, aux};
    return eravm_precompile_run(address, &abi, test_mem_read, m, out);
}

/* ---- helpers ---------------------------------------------------------- */

static u256 test_u256(const char *s)
{
    u256 v = u256_zero();
    if (!u256_parse(s, strlen(s), &v)) {
        printf("  # bad constant %s\n", s);
        abort();
    }
    return v;
}

static const char *test_hex(u256 v)
{
    static char buf[4][80];
    static int k;
    k = (k + 1) % 4;
    u256_to_hex(v, buf[k], sizeof buf[k]);
    return buf[k];
}

static double test_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const u256 test_bn_p = {
    {0x3c208c16d87cfd47, 0x97816a916871ca8d, 0xb85045b68181585d, 0x30644e72e131a029}};

static json_t *test_load_json(const char *name)
{
    const char *dir = getenv("ERAVM_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/conformance/zksync-protocol/%s", dir ? dir : "../shared/data", name);
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    json_t *tests = j ? json_object_get(j, "tests") : NULL;
    EXPECT(json_is_array(tests), "cannot load %s: %s", path, err.text);
    if (!json_is_array(tests)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* A dotted path into a JSON test object, parsed as decimal or 0x-hex. */
static u256 test_json_u256(json_t *obj, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = obj;
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
        cur = json_object_get(cur, tok);
    const char *s = json_string_value(cur);
    u256 v = u256_zero();
    EXPECT(s && u256_parse(s, strlen(s), &v), "bad JSON field %s", path);
    return v;
}

/* Writes `n` words at word index `first` of `page`, then runs. */
static int test_run_words(test_mem *m, uint16_t address, uint32_t first, const u256 *words, size_t n,
                          uint64_t aux, u256 out[ERAVM_PRECOMPILE_MAX_OUT])
{
    const uint32_t page = 9;
    for (size_t i = 0; i < n; i++)
        test_mem_write_word(m, page, (uint64_t)(uint32_t)((first + (uint32_t)i) * 32u), words[i]);
    return test_run(m, address, first, 0xdeadbeef /* ignored by word-based precompiles */, page, aux, out);
}

static bool test_out_is(const u256 *out, int n, int expect_n, const u256 *expect)
{
    if (n != expect_n)
        return false;
    for (int i = 0; i < n; i++)
        if (!u256_eq(out[i], expect[i]))
            return false;
    return true;
}

/* ---- keccak256 -------------------------------------------------------- */

/* The permutation keccak_f1600 runs (a version for the CPU's BMI
 * instructions where it has them) against the portable one, and Keccak's
 * known answer for the zero state (XKCP KeccakF-1600 intermediate values:
 * lane 0 after one permutation). */
static void test_keccak_f1600(void)
{
    CASE_BEGIN();
    uint64_t a[25] = {0}, b[25];
    keccak_f1600(a);
    EXPECT(a[0] == 0xF1258F7940E1DDE7ull && a[24] == 0xEAF1FF7B5CECA249ull,
           "zero state: lane 0 %016llx, lane 24 %016llx", (unsigned long long)a[0],
           (unsigned long long)a[24]);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    int differ = 0;
    for (int t = 0; t < 1000; t++) {
        for (int i = 0; i < 25; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            a[i] = b[i] = t % 7 == 0 ? ~0ull << (x & 63) : x;
        }
        keccak_f1600(a);
        keccak_f1600_portable(b);
        differ += memcmp(a, b, sizeof a) != 0;
    }
    EXPECT(differ == 0, "%d of 1000 random states permute differently", differ);
    CASE_END("keccak-f[1600]: the zero state's known answer; the version this CPU runs = the "
             "portable one on 1000 random states");
}


static void test_pattern(uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(i * 7 + 3);
}

static void test_keccak256(void)
{
    /* Pattern inputs' hashes come from an independent Python Keccak that
     * agrees with hashlib.sha3_256 when given SHA-3 padding. */
    static const struct {
        const char *text; /* NULL: pattern of `len` bytes */
        size_t len;
        const char *hash;
    } vec[] = {
        {"", 0, "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"},
        {"abc", 3, "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"},
        {"transfer(address,uint256)", 25,
         "0xa9059cbb2ab09eb219583f4a59a5d0623ade346d962bcd4e46b11da047c9049b"},
        {NULL, 135, "0x00ef96af9cf4b24c7f269d922294444a197d0a33638c2e56634c57e892103a8f"},
        {NULL, 136, "0x742061bcad767ed4c4f5883b1dcb1aad11afdcc140dc469d953759b127b9f9ed"},
        {NULL, 200, "0x66d2cdf3ab4c5bd3c75add9b60b14ac5b7789534fa2da3f348853b847359a3a0"},
        {NULL, 1000, "0x80cdc8dd52cbb3dbaea8f383209893fa2bb52efbd5aedbb4b26dcfe307fcdc9b"},
    };
    static const uint32_t offsets[] = {0, 1, 31, 33, 4090, 100003};
    int vectors = 0;
    CASE_BEGIN();
    for (size_t v = 0; v < sizeof vec / sizeof vec[0]; v++) {
        uint8_t data[1000];
        if (vec[v].text)
            memcpy(data, vec[v].text, vec[v].len);
        else
            test_pattern(data, vec[v].len);
        for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; o++) {
            test_mem m = {0};
            /* Non-zero neighbours catch reads outside the range. */
            uint8_t junk[64];
            memset(junk, 0xa5, sizeof junk);
            test_mem_write(&m, 7, offsets[o] >= 64 ? offsets[o] - 64 : 0, junk,
                           offsets[o] >= 64 ? 64 : offsets[o]);
            test_mem_write(&m, 7, (uint64_t)offsets[o] + vec[v].len, junk, sizeof junk);
            test_mem_write(&m, 7, offsets[o], data, vec[v].len);
            u256 out[4];
            int n = test_run(&m, 0x8010, offsets[o], (uint32_t)vec[v].len, 7, 0x1234, out);
            EXPECT(n == 1 && u256_eq(out[0], test_u256(vec[v].hash)), "keccak len %zu at %u: n=%d %s",
                   vec[v].len, offsets[o], n, test_hex(out[0]));
            vectors++;
            test_mem_free(&m);
        }
    }

    /* The reference's u32 byte addresses wrap: a range running past 2^32
     * continues at address 0 of the same page. */
    {
        test_mem m = {0};
        uint8_t data[200];
        test_pattern(data, sizeof data);
        test_mem_write(&m, 7, 0xFFFFFFF0u, data, 16);
        test_mem_write(&m, 7, 0, data + 16, 184);
        u256 out[4];
        int n = test_run(&m, 0x8010, 0xFFFFFFF0u, 200, 7, 0, out);
        EXPECT(n == 1 && u256_eq(out[0], test_u256(vec[5].hash)), "keccak across the 2^32 wrap: %s",
               test_hex(out[0]));
        vectors++;
        test_mem_free(&m);
    }

    /* The page comes from read_page: the same bytes on another page do not count. */
    {
        test_mem m = {0};
        test_mem_write(&m, 2, 64, (const uint8_t *)"abc", 3);
        u256 out[4];
        int n = test_run(&m, 0x8010, 64, 3, 7, 0, out);
        uint8_t h[32];
        keccak256((const uint8_t *)"\0\0\0", 3, h);
        EXPECT(n == 1 && u256_eq(out[0], u256_from_be(h)), "keccak read the wrong page");
        vectors++;
        test_mem_free(&m);
    }

    /* A 16 MiB input streams through bounded reads. */
    {
        const size_t big = 16u << 20;
        uint8_t *zeros = calloc(1, big);
        if (!zeros)
            abort();
        uint8_t h[32];
        keccak256(zeros, big, h);
        free(zeros);
        test_mem m = {0};
        u256 out[4];
        double t0 = test_now();
        int n = test_run(&m, 0x8010, 12345, (uint32_t)big, 7, 0, out);
        double dt = test_now() - t0;
        EXPECT(n == 1 && u256_eq(out[0], u256_from_be(h)), "keccak of 16 MiB of zeros");
        EXPECT(m.largest_read <= 4096, "keccak asked for %zu bytes in one read", m.largest_read);
        printf("  # keccak256 of 16 MiB: %.1f ms\n", dt * 1e3);
        vectors++;
        test_mem_free(&m);
    }
    CASE_END("keccak256: %d vectors (7 inputs x 6 offsets, 2^32 wrap, page, 16 MiB stream)", vectors);
}

/* ---- sha256 ------------------------------------------------------------ */

/* SHA-256 padding, done by the caller in EraVM: 0x80, zeros, 64-bit length. */
static size_t test_sha256_pad(const uint8_t *msg, size_t len, uint8_t *out)
{
    size_t total = (len + 9 + 63) / 64 * 64;
    memset(out, 0, total);
    memcpy(out, msg, len);
    out[len] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        out[total - 1 - i] = (uint8_t)(bits >> (8 * i));
    return total;
}

static void test_sha256(void)
{
    static const size_t lens[] = {0, 3, 55, 56, 64, 100, 119, 200};
    int vectors = 0;
    CASE_BEGIN();
    for (size_t v = 0; v < sizeof lens / sizeof lens[0]; v++) {
        uint8_t msg[200], padded[320], want[32];
        test_pattern(msg, lens[v]);
        if (lens[v] == 3)
            memcpy(msg, "abc", 3);
        size_t total = test_sha256_pad(msg, lens[v], padded);
        SHA256(msg, lens[v], want);
        test_mem m = {0};
        const uint32_t word = 3;
        test_mem_write(&m, 4, word * 32, padded, total);
        u256 out[4];
        int n = test_run(&m, 0x0002, word, 0 /* length is ignored */, 4, total / 64, out);
        EXPECT(n == 1 && u256_eq(out[0], u256_from_be(want)), "sha256 of %zu bytes (%zu blocks): %s", lens[v],
               total / 64, test_hex(out[0]));
        vectors++;
        test_mem_free(&m);
    }

    /* Zero blocks: no output word at all. */
    {
        test_mem m = {0};
        u256 out[4];
        EXPECT(test_run(&m, 0x0002, 0, 64, 4, 0, out) == 0, "sha256 with 0 blocks must produce nothing");
        vectors++;
        test_mem_free(&m);
    }

    /* Word indices wrap in u32: block words at index 0xFFFFFFFF, then 0. */
    {
        uint8_t padded[64], want[32];
        test_sha256_pad((const uint8_t *)"abc", 3, padded);
        SHA256((const uint8_t *)"abc", 3, want);
        test_mem m = {0};
        test_mem_write(&m, 4, 0xFFFFFFE0u, padded, 32);
        test_mem_write(&m, 4, 0, padded + 32, 32);
        u256 out[4];
        int n = test_run(&m, 0x0002, 0xFFFFFFFFu, 64, 4, 1, out);
        EXPECT(n == 1 && u256_eq(out[0], u256_from_be(want)), "sha256 across the word-index wrap");
        vectors++;
        test_mem_free(&m);
    }
    CASE_END("sha256 round function: %d vectors (1-4 blocks vs OpenSSL, 0 blocks, index wrap)", vectors);
}

/* ---- ecrecover --------------------------------------------------------- */

static void test_ecrecover(void)
{
    static const u256 secp256k1_n = {
        {0xbfd25e8cd0364141, 0xbaaedce6af48a03b, 0xfffffffffffffffe, 0xffffffffffffffff}};
    /* go-ethereum's crypto signature test vector (its testpubkey recovers;
     * the address is keccak of that key), and evm.codes' ecrecover example. */
    const u256 d1 = test_u256("0xce0677bb30baa8cf067c88db9811f4333d131bf8bcf12fe7065d211dce971008");
    const u256 r1 = test_u256("0x90f27b8b488db00b00606796d2987f6a5f59ae62ea05effe84fef5b8b0e54998");
    const u256 s1 = test_u256("0x4a691139ad57a3f0b906637673aa2f63d1f55cb1a69199d4009eea23ceaddc93");
    const u256 a1 = test_u256("0xa19d069d48d2e9392ec2bb41ecab0a72119d633b");
    const u256 d2 = test_u256("0x456e9aea5e197a1f1af7a3e85a3212fa4049a3ba34c2289b4c860fc0b0c64ef3");
    const u256 r2 = test_u256("0x9242685bf161793cc25603c231bc2f568eb630ea16aa137d2664ac8038825608");
    const u256 s2 = test_u256("0x4f8ae3bd7535248d0bd448298cc2e2071e56992d0774dc340c368ae950852ada");
    const u256 a2 = test_u256("0x7156526fbd7a3c72969b54f64e42c10fbb768c8a");
    const u256 one = u256_from_u64(1), zero = u256_zero();

    const struct {
        const char *what;
        u256 in[4]; /* digest, v, r, s */
        u256 want[2];
    } vec[] = {
        {"geth vector", {d1, one, r1, s1}, {one, a1}},
        {"evm.codes vector", {d2, one, r2, s2}, {one, a2}},
        /* no low-s rule: s' = n - s with the other parity recovers the same key */
        {"high s", {d1, zero, r1, u256_sub(secp256k1_n, s1, NULL)}, {one, a1}},
        /* only the lowest byte of v is read */
        {"v = 0x101", {d1, u256_from_u64(0x101), r1, s1}, {one, a1}},
        /* a different digest recovers a different, still valid key */
        {"digest ^ 1",
         {u256_xor(d1, one), one, r1, s1},
         {one, test_u256("0x0dc97a912d11acc4d82717da990a30498fda623e")}},
        {"r = 0", {d1, one, zero, s1}, {zero, zero}},
        {"s = 0", {d1, one, r1, zero}, {zero, zero}},
        {"r = n", {d1, one, secp256k1_n, s1}, {zero, zero}},
        {"s = n", {d1, one, r1, secp256k1_n}, {zero, zero}},
        {"s = 2^256-1", {d1, one, r1, u256_max()}, {zero, zero}},
        {"r not an x-coordinate", {d1, one, u256_from_u64(5), s1}, {zero, zero}},
        /* the reference asserts v in {0, 1} (its process would panic) */
        {"v = 2", {d1, u256_from_u64(2), r1, s1}, {zero, zero}},
        {"v = 28", {d2, u256_from_u64(28), r2, s2}, {zero, zero}},
        {"all zero", {zero, zero, zero, zero}, {zero, zero}},
    };
    int vectors = 0;
    CASE_BEGIN();
    for (size_t v = 0; v < sizeof vec / sizeof vec[0]; v++) {
        test_mem m = {0};
        u256 out[4];
        int n = test_run_words(&m, 0x0001, 17, vec[v].in, 4, 0, out);
        EXPECT(test_out_is(out, n, 2, vec[v].want), "ecrecover %s: n=%d [%s, %s]", vec[v].what, n,
               test_hex(out[0]), test_hex(out[1]));
        vectors++;
        test_mem_free(&m);
    }
    CASE_END("ecrecover: %d vectors (2 known signatures, malleability, v byte, 9 failures)", vectors);
}

/* ---- secp256r1 verify -------------------------------------------------- */

/* Signs `digest` with a fresh P-256 key via OpenSSL; fills r, s, x, y. */
static bool test_p256_sign(const uint8_t digest[32], u256 *r, u256 *s, u256 *x, u256 *y)
{
    bool ok = false;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    EVP_PKEY_CTX *pc = key ? EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL) : NULL;
    BIGNUM *bx = NULL, *by = NULL;
    ECDSA_SIG *sig = NULL;
    uint8_t der[128];
    size_t der_len = sizeof der;
    if (!pc || EVP_PKEY_sign_init(pc) <= 0 || EVP_PKEY_sign(pc, der, &der_len, digest, 32) <= 0)
        goto done;
    const uint8_t *pp = der;
    sig = d2i_ECDSA_SIG(NULL, &pp, (long)der_len);
    if (!sig || !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &bx) ||
        !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &by))
        goto done;
    const BIGNUM *br, *bs;
    ECDSA_SIG_get0(sig, &br, &bs);
    uint8_t b[32];
    if (BN_bn2binpad(br, b, 32) != 32)
        goto done;
    *r = u256_from_be(b);
    if (BN_bn2binpad(bs, b, 32) != 32)
        goto done;
    *s = u256_from_be(b);
    if (BN_bn2binpad(bx, b, 32) != 32)
        goto done;
    *x = u256_from_be(b);
    if (BN_bn2binpad(by, b, 32) != 32)
        goto done;
    *y = u256_from_be(b);
    ok = true;
done:
    ECDSA_SIG_free(sig);
    BN_free(bx);
    BN_free(by);
    EVP_PKEY_CTX_free(pc);
    EVP_PKEY_free(key);
    return ok;
}

static void test_secp256r1(void)
{
    static const u256 p256_n = {
        {0xf3b9cac2fc632551, 0xbce6faada7179e84, 0xffffffffffffffff, 0xffffffff00000000}};
    static const u256 p256_p = {
        {0xffffffffffffffff, 0x00000000ffffffff, 0x0000000000000000, 0xffffffff00000001}};
    const u256 one = u256_from_u64(1), zero = u256_zero();
    const u256 ok11[2] = {one, one}, ok10[2] = {one, zero}, bad[2] = {zero, zero};
    int vectors = 0;
    CASE_BEGIN();

    uint8_t digest[32];
    keccak256((const uint8_t *)"test message!", 13, digest);
    u256 z = u256_from_be(digest), r, s, x, y;
    bool signed_ok = test_p256_sign(digest, &r, &s, &x, &y);
    EXPECT(signed_ok, "OpenSSL could not make a P-256 signature");
    if (signed_ok) {
        const struct {
            const char *what;
            u256 in[5]; /* digest, r, s, x, y */
            const u256 *want;
        } vec[] = {
            {"valid", {z, r, s, x, y}, ok11},
            {"valid, high s", {z, r, u256_sub(p256_n, s, NULL), x, y}, ok11},
            {"wrong digest", {u256_xor(z, one), r, s, x, y}, ok10},
            {"wrong r", {z, u256_xor(r, one), s, x, y}, ok10},
            {"r = 0", {z, zero, s, x, y}, bad},
            {"s = 0", {z, r, zero, x, y}, bad},
            {"r = n", {z, p256_n, s, x, y}, bad},
            {"s = n", {z, r, p256_n, x, y}, bad},
            {"key off the curve", {z, r, s, x, u256_xor(y, one)}, bad},
            {"x = p", {z, r, s, p256_p, y}, bad},
            {"key (0, 0)", {z, r, s, zero, zero}, bad},
        };
        for (size_t v = 0; v < sizeof vec / sizeof vec[0]; v++) {
            test_mem m = {0};
            u256 out[4];
            int n = test_run_words(&m, 0x0100, 40, vec[v].in, 5, 0, out);
            EXPECT(test_out_is(out, n, 2, vec[v].want), "secp256r1 %s: n=%d [%s, %s]", vec[v].what, n,
                   test_hex(out[0]), test_hex(out[1]));
            vectors++;
            test_mem_free(&m);
        }
    }

    /* A fixed signature (made once with the openssl CLI over SHA-256 of
     * "fixed vector for eravm precompile test", checked with a pure-Python
     * ECDSA verifier) so one case does not depend on a fresh random key. */
    {
        u256 in[5] = {test_u256("0x42da638b3bdbdd968077da164cf5929a5df0cdc06062a17a8885d1fbc8fba0f7"),
                      test_u256("0x3f9b5c8b283e2280ace89132436b7ead6de3d4550f8a9e5b5eaace6e6bf9a2d1"),
                      test_u256("0x1999e2c9ad645c58ddd26bd098858af600359ec6b19cca48c621219225853230"),
                      test_u256("0x10375ed73fe3b1ac2811d059c1fe77364bb2d907400f05053f21bf69784f3aa4"),
                      test_u256("0x60b038a2fe7b8ffa2f827e15ec871140c644ef0d90c68abfd10348a25da66c1a")};
        test_mem m = {0};
        u256 out[4];
        int n = test_run_words(&m, 0x0100, 7, in, 5, 0, out);
        EXPECT(test_out_is(out, n, 2, ok11), "secp256r1 fixed vector: [%s, %s]", test_hex(out[0]),
               test_hex(out[1]));
        in[0] = u256_add(in[0], one, NULL);
        n = test_run_words(&m, 0x0100, 7, in, 5, 0, out);
        EXPECT(test_out_is(out, n, 2, ok10), "secp256r1 fixed vector, digest + 1");
        vectors += 2;
        test_mem_free(&m);
    }

    /* The reference's own unit test: u1·G + u2·Q is the point at infinity
     * (Q = -G, z = r = s = 1): well-formed, so [1, 0], not an error. */
    {
        u256 in[5] = {one, one, one,
                      test_u256("0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"),
                      test_u256("0xb01cbd1c01e58065711814b583f061e9d431cca994cea1313449bf97c840ae0a")};
        test_mem m = {0};
        u256 out[4];
        int n = test_run_words(&m, 0x0100, 0, in, 5, 0, out);
        EXPECT(test_out_is(out, n, 2, ok10), "secp256r1 R at infinity: [%s, %s]", test_hex(out[0]),
               test_hex(out[1]));
        vectors++;
        test_mem_free(&m);
    }
    CASE_END("secp256r1 verify: %d vectors (fixed and OpenSSL-signed, mutations, range checks, R = O)",
             vectors);
}

/* ---- modexp ------------------------------------------------------------- */

static void test_modexp(void)
{
    int vectors = 0;
    CASE_BEGIN();
    json_t *j = test_load_json("modexp_32-32-32_tests.json");
    if (j) {
        size_t i;
        json_t *t;
        json_array_foreach (json_object_get(j, "tests"), i, t) {
            u256 in[3] = {test_json_u256(t, "base"), test_json_u256(t, "exponent"),
                          test_json_u256(t, "modulus")};
            u256 want = test_json_u256(t, "expected");
            test_mem m = {0};
            u256 out[4];
            int n = test_run_words(&m, 0x0005, 2, in, 3, 0, out);
            EXPECT(test_out_is(out, n, 1, &want), "modexp JSON #%zu: %s", i, test_hex(out[0]));
            vectors++;
            test_mem_free(&m);
        }
        json_decref(j);
    }

    /* The reference's unit tests, EIP-198 edge cases, and a full-width case
     * checked with Python's pow(). */
    static const struct {
        const char *b, *e, *m, *want;
    } vec[] = {
        {"8", "9", "10", "8"},
        {"0x7f333213268023a7d3d40ea760d0e1c00d5fe99710e379193fc5973e7ad09370",
         "0x39d71831130091794534336679323390f4408be38cb89963ec41f4a90d6bf63",
         "0xec6f05ec20e4c25420f9d6bc6800f9544ecabf5dbea80d11e0fb12c7f0517f5b",
         "0x2779a7e4d2b26461c6557a12eb86285eeeb9cf5a40155305177854b15b4ed3df"},
        {"5", "0", "1", "0"},
        {"0", "0", "1", "0"},
        {"0", "0", "7", "1"},
        {"12", "0", "7", "1"},
        {"0", "3", "7", "0"},
        {"1", "0xffff", "7", "1"},
        {"10", "1", "7", "3"},
        {"3", "5", "0", "0"},
        {"0", "0", "0", "0"},
        {"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
         "0x8000000000000000000000000000000000000000000000000000000000000007",
         "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff43",
         "0x96187fc4a2be2269183a0e831533cf4e2170fb4ec9fbb44bd64dc7d76cedb5b2"},
        {"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
         "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
         "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "0"},
        {"2", "255", "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
         "0x8000000000000000000000000000000000000000000000000000000000000000"},
    };
    for (size_t v = 0; v < sizeof vec / sizeof vec[0]; v++) {
        u256 in[3] = {test_u256(vec[v].b), test_u256(vec[v].e), test_u256(vec[v].m)};
        u256 want = test_u256(vec[v].want);
        test_mem m = {0};
        u256 out[4];
        int n = test_run_words(&m, 0x0005, 0, in, 3, 0, out);
        EXPECT(test_out_is(out, n, 1, &want), "modexp %s^%s mod %s = %s, want %s", vec[v].b, vec[v].e,
               vec[v].m, test_hex(out[0]), vec[v].want);
        vectors++;
        test_mem_free(&m);
    }
    CASE_END("modexp: %d vectors (zksync-protocol JSON, reference unit tests, EIP-198 edges)", vectors);
}

/* ---- bn254 ecadd / ecmul -------------------------------------------------- */

static void test_ecadd(void)
{
    const u256 one = u256_from_u64(1), zero = u256_zero();
    int vectors = 0, json_n = 0;
    CASE_BEGIN();
    json_t *j = test_load_json("ecadd_tests.json");
    if (j) {
        size_t i;
        json_t *t;
        json_array_foreach (json_object_get(j, "tests"), i, t) {
            u256 in[4] = {test_json_u256(t, "point_1.x"), test_json_u256(t, "point_1.y"),
                          test_json_u256(t, "point_2.x"), test_json_u256(t, "point_2.y")};
            u256 want[3] = {one, test_json_u256(t, "expected.x"), test_json_u256(t, "expected.y")};
            test_mem m = {0};
            u256 out[4];
            int n = test_run_words(&m, 0x0006, 11, in, 4, 0, out);
            EXPECT(test_out_is(out, n, 3, want), "ecadd JSON #%zu: [%s, %s, %s]", i, test_hex(out[0]),
                   test_hex(out[1]), test_hex(out[2]));
            vectors++;
            json_n++;
            test_mem_free(&m);
        }
        json_decref(j);
    }

    const u256 gx = one, gy = u256_from_u64(2), neg_gy = u256_sub(test_bn_p, gy, NULL);
    const u256 p1x = test_u256("0x1148f79e53544582d22e5071480ae679d0b9df89d69e881f611e8381384ed1ad");
    const u256 p1y = test_u256("0xbac10178d2cd8aa9b4af903461b9f1666c219cdfeb2bb5e0cd7cd6486a32a6d");
    const u256 p2x = test_u256("0x251edb9081aba0cb29a45e4565ab2a2136750be5c893000e35e031ee123889e8");
    const u256 p2y = test_u256("0x24a972b009ad5986a7e14781d4e0c2d11aff281004712470811ec9b4fcb7c569");
    const u256 twog_x =
        test_u256("1368015179489954701390400359078579693043519447331113978918064868415326638035");
    const u256 twog_y =
        test_u256("9918110051302171585080402603319702774565515993150576347155970296011118125764");
    const struct {
        const char *what;
        u256 in[4];
        u256 want[3];
    } vec[] = {
        /* the reference's unit tests */
        {"P1 + P2",
         {p1x, p1y, p2x, p2y},
         {one, test_u256("16722044054529980026630802318818607593549086552476606668453035265973506741708"),
          test_u256("5777135421494458653665242593020841953920930780504228016288089286576416057645")}},
        {"P1 + (-P1)",
         {p1x, p1y, p1x, test_u256("0x24b83e5b5404c77f1d054cb33b65b94730bf50c369bf0f2f2f48beb251d9d2da")},
         {one, zero, zero}},
        {"O + O", {zero, zero, zero, zero}, {one, zero, zero}},
        {"G + G", {gx, gy, gx, gy}, {one, twog_x, twog_y}},
        {"O + G", {zero, zero, gx, gy}, {one, gx, gy}},
        {"G + O", {gx, gy, zero, zero}, {one, gx, gy}},
        {"G + (-G)", {gx, gy, gx, neg_gy}, {one, zero, zero}},
        {"(1, 3) off the curve", {gx, u256_from_u64(3), p2x, p2y}, {zero, zero, zero}},
        {"second point off the curve", {p1x, p1y, one, u256_from_u64(16)}, {zero, zero, zero}},
        {"(0, 1) is not infinity", {zero, one, gx, gy}, {zero, zero, zero}},
        {"x = p", {test_bn_p, gy, gx, gy}, {zero, zero, zero}},
        {"y = p + 2 (G mod p)", {gx, u256_add(test_bn_p, gy, NULL), gx, gy}, {zero, zero, zero}},
        {"x = 2^256-1", {gx, gy, u256_max(), gy}, {zero, zero, zero}},
    };
    for (size_t v = 0; v < sizeof vec / sizeof vec[0]; v++) {
        test_mem m = {0};
        u256 out[4];
        int n = test_run_words(&m, 0x0006, 0, vec[v].in, 4, 0, out);
        EXPECT(test_out_is(out, n, 3, vec[v].want), "ecadd %s: [%s, %s, %s]", vec[v].what, test_hex(out[0]),
               test_hex(out[1]), test_hex(out[2]));
        vectors++;
        test_mem_free(&m);
    }

    /* Word index 2^27-1 sits at byte 2^32-32; the next index's byte
     * address wraps to 0 (u32 arithmetic in the reference). */
    {
        test_mem m = {0};
        test_mem_write_word(&m, 9, 0xFFFFFFE0u, gx);
        test_mem_write_word(&m, 9, 0, gy);
        test_mem_write_word(&m, 9, 32, gx);
        test_mem_write_word(&m, 9, 64, gy);
        u256 out[4];
        int n = test_run(&m, 0x0006, (1u << 27) - 1, 0, 9, 0, out);
        u256 want[3] = {one, twog_x, twog_y};
        EXPECT(test_out_is(out, n, 3, want), "ecadd across the address wrap");
        vectors++;
        test_mem_free(&m);
    }
    CASE_END("ecadd: %d vectors (%d zksync-protocol JSON, reference tests, infinity, failures, wrap)",
             vectors, json_n);
}

static void test_ecmul(void)
{
    const u256 one = u256_from_u64(1), zero = u256_zero();
    const u256 gx = one, gy = u256_from_u64(2);
    int vectors = 0, json_n = 0;
    CASE_BEGIN();
    json_t *j = test_load_json("ecmul_tests.json");
    if (j) {
        size_t i;
        json_t *t;
        json_array_foreach (json_object_get(j, "tests"), i, t) {
            u256 in[3] = {test_json_u256(t, "point.x"), test_json_u256(t, "point.y"),
                          test_json_u256(t, "scalar")};
            u256 want[3] = {one, test_json_u256(t, "expected.x"), test_json_u256(t, "expected.y")};
            test_mem m = {0};
            u256 out[4];
            int n = test_run_words(&m, 0x0007, 1000, in, 3, 0, out);
            EXPECT(test_out_is(out, n, 3, want), "ecmul JSON #%zu: [%s, %s, %s]", i, test_hex(out[0]),
                   test_hex(out[1]), test_hex(out[2]));
            vectors++;
            json_n++;
            test_mem_free(&m);
        }
        json_decref(j);
    }

    const u256 r = test_u256("0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001");
    const struct {
        const char *what;
        u256 in[3];
        u256 want[3];
    } vec[] = {
        /* the reference's unit tests */
        {"P1 * s",
         {test_u256("0x1148f79e53544582d22e5071480ae679d0b9df89d69e881f611e8381384ed1ad"),
          test_u256("0xbac10178d2cd8aa9b4af903461b9f1666c219cdfeb2bb5e0cd7cd6486a32a6d"),
          test_u256("0x15f0e77d431a6c4d21df6a71cdcb0b2eeba21fc1192bd9801b8cd8b7c763e115")},
         {one, test_u256("9941674825074992183128808489717167636392653540258056893654639521381088261704"),
          test_u256("8986289197266457569457494475222656986225227492679168701241837087965910154278")}},
        {"G * 2",
         {gx, gy, u256_from_u64(2)},
         {one, test_u256("1368015179489954701390400359078579693043519447331113978918064868415326638035"),
          test_u256("9918110051302171585080402603319702774565515993150576347155970296011118125764")}},
        {"G * r", {gx, gy, r}, {one, zero, zero}},
        {"G * 3r",
         {gx, gy, test_u256("0x912ceb58a394e07d28f0d12384840917789bb8d96d2c51b3cba5e0bbd0000003")},
         {one, zero, zero}},
        {"G * (5r + 1)",
         {gx, gy, test_u256("0xf1f5883e65f820d099915c908786b9d1c903896a609f32d65369cbe3b0000006")},
         {one, gx, gy}},
        {"G * 0", {gx, gy, zero}, {one, zero, zero}},
        {"G * 1", {gx, gy, one}, {one, gx, gy}},
        {"O * s", {zero, zero, u256_max()}, {one, zero, zero}},
        {"(1, 10) off the curve", {gx, u256_from_u64(10), u256_from_u64(7)}, {zero, zero, zero}},
        {"(1, 10) * 0 still fails", {gx, u256_from_u64(10), zero}, {zero, zero, zero}},
        {"y = p", {gx, test_bn_p, one}, {zero, zero, zero}},
    };
    for (size_t v = 0; v < sizeof vec / sizeof vec[0]; v++) {
        test_mem m = {0};
        u256 out[4];
        int n = test_run_words(&m, 0x0007, 0, vec[v].in, 3, 0, out);
        EXPECT(test_out_is(out, n, 3, vec[v].want), "ecmul %s: [%s, %s, %s]", vec[v].what, test_hex(out[0]),
               test_hex(out[1]), test_hex(out[2]));
        vectors++;
        test_mem_free(&m);
    }

    {
        u256 in[3] = {gx, gy, u256_max()}, out[4];
        test_mem m = {0};
        double t0 = test_now();
        for (int k = 0; k < 20; k++)
            test_run_words(&m, 0x0007, 0, in, 3, 0, out);
        printf("  # ecmul with a 256-bit scalar: %.0f us\n", (test_now() - t0) / 20 * 1e6);
        test_mem_free(&m);
    }
    CASE_END("ecmul: %d vectors (%d zksync-protocol JSON, reference tests, scalar reduction, failures)",
             vectors, json_n);
}

/* ---- bn254 ecpairing -------------------------------------------------------- */

/* Runs ecpairing on `pairs` six-word pairs. */
static int test_pairing_run(const u256 *words, size_t pairs, u256 out[4])
{
    test_mem m = {0};
    int n = test_run_words(&m, 0x0008, 50, words, pairs * 6, pairs, out);
    test_mem_free(&m);
    return n;
}

/* Loads a JSON pair into the precompile's word order (x.im before x.re). */
static void test_pairing_words(json_t *t, const char *g1, const char *g2, u256 w[6])
{
    char path[64];
    snprintf(path, sizeof path, "%s.x", g1);
    w[0] = test_json_u256(t, path);
    snprintf(path, sizeof path, "%s.y", g1);
    w[1] = test_json_u256(t, path);
    snprintf(path, sizeof path, "%s.x.c1", g2);
    w[2] = test_json_u256(t, path);
    snprintf(path, sizeof path, "%s.x.c0", g2);
    w[3] = test_json_u256(t, path);
    snprintf(path, sizeof path, "%s.y.c1", g2);
    w[4] = test_json_u256(t, path);
    snprintf(path, sizeof path, "%s.y.c0", g2);
    w[5] = test_json_u256(t, path);
}

static void test_ecpairing(void)
{
    static const char *const fp12_names[12] = {"c0.c0.c0", "c0.c0.c1", "c0.c1.c0", "c0.c1.c1",
                                               "c0.c2.c0", "c0.c2.c1", "c1.c0.c0", "c1.c0.c1",
                                               "c1.c1.c0", "c1.c1.c1", "c1.c2.c0", "c1.c2.c1"};
    const u256 one = u256_from_u64(1), zero = u256_zero();
    const u256 yes[2] = {one, one}, no[2] = {one, zero}, bad[2] = {zero, zero};
    int vectors = 0, json_n = 0;
    u256 out[4];
    CASE_BEGIN();

    json_t *j = test_load_json("pairing_tests.json");
    if (j) {
        size_t i;
        json_t *t;
        json_array_foreach (json_object_get(j, "tests"), i, t) {
            u256 w[6], val[12];
            test_pairing_words(t, "g1_point", "g2_point", w);
            /* the reduced pairing value itself, all twelve coefficients */
            EXPECT(bn254_pairing_value(w, val), "pairing JSON #%zu rejected", i);
            for (int k = 0; k < 12; k++) {
                char path[64];
                snprintf(path, sizeof path, "pairing.%s", fp12_names[k]);
                EXPECT(u256_eq(val[k], test_json_u256(t, path)), "pairing JSON #%zu coefficient %s", i,
                       fp12_names[k]);
            }
            vectors++;
            json_n++;

            /* e(P, Q) != 1; e(P, Q)·e(-P, Q) = 1; e(2P, Q)·e(-P, Q)^2 = 1 */
            EXPECT(test_out_is(out, test_pairing_run(w, 1, out), 2, no), "e(P, Q) alone must not be one");
            u256 two[12];
            memcpy(two, w, sizeof(u256) * 6);
            memcpy(two + 6, w, sizeof(u256) * 6);
            two[7] = u256_sub(test_bn_p, w[1], NULL);
            double t0 = test_now();
            int n = test_pairing_run(two, 2, out);
            printf("  # 2-pair ecpairing check: %.2f ms\n", (test_now() - t0) * 1e3);
            EXPECT(test_out_is(out, n, 2, yes), "e(P, Q)·e(-P, Q) must be one");
            u256 three[18], dbl[2];
            u256 add_in[4] = {w[0], w[1], w[0], w[1]};
            EXPECT(bn254_g1_add(add_in, dbl), "doubling P");
            memcpy(three, two, sizeof(u256) * 12);
            memcpy(three + 12, two + 6, sizeof(u256) * 6);
            three[0] = dbl[0];
            three[1] = dbl[1];
            EXPECT(test_out_is(out, test_pairing_run(three, 3, out), 2, yes),
                   "e(2P, Q)·e(-P, Q)^2 must be one");
            /* a trailing malformed pair spoils a true product */
            u256 spoiled[18];
            memcpy(spoiled, two, sizeof(u256) * 12);
            memcpy(spoiled + 12, w, sizeof(u256) * 6);
            spoiled[17] = u256_xor(spoiled[17], one);
            EXPECT(test_out_is(out, test_pairing_run(spoiled, 3, out), 2, bad), "malformed third pair");
            /* infinity on either side contributes one */
            u256 g2_inf[6] = {w[0], w[1], zero, zero, zero, zero};
            EXPECT(test_out_is(out, test_pairing_run(g2_inf, 1, out), 2, yes), "e(P, O) must be one");
            u256 g1_inf[6] = {zero, zero, w[2], w[3], w[4], w[5]};
            EXPECT(test_out_is(out, test_pairing_run(g1_inf, 1, out), 2, yes), "e(O, Q) must be one");
            vectors += 6;
        }
        json_decref(j);
    }

    j = test_load_json("pairing_invalid_subgroup_tests.json");
    if (j) {
        size_t i;
        json_t *t;
        json_array_foreach (json_object_get(j, "tests"), i, t) {
            u256 w[6];
            test_pairing_words(t, "g1_point", "g2_point", w);
            EXPECT(test_out_is(out, test_pairing_run(w, 1, out), 2, bad), "G2 outside the subgroup #%zu", i);
            test_pairing_words(t, "g1_point_doubled", "g2_point", w);
            EXPECT(test_out_is(out, test_pairing_run(w, 1, out), 2, bad), "2P with bad G2 #%zu", i);
            test_pairing_words(t, "g1_point", "g2_point_doubled", w);
            EXPECT(test_out_is(out, test_pairing_run(w, 1, out), 2, bad), "P with bad 2Q #%zu", i);
            /* the subgroup test runs even when the G1 point is infinity */
            w[0] = w[1] = zero;
            EXPECT(test_out_is(out, test_pairing_run(w, 1, out), 2, bad), "O with bad 2Q #%zu", i);
            vectors += 4;
            json_n++;
        }
        json_decref(j);
    }

    /* The reference's unit tests (evm.codes' example and its variants). */
    const u256 ev[12] = {
        test_u256("0x2cf44499d5d27bb186308b7af7af02ac5bc9eeb6a3d147c186b21fb1b76e18da"),
        test_u256("0x2c0f001f52110ccfe69108924926e45f0b0c868df0e7bde1fe16d3242dc715f6"),
        test_u256("0x1fb19bb476f6b9e44e2a32234da8212f61cd63919354bc06aef31e3cfaff3ebc"),
        test_u256("0x22606845ff186793914e03e21df544c34ffe2f2f3504de8a79d9159eca2d98d9"),
        test_u256("0x2bd368e28381e8eccb5fa81fc26cf3f048eea9abfdd85d7ed3ab3698d63e4f90"),
        test_u256("0x2fe02e47887507adf0ff1743cbac6ba291e66f59be6bd763950bb16041a0a85e"),
        test_u256("0x0000000000000000000000000000000000000000000000000000000000000001"),
        test_u256("0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd45"),
        test_u256("0x1971ff0471b09fa93caaf13cbf443c1aede09cc4328f5a62aad45f40ec133eb4"),
        test_u256("0x091058a3141822985733cbdddfed0fd8d6c104e9e9eff40bf5abfef9ab163bc7"),
        test_u256("0x2a23af9a5ce2ba2796c1f4e453a370eb0af8c212d9dc9acd8fc02c2e907baea2"),
        test_u256("0x23a8eb0b0996252cb548a4487da97b02422ebc0e834613f954de6c7e0afdc1fc"),
    };
    EXPECT(test_out_is(out, test_pairing_run(ev, 2, out), 2, yes), "evm.codes pairing example");
    u256 ev_zeros[36];
    memset(ev_zeros, 0, sizeof ev_zeros);
    memcpy(ev_zeros, ev, sizeof ev);
    EXPECT(test_out_is(out, test_pairing_run(ev_zeros, 6, out), 2, yes), "evm.codes example + 4 zero pairs");
    EXPECT(test_out_is(out, test_pairing_run(ev, 1, out), 2, no), "first half of the evm.codes example");
    EXPECT(test_out_is(out, test_pairing_run(ev, 0, out), 2, yes), "zero pairs: the empty product is one");
    const u256 not_subgroup[6] = {
        test_u256("0x412aa5b0805215b55a5e2dbf0662031aad0f5ef13f28b25df20b8670d1c59a6"),
        test_u256("0x16fb4b64ccff216fa5272e1e987c0616d60d8883d5834229c685949047e9411d"),
        test_u256("0x2d81dbc969f72bc0454ff8b04735b717b725fee98a2fcbcdcf6c5b51b1dff33f"),
        test_u256("0x75239888fc8448ab781e2a8bb85eb556469474cd707d4b913bee28679920eb6"),
        test_u256("0x1ef1c268b7c4c78959f099a043ecd5e537fe3069ac9197235f16162372848cba"),
        test_u256("0x209cfadc22f7e80d399d1886f1c53898521a34c62918ed802305f32b4070a3c4"),
    };
    EXPECT(test_out_is(out, test_pairing_run(not_subgroup, 1, out), 2, bad),
           "reference: G2 not in the subgroup");
    const u256 bad_g1[6] = {
        u256_from_u64(5),
        u256_from_u64(10),
        test_u256("0x16342ef5343ae56e96dafd3fc43aaf6a715642f376327cf2bdb813cf41a0b55b"),
        test_u256("0x237e8c97323c9032ce9e05af4b1597881131d137b5313182c9ef1b2576c9f3f1"),
        test_u256("0x9c316c01492b5d4e2521d897b66de1e47438adf83a320054f8fc763935dc754"),
        test_u256("0xe1bf45145e9ee5372a81f2ad50b81830e3bb26400a5a72999fac2f73d768089"),
    };
    EXPECT(test_out_is(out, test_pairing_run(bad_g1, 1, out), 2, bad), "reference: G1 (5, 10) off the curve");
    const u256 bad_g2[6] = {not_subgroup[0], not_subgroup[1], zero, one, u256_from_u64(2), u256_from_u64(3)};
    EXPECT(test_out_is(out, test_pairing_run(bad_g2, 1, out), 2, bad), "reference: G2 off the curve");
    u256 big[12];
    memcpy(big, ev, sizeof ev);
    big[4] = test_bn_p;
    EXPECT(test_out_is(out, test_pairing_run(big, 2, out), 2, bad), "G2 coordinate = p");
    memcpy(big, ev, sizeof ev);
    big[6] = u256_add(big[6], test_bn_p, NULL);
    EXPECT(test_out_is(out, test_pairing_run(big, 2, out), 2, bad), "G1 coordinate + p");
    vectors += 9;
    CASE_END(
        "ecpairing: %d vectors (%d zksync-protocol JSON pairs incl. the exact Fp12 value, reference tests)",
        vectors, json_n);
}

/* ---- robustness ------------------------------------------------------------ */

static uint64_t test_rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t test_rng(void)
{
    /* xorshift64*: deterministic, so a failure reproduces */
    test_rng_state ^= test_rng_state >> 12;
    test_rng_state ^= test_rng_state << 25;
    test_rng_state ^= test_rng_state >> 27;
    return test_rng_state * 0x2545f4914f6cdd1dull;
}

/* A random word, often small or just below/above p so the range checks and
 * the point decoders see their edge cases, not only hopeless garbage. */
static u256 test_rng_word(void)
{
    u256 v = {{test_rng(), test_rng(), test_rng(), test_rng()}};
    switch (test_rng() % 6) {
    case 0:
        return u256_zero();
    case 1:
        return u256_from_u64(test_rng() % 4);
    case 2:
        return u256_sub(test_bn_p, u256_from_u64(test_rng() % 3), NULL);
    case 3:
        return u256_add(test_bn_p, u256_from_u64(test_rng() % 3), NULL);
    case 4:
        v.w[3] &= 0x3fffffffffffffffull; /* mostly < 2^254 */
        return v;
    default:
        return v;
    }
}

/* Random ABI fields and memory contents for every precompile: nothing may
 * crash, and each must return its fixed number of output words. Block and
 * pair counts stay small because the reference loops over them too. */
static void test_robustness(void)
{
    static const struct {
        uint16_t address;
        int words;
    } pc[] = {{0x0001, 2}, {0x0002, 1}, {0x0005, 1}, {0x0006, 3},
              {0x0007, 3}, {0x0008, 2}, {0x0100, 2}, {0x8010, 1}};
    int calls = 0;
    CASE_BEGIN();
    for (int round = 0; round < 40; round++) {
        for (size_t k = 0; k < sizeof pc / sizeof pc[0]; k++) {
            test_mem m = {0};
            uint32_t off = (uint32_t)test_rng();
            if (test_rng() % 2)
                off %= 4096;
            uint32_t len = (uint32_t)(test_rng() % 3000);
            uint64_t aux = test_rng() % 4;
            /* fill the words the word-based precompiles will read, and the
             * bytes keccak will read, with edge-heavy random words */
            for (uint32_t i = 0; i < 24; i++)
                test_mem_write_word(&m, 6, (uint64_t)(uint32_t)((off + i) * 32u), test_rng_word());
            for (uint32_t b = 0; b < len; b += 32)
                test_mem_write_word(&m, 6, (uint64_t)(uint32_t)(off + b), test_rng_word());
            u256 out[4];
            int n = test_run(&m, pc[k].address, off, len, 6, aux, out);
            int want = pc[k].address == 0x0002 && aux == 0 ? 0 : pc[k].words;
            EXPECT(n == want, "address 0x%04x returned %d words, want %d", pc[k].address, n, want);
            bool has_status = pc[k].address != 0x8010 && pc[k].address != 0x0002 && pc[k].address != 0x0005;
            EXPECT(!has_status || (u256_fits_u64(out[0]) && out[0].w[0] <= 1), "0x%04x status word %s",
                   pc[k].address, test_hex(out[0]));
            calls++;
            test_mem_free(&m);
        }
    }
    /* the largest lengths and offsets the ABI allows, on an empty page */
    {
        test_mem m = {0};
        u256 out[4];
        int n = test_run(&m, 0x8010, 0xFFFFFFFFu, 1u << 20, 6, UINT64_MAX, out);
        EXPECT(n == 1, "keccak at offset 2^32-1");
        n = test_run(&m, 0x0002, 0xFFFFFFFFu, UINT32_MAX, 6, 3, out);
        EXPECT(n == 1, "sha256 at word 2^32-1");
        n = test_run(&m, 0x0008, 0xFFFFFFFFu, UINT32_MAX, 6, 1000, out);
        const u256 yes[2] = {u256_from_u64(1), u256_from_u64(1)};
        EXPECT(test_out_is(out, n, 2, yes), "1000 all-zero pairs are 1000 infinities: product one");
        calls += 3;
        test_mem_free(&m);
    }
    CASE_END("robustness: %d calls with random ABI fields and edge-heavy words, no crash", calls);
}

/* ---- dispatch -------------------------------------------------------------- */

static void test_dispatch(void)
{
    static const uint16_t none[] = {0x0000, 0x0003, 0x0004, 0x0009, 0x00ff, 0x0101, 0x8001, 0x8011, 0xffff};
    int vectors = 0;
    CASE_BEGIN();
    test_mem m = {0};
    test_mem_write(&m, 1, 0, (const uint8_t *)"abc", 3);
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        u256 out[4];
        out[0] = u256_max();
        int n = test_run(&m, none[i], 0, 3, 1, 1, out);
        EXPECT(n == 0 && u256_is_zero(out[0]), "address 0x%04x is no precompile but returned %d words",
               none[i], n);
        vectors++;
    }
    test_mem_free(&m);
    CASE_END("non-precompile addresses: %d vectors (no output)", vectors);
}

int main(void)
{
    test_keccak_f1600();
    test_keccak256();
    test_sha256();
    test_ecrecover();
    test_secp256r1();
    test_modexp();
    test_ecadd();
    test_ecmul();
    test_ecpairing();
    test_dispatch();
    test_robustness();
    return check_exit();
}
