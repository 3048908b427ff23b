/* host/record.c — writing and replaying full-tier recordings (format in
 * record.h). The writer is a set of observers on the world and the driver;
 * the replay is a world that answers from the transcript and a loop that
 * performs the host's actions in order, with no bootloader logic. */
#include "record.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bytecode.h"
#include "precompile.h"
#include "xalloc.h"

#define TRANSCRIPT_MAGIC "eravm-bench transcript 1"

struct rec_writer {
    FILE *t;
    char *dir;
    host_world *world;
    u256 *written; /* code hashes already in DIR/code */
    size_t nwritten, capwritten;
    bool failed;
};

static void hexw(FILE *f, u256 v)
{
    char b[80];
    u256_to_hex(v, b, sizeof b);
    fputs(b, f);
}

static void hexbytes(FILE *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", p[i]);
    if (!n)
        fputc('-', f); /* an empty byte string still takes a field */
}

static void write_code(rec_writer *r, u256 hash)
{
    for (size_t i = 0; i < r->nwritten; i++)
        if (u256_eq(r->written[i], hash))
            return;
    size_t len;
    const uint8_t *code = hw_code(r->world, hash, &len);
    if (!code)
        return;
    char name[80], path[4200];
    u256_to_hex(hash, name, sizeof name);
    snprintf(path, sizeof path, "%s/code/%s.bin", r->dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(code, 1, len, f) != len)
        r->failed = true;
    if (f && fclose(f) != 0)
        r->failed = true;
    if (r->nwritten == r->capwritten) {
        r->capwritten = r->capwritten ? r->capwritten * 2 : 64;
        r->written = xrealloc(r->written, r->capwritten * sizeof *r->written);
    }
    r->written[r->nwritten++] = hash;
}

/* ---- observers ---- */

static void ob_storage(void *ctx, u256 a, u256 k, u256 v, bool initial)
{
    rec_writer *r = ctx;
    fputs("storage ", r->t), hexw(r->t, a), fputc(' ', r->t), hexw(r->t, k), fputc(' ', r->t);
    hexw(r->t, v), fprintf(r->t, " %d\n", initial ? 1 : 0);
}

static void ob_code(void *ctx, u256 hash, bool known)
{
    rec_writer *r = ctx;
    fputs("code ", r->t), hexw(r->t, hash), fprintf(r->t, " %d\n", known ? 1 : 0);
    if (known)
        write_code(r, hash);
}

static void ob_cost(void *ctx, u256 initial, bool is_initial, u256 value, uint32_t cost)
{
    rec_writer *r = ctx;
    fputs("cost ", r->t), hexw(r->t, initial), fprintf(r->t, " %d ", is_initial ? 1 : 0);
    hexw(r->t, value), fprintf(r->t, " 0x%x\n", cost);
}

static void ob_free(void *ctx, u256 a, u256 k, bool is_free)
{
    rec_writer *r = ctx;
    fputs("free ", r->t), hexw(r->t, a), fputc(' ', r->t), hexw(r->t, k);
    fprintf(r->t, " %d\n", is_free ? 1 : 0);
}

static void ob_start(void *ctx, const eravm_settings *s, const eravm_call *c, u256 program)
{
    rec_writer *r = ctx;
    fputs("settings ", r->t), hexw(r->t, s->default_aa_hash), fputc(' ', r->t);
    hexw(r->t, s->evm_interpreter_hash);
    fprintf(r->t, " 0x%x %d\n", s->hook_address, s->hooks_enabled ? 1 : 0);
    fputs("start ", r->t), hexw(r->t, c->address), fputc(' ', r->t), hexw(r->t, c->caller);
    fprintf(r->t, " 0x%x 0x%x 0x%x ", c->ergs, c->heap_bound, c->exception_handler);
    hexw(r->t, program), fputc('\n', r->t);
    write_code(r, program);
}

static void ob_run(void *ctx)
{
    fputs("run\n", ((rec_writer *)ctx)->t);
}

static void ob_stop(void *ctx, const eravm_result *res)
{
    rec_writer *r = ctx;
    fprintf(r->t, "stop %s 0x%x 0x%llx 0x%x\n", eravm_status_name(res->status), res->hook_value,
            (unsigned long long)res->instructions, res->ergs_left);
}

static void ob_heap(void *ctx, uint32_t off, const uint8_t *bytes, size_t n)
{
    rec_writer *r = ctx;
    fprintf(r->t, "heap 0x%x ", off);
    hexbytes(r->t, bytes, n);
    fputc('\n', r->t);
}

