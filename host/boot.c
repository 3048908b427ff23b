/* host/boot.c — the bootloader driver (see boot.h). Heap slots and hook ids
 * are those of the v29 (Interop) proved-batch bootloader; the per-hook
 * actions follow zksync-era's fast VM (vm_fast/vm.rs, bootloader.md §5). */
#include "boot.h"

#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "keccak.h"
#include "xalloc.h"

enum {
    HOOK_ACCOUNT_VALIDATION_ENTERED = 0,
    HOOK_PAYMASTER_VALIDATION_ENTERED = 1,
    HOOK_VALIDATION_EXITED = 2,
    HOOK_VALIDATION_STEP_ENDED = 3,
    HOOK_TX_HAS_ENDED = 4,
    HOOK_DEBUG_LOG = 5,
    HOOK_DEBUG_RETURNDATA = 6,
    HOOK_NEAR_CALL_CATCH = 7,
    HOOK_ASK_OPERATOR_FOR_REFUND = 8,
    HOOK_NOTIFY_REFUND = 9,
    HOOK_POST_RESULT = 10,
    HOOK_FINAL_BATCH_INFO = 11,
    HOOK_PUBDATA_REQUESTED = 12,
};

#define MAX_TRUSTED_GAS 80000000ull
#define EXCEPTION_HANDLER 0xFFFFu /* zksync-era's INITIAL_FRAME_FORMAL_EH_LOCATION */

/* The open L2 block (host side of the bootloader's block bookkeeping). */
typedef struct {
    uint64_t number, timestamp;
    u256 prev_hash, rolling;   /* rolling: keccak chain of the block's tx hashes */
    uint32_t ntx, index;       /* txs in it; its index in the batch */
    uint32_t max_virtual;
} boot_block;

/* What a transaction snapshot must restore on the host side too. */
typedef struct {
    uint32_t ntx, enc_words, comp_words;
    boot_block block;
} boot_position;

struct boot_vm {
    const host_env *env;
    host_fees fees;
    const syscon_set *sys;
    host_world *world;
    eravm_vm *vm;
    const eravm_program *bootloader;
    boot_options opt;
    boot_position pos, saved;
    bool ended;              /* the bootloader frame has finished */
    bool pushed;             /* a transaction waits to run */
    uint64_t tx_gas_limit;   /* of the pushed transaction */
    uint64_t instr_mark;     /* instruction count at the last TxHasEnded */
    eravm_result last;       /* how the last run stopped */
};

static const boot_observer *obs(const boot_vm *b)
{
    return b->opt.observer;
}

/* ---- heap access ---- */

static void heap_write(boot_vm *b, uint32_t offset, const uint8_t *bytes, size_t n)
{
    eravm_vm_write_memory(b->vm, eravm_vm_heap_page(b->vm), offset, bytes, n);
    if (obs(b) && obs(b)->heap_write)
        obs(b)->heap_write(obs(b)->ctx, offset, bytes, n);
}

static void put_word(boot_vm *b, uint32_t slot, u256 v)
{
    uint8_t w[32];
    u256_to_be(v, w);
    heap_write(b, slot * 32u, w, 32);
}

static void put_words(boot_vm *b, uint32_t slot, const u256 *v, size_t n)
{
    uint8_t *buf = xmalloc(n * 32 + 1);
    for (size_t i = 0; i < n; i++)
        u256_to_be(v[i], buf + 32 * i);
    heap_write(b, slot * 32u, buf, n * 32);
    free(buf);
}

static u256 get_word(boot_vm *b, uint32_t slot)
{
    uint8_t w[32];
    eravm_vm_read_memory(b->vm, eravm_vm_heap_page(b->vm), (uint64_t)slot * 32u, w, 32);
    return u256_from_be(w);
}

/* ---- batch start ---- */

static void write_batch_header(boot_vm *b)
{
    const host_env *e = b->env;
    put_word(b, 0, e->fee_account);
    put_word(b, 1, e->prev_batch_hash);
    put_word(b, 2, u256_from_u64(e->timestamp));
    put_word(b, 3, u256_from_u64(e->batch_number));
    put_word(b, 4, u256_from_u64(b->fees.fair_pubdata_price));
    put_word(b, 5, u256_from_u64(e->fair_l2_gas_price));
    put_word(b, 6, u256_from_u64(b->fees.base_fee));
    /* slot 7, "new batch" flag: 1 iff a previous batch hash is given */
    put_word(b, 7, u256_from_u64(u256_is_zero(e->prev_batch_hash) ? 0 : 1));
}

