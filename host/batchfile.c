/* host/batchfile.c — the JSON transaction format of `eravm batch` and the
 * scripted full-tier workloads (see batchfile.h): strict parsing, call data
 * from signatures, building and running entries, results and expectations. */
#include "batchfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "tx.h"
#include "bytecode.h"
#include "events.h"
#include "xalloc.h"

/* ---- small formatting and parsing helpers ---- */

static char *bf_hex(const uint8_t *p, size_t n)
{
    char *s = xmalloc(2 * n + 3);
    s[0] = '0';
    s[1] = 'x';
    for (size_t i = 0; i < n; i++)
        snprintf(s + 2 + 2 * i, 3, "%02x", p[i]);
    s[2 + 2 * n] = 0;
    return s;
}

static const char *data_dir(void)
{
    const char *d = getenv("ERAVM_DATA");
    return d && *d ? d : "../shared/data";
}

int bf_load_code(const char *path, uint8_t **code, size_t *len, char *err, size_t errn)
{
    if (eravm_load_code_or_source(path, code, len, err, errn) != 0)
        return -1;
    char why[200];
    /* upstream cuts benchmark files to an odd word count before deploying */
    if (eravm_check_container(len, 1, why, sizeof why) != 0) {
        snprintf(err, errn, "%.300s: %s", path, why);
        free(*code);
        return -1;
    }
    return 0;
}

/* ---- results ---- */

static char *hexs(u256 v)
{
    char b[80];
    u256_to_hex(v, b, sizeof b);
    return strdup(b);
}

/* Slots whose value the transaction changed: after vs before. */
static json_t *storage_diff(const eravm_slot *before, size_t nb, const eravm_slot *after,
                            size_t na)
{
    json_t *sw = json_object();
    size_t j = 0;
    for (size_t i = 0; i < na; i++) {
        const eravm_slot *s = &after[i];
        while (j < nb && (u256_cmp(before[j].address, s->address) < 0 ||
                          (u256_eq(before[j].address, s->address) &&
                           u256_cmp(before[j].key, s->key) < 0)))
            j++;
        if (j < nb && u256_eq(before[j].address, s->address) && u256_eq(before[j].key, s->key) &&
            u256_eq(before[j].value, s->value))
            continue;
        char a[43], k[80], v[80];
        abi_address_hex(s->address, a);
        a[42] = 0;
        u256_to_hex(s->key, k, sizeof k);
        u256_to_hex(s->value, v, sizeof v);
        json_t *m = json_object_get(sw, a);
        if (!m) {
            m = json_object();
            json_object_set_new(sw, a, m);
        }
        json_object_set_new(m, k, json_string(v));
    }
    return sw;
}

static json_t *events_json(chain *c, const chain_result *r)
{
    size_t n, ne;
    const eravm_log *raw = eravm_vm_events(chain_vm(c), &n);
    host_event *ev = host_events_merge(raw + r->run.events_from,
                                       r->run.events_to - r->run.events_from, &ne);
    json_t *arr = json_array();
    for (size_t i = 0; i < ne; i++) {
        char a[43];
        abi_address_hex(ev[i].address, a);
        a[42] = 0;
        json_t *topics = json_array();
        for (unsigned t = 0; t < ev[i].ntopics; t++) {
            char *h = hexs(ev[i].topics[t]);
            json_array_append_new(topics, json_string(h));
            free(h);
        }
        char *d = bf_hex(ev[i].data, ev[i].len);
        json_array_append_new(arr, json_pack("{s:s,s:o,s:s}", "address", a, "topics", topics,
                                             "data", d));
        free(d);
    }
    host_events_free(ev, ne);
    return arr;
}

static json_t *l2l1_json(chain *c, const chain_result *r)
{
    size_t n;
    const eravm_log *l = eravm_vm_l2l1_logs(chain_vm(c), &n);
    json_t *arr = json_array();
    for (size_t i = r->run.l2l1_from; i < r->run.l2l1_to && i < n; i++) {
        char a[43];
        abi_address_hex(l[i].address, a);
        a[42] = 0;
        char *k = hexs(l[i].key), *v = hexs(l[i].value);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:b,s:i}", "address", a, "key", k,
                                             "value", v, "is_service", l[i].first, "tx_number",
                                             l[i].tx_number));
        free(k);
        free(v);
    }
    return arr;
}

/* The per-transaction object every full-tier command prints. */
json_t *bf_tx_json(chain *c, const chain_result *r, const eravm_slot *before, size_t nb)
{
    json_t *o = json_object();
    json_object_set_new(o, "tx_status", json_string(boot_status_name(r->run.status)));
    json_object_set_new(o, "revert_reason", json_string(r->run.reason));
    if (r->deploy) {
        char a[43];
        abi_address_hex(r->deployed_address, a);
        a[42] = 0;
        json_object_set_new(o, "deployed_address", json_string(a));
    }
    json_object_set_new(o, "ergs_used", json_integer(r->run.ergs_used));
    json_object_set_new(o, "gas_used", json_integer((json_int_t)r->run.gas_used));
    json_object_set_new(o, "instructions", json_integer((json_int_t)r->run.instructions));
    char *out = bf_hex(r->run.output, r->run.output_len);
    json_object_set_new(o, "return_data", json_string(out));
    free(out);
    char *h = hexs(r->tx_hash);
    json_object_set_new(o, "tx_hash", json_string(h));
    free(h);
    json_object_set_new(o, "pubdata", json_integer(r->run.pubdata));
    size_t na;
    eravm_slot *after = eravm_vm_storage_writes(chain_vm(c), &na);
    json_object_set_new(o, "storage_writes", storage_diff(before, nb, after, na));
    free(after);
    json_object_set_new(o, "events", events_json(c, r));
    json_object_set_new(o, "l2_l1_logs", l2l1_json(c, r));
    return o;
}


