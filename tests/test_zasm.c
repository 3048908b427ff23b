/* tests/test_zasm.c — runs the per-instruction tests in tests/zasm/ (*.zasm files).
 *
 * Each file is assembled with our assembler and run as the single frame of
 * an in-memory world (like `eravm run`); comment directives at the top say
 * how to run it and what must come out:
 *
 *   ; test: what this checks                      (required, once)
 *   ; run: --ergs N --calldata HEX --address A --caller A --value N --constructor
 *   ; deploy: ADDRESS FILE.zasm [constructing]     (more contracts, for far calls)
 *   ; storage: ADDRESS KEY VALUE                   (initial world storage)
 *   ; expect status: ok|revert|panic
 *   ; expect ergs_left: N
 *   ; expect instructions: N
 *   ; expect skipped: N
 *   ; expect returndata: 0xHEX
 *   ; expect storage: [ADDRESS] KEY VALUE          (the run's writes; address defaults to the run's)
 *   ; expect no-storage: [ADDRESS] KEY             (slot not written)
 *   ; expect writes: N                             (number of slots written)
 *   ; expect transient: KEY VALUE
 *   ; expect event: INDEX KEY VALUE [first]
 *   ; expect l2l1: INDEX KEY VALUE [service]
 *   ; expect events: N / ; expect l2l1s: N
 *
 * Expected values are worked out by hand from the spec in each file's
 * comments, never copied from a run. Optional argument: one file to run. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "eravm_prof.h"
#include "bytecode.h"
#include "check.h"
#include "eravm.h"
#include "world_mem.h"

static char *read_text(const char *path, size_t *n)
{
    uint8_t *buf;
    char err[256];
    return eravm_read_file(path, &buf, n, err, sizeof err) == 0 ? (char *)buf : NULL;
}

static bool parse_num(const char *s, u256 *out)
{
    return s && u256_parse(s, strlen(s), out);
}

/* Assembles a file; returns malloc'd code or NULL (failure noted). */
static uint8_t *assemble(const char *path, size_t *len)
{
    size_t n;
    char *src = read_text(path, &n);
    EXPECT(src != NULL, "cannot read %s", path);
    if (!src)
        return NULL;
    eravm_asm_result r;
    char err[512];
    int rc = eravm_asm(src, n, path, &r, err, sizeof err);
    free(src);
    EXPECT(rc == 0, "%s", err);
    if (rc)
        return NULL;
    uint8_t *code = r.code;
    *len = r.len;
    r.code = NULL;
    eravm_asm_free(&r);
    return code;
}

/* strtok_r: the callers walk the file's lines with strtok_r too */
static int tokens(char *s, char **t, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *p = strtok_r(s, " \t", &save); p && n < max; p = strtok_r(NULL, " \t", &save))
        t[n++] = p;
    return n;
}

static const char *const engine_names[] = {"fast", "counting", "simple"};