boot_vm *boot_new(const host_env *env, const syscon_set *sys, host_world *world,
                  const boot_options *opt)
{
    boot_vm *b = xcalloc(1, sizeof *b);
    b->env = env;
    b->fees = host_env_fees(env);
    b->sys = sys;
    b->world = world;
    if (opt)
        b->opt = *opt;
    hw_add_code(world, sys->bootloader.code, sys->bootloader.len);
    b->bootloader = hw_program(world, sys->bootloader.hash);
    eravm_settings settings = {.default_aa_hash = sys->default_account.hash,
                               .evm_interpreter_hash = sys->evm_emulator.hash,
                               .hook_address = BOOT_HOOK_ADDRESS,
                               .hooks_enabled = true};
    eravm_world iface = hw_iface(world);
    b->vm = eravm_vm_new(&iface, &settings);
    eravm_vm_set_engine(b->vm, b->opt.engine);
    eravm_call call = {.address = u256_from_u64(SYSCON_BOOTLOADER),
                       .ergs = env->bootloader_gas_limit,
                       .heap_bound = 0xFFFFFFFFu,
                       .exception_handler = EXCEPTION_HANDLER};
    eravm_vm_start(b->vm, b->bootloader, &call);
    if (obs(b) && obs(b)->start)
        obs(b)->start(obs(b)->ctx, &settings, &call, sys->bootloader.hash);
    write_batch_header(b);
    b->pos.block = (boot_block){.number = env->first_block_number,
                                .timestamp = env->first_block_timestamp,
                                .prev_hash = env->first_block_prev_hash,
                                .max_virtual = env->max_virtual_blocks};
    return b;
}

void boot_free(boot_vm *b)
{
    if (!b)
        return;
    eravm_vm_free(b->vm);
    free(b);
}

eravm_vm *boot_eravm(boot_vm *b)
{
    return b->vm;
}

const eravm_result *boot_last_stop(const boot_vm *b)
{
    return &b->last;
}

uint32_t boot_tx_count(const boot_vm *b)
{
    return b->pos.ntx;
}

/* ---- pushing a transaction (bootloader.md §2) ---- */

static void write_block_info(boot_vm *b, uint32_t tx_index, const boot_block *blk, bool first)
{
    uint32_t at = BOOT_SLOT_L2_BLOCKS + 4 * tx_index;
    put_word(b, at, u256_from_u64(blk->number));
    put_word(b, at + 1, u256_from_u64(blk->timestamp));
    put_word(b, at + 2, blk->prev_hash);
    put_word(b, at + 3, u256_from_u64(first ? blk->max_virtual : 0));
    if (first) /* interop roots of the block, stored as count + 1: none */
        put_word(b, BOOT_SLOT_INTEROP_COUNTS + blk->index, u256_from_u64(1));
}

bool boot_code_known(boot_vm *b, u256 hash)
{
    u256 v, kc = u256_from_u64(SYSCON_KNOWN_CODES);
    if (eravm_vm_storage_written(b->vm, kc, hash, &v))
        return !u256_is_zero(v);
    return !u256_is_zero(hw_get(b->world, kc, hash, NULL));
}