/* ---- the format ---- */

static int berr(bf_ctx *b, const char *path, const char *fmt, const char *what);
static int only_keys(bf_ctx *b, json_t *o, const char *path, const char *allowed);
static int get_u64(bf_ctx *b, json_t *v, const char *path, uint64_t *out);

typedef struct {
    char name[64];
    u256 address;
} batch_name;

struct bf_ctx {
    char *file;
    chain *c;
    batch_name *names; /* named deploys */
    size_t nnames;
    batch_name *vars;  /* $variables */
    size_t nvars;
    uint64_t nonce;    /* CHAIN_AUTO_NONCE, or the nonce entries without one get */
    char err[600];
};

typedef bf_ctx batch_ctx;

bf_ctx *bf_new(chain *c, const char *file)
{
    bf_ctx *b = xcalloc(1, sizeof *b);
    b->c = c;
    b->file = strdup(file);
    b->nonce = CHAIN_AUTO_NONCE;
    return b;
}

void bf_free(bf_ctx *b)
{
    if (!b)
        return;
    free(b->names);
    free(b->vars);
    free(b->file);
    free(b);
}

const char *bf_error(const bf_ctx *b)
{
    return b->err;
}

void bf_set_nonce(bf_ctx *b, uint64_t nonce)
{
    b->nonce = nonce;
}

void bf_set_var(bf_ctx *b, const char *name, u256 value)
{
    for (size_t i = 0; i < b->nvars; i++)
        if (!strcmp(b->vars[i].name, name)) {
            b->vars[i].address = value;
            return;
        }
    b->vars = xrealloc(b->vars, (b->nvars + 1) * sizeof *b->vars);
    snprintf(b->vars[b->nvars].name, sizeof b->vars[0].name, "%s", name);
    b->vars[b->nvars++].address = value;
}

json_t *bf_load(const char *file, const char *allowed, unsigned *nkeys, char *err, size_t errn)
{
    json_error_t je;
    json_t *root = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errn, "%s:%d: %s", file, je.line, je.text);
        return NULL;
    }
    bf_ctx b = {.file = (char *)file};
    uint64_t n = 1;
    json_t *keys = json_object_get(root, "keys");
    if (!json_is_object(root)) {
        berr(&b, "$", "%s", "the top level must be an object");
    } else if (only_keys(&b, root, "$", allowed) == 0 && keys &&
               (get_u64(&b, keys, "$.keys", &n) != 0 || !n || n > CHAIN_MAX_KEYS) && !b.err[0]) {
        berr(&b, "$.keys", "%s", "is 1 to 16");
    }
    if (b.err[0]) {
        snprintf(err, errn, "%s", b.err);
        json_decref(root);
        return NULL;
    }
    *nkeys = (unsigned)n;
    return root;
}

/* "$name": a variable's value. */
static bool get_var(const bf_ctx *b, const char *s, u256 *out)
{
    if (s[0] != '$')
        return false;
    for (size_t i = 0; i < b->nvars; i++)
        if (!strcmp(b->vars[i].name, s + 1)) {
            *out = b->vars[i].address;
            return true;
        }
    return false;
}

static int berr(bf_ctx *b, const char *path, const char *fmt, const char *what)
{
    snprintf(b->err, sizeof b->err, "%s: %s: ", b->file, path);
    size_t n = strlen(b->err);
    snprintf(b->err + n, sizeof b->err - n, fmt, what);
    return -1;
}

/* Only the keys listed (space-separated) may appear in an object. */
static int only_keys(bf_ctx *b, json_t *o, const char *path, const char *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        char pat[80];
        snprintf(pat, sizeof pat, " %s ", k);
        char list[600];
        snprintf(list, sizeof list, " %s ", allowed);
        if (!strstr(list, pat)) {
            char p[300];
            snprintf(p, sizeof p, "%s.%s", path, k);
            return berr(b, p, "unknown key (allowed: %s)", allowed);
        }
    }
    return 0;
}

/* A number: JSON integer >= 0 or a decimal/0x string; "-N" as two's
 * complement when negative is allowed (int ABI arguments). */
/* Values are expressions, evaluated mod 2^256:
 *   expr   := ['-'] term (('+' | '-') term)*
 *   term   := factor ('*' factor)*
 *   factor := NUMBER ['^' NUMBER] | '$'VAR | NAME | key:N | map(expr, expr) | '(' expr ')'
 * NUMBER is decimal or 0x-hex, NAME a named deploy, key:N a funded key's
 * address, map(k, s) the storage key of mapping slot s at key k (Solidity:
 * keccak256(k ‖ s)). So a check can say "map(key:0, 0)": "2^128-1-$i". */
typedef struct {
    bf_ctx *b;
    const char *p;
    char why[160];
} bf_expr;

static bool expr_sum(bf_expr *e, u256 *out);

static void skip_ws(bf_expr *e)
{
    while (*e->p == ' ')
        e->p++;
}

static bool expr_fail(bf_expr *e, const char *why)
{
    if (!e->why[0])
        snprintf(e->why, sizeof e->why, "%s at '%.20s'", why, e->p);
    return false;
}