/* Runs the file's program on one engine and checks the file's expectations. */
static void check_on_engine(const char *text, const char *name, const eravm_world *iface,
                            const eravm_settings *settings, const eravm_program *prog,
                            const eravm_call *call, int engine)
{
    eravm_vm *vm = eravm_vm_new(iface, settings);
    eravm_vm_set_engine(vm, engine);
    int before = check_case_failures;
    eravm_result res;
    eravm_vm_run(vm, prog, call, &res);

    /* second pass: expectations */
    int checks = 0;
    char *copy = strdup(text);
    char *lsave;
    size_t nw;
    eravm_slot *writes = eravm_vm_storage_writes(vm, &nw);
    size_t nt;
    eravm_slot *trans = eravm_vm_transient(vm, &nt);
    size_t nev, nl1;
    const eravm_log *ev = eravm_vm_events(vm, &nev);
    const eravm_log *l1 = eravm_vm_l2l1_logs(vm, &nl1);
    lsave = NULL;
    for (char *line = strtok_r(copy, "\n", &lsave); line; line = strtok_r(NULL, "\n", &lsave)) {
        if (strncmp(line, "; expect ", 9))
            continue;
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", line + 9);
        char *colon = strchr(buf, ':');
        if (!colon) {
            EXPECT(0, "bad expect line '%s'", line);
            continue;
        }
        *colon = 0;
        char *what = buf, *t[8];
        int k = tokens(colon + 1, t, 8);
        u256 v, key, addr;
        checks++;
        if (!strcmp(what, "status")) {
            EXPECT(k == 1 && !strcmp(t[0], eravm_status_name(res.status)), "status %s, want %s",
                   eravm_status_name(res.status), k ? t[0] : "?");
        } else if (!strcmp(what, "ergs_left")) {
            EXPECT(k == 1 && parse_num(t[0], &v) && v.w[0] == res.ergs_left, "ergs_left %u, want %s",
                   res.ergs_left, k ? t[0] : "?");
        } else if (!strcmp(what, "instructions")) {
            EXPECT(k == 1 && parse_num(t[0], &v) && v.w[0] == res.instructions,
                   "instructions %llu, want %s", (unsigned long long)res.instructions, k ? t[0] : "?");
        } else if (!strcmp(what, "skipped")) {
            EXPECT(k == 1 && parse_num(t[0], &v) && v.w[0] == res.skipped, "skipped %llu, want %s",
                   (unsigned long long)res.skipped, k ? t[0] : "?");
        } else if (!strcmp(what, "returndata")) {
            uint8_t *want = NULL;
            size_t wl = 0;
            char err[128];
            bool ok = k == 1 && eravm_hex_decode(t[0], strlen(t[0]), &want, &wl, err, sizeof err) == 0;
            EXPECT(ok && wl == res.returndata_len && (wl == 0 || !memcmp(want, res.returndata, wl)),
                   "returndata differs (%zu bytes, want %zu)", res.returndata_len, wl);
            free(want);
        } else if (!strcmp(what, "storage") || !strcmp(what, "no-storage")) {
            bool no = what[0] == 'n';
            int base = 0;
            addr = call->address;
            if (k == (no ? 2 : 3)) {
                parse_num(t[0], &addr);
                base = 1;
            }
            bool ok = k >= base + (no ? 1 : 2) && parse_num(t[base], &key) &&
                      (no || parse_num(t[base + 1], &v));
            EXPECT(ok, "bad storage expectation '%s'", line);
            const eravm_slot *hit = NULL;
            for (size_t i = 0; i < nw; i++)
                if (u256_eq(writes[i].address, addr) && u256_eq(writes[i].key, key))
                    hit = &writes[i];
            if (no) {
                EXPECT(!hit, "slot %s written, want not written", t[base]);
            } else {
                char g[80] = "(not written)";
                if (hit)
                    u256_to_hex(hit->value, g, sizeof g);
                EXPECT(hit && u256_eq(hit->value, v), "storage %s = %s, want %s", t[base], g,
                       t[base + 1]);
            }
        } else if (!strcmp(what, "writes")) {
            EXPECT(k == 1 && parse_num(t[0], &v) && v.w[0] == nw, "%zu slots written, want %s", nw,
                   k ? t[0] : "?");
        } else if (!strcmp(what, "transient")) {
            bool ok = k == 2 && parse_num(t[0], &key) && parse_num(t[1], &v);
            const eravm_slot *hit = NULL;
            for (size_t i = 0; ok && i < nt; i++)
                if (u256_eq(trans[i].key, key))
                    hit = &trans[i];
            EXPECT(ok && hit && u256_eq(hit->value, v), "transient %s, want %s", k ? t[0] : "?",
                   k > 1 ? t[1] : "?");
        } else if (!strcmp(what, "events") || !strcmp(what, "l2l1s")) {
            size_t have = what[0] == 'e' ? nev : nl1;
            EXPECT(k == 1 && parse_num(t[0], &v) && v.w[0] == have, "%s: %zu, want %s", what, have,
                   k ? t[0] : "?");
        } else if (!strcmp(what, "event") || !strcmp(what, "l2l1")) {
            const eravm_log *l = what[0] == 'e' ? ev : l1;
            size_t have = what[0] == 'e' ? nev : nl1;
            u256 idx;
            bool ok = k >= 3 && parse_num(t[0], &idx) && parse_num(t[1], &key) && parse_num(t[2], &v) &&
                      idx.w[0] < have;
            EXPECT(ok && u256_eq(l[idx.w[0]].key, key) && u256_eq(l[idx.w[0]].value, v) &&
                       l[idx.w[0]].first == (k >= 4),
                   "%s %s differs", what, k ? t[0] : "?");
        } else {
            EXPECT(0, "unknown expectation '%s'", what);
        }
    }
    EXPECT(checks > 0, "%s has no expectations", name);
    free(writes);
    free(trans);
    free(copy);
    eravm_vm_free(vm);
    if (check_case_failures > before)
        printf("  # (those on the %s engine)\n", engine_names[engine]);
}

