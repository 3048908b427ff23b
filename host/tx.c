/* host/tx.c — TransactionData encoding, EIP-712 hashes, signing and the
 * benchmark transactions (see tx.h). */
#include "tx.h"

#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "bytecode.h"
#include "compress.h"
#include "eravm.h"
#include "keccak.h"

#define TX_MAX_FACTORY_DEPS 64 /* bootloader MAX_NEW_FACTORY_DEPS */
#define TX_HEAD_WORDS 19       /* fields before the dynamic items: 10 + reserved[4] + 5 offsets */

/* secp256k1 group order n and n/2 (DefaultAccount's low-s bound). */
static const u256 tx_curve_n = {
    {0xBFD25E8CD0364141ull, 0xBAAEDCE6AF48A03Bull, 0xFFFFFFFFFFFFFFFEull, 0xFFFFFFFFFFFFFFFFull}};
static const u256 tx_curve_half_n = {
    {0xDFE92F46681B20A0ull, 0x5D576E7357A4501Dull, 0xFFFFFFFFFFFFFFFFull, 0x7FFFFFFFFFFFFFFFull}};

/* ---- small helpers ---------------------------------------------------------- */

static u256 tx_keccak(const uint8_t *p, size_t n)
{
    uint8_t h[32];
    keccak256(p, n, h);
    return u256_from_be(h);
}

static u256 tx_keccak_str(const char *s)
{
    return tx_keccak((const uint8_t *)s, strlen(s));
}

/* keccak over a run of words, each as 32 big-endian bytes. */
static u256 tx_keccak_words(const u256 *w, size_t n)
{
    keccak256_ctx c;
    keccak256_init(&c);
    for (size_t i = 0; i < n; i++) {
        uint8_t b[32];
        u256_to_be(w[i], b);
        keccak256_update(&c, b, 32);
    }
    uint8_t h[32];
    keccak256_final(&c, h);
    return u256_from_be(h);
}

static bool tx_fits(u256 w, unsigned bits)
{
    return u256_is_zero(u256_shr(w, bits));
}

static u256 tx_low160(u256 w)
{
    w.w[2] &= 0xFFFFFFFFull;
    w.w[3] = 0;
    return w;
}

/* One process-wide signing context: creating one per signature would cost
 * more than the signature, and libsecp256k1 contexts are read-only once
 * built, so threads may share it. */
static secp256k1_context *tx_ctx_value;
static pthread_once_t tx_ctx_once = PTHREAD_ONCE_INIT;

static void tx_ctx_create(void)
{
    tx_ctx_value = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
}

static const secp256k1_context *tx_ctx(void)
{
    pthread_once(&tx_ctx_once, tx_ctx_create);
    return tx_ctx_value;
}

/* ---- building and freeing ---------------------------------------------------- */

void tx_init(tx_transaction *tx)
{
    memset(tx, 0, sizeof *tx);
}

void tx_free(tx_transaction *tx)
{
    free(tx->data.bytes);
    free(tx->signature.bytes);
    free(tx->paymaster_input.bytes);
    free(tx->reserved_dynamic.bytes);
    for (size_t i = 0; i < tx->ndeps; i++)
        free(tx->deps[i].code);
    free(tx->deps);
    tx_init(tx);
}

int tx_buf_set(tx_buf *b, const uint8_t *p, size_t n)
{
    uint8_t *copy = NULL;
    if (n) {
        if (!p || !(copy = malloc(n)))
            return -1;
        memcpy(copy, p, n);
    }
    free(b->bytes);
    b->bytes = copy;
    b->len = n;
    return 0;
}

int tx_add_dep(tx_transaction *tx, const uint8_t *code, size_t len, char *err, size_t errn)
{
    size_t checked = len;
    if (!code) {
        snprintf(err, errn, "factory dependency without code");
        return -1;
    }
    if (eravm_check_container(&checked, 0, err, errn))
        return -1;
    tx_dep *d = realloc(tx->deps, (tx->ndeps + 1) * sizeof *d);
    if (!d) {
        snprintf(err, errn, "out of memory adding a factory dependency");
        return -1;
    }
    tx->deps = d;
    tx_dep *nd = &d[tx->ndeps];
    if (!(nd->code = malloc(len))) {
        snprintf(err, errn, "out of memory copying a %zu-byte factory dependency", len);
        return -1;
    }
    memcpy(nd->code, code, len);
    nd->len = len;
    nd->hash = eravm_code_hash(code, len);
    tx->ndeps++;
    return 0;
}