int boot_push(boot_vm *b, const boot_tx *tx, char *err, size_t errn)
{
    boot_position *p = &b->pos;
    if (b->ended) {
        snprintf(err, errn, "the batch has ended; no more transactions");
        return -1;
    }
    if (b->pushed) {
        snprintf(err, errn, "a transaction is already pushed and not yet run");
        return -1;
    }
    if (p->ntx >= BOOT_MAX_TXS) {
        snprintf(err, errn, "the batch is full (%u transactions)", BOOT_MAX_TXS);
        return -1;
    }
    if (BOOT_SLOT_TX_ENCODINGS + p->enc_words + tx->nwords > BOOT_SLOT_TX_ENCODINGS_END) {
        snprintf(err, errn, "the transaction encoding (%zu words) does not fit the bootloader heap",
                 tx->nwords);
        return -1;
    }
    if (BOOT_SLOT_COMPRESSED + p->comp_words + tx->ncompressed > BOOT_SLOT_COMPRESSED_END) {
        snprintf(err, errn, "the compressed bytecodes (%zu words) do not fit the bootloader heap",
                 tx->ncompressed);
        return -1;
    }
    for (size_t i = 0; i < tx->ndeps; i++)
        hw_add_code_hashed(b->world, tx->deps[i].code, tx->deps[i].len, tx->deps[i].hash);
    uint32_t i = p->ntx;
    uint32_t enc_slot = BOOT_SLOT_TX_ENCODINGS + p->enc_words;
    put_word(b, BOOT_SLOT_TX_DESCRIPTIONS + 2 * i, u256_from_u64(1)); /* validate and execute */
    put_word(b, BOOT_SLOT_TX_DESCRIPTIONS + 2 * i + 1, u256_from_u64((uint64_t)enc_slot * 32));
    put_word(b, BOOT_SLOT_OPERATOR_REFUNDS + i, u256_zero());
    put_word(b, BOOT_SLOT_OPERATOR_OVERHEAD + i, u256_from_u64(tx->overhead));
    uint64_t trusted = tx->trusted_gas_limit
                           ? tx->trusted_gas_limit
                           : (tx->gas_limit < MAX_TRUSTED_GAS ? tx->gas_limit : MAX_TRUSTED_GAS);
    put_word(b, BOOT_SLOT_TRUSTED_GAS_LIMIT + i, u256_from_u64(trusted));
    put_words(b, enc_slot, tx->encoding, tx->nwords);
    if (tx->ncompressed) {
        put_words(b, BOOT_SLOT_COMPRESSED + p->comp_words, tx->compressed, tx->ncompressed);
        p->comp_words += (uint32_t)tx->ncompressed;
    }
    write_block_info(b, i, &p->block, p->block.ntx == 0);
    /* the block's rolling hash, for the hash of the block the next one names */
    uint8_t buf[64], h[32];
    u256_to_be(p->block.rolling, buf);
    u256_to_be(tx->hash, buf + 32);
    keccak256(buf, 64, h);
    p->block.rolling = u256_from_be(h);
    p->block.ntx++;
    p->enc_words += (uint32_t)tx->nwords;
    p->ntx++;
    b->pushed = true;
    b->tx_gas_limit = tx->gas_limit;
    if (tx->ecrecover_input) {
        hw_expect_ecrecover(b->world, tx->ecrecover_input, tx->from);
        if (obs(b) && obs(b)->ecrecover)
            obs(b)->ecrecover(obs(b)->ctx, tx->ecrecover_input, tx->from);
    } else {
        hw_expect_ecrecover(b->world, NULL, u256_zero());
    }
    return 0;
}

/* ---- hooks ---- */

static void hook_params(boot_vm *b, u256 p[3])
{
    for (int i = 0; i < 3; i++)
        p[i] = get_word(b, BOOT_SLOT_HOOK_PARAMS + (uint32_t)i);
}

static void trace_debug_log(boot_vm *b)
{
    u256 p[3];
    hook_params(b, p);
    char msg[33];
    uint8_t w[32];
    u256_to_be(p[0], w);
    memcpy(msg, w, 32);
    msg[32] = 0;
    for (int i = 0; i < 32 && msg[i]; i++)
        if (msg[i] < 32 || msg[i] > 126)
            msg[i] = '?';
    char val[80];
    if (u256_fits_u64(p[1]))
        u256_to_dec(p[1], val, sizeof val);
    else
        u256_to_hex(p[1], val, sizeof val);
    fprintf(b->opt.trace_hooks, "debug_log: %s %s\n", msg, val);
}

/* Bytes a PostResult fat pointer names (vm_fast read_bytes_from_heap). */
static void read_pointer(boot_vm *b, u256 ptr, uint8_t **out, size_t *len)
{
    uint32_t page = (uint32_t)(ptr.w[0] >> 32);
    uint32_t start = (uint32_t)ptr.w[1], length = (uint32_t)(ptr.w[1] >> 32);
    /* a pointer names at most what the VM could have written; cap what we copy */
    if (length > (1u << 26))
        length = 1u << 26;
    *out = xmalloc(length ? length : 1);
    *len = length;
    eravm_vm_read_memory(b->vm, page, start, *out, length);
}

/* zksync-era compute_refund (vm_latest/utils/refund.rs), all in wei. */
static uint64_t operator_refund(boot_vm *b, const u256 p[3], uint32_t pubdata)
{
    uint64_t gas_limit = b->tx_gas_limit;
    uint64_t spent = gas_limit - u256_low64(p[0]);
    uint64_t on_pubdata = u256_low64(p[1]);
    uint64_t computational = spent > on_pubdata ? spent - on_pubdata : 0;
    uint64_t base = b->fees.base_fee, spill;
    u256 bootloader_price = u256_mul_u64(u256_from_u64(base), u256_low32(p[2]), &spill);
    u256 fair_price = u256_from_u64(b->fees.fair_pubdata_price);
    u256 price = u256_lt(bootloader_price, fair_price) ? bootloader_price : fair_price;
    u256 fair_fee = u256_add(u256_mul_u64(u256_from_u64(computational), b->env->fair_l2_gas_price,
                                          &spill),
                             u256_mul_u64(price, pubdata, &spill), NULL);
    u256 prepaid = u256_mul_u64(u256_from_u64(gas_limit), base, &spill);
    if (u256_lt(prepaid, fair_fee))
        return 0;
    u256 refund = u256_sub(prepaid, fair_fee, NULL);
    uint64_t rem;
    u256 q = u256_divmod_u64(refund, base, &rem);
    return u256_low64(q) + (rem ? 1 : 0);
}

