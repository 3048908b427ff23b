/* tools/full.c — the full-tier commands of `eravm`: `deploy` (one deploy
 * transaction through the real v29 bootloader), `batch` (a JSON list of
 * transactions in one batch, with expectations) and `replay` (a recorded
 * run on the VM alone). */
#include "full.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchfile.h"
#include "bytecode.h"
#include "chain.h"
#include "record.h"
#include "tool_util.h"

/* ---- options shared by deploy and batch ---- */

typedef struct {
    chain_options chain;
    bool json;
    const char *file;
} full_opts;

static int parse_engine(const char *v, int *engine)
{
    if (!strcmp(v, "fast"))
        *engine = ERAVM_ENGINE_FAST;
    else if (!strcmp(v, "counting"))
        *engine = ERAVM_ENGINE_COUNTING;
    else if (!strcmp(v, "simple"))
        *engine = ERAVM_ENGINE_SIMPLE;
    else
        return -1;
    return 0;
}

/* Handles an option common to the full-tier commands; returns 1 if it was
 * one (i advanced past its value), 0 if not, -1 on a bad value. */
static int common_option(const char *cmd, int argc, char **argv, int *i, full_opts *o)
{
    const char *a = argv[*i];
    if (!strcmp(a, "--no-signatures")) {
        o->chain.no_signatures = true;
        return 1;
    }
    if (!strcmp(a, "--trace-hooks")) {
        o->chain.trace_hooks = stderr;
        return 1;
    }
    if (!strcmp(a, "--record") || !strcmp(a, "--engine") || !strcmp(a, "--format")) {
        if (*i + 1 >= argc) {
            tool_die("%s: %s needs a value", cmd, a);
            return -1;
        }
        const char *v = argv[++*i];
        if (!strcmp(a, "--record")) {
            o->chain.record_dir = v;
        } else if (!strcmp(a, "--engine")) {
            if (parse_engine(v, &o->chain.engine) != 0) {
                tool_die("%s: --engine is fast, counting or simple, not '%s'", cmd, v);
                return -1;
            }
        } else if (!strcmp(v, "json") || !strcmp(v, "text")) {
            o->json = !strcmp(v, "json");
        } else {
            tool_die("%s: --format is text or json, not '%s'", cmd, v);
            return -1;
        }
        return 1;
    }
    return 0;
}

static const char *data_dir(void)
{
    const char *d = getenv("ERAVM_DATA");
    return d && *d ? d : "../shared/data";
}

/* ---- results ---- */

static void print_text(json_t *o)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (json_is_string(v)) {
            printf("%s: %s\n", key, json_string_value(v));
        } else if (json_is_integer(v)) {
            printf("%s: %lld\n", key, (long long)json_integer_value(v));
        } else if (!strcmp(key, "storage_writes")) {
            const char *a;
            json_t *m;
            json_object_foreach(v, a, m)
            {
                const char *k;
                json_t *x;
                json_object_foreach(m, k, x) printf("storage: %s %s = %s\n", a, k,
                                                    json_string_value(x));
            }
        } else {
            size_t i;
            json_t *x;
            json_array_foreach(v, i, x)
            {
                char *s = json_dumps(x, JSON_COMPACT | JSON_PRESERVE_ORDER);
                printf("%s: %s\n", !strcmp(key, "events") ? "event" : "l2_l1_log", s);
                free(s);
            }
        }
    }
}

static int emit(json_t *o, bool json)
{
    if (json) {
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
    } else {
        print_text(o);
    }
    json_decref(o);
    return 0; /* a write error on stdout is reported once, by main (tools/eravm.c) */
}

static int close_chain(chain *c)
{
    char err[400];
    if (chain_close(c, err, sizeof err) != 0) {
        tool_die("%s", err);
        return 1;
    }
    return 0;
}

/* ---- eravm deploy ---- */

int tool_deploy(int argc, char **argv)
{
    full_opts o = {.chain = {.data_dir = data_dir()}};
    const char *args_hex = NULL, *value = NULL;
    for (int i = 0; i < argc; i++) {
        int k = common_option("deploy", argc, argv, &i, &o);
        if (k < 0)
            return 2;
        if (k)
            continue;
        const char *a = argv[i];
        if (!strcmp(a, "--args") || !strcmp(a, "--value")) {
            if (i + 1 >= argc)
                return tool_die("deploy: %s needs a value", a);
            *(!strcmp(a, "--args") ? &args_hex : &value) = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            return tool_die("deploy: unknown option '%s' (see eravm --help)", a);
        } else if (o.file) {
            return tool_die("deploy: more than one file given ('%s')", a);
        } else {
            o.file = a;
        }
    }
    if (!o.file)
        return tool_die("deploy: no file given");
    char err[600];
    uint8_t *code, *args = NULL;
    size_t len, nargs = 0;
    if (bf_load_code(o.file, &code, &len, err, sizeof err) != 0)
        return tool_die("%s", err);
    if (args_hex && eravm_hex_decode(args_hex, strlen(args_hex), &args, &nargs, err, sizeof err)) {
        free(code);
        return tool_die("deploy: --args: %s", err);
    }
    chain_tx_opts t;
    chain_tx_defaults(&t);
    if (value && !tool_parse_u256(value, &t.value)) {
        free(code);
        free(args);
        return tool_die("deploy: --value wants a number of wei, not '%s'", value);
    }
    chain *c = chain_open(&o.chain, err, sizeof err);
    if (!c) {
        free(code);
        free(args);
        return tool_die("%s", err);
    }
    chain_result r;
    int rc = chain_deploy(c, &t, (chain_code){code, len}, args, nargs, NULL, 0, &r, err,
                          sizeof err);
    free(code);
    free(args);
    if (rc != 0) {
        close_chain(c);
        return tool_die("deploy: %s", err);
    }
    rc = emit(bf_tx_json(c, &r, NULL, 0), o.json);
    chain_result_free(&r);
    return close_chain(c) ? 1 : rc;
}