static bool expr_factor(bf_expr *e, u256 *out)
{
    skip_ws(e);
    const char *s = e->p;
    if (*s == '(') {
        e->p++;
        if (!expr_sum(e, out))
            return false;
        skip_ws(e);
        if (*e->p != ')')
            return expr_fail(e, "')' expected");
        e->p++;
        return true;
    }
    if (!strncmp(s, "map(", 4)) {
        u256 k, slot;
        e->p += 4;
        if (!expr_sum(e, &k))
            return false;
        skip_ws(e);
        if (*e->p++ != ',')
            return expr_fail(e, "',' expected in map(key, slot)");
        if (!expr_sum(e, &slot))
            return false;
        skip_ws(e);
        if (*e->p++ != ')')
            return expr_fail(e, "')' expected in map(key, slot)");
        *out = tx_mapping_key(k, slot);
        return true;
    }
    size_t n = 0;
    while (s[n] && (s[n] == '$' || s[n] == '_' || s[n] == ':' || s[n] == '/' || s[n] == '.' ||
                    (s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'z') ||
                    (s[n] >= 'A' && s[n] <= 'Z')))
        n++;
    if (!n)
        return expr_fail(e, "a number, $variable or name expected");
    char tok[96];
    if (n >= sizeof tok)
        return expr_fail(e, "token too long");
    memcpy(tok, s, n);
    tok[n] = 0;
    e->p += n;
    bf_ctx *b = e->b;
    if (tok[0] == '$') {
        if (!get_var(b, tok, out)) {
            snprintf(e->why, sizeof e->why, "'%s' is no variable here", tok);
            return false;
        }
    } else if (tok[0] >= '0' && tok[0] <= '9') {
        if (!u256_parse(tok, n, out))
            return expr_fail(e, "not a number");
    } else if (!strncmp(tok, "key:", 4)) {
        char *end;
        unsigned long k = strtoul(tok + 4, &end, 10);
        if (*end || k >= CHAIN_MAX_KEYS || u256_is_zero(chain_key_address(b->c, (unsigned)k)))
            return expr_fail(e, "no such funded key");
        *out = chain_key_address(b->c, (unsigned)k);
    } else {
        size_t i = 0;
        while (i < b->nnames && strcmp(b->names[i].name, tok))
            i++;
        if (i == b->nnames) {
            snprintf(e->why, sizeof e->why, "'%s' is not a deployed name, key:N, $variable or number",
                     tok);
            return false;
        }
        *out = b->names[i].address;
    }
    skip_ws(e);
    if (*e->p == '^') { /* a power of a number: 2^128 */
        e->p++;
        u256 ex;
        if (!expr_factor(e, &ex))
            return false;
        if (!u256_fits_u32(ex) || ex.w[0] > 256)
            return expr_fail(e, "exponent too large");
        u256 r = u256_from_u64(1), hi;
        for (uint64_t i = 0; i < ex.w[0]; i++)
            r = u256_mul(r, *out, &hi);
        *out = r;
    }
    return true;
}

static bool expr_term(bf_expr *e, u256 *out)
{
    if (!expr_factor(e, out))
        return false;
    for (;;) {
        skip_ws(e);
        if (*e->p != '*')
            return true;
        e->p++;
        u256 x, hi;
        if (!expr_factor(e, &x))
            return false;
        *out = u256_mul(*out, x, &hi);
    }
}

static bool expr_sum(bf_expr *e, u256 *out)
{
    skip_ws(e);
    bool neg = *e->p == '-';
    if (neg)
        e->p++;
    if (!expr_term(e, out))
        return false;
    if (neg)
        *out = u256_neg(*out);
    for (;;) {
        skip_ws(e);
        char op = *e->p;
        if (op != '+' && op != '-')
            return true;
        e->p++;
        u256 x;
        if (!expr_term(e, &x))
            return false;
        *out = op == '+' ? u256_add(*out, x, NULL) : u256_sub(*out, x, NULL);
    }
}

/* A number: a JSON integer or an expression string. */
static int get_u256(bf_ctx *b, json_t *v, const char *path, bool negative, u256 *out)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = u256_from_u64((uint64_t)json_integer_value(v));
        return 0;
    }
    if (json_is_integer(v) && negative) {
        *out = u256_neg(u256_from_u64((uint64_t)-json_integer_value(v)));
        return 0;
    }
    if (!json_is_string(v))
        return berr(b, path, "%s", "wants a number (integer, or a decimal or 0x string)");
    const char *s = json_string_value(v);
    if (!negative && s[0] == '-')
        return berr(b, path, "'%s' is negative; only intN arguments may be", s);
    bf_expr e = {.b = b, .p = s};
    if (!expr_sum(&e, out))
        return berr(b, path, "%s", e.why);
    skip_ws(&e);
    if (*e.p)
        return berr(b, path, "'%s' is not a number or expression", s);
    return 0;
}

static int get_u64(bf_ctx *b, json_t *v, const char *path, uint64_t *out)
{
    u256 x;
    if (get_u256(b, v, path, false, &x) != 0)
        return -1;
    if (!u256_fits_u64(x))
        return berr(b, path, "%s", "is larger than 2^64-1");
    *out = x.w[0];
    return 0;
}

/* An address: a name given to an earlier deploy, "key:N" for a funded
 * key's address, or a number. */
static int get_address(batch_ctx *b, json_t *v, const char *path, u256 *out)
{
    if (get_u256(b, v, path, false, out) != 0)
        return -1;
    if (out->w[3] || (out->w[2] >> 32))
        return berr(b, path, "%s", "is wider than an address");
    return 0;
}