static const char *const boot_error_names[] = {
    "eth call error", "account validation failed", "failed to charge fee",
    "from is not an account", "failed to check account", "unacceptable gas price",
    "failed to set new batch", "pay for tx failed", "pre-paymaster preparation failed",
    "paymaster validation failed", "failed to send fees to the operator",
    "unacceptable pubdata price", "tx validation failed", "max priority fee greater than max fee",
    "base fee greater than max fee per gas", "paymaster returned invalid context",
    "paymaster context is too long", "assertion error", "failed to mark factory deps",
    "not enough gas for validation", "not enough gas provided",
    "account returned invalid magic (most often: a wrong signature)",
    "paymaster returned invalid magic", "failed to mint ether",
    "failed to append transaction to L2 block", "failed to set L2 block",
    "failed to publish timestamp data to L1", "L1Messenger publishing failed",
    "L1Messenger log sending failed", "failed to call SystemContext",
};

/* The bootloader's revert data: an error code byte, then the reason
 * (TxRevertReason::parse_error). */
static void halt_reason(const syscon_set *sys, const uint8_t *data, size_t len, char *out,
                        size_t n)
{
    if (!len) {
        snprintf(out, n, "bootloader returned an empty error");
        return;
    }
    char inner[200];
    boot_revert_text(sys, data + 1, len - 1, inner, sizeof inner);
    size_t ncodes = sizeof boot_error_names / sizeof boot_error_names[0];
    if (data[0] < ncodes)
        snprintf(out, n, "%s%s%s", boot_error_names[data[0]], inner[0] ? ": " : "", inner);
    else
        snprintf(out, n, "unknown bootloader error code %u%s%s", data[0], inner[0] ? ": " : "",
                 inner);
}

void boot_revert_text(const syscon_set *sys, const uint8_t *data, size_t len, char *out,
                      size_t n)
{
    out[0] = 0;
    if (!len)
        return;
    /* ABI-encoded bytes around the real data (what anvil's DefaultAccount
     * returns): look inside */
    if (len >= 64 && len % 32 == 0 && u256_eq(u256_from_be(data), u256_from_u64(32))) {
        u256 l = u256_from_be(data + 32);
        if (u256_fits_u32(l) && (l.w[0] + 31) / 32 * 32 == len - 64) {
            if (l.w[0] == 0)
                snprintf(out, n, "empty revert data (possibly out of gas)");
            else
                boot_revert_text(sys, data + 64, (size_t)l.w[0], out, n);
            return;
        }
    }
    static const uint8_t error_sel[4] = {0x08, 0xc3, 0x79, 0xa0}, panic_sel[4] = {0x4e, 0x48,
                                                                                  0x7b, 0x71};
    if (len >= 68 && !memcmp(data, error_sel, 4)) {
        u256 off = u256_from_be(data + 4);
        if (u256_fits_u32(off) && off.w[0] + 36 <= len - 32 + 4) {
            size_t at = 4 + (size_t)off.w[0];
            u256 l = u256_from_be(data + at);
            if (u256_fits_u32(l) && at + 32 + l.w[0] <= len) {
                size_t k = (size_t)l.w[0] < n - 1 ? (size_t)l.w[0] : n - 1;
                for (size_t i = 0; i < k; i++) {
                    uint8_t c = data[at + 32 + i];
                    out[i] = (char)(c >= 32 && c < 127 ? c : '?');
                }
                out[k] = 0;
                return;
            }
        }
    }
    if (len == 36 && !memcmp(data, panic_sel, 4)) {
        char code[80];
        u256_to_hex(u256_from_be(data + 4), code, sizeof code);
        snprintf(out, n, "Panic(%s)", code);
        return;
    }
    /* a system contract's custom error: its signature, then the words */
    const char *sig = len >= 4 && sys ? syscon_error_signature(sys, (uint32_t)data[0] << 24 |
                                                                        (uint32_t)data[1] << 16 |
                                                                        (uint32_t)data[2] << 8 |
                                                                        data[3])
                                     : NULL;
    if (sig) {
        size_t o = (size_t)snprintf(out, n, "%s", sig);
        for (size_t at = 4; at + 32 <= len && o + 4 < n; at += 32) {
            char w[80];
            u256_to_hex(u256_from_be(data + at), w, sizeof w);
            o += (size_t)snprintf(out + o, n - o, "%s%s", at == 4 ? ": " : ", ", w);
        }
        return;
    }
    size_t o = (size_t)snprintf(out, n, "0x");
    for (size_t i = 0; i < len && o + 3 < n; i++)
        o += (size_t)snprintf(out + o, n - o, "%02x", data[i]);
}

