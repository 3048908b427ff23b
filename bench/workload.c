/* bench/workload.c — the workload manifest (workloads/manifest.tsv), where a
 * workload's bytecode comes from, and preparing and executing one run in the
 * bare tier: the bytecode as the single frame of an in-memory world, as
 * `eravm run` does (address 0x1234567890abcdef, caller 0, empty calldata). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "bytecode.h"
#include "tool_util.h"
#include "world_mem.h"

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* A decimal count: digits only, at most `max`. */
static bool manifest_number(const char *t, uint64_t max, uint64_t *out)
{
    if (!*t)
        return false;
    uint64_t v = 0;
    for (; *t; t++) {
        if (*t < '0' || *t > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*t - '0');
    }
    *out = v;
    return v <= max;
}

/* Copies a field; false if it does not fit (no silent cut). */
static bool manifest_text(char *dst, size_t n, const char *src)
{
    return (size_t)snprintf(dst, n, "%s", src) < n && *src;
}

static int manifest_error(char *err, size_t errn, const char *path, int lineno, const char *what,
                          const char *field)
{
    snprintf(err, errn, "%s:%d: %s%s%.60s%s", path, lineno, what, field ? " (got '" : "",
             field ? field : "", field ? "')" : "");
    return -1;
}

/* One workload line (8 tab-separated fields) into w; 0 or -1 with err. */
static int manifest_row(char **fld, bench_workload *w, const char *path, int lineno, char *err,
                        size_t errn)
{
    memset(w, 0, sizeof *w);
    uint64_t ergs;
    if (!manifest_text(w->name, sizeof w->name, fld[0]))
        return manifest_error(err, errn, path, lineno, "name is empty or longer than 63 characters", fld[0]);
    bool bare = !strcmp(fld[1], "bare"), full = !strcmp(fld[1], "full");
    if (!bare && !full)
        return manifest_error(err, errn, path, lineno, "tier is bare or full", fld[1]);
    if (bare ? strcmp(fld[2], "call") && strcmp(fld[2], "ctor")
             : strcmp(fld[2], "deploy") && strcmp(fld[2], "transfer") && strcmp(fld[2], "execute"))
        return manifest_error(err, errn, path, lineno,
                              bare ? "a bare workload's mode is call or ctor"
                                   : "a full-tier workload's mode is deploy, transfer or execute", fld[2]);
    snprintf(w->tier, sizeof w->tier, "%s", fld[1]);
    snprintf(w->mode, sizeof w->mode, "%s", fld[2]);
    if (!manifest_text(w->source, sizeof w->source, fld[3]))
        return manifest_error(err, errn, path, lineno, "source is empty or longer than 159 characters", fld[3]);
    if (!manifest_number(fld[4], UINT32_MAX, &ergs))
        return manifest_error(err, errn, path, lineno, "ergs is a decimal number below 2^32", fld[4]);
    w->ergs = (uint32_t)ergs;
    w->measured = strcmp(fld[5], "-") != 0;
    if (!w->measured) {
        if (strcmp(fld[6], "-") || strcmp(fld[7], "-"))
            return manifest_error(err, errn, path, lineno, "status '-' (not measured) wants '-' for ergs used and instructions", NULL);
        snprintf(w->status, sizeof w->status, "-");
        return 0;
    }
    /* the VM's statuses (bare), a transaction's (full: host/boot.c) */
    if (bare ? strcmp(fld[5], "ok") && strcmp(fld[5], "revert") && strcmp(fld[5], "panic")
             : strcmp(fld[5], "success") && strcmp(fld[5], "revert") && strcmp(fld[5], "halt"))
        return manifest_error(err, errn, path, lineno,
                              bare ? "a bare workload's status is ok, revert, panic or -"
                                   : "a full-tier workload's status is success, revert, halt or -", fld[5]);
    snprintf(w->status, sizeof w->status, "%s", fld[5]);
    if (!manifest_number(fld[6], UINT64_MAX, &w->ergs_used))
        return manifest_error(err, errn, path, lineno, "ergs used is a decimal number", fld[6]);
    if (!manifest_number(fld[7], UINT64_MAX, &w->instructions))
        return manifest_error(err, errn, path, lineno, "instructions is a decimal number", fld[7]);
    return 0;
}

/* Parses manifest lines from f (closed here); `path` names it in errors. */
static int manifest_read(FILE *f, const char *path, bench_manifest *m, char *err, size_t errn)
{
    memset(m, 0, sizeof *m);
    char line[1024];
    int lineno = 0, rc = 0;
    size_t cap = 0, acap = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            rc = manifest_error(err, errn, path, lineno, "line longer than 1,023 characters", NULL);
            break;
        }
        char *l = trim(line);
        if (!*l || *l == '#')
            continue;
        char *fld[10];
        int nf = 0;
        for (char *p = strtok(l, "\t"); p && nf < 10; p = strtok(NULL, "\t"))
            fld[nf++] = trim(p);
        if (nf == 3 && !strcmp(fld[0], "alias")) {
            if (m->nalias == acap) {
                acap = acap ? acap * 2 : 8;
                m->alias = realloc(m->alias, acap * sizeof *m->alias);
                if (!m->alias)
                    tool_out_of_memory();
            }
            if (!manifest_text(m->alias[m->nalias][0], 64, fld[1]) || !manifest_text(m->alias[m->nalias][1], 64, fld[2]))
                rc = manifest_error(err, errn, path, lineno, "alias names are 1 to 63 characters", NULL);
            m->nalias++;
            continue;
        }
        if (nf != 8) {
            snprintf(err, errn, "%s:%d: want 8 tab-separated fields (name tier mode source ergs "
                     "status ergs_used instructions), got %d", path, lineno, nf);
            rc = -1;
            break;
        }
        if (m->n == cap) {
            cap = cap ? cap * 2 : 64;
            m->w = realloc(m->w, cap * sizeof *m->w);
            if (!m->w)
                tool_out_of_memory();
        }
        rc = manifest_row(fld, &m->w[m->n++], path, lineno, err, errn);
    }
    if (!rc && ferror(f))
        rc = manifest_error(err, errn, path, lineno + 1, "read error", NULL);
    fclose(f);
    if (rc)
        bench_manifest_free(m);
    return rc;
}