static void ob_ergs(void *ctx, uint32_t ergs)
{
    fprintf(((rec_writer *)ctx)->t, "ergs 0x%x\n", ergs);
}

static void ob_snapshot(void *ctx, int op)
{
    static const char *const names[] = {"snapshot", "rollback", "pop"};
    fprintf(((rec_writer *)ctx)->t, "%s\n", names[op]);
}

static void ob_ecrecover(void *ctx, const uint8_t *input, u256 address)
{
    rec_writer *r = ctx;
    fputs("ecrecover ", r->t);
    hexbytes(r->t, input, 128);
    fputc(' ', r->t), hexw(r->t, address), fputc('\n', r->t);
}

hw_observer rec_world_observer(rec_writer *r)
{
    return (hw_observer){.ctx = r,
                         .storage = ob_storage,
                         .code = ob_code,
                         .cost = ob_cost,
                         .free_slot = ob_free};
}

boot_observer rec_boot_observer(rec_writer *r)
{
    return (boot_observer){.ctx = r,
                           .start = ob_start,
                           .run = ob_run,
                           .stop = ob_stop,
                           .heap_write = ob_heap,
                           .ergs = ob_ergs,
                           .snapshot = ob_snapshot,
                           .ecrecover = ob_ecrecover};
}

rec_writer *rec_open(const char *dir, host_world *world, char *err, size_t errn)
{
    char path[4200];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errn, "%s: cannot create the recording directory: %s", dir, strerror(errno));
        return NULL;
    }
    snprintf(path, sizeof path, "%s/code", dir);
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errn, "%s: cannot create: %s", path, strerror(errno));
        return NULL;
    }
    snprintf(path, sizeof path, "%s/transcript", dir);
    FILE *t = fopen(path, "w");
    if (!t) {
        snprintf(err, errn, "%s: cannot write: %s", path, strerror(errno));
        return NULL;
    }
    rec_writer *r = xcalloc(1, sizeof *r);
    r->t = t;
    r->dir = strdup(dir);
    r->world = world;
    fprintf(t, "%s\n", TRANSCRIPT_MAGIC);
    return r;
}

/* ---- the end state ---- */

static json_t *jhex(u256 v)
{
    char b[80];
    u256_to_hex(v, b, sizeof b);
    return json_string(b);
}

static json_t *jlogs(const eravm_log *l, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("[o,o,o,b,i]", jhex(l[i].address), jhex(l[i].key),
                                           jhex(l[i].value), l[i].first, (int)l[i].tx_number));
    return a;
}

char *rec_state_json(eravm_vm *vm, const eravm_result *last)
{
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string(eravm_status_name(last->status)));
    json_object_set_new(o, "instructions", json_integer((json_int_t)last->instructions));
    json_object_set_new(o, "ergs_left", json_integer(last->ergs_left));
    json_object_set_new(o, "pubdata", json_integer(eravm_vm_pubdata(vm)));
    size_t n;
    eravm_slot *w = eravm_vm_storage_writes(vm, &n);
    json_t *sw = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(sw, json_pack("[o,o,o]", jhex(w[i].address), jhex(w[i].key),
                                            jhex(w[i].value)));
    free(w);
    json_object_set_new(o, "storage_writes", sw);
    const eravm_log *ev = eravm_vm_events(vm, &n);
    json_object_set_new(o, "events", jlogs(ev, n));
    const eravm_log *l2 = eravm_vm_l2l1_logs(vm, &n);
    json_object_set_new(o, "l2_l1_logs", jlogs(l2, n));
    char *s = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

int rec_close(rec_writer *r, eravm_vm *vm, const eravm_result *last, char *err, size_t errn)
{
    int rc = 0;
    char path[4200];
    if (fclose(r->t) != 0 || r->failed) {
        snprintf(err, errn, "%s: writing the recording failed", r->dir);
        rc = -1;
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/state.json", r->dir);
        char *s = rec_state_json(vm, last);
        FILE *f = fopen(path, "w");
        if (!f || fputs(s, f) < 0 || fputc('\n', f) == EOF) {
            snprintf(err, errn, "%s: cannot write", path);
            rc = -1;
        }
        if (f && fclose(f) != 0 && rc == 0) {
            snprintf(err, errn, "%s: cannot write", path);
            rc = -1;
        }
        free(s);
    }
    free(r->written);
    free(r->dir);
    free(r);
    return rc;
}

/* ---- replay ---- */

