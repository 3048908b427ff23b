/* host/tx.h — L2 transactions for the full tier: the TransactionData struct
 * the v29 bootloader reads, its ABI encoding into heap words, the EIP-712
 * hashes DefaultAccount checks, secp256k1 signing, and constructors for the
 * transactions the benchmarks send (bootloader spec §3, §7, §9).
 *
 * Pure functions over plain data: nothing here touches a VM or a world, so
 * the driver, the tools and the tests share one definition of "the bytes of
 * a transaction". Only type 0x71 (EIP-712) is built and signed; the struct
 * has every field the other types use so they can be added without
 * changing callers. */
#ifndef HOST_TX_H
#define HOST_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "u256.h"

enum {
    TX_TYPE_LEGACY = 0x00,
    TX_TYPE_EIP2930 = 0x01,
    TX_TYPE_EIP1559 = 0x02,
    TX_TYPE_EIP712 = 0x71,
    TX_TYPE_L1 = 0xff,
};

/* vm-benchmark's environment (spec §7); the constructors below use these. */
#define TX_CHAIN_ID 270u
#define TX_MAX_FEE_PER_GAS 250000000u    /* 0.25 gwei = the batch's base fee */
#define TX_GAS_PER_PUBDATA 50000u        /* the v29 protocol maximum */
#define TX_DEPLOY_GAS_LIMIT 30000000u
#define TX_TRANSFER_GAS_LIMIT 1000000u
#define TX_TRANSFER_VALUE 1000000000u    /* 1 gwei, sent to the sender itself */
#define TX_ADDR_NONCE_HOLDER 0x8003u
#define TX_ADDR_CONTRACT_DEPLOYER 0x8006u
#define TX_ADDR_BASE_TOKEN 0x800au

/* One owned byte string; bytes is NULL when len is 0. */
typedef struct {
    uint8_t *bytes;
    size_t len;
} tx_buf;

/* A factory dependency: the tx encodes and signs only the versioned hash,
 * but the host must be able to decommit the code by that hash while the
 * transaction runs, so the bytes travel with it. */
typedef struct {
    u256 hash;
    uint8_t *code;
    size_t len;
} tx_dep;

/* TransactionData (bootloader spec §3.1). Addresses are words (< 2^160). */
typedef struct {
    uint8_t type;
    u256 from, to;
    u256 gas_limit;            /* < 2^64 */
    u256 gas_per_pubdata;      /* gasPerPubdataByteLimit, < 2^32 */
    u256 max_fee_per_gas;      /* < 2^128 */
    u256 max_priority_fee_per_gas;
    u256 paymaster;
    u256 nonce;
    u256 value;
    u256 reserved[4];
    tx_buf data;               /* call data */
    tx_buf signature;          /* 65 bytes r ‖ s ‖ v for type 0x71 */
    tx_dep *deps;              /* factoryDeps, in order */
    size_t ndeps;
    tx_buf paymaster_input;
    tx_buf reserved_dynamic;   /* must be empty for the bootloader */
} tx_transaction;

/* A sender: the secret and the address it controls. */
typedef struct {
    uint8_t secret[32];
    u256 address;
} tx_key;

/* ---- building and freeing ------------------------------------------------- */

/* All fields zero, all buffers empty. */
void tx_init(tx_transaction *tx);
void tx_free(tx_transaction *tx); /* frees the buffers and deps; tx is then as after tx_init */

/* Replaces a buffer with a copy of p[0..n). Returns 0, or -1 if out of memory. */
int tx_buf_set(tx_buf *b, const uint8_t *p, size_t n);

/* Appends a factory dependency: checks the container rules, copies the code,
 * computes its versioned hash. Returns 0 or -1 with err. */
int tx_add_dep(tx_transaction *tx, const uint8_t *code, size_t len, char *err, size_t errn);

/* Checks what the bootloader would reject before running anything, so a bad
 * transaction gets a clear line from the host instead of a halt code:
 * type (only 0x71 is supported), field widths, from > 0xFFFF, paymaster 0
 * with empty input, reserved words (0, except reserved[1] which marks an EVM
 * deploy), empty reservedDynamic, at most 64 factory deps, maxPriorityFee <=
 * maxFee. The signature is not checked here (see tx_recover_signer). */
