/* bench/full.c — the full tier of eravm-bench: a workload is a batch of
 * signed transactions that the real v29 bootloader validates, charges and
 * executes — a deploy of a bytecode, upstream's base-token transfer, or a
 * scripted workload (workloads/full/NAME.json: setup transactions run once
 * in their own batch, then the timed transactions in the next one). Timed
 * as upstream's vm-benchmark times it: a fresh VM at the start of the batch
 * outside the timer, then the push and the run to TxHasEnded of each
 * transaction inside it. Each workload is verified first: every
 * transaction's status and effects on state (a deployed contract's hash in
 * AccountCodeStorage, nonces, a script's expectations), the sender's
 * balance, and, after finishing the batch, that the operator was paid. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batchfile.h"
#include "bench.h"
#include "chain.h"
#include "events.h"
#include "keccak.h"
#include "tx.h"

/* What upstream's deploy workloads do beyond deploying, checked after each
 * run: the value a deploy carries, a slot the constructor must leave, an
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

enum { FULL_DEPLOY, FULL_TRANSFER, FULL_SCRIPT };

struct bench_full {
    const bench_workload *w;
    bench_full_opts o;
    int kind;
    chain *c;
    chain_tx **txs;
    unsigned ntx;
    /* deploys */
    const full_effect *effect;
    uint8_t *code;
    size_t len;
    u256 code_hash;
    /* scripts */
    char script_path[PATH_MAX];
    json_t *script;
    bf_ctx *bf;
    json_t **entry;   /* the timed entry transaction i is made from */
    bool *invalid;    /* transaction i reuses nonce 0 and must halt */
    uint64_t *nonce;  /* its nonce */
    unsigned nkeys;
    /* the last run */
    uint64_t instructions, ergs_used, gas_used;
    char status[12];
};

static const char *data_dir(void)
{
    const char *d = getenv("ERAVM_DATA");
    return d && *d ? d : "../shared/data";
}

/* workloads/full/NAME.json, from the current directory or beside the
 * binary's bin/ (so make bench and an installed checkout both find it). */
static int find_script(const char *name, char *out, size_t n)
{
    snprintf(out, n, "workloads/full/%s.json", name);
    if (access(out, R_OK) == 0)
        return 0;
    char exe[PATH_MAX / 2];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(out, n, "%.2000s/../workloads/full/%.200s.json", exe, name);
            if (access(out, R_OK) == 0)
                return 0;
        }
    }
    snprintf(out, n, "workloads/full/%s.json", name);
    return -1;
}

/* A small deterministic generator (splitmix64) for which transactions of
 * transfer_with_invalid_nonce reuse nonce 0: seeded, so every run and
 * every machine picks the same ones. */
static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Runs the transactions of a batch file against the setup's context (its
 * names carry over); "transactions" of the file, in order. */
static int run_entries(bf_ctx *bf, json_t *txs, const char *file, const char *prefix, char *err,
                       size_t errn)
{
    json_t *results = json_array();
    int bad = 0, rc = 0;
    size_t i;
    json_t *tx;
    json_array_foreach(txs, i, tx)
    {
        char path[96];
        snprintf(path, sizeof path, "%s[%zu]", prefix, i);
        if (bf_run(bf, tx, path, results, &bad) != 0) {
            snprintf(err, errn, "%s", bf_error(bf));
            rc = -1;
            break;
        }
        if (bad) {
            snprintf(err, errn, "%s: %s: an expectation failed (above)", file, path);
            rc = -1;
            break;
        }
    }
    json_decref(results);
    return rc;
}

/* A setup step: a transaction entry, or the path (relative to the script)
 * of a batch file whose transactions run here (setups shared by workloads). */