const char *boot_status_name(boot_status s)
{
    return s == BOOT_SUCCESS ? "success" : s == BOOT_REVERT ? "revert" : "halt";
}

void boot_result_free(boot_result *r)
{
    free(r->output);
    r->output = NULL;
}

/* ---- the end of a batch: the fictive block and pubdata (§5.5, §5.6) ---- */

static u256 block_hash(const boot_block *blk)
{
    uint8_t buf[128], h[32];
    u256_to_be(u256_from_u64(blk->number), buf);
    u256_to_be(u256_from_u64(blk->timestamp), buf + 32);
    u256_to_be(blk->prev_hash, buf + 64);
    u256_to_be(blk->rolling, buf + 96);
    keccak256(buf, 128, h);
    return u256_from_be(h);
}

static void write_fictive_block(boot_vm *b)
{
    boot_block *blk = &b->pos.block;
    uint32_t last_index = blk->index;
    if (blk->ntx) {
        boot_block next = {.number = blk->number + 1,
                           .timestamp = blk->timestamp + 1,
                           .prev_hash = block_hash(blk),
                           .index = blk->index + 1,
                           .max_virtual = 1};
        *blk = next;
    }
    write_block_info(b, b->pos.ntx, blk, true);
    /* zksync-era also marks the last real block's interop count; the
     * bootloader never reads it for the fictive block */
    put_word(b, BOOT_SLOT_INTEROP_COUNTS + last_index, u256_from_u64(1));
}

void boot_last_block(const boot_vm *b, uint64_t *number, uint64_t *timestamp, u256 *hash)
{
    *number = b->pos.block.number;
    *timestamp = b->pos.block.timestamp;
    *hash = block_hash(&b->pos.block);
}

bool boot_ended(const boot_vm *b)
{
    return b->ended;
}

static u256 keccak_pair(u256 a, u256 b2)
{
    uint8_t buf[64], h[32];
    u256_to_be(a, buf);
    u256_to_be(b2, buf + 32);
    keccak256(buf, 64, h);
    return u256_from_be(h);
}

static u256 sig_hash(const char *signature)
{
    uint8_t h[32];
    keccak256((const uint8_t *)signature, strlen(signature), h);
    return u256_from_be(h);
}

#define LOG_SIZE 88
#define LOG_TREE_LEAVES 16384

/* L1Messenger's events say what it chained: user L2->L1 logs, message
 * hashes and bytecodes to publish; the operator input must repeat them
 * (L1Messenger.publishPubdataAndClearState). The L2 DA validator is 0, so
 * nothing past the logs is checked. */