int tx_check(const tx_transaction *tx, char *err, size_t errn);

/* ---- encoding ------------------------------------------------------------- */

/* Words tx_encode writes: 0x20, the 19 head words, then per dynamic item a
 * length word plus its padded content (factory deps: count + hashes). */
size_t tx_encoding_words(const tx_transaction *tx);

/* zksync-era's length-in-words formula (core/lib/types/src/fee.rs
 * encoding_len), which the operator overhead is derived from. Equal to
 * tx_encoding_words; kept separate because it is the upstream definition. */
size_t tx_overhead_len_words(size_t data_len, size_t sig_len, size_t ndeps,
                             size_t paymaster_input_len, size_t reserved_dynamic_len);

/* Operator overhead in gas for the heap slot 10 143 + i: max(10 000, 10 × L)
 * with L = tx_overhead_len_words (upstream counts words; the bootloader only
 * caps it by its own byte-based figure). */
uint32_t tx_operator_overhead(const tx_transaction *tx);

/* Writes the TransactionData encoding as big-endian heap words (word 0 =
 * 0x20, dynamic items from inner byte 608 with no gaps, zero padding).
 * Returns the word count, or 0 if cap < tx_encoding_words(tx) or out of
 * memory. */
size_t tx_encode(const tx_transaction *tx, u256 *out, size_t cap);

/* ---- hashes (EIP-712, spec §3.2) ------------------------------------------ */

u256 tx_domain_typehash(void);        /* keccak("EIP712Domain(string name,string version,uint256 chainId)") */
u256 tx_typehash(void);               /* keccak("Transaction(uint256 txType,...)") */
u256 tx_domain_separator(uint64_t chain_id);
u256 tx_struct_hash(const tx_transaction *tx);
/* keccak(0x19 0x01 ‖ domain ‖ struct): what the account's signature covers */
u256 tx_signed_hash(const tx_transaction *tx, uint64_t chain_id);
/* Canonical hash of a 0x71 tx: keccak(signed hash ‖ keccak(signature)). */
u256 tx_hash(const tx_transaction *tx, uint64_t chain_id);

/* ---- keys and signatures --------------------------------------------------- */

/* Derives the address (low 20 bytes of keccak(uncompressed public key)).
 * Fails for a secret that is 0 or not below the curve order. */
int tx_key_from_secret(tx_key *k, const uint8_t secret[32], char *err, size_t errn);

/* Signs the signed hash with RFC 6979 (libsecp256k1's default nonce, so
 * signatures are reproducible and equal zksync-era's), low s, and stores
 * r ‖ s ‖ v with v = 27 + recovery id. Every signed field must be final.
 * The key is not compared with tx->from: signing with another key is how a
 * test makes a badly signed transaction. Returns 0 or -1 with err. */
int tx_sign(tx_transaction *tx, const tx_key *k, uint64_t chain_id, char *err, size_t errn);

/* Rewrites a 65-byte signature with high s (> n/2) to the equivalent low-s
 * one (n − s, v flipped), which DefaultAccount requires. Returns 1 if it
 * changed the signature, 0 if s was already low, -1 if v is not 27/28 or s
 * is 0 or not below n (then sig is unchanged). */
int tx_sig_normalize(uint8_t sig[65]);

/* Recovers the signer of tx's signature over its signed hash, as
 * DefaultAccount does (65 bytes, v 27/28, low s). Returns 0 with *signer,
 * or -1 with err saying which check failed. */
int tx_recover_signer(const tx_transaction *tx, uint64_t chain_id, u256 *signer, char *err,
                      size_t errn);

/* A 65-byte stand-in signature (r = s = 1, v = 27): well-formed for the
 * bootloader and DefaultAccount but signed by nobody. Only useful together
 * with the ecrecover shortcut below; upstream's fast_no_sigs still signs. */
int tx_sign_placeholder(tx_transaction *tx);

/* The --no-signatures shortcut (zksync-era fast_no_sigs, spec §5.3): for a
 * sender with no code, DefaultAccount's validation ends in the ecrecover
 * precompile called with exactly these 128 bytes — signed hash, v − 27 as a
 * word, r, s — and the host may answer (1, from) without the curve math. */