static int get_hex(batch_ctx *b, json_t *v, const char *path, uint8_t **out, size_t *len)
{
    if (!json_is_string(v))
        return berr(b, path, "%s", "wants a hex string");
    char why[300];
    const char *s = json_string_value(v);
    if (eravm_hex_decode(s, strlen(s), out, len, why, sizeof why) != 0)
        return berr(b, path, "%s", why);
    return 0;
}

/* Splits a parenthesised type list "a,(b,c),d" at its top-level commas;
 * returns the count or -1 (too many, too long, unbalanced). */
static int split_types(const char *p, size_t n, char out[][160], int max)
{
    int k = 0, depth = 0;
    size_t start = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] == '(')
            depth++;
        else if (i < n && p[i] == ')')
            depth--;
        if (depth < 0)
            return -1;
        if (i == n || (p[i] == ',' && depth == 0)) {
            if (k == max || i - start >= 160 || i == start)
                return -1;
            memcpy(out[k], p + start, i - start);
            out[k][i - start] = 0;
            k++;
            start = i + 1;
        }
    }
    return depth == 0 ? k : -1;
}

/* One argument of an elementary type into an ABI argument. */
static int get_arg(bf_ctx *b, const char *type, json_t *x, const char *ap, abi_arg *a,
                   uint8_t **buf)
{
    if (!strcmp(type, "bytes") || !strcmp(type, "string")) {
        size_t bl;
        if (!strcmp(type, "string") && json_is_string(x) && strncmp(json_string_value(x), "0x", 2)) {
            *buf = (uint8_t *)strdup(json_string_value(x));
            *a = abi_bytes(*buf, strlen(json_string_value(x)));
            return 0;
        }
        if (get_hex(b, x, ap, buf, &bl) != 0)
            return -1;
        *a = abi_bytes(*buf, bl);
        return 0;
    }
    u256 w;
    if (!strcmp(type, "bool") && json_is_boolean(x))
        w = u256_from_u64(json_is_true(x));
    else if (!strcmp(type, "address") ? get_address(b, x, ap, &w) != 0
                                      : get_u256(b, x, ap, !strncmp(type, "int", 3), &w) != 0)
        return -1;
    /* a negative intN is sign-extended already (two's complement) */
    *a = abi_word(w);
    return 0;
}

#define BF_MAX_ARGS 32

/* {"sig": "f(address,uint256)", "args": [...]}: call data from a signature
 * and arguments (addresses by name, numbers as expressions, hex for bytes).
 * A static tuple parameter, "f((address,uint24))", takes its components as
 * a nested array and is encoded in place, as Solidity passes a struct. */
static int get_calldata(batch_ctx *b, json_t *v, const char *path, bool selector, uint8_t **out,
                        size_t *len)
{
    if (json_is_string(v))
        return get_hex(b, v, path, out, len);
    if (!json_is_object(v))
        return berr(b, path, "%s", "wants hex or {\"sig\": ..., \"args\": [...]}");
    if (only_keys(b, v, path, "sig args") != 0)
        return -1;
    json_t *sig = json_object_get(v, "sig"), *args = json_object_get(v, "args");
    if (!json_is_string(sig))
        return berr(b, path, "%s", "needs \"sig\", a function signature such as f(uint256)");
    if (args && !json_is_array(args))
        return berr(b, path, "%s", "\"args\" must be an array");
    const char *s = json_string_value(sig), *open = strchr(s, '(');
    size_t sl = strlen(s);
    char params[BF_MAX_ARGS][160];
    int np = open && s[sl - 1] == ')'
                 ? split_types(open + 1, (size_t)(s + sl - 1 - (open + 1)), params, BF_MAX_ARGS)
                 : -1;
    if (np < 0)
        return berr(b, path, "'%s' is not a function signature this tool can encode", s);
    size_t n = args ? json_array_size(args) : 0;
    if (n != (size_t)np)
        return berr(b, path, "the signature takes %s arguments", np == 1 ? "1" : "that many");
    abi_arg a[BF_MAX_ARGS * 4];
    uint8_t *bufs[BF_MAX_ARGS * 4] = {0};
    size_t na = 0;
    bool tuple = false;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char ap[300];
        snprintf(ap, sizeof ap, "%s.args[%zu]", path, i);
        json_t *x = json_array_get(args, i);
        if (params[i][0] != '(') {
            rc = get_arg(b, params[i], x, ap, &a[na], &bufs[na]);
            na++;
            continue;
        }
        char comp[BF_MAX_ARGS][160];
        size_t pl = strlen(params[i]);
        int nc = split_types(params[i] + 1, pl - 2, comp, BF_MAX_ARGS);
        if (nc < 0 || !json_is_array(x) || json_array_size(x) != (size_t)nc ||
            na + (size_t)nc > sizeof a / sizeof a[0]) {
            rc = berr(b, ap, "%s", "a tuple argument is an array of its components");
            break;
        }
        for (int k = 0; k < nc && rc == 0; k++) {
            char cp[340];
            snprintf(cp, sizeof cp, "%s[%d]", ap, k);
            if (!strcmp(comp[k], "bytes") || !strcmp(comp[k], "string") || strchr(comp[k], '(') ||
                strchr(comp[k], '['))
                rc = berr(b, cp, "%s", "only static tuples (of words) can be encoded");
            else
                rc = get_arg(b, comp[k], json_array_get(x, (size_t)k), cp, &a[na], &bufs[na]);
            na++;
        }
        tuple = true;
    }
    if (rc == 0) {
        char why[300];
        /* a static tuple is its components in place: encode them flat and
         * put the selector of the real signature in front */
        if (abi_encode(selector && !tuple ? s : NULL, a, na, out, len, why, sizeof why) != 0) {
            rc = berr(b, path, "%s", why);
        } else if (selector && tuple) {
            uint8_t *with = xmalloc(*len + 4);
            uint32_t sel = abi_selector(s);
            with[0] = (uint8_t)(sel >> 24), with[1] = (uint8_t)(sel >> 16);
            with[2] = (uint8_t)(sel >> 8), with[3] = (uint8_t)sel;
            memcpy(with + 4, *out, *len);
            free(*out);
            *out = with;
            *len += 4;
        }
    }
    for (size_t i = 0; i < na; i++)
        free(bufs[i]);
    return rc;
}