int bench_manifest_load(const char *path, bench_manifest *m, char *err, size_t errn)
{
    FILE *f = fopen(path, "r");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errn, "cannot read the manifest %s: %s", path,
                 f ? "is a directory or not a regular file" : strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    return manifest_read(f, path, m, err, errn);
}

int bench_manifest_load_builtin(bench_manifest *m, char *err, size_t errn)
{
    FILE *f = fmemopen((void *)bench_embedded_manifest, strlen(bench_embedded_manifest), "r");
    if (!f) {
        snprintf(err, errn, "cannot read the built-in manifest");
        return -1;
    }
    return manifest_read(f, "built-in manifest", m, err, errn);
}

void bench_manifest_free(bench_manifest *m)
{
    free(m->w);
    free(m->alias);
    memset(m, 0, sizeof *m);
}

int bench_manifest_write(const char *path, const bench_manifest *m)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# workloads/manifest.tsv — every eravm-bench workload and its expected outcome.\n"
               "# Expected values were measured by this project (eravm-bench --record-manifest)\n"
               "# and are checked before every timing run and by scripts/ci-gate; a change in\n"
               "# status, ergs used or instruction count must update this file in the same commit.\n"
               "# source: data:PATH (under $ERAVM_DATA, cut to an odd word count), port:NAME\n"
               "# (workloads/ports/NAME.zasm), synth:NAME (workloads/synthetic/NAME.zasm).\n"
               "# name\ttier\tmode\tsource\tergs\tstatus\tergs_used\tinstructions\n");
    for (size_t i = 0; i < m->nalias; i++)
        fprintf(f, "alias\t%s\t%s\n", m->alias[i][0], m->alias[i][1]);
    for (size_t i = 0; i < m->n; i++) {
        const bench_workload *w = &m->w[i];
        if (w->measured)
            fprintf(f, "%s\t%s\t%s\t%s\t%u\t%s\t%llu\t%llu\n", w->name, w->tier, w->mode, w->source,
                    w->ergs, w->status, (unsigned long long)w->ergs_used,
                    (unsigned long long)w->instructions);
        else
            fprintf(f, "%s\t%s\t%s\t%s\t%u\t-\t-\t-\n", w->name, w->tier, w->mode, w->source,
                    w->ergs);
    }
    bool bad = ferror(f);
    return fclose(f) || bad ? -1 : 0;
}

uint32_t bench_workload_ergs(const bench_workload *w)
{
    return w->ergs ? w->ergs : BENCH_DEFAULT_ERGS;
}

int bench_load_code(const bench_workload *w, uint8_t **code, size_t *len, char *err, size_t errn)
{
    if (!strncmp(w->source, "data:", 5)) {
        const char *data = getenv("ERAVM_DATA");
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", data && *data ? data : "../shared/data", w->source + 5);
        if (eravm_load_bytecode(path, code, len, err, errn))
            return -1;
        return eravm_check_container(len, 1, err, errn);
    }
    const char *kind = !strncmp(w->source, "port:", 5) ? "port" : !strncmp(w->source, "synth:", 6) ? "synth" : NULL;
    if (!kind) {
        snprintf(err, errn, "workload %s: unknown source '%s'", w->name, w->source);
        return -1;
    }
    const char *name = strchr(w->source, ':') + 1;
    for (size_t i = 0; i < bench_embedded_count; i++) {
        const bench_embedded *e = &bench_embedded_programs[i];
        if (!strcmp(e->kind, kind) && !strcmp(e->name, name)) {
            *code = tool_xmalloc(e->len);
            memcpy(*code, e->code, e->len);
            *len = e->len;
            return 0;
        }
    }
    snprintf(err, errn, "workload %s: %s '%s' is not built into this binary", w->name, kind, name);
    return -1;
}

struct bench_run {
    eravm_memworld *world;
    eravm_vm *vm;
    const eravm_program *prog;
    eravm_call call;
    eravm_result res;
};

bench_run *bench_prepare(const bench_workload *w, const uint8_t *code, size_t len, int engine)
{
    bench_run *r = calloc(1, sizeof *r);
    if (!r)
        tool_out_of_memory();
    r->world = eravm_memworld_new();
    u256 addr = u256_from_u64(BENCH_ADDRESS);
    bool ctor = !strcmp(w->mode, "ctor");
    eravm_memworld_deploy(r->world, addr, code, len, ctor);
    r->prog = eravm_memworld_program(r->world, eravm_code_hash(code, len));
    eravm_world iface = eravm_memworld_iface(r->world);
    eravm_settings settings;
    memset(&settings, 0, sizeof settings);
    r->vm = eravm_vm_new(&iface, &settings);
    eravm_vm_set_engine(r->vm, engine);
    r->call.address = addr;
    r->call.ergs = bench_workload_ergs(w);
    r->call.constructor = ctor;
    return r;
}

eravm_vm *bench_vm(bench_run *r)
{
    return r->vm;
}

const eravm_result *bench_execute(bench_run *r)
{
    eravm_vm_run(r->vm, r->prog, &r->call, &r->res);
    return &r->res;
}

void bench_release(bench_run *r)
{
    if (!r)
        return;
    eravm_vm_free(r->vm);
    eravm_memworld_free(r->world);
    free(r);
}