typedef struct {
    uint8_t input[128];
    u256 output[2]; /* success word 1, the sender as a word */
} tx_ecrecover_call;

/* Fails (-1) when the signature is not 65 bytes with v 27/28; then there is
 * no shortcut and the real precompile must run. */
int tx_ecrecover_expected(const tx_transaction *tx, uint64_t chain_id, tx_ecrecover_call *out);

/* ---- addresses and storage keys -------------------------------------------- */

/* keccak(keccak("zksyncCreate") ‖ sender ‖ deployment nonce), low 20 bytes:
 * the address ContractDeployer.create gives the sender's n-th deployment. */
u256 tx_create_address(u256 sender, u256 deployment_nonce);

/* Key of a Solidity mapping(address|uint => …) at storage slot `slot`:
 * keccak(key ‖ slot). NonceHolder's rawNonces (0x8003) and L2BaseToken's
 * balance (0x800a) are both mappings at slot 0 keyed by the address. */
u256 tx_mapping_key(u256 key, u256 slot);
u256 tx_nonce_key(u256 address);   /* = tx_mapping_key(address, 0) at 0x8003 */
u256 tx_balance_key(u256 address); /* = tx_mapping_key(address, 0) at 0x800a */

/* ContractDeployer.create(bytes32 salt, bytes32 bytecodeHash, bytes input)
 * call data (selector 0x9c4d535b). Returns 0 and a malloc'd buffer, or -1. */
int tx_create_calldata(u256 salt, u256 code_hash, const uint8_t *input, size_t input_len,
                       uint8_t **out, size_t *len, char *err, size_t errn);

/* ---- the benchmark transactions --------------------------------------------- */

/* Extra factory dependencies of a deploy (contracts the constructor creates). */
typedef struct {
    const uint8_t *code;
    size_t len;
} tx_code;

typedef struct {
    const uint8_t *code; /* the contract: a valid container (cut odd-word files before) */
    size_t len;
    const uint8_t *ctor_input; /* ABI-encoded constructor arguments, may be empty */
    size_t ctor_input_len;
    const tx_code *extra_deps;
    size_t n_extra_deps;
    u256 value;
} tx_deploy_args;

/* The constructors fill a fresh tx (tx_init not needed; tx_free after) with
 * the fees of §7 (maxFee 0.25 gwei, priority 0, gasPerPubdata 50 000) and
 * then sign it with `key` for chain 270, or, with sign false, give it the
 * placeholder signature. Each returns 0 or -1 with err (tx is then freed). */

/* vm-benchmark's deploy: to ContractDeployer, create(salt = nonce in its
 * last 4 bytes, versioned hash, ctor input), deps = [code, extra...], gas
 * limit 30 000 000. */
int tx_make_deploy(tx_transaction *tx, const tx_key *key, uint32_t nonce,
                   const tx_deploy_args *a, bool sign, char *err, size_t errn);

/* vm-benchmark's base-token transfer: 1 gwei to the sender itself, empty
 * call data, gas limit 1 000 000. */
int tx_make_transfer(tx_transaction *tx, const tx_key *key, uint32_t nonce, bool sign, char *err,
                     size_t errn);

/* A call: to, call data, value, gas limit (no factory deps). */
int tx_make_execute(tx_transaction *tx, const tx_key *key, uint32_t nonce, u256 to,
                    const uint8_t *calldata, size_t calldata_len, u256 value, uint64_t gas_limit,
                    bool sign, char *err, size_t errn);

/* ---- compressed bytecodes of a transaction ---------------------------------- */

/* Whether KnownCodesStorage already knows a hash (driver's callback). */
typedef bool (*tx_known_fn)(void *ctx, u256 hash);

/* All compressed-bytecode heap entries for tx, concatenated, as zksync-era's
 * push does (spec §3.4): factory deps deduplicated (first occurrence kept),
 * those `known` reports skipped, in tx order, and a dep that does not
 * compress (too many distinct chunks) silently left out. known may be NULL
 * (nothing known). *out is malloc'd (NULL when *nwords is 0). Returns 0, or
 * -1 if out of memory. */
int tx_compressed_entries(const tx_transaction *tx, tx_known_fn known, void *ctx, u256 **out,
                          size_t *nwords, char *err, size_t errn);

#endif