/* A bytecode: a path (relative to the batch file, then $ERAVM_DATA) or hex;
 * or {"bytecode": ..., "code_hash": ...} to check the versioned hash a
 * provenance lists, so a changed artifact is refused, not run. */
static int load_path_code(batch_ctx *b, json_t *v, const char *path, uint8_t **code, size_t *len)
{
    json_t *want = NULL;
    char p[340];
    if (json_is_object(v)) {
        snprintf(p, sizeof p, "%s", path);
        if (only_keys(b, v, p, "bytecode code_hash") != 0)
            return -1;
        want = json_object_get(v, "code_hash");
        v = json_object_get(v, "bytecode");
        snprintf(p, sizeof p, "%s.bytecode", path);
        path = p;
    }
    if (!json_is_string(v))
        return berr(b, path, "%s", "wants a file path or hex bytecode");
    const char *s = json_string_value(v);
    char why[600];
    char full[4200] = "";
    if (!strncmp(s, "0x", 2)) {
        if (eravm_hex_decode(s, strlen(s), code, len, why, sizeof why) != 0)
            return berr(b, path, "%s", why);
    } else {
        const char *slash = strrchr(b->file, '/');
        if (s[0] != '/' && slash)
            snprintf(full, sizeof full, "%.*s/%s", (int)(slash - b->file), b->file, s);
        else
            snprintf(full, sizeof full, "%s", s);
        FILE *f = fopen(full, "rb");
        if (f)
            fclose(f);
        else if (s[0] != '/')
            snprintf(full, sizeof full, "%s/%s", data_dir(), s);
        if (bf_load_code(full, code, len, why, sizeof why) != 0)
            return berr(b, path, "%s", why);
    }
    if (want) {
        u256 w, got = eravm_code_hash(*code, *len);
        if (!json_is_string(want) || !u256_parse(json_string_value(want),
                                                 strlen(json_string_value(want)), &w)) {
            free(*code);
            *code = NULL;
            return berr(b, path, "%s", "code_hash wants a 0x versioned hash");
        }
        if (!u256_eq(w, got)) {
            char g[80];
            u256_to_hex(got, g, sizeof g);
            snprintf(why, sizeof why, "%s has versioned hash %s, not the %s its provenance lists",
                     full[0] ? full : "the bytecode", g, json_string_value(want));
            free(*code);
            *code = NULL;
            return berr(b, path, "%s", why);
        }
    }
    return 0;
}

/* Checks a transaction's expectations; appends mismatches to *diff. */
/* An expected event in the form the results use: the address as 40 hex
 * digits, topics as minimal hex words, data as hex bytes (an expression
 * there is one 32-byte word). NULL (bf_error) when a value is malformed. */
static json_t *normalize_event(bf_ctx *b, json_t *e, const char *path, size_t i)
{
    char p[400];
    snprintf(p, sizeof p, "%s.events[%zu]", path, i);
    if (!json_is_object(e) || only_keys(b, e, p, "address topics data") != 0) {
        if (!b->err[0] || !json_is_object(e))
            berr(b, p, "%s", "an event is {\"address\", \"topics\", \"data\"}");
        return NULL;
    }
    json_t *want = json_object();
    json_t *addr = json_object_get(e, "address"), *topics = json_object_get(e, "topics"),
           *data = json_object_get(e, "data");
    u256 a;
    snprintf(p, sizeof p, "%s.events[%zu].address", path, i);
    if (addr) {
        char hx[43];
        if (get_address(b, addr, p, &a) != 0)
            goto bad;
        abi_address_hex(a, hx);
        hx[42] = 0;
        json_object_set_new(want, "address", json_string(hx));
    }
    if (topics) {
        if (!json_is_array(topics))
            goto bad;
        json_t *t = json_array(), *x;
        size_t k;
        json_array_foreach(topics, k, x)
        {
            char tp[440], hx[80];
            snprintf(tp, sizeof tp, "%s.events[%zu].topics[%zu]", path, i, k);
            if (get_u256(b, x, tp, false, &a) != 0) {
                json_decref(t);
                goto bad;
            }
            u256_to_hex(a, hx, sizeof hx);
            json_array_append_new(t, json_string(hx));
        }
        json_object_set_new(want, "topics", t);
    }
    if (data) {
        const char *d = json_string_value(data);
        snprintf(p, sizeof p, "%s.events[%zu].data", path, i);
        if (d && !strncmp(d, "0x", 2) && strlen(d) != 66) {
            json_object_set_new(want, "data", json_string(d));
        } else {
            uint8_t w[32];
            if (get_u256(b, data, p, false, &a) != 0)
                goto bad;
            u256_to_be(a, w);
            char *hx = bf_hex(w, 32);
            json_object_set_new(want, "data", json_string(hx));
            free(hx);
        }
    }
    return want;
bad:
    if (!b->err[0])
        berr(b, p, "%s", "is malformed");
    json_decref(want);
    return NULL;
}

