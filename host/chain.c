/* host/chain.c — a full-tier batch for tools and benchmarks (see chain.h):
 * glue between the transaction builder (tx.c), the world and the driver. */
#include "chain.h"

#include <stdlib.h>
#include <string.h>

#include "keccak.h"
#include "record.h"
#include "xalloc.h"

struct chain {
    chain_options opt;
    host_env env;
    syscon_set sys;
    host_world *world;
    boot_vm *boot;
    tx_key keys[CHAIN_MAX_KEYS];
    unsigned nkeys;
    rec_writer *rec;
    boot_observer rec_obs;
};

void chain_tx_defaults(chain_tx_opts *t)
{
    memset(t, 0, sizeof *t);
    t->nonce = CHAIN_AUTO_NONCE;
    t->sign_with = -1;
}

chain *chain_open(const chain_options *o, char *err, size_t errn)
{
    chain *c = xcalloc(1, sizeof *c);
    c->opt = *o;
    if (o->env)
        c->env = *o->env;
    else
        host_env_default(&c->env);
    if (syscon_load(&c->sys, o->data_dir, err, errn) != 0) {
        free(c);
        return NULL;
    }
    c->nkeys = o->nkeys ? o->nkeys : 1;
    if (c->nkeys > CHAIN_MAX_KEYS)
        c->nkeys = CHAIN_MAX_KEYS;
    c->world = hw_new();
    hw_genesis(c->world, &c->sys, &c->env);
    for (unsigned i = 0; i < c->nkeys; i++) {
        uint8_t secret[32];
        memset(secret, 0x2a + (int)i, sizeof secret);
        if (tx_key_from_secret(&c->keys[i], secret, err, errn) != 0) {
            chain_close(c, NULL, 0);
            return NULL;
        }
        hw_fund(c->world, c->keys[i].address, c->env.sender_balance);
    }
    boot_options bo = {.engine = o->engine, .trace_hooks = o->trace_hooks};
    if (o->record_dir) {
        c->rec = rec_open(o->record_dir, c->world, err, errn);
        if (!c->rec) {
            chain_close(c, NULL, 0);
            return NULL;
        }
        hw_observer wo = rec_world_observer(c->rec);
        hw_observe(c->world, &wo);
        c->rec_obs = rec_boot_observer(c->rec);
        bo.observer = &c->rec_obs;
    }
    c->boot = boot_new(&c->env, &c->sys, c->world, &bo);
    return c;
}

int chain_close(chain *c, char *err, size_t errn)
{
    if (!c)
        return 0;
    int rc = 0;
    if (c->rec && c->boot) {
        char why[300];
        rc = rec_close(c->rec, boot_eravm(c->boot), boot_last_stop(c->boot), why, sizeof why);
        if (rc && err)
            snprintf(err, errn, "%s", why);
    }
    boot_free(c->boot);
    hw_free(c->world);
    syscon_free(&c->sys);
    free(c);
    return rc;
}

/* ---- state ---- */

u256 chain_storage(chain *c, u256 address, u256 key)
{
    u256 v;
    if (eravm_vm_storage_written(boot_eravm(c->boot), address, key, &v))
        return v;
    return hw_get(c->world, address, key, NULL);
}

u256 chain_key_address(const chain *c, unsigned key)
{
    return key < c->nkeys ? c->keys[key].address : u256_zero();
}

u256 chain_balance(chain *c, u256 address)
{
    return chain_storage(c, u256_from_u64(SYSCON_BASE_TOKEN), tx_balance_key(address));
}

u256 chain_raw_nonce(chain *c, u256 address)
{
    return chain_storage(c, u256_from_u64(SYSCON_NONCE_HOLDER), tx_nonce_key(address));
}

boot_vm *chain_boot(chain *c)
{
    return c->boot;
}

const syscon_set *chain_syscon(const chain *c)
{
    return &c->sys;
}

const host_env *chain_env(const chain *c)
{
    return &c->env;
}

eravm_vm *chain_vm(chain *c)
{
    return boot_eravm(c->boot);
}

void chain_result_free(chain_result *r)
{
    boot_result_free(&r->run);
}

/* ---- transactions ---- */

struct chain_tx {
    tx_transaction tx;
    chain_tx_opts opts;
    bool deploy;
    bool shortcut;           /* the ecrecover input is known: answer it (no signatures) */
    tx_ecrecover_call ec;
};

