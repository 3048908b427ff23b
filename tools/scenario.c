/* tools/scenario.c — `eravm scenario FILE.json`: deploys contracts into an
 * in-memory world, runs each step as its own transaction in a fresh VM over
 * the storage earlier steps left, and checks each step's expectations,
 * printing a per-step diff. Format: see README ("Scenarios").
 *
 * A scenario is a test, so it must not pass by accident: the whole file is
 * checked before anything runs, and every unknown key, wrong type,
 * out-of-range number, unknown contract or ambiguous name is an error that
 * names its JSON path (e.g. `steps[2].expect.storage["A"]["0x1"]`). */
#include <ctype.h>
#include <jansson.h>
#include <libgen.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "asm.h"
#include "bytecode.h"
#include "eravm.h"
#include "run.h"
#include "tool_util.h"
#include "world_mem.h"

#define DEFAULT_ERGS 30000000u
#define PATH_MAX_LEN 320

typedef struct {
    const char *file;
    char dir[1024];
    eravm_memworld *world;
    json_t *names; /* contract name -> address string */
    int engine;
    int failures;
} scen;

/* ---- errors and JSON paths ---- */

static int scen_error(const scen *s, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int scen_error(const scen *s, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "eravm: %s: %s%s", s->file, path, *path ? ": " : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

/* Paths are for messages: one cut short at PATH_MAX_LEN still says where. */
static void path_set(char *out, int written)
{
    if (written >= PATH_MAX_LEN)
        memcpy(out + PATH_MAX_LEN - 4, "...", 4);
}

/* path + ".name" */
static void path_field(char *out, const char *path, const char *name)
{
    path_set(out, snprintf(out, PATH_MAX_LEN, "%s%s%s", path, *path ? "." : "", name));
}

/* path + "[i]" */
static void path_index(char *out, const char *path, size_t i)
{
    path_set(out, snprintf(out, PATH_MAX_LEN, "%s[%zu]", path, i));
}

/* path + "[\"key\"]" (keys are the user's data: quoted) */
static void path_key(char *out, const char *path, const char *key)
{
    path_set(out, snprintf(out, PATH_MAX_LEN, "%s[\"%.80s\"]", path, key));
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    default: return "null";
    }
}

/* v has the kind `ok` says it has, or one line says what was wanted. */
static bool want_kind(const scen *s, const json_t *v, const char *path, bool ok, const char *what)
{
    if (!ok)
        scen_error(s, path, "want %s, not %s", what, type_name(v));
    return ok;
}

/* An object whose keys are all in `allowed` (NULL-terminated). */
static bool want_object(const scen *s, const json_t *v, const char *path, const char *const *allowed)
{
    if (!want_kind(s, v, path, json_is_object(v), "an object"))
        return false;
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x) {
        size_t i = 0;
        while (allowed && allowed[i] && strcmp(allowed[i], key))
            i++;
        if (allowed && !allowed[i]) {
            char list[400] = "", child[PATH_MAX_LEN];
            for (size_t k = 0; allowed[k]; k++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", allowed[k]);
            path_field(child, path, key);
            scen_error(s, child, "unknown key (expected one of: %s)", list);
            return false;
        }
    }
    return true;
}

static bool want_array(const scen *s, const json_t *v, const char *path)
{
    return want_kind(s, v, path, json_is_array(v), "an array");
}

static bool want_bool(const scen *s, const json_t *v, const char *path)
{
    return want_kind(s, v, path, json_is_boolean(v), "true or false");
}

static bool want_string(const scen *s, const json_t *v, const char *path)
{
    return want_kind(s, v, path, json_is_string(v), "a string");
}

/* A number below 2^bits: a non-negative JSON integer, or a decimal or
 * 0x-hex string (for values past 2^63). */
static bool want_number(const scen *s, const json_t *v, const char *path, int bits, u256 *out)
{
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0) {
            scen_error(s, path, "%lld is negative", (long long)json_integer_value(v));
            return false;
        }
        *out = u256_from_u64((uint64_t)json_integer_value(v));
    } else if (json_is_string(v)) {
        if (!tool_parse_u256(json_string_value(v), out)) {
            scen_error(s, path, "'%.80s' is not a number (decimal or 0x-hex, below 2^256)",
                       json_string_value(v));
            return false;
        }
    } else {
        return want_kind(s, v, path, false, "a number");
    }
    bool fits = true;
    for (int w = 0; w < 4; w++) {
        int lo = w * 64;
        if (bits <= lo)
            fits = fits && out->w[w] == 0;
        else if (bits < lo + 64)
            fits = fits && (out->w[w] >> (bits - lo)) == 0;
    }
    if (!fits) {
        char t[80];
        u256_to_hex(*out, t, sizeof t);
        scen_error(s, path, "%s is out of range (want below 2^%d)", t, bits);
        return false;
    }
    return true;
}