void bf_check(bf_ctx *b, json_t *ex, const char *path, const chain_result *r, json_t *out,
              int *bad)
{
    const char *st = json_string_value(json_object_get(ex, "status"));
    if (st && strcmp(st, boot_status_name(r->run.status))) {
        fprintf(stderr, "%s: %s.status: expected %s, got %s (%s)\n", b->file, path, st,
                boot_status_name(r->run.status), r->run.reason);
        (*bad)++;
    }
    json_t *rd = json_object_get(ex, "return_data");
    if (rd && strcmp(json_string_value(rd), json_string_value(json_object_get(out, "return_data")))) {
        fprintf(stderr, "%s: %s.return_data: expected %s, got %s\n", b->file, path,
                json_string_value(rd), json_string_value(json_object_get(out, "return_data")));
        (*bad)++;
    }
    const char *reason = json_string_value(json_object_get(ex, "reason"));
    if (reason && !strstr(r->run.reason, reason)) {
        fprintf(stderr, "%s: %s.reason: expected it to contain '%s', got '%s'\n", b->file, path,
                reason, r->run.reason);
        (*bad)++;
    }
    json_t *storage = json_object_get(ex, "storage");
    const char *an;
    json_t *m;
    json_object_foreach(storage, an, m)
    {
        char p[400];
        snprintf(p, sizeof p, "%s.storage.%s", path, an);
        u256 addr;
        json_t *as = json_string(an);
        int rc = get_address(b, as, p, &addr);
        json_decref(as);
        if (rc != 0) {
            fprintf(stderr, "%s\n", b->err);
            (*bad)++;
            continue;
        }
        const char *kn;
        json_t *vv;
        json_object_foreach(m, kn, vv)
        {
            u256 key, want;
            json_t *ks = json_string(kn);
            char kp[500];
            snprintf(kp, sizeof kp, "%s.%s", p, kn);
            int r1 = get_u256(b, ks, kp, false, &key);
            json_decref(ks);
            if (r1 != 0 || get_u256(b, vv, kp, false, &want) != 0) {
                fprintf(stderr, "%s\n", b->err);
                (*bad)++;
                continue;
            }
            u256 got = chain_storage(b->c, addr, key);
            if (!u256_eq(got, want)) {
                char g[80], w[80];
                u256_to_hex(got, g, sizeof g);
                u256_to_hex(want, w, sizeof w);
                fprintf(stderr, "%s: %s: expected %s, got %s\n", b->file, kp, w, g);
                (*bad)++;
            }
        }
    }
    /* each expected event must be among the transaction's events */
    json_t *events = json_object_get(ex, "events"), *have = json_object_get(out, "events");
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e)
    {
        bool found = false;
        size_t j;
        json_t *h;
        json_t *want = normalize_event(b, e, path, i);
        if (!want) {
            fprintf(stderr, "%s\n", b->err);
            (*bad)++;
            continue;
        }
        json_array_foreach(have, j, h)
        {
            bool match = true;
            const char *k;
            json_t *wv;
            json_object_foreach(want, k, wv) if (!json_equal(wv, json_object_get(h, k))) match =
                false;
            if (match)
                found = true;
        }
        json_decref(want);
        if (!found) {
            char *s = json_dumps(e, JSON_COMPACT);
            fprintf(stderr, "%s: %s.events[%zu]: no such event in the transaction: %s\n", b->file,
                    path, i, s);
            free(s);
            (*bad)++;
        }
    }
}

static int validate_tx(batch_ctx *b, json_t *tx, const char *path)
{
    if (!json_is_object(tx))
        return berr(b, path, "%s", "each transaction is an object");
    if (only_keys(b, tx, path,
                  "kind name from nonce gas_limit trusted_gas_limit value signature bytecode "
                  "args factory_deps to calldata expect") != 0)
        return -1;
    json_t *ex = json_object_get(tx, "expect");
    char p[300];
    snprintf(p, sizeof p, "%s.expect", path);
    if (ex && (!json_is_object(ex) ||
               only_keys(b, ex, p, "status return_data reason storage events") != 0))
        return json_is_object(ex) ? -1 : berr(b, p, "%s", "must be an object");
    const char *st = json_string_value(json_object_get(ex, "status"));
    if (json_object_get(ex, "status") &&
        (!st || (strcmp(st, "success") && strcmp(st, "revert") && strcmp(st, "halt"))))
        return berr(b, p, "%s", "status is success, revert or halt");
    json_t *storage = json_object_get(ex, "storage"), *events = json_object_get(ex, "events");
    if (storage && !json_is_object(storage))
        return berr(b, p, "%s", "storage is an object {address: {key: value}}");
    const char *an;
    json_t *m;
    json_object_foreach(storage, an, m) if (!json_is_object(m)) return berr(
        b, p, "storage.%s must be an object {key: value}", an);
    if (events && !json_is_array(events))
        return berr(b, p, "%s", "events is an array of {address, topics, data}");
    return 0;
}

/* A read-only call between transactions (eth_call): its return data is what
 * an expectation can check, since a transaction's own result is only what
 * the account's executeTransaction returns. */