static int tx_check_width(u256 w, unsigned bits, const char *name, char *err, size_t errn)
{
    if (tx_fits(w, bits))
        return 0;
    snprintf(err, errn, "transaction %s does not fit in %u bits", name, bits);
    return -1;
}

int tx_check(const tx_transaction *tx, char *err, size_t errn)
{
    if (tx->type != TX_TYPE_EIP712) {
        snprintf(err, errn, "transaction type 0x%02x is not supported (only 0x71, EIP-712)",
                 tx->type);
        return -1;
    }
    if (tx_check_width(tx->from, 160, "from", err, errn) ||
        tx_check_width(tx->to, 160, "to", err, errn) ||
        tx_check_width(tx->paymaster, 160, "paymaster", err, errn) ||
        tx_check_width(tx->gas_limit, 64, "gas limit", err, errn) ||
        tx_check_width(tx->gas_per_pubdata, 32, "gas per pubdata limit", err, errn) ||
        tx_check_width(tx->max_fee_per_gas, 128, "max fee per gas", err, errn) ||
        tx_check_width(tx->max_priority_fee_per_gas, 128, "max priority fee per gas", err, errn))
        return -1;
    u256 kernel_top = u256_from_u64(0xFFFF);
    if (!u256_lt(kernel_top, tx->from)) {
        snprintf(err, errn, "transaction sender is in kernel space (<= 0xffff)");
        return -1;
    }
    if (!u256_is_zero(tx->paymaster) && !u256_lt(kernel_top, tx->paymaster)) {
        snprintf(err, errn, "paymaster is in kernel space (<= 0xffff)");
        return -1;
    }
    if (u256_is_zero(tx->paymaster) && tx->paymaster_input.len) {
        snprintf(err, errn, "paymaster input given without a paymaster");
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        if (i != 1 && !u256_is_zero(tx->reserved[i])) {
            snprintf(err, errn, "reserved[%d] must be 0", i);
            return -1;
        }
    }
    if (tx->reserved_dynamic.len) {
        snprintf(err, errn, "reservedDynamic must be empty");
        return -1;
    }
    if (tx->ndeps > TX_MAX_FACTORY_DEPS) {
        snprintf(err, errn, "%zu factory dependencies, at most %d allowed", tx->ndeps,
                 TX_MAX_FACTORY_DEPS);
        return -1;
    }
    if (u256_lt(tx->max_fee_per_gas, tx->max_priority_fee_per_gas)) {
        snprintf(err, errn, "max priority fee per gas exceeds max fee per gas");
        return -1;
    }
    return 0;
}

/* ---- encoding ------------------------------------------------------------------ */

/* The tuple's fields as ABI arguments; hashes NULL is fine when only the
 * length is wanted. */
static void tx_abi_args(const tx_transaction *tx, const u256 *hashes, abi_arg a[TX_HEAD_WORDS])
{
    const u256 head[14] = {u256_from_u64(tx->type), tx->from, tx->to, tx->gas_limit,
                           tx->gas_per_pubdata, tx->max_fee_per_gas,
                           tx->max_priority_fee_per_gas, tx->paymaster, tx->nonce, tx->value,
                           tx->reserved[0], tx->reserved[1], tx->reserved[2], tx->reserved[3]};
    for (int i = 0; i < 14; i++)
        a[i] = abi_word(head[i]);
    a[14] = abi_bytes(tx->data.bytes, tx->data.len);
    a[15] = abi_bytes(tx->signature.bytes, tx->signature.len);
    a[16] = abi_words(hashes, tx->ndeps);
    a[17] = abi_bytes(tx->paymaster_input.bytes, tx->paymaster_input.len);
    a[18] = abi_bytes(tx->reserved_dynamic.bytes, tx->reserved_dynamic.len);
}