/* A contract name, or an address (0x-hex or decimal, at most 160 bits). */
static bool resolve_name(const scen *s, const char *name, const char *path, u256 *out)
{
    json_t *named = json_object_get(s->names, name);
    if (tool_parse_address(named ? json_string_value(named) : name, out))
        return true;
    scen_error(s, path, "'%.80s' is neither a contract name nor an address", name);
    return false;
}

static bool want_address(const scen *s, const json_t *v, const char *path, u256 *out)
{
    return want_string(s, v, path) && resolve_name(s, json_string_value(v), path, out);
}

/* 0x-hex bytes. */
static bool want_hex(const scen *s, const json_t *v, const char *path, uint8_t **bytes, size_t *len)
{
    char err[256];
    if (!want_string(s, v, path))
        return false;
    if (eravm_hex_decode(json_string_value(v), json_string_length(v), bytes, len, err, sizeof err)) {
        scen_error(s, path, "%s", err);
        return false;
    }
    return true;
}

/* ---- the shape of a scenario ---- */

static const char *const top_keys[] = {"description", "contracts", "storage", "steps", NULL};
static const char *const contract_keys[] = {"name", "address", "bytecode", "truncate", NULL};
static const char *const step_keys[] = {"to", "caller", "calldata", "value", "constructor", "ergs",
                                        "expect", NULL};
static const char *const expect_keys[] = {"status", "returndata", "ergs_left", "instructions",
                                          "storage", "storage_writes", "transient", "events",
                                          "l2_l1_logs", NULL};
static const char *const event_keys[] = {"address", "key", "value", "first", "tx_number", NULL};
static const char *const l2l1_keys[] = {"address", "key", "value", "is_service", "tx_number", NULL};

/* {address or name: {key: value}} */
static bool check_slot_map(const scen *s, const json_t *m, const char *path)
{
    if (!want_object(s, m, path, NULL))
        return false;
    const char *ak;
    json_t *inner;
    json_object_foreach((json_t *)m, ak, inner) {
        char p[PATH_MAX_LEN];
        u256 a;
        path_key(p, path, ak);
        if (!resolve_name(s, ak, p, &a) || !want_object(s, inner, p, NULL))
            return false;
        const char *kk;
        json_t *vv;
        json_object_foreach(inner, kk, vv) {
            char q[PATH_MAX_LEN];
            u256 k, v;
            path_key(q, p, kk);
            if (!tool_parse_u256(kk, &k))
                return scen_error(s, q, "the key is not a number (decimal or 0x-hex)"), false;
            if (!want_number(s, vv, q, 256, &v))
                return false;
        }
    }
    return true;
}

static bool check_logs(const scen *s, const json_t *list, const char *path, bool l2l1)
{
    if (!want_array(s, list, path))
        return false;
    size_t i;
    json_t *x;
    json_array_foreach((json_t *)list, i, x) {
        char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
        u256 v;
        path_index(p, path, i);
        if (!want_object(s, x, p, l2l1 ? l2l1_keys : event_keys))
            return false;
        for (int f = 0; f < 2; f++) {
            const char *name = f ? "value" : "key";
            path_field(q, p, name);
            if (!json_object_get(x, name))
                return scen_error(s, q, "missing"), false;
            if (!want_number(s, json_object_get(x, name), q, 256, &v))
                return false;
        }
        json_t *y;
        if ((y = json_object_get(x, "address")) && (path_field(q, p, "address"), !want_address(s, y, q, &v)))
            return false;
        const char *flag = l2l1 ? "is_service" : "first";
        if ((y = json_object_get(x, flag)) && (path_field(q, p, flag), !want_bool(s, y, q)))
            return false;
        if ((y = json_object_get(x, "tx_number")) && (path_field(q, p, "tx_number"), !want_number(s, y, q, 16, &v)))
            return false;
    }
    return true;
}