static int run_setup_step(bench_full *f, chain *c, bf_ctx **bf, json_t *step, const char *path,
                          char *err, size_t errn)
{
    (void)c;
    if (!json_is_string(step)) {
        json_t *one = json_array();
        json_array_append(one, step);
        int rc = run_entries(*bf, one, f->script_path, path, err, errn);
        json_decref(one);
        return rc;
    }
    char file[PATH_MAX];
    const char *slash = strrchr(f->script_path, '/');
    snprintf(file, sizeof file, "%.*s/%.1000s", slash ? (int)(slash - f->script_path) : 1,
             slash ? f->script_path : ".", json_string_value(step));
    unsigned nkeys;
    json_t *batch = bf_load(file, "keys transactions", &nkeys, err, errn);
    if (!batch)
        return -1;
    int rc = run_entries(*bf, json_object_get(batch, "transactions"), file, "transactions", err,
                         errn);
    json_decref(batch);
    return rc;
}

/* Opens the workload's chain at the start of the batch it is timed in:
 * for a script, its setup ran and was committed in the batch before. */
static chain *open_chain(bench_full *f, const char *record_dir, bf_ctx **bfp, char *err,
                         size_t errn)
{
    bool snapshots = false;
    if (f->script)
        snapshots = json_is_true(json_object_get(f->script, "snapshots")) ||
                    json_object_get(f->script, "invalid_nonce_percent");
    chain_options co = {.data_dir = data_dir(),
                        .engine = f->o.engine,
                        .no_signatures = f->o.no_signatures,
                        .snapshots = snapshots,
                        .nkeys = f->nkeys ? f->nkeys : 1};
    chain *c = chain_open(&co, err, errn);
    if (!c)
        return NULL;
    if (f->script) {
        bf_ctx *bf = bf_new(c, f->script_path);
        json_t *setup = json_object_get(f->script, "setup");
        size_t i;
        json_t *step;
        json_array_foreach(setup, i, step)
        {
            char path[64];
            snprintf(path, sizeof path, "setup[%zu]", i);
            if (run_setup_step(f, c, &bf, step, path, err, errn) != 0)
                break;
        }
        if (!err[0] && chain_next_batch(c, err, errn) != 0) {
            /* err set */
        }
        if (err[0]) {
            bf_free(bf);
            chain_close(c, NULL, 0);
            return NULL;
        }
        *bfp = bf;
    }
    if (record_dir && chain_record(c, record_dir, err, errn) != 0) {
        if (bfp && *bfp)
            bf_free(*bfp);
        chain_close(c, NULL, 0);
        return NULL;
    }
    return c;
}

static int load_script(bench_full *f, char *err, size_t errn)
{
    const char *name = f->w->source + strlen("script:");
    if (find_script(name, f->script_path, sizeof f->script_path) != 0) {
        snprintf(err, errn, "workload %s: %s: not found (run from the checkout)", f->w->name,
                 f->script_path);
        return -1;
    }
    f->script = bf_load(f->script_path,
                        "keys about setup timed batch snapshots invalid_nonce_percent seed verify",
                        &f->nkeys, err, errn);
    if (!f->script)
        return -1;
    json_t *timed = json_object_get(f->script, "timed");
    if (!json_is_array(timed) || !json_array_size(timed) ||
        !json_is_array(json_object_get(f->script, "setup"))) {
        snprintf(err, errn, "%s: a workload has \"setup\" and \"timed\" arrays", f->script_path);
        return -1;
    }
    json_t *batch = json_object_get(f->script, "batch");
    if (!f->o.batch && json_is_integer(batch) && json_integer_value(batch) > 0 &&
        json_integer_value(batch) <= 5000)
        f->ntx = (unsigned)json_integer_value(batch);
    return 0;
}

/* The i-th timed transaction of a script: entry i mod len, $i = i, $nonce
 * its nonce (one per key and valid transaction; a chosen share reuse 0). */