static void write_pubdata(boot_vm *b)
{
    size_t nraw, nev;
    const eravm_log *raw = eravm_vm_events(b->vm, &nraw);
    host_event *ev = host_events_merge(raw, nraw, &nev);
    u256 sig_log = sig_hash("L2ToL1LogSent((uint8,bool,uint16,address,bytes32,bytes32))");
    u256 sig_msg = sig_hash("L1MessageSent(address,bytes32,bytes)");
    u256 sig_code = sig_hash("BytecodeL1PublicationRequested(bytes32)");
    u256 messenger = u256_from_u64(SYSCON_L1_MESSENGER);
    size_t nlogs = 0;
    uint8_t *logs = xmalloc(1);
    u256 chained_logs = u256_zero(), chained_msgs = u256_zero(), chained_codes = u256_zero();
    for (size_t i = 0; i < nev; i++) {
        host_event *e = &ev[i];
        if (!u256_eq(e->address, messenger) || !e->ntopics)
            continue;
        if (u256_eq(e->topics[0], sig_log) && e->len == 6 * 32) {
            logs = xrealloc(logs, (nlogs + 1) * LOG_SIZE);
            uint8_t *l = logs + nlogs * LOG_SIZE;
            l[0] = e->data[31];                 /* shard id */
            l[1] = e->data[63];                 /* is service */
            memcpy(l + 2, e->data + 94, 2);     /* tx number in block */
            memcpy(l + 4, e->data + 108, 20);   /* sender */
            memcpy(l + 24, e->data + 128, 64);  /* key, value */
            uint8_t h[32];
            keccak256(l, LOG_SIZE, h);
            chained_logs = keccak_pair(chained_logs, u256_from_be(h));
            nlogs++;
        } else if (u256_eq(e->topics[0], sig_msg) && e->ntopics == 3) {
            chained_msgs = keccak_pair(chained_msgs, e->topics[2]);
        } else if (u256_eq(e->topics[0], sig_code) && e->len == 32) {
            chained_codes = keccak_pair(chained_codes, u256_from_be(e->data));
        }
    }
    /* the Merkle root of the logs, padded with the empty-log leaf */
    u256 *tree = xmalloc(LOG_TREE_LEAVES * sizeof *tree);
    uint8_t empty[LOG_SIZE] = {0}, h[32];
    keccak256(empty, LOG_SIZE, h);
    u256 empty_leaf = u256_from_be(h);
    for (size_t i = 0; i < LOG_TREE_LEAVES; i++) {
        if (i < nlogs) {
            keccak256(logs + i * LOG_SIZE, LOG_SIZE, h);
            tree[i] = u256_from_be(h);
        } else {
            tree[i] = empty_leaf;
        }
    }
    for (size_t n = LOG_TREE_LEAVES; n > 1; n /= 2)
        for (size_t i = 0; i < n / 2; i++)
            tree[i] = keccak_pair(tree[2 * i], tree[2 * i + 1]);
    u256 root = tree[0];
    free(tree);
    /* operator input: validatePubdata selector, the four hashes, then the
     * pubdata as ABI bytes (offset, length, content: the log count and logs) */
    size_t pub_len = 4 + nlogs * LOG_SIZE;
    size_t in_len = 4 + 4 * 32 + 64 + ((pub_len + 31) / 32) * 32;
    uint8_t *in = xcalloc(1, in_len);
    uint8_t sel[32];
    u256_to_be(sig_hash("validatePubdata(bytes32,bytes32,bytes32,bytes32,bytes)"), sel);
    memcpy(in, sel, 4);
    u256_to_be(chained_logs, in + 4);
    u256_to_be(root, in + 36);
    u256_to_be(chained_msgs, in + 68);
    u256_to_be(chained_codes, in + 100);
    u256_to_be(u256_from_u64(160), in + 132); /* 5 words after the selector */
    u256_to_be(u256_from_u64(pub_len), in + 164);
    in[196] = (uint8_t)(nlogs >> 24);
    in[197] = (uint8_t)(nlogs >> 16);
    in[198] = (uint8_t)(nlogs >> 8);
    in[199] = (uint8_t)nlogs;
    memcpy(in + 200, logs, nlogs * LOG_SIZE);
    /* from slot 277 268: ABI of (address l2DAValidator = 0, bytes input) */
    size_t total = 96 + ((in_len + 31) / 32) * 32;
    uint8_t *abi = xcalloc(1, total);
    u256_to_be(u256_from_u64(64), abi + 32);
    u256_to_be(u256_from_u64(in_len), abi + 64);
    memcpy(abi + 96, in, in_len);
    heap_write(b, (BOOT_SLOT_PUBDATA + 1) * 32u, abi, total);
    free(abi);
    free(in);
    free(logs);
    host_events_free(ev, nev);
}

/* ---- running ---- */

/* State of one drive of the VM between host stops. */
typedef struct {
    bool in_validation;
    uint32_t gas_given, gas_hidden; /* the account-validation gas split */
    uint32_t validation_left;
    int32_t pubdata_mark;           /* pubdata counter at the start or the last hook 8 */
    bool posted;                    /* PostResult came */
} boot_drive;

enum { STOP_NONE, STOP_TX_ENDED, STOP_VM_ENDED };