static bool check_returndata(const scen *s, const json_t *v, const char *path)
{
    if (!want_string(s, v, path))
        return false;
    const char *t = json_string_value(v);
    if (!strncmp(t, "sha256:", 7)) {
        size_t n = 0;
        while (isxdigit((unsigned char)t[7 + n]))
            n++;
        char *end;
        if (n != 64 || t[71] != ':' || !isdigit((unsigned char)t[72]) || (strtoull(t + 72, &end, 10), *end))
            return scen_error(s, path, "want sha256:<64 hex digits>:<length>"), false;
        return true;
    }
    uint8_t *b;
    size_t n;
    if (strncmp(t, "0x", 2) && strncmp(t, "0X", 2))
        return scen_error(s, path, "want 0x-hex bytes or sha256:<digest>:<length>"), false;
    if (!want_hex(s, v, path, &b, &n))
        return false;
    free(b);
    return true;
}

static bool check_expect(const scen *s, const json_t *ex, const char *path)
{
    if (!want_object(s, ex, path, expect_keys))
        return false;
    char p[PATH_MAX_LEN];
    json_t *x;
    u256 v;
    if ((x = json_object_get(ex, "status"))) {
        path_field(p, path, "status");
        if (!want_string(s, x, p))
            return false;
        const char *t = json_string_value(x);
        if (strcmp(t, "ok") && strcmp(t, "revert") && strcmp(t, "panic"))
            return scen_error(s, p, "want \"ok\", \"revert\" or \"panic\", not '%.40s'", t), false;
    }
    if ((x = json_object_get(ex, "returndata")) && (path_field(p, path, "returndata"), !check_returndata(s, x, p)))
        return false;
    if ((x = json_object_get(ex, "ergs_left")) && (path_field(p, path, "ergs_left"), !want_number(s, x, p, 32, &v)))
        return false;
    if ((x = json_object_get(ex, "instructions")) &&
        (path_field(p, path, "instructions"), !want_number(s, x, p, 64, &v)))
        return false;
    static const char *const maps[] = {"storage", "storage_writes", "transient"};
    for (int i = 0; i < 3; i++)
        if ((x = json_object_get(ex, maps[i])) && (path_field(p, path, maps[i]), !check_slot_map(s, x, p)))
            return false;
    if ((x = json_object_get(ex, "events")) && (path_field(p, path, "events"), !check_logs(s, x, p, false)))
        return false;
    if ((x = json_object_get(ex, "l2_l1_logs")) && (path_field(p, path, "l2_l1_logs"), !check_logs(s, x, p, true)))
        return false;
    return true;
}

/* A step as it will run. */
typedef struct {
    u256 to, caller, value;
    uint32_t ergs;
    bool constructor;
    uint8_t *calldata;
    size_t calldata_len;
    json_t *expect; /* borrowed; checked */
} step_plan;

