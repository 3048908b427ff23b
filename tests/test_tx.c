/* tests/test_tx.c — checks host/tx, host/abi and host/compress against the
 * worked example of ../shared/spec/bootloader.md §9 (the deploy of
 * deploy_simple_contract and the transfer, word by word, with their hashes
 * and signatures), the spec's other computed vectors (typehashes, domain
 * separator, sender address, CREATE addresses, storage keys, compressed
 * sizes), zksync-era's compression unit-test vectors, a compress/decompress
 * round trip over every bytecode in $ERAVM_DATA, and bad input. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "bytecode.h"
#include "check.h"
#include "compress.h"
#include "eravm.h"
#include "keccak.h"
#include "tx.h"

static const char *data_dir;

static u256 H(const char *hex)
{
    u256 v = u256_zero();
    if (!u256_parse(hex, strlen(hex), &v)) {
        printf("  # bad test constant %s\n", hex);
        abort();
    }
    return v;
}

static void hex_bytes(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned b;
        sscanf(hex + 2 * i, "%2x", &b);
        out[i] = (uint8_t)b;
    }
}

static const char *show(u256 v)
{
    static char buf[4][67];
    static int k;
    char *b = buf[k++ & 3];
    uint8_t be[32];
    u256_to_be(v, be);
    b[0] = '0', b[1] = 'x';
    for (int i = 0; i < 32; i++)
        sprintf(b + 2 + 2 * i, "%02x", be[i]);
    return b;
}

#define EXPECT_U256(got, want)                                                                   \
    do {                                                                                         \
        u256 g_ = (got), w_ = (want);                                                            \
        EXPECT(u256_eq(g_, w_), "%s = %s, want %s", #got, show(g_), show(w_));                   \
    } while (0)

static uint8_t *load_code(const char *rel, size_t *len)
{
    char path[4096], err[256];
    uint8_t *code;
    snprintf(path, sizeof path, "%s/%s", data_dir, rel);
    if (eravm_load_bytecode(path, &code, len, err, sizeof err)) {
        printf("  # %s\n", err);
        return NULL;
    }
    return code;
}

static tx_key sender_key(void)
{
    uint8_t secret[32];
    tx_key k;
    char err[128];
    memset(secret, 0x2a, sizeof secret);
    if (tx_key_from_secret(&k, secret, err, sizeof err)) {
        printf("  # %s\n", err);
        abort();
    }
    return k;
}

/* ---- constants ------------------------------------------------------------- */

static void test_constants(void)
{
    CASE_BEGIN();
    tx_key k = sender_key();
    EXPECT_U256(k.address, H("0xb0e5863d0ddf7e105e409fee0ecc0123a362e14b"));
    EXPECT_U256(tx_domain_typehash(),
                H("0xc2f8787176b8ac6bf7215b4adcc1e069bf4ab82d9ab1df05a57a91d425935b6e"));
    EXPECT_U256(tx_typehash(),
                H("0x848e1bfa1ac4e3576b728bda6721b215c70a7799a5b4866282a71bab954baac8"));
    EXPECT_U256(tx_domain_separator(270),
                H("0x90c05efb083b1455ff9cfdbd3792b42bea87908b3a05f46c28244311c105b5a6"));
    uint8_t h[32];
    keccak256((const uint8_t *)"zksyncCreate", 12, h);
    EXPECT_U256(u256_from_be(h),
                H("0x63bae3a9951d38e8a3fbb7b70909afc1200610fc5bc55ade242f815974674f23"));
    EXPECT_U256(tx_create_address(k.address, u256_from_u64(0)),
                H("0xe48745e07f62f3700176f1b730ba59da36726118"));
    EXPECT_U256(tx_create_address(k.address, u256_from_u64(1)),
                H("0x675928ca2f1b4f87bcfa8178edf99c8b6ce68a1c"));
    u256 key = H("0x4a5c21ce4574b996f82aa29c6d635a25f05fc93b3d61c5f4c6a5bec44d13ff00");
    EXPECT_U256(tx_nonce_key(k.address), key);
    EXPECT_U256(tx_balance_key(k.address), key);
    /* L2 block 1's previous hash: keccak of the 4-byte big-endian 0 (§2.1) */
    uint8_t zero4[4] = {0};
    keccak256(zero4, 4, h);
    EXPECT_U256(u256_from_be(h),
                H("0xe8e77626586f73b955364c7b4bbf0bb7f7685ebd40e852b164633a4acbd3244c"));
    CASE_END("tx constants: sender address, typehashes, domain separator 270, CREATE addresses, "
             "nonce/balance key");
}

static void test_selectors(void)
{
    CASE_BEGIN();
    EXPECT(abi_selector("create(bytes32,bytes32,bytes)") == 0x9c4d535b, "create");
    EXPECT(abi_selector("transfer(address,uint256)") == 0xa9059cbb, "transfer");
    EXPECT(abi_selector("approve(address,uint256)") == 0x095ea7b3, "approve");
    EXPECT(abi_selector("transferFromTo(address,address,uint256)") == 0x579952fc, "transferFromTo");
    EXPECT(abi_selector("publishCompressedBytecode(bytes,bytes)") == 0xf5e69a47, "publish");
    EXPECT(abi_selector("markFactoryDeps(bool,bytes32[])") == 0xe516761e, "markFactoryDeps");
    EXPECT(abi_selector("getRawCodeHash(address)") == 0x4de2e468, "getRawCodeHash");
    CASE_END("abi selectors (create 0x9c4d535b, transfer, approve, system-contract calls)");
}

/* ---- the worked deploy (spec §9) --------------------------------------------- */