typedef struct {
    u256 a, b, c; /* storage: address key value; cost: initial value -; free: address key - */
    uint32_t n;   /* flag or answer */
    int kind;     /* 's' storage, 'c' cost, 'f' free */
    uint32_t flag;
} rp_answer;

typedef struct {
    const char *dir;
    rp_answer *ans;
    size_t nans;
    struct {
        u256 hash;
        eravm_program *prog;
    } *progs;
    size_t nprogs;
    bool ecrecover_set;
    uint8_t ecrecover_in[128];
    u256 ecrecover_addr;
    char miss[300]; /* the first question the recording cannot answer */
} rp_world;

static void rp_missing(rp_world *w, const char *what)
{
    if (!w->miss[0])
        snprintf(w->miss, sizeof w->miss, "the VM asked the world for %s, which the recording lacks",
                 what);
}

static const rp_answer *rp_find(const rp_world *w, int kind, u256 a, u256 b, u256 c, uint32_t flag)
{
    for (size_t i = 0; i < w->nans; i++) {
        const rp_answer *x = &w->ans[i];
        if (x->kind == kind && u256_eq(x->a, a) && u256_eq(x->b, b) &&
            (kind != 'c' || (u256_eq(x->c, c) && x->flag == flag)))
            return x;
    }
    return NULL;
}

static u256 rp_read(void *ctx, u256 a, u256 k, bool *initial)
{
    rp_world *w = ctx;
    const rp_answer *x = rp_find(w, 's', a, k, u256_zero(), 0);
    if (!x) {
        rp_missing(w, "a storage slot");
        *initial = true;
        return u256_zero();
    }
    *initial = x->flag != 0;
    return x->c;
}

static uint32_t rp_cost(void *ctx, u256 initial, bool is_initial, u256 value)
{
    rp_world *w = ctx;
    const rp_answer *x = rp_find(w, 'c', initial, value, value, is_initial);
    if (!x) {
        rp_missing(w, "a storage write cost");
        return 0;
    }
    return x->n;
}

static bool rp_is_free(void *ctx, u256 a, u256 k)
{
    rp_world *w = ctx;
    const rp_answer *x = rp_find(w, 'f', a, k, u256_zero(), 0);
    if (!x) {
        rp_missing(w, "whether a slot is free");
        return false;
    }
    return x->n != 0;
}

static const eravm_program *rp_program(rp_world *w, u256 hash)
{
    for (size_t i = 0; i < w->nprogs; i++)
        if (u256_eq(w->progs[i].hash, hash))
            return w->progs[i].prog;
    char name[80], path[4200], why[300];
    u256_to_hex(hash, name, sizeof name);
    snprintf(path, sizeof path, "%s/code/%s.bin", w->dir, name);
    uint8_t *code;
    size_t len;
    if (eravm_read_file(path, &code, &len, why, sizeof why) != 0)
        return NULL;
    w->progs = xrealloc(w->progs, (w->nprogs + 1) * sizeof *w->progs);
    w->progs[w->nprogs].hash = hash;
    w->progs[w->nprogs].prog = eravm_program_new(code, len);
    free(code);
    return w->progs[w->nprogs++].prog;
}

static const eravm_program *rp_decommit(void *ctx, u256 key)
{
    return rp_program(ctx, key);
}

static int rp_precompile(void *ctx, uint16_t address_low, const eravm_precompile_abi *abi,
                         void (*read)(void *, uint32_t, uint64_t, uint8_t *, size_t), void *rctx,
                         u256 out[4])
{
    rp_world *w = ctx;
    if (!w->ecrecover_set || address_low != 1 || abi->input_length != 4)
        return -1;
    uint8_t in[128];
    read(rctx, abi->read_page, (uint64_t)abi->input_offset * 32, in, sizeof in);
    if (memcmp(in, w->ecrecover_in, sizeof in) != 0)
        return -1;
    out[0] = u256_from_u64(1);
    out[1] = w->ecrecover_addr;
    return 2;
}

/* Splits a line into at most 8 space-separated fields, in place. */
static int fields(char *line, char **f)
{
    int n = 0;
    for (char *s = strtok(line, " \n"); s && n < 8; s = strtok(NULL, " \n"))
        f[n++] = s;
    return n;
}

static bool pw(const char *s, u256 *v)
{
    return u256_parse(s, strlen(s), v);
}

static uint64_t pu(const char *s)
{
    return strtoull(s, NULL, 0);
}