/* Handles one hook; returns STOP_TX_ENDED at TxHasEnded in one-tx mode. */
static int on_hook(boot_vm *b, uint32_t id, bool one_tx, boot_drive *v, boot_result *r)
{
    u256 p[3];
    switch (id) {
    case HOOK_ACCOUNT_VALIDATION_ENTERED: {
        uint32_t gas = eravm_vm_ergs(b->vm);
        v->gas_given = gas < v->validation_left ? gas : v->validation_left;
        v->gas_hidden = gas - v->gas_given;
        v->in_validation = true;
        if (v->gas_hidden) {
            eravm_vm_set_ergs(b->vm, v->gas_given);
            if (obs(b) && obs(b)->ergs)
                obs(b)->ergs(obs(b)->ctx, v->gas_given);
        }
        break;
    }
    case HOOK_VALIDATION_EXITED:
        if (v->in_validation) {
            uint32_t left = eravm_vm_ergs(b->vm);
            v->validation_left -= v->gas_given - left;
            v->in_validation = false;
            if (v->gas_hidden) {
                eravm_vm_set_ergs(b->vm, left + v->gas_hidden);
                if (obs(b) && obs(b)->ergs)
                    obs(b)->ergs(obs(b)->ctx, left + v->gas_hidden);
            }
        }
        break;
    case HOOK_TX_HAS_ENDED:
        if (one_tx)
            return STOP_TX_ENDED;
        break;
    case HOOK_ASK_OPERATOR_FOR_REFUND: {
        hook_params(b, p);
        int32_t now = eravm_vm_pubdata(b->vm);
        uint32_t published = (uint32_t)now > (uint32_t)v->pubdata_mark
                                 ? (uint32_t)now - (uint32_t)v->pubdata_mark
                                 : 0;
        v->pubdata_mark = now;
        r->pubdata += published;
        r->operator_refund = operator_refund(b, p, published);
        put_word(b, BOOT_SLOT_OPERATOR_REFUNDS + (b->pos.ntx - 1),
                 u256_from_u64(r->operator_refund));
        break;
    }
    case HOOK_NOTIFY_REFUND:
        hook_params(b, p);
        r->refund = u256_low64(p[0]);
        break;
    case HOOK_POST_RESULT: {
        hook_params(b, p);
        free(r->output);
        read_pointer(b, p[1], &r->output, &r->output_len);
        r->status = u256_is_zero(p[0]) ? BOOT_REVERT : BOOT_SUCCESS;
        if (r->status == BOOT_REVERT)
            boot_revert_text(b->sys, r->output, r->output_len, r->reason, sizeof r->reason);
        else
            r->reason[0] = 0;
        v->posted = true;
        break;
    }
    case HOOK_FINAL_BATCH_INFO:
        write_fictive_block(b);
        break;
    case HOOK_PUBDATA_REQUESTED:
        write_pubdata(b);
        break;
    case HOOK_DEBUG_LOG:
        if (b->opt.trace_hooks)
            trace_debug_log(b);
        break;
    case HOOK_DEBUG_RETURNDATA:
        if (b->opt.trace_hooks) {
            hook_params(b, p);
            uint8_t *d;
            size_t n;
            read_pointer(b, p[0], &d, &n);
            char text[200];
            boot_revert_text(b->sys, d, n, text, sizeof text);
            fprintf(b->opt.trace_hooks, "debug_returndata: %s\n", text[0] ? text : "(empty)");
            free(d);
        }
        break;
    default: /* 1, 3, 7 and unknown ids: nothing to do */
        break;
    }
    return STOP_NONE;
}

/* Runs until TxHasEnded (one_tx) or the bootloader ends. */
static int drive(boot_vm *b, bool one_tx, boot_drive *v, boot_result *r, eravm_result *res)
{
    *v = (boot_drive){.validation_left = b->env->validation_gas_limit,
                      .pubdata_mark = eravm_vm_pubdata(b->vm)};
    for (;;) {
        if (obs(b) && obs(b)->run)
            obs(b)->run(obs(b)->ctx);
        eravm_status st = eravm_vm_continue(b->vm, res);
        b->last = *res;
        if (obs(b) && obs(b)->stop)
            obs(b)->stop(obs(b)->ctx, res);
        if (st != ERAVM_SUSPENDED) {
            b->ended = true;
            return STOP_VM_ENDED;
        }
        if (b->opt.trace_hooks && res->hook_value != HOOK_DEBUG_LOG)
            fprintf(b->opt.trace_hooks, "hook %u at instruction %llu\n", res->hook_value,
                    (unsigned long long)res->instructions);
        if (on_hook(b, res->hook_value, one_tx, v, r) == STOP_TX_ENDED)
            return STOP_TX_ENDED;
    }
}