static int build_script_txs(bench_full *f, char *err, size_t errn)
{
    json_t *timed = json_object_get(f->script, "timed");
    double invalid_share = json_number_value(json_object_get(f->script, "invalid_nonce_percent")) / 100;
    uint64_t seed = (uint64_t)json_integer_value(json_object_get(f->script, "seed"));
    uint64_t next[CHAIN_MAX_KEYS];
    for (unsigned k = 0; k < CHAIN_MAX_KEYS; k++)
        next[k] = (uint64_t)chain_raw_nonce(f->c, chain_key_address(f->c, k)).w[0];
    f->entry = calloc(f->ntx, sizeof *f->entry);
    f->invalid = calloc(f->ntx, sizeof *f->invalid);
    f->nonce = calloc(f->ntx, sizeof *f->nonce);
    /* exactly round(share x N) of the transactions after the first, chosen
     * by a seeded partial shuffle, so even a small batch has its share */
    unsigned nbad = f->ntx > 1 ? (unsigned)(invalid_share * f->ntx + 0.5) : 0;
    if (nbad > f->ntx - 1)
        nbad = f->ntx > 0 ? f->ntx - 1 : 0;
    unsigned *pick = calloc(f->ntx, sizeof *pick);
    for (unsigned i = 1; i < f->ntx; i++)
        pick[i - 1] = i;
    for (unsigned k = 0; k < nbad; k++) {
        unsigned j = k + (unsigned)(splitmix(&seed) % (f->ntx - 1 - k));
        unsigned t = pick[k];
        pick[k] = pick[j];
        pick[j] = t;
        f->invalid[pick[k]] = true;
    }
    free(pick);
    for (unsigned i = 0; i < f->ntx; i++) {
        json_t *e = json_array_get(timed, i % json_array_size(timed));
        json_t *from = json_object_get(e, "from");
        unsigned key = json_is_integer(from) ? (unsigned)json_integer_value(from) : 0;
        if (key >= CHAIN_MAX_KEYS) {
            snprintf(err, errn, "%s: timed[%zu].from: no such key", f->script_path,
                     (size_t)(i % json_array_size(timed)));
            return -1;
        }
        bool invalid = f->invalid[i];
        f->entry[i] = e;
        f->invalid[i] = invalid;
        f->nonce[i] = invalid ? 0 : next[key]++;
        bf_set_var(f->bf, "i", u256_from_u64(i));
        bf_set_var(f->bf, "nonce", u256_from_u64(f->nonce[i]));
        bf_set_nonce(f->bf, f->nonce[i]);
        char path[64];
        snprintf(path, sizeof path, "timed[%zu]", (size_t)(i % json_array_size(timed)));
        if (bf_build(f->bf, e, path, &f->txs[i]) != 0) {
            snprintf(err, errn, "%s", bf_error(f->bf));
            return -1;
        }
    }
    return 0;
}

bench_full *bench_full_prepare(const bench_workload *w, const uint8_t *code, size_t len,
                               const bench_full_opts *o, char *err, size_t errn)
{
    bench_full *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    err[0] = 0;
    f->w = w;
    f->o = *o;
    f->ntx = o->batch ? o->batch : 1;
    f->effect = effect_of(w);
    f->kind = !strncmp(w->source, "script:", 7) ? FULL_SCRIPT
              : !strcmp(w->mode, "transfer")    ? FULL_TRANSFER
                                                : FULL_DEPLOY;
    if (f->kind == FULL_SCRIPT && load_script(f, err, errn) != 0)
        goto fail;
    f->c = open_chain(f, NULL, &f->bf, err, errn);
    if (!f->c)
        goto fail;
    f->txs = calloc(f->ntx, sizeof *f->txs);
    if (f->kind == FULL_SCRIPT) {
        if (build_script_txs(f, err, errn) != 0)
            goto fail;
        return f;
    }
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
        int rc = f->kind == FULL_TRANSFER
                     ? chain_build_transfer(f->c, &t, u256_zero(), &f->txs[i], err, errn)
                     : chain_build_deploy(f->c, &t, (chain_code){f->code, f->len}, NULL, 0, NULL,
                                          0, &f->txs[i], err, errn);
        if (rc != 0)
            goto fail;
    }
    return f;
fail:
    bench_full_release(f);
    return NULL;
}

