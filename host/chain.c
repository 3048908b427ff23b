/* host/chain.c — a full-tier batch for tools and benchmarks (see chain.h):
 * glue between the transaction builder (tx.c), the world and the driver. */
#include "chain.h"

#include <stdlib.h>
#include <string.h>

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

static bool known_cb(void *ctx, u256 hash)
{
    return boot_code_known(ctx, hash);
}

/* Fees, limits and the signature a caller asked for, then push and run. */
static int chain_send(chain *c, const chain_tx_opts *t, tx_transaction *tx, chain_result *r,
                      char *err, size_t errn)
{
    int rc = -1;
    u256 *enc = NULL, *comp = NULL;
    const uint8_t **deps = NULL;
    size_t *lens = NULL;
    if (t->gas_limit)
        tx->gas_limit = u256_from_u64(t->gas_limit);
    const tx_key *signer = &c->keys[t->key];
    if (t->sign_with >= 0) {
        if ((unsigned)t->sign_with >= c->nkeys) {
            snprintf(err, errn, "no funded key %d to sign with", t->sign_with);
            goto out;
        }
        signer = &c->keys[t->sign_with];
    }
    if (t->unsigned_tx ? tx_sign_placeholder(tx) != 0
                       : tx_sign(tx, signer, c->env.chain_id, err, errn) != 0) {
        if (t->unsigned_tx)
            snprintf(err, errn, "cannot build the placeholder signature");
        goto out;
    }
    if (tx_check(tx, err, errn) != 0)
        goto out;
    size_t nwords = tx_encoding_words(tx);
    enc = xmalloc(nwords * sizeof *enc);
    if (tx_encode(tx, enc, nwords) != nwords) {
        snprintf(err, errn, "cannot encode the transaction");
        goto out;
    }
    size_t ncomp = 0;
    if (tx_compressed_entries(tx, known_cb, c->boot, &comp, &ncomp, err, errn) != 0)
        goto out;
    deps = xmalloc((tx->ndeps + 1) * sizeof *deps);
    lens = xmalloc((tx->ndeps + 1) * sizeof *lens);
    for (size_t i = 0; i < tx->ndeps; i++) {
        deps[i] = tx->deps[i].code;
        lens[i] = tx->deps[i].len;
    }
    tx_ecrecover_call ec;
    bool shortcut = c->opt.no_signatures && !t->unsigned_tx && t->sign_with < 0 &&
                    tx_ecrecover_expected(tx, c->env.chain_id, &ec) == 0;
    r->tx_hash = tx_hash(tx, c->env.chain_id);
    r->from = tx->from;
    r->nonce = u256_low64(tx->nonce);
    boot_tx bt = {.encoding = enc,
                  .nwords = nwords,
                  .hash = r->tx_hash,
                  .from = tx->from,
                  .gas_limit = u256_low64(tx->gas_limit),
                  .overhead = tx_operator_overhead(tx),
                  .trusted_gas_limit = t->trusted_gas_limit,
                  .deps = deps,
                  .dep_lens = lens,
                  .ndeps = tx->ndeps,
                  .compressed = comp,
                  .ncompressed = ncomp,
                  .ecrecover_input = shortcut ? ec.input : NULL};
    rc = c->opt.snapshots ? boot_execute(c->boot, &bt, &r->run, err, errn)
                          : (boot_push(c->boot, &bt, err, errn) == 0
                                 ? boot_run_tx(c->boot, &r->run, err, errn)
                                 : -1);
out:
    free(enc);
    free(comp);
    free(deps);
    free(lens);
    tx_free(tx);
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

int chain_deploy(chain *c, const chain_tx_opts *t, chain_code code, const uint8_t *args,
                 size_t nargs, const chain_code *deps, size_t ndeps, chain_result *r, char *err,
                 size_t errn)
{
    memset(r, 0, sizeof *r);
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
    tx_transaction tx;
    int rc = tx_make_deploy(&tx, &c->keys[t->key], tx_nonce(c, t), &a, false, err, errn);
    free(extra);
    if (rc != 0)
        return -1;
    /* the deployment nonce before the tx names the new contract */
    u256 raw = chain_raw_nonce(c, c->keys[t->key].address);
    u256 deployment_nonce = u256_shr(raw, 128);
    r->deploy = true;
    r->deployed_address = tx_create_address(c->keys[t->key].address, deployment_nonce);
    return chain_send(c, t, &tx, r, err, errn);
}

int chain_execute(chain *c, const chain_tx_opts *t, u256 to, const uint8_t *calldata, size_t n,
                  chain_result *r, char *err, size_t errn)
{
    memset(r, 0, sizeof *r);
    if (check_key(c, t, err, errn) != 0)
        return -1;
    tx_transaction tx;
    if (tx_make_execute(&tx, &c->keys[t->key], tx_nonce(c, t), to, calldata, n, t->value,
                        t->gas_limit ? t->gas_limit : TX_DEPLOY_GAS_LIMIT, false, err, errn) != 0)
        return -1;
    return chain_send(c, t, &tx, r, err, errn);
}

int chain_transfer(chain *c, const chain_tx_opts *t, u256 to, chain_result *r, char *err,
                   size_t errn)
{
    memset(r, 0, sizeof *r);
    if (check_key(c, t, err, errn) != 0)
        return -1;
    tx_transaction tx;
    if (tx_make_transfer(&tx, &c->keys[t->key], tx_nonce(c, t), false, err, errn) != 0)
        return -1;
    if (!u256_is_zero(to))
        tx.to = to;
    if (!u256_is_zero(t->value))
        tx.value = t->value;
    return chain_send(c, t, &tx, r, err, errn);
}

int chain_finish(chain *c, char *err, size_t errn)
{
    return boot_finish(c->boot, err, errn);
}