size_t tx_encoding_words(const tx_transaction *tx)
{
    abi_arg a[TX_HEAD_WORDS];
    tx_abi_args(tx, NULL, a);
    return 1 + abi_encoded_len(a, TX_HEAD_WORDS) / 32;
}

size_t tx_overhead_len_words(size_t data_len, size_t sig_len, size_t ndeps,
                             size_t paymaster_input_len, size_t reserved_dynamic_len)
{
    /* 0x20, 19 head words, 5 length words */
    return 1 + 19 + 5 + (data_len + 31) / 32 + (sig_len + 31) / 32 +
           (paymaster_input_len + 31) / 32 + (reserved_dynamic_len + 31) / 32 + ndeps;
}

uint32_t tx_operator_overhead(const tx_transaction *tx)
{
    size_t l = tx_overhead_len_words(tx->data.len, tx->signature.len, tx->ndeps,
                                     tx->paymaster_input.len, tx->reserved_dynamic.len);
    /* upstream computes in u32; lengths here are far below 2^32 / 10 */
    uint64_t o = 10 * (uint64_t)l;
    return o < 10000 ? 10000 : o > UINT32_MAX ? UINT32_MAX : (uint32_t)o;
}

size_t tx_encode(const tx_transaction *tx, u256 *out, size_t cap)
{
    size_t need = tx_encoding_words(tx);
    if (!out || cap < need)
        return 0;
    u256 *hashes = malloc((tx->ndeps ? tx->ndeps : 1) * sizeof *hashes);
    if (!hashes)
        return 0;
    for (size_t i = 0; i < tx->ndeps; i++)
        hashes[i] = tx->deps[i].hash;
    abi_arg a[TX_HEAD_WORDS];
    tx_abi_args(tx, hashes, a);
    uint8_t *enc;
    size_t len;
    char err[128];
    int rc = abi_encode(NULL, a, TX_HEAD_WORDS, &enc, &len, err, sizeof err);
    free(hashes);
    if (rc)
        return 0;
    out[0] = u256_from_u64(32); /* the offset of the one dynamic tuple */
    abi_bytes_to_words(enc, len, out + 1);
    free(enc);
    return need;
}

/* ---- hashes ---------------------------------------------------------------------- */

u256 tx_domain_typehash(void)
{
    return tx_keccak_str("EIP712Domain(string name,string version,uint256 chainId)");
}

u256 tx_typehash(void)
{
    return tx_keccak_str(
        "Transaction(uint256 txType,uint256 from,uint256 to,uint256 gasLimit,"
        "uint256 gasPerPubdataByteLimit,uint256 maxFeePerGas,uint256 maxPriorityFeePerGas,"
        "uint256 paymaster,uint256 nonce,uint256 value,bytes data,bytes32[] factoryDeps,"
        "bytes paymasterInput)");
}

u256 tx_domain_separator(uint64_t chain_id)
{
    const u256 w[4] = {tx_domain_typehash(), tx_keccak_str("zkSync"), tx_keccak_str("2"),
                       u256_from_u64(chain_id)};
    return tx_keccak_words(w, 4);
}

u256 tx_struct_hash(const tx_transaction *tx)
{
    /* factoryDeps is a bytes32[], which EIP-712 hashes as the concatenation
     * of its elements */
    keccak256_ctx c;
    keccak256_init(&c);
    for (size_t i = 0; i < tx->ndeps; i++) {
        uint8_t b[32];
        u256_to_be(tx->deps[i].hash, b);
        keccak256_update(&c, b, 32);
    }
    uint8_t deps_hash[32];
    keccak256_final(&c, deps_hash);
    const u256 w[14] = {tx_typehash(),
                        u256_from_u64(tx->type),
                        tx->from,
                        tx->to,
                        tx->gas_limit,
                        tx->gas_per_pubdata,
                        tx->max_fee_per_gas,
                        tx->max_priority_fee_per_gas,
                        tx->paymaster,
                        tx->nonce,
                        tx->value,
                        tx_keccak(tx->data.bytes, tx->data.len),
                        u256_from_be(deps_hash),
                        tx_keccak(tx->paymaster_input.bytes, tx->paymaster_input.len)};
    return tx_keccak_words(w, 14);
}