void bench_full_release(bench_full *f)
{
    if (!f)
        return;
    for (unsigned i = 0; f->txs && i < f->ntx; i++)
        chain_tx_free(f->txs[i]);
    free(f->txs);
    free(f->entry);
    free(f->invalid);
    free(f->nonce);
    bf_free(f->bf);
    chain_close(f->c, NULL, 0);
    json_decref(f->script);
    free(f->code);
    free(f);
}

/* A far frame of the full tier, as a user reads it: system contracts and
 * the bootloader by name, an account without code as the DefaultAccount
 * running at it, a script's named contracts by their names, a deploy
 * workload's new contract as its constructor; the address beside all but
 * the system contracts. */
void bench_full_frame_name(void *ctx, const eravm_stack_frame *fr, char *buf, size_t n)
{
    bench_full *f = ctx;
    if (!fr->far) {
        bench_flame_default_name(NULL, fr, buf, n);
        return;
    }
    u256 a = fr->code_address;
    char hex[80];
    u256_to_hex(a, hex, sizeof hex);
    const char *sys = syscon_name(chain_syscon(f->c), a);
    if (sys) {
        snprintf(buf, n, "%s", !strcmp(sys, "bootloader") ? "Bootloader" : sys);
    } else if (u256_is_zero(chain_storage(f->c, u256_from_u64(SYSCON_ACCOUNT_CODE_STORAGE), a))) {
        snprintf(buf, n, "DefaultAccount@%s", hex);
    } else {
        const char *name = NULL;
        for (unsigned k = 0; f->kind == FULL_DEPLOY && k < f->ntx && !name; k++)
            if (u256_eq(a, tx_create_address(chain_key_address(f->c, 0), u256_from_u64(k))))
                name = "constructor";
        char bound[80];
        if (!name && f->bf && bf_name_of(f->bf, a, bound, sizeof bound))
            name = bound;
        if (name)
            snprintf(buf, n, "%s@%s", name, hex);
        else
            snprintf(buf, n, "%s", hex);
    }
    if (!u256_eq(fr->address, fr->code_address)) { /* delegate or mimic: whose context */
        size_t k = strlen(buf);
        u256_to_hex(fr->address, hex, sizeof hex);
        snprintf(buf + k, n > k ? n - k : 0, "(as %s)", hex);
    }
}

unsigned bench_full_ntx(const bench_full *f)
{
    return f->ntx;
}

int bench_full_reset(bench_full *f, char *err, size_t errn)
{
    return chain_reset(f->c, !f->o.warm_code, err, errn);
}

/* Runs transaction i and adds it to the batch's totals; a halt the script
 * asked for (a reused nonce) is what that transaction must do. */
static int run_one(bench_full *f, chain *c, unsigned i, chain_result *r, char *err, size_t errn)
{
    if (chain_run(c, f->txs[i], r, err, errn) != 0)
        return -1;
    f->instructions += r->run.instructions;
    f->ergs_used += r->run.ergs_used;
    f->gas_used += r->run.gas_used;
    bool expected = f->invalid && f->invalid[i] ? r->run.status == BOOT_HALT
                                                : r->run.status == BOOT_SUCCESS;
    if (!expected)
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
    err[0] = 0;
    bf_ctx *bf = NULL;
    chain *c = open_chain(f, dir, &bf, err, errn);
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
    bf_free(bf);
    return rc;
}

eravm_vm *bench_full_vm(bench_full *f)
{
    return chain_vm(f->c);
}

void bench_full_outcome(const bench_full *f, const char **status, uint64_t *ergs_used,
                        uint64_t *gas_used, uint64_t *instructions)
{
    *status = f->status;
    *ergs_used = f->ergs_used;
    *gas_used = f->gas_used;
    *instructions = f->instructions;
}

/* A deploy's effects: the constructed code hash at its CREATE address and
 * what the workload's constructor must leave. */
