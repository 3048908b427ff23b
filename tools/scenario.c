/* tools/scenario.c — `eravm scenario FILE.json`: deploys contracts into an
 * in-memory world, runs each step as its own transaction in a fresh VM over
 * the storage earlier steps left, and checks each step's expectations,
 * printing a per-step diff. Format: see README ("Scenarios"). */
#include <ctype.h>
#include <jansson.h>
#include <libgen.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "bytecode.h"
#include "eravm.h"
#include "run.h"
#include "tool_util.h"
#include "world_mem.h"

#define DEFAULT_ERGS 30000000u

typedef struct {
    const char *file;
    char dir[1024];
    eravm_memworld *world;
    json_t *names; /* name -> address string */
    int failures;
} scen;

static int bad(const char *file, const char *what, const char *detail)
{
    fprintf(stderr, "eravm: %s: %s%s%s\n", file, what, detail ? ": " : "", detail ? detail : "");
    return 2;
}

static bool json_u256(json_t *v, u256 *out)
{
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0)
            return false;
        *out = u256_from_u64((uint64_t)json_integer_value(v));
        return true;
    }
    return json_is_string(v) && tool_parse_u256(json_string_value(v), out);
}

static bool resolve_name(scen *s, const char *name, u256 *out)
{
    json_t *named = json_object_get(s->names, name);
    return tool_parse_address(named ? json_string_value(named) : name, out);
}

static bool resolve_address(scen *s, json_t *v, u256 *out)
{
    if (json_is_string(v)) {
        json_t *named = json_object_get(s->names, json_string_value(v));
        if (named)
            return tool_parse_address(json_string_value(named), out);
    }
    if (json_is_string(v))
        return tool_parse_address(json_string_value(v), out);
    return false;
}

static bool looks_hex(const char *t)
{
    if (t[0] != '0' || (t[1] != 'x' && t[1] != 'X'))
        return false;
    for (t += 2; *t; t++)
        if (!isxdigit((unsigned char)*t))
            return false;
    return true;
}

/* Bytecode: hex text inline, or a path relative to the scenario, then $ERAVM_DATA. */
static int load_code(scen *s, const char *spec, bool truncate, uint8_t **code, size_t *len,
                     char *err, size_t errn)
{
    if (looks_hex(spec)) {
        if (eravm_hex_decode(spec, strlen(spec), code, len, err, errn))
            return -1;
    } else {
        char path[2048];
        const char *data = getenv("ERAVM_DATA");
        snprintf(path, sizeof path, "%s/%s", s->dir, spec);
        FILE *f = spec[0] == '/' ? fopen(spec, "rb") : fopen(path, "rb");
        if (f) {
            fclose(f);
        } else {
            snprintf(path, sizeof path, "%s/%s", data && *data ? data : "../shared/data", spec);
        }
        const char *use = spec[0] == '/' ? spec : path;
        size_t ul = strlen(use);
        if (ul > 5 && !strcmp(use + ul - 5, ".zasm")) {
            /* assembly is assembled on the fly: scenarios can ship readable sources */
            uint8_t *src;
            size_t sn;
            eravm_asm_result r;
            if (eravm_read_file(use, &src, &sn, err, errn))
                return -1;
            int rc = eravm_asm((const char *)src, sn, use, &r, err, errn);
            free(src);
            if (rc)
                return -1;
            *code = r.code;
            *len = r.len;
            r.code = NULL;
            eravm_asm_free(&r);
        } else if (eravm_load_bytecode(use, code, len, err, errn)) {
            return -1;
        }
    }
    if (eravm_check_container(len, truncate, err, errn)) {
        free(*code);
        return -1;
    }
    return 0;
}

static void note(scen *s, int step, const char *field, const char *got, const char *want)
{
    printf("step %d: %s: got %s, want %s\n", step, field, got, want);
    s->failures++;
}

static char *returndata_text(const eravm_result *r, bool digest)
{
    if (digest) {
        uint8_t h[32];
        SHA256(r->returndata, r->returndata_len, h);
        char *hx = tool_hex(h, 32);
        char *out = malloc(100);
        snprintf(out, 100, "sha256:%s:%zu", hx + 2, r->returndata_len);
        free(hx);
        return out;
    }
    return tool_hex(r->returndata, r->returndata_len);
}