void chain_tx_free(chain_tx *t)
{
    if (!t)
        return;
    tx_free(&t->tx);
    free(t);
}

static bool known_cb(void *ctx, u256 hash)
{
    return boot_code_known(ctx, hash);
}

/* Limits and the signature a caller asked for; the transaction is then final. */
static int finish_build(chain *c, chain_tx *ct, char *err, size_t errn)
{
    const chain_tx_opts *t = &ct->opts;
    tx_transaction *tx = &ct->tx;
    if (t->gas_limit)
        tx->gas_limit = u256_from_u64(t->gas_limit);
    const tx_key *signer = &c->keys[t->key];
    if (t->sign_with >= 0) {
        if ((unsigned)t->sign_with >= c->nkeys) {
            snprintf(err, errn, "no funded key %d to sign with", t->sign_with);
            return -1;
        }
        signer = &c->keys[t->sign_with];
    }
    if (t->unsigned_tx) {
        if (tx_sign_placeholder(tx) != 0) {
            snprintf(err, errn, "cannot build the placeholder signature");
            return -1;
        }
    } else if (tx_sign(tx, signer, c->env.chain_id, err, errn) != 0) {
        return -1;
    }
    if (tx_check(tx, err, errn) != 0)
        return -1;
    ct->shortcut = c->opt.no_signatures && !t->unsigned_tx && t->sign_with < 0 &&
                   tx_ecrecover_expected(tx, c->env.chain_id, &ct->ec) == 0;
    return 0;
}

int chain_run(chain *c, const chain_tx *ct, chain_result *r, char *err, size_t errn)
{
    memset(r, 0, sizeof *r);
    const tx_transaction *tx = &ct->tx;
    int rc = -1;
    u256 *enc = NULL, *comp = NULL;
    if (ct->deploy) {
        /* the deployment nonce before the tx names the new contract */
        u256 raw = chain_raw_nonce(c, tx->from);
        r->deploy = true;
        r->deployed_address = tx_create_address(tx->from, u256_shr(raw, 128));
    }
    size_t nwords = tx_encoding_words(tx);
    enc = xmalloc(nwords * sizeof *enc);
    if (tx_encode(tx, enc, nwords) != nwords) {
        snprintf(err, errn, "cannot encode the transaction");
        goto out;
    }
    size_t ncomp = 0;
    if (tx_compressed_entries(tx, known_cb, c->boot, &comp, &ncomp, err, errn) != 0)
        goto out;
    r->tx_hash = tx_hash(tx, c->env.chain_id);
    r->from = tx->from;
    r->nonce = u256_low64(tx->nonce);
    boot_tx bt = {.encoding = enc,
                  .nwords = nwords,
                  .hash = r->tx_hash,
                  .from = tx->from,
                  .gas_limit = u256_low64(tx->gas_limit),
                  .overhead = tx_operator_overhead(tx),
                  .trusted_gas_limit = ct->opts.trusted_gas_limit,
                  .deps = tx->deps,
                  .ndeps = tx->ndeps,
                  .compressed = comp,
                  .ncompressed = ncomp,
                  .ecrecover_input = ct->shortcut ? ct->ec.input : NULL};
    rc = c->opt.snapshots ? boot_execute(c->boot, &bt, &r->run, err, errn)
                          : (boot_push(c->boot, &bt, err, errn) == 0
                                 ? boot_run_tx(c->boot, &r->run, err, errn)
                                 : -1);
out:
    free(enc);
    free(comp);
    return rc;
}

static int check_key(const chain *c, const chain_tx_opts *t, char *err, size_t errn)
{
    if (t->key >= c->nkeys) {
        snprintf(err, errn, "no funded key %u (this batch has %u)", t->key, c->nkeys);
        return -1;
    }
    return 0;
}

static uint32_t tx_nonce(chain *c, const chain_tx_opts *t)
{
    if (t->nonce != CHAIN_AUTO_NONCE)
        return (uint32_t)t->nonce;
    return (uint32_t)chain_raw_nonce(c, c->keys[t->key].address).w[0];
}

static chain_tx *new_tx(const chain_tx_opts *t)
{
    chain_tx *ct = xcalloc(1, sizeof *ct);
    ct->opts = *t;
    return ct;
}

static int built(chain *c, chain_tx *ct, int rc, chain_tx **out, char *err, size_t errn)
{
    if (rc != 0 || finish_build(c, ct, err, errn) != 0) {
        if (rc == 0)
            tx_free(&ct->tx);
        free(ct);
        return -1;
    }
    *out = ct;
    return 0;
}