static int check_deploy(bench_full *f, unsigned i, const chain_result *r, char *err, size_t errn)
{
    char a[80];
    u256_to_hex(r->deployed_address, a, sizeof a);
    u256 stored = chain_storage(f->c, u256_from_u64(SYSCON_ACCOUNT_CODE_STORAGE),
                                r->deployed_address);
    if (!u256_eq(stored, f->code_hash)) {
        snprintf(err, errn,
                 "transaction %u: AccountCodeStorage has no constructed code hash at the CREATE "
                 "address %s",
                 i, a);
        return -1;
    }
    if (f->effect && f->effect->slot0 &&
        !u256_eq(chain_storage(f->c, r->deployed_address, u256_zero()),
                 u256_from_u64(f->effect->slot0))) {
        snprintf(err, errn, "transaction %u: slot 0 of %s is not %llu", i, a,
                 (unsigned long long)f->effect->slot0);
        return -1;
    }
    return 0;
}

/* A script transaction's expectations, with its $i and $nonce. */
static int check_script(bench_full *f, unsigned i, const chain_result *r, const eravm_slot *before,
                        size_t nb, char *err, size_t errn)
{
    if (f->invalid[i]) {
        if (r->run.status != BOOT_HALT || !strstr(r->run.reason, "NonceAlreadyUsed")) {
            snprintf(err, errn, "transaction %u reuses nonce 0 but did not halt on it (%s: %s)", i,
                     boot_status_name(r->run.status), r->run.reason);
            return -1;
        }
        return 0;
    }
    json_t *ex = json_object_get(f->entry[i], "expect");
    if (!ex) {
        if (r->run.status != BOOT_SUCCESS) {
            snprintf(err, errn, "transaction %u: %s (%s)", i, boot_status_name(r->run.status),
                     r->run.reason);
            return -1;
        }
        return 0;
    }
    bf_set_var(f->bf, "i", u256_from_u64(i));
    bf_set_var(f->bf, "nonce", u256_from_u64(f->nonce[i]));
    json_t *out = bf_tx_json(f->c, r, before, nb);
    int bad = 0;
    char path[64];
    snprintf(path, sizeof path, "timed[%zu] (transaction %u)",
             (size_t)(i % json_array_size(json_object_get(f->script, "timed"))), i);
    bf_check(f->bf, ex, path, r, out, &bad);
    json_decref(out);
    if (bad) {
        snprintf(err, errn, "%s: %s: %d expectation(s) failed (above)", f->script_path, path, bad);
        return -1;
    }
    return 0;
}

/* ---- Uniswap V3 swaps: what a swap must do, whatever its amounts ---- */

typedef struct {
    u256 pool, token[2];
    u256 balance[2]; /* the pool's, before the swap */
    u256 price;      /* sqrtPriceX96 in slot0, before */
} uni_state;

static u256 low160(u256 v)
{
    v.w[3] = 0;
    v.w[2] &= 0xFFFFFFFFull;
    return v;
}

static int uni_before(bench_full *f, uni_state *u, char *err, size_t errn)
{
    u256 a, b;
    if (!bf_lookup(f->bf, "pool", &u->pool) || !bf_lookup(f->bf, "tokenA", &a) ||
        !bf_lookup(f->bf, "tokenB", &b)) {
        snprintf(err, errn, "%s: verify uniswap_swap needs names pool, tokenA and tokenB",
                 f->script_path);
        return -1;
    }
    /* the pool orders its tokens by address */
    u->token[0] = u256_lt(a, b) ? a : b;
    u->token[1] = u256_lt(a, b) ? b : a;
    for (int k = 0; k < 2; k++)
        u->balance[k] = chain_storage(f->c, u->token[k], tx_mapping_key(u->pool, u256_zero()));
    u->price = low160(chain_storage(f->c, u->pool, u256_zero()));
    return 0;
}

static u256 topic_hash(const char *sig)
{
    uint8_t h[32];
    keccak256((const uint8_t *)sig, strlen(sig), h);
    return u256_from_be(h);
}

/* The pool's Swap event, the two token Transfers and the pool's balances
 * must tell the same story, and the price must move the way of the swap. */
