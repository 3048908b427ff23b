/* tests/test_differential.c — whole-run differential test against the
 * reference fast VM's recorded results: the 500 random programs of
 * $ERAVM_DATA/differential (status, ergs left, instruction count, return
 * data, storage and transient writes, L2->L1 logs), run exactly as its
 * README says, on every engine; the engines must also agree with each other
 * in events and skipped counts. Optional argument: a single id to run. */
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "bytecode.h"
#include "check.h"
#include "corpus.h"
#include "eravm.h"
#include "world_mem.h"

/* Hex without 0x and without leading zeros ("0" for zero). */
static void hex_nolead(u256 v, char *out, size_t n)
{
    char tmp[80];
    u256_to_hex(v, tmp, sizeof tmp);
    snprintf(out, n, "%s", tmp + 2);
}

static void append(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t k = strlen(s);
    if (*len + k + 1 > *cap) {
        *cap = (*len + k + 1) * 2;
        *buf = realloc(*buf, *cap);
    }
    memcpy(*buf + *len, s, k + 1);
    *len += k;
}

static char *fmt_slots(const eravm_slot *s, size_t n, bool with_addr)
{
    char *out = NULL;
    size_t len = 0, cap = 0;
    append(&out, &len, &cap, n ? "" : "-");
    for (size_t i = 0; i < n; i++) {
        char a[80], k[80], v[80], item[300];
        hex_nolead(s[i].address, a, sizeof a);
        hex_nolead(s[i].key, k, sizeof k);
        hex_nolead(s[i].value, v, sizeof v);
        if (with_addr)
            snprintf(item, sizeof item, "%s%s/%s=%s", i ? ";" : "", a, k, v);
        else
            snprintf(item, sizeof item, "%s%s=%s", i ? ";" : "", k, v);
        append(&out, &len, &cap, item);
    }
    return out;
}

static char *fmt_logs(const eravm_log *l, size_t n, bool with_addr)
{
    char *out = NULL;
    size_t len = 0, cap = 0;
    append(&out, &len, &cap, n ? "" : "-");
    for (size_t i = 0; i < n; i++) {
        char a[80], k[80], v[80], item[300];
        hex_nolead(l[i].address, a, sizeof a);
        hex_nolead(l[i].key, k, sizeof k);
        hex_nolead(l[i].value, v, sizeof v);
        snprintf(item, sizeof item, "%s%s%s%s=%s%s@%u", i ? ";" : "", with_addr ? a : "",
                 with_addr ? ":" : "", k, v, l[i].first ? "!" : "", l[i].tx_number);
        append(&out, &len, &cap, item);
    }
    return out;
}

static char *fmt_returndata(const uint8_t *p, size_t n)
{
    char *out = malloc(2 * n + 100);
    if (n == 0) {
        strcpy(out, "-");
    } else if (n > 1024) {
        uint8_t h[32];
        SHA256(p, n, h);
        strcpy(out, "sha256:");
        for (int i = 0; i < 32; i++)
            sprintf(out + 7 + 2 * i, "%02x", h[i]);
        sprintf(out + 71, ":%zu", n);
    } else {
        for (size_t i = 0; i < n; i++)
            sprintf(out + 2 * i, "%02x", p[i]);
    }
    return out;
}

/* One run in the corpus's text form, plus what the corpus does not list. */
typedef struct {
    const char *status;
    char gas[32], ins[32], skipped[32];
    char *rd, *sw, *tr, *l1, *ev;
} outcome;

static void outcome_of(eravm_vm *vm, const eravm_result *res, outcome *o)
{
    o->status = eravm_status_name(res->status);
    snprintf(o->gas, sizeof o->gas, "%u", res->ergs_left);
    snprintf(o->ins, sizeof o->ins, "%llu", (unsigned long long)res->instructions);
    snprintf(o->skipped, sizeof o->skipped, "%llu", (unsigned long long)res->skipped);
    o->rd = fmt_returndata(res->returndata, res->returndata_len);
    size_t n;
    eravm_slot *sw = eravm_vm_storage_writes(vm, &n);
    o->sw = fmt_slots(sw, n, false);
    free(sw);
    eravm_slot *tw = eravm_vm_transient(vm, &n);
    o->tr = fmt_slots(tw, n, false);
    free(tw);
    const eravm_log *l = eravm_vm_l2l1_logs(vm, &n);
    o->l1 = fmt_logs(l, n, true);
    l = eravm_vm_events(vm, &n);
    o->ev = fmt_logs(l, n, true);
}

static bool outcome_same(const outcome *a, const outcome *b)
{
    return !strcmp(a->status, b->status) && !strcmp(a->gas, b->gas) && !strcmp(a->ins, b->ins) &&
           !strcmp(a->skipped, b->skipped) && !strcmp(a->rd, b->rd) && !strcmp(a->sw, b->sw) &&
           !strcmp(a->tr, b->tr) && !strcmp(a->l1, b->l1) && !strcmp(a->ev, b->ev);
}