static bool parse_step(const scen *s, const json_t *st, const char *path, step_plan *p)
{
    memset(p, 0, sizeof *p);
    p->ergs = DEFAULT_ERGS;
    if (!want_object(s, st, path, step_keys))
        return false;
    char q[PATH_MAX_LEN];
    json_t *x;
    u256 v;
    path_field(q, path, "to");
    if (!(x = json_object_get(st, "to")))
        return scen_error(s, q, "missing (a contract name or address)"), false;
    if (!want_address(s, x, q, &p->to))
        return false;
    if ((x = json_object_get(st, "caller")) && (path_field(q, path, "caller"), !want_address(s, x, q, &p->caller)))
        return false;
    if ((x = json_object_get(st, "value")) && (path_field(q, path, "value"), !want_number(s, x, q, 128, &p->value)))
        return false;
    if ((x = json_object_get(st, "ergs"))) {
        path_field(q, path, "ergs");
        if (!want_number(s, x, q, 32, &v))
            return false;
        p->ergs = u256_low32(v);
    }
    if ((x = json_object_get(st, "constructor"))) {
        path_field(q, path, "constructor");
        if (!want_bool(s, x, q))
            return false;
        p->constructor = json_is_true(x);
    }
    if ((x = json_object_get(st, "calldata")) &&
        (path_field(q, path, "calldata"), !want_hex(s, x, q, &p->calldata, &p->calldata_len)))
        return false;
    if ((x = json_object_get(st, "expect"))) {
        path_field(q, path, "expect");
        if (!check_expect(s, x, q)) {
            free(p->calldata);
            p->calldata = NULL;
            return false;
        }
        p->expect = x;
    }
    return true;
}

/* Names must not be ambiguous: unique, and not readable as an address
 * (a contract named "0x10002" would shadow the real 0x10002). */
static bool check_contracts(scen *s, const json_t *contracts)
{
    if (!want_array(s, contracts, "contracts"))
        return false;
    size_t i;
    json_t *c;
    u256 *seen = calloc(json_array_size(contracts) + 1, sizeof *seen);
    if (!seen)
        tool_out_of_memory();
    bool ok = true;
    json_array_foreach((json_t *)contracts, i, c) {
        char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
        path_index(p, "contracts", i);
        if (!(ok = want_object(s, c, p, contract_keys)))
            break;
        json_t *addr = json_object_get(c, "address"), *name = json_object_get(c, "name");
        json_t *bc = json_object_get(c, "bytecode"), *tr = json_object_get(c, "truncate");
        path_field(q, p, "address");
        if (!addr) {
            ok = !scen_error(s, q, "missing (0x-hex)");
            break;
        }
        if (!(ok = want_string(s, addr, q)))
            break;
        if (!tool_parse_address(json_string_value(addr), &seen[i])) {
            ok = !scen_error(s, q, "'%.80s' is not an address (0x + up to 40 hex digits)", json_string_value(addr));
            break;
        }
        for (size_t k = 0; k < i && ok; k++)
            if (u256_eq(seen[k], seen[i]))
                ok = !scen_error(s, q, "%s is also the address of contracts[%zu]", json_string_value(addr), k);
        path_field(q, p, "bytecode");
        if (ok && !bc)
            ok = !scen_error(s, q, "missing (hex or a path)");
        if (ok)
            ok = want_string(s, bc, q);
        path_field(q, p, "truncate");
        if (ok && tr)
            ok = want_bool(s, tr, q);
        if (ok && name) {
            path_field(q, p, "name");
            u256 dummy;
            if (!(ok = want_string(s, name, q)))
                break;
            const char *n = json_string_value(name);
            if (!*n)
                ok = !scen_error(s, q, "empty");
            else if (tool_parse_u256(n, &dummy))
                ok = !scen_error(s, q, "'%.80s' reads as an address; a name must not", n);
            else if (json_object_get(s->names, n))
                ok = !scen_error(s, q, "'%.80s' names another contract too", n);
            else
                json_object_set(s->names, n, addr);
        }
        if (!ok)
            break;
    }
    free(seen);
    return ok;
}

/* ---- bytecode ---- */

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

/* ---- comparing ---- */

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
        char *out = tool_xmalloc(100);
        snprintf(out, 100, "sha256:%s:%zu", hx + 2, r->returndata_len);
        free(hx);
        return out;
    }
    return tool_hex(r->returndata, r->returndata_len);
}

/* Values below are checked (check_expect): reading them cannot fail. */
static u256 num_of(const scen *s, const json_t *v)
{
    u256 x = u256_zero();
    want_number(s, v, "", 256, &x);
    return x;
}

static u256 addr_of(const scen *s, const char *name)
{
    u256 a = u256_zero();
    resolve_name(s, name, "", &a);
    return a;
}

/* One entry of a checked {address or name: {key: value}} map, with the
 * user's spelling for messages. */
typedef struct {
    u256 address, key, value;
    const char *ak, *kk;
} want_slot;