/* Compares {addr: {key: value}} against a slot list; extra or missing slots differ. */
static void check_slot_map(scen *s, int step, const char *field, json_t *want, eravm_slot *got,
                           size_t n)
{
    size_t nwant = 0;
    const char *ak;
    json_t *inner;
    json_object_foreach(want, ak, inner) {
        u256 a;
        if (!tool_parse_address(ak, &a) || !json_is_object(inner)) {
            note(s, step, field, "-", "a map of address -> {key: value}");
            return;
        }
        const char *kk;
        json_t *vv;
        json_object_foreach(inner, kk, vv) {
            u256 k, v;
            nwant++;
            if (!tool_parse_u256(kk, &k) || !json_u256(vv, &v)) {
                note(s, step, field, kk, "hex key and value");
                continue;
            }
            bool found = false;
            for (size_t i = 0; i < n; i++) {
                if (u256_eq(got[i].address, a) && u256_eq(got[i].key, k)) {
                    found = true;
                    if (!u256_eq(got[i].value, v)) {
                        char g[80], w[80], what[200];
                        u256_to_hex(got[i].value, g, sizeof g);
                        u256_to_hex(v, w, sizeof w);
                        snprintf(what, sizeof what, "%s %s[%s]", field, ak, kk);
                        note(s, step, what, g, w);
                    }
                }
            }
            if (!found) {
                char what[200];
                snprintf(what, sizeof what, "%s %s[%s]", field, ak, kk);
                note(s, step, what, "(not written)", json_is_string(vv) ? json_string_value(vv) : "?");
            }
        }
    }
    if (n != nwant) {
        char g[32], w[32];
        snprintf(g, sizeof g, "%zu slots", n);
        snprintf(w, sizeof w, "%zu slots", nwant);
        note(s, step, field, g, w);
    }
}

static void check_logs(scen *s, int step, const char *field, json_t *want, const eravm_log *l,
                       size_t n, bool l2l1)
{
    if (!json_is_array(want)) {
        note(s, step, field, "-", "a list");
        return;
    }
    if (json_array_size(want) != n) {
        char g[32], w[32];
        snprintf(g, sizeof g, "%zu entries", n);
        snprintf(w, sizeof w, "%zu entries", json_array_size(want));
        note(s, step, field, g, w);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(want, i);
        u256 k, v, a;
        json_t *flag = json_object_get(x, l2l1 ? "is_service" : "first");
        json_t *tx = json_object_get(x, "tx_number");
        bool ok = json_u256(json_object_get(x, "key"), &k) && u256_eq(k, l[i].key) &&
                  json_u256(json_object_get(x, "value"), &v) && u256_eq(v, l[i].value) &&
                  (!flag || json_is_true(flag) == l[i].first) &&
                  (!tx || json_integer_value(tx) == l[i].tx_number);
        if (ok && json_object_get(x, "address"))
            ok = resolve_address(s, json_object_get(x, "address"), &a) && u256_eq(a, l[i].address);
        if (!ok) {
            char what[64], g[200], kk[80], vv[80];
            u256_to_hex(l[i].key, kk, sizeof kk);
            u256_to_hex(l[i].value, vv, sizeof vv);
            snprintf(what, sizeof what, "%s[%zu]", field, i);
            snprintf(g, sizeof g, "%s=%s%s@%u", kk, vv, l[i].first ? "!" : "", l[i].tx_number);
            char *w = json_dumps(x, JSON_COMPACT);
            note(s, step, what, g, w ? w : "?");
            free(w);
        }
    }
}