static void outcome_free(outcome *o)
{
    free(o->rd);
    free(o->sw);
    free(o->tr);
    free(o->l1);
    free(o->ev);
}

int main(int argc, char **argv)
{
    const char *data = getenv("ERAVM_DATA");
    if (!data || !*data)
        data = "../shared/data";
    long only = argc > 1 ? atol(argv[1]) : -1;
    char path[1024];
    snprintf(path, sizeof path, "%s/differential/programs.tsv", data);
    char *progs = corpus_read_text(path);
    snprintf(path, sizeof path, "%s/differential/expected.tsv", data);
    char *exp = corpus_read_text(path);
    CASE_BEGIN();
    EXPECT(progs && exp, "cannot read the differential corpus under %s", data);
    if (!progs || !exp) {
        CASE_END("differential corpus");
        return check_exit();
    }
    /* index expected rows by id */
    char *exp_rows[4000] = {0};
    for (char *line = strtok(exp, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#' || !strncmp(line, "id\t", 3))
            continue;
        long id = atol(line);
        if (id >= 0 && id < 4000)
            exp_rows[id] = line;
    }
    int total = 0, matched = 0, kernel = 0;
    char *save = NULL;
    for (char *line = strtok_r(progs, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !strncmp(line, "id\t", 3))
            continue;
        char *f[8];
        if (corpus_split_tabs(line, f, 8) < 6)
            continue;
        long id = atol(f[0]);
        if (only >= 0 && id != only)
            continue;
        char *e[12];
        if (id < 0 || id >= 4000 || !exp_rows[id]) {
            EXPECT(0, "program %ld has no expected row", id);
            continue;
        }
        char *erow = strdup(exp_rows[id]);
        int ne = corpus_split_tabs(erow, e, 12);
        corpus_program cp;
        char err[256];
        if (corpus_program_open(&cp, f, err, sizeof err)) {
            EXPECT(0, "program %ld: %s", id, err);
            free(erow);
            continue;
        }
        /* every engine against vm2, and against each other in everything,
         * events and the skipped count included (vm2's corpus lists neither) */
        static const char *const names[3] = {"fast", "counting", "simple"};
        outcome o[3];
        bool ok = true;
        for (int eng = 0; eng < 3; eng++) {
            eravm_vm *vm = eravm_vm_new(&cp.iface, &cp.settings);
            eravm_vm_set_engine(vm, eng);
            eravm_result res;
            eravm_vm_run(vm, cp.prog, &cp.call, &res);
            outcome_of(vm, &res, &o[eng]);
            eravm_vm_free(vm);
            bool same_as_vm2 = ne >= 9 && !strcmp(o[eng].status, e[2]) && !strcmp(o[eng].gas, e[3]) &&
                               !strcmp(o[eng].ins, e[4]) && !strcmp(o[eng].rd, e[5]) &&
                               !strcmp(o[eng].sw, e[6]) && !strcmp(o[eng].tr, e[7]) && !strcmp(o[eng].l1, e[8]);
            EXPECT(same_as_vm2,
                   "program %ld (%s), %s engine: got %s/%s/%s rd=%.40s sw=%.60s tr=%.60s l1=%.60s; want "
                   "%s/%s/%s rd=%.40s sw=%.60s tr=%.60s l1=%.60s",
                   id, f[4], names[eng], o[eng].status, o[eng].gas, o[eng].ins, o[eng].rd, o[eng].sw,
                   o[eng].tr, o[eng].l1, e[2], e[3], e[4], e[5], e[6], e[7], e[8]);
            ok = ok && same_as_vm2;
            if (eng) {
                bool same = outcome_same(&o[0], &o[eng]);
                EXPECT(same, "program %ld: the %s engine differs from the fast one: skipped %s/%s, events %.60s / %.60s",
                       id, names[eng], o[eng].skipped, o[0].skipped, o[eng].ev, o[0].ev);
                ok = ok && same;
            }
        }
        for (int eng = 0; eng < 3; eng++)
            outcome_free(&o[eng]);
        total++;
        matched += ok;
        kernel += id >= 3000;
        free(erow);
        corpus_program_close(&cp);
    }
    EXPECT(only >= 0 || total == 500, "ran %d programs", total);
    CASE_END("differential: %d/%d random programs (%d kernel-mode) match vm2 in status, ergs, "
             "instructions, returndata, storage, transient storage and L2->L1 logs on each of the "
             "fast, counting and simple engines, and the engines agree in all that, events and "
             "skipped counts too",
             matched, total, kernel);
    free(progs);
    free(exp);
    return check_exit();
}