static want_slot *slots_of(const scen *s, json_t *m, size_t *n)
{
    size_t cap = 16;
    want_slot *out = tool_xmalloc(cap * sizeof *out);
    *n = 0;
    const char *ak, *kk;
    json_t *inner, *vv;
    json_object_foreach(m, ak, inner) {
        json_object_foreach(inner, kk, vv) {
            if (*n == cap && !(out = realloc(out, (cap *= 2) * sizeof *out)))
                tool_out_of_memory();
            want_slot *w = &out[(*n)++];
            w->address = addr_of(s, ak);
            tool_parse_u256(kk, &w->key);
            w->value = num_of(s, vv);
            w->ak = ak;
            w->kk = kk;
        }
    }
    return out;
}

/* Compares {addr: {key: value}} against a slot list; missing slots differ,
 * and so do extra ones when `whole`. */
static void compare_slot_map(scen *s, int step, const char *field, json_t *want, eravm_slot *got,
                             size_t n, bool whole)
{
    size_t nwant;
    want_slot *ws = slots_of(s, want, &nwant);
    for (size_t j = 0; j < nwant; j++) {
        char what[300], g[80], w[80];
        snprintf(what, sizeof what, "%s %.80s[%.80s]", field, ws[j].ak, ws[j].kk);
        u256_to_hex(ws[j].value, w, sizeof w);
        size_t i = 0;
        while (i < n && !(u256_eq(got[i].address, ws[j].address) && u256_eq(got[i].key, ws[j].key)))
            i++;
        if (i == n) {
            note(s, step, what, "(not written)", w);
        } else if (!u256_eq(got[i].value, ws[j].value)) {
            u256_to_hex(got[i].value, g, sizeof g);
            note(s, step, what, g, w);
        }
    }
    free(ws);
    if (whole && n != nwant) {
        char g[32], w[32];
        snprintf(g, sizeof g, "%zu slots", n);
        snprintf(w, sizeof w, "%zu slots", nwant);
        note(s, step, field, g, w);
    }
}