static int uni_check(bench_full *f, unsigned i, const chain_result *r, const uni_state *u,
                     char *err, size_t errn)
{
    size_t nraw, nev;
    const eravm_log *raw = eravm_vm_events(chain_vm(f->c), &nraw);
    host_event *ev = host_events_merge(raw + r->run.events_from,
                                       r->run.events_to - r->run.events_from, &nev);
    u256 swap = topic_hash("Swap(address,address,int256,int256,uint160,uint128,int24)");
    u256 transfer = topic_hash("Transfer(address,address,uint256)");
    u256 amount[2], price = u256_zero(), moved[2] = {u256_zero(), u256_zero()};
    int swaps = 0, rc = 0;
    for (size_t k = 0; k < nev; k++) {
        host_event *e = &ev[k];
        if (u256_eq(e->address, u->pool) && e->ntopics && u256_eq(e->topics[0], swap) &&
            e->len >= 160) {
            amount[0] = u256_from_be(e->data);
            amount[1] = u256_from_be(e->data + 32);
            price = u256_from_be(e->data + 64);
            swaps++;
        }
        for (int t = 0; t < 2; t++)
            if (u256_eq(e->address, u->token[t]) && e->ntopics == 3 &&
                u256_eq(e->topics[0], transfer) && e->len == 32) {
                /* signed flow into the pool */
                u256 v = u256_from_be(e->data);
                if (u256_eq(e->topics[2], u->pool))
                    moved[t] = u256_add(moved[t], v, NULL);
                if (u256_eq(e->topics[1], u->pool))
                    moved[t] = u256_sub(moved[t], v, NULL);
            }
    }
    host_events_free(ev, nev);
    if (swaps != 1) {
        snprintf(err, errn, "transaction %u: %d Swap events from the pool, not 1", i, swaps);
        return -1;
    }
    bool zero_for_one = !(amount[0].w[3] >> 63); /* token0 flows in */
    for (int t = 0; t < 2 && rc == 0; t++) {
        u256 now = chain_storage(f->c, u->token[t], tx_mapping_key(u->pool, u256_zero()));
        if (!u256_eq(moved[t], amount[t]))
            rc = -1, snprintf(err, errn, "transaction %u: token%d Transfers into the pool differ "
                                         "from the Swap event's amount", i, t);
        else if (!u256_eq(u256_sub(now, u->balance[t], NULL), amount[t]))
            rc = -1, snprintf(err, errn, "transaction %u: the pool's token%d balance did not "
                                         "change by the Swap event's amount", i, t);
    }
    u256 after = low160(chain_storage(f->c, u->pool, u256_zero()));
    if (rc == 0 && !u256_eq(after, price))
        rc = -1, snprintf(err, errn, "transaction %u: slot0's price is not the Swap event's", i);
    if (rc == 0 && (zero_for_one ? !u256_lt(after, u->price) : !u256_lt(u->price, after)))
        rc = -1, snprintf(err, errn, "transaction %u: the price did not move %s", i,
                          zero_for_one ? "down (token0 in)" : "up (token1 in)");
    return rc;
}

/* Nonces after transaction i: each sender's tx nonce advanced by its valid
 * transactions; deploys also advanced the deployment nonce. */
static int check_nonces(bench_full *f, unsigned i, const chain_result *r, char *err, size_t errn)
{
    if (f->kind == FULL_SCRIPT) {
        if (f->invalid[i])
            return 0;
        u256 raw = chain_raw_nonce(f->c, r->from);
        if (raw.w[0] != f->nonce[i] + 1) {
            snprintf(err, errn, "transaction %u: the sender's nonce is not %llu", i,
                     (unsigned long long)f->nonce[i] + 1);
            return -1;
        }
        return 0;
    }
    u256 raw = chain_raw_nonce(f->c, r->from);
    uint64_t deployments = f->kind == FULL_TRANSFER ? 0 : (uint64_t)(i + 1);
    if (strcmp(f->status, "success") && f->kind == FULL_DEPLOY)
        deployments = u256_shr(raw, 128).w[0]; /* a reverted deploy keeps its nonce */
    if (raw.w[0] != i + 1 || u256_shr(raw, 128).w[0] != deployments) {
        snprintf(err, errn, "transaction %u: the sender's nonce is not %u", i, i + 1);
        return -1;
    }
    return 0;
}