/* The profiler's view of the same run (counting engine, a timing run and
 * its counting run, with and without call stacks): the ergs it charges per
 * opcode, per call-stack cell, add up to exactly the ergs the run used, and
 * its counts to the instructions. */
static void check_profile(const eravm_world *iface, const eravm_program *prog, const eravm_call *call,
                          const eravm_result *want)
{
    for (int stacks = 0; stacks < 2; stacks++) {
        eravm_settings settings;
        memset(&settings, 0, sizeof settings);
        eravm_vm *vm = eravm_vm_new(iface, &settings);
        eravm_vm_set_profile(vm, ERAVM_PROF_TIME | ERAVM_PROF_PAIRS | (stacks ? ERAVM_PROF_STACKS : 0));
        eravm_result res;
        eravm_vm_run(vm, prog, call, &res); /* times blocks */
        eravm_vm_run(vm, prog, call, &res); /* counts */
        const eravm_counters *c = eravm_vm_counters(vm);
        int64_t ergs = 0;
        uint64_t count = 0;
        for (unsigned s = 0; s < ERAVM_COUNTER_SLOTS; s++) {
            ergs += eravm_counters_ergs(c, s);
            count += s == ERAVM_COUNTER_SLOTS - 1 ? 0 : eravm_counters_count(c, s); /* the wrap is no instruction */
        }
        EXPECT(res.status == want->status && res.ergs_left == want->ergs_left, "counting engine differs");
        EXPECT(ergs == (int64_t)call->ergs - res.ergs_left, "profiler%s: ergs per opcode add up to %lld, the run used %lld",
               stacks ? " (stacks)" : "", (long long)ergs, (long long)call->ergs - res.ergs_left);
        EXPECT(count == res.instructions, "profiler: %llu counted, %llu instructions", (unsigned long long)count,
               (unsigned long long)res.instructions);
        EXPECT(eravm_counters_resyncs(c) == 0, "profiler lost track of the call stack %llu times",
               (unsigned long long)eravm_counters_resyncs(c));
        if (stacks) {
            eravm_stack_cell *cells;
            size_t n = eravm_counters_cells(c, &cells);
            int64_t cell_ergs = 0;
            for (size_t i = 0; i < n; i++)
                cell_ergs += cells[i].ergs;
            EXPECT(cell_ergs == ergs, "call-stack cells hold %lld ergs, the opcodes %lld", (long long)cell_ergs,
                   (long long)ergs);
            free(cells);
        }
        eravm_vm_free(vm);
    }
}