int chain_build_deploy(chain *c, const chain_tx_opts *t, chain_code code, const uint8_t *args,
                       size_t nargs, const chain_code *deps, size_t ndeps, chain_tx **out,
                       char *err, size_t errn)
{
    if (check_key(c, t, err, errn) != 0)
        return -1;
    tx_code *extra = xmalloc((ndeps + 1) * sizeof *extra);
    for (size_t i = 0; i < ndeps; i++)
        extra[i] = (tx_code){deps[i].code, deps[i].len};
    tx_deploy_args a = {.code = code.code,
                        .len = code.len,
                        .ctor_input = args,
                        .ctor_input_len = nargs,
                        .extra_deps = extra,
                        .n_extra_deps = ndeps,
                        .value = t->value};
    chain_tx *ct = new_tx(t);
    ct->deploy = true;
    int rc = tx_make_deploy(&ct->tx, &c->keys[t->key], tx_nonce(c, t), &a, false, err, errn);
    free(extra);
    return built(c, ct, rc, out, err, errn);
}

int chain_build_execute(chain *c, const chain_tx_opts *t, u256 to, const uint8_t *calldata,
                        size_t n, const chain_code *deps, size_t ndeps, chain_tx **out, char *err,
                        size_t errn)
{
    if (check_key(c, t, err, errn) != 0)
        return -1;
    chain_tx *ct = new_tx(t);
    int rc = tx_make_execute(&ct->tx, &c->keys[t->key], tx_nonce(c, t), to, calldata, n, t->value,
                             t->gas_limit ? t->gas_limit : TX_DEPLOY_GAS_LIMIT, false, err, errn);
    for (size_t i = 0; rc == 0 && i < ndeps; i++)
        if (tx_add_dep(&ct->tx, deps[i].code, deps[i].len, err, errn) != 0) {
            tx_free(&ct->tx);
            rc = -1;
        }
    return built(c, ct, rc, out, err, errn);
}

int chain_build_transfer(chain *c, const chain_tx_opts *t, u256 to, chain_tx **out, char *err,
                         size_t errn)
{
    if (check_key(c, t, err, errn) != 0)
        return -1;
    chain_tx *ct = new_tx(t);
    int rc = tx_make_transfer(&ct->tx, &c->keys[t->key], tx_nonce(c, t), false, err, errn);
    if (rc == 0) {
        if (!u256_is_zero(to))
            ct->tx.to = to;
        if (!u256_is_zero(t->value))
            ct->tx.value = t->value;
    }
    return built(c, ct, rc, out, err, errn);
}

static int build_run(chain *c, chain_tx *ct, int rc, chain_result *r, char *err, size_t errn)
{
    if (rc != 0)
        return -1;
    rc = chain_run(c, ct, r, err, errn);
    chain_tx_free(ct);
    return rc;
}

int chain_deploy(chain *c, const chain_tx_opts *t, chain_code code, const uint8_t *args,
                 size_t nargs, const chain_code *deps, size_t ndeps, chain_result *r, char *err,
                 size_t errn)
{
    chain_tx *ct = NULL;
    memset(r, 0, sizeof *r);
    int rc = chain_build_deploy(c, t, code, args, nargs, deps, ndeps, &ct, err, errn);
    return build_run(c, ct, rc, r, err, errn);
}

int chain_execute(chain *c, const chain_tx_opts *t, u256 to, const uint8_t *calldata, size_t n,
                  chain_result *r, char *err, size_t errn)
{
    chain_tx *ct = NULL;
    memset(r, 0, sizeof *r);
    int rc = chain_build_execute(c, t, to, calldata, n, NULL, 0, &ct, err, errn);
    return build_run(c, ct, rc, r, err, errn);
}

int chain_transfer(chain *c, const chain_tx_opts *t, u256 to, chain_result *r, char *err,
                   size_t errn)
{
    chain_tx *ct = NULL;
    memset(r, 0, sizeof *r);
    int rc = chain_build_transfer(c, t, to, &ct, err, errn);
    return build_run(c, ct, rc, r, err, errn);
}

static u256 call_read(void *ctx, u256 address, u256 key, bool *is_write_initial)
{
    *is_write_initial = false;
    return chain_storage(ctx, address, key);
}

static const eravm_program *call_decommit(void *ctx, u256 key)
{
    return hw_program(((chain *)ctx)->world, key);
}