static void test_deploy_simple(void)
{
    CASE_BEGIN();
    size_t len;
    uint8_t *code = load_code("vm-benchmark/deploy_simple_contract", &len);
    EXPECT(code && len == 2208, "deploy_simple_contract: %zu bytes", code ? len : 0);
    if (!code) {
        CASE_END("deploy_simple_contract transaction (spec §9)");
        return;
    }
    u256 vh = H("0x01000045fe9550fb8a7813001ed9bec49c132d55b5f764df6cee8650412e602b");
    EXPECT_U256(eravm_code_hash(code, len), vh);

    tx_key k = sender_key();
    tx_deploy_args a = {code, len, NULL, 0, NULL, 0, u256_zero()};
    tx_transaction tx;
    char err[256] = "";
    EXPECT(tx_make_deploy(&tx, &k, 0, &a, true, err, sizeof err) == 0, "%s", err);
    EXPECT(tx_check(&tx, err, sizeof err) == 0, "%s", err);

    size_t n = tx_encoding_words(&tx);
    EXPECT(n == 34, "%zu words", n);
    EXPECT(tx_overhead_len_words(tx.data.len, tx.signature.len, tx.ndeps, 0, 0) == 34,
           "overhead length");
    EXPECT(tx_operator_overhead(&tx) == 10000, "overhead %u", tx_operator_overhead(&tx));
    u256 w[40];
    EXPECT(tx_encode(&tx, w, 33) == 0, "encode into too small a buffer");
    EXPECT(tx_encode(&tx, NULL, 40) == 0, "encode into nothing");
    EXPECT(tx_encode(&tx, w, 40) == 34, "encode");

    /* words 21..25: create(salt 0, hash, "") packed in 160 bytes */
    uint8_t cd[160] = {0x9c, 0x4d, 0x53, 0x5b};
    u256_to_be(vh, cd + 4 + 32);
    cd[4 + 64 + 31] = 0x60;
    const u256 want[34] = {
        u256_from_u64(0x20), u256_from_u64(0x71), k.address, u256_from_u64(0x8006),
        u256_from_u64(30000000), u256_from_u64(50000), u256_from_u64(250000000),
        u256_zero(), u256_zero(), u256_zero(), u256_zero(),              /* 7..10 */
        u256_zero(), u256_zero(), u256_zero(), u256_zero(),              /* 11..14 */
        u256_from_u64(0x260), u256_from_u64(0x320), u256_from_u64(0x3a0),
        u256_from_u64(0x3e0), u256_from_u64(0x400), u256_from_u64(0x84), /* 15..20 */
        u256_from_be(cd), u256_from_be(cd + 32), u256_from_be(cd + 64),
        u256_from_be(cd + 96), u256_from_be(cd + 128),                   /* 21..25 */
        u256_from_u64(0x41),
        H("0xf1cc210e04bd1526b9286d0540d5c24f0a798c60d79142b9e96fb78bb96d2681"),
        H("0x161deeafcb96a5c6c8903bbe2c25567e0999f9e12ce31876ad7faf3496deb149"),
        H("0x1c00000000000000000000000000000000000000000000000000000000000000"),
        u256_from_u64(1), vh, u256_zero(), u256_zero()};
    for (int i = 0; i < 34; i++)
        EXPECT(u256_eq(w[i], want[i]), "word %d = %s, want %s", i, show(w[i]), show(want[i]));

    EXPECT_U256(tx_signed_hash(&tx, 270),
                H("0x0f7dc6df12d00ad399ba0361ffb7a9ab6b90a95db6ba1a0cf65f740a97e5ee25"));
    EXPECT_U256(tx_hash(&tx, 270),
                H("0xe9f76fc4c108b4bc5c78ffd6fb199123bcfc1f56cdfee420693e5b1ae407b23e"));
    u256 signer = u256_zero();
    EXPECT(tx_recover_signer(&tx, 270, &signer, err, sizeof err) == 0, "%s", err);
    EXPECT_U256(signer, k.address);
    /* the same tx for another chain is signed for another domain */
    EXPECT(tx_recover_signer(&tx, 271, &signer, err, sizeof err) != 0 ||
               !u256_eq(signer, k.address),
           "chain 271 must not recover the sender");

    /* the compressed form of §3.4 and its heap entry */
    uint8_t *comp;
    size_t clen;
    EXPECT(compress_bytecode(code, len, &comp, &clen, err, sizeof err) == COMPRESS_OK, "%s", err);
    EXPECT(clen == 1722, "compressed %zu bytes", clen);
    EXPECT(clen >= 2 && (comp[0] << 8 | comp[1]) == 146, "dictionary %d chunks",
           clen >= 2 ? comp[0] << 8 | comp[1] : -1);
    free(comp);
    u256 *e;
    size_t en;
    EXPECT(tx_compressed_entries(&tx, NULL, NULL, &e, &en, err, sizeof err) == 0, "%s", err);
    EXPECT(en == 129 && en == compress_entry_words(len, 1722), "entry %zu words", en);
    if (en == 129) {
        EXPECT_U256(e[0], vh);
        EXPECT_U256(e[1], u256_zero());
        EXPECT_U256(e[2], u256_from_u64(0x40));
        EXPECT_U256(e[3], u256_from_u64(0x40 + 32 + 2208));
        EXPECT_U256(e[4], u256_from_u64(2208));
        EXPECT_U256(e[5], u256_from_be(code));
        EXPECT_U256(e[73], u256_from_be(code + 2208 - 32));
        EXPECT_U256(e[74], u256_from_u64(1722));
    }
    free(e);
    tx_free(&tx);
    free(code);
    CASE_END("deploy_simple_contract transaction (spec §9): 34 words, signed hash, tx hash, "
             "signature, 129-word compressed entry");
}