static bool unhex(const char *s, uint8_t *out, size_t n)
{
    if (strlen(s) != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = u256_hex_digit(s[2 * i]), lo = u256_hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* First pass: the world's answers. */
static int rp_load_answers(rp_world *w, char **lines, size_t nlines, char *err, size_t errn)
{
    size_t cap = 0;
    for (size_t i = 0; i < nlines; i++) {
        char buf[512], *f[8];
        if (strncmp(lines[i], "storage ", 8) && strncmp(lines[i], "cost ", 5) &&
            strncmp(lines[i], "free ", 5))
            continue;
        snprintf(buf, sizeof buf, "%s", lines[i]);
        int n = fields(buf, f);
        rp_answer x = {0};
        bool ok = true;
        if (f[0][0] == 's' && n == 5) {
            x.kind = 's';
            ok = pw(f[1], &x.a) && pw(f[2], &x.b) && pw(f[3], &x.c);
            x.flag = (uint32_t)pu(f[4]);
        } else if (f[0][0] == 'c' && n == 5) {
            x.kind = 'c';
            ok = pw(f[1], &x.a) && pw(f[3], &x.b);
            x.c = x.b;
            x.flag = (uint32_t)pu(f[2]);
            x.n = (uint32_t)pu(f[4]);
        } else if (f[0][0] == 'f' && n == 4) {
            x.kind = 'f';
            ok = pw(f[1], &x.a) && pw(f[2], &x.b);
            x.n = (uint32_t)pu(f[3]);
        } else {
            ok = false;
        }
        if (!ok) {
            snprintf(err, errn, "%s/transcript:%zu: malformed line", w->dir, i + 1);
            return -1;
        }
        if (rp_find(w, x.kind, x.a, x.b, x.c, x.flag))
            continue;
        if (w->nans == cap) {
            cap = cap ? cap * 2 : 256;
            w->ans = xrealloc(w->ans, cap * sizeof *w->ans);
        }
        w->ans[w->nans++] = x;
    }
    return 0;
}

static int rp_read_lines(const char *dir, char **text, char ***lines, size_t *n, char *err,
                         size_t errn)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/transcript", dir);
    uint8_t *buf;
    size_t len;
    if (eravm_read_file(path, &buf, &len, err, errn) != 0)
        return -1;
    *text = (char *)buf;
    size_t cap = 1024;
    *lines = xmalloc(cap * sizeof **lines);
    *n = 0;
    for (char *s = *text; *s;) {
        char *e = strchr(s, '\n');
        if (e)
            *e = 0;
        if (*n == cap) {
            cap *= 2;
            *lines = xrealloc(*lines, cap * sizeof **lines);
        }
        (*lines)[(*n)++] = s;
        if (!e)
            break;
        s = e + 1;
    }
    if (!*n || strcmp((*lines)[0], TRANSCRIPT_MAGIC) != 0) {
        snprintf(err, errn, "%s: not an eravm-bench transcript (version 1)", path);
        return -1;
    }
    return 0;
}

static void rp_release(rp_world *w)
{
    free(w->ans);
    for (size_t i = 0; i < w->nprogs; i++)
        eravm_program_free(w->progs[i].prog);
    free(w->progs);
}

int rec_replay(const char *dir, int engine, uint64_t *instructions, char *err, size_t errn)
{
    char *text = NULL, **lines = NULL;
    size_t nlines = 0;
    rp_world w = {.dir = dir};
    eravm_vm *vm = NULL;
    int rc = -1;
    if (rp_read_lines(dir, &text, &lines, &nlines, err, errn) != 0 ||
        rp_load_answers(&w, lines, nlines, err, errn) != 0)
        goto out;
    eravm_world iface = {.ctx = &w,
                         .read_storage = rp_read,
                         .cost_of_writing_storage = rp_cost,
                         .is_free_storage_slot = rp_is_free,
                         .decommit = rp_decommit,
                         .call_precompile = rp_precompile};
    eravm_settings settings = {0};
    eravm_result res;
    memset(&res, 0, sizeof res);
    bool expect_stop = false;
    for (size_t i = 1; i < nlines; i++) {
        char buf[1 << 16], *f[8], *big = NULL;
        size_t ll = strlen(lines[i]);
        char *line = ll < sizeof buf ? buf : (big = xmalloc(ll + 1));
        memcpy(line, lines[i], ll + 1);
        int n = fields(line, f);
        bool ok = n > 0;
        if (!ok || !strcmp(f[0], "storage") || !strcmp(f[0], "code") || !strcmp(f[0], "cost") ||
            !strcmp(f[0], "free")) {
            /* answers were loaded up front */
        } else if (!strcmp(f[0], "settings") && n == 5) {
            ok = pw(f[1], &settings.default_aa_hash) && pw(f[2], &settings.evm_interpreter_hash);
            settings.hook_address = (uint32_t)pu(f[3]);
            settings.hooks_enabled = pu(f[4]) != 0;
        } else if (!strcmp(f[0], "start") && n == 7 && !vm) {
            eravm_call c = {0};
            u256 prog_hash;
            ok = pw(f[1], &c.address) && pw(f[2], &c.caller) && pw(f[6], &prog_hash);
            c.ergs = (uint32_t)pu(f[3]);
            c.heap_bound = (uint32_t)pu(f[4]);
            c.exception_handler = (uint16_t)pu(f[5]);
            const eravm_program *p = ok ? rp_program(&w, prog_hash) : NULL;
            if (!p) {
                snprintf(err, errn, "%s: the initial program is missing from code/", dir);
                free(big);
                goto out;
            }
            vm = eravm_vm_new(&iface, &settings);
            eravm_vm_set_engine(vm, engine);
            eravm_vm_start(vm, p, &c);
        } else if (!vm) {
            ok = false;
        } else if (!strcmp(f[0], "heap") && n == 3) {
            size_t nb = strcmp(f[2], "-") ? strlen(f[2]) / 2 : 0;
            uint8_t *bytes = xmalloc(nb + 1);
            ok = !nb || unhex(f[2], bytes, nb);
            if (ok)
                eravm_vm_write_memory(vm, eravm_vm_heap_page(vm), pu(f[1]), bytes, nb);
            free(bytes);
        } else if (!strcmp(f[0], "run") && n == 1) {
            eravm_vm_continue(vm, &res);
            expect_stop = true;
        } else if (!strcmp(f[0], "stop") && n == 5 && expect_stop) {
            expect_stop = false;
            if (w.miss[0]) {
                snprintf(err, errn, "line %zu: %s", i + 1, w.miss);
                rc = 1;
                free(big);
                goto out;
            }
            if (strcmp(f[1], eravm_status_name(res.status)) || pu(f[2]) != res.hook_value ||
                pu(f[3]) != res.instructions || pu(f[4]) != res.ergs_left) {
                snprintf(err, errn,
                         "line %zu: recorded stop %s hook %s at instruction %s (ergs %s), "
                         "replay: %s hook %u at instruction %llu (ergs %u)",
                         i + 1, f[1], f[2], f[3], f[4], eravm_status_name(res.status),
                         res.hook_value, (unsigned long long)res.instructions, res.ergs_left);
                rc = 1;
                free(big);
                goto out;
            }
        } else if (!strcmp(f[0], "ergs") && n == 2) {
            eravm_vm_set_ergs(vm, (uint32_t)pu(f[1]));
        } else if (!strcmp(f[0], "snapshot") && n == 1) {
            ok = eravm_vm_snapshot(vm);
        } else if (!strcmp(f[0], "rollback") && n == 1) {
            ok = eravm_vm_rollback(vm);
        } else if (!strcmp(f[0], "pop") && n == 1) {
            ok = eravm_vm_pop_snapshot(vm);
        } else if (!strcmp(f[0], "ecrecover") && n == 3) {
            ok = unhex(f[1], w.ecrecover_in, 128) && pw(f[2], &w.ecrecover_addr);
            w.ecrecover_set = ok;
        } else {
            ok = false;
        }
        free(big);
        if (!ok) {
            snprintf(err, errn, "%s/transcript:%zu: malformed or out-of-order line", dir, i + 1);
            goto out;
        }
    }
    if (!vm) {
        snprintf(err, errn, "%s/transcript: no start line", dir);
        goto out;
    }
    *instructions = res.instructions;
    /* the end state must be the recorded one */
    char path[4200];
    snprintf(path, sizeof path, "%s/state.json", dir);
    uint8_t *want;
    size_t wlen;
    if (eravm_read_file(path, &want, &wlen, err, errn) != 0)
        goto out;
    char *got = rec_state_json(vm, &res);
    while (wlen && (want[wlen - 1] == '\n'))
        want[--wlen] = 0;
    rc = strcmp((char *)want, got) == 0 ? 0 : 1;
    if (rc)
        snprintf(err, errn, "the end state differs from %s (storage, events, logs or counts)",
                 path);
    free(got);
    free(want);
out:
    eravm_vm_free(vm);
    rp_release(&w);
    free(lines);
    free(text);
    return rc;
}