int boot_run_tx(boot_vm *b, boot_result *r, char *err, size_t errn)
{
    memset(r, 0, sizeof *r);
    if (!b->pushed) {
        snprintf(err, errn, "no transaction pushed");
        return -1;
    }
    if (b->ended) {
        snprintf(err, errn, "the bootloader has ended");
        return -1;
    }
    b->pushed = false;
    size_t ev0, l0;
    eravm_vm_events(b->vm, &ev0);
    eravm_vm_l2l1_logs(b->vm, &l0);
    uint32_t ergs0 = eravm_vm_ergs(b->vm);
    eravm_result res;
    memset(&res, 0, sizeof res);
    boot_drive v;
    int stop = drive(b, true, &v, r, &res);
    bool posted = v.posted;
    r->gas_limit = b->tx_gas_limit;
    r->instructions = res.instructions - b->instr_mark;
    b->instr_mark = res.instructions;
    r->ergs_used = ergs0 - res.ergs_left;
    if (stop == STOP_VM_ENDED) {
        /* the bootloader frame itself ended: the transaction halted */
        r->status = BOOT_HALT;
        free(r->output);
        r->output = xmalloc(res.returndata_len ? res.returndata_len : 1);
        memcpy(r->output, res.returndata, res.returndata_len);
        r->output_len = res.returndata_len;
        if (res.status == ERAVM_REVERT)
            halt_reason(b->sys, r->output, r->output_len, r->reason, sizeof r->reason);
        else
            snprintf(r->reason, sizeof r->reason, "%s",
                     res.status == ERAVM_PANIC ? (res.ergs_left ? "VM panic" : "bootloader out of gas")
                                               : "the bootloader finished the batch");
    } else if (!posted) {
        /* TxHasEnded without PostResult: the result slot says it */
        u256 ok = get_word(b, BOOT_SLOT_RESULTS + (b->pos.ntx - 1));
        r->status = u256_is_zero(ok) ? BOOT_REVERT : BOOT_SUCCESS;
        if (r->status == BOOT_REVERT)
            snprintf(r->reason, sizeof r->reason,
                     "transaction reverted with empty reason (possibly out of gas)");
    }
    /* a halted transaction is not in the batch: it charges nothing */
    r->gas_used = r->status == BOOT_HALT ? 0 : r->gas_limit > r->refund ? r->gas_limit - r->refund : 0;
    eravm_vm_events(b->vm, &r->events_to);
    eravm_vm_l2l1_logs(b->vm, &r->l2l1_to);
    r->events_from = ev0;
    r->l2l1_from = l0;
    return 0;
}

static void observe_snapshot(boot_vm *b, int op)
{
    if (obs(b) && obs(b)->snapshot)
        obs(b)->snapshot(obs(b)->ctx, op);
}

int boot_execute(boot_vm *b, const boot_tx *tx, boot_result *r, char *err, size_t errn)
{
    memset(r, 0, sizeof *r);
    if (b->ended) {
        snprintf(err, errn, "the batch has ended; no more transactions");
        return -1;
    }
    if (!eravm_vm_snapshot(b->vm)) {
        snprintf(err, errn, "cannot take a transaction snapshot here");
        return -1;
    }
    observe_snapshot(b, 0);
    b->saved = b->pos;
    if (boot_push(b, tx, err, errn) != 0 || boot_run_tx(b, r, err, errn) != 0) {
        eravm_vm_rollback(b->vm);
        observe_snapshot(b, 1);
        b->pos = b->saved;
        b->pushed = false;
        return -1;
    }
    if (r->status == BOOT_HALT) {
        eravm_vm_rollback(b->vm);
        observe_snapshot(b, 1);
        b->pos = b->saved;
        b->ended = false;
        r->events_to = r->events_from;
        r->l2l1_to = r->l2l1_from;
    } else {
        eravm_vm_pop_snapshot(b->vm);
        observe_snapshot(b, 2);
    }
    return 0;
}

int boot_finish(boot_vm *b, char *err, size_t errn)
{
    if (b->ended) {
        snprintf(err, errn, "the bootloader has already ended");
        return -1;
    }
    if (b->pushed) {
        snprintf(err, errn, "a pushed transaction has not run");
        return -1;
    }
    boot_result r;
    memset(&r, 0, sizeof r);
    eravm_result res;
    memset(&res, 0, sizeof res);
    boot_drive v;
    drive(b, false, &v, &r, &res);
    boot_result_free(&r);
    b->instr_mark = res.instructions;
    if (res.status == ERAVM_OK)
        return 0;
    char why[256] = "";
    if (res.status == ERAVM_REVERT)
        halt_reason(b->sys, res.returndata, res.returndata_len, why, sizeof why);
    snprintf(err, errn, "the bootloader did not finish the batch: %s %s",
             eravm_status_name(res.status), why);
    return -1;
}