/* ---- the transfer ---------------------------------------------------------------- */

static void test_transfer(void)
{
    CASE_BEGIN();
    tx_key k = sender_key();
    tx_transaction tx;
    char err[256] = "";
    EXPECT(tx_make_transfer(&tx, &k, 0, true, err, sizeof err) == 0, "%s", err);
    EXPECT(tx_check(&tx, err, sizeof err) == 0, "%s", err);
    u256 w[28];
    EXPECT(tx_encoding_words(&tx) == 28, "%zu words", tx_encoding_words(&tx));
    EXPECT(tx_encode(&tx, w, 28) == 28, "encode");
    const u256 want[28] = {
        u256_from_u64(0x20), u256_from_u64(0x71), k.address, k.address,
        u256_from_u64(1000000), u256_from_u64(50000), u256_from_u64(250000000), u256_zero(),
        u256_zero(), u256_zero(), u256_from_u64(1000000000),            /* 7..10 */
        u256_zero(), u256_zero(), u256_zero(), u256_zero(),             /* 11..14 */
        u256_from_u64(0x260), u256_from_u64(0x280), u256_from_u64(0x300),
        u256_from_u64(0x320), u256_from_u64(0x340), u256_zero(),        /* 15..20 */
        u256_from_u64(0x41),
        H("0x8ebb26db02413f0eb483ebf0db98f5e538b74dd4b892b420f8b16c2030c70143"),
        H("0x61cb3f069f0dad65717d4764c46b6486174d5e9dcd6b9e10f1bf0af4a2c4fd29"),
        H("0x1c00000000000000000000000000000000000000000000000000000000000000"),
        u256_zero(), u256_zero(), u256_zero()};
    for (int i = 0; i < 28; i++)
        EXPECT(u256_eq(w[i], want[i]), "word %d = %s, want %s", i, show(w[i]), show(want[i]));
    EXPECT_U256(tx_signed_hash(&tx, 270),
                H("0xb09333958aece0aae743880079a81cf22a4ca88bdfe15cffe3afcfabe7178637"));
    EXPECT_U256(tx_hash(&tx, 270),
                H("0xafca077481e990d7a8416db923fc38c8ce694b37f6c329b02fdc83b851b9a2ec"));
    u256 *e = (u256 *)&w[0];
    size_t en = 1;
    EXPECT(tx_compressed_entries(&tx, NULL, NULL, &e, &en, err, sizeof err) == 0 && en == 0 &&
               e == NULL,
           "a transfer has no compressed bytecodes");
    tx_free(&tx);
    CASE_END("transfer transaction: 28 words, signed hash, signature r/s/v, tx hash");
}

/* ---- signatures ------------------------------------------------------------------------ */