static void compare_logs(scen *s, int step, const char *field, json_t *want, const eravm_log *l,
                         size_t n, bool l2l1)
{
    if (json_array_size(want) != n) {
        char g[32], w[32];
        snprintf(g, sizeof g, "%zu entries", n);
        snprintf(w, sizeof w, "%zu entries", json_array_size(want));
        note(s, step, field, g, w);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(want, i);
        json_t *flag = json_object_get(x, l2l1 ? "is_service" : "first");
        json_t *tx = json_object_get(x, "tx_number");
        json_t *addr = json_object_get(x, "address");
        bool ok = u256_eq(num_of(s, json_object_get(x, "key")), l[i].key) &&
                  u256_eq(num_of(s, json_object_get(x, "value")), l[i].value) &&
                  (!flag || json_is_true(flag) == l[i].first) &&
                  (!tx || u256_low32(num_of(s, tx)) == l[i].tx_number) &&
                  (!addr || u256_eq(addr_of(s, json_string_value(addr)), l[i].address));
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

static void compare_result(scen *s, int step, json_t *ex, const eravm_vm *vm, const eravm_result *res)
{
    json_t *x;
    const char *stname = eravm_status_name(res->status);
    if ((x = json_object_get(ex, "status")) && strcmp(json_string_value(x), stname))
        note(s, step, "status", stname, json_string_value(x));
    if ((x = json_object_get(ex, "returndata"))) {
        const char *want = json_string_value(x);
        char *got = returndata_text(res, !strncmp(want, "sha256:", 7));
        if (strcasecmp(got, want))
            note(s, step, "returndata", got, want);
        free(got);
    }
    char g[32], w[32];
    if ((x = json_object_get(ex, "ergs_left")) && u256_low32(num_of(s, x)) != res->ergs_left) {
        snprintf(g, sizeof g, "%u", res->ergs_left);
        snprintf(w, sizeof w, "%u", u256_low32(num_of(s, x)));
        note(s, step, "ergs_left", g, w);
    }
    if ((x = json_object_get(ex, "instructions")) && num_of(s, x).w[0] != res->instructions) {
        snprintf(g, sizeof g, "%llu", (unsigned long long)res->instructions);
        snprintf(w, sizeof w, "%llu", (unsigned long long)num_of(s, x).w[0]);
        note(s, step, "instructions", g, w);
    }
    size_t n;
    if ((x = json_object_get(ex, "storage_writes"))) {
        eravm_slot *sw = eravm_vm_storage_writes(vm, &n);
        compare_slot_map(s, step, "storage_writes", x, sw, n, true);
        free(sw);
    }
    if ((x = json_object_get(ex, "transient"))) {
        eravm_slot *tw = eravm_vm_transient(vm, &n);
        compare_slot_map(s, step, "transient", x, tw, n, true);
        free(tw);
    }
    if ((x = json_object_get(ex, "events"))) {
        const eravm_log *l = eravm_vm_events(vm, &n);
        compare_logs(s, step, "events", x, l, n, false);
    }
    if ((x = json_object_get(ex, "l2_l1_logs"))) {
        const eravm_log *l = eravm_vm_l2l1_logs(vm, &n);
        compare_logs(s, step, "l2_l1_logs", x, l, n, true);
    }
}

/* expect.storage: the world after the step (and its commit), slot by slot. */
static void compare_world(scen *s, int step, json_t *want)
{
    size_t n;
    want_slot *ws = slots_of(s, want, &n);
    eravm_slot *have = tool_xmalloc((n + 1) * sizeof *have);
    for (size_t i = 0; i < n; i++) {
        have[i].address = ws[i].address;
        have[i].key = ws[i].key;
        have[i].value = eravm_memworld_get_storage(s->world, ws[i].address, ws[i].key);
    }
    compare_slot_map(s, step, "storage", want, have, n, false);
    free(have);
    free(ws);
}

static void run_step(scen *s, int step, const step_plan *p)
{
    u256 hash = eravm_memworld_get_storage(s->world, u256_from_u64(ERAVM_ADDR_ACCOUNT_CODE_STORAGE), p->to);
    const eravm_program *prog = eravm_memworld_program(s->world, hash);
    eravm_world iface = eravm_memworld_iface(s->world);
    eravm_settings settings;
    memset(&settings, 0, sizeof settings);
    eravm_vm *vm = eravm_vm_new(&iface, &settings);
    eravm_vm_set_engine(vm, s->engine);
    eravm_program *empty = NULL;
    if (!prog)
        prog = empty = eravm_program_new(NULL, 0);
    eravm_call call;
    memset(&call, 0, sizeof call);
    call.address = p->to;
    call.caller = p->caller;
    call.context_value = p->value;
    call.calldata = p->calldata;
    call.calldata_len = p->calldata_len;
    call.ergs = p->ergs;
    call.constructor = p->constructor;
    eravm_result res;
    eravm_vm_run(vm, prog, &call, &res);
    printf("step %d: %s, ergs_left %u, instructions %llu\n", step, eravm_status_name(res.status),
           res.ergs_left, (unsigned long long)res.instructions);
    if (p->expect)
        compare_result(s, step, p->expect, vm, &res);
    /* a failed transaction leaves no trace in the world */
    if (res.status == ERAVM_OK)
        eravm_memworld_commit(s->world, vm);
    json_t *x;
    if (p->expect && (x = json_object_get(p->expect, "storage")))
        compare_world(s, step, x);
    eravm_vm_free(vm);
    eravm_program_free(empty);
}

/* ---- the command ---- */

static int deploy_and_run(scen *s, json_t *root)
{
    json_t *contracts = json_object_get(root, "contracts");
    json_t *steps = json_object_get(root, "steps");
    json_t *storage = json_object_get(root, "storage");
    json_t *desc = json_object_get(root, "description");
    if (!want_object(s, root, "", top_keys))
        return 2;
    if (!contracts)
        return scen_error(s, "contracts", "missing (an array of {name, address, bytecode})");
    if (!steps)
        return scen_error(s, "steps", "missing (an array of steps)");
    if ((desc && !want_string(s, desc, "description")) || !check_contracts(s, contracts) ||
        !want_array(s, steps, "steps") || (storage && !check_slot_map(s, storage, "storage")))
        return 2;
    size_t nsteps = json_array_size(steps), i;
    step_plan *plans = calloc(nsteps + 1, sizeof *plans);
    if (!plans)
        tool_out_of_memory();
    int rc = 0;
    json_t *x;
    json_array_foreach(steps, i, x) {
        char p[PATH_MAX_LEN];
        path_index(p, "steps", i);
        if (!parse_step(s, x, p, &plans[i])) {
            rc = 2;
            break;
        }
    }
    json_array_foreach(contracts, i, x) {
        if (rc)
            break;
        uint8_t *code;
        size_t len;
        char err[512], p[PATH_MAX_LEN];
        if (load_code(s, json_string_value(json_object_get(x, "bytecode")),
                      json_is_true(json_object_get(x, "truncate")), &code, &len, err, sizeof err)) {
            char q[PATH_MAX_LEN];
            path_index(q, "contracts", i);
            path_field(p, q, "bytecode");
            rc = scen_error(s, p, "%s", err);
            break;
        }
        u256 a;
        tool_parse_address(json_string_value(json_object_get(x, "address")), &a);
        eravm_memworld_deploy(s->world, a, code, len, false);
        free(code);
    }
    /* after the contracts: a scenario may mark a hash as being constructed */
    if (!rc && storage) {
        size_t n;
        want_slot *ws = slots_of(s, storage, &n);
        for (size_t j = 0; j < n; j++)
            eravm_memworld_set_storage(s->world, ws[j].address, ws[j].key, ws[j].value);
        free(ws);
    }
    for (i = 0; i < nsteps && !rc; i++)
        run_step(s, (int)i + 1, &plans[i]);
    for (i = 0; i < nsteps; i++)
        free(plans[i].calldata);
    free(plans);
    if (rc)
        return rc;
    if (s->failures) {
        printf("%d mismatch%s\n", s->failures, s->failures == 1 ? "" : "es");
        return 1;
    }
    printf("all %zu step%s match\n", nsteps, nsteps == 1 ? "" : "s");
    return 0;
}

int tool_scenario(int argc, char **argv)
{
    const char *file = NULL, *max_memory = NULL;
    int engine = tool_engine_default();
    if (engine < 0)
        return 2;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--engine") || !strcmp(argv[i], "--max-memory")) {
            if (i + 1 >= argc)
                return tool_die("scenario: %s needs a value", argv[i]);
            if (!strcmp(argv[i++], "--max-memory"))
                max_memory = argv[i];
            else if ((engine = tool_engine(argv[i])) < 0)
                return tool_die("scenario: --engine is fast, counting or simple, not '%s'", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return tool_die("scenario: unknown option '%s' (see eravm --help)", argv[i]);
        } else if (file) {
            return tool_die("scenario: more than one file given ('%s')", argv[i]);
        } else {
            file = argv[i];
        }
    }
    if (!file)
        return tool_die("scenario: no file given%s", "");
    if (!tool_set_memory_limit(max_memory))
        return tool_die("scenario: --max-memory wants a size such as 512M or 4G (0 = no limit), not '%s'",
                        max_memory);
    uint8_t *text;
    size_t n;
    char err[512];
    if (eravm_read_file(file, &text, &n, err, sizeof err)) {
        fprintf(stderr, "eravm: %s\n", err);
        return 2;
    }
    json_error_t je;
    /* a repeated key would silently replace the first */
    json_t *root = json_loadb((const char *)text, n, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!root) {
        fprintf(stderr, "eravm: %s:%d:%d: bad JSON: %s\n", file, je.line, je.column, je.text);
        return 2;
    }
    scen s;
    memset(&s, 0, sizeof s);
    s.file = file;
    s.engine = engine;
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", file);
    snprintf(s.dir, sizeof s.dir, "%s", dirname(tmp));
    s.world = eravm_memworld_new();
    s.names = json_object();
    int rc = deploy_and_run(&s, root);
    json_decref(s.names);
    json_decref(root);
    eravm_memworld_free(s.world);
    return rc;
}