static int run_step(scen *s, int step, json_t *st)
{
    u256 to, caller = u256_zero(), value = u256_zero(), ergs_v = u256_from_u64(DEFAULT_ERGS);
    if (!json_is_object(st))
        return bad(s->file, "a step is not an object", NULL);
    if (!resolve_address(s, json_object_get(st, "to"), &to))
        return bad(s->file, "step has no valid \"to\" (contract name or address)", NULL);
    if (json_object_get(st, "caller") && !resolve_address(s, json_object_get(st, "caller"), &caller))
        return bad(s->file, "step has a bad \"caller\"", NULL);
    if (json_object_get(st, "value") &&
        (!json_u256(json_object_get(st, "value"), &value) || value.w[2] || value.w[3]))
        return bad(s->file, "step has a bad \"value\" (want a number below 2^128)", NULL);
    if (json_object_get(st, "ergs") &&
        (!json_u256(json_object_get(st, "ergs"), &ergs_v) || !u256_fits_u32(ergs_v)))
        return bad(s->file, "step has a bad \"ergs\" (want a number below 2^32)", NULL);
    uint8_t *cd = NULL;
    size_t cdlen = 0;
    json_t *cdj = json_object_get(st, "calldata");
    char err[512];
    if (cdj && (!json_is_string(cdj) ||
                eravm_hex_decode(json_string_value(cdj), json_string_length(cdj), &cd, &cdlen, err,
                                 sizeof err)))
        return bad(s->file, "step has bad \"calldata\" hex", NULL);
    bool ctor = json_is_true(json_object_get(st, "constructor"));

    u256 hash = eravm_memworld_get_storage(s->world, u256_from_u64(ERAVM_ADDR_ACCOUNT_CODE_STORAGE), to);
    const eravm_program *prog = eravm_memworld_program(s->world, hash);
    eravm_world iface = eravm_memworld_iface(s->world);
    eravm_settings settings;
    memset(&settings, 0, sizeof settings);
    eravm_vm *vm = eravm_vm_new(&iface, &settings);
    const char *engine = getenv("ERAVM_ENGINE"); /* tests run every engine */
    if (engine && !strcmp(engine, "simple"))
        eravm_vm_set_engine(vm, ERAVM_ENGINE_SIMPLE);
    else if (engine && !strcmp(engine, "counting"))
        eravm_vm_set_engine(vm, ERAVM_ENGINE_COUNTING);
    eravm_program *empty = NULL;
    if (!prog)
        prog = empty = eravm_program_new(NULL, 0);
    eravm_call call;
    memset(&call, 0, sizeof call);
    call.address = to;
    call.caller = caller;
    call.context_value = value;
    call.calldata = cd;
    call.calldata_len = cdlen;
    call.ergs = u256_low32(ergs_v);
    call.constructor = ctor;
    eravm_result res;
    eravm_vm_run(vm, prog, &call, &res);
    const char *stname = eravm_status_name(res.status);
    printf("step %d: %s, ergs_left %u, instructions %llu\n", step, stname, res.ergs_left,
           (unsigned long long)res.instructions);

    json_t *ex = json_object_get(st, "expect");
    if (ex && !json_is_object(ex)) {
        eravm_vm_free(vm);
        free(cd);
        eravm_program_free(empty);
        return bad(s->file, "step \"expect\" is not an object", NULL);
    }
    json_t *x;
    if (ex && (x = json_object_get(ex, "status")) && strcmp(json_string_value(x) ? json_string_value(x) : "", stname))
        note(s, step, "status", stname, json_string_value(x) ? json_string_value(x) : "?");
    if (ex && (x = json_object_get(ex, "returndata"))) {
        const char *want = json_string_value(x) ? json_string_value(x) : "?";
        char *got = returndata_text(&res, !strncmp(want, "sha256:", 7));
        bool same = !strcmp(got, want);
        if (!same && !strncmp(want, "0x", 2) && !strncmp(got, "0x", 2))
            same = !strcasecmp(got, want);
        if (!same)
            note(s, step, "returndata", got, want);
        free(got);
    }
    char g[32], w[32];
    u256 num;
    if (ex && (x = json_object_get(ex, "ergs_left")) && (!json_u256(x, &num) || num.w[0] != res.ergs_left)) {
        snprintf(g, sizeof g, "%u", res.ergs_left);
        snprintf(w, sizeof w, "%llu", (unsigned long long)num.w[0]);
        note(s, step, "ergs_left", g, w);
    }
    if (ex && (x = json_object_get(ex, "instructions")) &&
        (!json_u256(x, &num) || num.w[0] != res.instructions)) {
        snprintf(g, sizeof g, "%llu", (unsigned long long)res.instructions);
        snprintf(w, sizeof w, "%llu", (unsigned long long)num.w[0]);
        note(s, step, "instructions", g, w);
    }
    size_t n;
    if (ex && (x = json_object_get(ex, "storage_writes"))) {
        eravm_slot *sw = eravm_vm_storage_writes(vm, &n);
        check_slot_map(s, step, "storage_writes", x, sw, n);
        free(sw);
    }
    if (ex && (x = json_object_get(ex, "transient"))) {
        eravm_slot *tw = eravm_vm_transient(vm, &n);
        check_slot_map(s, step, "transient", x, tw, n);
        free(tw);
    }
    if (ex && (x = json_object_get(ex, "events"))) {
        const eravm_log *l = eravm_vm_events(vm, &n);
        check_logs(s, step, "events", x, l, n, false);
    }
    if (ex && (x = json_object_get(ex, "l2_l1_logs"))) {
        const eravm_log *l = eravm_vm_l2l1_logs(vm, &n);
        check_logs(s, step, "l2_l1_logs", x, l, n, true);
    }
    /* a failed transaction leaves no trace in the world */
    if (res.status == ERAVM_OK)
        eravm_memworld_commit(s->world, vm);
    if (ex && (x = json_object_get(ex, "storage"))) {
        const char *ak;
        json_t *inner;
        json_object_foreach(x, ak, inner) {
            u256 a;
            if (!resolve_name(s, ak, &a))
                continue;
            const char *kk;
            json_t *vv;
            json_object_foreach(inner, kk, vv) {
                u256 k, v;
                if (!tool_parse_u256(kk, &k) || !json_u256(vv, &v))
                    continue;
                u256 have = eravm_memworld_get_storage(s->world, a, k);
                if (!u256_eq(have, v)) {
                    char hg[80], hw[80], what[200];
                    u256_to_hex(have, hg, sizeof hg);
                    u256_to_hex(v, hw, sizeof hw);
                    snprintf(what, sizeof what, "storage %s[%s]", ak, kk);
                    note(s, step, what, hg, hw);
                }
            }
        }
    }
    eravm_vm_free(vm);
    eravm_program_free(empty);
    free(cd);
    return 0;
}