static void test_signatures(void)
{
    CASE_BEGIN();
    tx_key k = sender_key();
    tx_transaction tx;
    char err[256] = "";
    EXPECT(tx_make_transfer(&tx, &k, 7, true, err, sizeof err) == 0, "%s", err);
    uint8_t orig[65], sig[65];
    memcpy(orig, tx.signature.bytes, 65);

    /* the malleable twin: s' = n - s, v flipped */
    u256 n = H("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    memcpy(sig, orig, 65);
    u256_to_be(u256_sub(n, u256_from_be(orig + 32), NULL), sig + 32);
    sig[64] = orig[64] == 27 ? 28 : 27;
    EXPECT(tx_buf_set(&tx.signature, sig, 65) == 0, "set");
    u256 signer;
    EXPECT(tx_recover_signer(&tx, 270, &signer, err, sizeof err) != 0 && strstr(err, "upper half"),
           "high s must be refused, got '%s'", err);
    EXPECT(tx_sig_normalize(sig) == 1, "normalise high s");
    EXPECT(memcmp(sig, orig, 65) == 0, "normalised signature equals the low-s one");
    EXPECT(tx_buf_set(&tx.signature, sig, 65) == 0, "set");
    EXPECT(tx_recover_signer(&tx, 270, &signer, err, sizeof err) == 0 &&
               u256_eq(signer, k.address),
           "normalised signature recovers the sender");
    EXPECT(tx_sig_normalize(sig) == 0, "already low");
    sig[64] = 29;
    EXPECT(tx_sig_normalize(sig) == -1, "v 29");
    memcpy(sig, orig, 65);
    memset(sig + 32, 0, 32);
    EXPECT(tx_sig_normalize(sig) == -1, "s = 0");
    memset(sig + 32, 0xff, 32);
    EXPECT(tx_sig_normalize(sig) == -1, "s >= n");
    EXPECT(tx_sig_normalize(NULL) == -1, "NULL");

    /* recovery failures name the failing check */
    EXPECT(tx_buf_set(&tx.signature, orig, 64) == 0, "set");
    EXPECT(tx_recover_signer(&tx, 270, &signer, err, sizeof err) != 0 && strstr(err, "65"),
           "short signature: '%s'", err);
    memcpy(sig, orig, 65);
    sig[64] = 1;
    EXPECT(tx_buf_set(&tx.signature, sig, 65) == 0, "set");
    EXPECT(tx_recover_signer(&tx, 270, &signer, err, sizeof err) != 0 && strstr(err, " v "),
           "v 1: '%s'", err);
    memset(sig, 0, 65);
    sig[64] = 27;
    EXPECT(tx_buf_set(&tx.signature, sig, 65) == 0, "set");
    EXPECT(tx_recover_signer(&tx, 270, &signer, err, sizeof err) != 0, "r = s = 0");

    /* signed by another key: recovers, but not to from */
    uint8_t other[32];
    memset(other, 0x11, 32);
    tx_key k2;
    EXPECT(tx_key_from_secret(&k2, other, err, sizeof err) == 0, "%s", err);
    EXPECT(tx_sign(&tx, &k2, 270, err, sizeof err) == 0, "%s", err);
    EXPECT(tx_recover_signer(&tx, 270, &signer, err, sizeof err) == 0 &&
               u256_eq(signer, k2.address) && !u256_eq(signer, tx.from),
           "wrong-key signature recovers the other key");
    EXPECT(tx_sign(&tx, NULL, 270, err, sizeof err) != 0, "no key");

    /* bad secrets */
    uint8_t zero[32] = {0}, big[32];
    u256_to_be(n, big);
    EXPECT(tx_key_from_secret(&k2, zero, err, sizeof err) != 0, "secret 0");
    EXPECT(tx_key_from_secret(&k2, big, err, sizeof err) != 0, "secret n");
    EXPECT(tx_key_from_secret(&k2, NULL, err, sizeof err) != 0, "secret NULL");
    tx_free(&tx);
    CASE_END("signatures: high s normalised and refused, bad v/length/r/s, wrong key, bad secrets");
}

static void test_no_signatures(void)
{
    CASE_BEGIN();
    tx_key k = sender_key();
    tx_transaction tx;
    char err[256] = "";
    tx_ecrecover_call c;

    /* signed: the shortcut input is exactly what Ecrecover.yul hands the
     * precompile (digest, v - 27, r, s) and the answer is (1, from) */
    EXPECT(tx_make_transfer(&tx, &k, 0, true, err, sizeof err) == 0, "%s", err);
    EXPECT(tx_ecrecover_expected(&tx, 270, &c) == 0, "signed transfer");
    EXPECT_U256(u256_from_be(c.input), tx_signed_hash(&tx, 270));
    EXPECT_U256(u256_from_be(c.input + 32), u256_from_u64(1)); /* v 0x1c - 27 */
    EXPECT(memcmp(c.input + 64, tx.signature.bytes, 64) == 0, "r, s");
    EXPECT_U256(c.output[0], u256_from_u64(1));
    EXPECT_U256(c.output[1], k.address);
    tx_free(&tx);

    /* unsigned: a placeholder well-formed for DefaultAccount, which only the
     * shortcut makes valid */
    EXPECT(tx_make_transfer(&tx, &k, 0, false, err, sizeof err) == 0, "%s", err);
    EXPECT(tx.signature.len == 65 && tx.signature.bytes[64] == 27, "placeholder shape");
    EXPECT(tx_encoding_words(&tx) == 28, "same length as signed");
    EXPECT(tx_ecrecover_expected(&tx, 270, &c) == 0, "placeholder");
    EXPECT_U256(u256_from_be(c.input + 32), u256_zero());
    EXPECT_U256(u256_from_be(c.input + 64), u256_from_u64(1));
    EXPECT_U256(u256_from_be(c.input + 96), u256_from_u64(1));
    EXPECT_U256(c.output[1], k.address);
    u256 signer = u256_zero();
    EXPECT(tx_recover_signer(&tx, 270, &signer, err, sizeof err) != 0 ||
               !u256_eq(signer, k.address),
           "the placeholder must not verify for real");
    EXPECT(tx_buf_set(&tx.signature, NULL, 0) == 0, "clear");
    EXPECT(tx_ecrecover_expected(&tx, 270, &c) == -1, "no signature, no shortcut");
    tx_free(&tx);
    CASE_END("no-signatures mode: ecrecover input (hash, v-27, r, s) and output (1, from); "
             "placeholder signature");
}

/* ---- ABI and constructors ------------------------------------------------------------ */

static void test_abi(void)
{
    CASE_BEGIN();
    char err[256] = "";
    uint8_t *out;
    size_t len;
    u256 to = H("0x1111111111111111111111111111111111111111");
    abi_arg a[3] = {abi_word(to), abi_word(u256_from_u64(5))};
    EXPECT(abi_encode("transfer(address,uint256)", a, 2, &out, &len, err, sizeof err) == 0, "%s",
           err);
    EXPECT(len == 68 && out[0] == 0xa9 && out[3] == 0xbb, "transfer: %zu bytes", len);
    if (len == 68) {
        EXPECT_U256(u256_from_be(out + 4), to);
        EXPECT_U256(u256_from_be(out + 36), u256_from_u64(5));
    }
    free(out);

    /* dynamic bytes and word arrays: offsets, lengths, zero padding */
    const uint8_t msg[3] = {0xaa, 0xbb, 0xcc};
    const u256 hs[2] = {u256_from_u64(7), u256_from_u64(8)};
    a[0] = abi_word(u256_from_u64(1));
    a[1] = abi_words(hs, 2);
    a[2] = abi_bytes(msg, 3);
    EXPECT(abi_encode("f(bool,bytes32[],bytes)", a, 3, &out, &len, err, sizeof err) == 0, "%s",
           err);
    EXPECT(len == 4 + 32 * 3 + 32 * 3 + 32 * 2, "%zu bytes", len);
    if (len == 260) {
        const uint8_t *p = out + 4;
        EXPECT_U256(u256_from_be(p + 32), u256_from_u64(96));
        EXPECT_U256(u256_from_be(p + 64), u256_from_u64(192));
        EXPECT_U256(u256_from_be(p + 96), u256_from_u64(2));
        EXPECT_U256(u256_from_be(p + 160), u256_from_u64(8));
        EXPECT_U256(u256_from_be(p + 192), u256_from_u64(3));
        EXPECT(p[224] == 0xaa && p[226] == 0xcc && p[227] == 0 && p[255] == 0, "bytes tail");
    }
    free(out);
    EXPECT(abi_encoded_len(a, 3) == 256, "length without selector");

    /* mismatches are errors, not wrong call data */
    a[0] = abi_word(u256_shl(u256_from_u64(1), 160));
    a[1] = abi_word(u256_from_u64(1));
    EXPECT(abi_encode("transfer(address,uint256)", a, 2, &out, &len, err, sizeof err) == -1 &&
               !out,
           "address too wide");
    a[0] = abi_word(u256_from_u64(2));
    EXPECT(abi_encode("f(bool)", a, 1, &out, &len, err, sizeof err) == -1, "bool 2");
    a[0] = abi_word(u256_from_u64(256));
    EXPECT(abi_encode("f(uint8)", a, 1, &out, &len, err, sizeof err) == -1, "uint8 256");
    EXPECT(abi_encode("transfer(address,uint256)", a, 1, &out, &len, err, sizeof err) == -1,
           "too few args: %s", err);
    EXPECT(abi_encode("f(uint256)", a, 2, &out, &len, err, sizeof err) == -1, "too many args");
    EXPECT(abi_encode("f(bytes)", a, 1, &out, &len, err, sizeof err) == -1, "word for bytes");
    EXPECT(abi_encode("f((uint256,uint256))", a, 1, &out, &len, err, sizeof err) == -1, "tuple");
    EXPECT(abi_encode("f(uint256[2])", a, 1, &out, &len, err, sizeof err) == -1, "fixed array");
    EXPECT(abi_encode("f(uint7)", a, 1, &out, &len, err, sizeof err) == -1, "uint7");
    EXPECT(abi_encode("nonsense", a, 1, &out, &len, err, sizeof err) == -1, "no parens");
    EXPECT(abi_encode("f(uint256,)", a, 1, &out, &len, err, sizeof err) == -1, "trailing comma");
    a[0] = abi_bytes(NULL, 4);
    EXPECT(abi_encode(NULL, a, 1, &out, &len, err, sizeof err) == -1, "NULL bytes");
    EXPECT(abi_encode(NULL, NULL, 0, &out, &len, err, sizeof err) == 0 && len == 0, "empty");
    free(out);
    EXPECT(abi_encode("f()", NULL, 0, &out, &len, err, sizeof err) == 0 && len == 4, "f()");
    free(out);
    CASE_END("abi: transfer call data, dynamic bytes and bytes32[], type/width/count mismatches");
}

/* A KnownCodesStorage stand-in that knows the tx's first dep only. */
static bool is_first_dep(void *ctx, u256 hash)
{
    const tx_transaction *t = ctx;
    return u256_eq(hash, t->deps[0].hash);
}

static void test_constructors(void)
{
    CASE_BEGIN();
    tx_key k = sender_key();
    char err[256] = "";
    size_t len = 0, send_len = 0;
    uint8_t *code = load_code("vm-benchmark/deploy_simple_contract", &len);
    uint8_t *send = load_code("vm-benchmark/lambdaclass/send", &send_len);
    tx_transaction tx;
    EXPECT(code && send, "data files");
    if (code && send) {
        /* nonce 5: salt ends in 5, value and constructor input carried,
         * extra deps after the contract (a duplicate of it included) */
        const uint8_t ctor[32] = {[31] = 9};
        tx_code extra[2] = {{send, send_len}, {code, len}};
        tx_deploy_args a = {code, len, ctor, 32, extra, 2, u256_from_u64(100)};
        EXPECT(tx_make_deploy(&tx, &k, 5, &a, true, err, sizeof err) == 0, "%s", err);
        EXPECT(tx.ndeps == 3 && u256_eq(tx.deps[1].hash, eravm_code_hash(send, send_len)),
               "deps");
        EXPECT(tx.data.len == 4 + 5 * 32, "create call data %zu bytes", tx.data.len);
        if (tx.data.len == 164) {
            EXPECT_U256(u256_from_be(tx.data.bytes + 4), u256_from_u64(5));
            EXPECT_U256(u256_from_be(tx.data.bytes + 4 + 3 * 32), u256_from_u64(32));
            EXPECT_U256(u256_from_be(tx.data.bytes + 4 + 4 * 32), u256_from_be(ctor));
        }
        EXPECT_U256(tx.value, u256_from_u64(100));
        EXPECT_U256(tx.nonce, u256_from_u64(5));
        EXPECT(tx_encoding_words(&tx) == 25 + 6 + 3 + 3, "%zu words", tx_encoding_words(&tx));
        u256 signer;
        EXPECT(tx_recover_signer(&tx, 270, &signer, err, sizeof err) == 0 &&
                   u256_eq(signer, k.address),
               "signed over all deps: %s", err);

        /* duplicates compress once, in tx order; known hashes not at all */
        u256 *e;
        size_t en;
        EXPECT(tx_compressed_entries(&tx, NULL, NULL, &e, &en, err, sizeof err) == 0, "%s", err);
        EXPECT(en > 129 && u256_eq(e[0], tx.deps[0].hash) && u256_eq(e[129], tx.deps[1].hash),
               "two entries, contract first (%zu words)", en);
        size_t two = en;
        free(e);
        EXPECT(tx_compressed_entries(&tx, is_first_dep, &tx, &e, &en, err, sizeof err) == 0 &&
                   en == two - 129 && u256_eq(e[0], tx.deps[1].hash),
               "known contract skipped (%zu words)", en);
        free(e);
        tx_free(&tx);
    }

    /* execute */
    const uint8_t cd[4] = {1, 2, 3, 4};
    u256 to = H("0x123456");
    EXPECT(tx_make_execute(&tx, &k, 3, to, cd, 4, u256_from_u64(9), 777777, true, err,
                           sizeof err) == 0,
           "%s", err);
    EXPECT_U256(tx.to, to);
    EXPECT_U256(tx.gas_limit, u256_from_u64(777777));
    EXPECT(tx.data.len == 4 && tx.ndeps == 0, "execute data");
    EXPECT(tx_encoding_words(&tx) == 29, "%zu words", tx_encoding_words(&tx));
    tx_free(&tx);

    /* bad input */
    uint8_t bad[64] = {0};
    tx_deploy_args b = {bad, 64, NULL, 0, NULL, 0, u256_zero()};
    EXPECT(tx_make_deploy(&tx, &k, 0, &b, true, err, sizeof err) == -1 && tx.ndeps == 0 &&
               !tx.data.bytes,
           "even word count refused and freed: %s", err);
    b.len = 33;
    EXPECT(tx_make_deploy(&tx, &k, 0, &b, true, err, sizeof err) == -1, "33 bytes");
    b.code = NULL;
    EXPECT(tx_make_deploy(&tx, &k, 0, &b, true, err, sizeof err) == -1, "no code");
    EXPECT(tx_make_deploy(&tx, &k, 0, NULL, true, err, sizeof err) == -1, "no args");
    EXPECT(tx_make_transfer(&tx, NULL, 0, true, err, sizeof err) == -1, "no key");
    EXPECT(tx_make_execute(&tx, &k, 0, to, NULL, 4, u256_zero(), 1, true, err, sizeof err) == -1,
           "NULL call data");
    free(code);
    free(send);
    CASE_END("constructors: deploy with nonce salt, value, ctor input, extra deps; execute; "
             "compressed entries deduplicated; bad input refused");
}

static void test_check(void)
{
    CASE_BEGIN();
    tx_key k = sender_key();
    char err[256] = "";
    tx_transaction tx;
    EXPECT(tx_make_transfer(&tx, &k, 0, true, err, sizeof err) == 0, "%s", err);
    /* each case edits a shallow copy; the copy shares buffers and is not freed */
    tx_transaction t = tx;
    t.type = 2;
    EXPECT(tx_check(&t, err, sizeof err) == -1 && strstr(err, "type"), "type 2: %s", err);
    t = tx;
    t.from = u256_from_u64(0x8001);
    EXPECT(tx_check(&t, err, sizeof err) == -1 && strstr(err, "kernel"), "from 0x8001: %s", err);
    t = tx;
    t.gas_limit = u256_shl(u256_from_u64(1), 64);
    EXPECT(tx_check(&t, err, sizeof err) == -1 && strstr(err, "gas limit"), "gas 2^64: %s", err);
    t = tx;
    t.to = u256_max();
    EXPECT(tx_check(&t, err, sizeof err) == -1, "to too wide");
    t = tx;
    t.max_priority_fee_per_gas = u256_from_u64(250000001);
    EXPECT(tx_check(&t, err, sizeof err) == -1 && strstr(err, "priority"), "priority: %s", err);
    t = tx;
    t.reserved[0] = u256_from_u64(1);
    EXPECT(tx_check(&t, err, sizeof err) == -1, "reserved0");
    t = tx;
    t.reserved[1] = u256_from_u64(1);
    EXPECT(tx_check(&t, err, sizeof err) == 0, "reserved1 marks an EVM deploy: %s", err);
    t = tx;
    t.paymaster = u256_from_u64(0x8000);
    EXPECT(tx_check(&t, err, sizeof err) == -1, "paymaster in kernel space");
    t = tx;
    uint8_t pmi[4] = {1, 2, 3, 4};
    t.paymaster_input.len = 4;
    t.paymaster_input.bytes = pmi;
    EXPECT(tx_check(&t, err, sizeof err) == -1, "paymaster input without paymaster");
    t = tx;
    t.ndeps = 65;
    EXPECT(tx_check(&t, err, sizeof err) == -1 && strstr(err, "64"), "65 deps: %s", err);
    tx_free(&tx);
    CASE_END("tx_check: type, kernel-space sender and paymaster, widths, fees, reserved, deps");
}

/* ---- compression ------------------------------------------------------------------------ */

/* zksync-era core/lib/multivm/src/utils/bytecode.rs, test bytecode_compression
 * (a 31-word zksolc output); upstream checks that it round-trips. */
static const char era_example[] =
    "000200000000000200010000000103550000006001100270000000150010019d0000000101200190000000080000c13d"
    "0000000001000019004e00160000040f0000000101000039004e00160000040f0000001504000041000000150510009c"
    "000000000104801900000040011002100000000001310019000000150320009c00000000020480190000006002200210"
    "00000000012100190000004f0001042e000000000100001900000050000104300000008002000039000000400020043f"
    "0000000002000416000000000110004c000000240000613d000000000120004c0000004d0000c13d0000002001000039"
    "00000100001004430000012000000443000001000100003900000040020000390000001d03000041004e000a0000040f"
    "000000000120004c0000004d0000c13d0000000001000031000000030110008c0000004d0000a13d0000000101000367"
    "000000000101043b0000001601100197000000170110009c0000004d0000c13d0000000101000039000000000101041a"
    "0000000202000039000000000202041a000000400300043d00000040043000390000001805200197000000000600041a"
    "0000000000540435000000180110019700000020043000390000000000140435000000a0012002700000001901100197"
    "000000600430003900000000001404350000001a012001980000001b010000410000000001006019000000b802200270"
    "0000001c02200197000000000121019f0000008002300039000000000012043500000018016001970000000000130435"
    "000000400100043d0000000002130049000000a0022000390000000003000019004e000a0000040f004e00140000040f"
    "0000004e000004320000004f0001042e0000005000010430000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000ffffffffffffffff000000000000000000000000"
    "000000000000000000000000000000008903573000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000ffffffffffffffffffffffffffffffffffffffff00000000000000000000000000000000"
    "00000000000000000000000000ffffff0000000000008000000000000000000000000000000000000000000000000000"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffff80000000000000000000000000000000000000"
    "000000000000000000000000007fffff0000000200000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    ;

/* An independent check of the dictionary order, by sorting instead of
 * hashing: every distinct chunk appears once, ordered by count descending,
 * then first position descending. */
typedef struct {
    uint64_t v;
    size_t pos;
} chunk_at;

static int chunk_cmp(const void *a, const void *b)
{
    const chunk_at *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int dict_order_ok(const uint8_t *code, size_t len, const uint8_t *c)
{
    size_t nd = (size_t)c[0] << 8 | c[1], nc = len / 8, runs = 0;
    chunk_at *all = malloc(nc * sizeof *all);
    for (size_t i = 0; i < nc; i++)
        all[i] = (chunk_at){u256_load_be64(code + 8 * i), i};
    qsort(all, nc, sizeof *all, chunk_cmp);
    for (size_t i = 0; i < nc; i++)
        runs += i == 0 || all[i].v != all[i - 1].v;
    int ok = runs == nd;
    size_t prev_count = 0, prev_first = 0;
    for (size_t k = 0; k < nd && ok; k++) {
        uint64_t v = u256_load_be64(c + 2 + 8 * k);
        size_t lo = 0, hi = nc;
        while (lo < hi) { /* first index with value >= v */
            size_t mid = (lo + hi) / 2;
            if (all[mid].v < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        size_t end = lo;
        while (end < nc && all[end].v == v)
            end++;
        size_t count = end - lo, first = lo < nc ? all[lo].pos : 0;
        if (count == 0 ||
            (k && (count > prev_count || (count == prev_count && first >= prev_first))))
            ok = 0;
        prev_count = count, prev_first = first;
    }
    free(all);
    return ok;
}

/* compress → decompress = identity, and the dictionary order. */
static int round_trip(const uint8_t *code, size_t len, size_t *clen_out, char *err, size_t errn)
{
    uint8_t *comp, *back = NULL;
    size_t clen, blen;
    err[0] = 0;
    if (compress_bytecode(code, len, &comp, &clen, err, errn) != COMPRESS_OK)
        return -1;
    int ok = compress_decompress(comp, clen, &back, &blen, err, errn) == 0 && blen == len &&
             !memcmp(back, code, len) && dict_order_ok(code, len, comp);
    if (!ok && !err[0])
        snprintf(err, errn, "round trip or dictionary order differs");
    if (clen_out)
        *clen_out = clen;
    free(comp);
    free(back);
    return ok ? 0 : -1;
}

static void test_compress_vectors(void)
{
    CASE_BEGIN();
    char err[256] = "";
    uint8_t code[32], *comp;
    size_t clen;
    /* bytecode_compression_statisticst: 0x00.., 0x11.. twice, 0x22.. */
    hex_bytes("0000000000000000111111111111111111111111111111112222222222222222", code, 32);
    uint8_t want[34];
    hex_bytes("00031111111111111111222222222222222200000000000000000002000000000001", want, 34);
    EXPECT(compress_bytecode(code, 32, &comp, &clen, err, sizeof err) == COMPRESS_OK, "%s", err);
    EXPECT(clen == 34 && !memcmp(comp, want, 34), "zksync-era statistics vector");
    free(comp);

    size_t n = strlen(era_example) / 2;
    uint8_t *ex = malloc(n);
    hex_bytes(era_example, ex, n);
    EXPECT(n == 992, "example %zu bytes", n);
    EXPECT(round_trip(ex, n, NULL, err, sizeof err) == 0, "zksync-era example: %s", err);
    free(ex);
    CASE_END("compression: zksync-era unit-test vectors (exact statistics encoding, round trip)");
}

static void test_compress_limits(void)
{
    CASE_BEGIN();
    char err[256] = "";
    /* 16 385 words = 65 540 chunks: all distinct is too many; 65 535
     * distinct (the last 5 repeated) is the largest dictionary that fits */
    size_t len = 16385 * 32, nchunks = len / 8;
    uint8_t *code = malloc(len), *comp = code;
    size_t clen = 1;
    for (size_t i = 0; i < nchunks; i++)
        u256_store_be64(code + 8 * i, 0x0123456700000000ull + i);
    EXPECT(compress_bytecode(code, len, &comp, &clen, err, sizeof err) == COMPRESS_TOO_MANY &&
               !comp && clen == 0 && strstr(err, "65535"),
           "65 540 distinct chunks: '%s'", err);
    u256 *e = (u256 *)code;
    size_t en = 1;
    EXPECT(compress_entry(code, len, u256_zero(), &e, &en, err, sizeof err) == COMPRESS_TOO_MANY && !e && !en,
           "no entry for an incompressible bytecode");

    /* a deploy whose only dep does not compress still builds, with no entry */
    tx_key k = sender_key();
    tx_transaction tx;
    tx_deploy_args a = {code, len, NULL, 0, NULL, 0, u256_zero()};
    EXPECT(tx_make_deploy(&tx, &k, 0, &a, false, err, sizeof err) == 0, "%s", err);
    EXPECT(tx_compressed_entries(&tx, NULL, NULL, &e, &en, err, sizeof err) == 0 && en == 0,
           "incompressible dep skipped");
    tx_free(&tx);

    for (size_t i = 65535; i < nchunks; i++)
        u256_store_be64(code + 8 * i, 0x0123456700000000ull + (i - 65535));
    EXPECT(round_trip(code, len, &clen, err, sizeof err) == 0, "65 535 distinct: %s", err);
    EXPECT(clen == 2 + 8 * 65535 + 2 * nchunks, "%zu", clen);
    free(code);

    /* invalid bytecodes */
    uint8_t small[64] = {0};
    EXPECT(compress_bytecode(small, 64, &comp, &clen, err, sizeof err) == COMPRESS_INVALID,
           "even words");
    EXPECT(compress_bytecode(small, 40, &comp, &clen, err, sizeof err) == COMPRESS_INVALID,
           "40 bytes");
    EXPECT(compress_bytecode(small, 0, &comp, &clen, err, sizeof err) == COMPRESS_INVALID,
           "empty");
    EXPECT(compress_bytecode(NULL, 32, &comp, &clen, err, sizeof err) == COMPRESS_INVALID, "NULL");
    EXPECT(compress_entry(small, 64, u256_zero(), &e, &en, err, sizeof err) == COMPRESS_INVALID, "entry");

    /* malformed compressed data, each refused the way the Compressor would */
    uint8_t *out;
    size_t olen;
    const uint8_t c1[1] = {0};
    const uint8_t c2[4] = {0, 2, 0, 0};                             /* dictionary past the end */
    const uint8_t c3[13] = {0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0}; /* odd index bytes */
    const uint8_t c4[12] = {0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1};    /* index 1 of 1 */
    const uint8_t c5[20] = {0, 2, 1, 2, 3, 4, 5, 6, 7, 8,
                            1, 2, 3, 4, 5, 6, 7, 8, 0, 0};          /* 2 entries, 1 index */
    const uint8_t c6[12] = {0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0};
    EXPECT(compress_decompress(NULL, 0, &out, &olen, err, sizeof err) == -1, "NULL");
    EXPECT(compress_decompress(c1, 1, &out, &olen, err, sizeof err) == -1, "1 byte");
    EXPECT(compress_decompress(c2, 4, &out, &olen, err, sizeof err) == -1, "dict past end");
    EXPECT(compress_decompress(c3, 13, &out, &olen, err, sizeof err) == -1, "odd indices");
    EXPECT(compress_decompress(c4, 12, &out, &olen, err, sizeof err) == -1, "index out of range");
    EXPECT(compress_decompress(c5, 20, &out, &olen, err, sizeof err) == -1, "dict > indices");
    EXPECT(compress_decompress(c6, 12, &out, &olen, err, sizeof err) == 0 && olen == 8 &&
               out[0] == 1 && out[7] == 8,
           "one chunk");
    free(out);
    CASE_END("compression limits: > 65 535 distinct chunks fails cleanly, 65 535 fits; invalid "
             "bytecodes and malformed compressed data refused");
}

/* ---- round trip over every bytecode in the data directory -------------------------------- */

static size_t rt_files, rt_failed;

static int rt_visit(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)f;
    if (type != FTW_F)
        return 0;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    /* bytecode files: raw or hex without extension, .zbin, JSON artifacts */
    if (dot && strcmp(dot, ".json") && strcmp(dot, ".zbin"))
        return 0;
    if (!dot && strncmp(base, "LICENSE", 7) == 0)
        return 0;
    uint8_t *code;
    size_t len;
    char err[256] = "";
    if (eravm_load_bytecode(path, &code, &len, err, sizeof err))
        return 0; /* not a bytecode (an ABI-only artifact, a text file) */
    if (len < 32 || eravm_check_container(&len, 1, err, sizeof err)) {
        free(code);
        return 0;
    }
    rt_files++;
    if (round_trip(code, len, NULL, err, sizeof err)) {
        rt_failed++;
        printf("  # %s: %s\n", path, err);
    }
    free(code);
    return 0;
}

static void test_round_trip_data(void)
{
    CASE_BEGIN();
    const char *dirs[] = {"vm-benchmark", "contracts", "system-contracts"};
    size_t per[3];
    for (int i = 0; i < 3; i++) {
        char path[4096];
        size_t before = rt_files;
        snprintf(path, sizeof path, "%s/%s", data_dir, dirs[i]);
        nftw(path, rt_visit, 16, FTW_PHYS);
        per[i] = rt_files - before;
    }
    /* 14 vm-benchmark files, 9 Uniswap artifacts, the v29 system contracts
     * and bootloaders */
    EXPECT(per[0] >= 14 && per[1] >= 9 && per[2] >= 40, "found %zu, %zu, %zu bytecodes", per[0],
           per[1], per[2]);
    EXPECT(rt_failed == 0, "%zu of %zu failed", rt_failed, rt_files);
    CASE_END("compress/decompress round trip and dictionary order over %zu bytecodes in "
             "$ERAVM_DATA (vm-benchmark %zu, contracts %zu, system contracts %zu)",
             rt_files, per[0], per[1], per[2]);
}

int main(void)
{
    data_dir = getenv("ERAVM_DATA");
    if (!data_dir)
        data_dir = "../shared/data";
    test_constants();
    test_selectors();
    test_deploy_simple();
    test_transfer();
    test_signatures();
    test_no_signatures();
    test_abi();
    test_constructors();
    test_check();
    test_compress_vectors();
    test_compress_limits();
    test_round_trip_data();
    return check_exit();
}