int chain_call(chain *c, u256 from, u256 to, const uint8_t *calldata, size_t n,
               eravm_status *status, uint8_t **out, size_t *outlen, char *err, size_t errn)
{
    u256 hash = chain_storage(c, u256_from_u64(SYSCON_ACCOUNT_CODE_STORAGE), to);
    const eravm_program *p = u256_is_zero(hash) ? NULL : hw_program(c->world, hash);
    if (!p) {
        char a[80];
        u256_to_hex(to, a, sizeof a);
        snprintf(err, errn, "no deployed code at %s to call", a);
        return -1;
    }
    eravm_world w = {.ctx = c, .read_storage = call_read, .decommit = call_decommit};
    eravm_settings settings = {.default_aa_hash = c->sys.default_account.hash,
                               .evm_interpreter_hash = c->sys.evm_emulator.hash};
    eravm_vm *vm = eravm_vm_new(&w, &settings);
    eravm_vm_set_engine(vm, c->opt.engine);
    eravm_call call = {.address = to,
                       .caller = from,
                       .calldata = calldata,
                       .calldata_len = n,
                       .ergs = 80000000u};
    eravm_result res;
    *status = eravm_vm_run(vm, p, &call, &res);
    *outlen = res.returndata_len;
    *out = xmalloc(res.returndata_len ? res.returndata_len : 1);
    memcpy(*out, res.returndata, res.returndata_len);
    eravm_vm_free(vm);
    return 0;
}

int chain_finish(chain *c, char *err, size_t errn)
{
    return boot_finish(c->boot, err, errn);
}

int chain_record(chain *c, const char *dir, char *err, size_t errn)
{
    if (c->rec || boot_tx_count(c->boot) > 0) {
        snprintf(err, errn, "a recording starts with its batch");
        return -1;
    }
    c->rec = rec_open(dir, c->world, err, errn);
    if (!c->rec)
        return -1;
    hw_observer wo = rec_world_observer(c->rec);
    hw_observe(c->world, &wo);
    c->rec_obs = rec_boot_observer(c->rec);
    boot_free(c->boot);
    boot_options bo = {.engine = c->opt.engine,
                       .trace_hooks = c->opt.trace_hooks,
                       .observer = &c->rec_obs};
    c->boot = boot_new(&c->env, &c->sys, c->world, &bo);
    return 0;
}

int chain_next_batch(chain *c, char *err, size_t errn)
{
    if (c->rec) {
        snprintf(err, errn, "a recorded run is one batch");
        return -1;
    }
    if (!boot_ended(c->boot) && boot_finish(c->boot, err, errn) != 0)
        return -1;
    size_t n;
    eravm_slot *w = eravm_vm_storage_writes(boot_eravm(c->boot), &n);
    hw_commit(c->world, w, n);
    free(w);
    uint64_t number, timestamp;
    u256 last;
    boot_last_block(c->boot, &number, &timestamp, &last);
    uint8_t buf[64], h[32];
    u256_to_be(u256_from_u64(c->env.batch_number), buf);
    u256_to_be(last, buf + 32);
    keccak256(buf, sizeof buf, h);
    c->env.prev_batch_hash = u256_from_be(h);
    c->env.batch_number++;
    c->env.timestamp = (c->env.timestamp > timestamp ? c->env.timestamp : timestamp) + 1000;
    c->env.first_block_number = number + 1;
    c->env.first_block_timestamp = c->env.timestamp;
    c->env.first_block_prev_hash = last;
    c->env.max_virtual_blocks = 1;
    boot_free(c->boot);
    boot_options bo = {.engine = c->opt.engine, .trace_hooks = c->opt.trace_hooks};
    c->boot = boot_new(&c->env, &c->sys, c->world, &bo);
    return 0;
}

int chain_reset(chain *c, bool cold_code, char *err, size_t errn)
{
    if (c->rec) {
        snprintf(err, errn, "a recorded batch cannot be reset");
        return -1;
    }
    boot_free(c->boot);
    if (cold_code) {
        u256 keep[3] = {c->sys.bootloader.hash, c->sys.default_account.hash,
                        c->sys.evm_emulator.hash};
        hw_drop_programs(c->world, keep, 3);
    }
    boot_options bo = {.engine = c->opt.engine, .trace_hooks = c->opt.trace_hooks};
    c->boot = boot_new(&c->env, &c->sys, c->world, &bo);
    return 0;
}
