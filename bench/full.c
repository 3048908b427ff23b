/* bench/full.c — the full tier of eravm-bench: a workload is a signed
 * transaction (a deploy of a bytecode, or upstream's base-token transfer)
 * that the real v29 bootloader validates, charges and executes. Timed as
 * upstream's vm-benchmark times it: a fresh VM at batch start outside the
 * timer, then the push and the run to TxHasEnded inside it; a batch of N
 * puts N such transactions in one batch. Each workload is verified first:
 * the transaction's status, its effects on state (the contract's hash in
 * AccountCodeStorage, the nonce, the fee) and, after finishing the batch,
 * that the operator was paid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "chain.h"

/* What upstream's workloads do beyond deploying, checked after each run:
 * the value a deploy carries, a slot the constructor must leave, an
 * address the value must reach. Keyed by the data file. */
typedef struct {
    const char *file;
    uint64_t value;
    uint64_t slot0;      /* the deployed contract's slot 0, if nonzero */
    const char *paid;    /* receives `value` wei per deploy */
} full_effect;

static const full_effect full_effects[] = {
    {"vm-benchmark/lambdaclass/fibonacci_rec", 0, 75025, NULL},
    {"vm-benchmark/lambdaclass/send", 100, 0, "0x888888CfAebbEd5554c3F36BfBD233f822e9455f"},
};

static const full_effect *effect_of(const bench_workload *w)
{
    for (size_t i = 0; i < sizeof full_effects / sizeof full_effects[0]; i++)
        if (!strncmp(w->source, "data:", 5) && !strcmp(w->source + 5, full_effects[i].file))
            return &full_effects[i];
    return NULL;
}

struct bench_full {
    const bench_workload *w;
    bench_full_opts o;
    chain *c;
    chain_tx **txs;
    unsigned ntx;
    bool transfer;
    const full_effect *effect;
    uint8_t *code;
    size_t len;
    u256 code_hash;
    /* the last run */
    uint64_t instructions, ergs_used, gas_used;
    char status[12];
};

static const char *data_dir(void)
{
    const char *d = getenv("ERAVM_DATA");
    return d && *d ? d : "../shared/data";
}

bench_full *bench_full_prepare(const bench_workload *w, const uint8_t *code, size_t len,
                               const bench_full_opts *o, char *err, size_t errn)
{
    bench_full *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->w = w;
    f->o = *o;
    f->ntx = o->batch ? o->batch : 1;
    f->transfer = !strcmp(w->mode, "transfer");
    f->effect = effect_of(w);
    if (!f->transfer && strcmp(w->mode, "deploy")) {
        snprintf(err, errn, "workload %s: full-tier mode is deploy or transfer, not '%s'", w->name,
                 w->mode);
        free(f);
        return NULL;
    }
    chain_options co = {.data_dir = data_dir(),
                        .engine = o->engine,
                        .no_signatures = o->no_signatures,
                        .nkeys = 1};
    f->c = chain_open(&co, err, errn);
    if (!f->c) {
        free(f);
        return NULL;
    }
    f->txs = calloc(f->ntx, sizeof *f->txs);
    if (code) {
        f->code = malloc(len ? len : 1);
        memcpy(f->code, code, len);
        f->len = len;
        f->code_hash = eravm_code_hash(code, len);
    }
    /* nonces 0..N-1, as upstream's batch benchmark does (the salt carries
     * the nonce too) */
    for (unsigned i = 0; i < f->ntx; i++) {
        chain_tx_opts t;
        chain_tx_defaults(&t);
        t.nonce = i;
        if (f->effect)
            t.value = u256_from_u64(f->effect->value);
        int rc = f->transfer ? chain_build_transfer(f->c, &t, u256_zero(), &f->txs[i], err, errn)
                             : chain_build_deploy(f->c, &t, (chain_code){f->code, f->len}, NULL, 0,
                                                  NULL, 0, &f->txs[i], err, errn);
        if (rc != 0) {
            bench_full_release(f);
            return NULL;
        }
    }
    return f;
}

void bench_full_release(bench_full *f)
{
    if (!f)
        return;
    for (unsigned i = 0; i < f->ntx; i++)
        chain_tx_free(f->txs[i]);
    free(f->txs);
    chain_close(f->c, NULL, 0);
    free(f->code);
    free(f);
}

int bench_full_reset(bench_full *f, char *err, size_t errn)
{
    return chain_reset(f->c, !f->o.warm_code, err, errn);
}

/* Runs transaction i and adds it to the batch's totals. */
static int run_one(bench_full *f, chain *c, unsigned i, chain_result *r, char *err, size_t errn)
{
    if (chain_run(c, f->txs[i], r, err, errn) != 0)
        return -1;
    f->instructions += r->run.instructions;
    f->ergs_used += r->run.ergs_used;
    f->gas_used += r->run.gas_used;
    if (r->run.status != BOOT_SUCCESS)
        snprintf(f->status, sizeof f->status, "%s", boot_status_name(r->run.status));
    return 0;
}

static void totals_reset(bench_full *f)
{
    f->instructions = f->ergs_used = f->gas_used = 0;
    snprintf(f->status, sizeof f->status, "success");
}