static int run_call(batch_ctx *b, json_t *tx, const char *path, json_t *results, int *bad)
{
    char p[300];
    json_t *v;
    u256 to, from = chain_key_address(b->c, 0);
    snprintf(p, sizeof p, "%s.to", path);
    if (!(v = json_object_get(tx, "to")))
        return berr(b, path, "%s", "a call needs \"to\"");
    if (get_address(b, v, p, &to) != 0)
        return -1;
    if ((v = json_object_get(tx, "from"))) {
        uint64_t k;
        snprintf(p, sizeof p, "%s.from", path);
        if (get_u64(b, v, p, &k) != 0)
            return -1;
        if (k >= CHAIN_MAX_KEYS || u256_is_zero(chain_key_address(b->c, (unsigned)k)))
            return berr(b, p, "%s", "names no funded key");
        from = chain_key_address(b->c, (unsigned)k);
    }
    const char *other[] = {"nonce", "gas_limit", "trusted_gas_limit", "value", "signature",
                           "bytecode", "args", "factory_deps"};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        if (json_object_get(tx, other[i]))
            return berr(b, path, "a call takes no \"%s\"", other[i]);
    uint8_t *cd = NULL, *out = NULL;
    size_t ncd = 0, nout = 0;
    snprintf(p, sizeof p, "%s.calldata", path);
    if ((v = json_object_get(tx, "calldata")) && get_calldata(b, v, p, true, &cd, &ncd) != 0)
        return -1;
    eravm_status st;
    char err[400];
    int rc = chain_call(b->c, from, to, cd, ncd, &st, &out, &nout, err, sizeof err);
    free(cd);
    if (rc != 0)
        return berr(b, path, "%s", err);
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string("call"));
    json_object_set_new(o, "tx_status", json_string(st == ERAVM_OK ? "success" : "revert"));
    char reason[256] = "";
    if (st == ERAVM_PANIC)
        snprintf(reason, sizeof reason, "panic");
    else if (st == ERAVM_REVERT)
        boot_revert_text(chain_syscon(b->c), out, nout, reason, sizeof reason);
    json_object_set_new(o, "revert_reason", json_string(reason));
    char *hex = bf_hex(out, nout);
    json_object_set_new(o, "return_data", json_string(hex));
    free(hex);
    json_t *ex = json_object_get(tx, "expect");
    if (ex) {
        chain_result r;
        memset(&r, 0, sizeof r);
        r.run.status = st == ERAVM_OK ? BOOT_SUCCESS : BOOT_REVERT;
        snprintf(r.run.reason, sizeof r.run.reason, "%s", reason);
        bf_check(b, ex, path, &r, o, bad);
    }
    /* a named call binds the address it returns (a factory's getPool) */
    const char *name = json_string_value(json_object_get(tx, "name"));
    if (name && st == ERAVM_OK && nout >= 32 && strlen(name) < sizeof b->names[0].name) {
        u256 a = u256_from_be(out);
        a.w[3] = 0;
        a.w[2] &= 0xFFFFFFFFull;
        b->names = xrealloc(b->names, (b->nnames + 1) * sizeof *b->names);
        snprintf(b->names[b->nnames].name, sizeof b->names[0].name, "%s", name);
        b->names[b->nnames++].address = a;
        json_object_set_new(o, "name", json_string(name));
    }
    free(out);
    json_array_append_new(results, o);
    return 0;
}

/* The sender's options of an entry: key, nonce, limits, value, signature. */
static int tx_opts(bf_ctx *b, json_t *tx, const char *path, chain_tx_opts *t)
{
    chain_tx_defaults(t);
    t->nonce = b->nonce;
    json_t *v;
    char p[300];
#define FIELD(NAME) (snprintf(p, sizeof p, "%s." NAME, path), v = json_object_get(tx, NAME))
    if (FIELD("from")) {
        uint64_t k;
        if (get_u64(b, v, p, &k) != 0)
            return -1;
        t->key = (unsigned)k;
    }
    if (FIELD("nonce") && get_u64(b, v, p, &t->nonce) != 0)
        return -1;
    if (FIELD("gas_limit") && get_u64(b, v, p, &t->gas_limit) != 0)
        return -1;
    if (FIELD("trusted_gas_limit") && get_u64(b, v, p, &t->trusted_gas_limit) != 0)
        return -1;
    if (FIELD("value") && get_u256(b, v, p, false, &t->value) != 0)
        return -1;
    if (FIELD("signature")) {
        const char *s = json_string_value(v);
        if (s && !strcmp(s, "none"))
            t->unsigned_tx = true;
        else if (s && !strncmp(s, "key:", 4))
            t->sign_with = atoi(s + 4);
        else
            return berr(b, p, "%s", "is \"none\" (unsigned) or \"key:N\" (signed by another key)");
    }
#undef FIELD
    return 0;
}

/* An entry's "factory_deps": the bytecodes, loaded (free with free_deps). */
typedef struct {
    chain_code code[64];
    uint8_t *buf[64];
    size_t n;
} bf_deps;

static int load_deps(bf_ctx *b, json_t *tx, const char *path, bf_deps *d)
{
    d->n = 0;
    json_t *fd = json_object_get(tx, "factory_deps");
    if (fd && (!json_is_array(fd) || json_array_size(fd) > 64))
        return berr(b, path, "%s", "factory_deps is an array of at most 64 bytecodes");
    for (size_t i = 0; fd && i < json_array_size(fd); i++) {
        char p[300];
        size_t dl;
        snprintf(p, sizeof p, "%s.factory_deps[%zu]", path, i);
        if (load_path_code(b, json_array_get(fd, i), p, &d->buf[i], &dl) != 0)
            return -1;
        d->code[i] = (chain_code){d->buf[i], dl};
        d->n++;
    }
    return 0;
}

static void free_deps(bf_deps *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->buf[i]);
    d->n = 0;
}