/* ---- eravm replay ---- */

int tool_replay(int argc, char **argv)
{
    const char *dir = NULL;
    int engine = ERAVM_ENGINE_FAST;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--engine")) {
            if (i + 1 >= argc || parse_engine(argv[i + 1], &engine) != 0)
                return tool_die("replay: --engine is fast, counting or simple");
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return tool_die("replay: unknown option '%s' (see eravm --help)", argv[i]);
        } else if (dir) {
            return tool_die("replay: more than one directory given ('%s')", argv[i]);
        } else {
            dir = argv[i];
        }
    }
    if (!dir)
        return tool_die("replay: no recording directory given");
    char err[600];
    uint64_t n = 0;
    int rc = rec_replay(dir, engine, &n, err, sizeof err);
    if (rc < 0)
        return tool_die("replay: %s", err);
    if (rc > 0) {
        fprintf(stderr, "eravm: replay: MISMATCH: %s\n", err);
        return 1;
    }
    printf("replay: %llu instructions; every stop and the end state match the recording\n",
           (unsigned long long)n);
    return fflush(stdout) ? 1 : 0;
}

/* ---- eravm batch ---- */

int tool_batch(int argc, char **argv)
{
    full_opts o = {.chain = {.data_dir = data_dir(), .snapshots = true}};
    bool finish = true;
    for (int i = 0; i < argc; i++) {
        int k = common_option("batch", argc, argv, &i, &o);
        if (k < 0)
            return 2;
        if (k)
            continue;
        if (!strcmp(argv[i], "--no-finish"))
            finish = false;
        else if (argv[i][0] == '-' && argv[i][1])
            return tool_die("batch: unknown option '%s' (see eravm --help)", argv[i]);
        else if (o.file)
            return tool_die("batch: more than one file given ('%s')", argv[i]);
        else
            o.file = argv[i];
    }
    if (!o.file)
        return tool_die("batch: no file given");
    char err[600];
    unsigned nkeys;
    json_t *root = bf_load(o.file, "keys transactions", &nkeys, err, sizeof err);
    if (!root)
        return tool_die("batch: %s", err);
    json_t *txs = json_object_get(root, "transactions");
    if (!json_is_array(txs)) {
        json_decref(root);
        return tool_die("batch: %s: $: a batch is {\"keys\": N, \"transactions\": [...]}", o.file);
    }
    o.chain.nkeys = nkeys;
    chain *c = chain_open(&o.chain, err, sizeof err);
    if (!c) {
        json_decref(root);
        return tool_die("%s", err);
    }
    bf_ctx *b = bf_new(c, o.file);
    json_t *results = json_array();
    int bad = 0, rc = 0;
    size_t i;
    json_t *tx;
    json_array_foreach(txs, i, tx)
    {
        char path[64];
        snprintf(path, sizeof path, "transactions[%zu]", i);
        if (bf_run(b, tx, path, results, &bad) != 0) {
            tool_die("batch: %s", bf_error(b));
            rc = 2;
            break;
        }
    }
    json_t *outo = json_object();
    json_object_set_new(outo, "transactions", results);
    if (rc == 0 && finish) {
        bool finished = chain_finish(c, err, sizeof err) == 0;
        if (!finished) {
            fprintf(stderr, "eravm: batch: %s\n", err);
            bad++;
        }
        json_object_set_new(outo, "batch_finished", json_boolean(finished));
    }
    if (rc == 0 && o.json) {
        rc = emit(outo, true);
        outo = NULL;
    } else if (rc == 0) {
        size_t j;
        json_t *x;
        json_array_foreach(results, j, x)
        {
            printf("# transaction %zu (%s%s%s)\n", j,
                   json_string_value(json_object_get(x, "kind")),
                   json_object_get(x, "name") ? " " : "",
                   json_object_get(x, "name") ? json_string_value(json_object_get(x, "name")) : "");
            json_t *copy = json_deep_copy(x);
            json_object_del(copy, "kind");
            json_object_del(copy, "name");
            print_text(copy);
            json_decref(copy);
        }
        rc = fflush(stdout) ? 1 : 0;
    }
    json_decref(outo);
    bf_free(b);
    if (close_chain(c) && rc == 0)
        rc = 1;
    if (rc == 0 && bad) {
        fprintf(stderr, "eravm: batch: %d expectation(s) failed\n", bad);
        rc = 1;
    } else if (rc == 0 && !o.json) {
        printf("# %zu transactions, all expectations met\n", json_array_size(txs));
    }
    json_decref(root);
    return rc;
}