static void run_file(const char *dir, const char *name)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t n;
    char *text = read_text(path, &n);
    CASE_BEGIN();
    char title[300] = "";
    EXPECT(text != NULL, "cannot read %s", path);
    if (!text) {
        CASE_END("%s", name);
        return;
    }
    eravm_memworld *w = eravm_memworld_new();
    eravm_call call;
    memset(&call, 0, sizeof call);
    call.address = u256_from_u64(0x1234567890abcdefull);
    call.ergs = 30000000;
    uint8_t *calldata = NULL;
    bool constructing_self = false;
    /* first pass: how to run */
    char *copy = strdup(text);
    char *lsave = NULL;
    for (char *line = strtok_r(copy, "\n", &lsave); line; line = strtok_r(NULL, "\n", &lsave)) {
        if (strncmp(line, "; ", 2))
            continue;
        char *t[16];
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", line + 2);
        if (!strncmp(buf, "test:", 5)) {
            snprintf(title, sizeof title, "%.250s", buf + 6);
        } else if (!strncmp(buf, "run:", 4)) {
            int k = tokens(buf + 4, t, 16);
            for (int i = 0; i < k; i++) {
                u256 v;
                const char *val = i + 1 < k ? t[i + 1] : NULL;
                if (!strcmp(t[i], "--constructor")) {
                    call.constructor = true;
                    constructing_self = true;
                } else if (!strcmp(t[i], "--ergs") && parse_num(val, &v)) {
                    call.ergs = u256_low32(v);
                    i++;
                } else if (!strcmp(t[i], "--address") && parse_num(val, &v)) {
                    call.address = v;
                    i++;
                } else if (!strcmp(t[i], "--caller") && parse_num(val, &v)) {
                    call.caller = v;
                    i++;
                } else if (!strcmp(t[i], "--value") && parse_num(val, &v)) {
                    call.context_value = v;
                    i++;
                } else if (!strcmp(t[i], "--calldata") && val) {
                    char err[128];
                    size_t cl;
                    free(calldata);
                    calldata = NULL;
                    EXPECT(eravm_hex_decode(val, strlen(val), &calldata, &cl, err, sizeof err) == 0,
                           "bad --calldata: %s", err);
                    call.calldata = calldata;
                    call.calldata_len = cl;
                    i++;
                } else {
                    EXPECT(0, "bad run option '%s'", t[i]);
                }
            }
        } else if (!strncmp(buf, "deploy:", 7)) {
            int k = tokens(buf + 7, t, 16);
            u256 a;
            EXPECT(k >= 2 && parse_num(t[0], &a), "bad deploy line '%s'", line);
            if (k >= 2 && parse_num(t[0], &a)) {
                char p2[2048];
                snprintf(p2, sizeof p2, "%s/%s", dir, t[1]);
                size_t cl;
                uint8_t *code = assemble(p2, &cl);
                if (code)
                    eravm_memworld_deploy(w, a, code, cl, k >= 3 && !strcmp(t[2], "constructing"));
                free(code);
            }
        } else if (!strncmp(buf, "storage:", 8)) {
            int k = tokens(buf + 8, t, 16);
            u256 a, key, v;
            EXPECT(k == 3 && parse_num(t[0], &a) && parse_num(t[1], &key) && parse_num(t[2], &v),
                   "bad storage line '%s'", line);
            if (k == 3)
                eravm_memworld_set_storage(w, a, key, v);
        }
    }
    free(copy);
    EXPECT(title[0], "%s has no '; test:' line", name);
    size_t len;
    uint8_t *code = assemble(path, &len);
    if (!code) {
        CASE_END("%s: %s", name, title);
        free(text);
        free(calldata);
        eravm_memworld_free(w);
        return;
    }
    eravm_memworld_deploy(w, call.address, code, len, constructing_self);
    eravm_world iface = eravm_memworld_iface(w);
    eravm_settings settings;
    memset(&settings, 0, sizeof settings);
    const eravm_program *prog = eravm_memworld_program(w, eravm_code_hash(code, len));
    /* every engine must meet the expectations: the simple one is an
     * independent implementation (vm/ref.c) */
    for (int engine = ERAVM_ENGINE_FAST; engine <= ERAVM_ENGINE_SIMPLE; engine++)
        check_on_engine(text, name, &iface, &settings, prog, &call, engine);
    /* and the profiler's view of it */
    {
        eravm_vm *vm = eravm_vm_new(&iface, &settings);
        eravm_result res;
        eravm_vm_run(vm, prog, &call, &res);
        check_profile(&iface, prog, &call, &res);
        eravm_vm_free(vm);
    }
    eravm_memworld_free(w);
    free(code);
    free(calldata);
    free(text);
    CASE_END("%s: %s", name, title);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    const char *dir = "tests/zasm";
    if (argc > 1) {
        char *slash = strrchr(argv[1], '/');
        if (slash) {
            *slash = 0;
            run_file(argv[1], slash + 1);
        } else {
            run_file(dir, argv[1]);
        }
        return check_exit();
    }
    DIR *d = opendir(dir);
    if (!d) {
        printf("FAIL cannot open %s\n", dir);
        return 1;
    }
    char *names[4096];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 4096) {
        size_t l = strlen(e->d_name);
        /* files named *.lib.zasm are only deployed by other tests */
        if (l > 5 && !strcmp(e->d_name + l - 5, ".zasm") && !strstr(e->d_name, ".lib."))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, name_cmp);
    for (int i = 0; i < n; i++) {
        run_file(dir, names[i]);
        free(names[i]);
    }
    return check_exit();
}