/* Runs once and checks what each transaction must have done; the
 * outcome is then in bench_full_outcome. Returns 0, or -1 with err. */
int bench_full_verify(bench_full *f, char *err, size_t errn)
{
    err[0] = 0;
    if (bench_full_reset(f, err, errn) != 0)
        return -1;
    chain *c = f->c;
    const host_env *env = chain_env(c);
    uint64_t base = host_env_fees(env).base_fee, spill;
    u256 sender = chain_key_address(c, 0);
    u256 sender0 = chain_balance(c, sender), operator0 = chain_balance(c, env->fee_account);
    u256 fees = u256_zero(), sender_fees = u256_zero();
    totals_reset(f);
    for (unsigned i = 0; i < f->ntx; i++) {
        size_t nb = 0;
        eravm_slot *before = f->kind == FULL_SCRIPT ? eravm_vm_storage_writes(chain_vm(c), &nb)
                                                    : NULL;
        const char *verify = f->script ? json_string_value(json_object_get(f->script, "verify"))
                                       : NULL;
        bool uni = verify && !strcmp(verify, "uniswap_swap");
        uni_state us;
        if (verify && !uni) {
            snprintf(err, errn, "%s: verify: '%s' is not a known check (uniswap_swap)",
                     f->script_path, verify);
            free(before);
            return -1;
        }
        if (uni && uni_before(f, &us, err, errn) != 0) {
            free(before);
            return -1;
        }
        chain_result r;
        int rc = run_one(f, c, i, &r, err, errn);
        if (rc == 0) {
            u256 fee = u256_mul_u64(u256_from_u64(r.run.gas_used), base, &spill);
            if (r.run.status != BOOT_HALT) {
                fees = u256_add(fees, fee, NULL);
                if (u256_eq(r.from, sender))
                    sender_fees = u256_add(sender_fees, fee, NULL);
            }
            if (f->kind == FULL_SCRIPT) {
                rc = check_script(f, i, &r, before, nb, err, errn);
                if (rc == 0 && uni && !f->invalid[i])
                    rc = uni_check(f, i, &r, &us, err, errn);
            } else if (r.run.status == BOOT_HALT)
                rc = -1, snprintf(err, errn, "transaction %u halted: %s", i, r.run.reason);
            else if (f->kind == FULL_DEPLOY && r.run.status == BOOT_SUCCESS)
                rc = check_deploy(f, i, &r, err, errn);
            if (rc == 0)
                rc = check_nonces(f, i, &r, err, errn);
            chain_result_free(&r);
        }
        free(before);
        if (rc != 0)
            return -1;
    }
    /* the sender paid exactly its fees (and a deploy's value) */
    u256 sent = u256_zero();
    if (f->effect && f->effect->paid && !strcmp(f->status, "success")) {
        sent = u256_mul_u64(u256_from_u64(f->effect->value), f->ntx, &spill);
        u256 to;
        u256_parse(f->effect->paid, strlen(f->effect->paid), &to);
        if (!u256_eq(chain_balance(c, to), sent)) {
            snprintf(err, errn, "%s did not receive %llu wei per deploy", f->effect->paid,
                     (unsigned long long)f->effect->value);
            return -1;
        }
    }
    if (f->kind != FULL_SCRIPT &&
        !u256_eq(chain_balance(c, sender), u256_sub(u256_sub(sender0, sender_fees, NULL), sent, NULL))) {
        snprintf(err, errn, "the sender's balance is not what it was minus the fees");
        return -1;
    }
    if (chain_finish(c, err, errn) != 0)
        return -1;
    if (!u256_eq(u256_sub(chain_balance(c, env->fee_account), operator0, NULL), fees)) {
        snprintf(err, errn, "the operator was not paid the batch's fees at its end");
        return -1;
    }
    return 0;
}