u256 tx_signed_hash(const tx_transaction *tx, uint64_t chain_id)
{
    uint8_t m[66] = {0x19, 0x01};
    u256_to_be(tx_domain_separator(chain_id), m + 2);
    u256_to_be(tx_struct_hash(tx), m + 34);
    return tx_keccak(m, sizeof m);
}

u256 tx_hash(const tx_transaction *tx, uint64_t chain_id)
{
    const u256 w[2] = {tx_signed_hash(tx, chain_id),
                       tx_keccak(tx->signature.bytes, tx->signature.len)};
    return tx_keccak_words(w, 2);
}

/* ---- keys and signatures ---------------------------------------------------------- */

int tx_key_from_secret(tx_key *k, const uint8_t secret[32], char *err, size_t errn)
{
    const secp256k1_context *c = tx_ctx();
    secp256k1_pubkey pk;
    uint8_t ser[65];
    size_t len = sizeof ser;
    if (!c) {
        snprintf(err, errn, "cannot create a secp256k1 context");
        return -1;
    }
    if (!secret || !secp256k1_ec_seckey_verify(c, secret) ||
        !secp256k1_ec_pubkey_create(c, &pk, secret)) {
        snprintf(err, errn, "private key is 0 or not below the secp256k1 group order");
        return -1;
    }
    secp256k1_ec_pubkey_serialize(c, ser, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
    memcpy(k->secret, secret, 32);
    /* the address hashes the 64 coordinate bytes, without the 0x04 tag */
    k->address = tx_low160(tx_keccak(ser + 1, 64));
    return 0;
}

int tx_sign(tx_transaction *tx, const tx_key *k, uint64_t chain_id, char *err, size_t errn)
{
    const secp256k1_context *c = tx_ctx();
    secp256k1_ecdsa_recoverable_signature rs;
    uint8_t msg[32], sig[65];
    int recid;
    if (!c) {
        snprintf(err, errn, "cannot create a secp256k1 context");
        return -1;
    }
    if (!k) {
        snprintf(err, errn, "no key to sign with");
        return -1;
    }
    u256_to_be(tx_signed_hash(tx, chain_id), msg);
    /* NULL nonce function = RFC 6979; libsecp256k1 always returns low s */
    if (!secp256k1_ecdsa_sign_recoverable(c, &rs, msg, k->secret, NULL, NULL)) {
        snprintf(err, errn, "secp256k1 signing failed (invalid private key)");
        return -1;
    }
    secp256k1_ecdsa_recoverable_signature_serialize_compact(c, sig, &recid, &rs);
    sig[64] = (uint8_t)(27 + recid);
    if (tx_buf_set(&tx->signature, sig, sizeof sig)) {
        snprintf(err, errn, "out of memory storing a signature");
        return -1;
    }
    return 0;
}

int tx_sig_normalize(uint8_t sig[65])
{
    if (!sig || (sig[64] != 27 && sig[64] != 28))
        return -1;
    u256 s = u256_from_be(sig + 32);
    if (u256_is_zero(s) || !u256_lt(s, tx_curve_n))
        return -1;
    if (!u256_lt(tx_curve_half_n, s))
        return 0;
    u256_to_be(u256_sub(tx_curve_n, s, NULL), sig + 32);
    sig[64] = (uint8_t)(sig[64] == 27 ? 28 : 27);
    return 1;
}

int tx_recover_signer(const tx_transaction *tx, uint64_t chain_id, u256 *signer, char *err,
                      size_t errn)
{
    const secp256k1_context *c = tx_ctx();
    const uint8_t *sig = tx->signature.bytes;
    if (!c) {
        snprintf(err, errn, "cannot create a secp256k1 context");
        return -1;
    }
    if (tx->signature.len != 65) {
        snprintf(err, errn, "signature is %zu bytes, not 65", tx->signature.len);
        return -1;
    }
    if (sig[64] != 27 && sig[64] != 28) {
        snprintf(err, errn, "signature v is %u, not 27 or 28", sig[64]);
        return -1;
    }
    u256 r = u256_from_be(sig), s = u256_from_be(sig + 32);
    if (u256_lt(tx_curve_half_n, s)) {
        snprintf(err, errn, "signature s is in the upper half of the group order");
        return -1;
    }
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey pk;
    uint8_t msg[32], ser[65];
    size_t len = sizeof ser;
    u256_to_be(tx_signed_hash(tx, chain_id), msg);
    if (u256_is_zero(r) || u256_is_zero(s) || !u256_lt(r, tx_curve_n) ||
        !secp256k1_ecdsa_recoverable_signature_parse_compact(c, &rs, sig, sig[64] - 27) ||
        !secp256k1_ecdsa_recover(c, &pk, &rs, msg)) {
        snprintf(err, errn, "signature does not recover to any key");
        return -1;
    }
    secp256k1_ec_pubkey_serialize(c, ser, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
    *signer = tx_low160(tx_keccak(ser + 1, 64));
    return 0;
}

int tx_sign_placeholder(tx_transaction *tx)
{
    uint8_t sig[65] = {0};
    sig[31] = 1;
    sig[63] = 1;
    sig[64] = 27;
    return tx_buf_set(&tx->signature, sig, sizeof sig);
}

int tx_ecrecover_expected(const tx_transaction *tx, uint64_t chain_id, tx_ecrecover_call *out)
{
    const uint8_t *sig = tx->signature.bytes;
    if (tx->signature.len != 65 || (sig[64] != 27 && sig[64] != 28))
        return -1;
    memset(out->input, 0, sizeof out->input);
    u256_to_be(tx_signed_hash(tx, chain_id), out->input);
    out->input[63] = (uint8_t)(sig[64] - 27);
    memcpy(out->input + 64, sig, 64);
    out->output[0] = u256_from_u64(1);
    out->output[1] = tx->from;
    return 0;
}

/* ---- addresses and storage keys ------------------------------------------------------ */

u256 tx_create_address(u256 sender, u256 deployment_nonce)
{
    const u256 w[3] = {tx_keccak_str("zksyncCreate"), sender, deployment_nonce};
    return tx_low160(tx_keccak_words(w, 3));
}

u256 tx_mapping_key(u256 key, u256 slot)
{
    const u256 w[2] = {key, slot};
    return tx_keccak_words(w, 2);
}

u256 tx_nonce_key(u256 address)
{
    return tx_mapping_key(address, u256_zero());
}

u256 tx_balance_key(u256 address)
{
    return tx_mapping_key(address, u256_zero());
}

int tx_create_calldata(u256 salt, u256 code_hash, const uint8_t *input, size_t input_len,
                       uint8_t **out, size_t *len, char *err, size_t errn)
{
    const abi_arg a[3] = {abi_word(salt), abi_word(code_hash), abi_bytes(input, input_len)};
    return abi_encode("create(bytes32,bytes32,bytes)", a, 3, out, len, err, errn);
}

/* ---- the benchmark transactions ---------------------------------------------------------- */

/* The fields every vm-benchmark transaction shares. */
static int tx_base(tx_transaction *tx, const tx_key *key, uint32_t nonce, uint64_t gas_limit,
                   char *err, size_t errn)
{
    if (!tx || !key) {
        snprintf(err, errn, "transaction built without %s", tx ? "a sender key" : "a target");
        return -1;
    }
    tx_init(tx);
    tx->type = TX_TYPE_EIP712;
    tx->from = key->address;
    tx->gas_limit = u256_from_u64(gas_limit);
    tx->gas_per_pubdata = u256_from_u64(TX_GAS_PER_PUBDATA);
    tx->max_fee_per_gas = u256_from_u64(TX_MAX_FEE_PER_GAS);
    tx->max_priority_fee_per_gas = u256_zero();
    tx->nonce = u256_from_u64(nonce);
    return 0;
}

static int tx_finish(tx_transaction *tx, const tx_key *key, bool sign, char *err, size_t errn)
{
    int rc;
    if (sign)
        rc = tx_sign(tx, key, TX_CHAIN_ID, err, errn);
    else if ((rc = tx_sign_placeholder(tx)))
        snprintf(err, errn, "out of memory storing a signature");
    if (rc)
        tx_free(tx);
    return rc;
}

int tx_make_deploy(tx_transaction *tx, const tx_key *key, uint32_t nonce,
                   const tx_deploy_args *a, bool sign, char *err, size_t errn)
{
    if (tx_base(tx, key, nonce, TX_DEPLOY_GAS_LIMIT, err, errn))
        return -1;
    if (!a || !a->code) {
        snprintf(err, errn, "deploy without a bytecode");
        return -1;
    }
    if (tx_add_dep(tx, a->code, a->len, err, errn))
        goto fail;
    for (size_t i = 0; i < a->n_extra_deps; i++)
        if (tx_add_dep(tx, a->extra_deps[i].code, a->extra_deps[i].len, err, errn))
            goto fail;
    tx->to = u256_from_u64(TX_ADDR_CONTRACT_DEPLOYER);
    tx->value = a->value;
    /* vm-benchmark varies the salt with the nonce; create() ignores it, but
     * it is part of the signed call data */
    u256 salt = u256_from_u64(nonce);
    if (tx_create_calldata(salt, tx->deps[0].hash, a->ctor_input, a->ctor_input_len,
                           &tx->data.bytes, &tx->data.len, err, errn))
        goto fail;
    return tx_finish(tx, key, sign, err, errn);
fail:
    tx_free(tx);
    return -1;
}

int tx_make_transfer(tx_transaction *tx, const tx_key *key, uint32_t nonce, bool sign, char *err,
                     size_t errn)
{
    if (tx_base(tx, key, nonce, TX_TRANSFER_GAS_LIMIT, err, errn))
        return -1;
    tx->to = key->address;
    tx->value = u256_from_u64(TX_TRANSFER_VALUE);
    return tx_finish(tx, key, sign, err, errn);
}

int tx_make_execute(tx_transaction *tx, const tx_key *key, uint32_t nonce, u256 to,
                    const uint8_t *calldata, size_t calldata_len, u256 value, uint64_t gas_limit,
                    bool sign, char *err, size_t errn)
{
    if (tx_base(tx, key, nonce, gas_limit, err, errn))
        return -1;
    tx->to = to;
    tx->value = value;
    if (tx_buf_set(&tx->data, calldata, calldata_len)) {
        snprintf(err, errn, "out of memory copying %zu bytes of call data", calldata_len);
        tx_free(tx);
        return -1;
    }
    return tx_finish(tx, key, sign, err, errn);
}

/* ---- compressed bytecodes of a transaction ------------------------------------------------ */

int tx_compressed_entries(const tx_transaction *tx, tx_known_fn known, void *ctx, u256 **out,
                          size_t *nwords, char *err, size_t errn)
{
    *out = NULL;
    *nwords = 0;
    u256 *all = NULL;
    size_t n = 0;
    for (size_t i = 0; i < tx->ndeps; i++) {
        const tx_dep *d = &tx->deps[i];
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = u256_eq(tx->deps[j].hash, d->hash);
        if (seen || (known && known(ctx, d->hash)))
            continue;
        u256 *e;
        size_t en;
        compress_status st = compress_entry(d->code, d->len, d->hash, &e, &en, err, errn);
        if (st == COMPRESS_NOMEM) {
            free(all);
            return -1;
        }
        if (st != COMPRESS_OK)
            continue; /* upstream publishes such a bytecode uncompressed */
        u256 *grown = realloc(all, (n + en) * sizeof *grown);
        if (!grown) {
            free(e);
            free(all);
            snprintf(err, errn, "out of memory collecting compressed bytecodes");
            return -1;
        }
        all = grown;
        memcpy(all + n, e, en * sizeof *e);
        n += en;
        free(e);
    }
    *out = all;
    *nwords = n;
    return 0;
}