static int build_deploy(bf_ctx *b, json_t *tx, const char *path, const chain_tx_opts *t,
                        chain_tx **out)
{
    uint8_t *code = NULL, *args = NULL;
    size_t len = 0, nargs = 0;
    bf_deps d = {.n = 0};
    char p[300];
    json_t *v = json_object_get(tx, "bytecode");
    snprintf(p, sizeof p, "%s.bytecode", path);
    int rc = v ? load_path_code(b, v, p, &code, &len)
               : berr(b, path, "%s", "a deploy needs \"bytecode\"");
    snprintf(p, sizeof p, "%s.args", path);
    if (rc == 0 && (v = json_object_get(tx, "args")))
        rc = get_calldata(b, v, p, false, &args, &nargs);
    if (rc == 0)
        rc = load_deps(b, tx, path, &d);
    char err[600];
    if (rc == 0 && chain_build_deploy(b->c, t, (chain_code){code, len}, args, nargs, d.code, d.n,
                                      out, err, sizeof err) != 0)
        rc = berr(b, path, "%s", err);
    free(code);
    free(args);
    free_deps(&d);
    return rc;
}

int bf_build(bf_ctx *b, json_t *tx, const char *path, chain_tx **out)
{
    if (validate_tx(b, tx, path) != 0)
        return -1;
    const char *kind = json_string_value(json_object_get(tx, "kind"));
    if (!kind || (strcmp(kind, "deploy") && strcmp(kind, "execute") && strcmp(kind, "transfer")))
        return berr(b, path, "%s", "needs \"kind\": deploy, execute or transfer");
    const char *name = json_string_value(json_object_get(tx, "name"));
    if (json_object_get(tx, "name") && (!name || strlen(name) >= sizeof b->names[0].name))
        return berr(b, path, "%s", "\"name\" must be a string of at most 63 characters");
    chain_tx_opts t;
    if (tx_opts(b, tx, path, &t) != 0)
        return -1;
    if (!strcmp(kind, "deploy"))
        return build_deploy(b, tx, path, &t, out);
    u256 to = u256_zero();
    uint8_t *cd = NULL;
    size_t ncd = 0;
    char p[300], err[600];
    json_t *v;
    int rc = 0;
    snprintf(p, sizeof p, "%s.to", path);
    if ((v = json_object_get(tx, "to")))
        rc = get_address(b, v, p, &to);
    else if (!strcmp(kind, "execute"))
        rc = berr(b, path, "%s", "an execute needs \"to\"");
    snprintf(p, sizeof p, "%s.calldata", path);
    if (rc == 0 && (v = json_object_get(tx, "calldata"))) {
        if (!strcmp(kind, "transfer"))
            rc = berr(b, p, "%s", "a transfer has no calldata");
        else
            rc = get_calldata(b, v, p, true, &cd, &ncd);
    }
    bf_deps d = {.n = 0};
    if (rc == 0 && json_object_get(tx, "factory_deps") && !strcmp(kind, "transfer"))
        rc = berr(b, path, "%s", "a transfer carries no factory_deps");
    if (rc == 0)
        rc = load_deps(b, tx, path, &d);
    if (rc == 0) {
        rc = !strcmp(kind, "execute")
                 ? chain_build_execute(b->c, &t, to, cd, ncd, d.code, d.n, out, err, sizeof err)
                 : chain_build_transfer(b->c, &t, to, out, err, sizeof err);
        if (rc != 0)
            berr(b, path, "%s", err);
    }
    free_deps(&d);
    free(cd);
    return rc;
}

bool bf_lookup(const bf_ctx *b, const char *name, u256 *address)
{
    for (size_t i = 0; i < b->nnames; i++)
        if (!strcmp(b->names[i].name, name)) {
            *address = b->names[i].address;
            return true;
        }
    return false;
}

bool bf_name_of(const bf_ctx *b, u256 address, char *buf, size_t n)
{
    for (size_t i = 0; i < b->nnames; i++)
        if (u256_eq(b->names[i].address, address)) {
            snprintf(buf, n, "%s", b->names[i].name);
            return true;
        }
    return false;
}

void bf_after_run(bf_ctx *b, json_t *tx, const chain_result *r)
{
    const char *name = json_string_value(json_object_get(tx, "name"));
    if (!name || !r->deploy || r->run.status != BOOT_SUCCESS)
        return;
    b->names = xrealloc(b->names, (b->nnames + 1) * sizeof *b->names);
    snprintf(b->names[b->nnames].name, sizeof b->names[0].name, "%s", name);
    b->names[b->nnames++].address = r->deployed_address;
}

int bf_run(bf_ctx *b, json_t *tx, const char *path, json_t *results, int *bad)
{
    if (validate_tx(b, tx, path) != 0)
        return -1;
    const char *kind = json_string_value(json_object_get(tx, "kind"));
    if (kind && !strcmp(kind, "call"))
        return run_call(b, tx, path, results, bad);
    chain_tx *ct;
    if (bf_build(b, tx, path, &ct) != 0)
        return -1;
    size_t nb;
    eravm_slot *before = eravm_vm_storage_writes(chain_vm(b->c), &nb);
    chain_result r;
    char err[600];
    int rc = chain_run(b->c, ct, &r, err, sizeof err);
    chain_tx_free(ct);
    if (rc != 0) {
        free(before);
        return berr(b, path, "%s", err);
    }
    bf_after_run(b, tx, &r);
    json_t *o = bf_tx_json(b->c, &r, before, nb);
    free(before);
    json_object_set_new(o, "kind", json_string(kind));
    const char *name = json_string_value(json_object_get(tx, "name"));
    if (name)
        json_object_set_new(o, "name", json_string(name));
    json_t *ex = json_object_get(tx, "expect");
    if (ex)
        bf_check(b, ex, path, &r, o, bad);
    json_array_append_new(results, o);
    chain_result_free(&r);
    return 0;
}