int tool_scenario(int argc, char **argv)
{
    const char *file = NULL;
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1])
            return tool_die("scenario: unknown option '%s' (see eravm --help)", argv[i]);
        if (file)
            return tool_die("scenario: more than one file given ('%s')", argv[i]);
        file = argv[i];
    }
    if (!file)
        return tool_die("scenario: no file given%s", "");
    json_error_t je;
    json_t *root = json_load_file(file, 0, &je);
    if (!root) {
        fprintf(stderr, "eravm: %s:%d:%d: bad JSON: %s\n", file, je.line, je.column, je.text);
        return 2;
    }
    scen s;
    memset(&s, 0, sizeof s);
    s.file = file;
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", file);
    snprintf(s.dir, sizeof s.dir, "%s", dirname(tmp));
    s.world = eravm_memworld_new();
    s.names = json_object();
    int rc = 0;
    json_t *contracts = json_object_get(root, "contracts");
    json_t *steps = json_object_get(root, "steps");
    json_t *storage = json_object_get(root, "storage");
    if (!json_is_object(root) || !json_is_array(contracts) || !json_is_array(steps) ||
        (storage && !json_is_object(storage))) {
        rc = bad(file, "a scenario is an object with \"contracts\" and \"steps\" arrays and an optional \"storage\" object", NULL);
        goto out;
    }
    size_t i;
    json_t *c;
    json_array_foreach(contracts, i, c) {
        json_t *addr = json_object_get(c, "address"), *bc = json_object_get(c, "bytecode");
        json_t *name = json_object_get(c, "name");
        u256 a;
        if (!json_is_object(c) || !json_is_string(addr) ||
            !tool_parse_address(json_string_value(addr), &a) || !json_is_string(bc)) {
            rc = bad(file, "each contract needs an \"address\" (hex) and a \"bytecode\" (path or hex)", NULL);
            goto out;
        }
        uint8_t *code;
        size_t len;
        char err[512];
        if (load_code(&s, json_string_value(bc), json_is_true(json_object_get(c, "truncate")), &code,
                      &len, err, sizeof err)) {
            rc = bad(file, "contract bytecode", err);
            goto out;
        }
        eravm_memworld_deploy(s.world, a, code, len, false);
        free(code);
        if (json_is_string(name))
            json_object_set(s.names, json_string_value(name), addr);
    }
    if (storage) {
        const char *ak;
        json_t *inner;
        json_object_foreach(storage, ak, inner) {
            u256 a;
            if (!resolve_name(&s, ak, &a) || !json_is_object(inner)) {
                rc = bad(file, "\"storage\" maps addresses to {key: value} objects", ak);
                goto out;
            }
            const char *kk;
            json_t *vv;
            json_object_foreach(inner, kk, vv) {
                u256 k, v;
                if (!tool_parse_u256(kk, &k) || !json_u256(vv, &v)) {
                    rc = bad(file, "bad storage key or value", kk);
                    goto out;
                }
                eravm_memworld_set_storage(s.world, a, k, v);
            }
        }
    }
    json_t *st;
    json_array_foreach(steps, i, st) {
        rc = run_step(&s, (int)i + 1, st);
        if (rc)
            goto out;
    }
    if (s.failures) {
        printf("%d mismatch%s\n", s.failures, s.failures == 1 ? "" : "es");
        rc = 1;
    } else {
        printf("all %zu step%s match\n", json_array_size(steps), json_array_size(steps) == 1 ? "" : "s");
    }
out:
    json_decref(s.names);
    json_decref(root);
    eravm_memworld_free(s.world);
    return rc;
}