/* The timed part: every transaction of the batch, pushed and run. */
int bench_full_execute(bench_full *f, char *err, size_t errn)
{
    totals_reset(f);
    for (unsigned i = 0; i < f->ntx; i++) {
        chain_result r;
        if (run_one(f, f->c, i, &r, err, errn) != 0)
            return -1;
        chain_result_free(&r);
    }
    return 0;
}

int bench_full_record(bench_full *f, const char *dir, char *err, size_t errn)
{
    chain_options co = {.data_dir = data_dir(),
                        .engine = f->o.engine,
                        .no_signatures = f->o.no_signatures,
                        .nkeys = 1,
                        .record_dir = dir};
    chain *c = chain_open(&co, err, errn);
    if (!c)
        return -1;
    totals_reset(f);
    int rc = 0;
    for (unsigned i = 0; i < f->ntx && rc == 0; i++) {
        chain_result r;
        rc = run_one(f, c, i, &r, err, errn);
        if (rc == 0)
            chain_result_free(&r);
    }
    char why[400];
    if (chain_close(c, why, sizeof why) != 0 && rc == 0) {
        snprintf(err, errn, "%s", why);
        rc = -1;
    }
    return rc;
}

void bench_full_outcome(const bench_full *f, const char **status, uint64_t *ergs_used,
                        uint64_t *gas_used, uint64_t *instructions)
{
    *status = f->status;
    *ergs_used = f->ergs_used;
    *gas_used = f->gas_used;
    *instructions = f->instructions;
}

static bool check(bool ok, char *err, size_t errn, const char *what)
{
    if (!ok && !err[0])
        snprintf(err, errn, "%s", what);
    (void)errn;
    return ok;
}

/* Runs once and checks what each transaction must have done; the
 * outcome is then in bench_full_outcome. Returns 0, or -1 with err. */
int bench_full_verify(bench_full *f, char *err, size_t errn)
{
    err[0] = 0;
    if (bench_full_reset(f, err, errn) != 0)
        return -1;
    chain *c = f->c;
    u256 sender = chain_key_address(c, 0);
    const host_env *env = chain_env(c);
    uint64_t base = host_env_fees(env).base_fee;
    u256 fees = u256_zero();
    totals_reset(f);
    for (unsigned i = 0; i < f->ntx; i++) {
        chain_result r;
        if (run_one(f, c, i, &r, err, errn) != 0)
            return -1;
        uint64_t spill;
        fees = u256_add(fees, u256_mul_u64(u256_from_u64(r.run.gas_used), base, &spill), NULL);
        bool ok = r.run.status != BOOT_HALT;
        check(ok, err, errn, "the transaction halted");
        if (ok && f->transfer) {
            /* to itself: only the fee leaves */
        } else if (ok && r.run.status == BOOT_SUCCESS) {
            u256 stored = chain_storage(c, u256_from_u64(SYSCON_ACCOUNT_CODE_STORAGE),
                                        r.deployed_address);
            if (!check(u256_eq(stored, f->code_hash), err, errn, "")) {
                char a[80];
                u256_to_hex(r.deployed_address, a, sizeof a);
                snprintf(err, errn,
                         "transaction %u: AccountCodeStorage has no constructed code hash at the "
                         "CREATE address %s",
                         i, a);
            }
            if (!err[0] && f->effect && f->effect->slot0) {
                u256 v = chain_storage(c, r.deployed_address, u256_zero());
                if (!u256_eq(v, u256_from_u64(f->effect->slot0)))
                    snprintf(err, errn, "transaction %u: the contract's slot 0 is not %llu", i,
                             (unsigned long long)f->effect->slot0);
            }
        }
        chain_result_free(&r);
        if (err[0])
            return -1;
        /* nonce: tx nonce i + 1; a deploy also counts a deployment */
        u256 raw = chain_raw_nonce(c, sender);
        uint64_t deployments = f->transfer ? 0 : (uint64_t)(i + 1);
        if (strcmp(f->status, "success") && !f->transfer)
            deployments = u256_shr(raw, 128).w[0]; /* a reverted deploy keeps its nonce */
        if (raw.w[0] != i + 1 || u256_shr(raw, 128).w[0] != deployments) {
            snprintf(err, errn, "transaction %u: the sender's nonce is not %u", i, i + 1);
            return -1;
        }
    }
    u256 sent = u256_zero();
    if (f->effect && f->effect->paid && !strcmp(f->status, "success")) {
        uint64_t spill;
        sent = u256_mul_u64(u256_from_u64(f->effect->value), f->ntx, &spill);
        u256 to;
        u256_parse(f->effect->paid, strlen(f->effect->paid), &to);
        if (!u256_eq(chain_balance(c, to), sent)) {
            snprintf(err, errn, "%s did not receive %llu wei per deploy", f->effect->paid,
                     (unsigned long long)f->effect->value);
            return -1;
        }
    }
    u256 want = u256_sub(u256_sub(env->sender_balance, fees, NULL), sent, NULL);
    if (!u256_eq(chain_balance(c, sender), want)) {
        snprintf(err, errn, "the sender's balance is not the initial one minus the fees");
        return -1;
    }
    if (chain_finish(c, err, errn) != 0)
        return -1;
    if (!u256_eq(chain_balance(c, env->fee_account), fees)) {
        snprintf(err, errn, "the operator was not paid the fees at the end of the batch");
        return -1;
    }
    return 0;
}
