/* tests/test_farcall.c — the far-call differential corpus through
 * `eravm scenario`: each world of $ERAVM_DATA/differential/farcall becomes
 * a one-step scenario file whose expectations are the reference fast VM's
 * recorded results (status, ergs left, instructions, return data, storage
 * and transient writes, events, L2->L1 logs); the CLI must report a match.
 * Worlds where vm2 itself crashed (vm2_crash) have no reference and are
 * skipped. Arguments: [eravm binary] [world id to run alone]. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bytecode.h"
#include "check.h"
#include "corpus.h"
#include "eravm.h"

static int split(char *line, char sep, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == sep) {
            *p = 0;
            f[n++] = p + 1;
        }
    return n;
}

static char *hx(const char *nolead)
{
    char *s = malloc(strlen(nolead) + 3);
    sprintf(s, "0x%s", nolead);
    return s;
}

/* "addr/key=value;..." -> {"0xaddr": {"0xkey": "0xvalue"}} */
static json_t *slot_map(const char *text)
{
    json_t *o = json_object();
    if (!strcmp(text, "-"))
        return o;
    char *t = strdup(text);
    char *save = NULL;
    for (char *it = strtok_r(t, ";", &save); it; it = strtok_r(NULL, ";", &save)) {
        char *slash = strchr(it, '/'), *eq = strchr(it, '=');
        if (!slash || !eq)
            continue;
        *slash = *eq = 0;
        char *a = hx(it), *k = hx(slash + 1), *v = hx(eq + 1);
        u256 av = u256_zero(); /* u256_parse leaves it alone on bad input */
        char norm[43];
        u256_parse(a, strlen(a), &av);
        uint8_t b[32];
        u256_to_be(av, b);
        strcpy(norm, "0x");
        for (int i = 0; i < 20; i++)
            sprintf(norm + 2 + 2 * i, "%02x", b[12 + i]);
        json_t *m = json_object_get(o, norm);
        if (!m) {
            m = json_object();
            json_object_set_new(o, norm, m);
        }
        json_object_set_new(m, k, json_string(v));
        free(a);
        free(k);
        free(v);
    }
    free(t);
    return o;
}

/* "[addr:]key=value[!]@tx;..." -> [{...}] */
static json_t *log_list(const char *text, bool with_addr)
{
    json_t *arr = json_array();
    if (!strcmp(text, "-"))
        return arr;
    char *t = strdup(text);
    char *save = NULL;
    for (char *it = strtok_r(t, ";", &save); it; it = strtok_r(NULL, ";", &save)) {
        json_t *o = json_object();
        char *p = it;
        if (with_addr) {
            char *colon = strchr(p, ':');
            if (!colon)
                continue;
            *colon = 0;
            char *a = hx(p);
            json_object_set_new(o, "address", json_string(a));
            free(a);
            p = colon + 1;
        }
        char *eq = strchr(p, '='), *at = strrchr(p, '@');
        if (!eq || !at)
            continue;
        *eq = *at = 0;
        bool bang = at > eq + 1 && at[-1] == '!';
        if (bang)
            at[-1] = 0;
        char *k = hx(p), *v = hx(eq + 1);
        json_object_set_new(o, "key", json_string(k));
        json_object_set_new(o, "value", json_string(v));
        json_object_set_new(o, with_addr ? "is_service" : "first", json_boolean(bang));
        json_object_set_new(o, "tx_number", json_integer(atoi(at + 1)));
        json_array_append_new(arr, o);
        free(k);
        free(v);
    }
    free(t);
    return arr;
}

int main(int argc, char **argv)
{
    const char *data = getenv("ERAVM_DATA");
    if (!data || !*data)
        data = "../shared/data";
    const char *eravm = argc > 1 ? argv[1] : getenv("ERAVM") ? getenv("ERAVM") : "bin/eravm";
    long only = argc > 2 ? atol(argv[2]) : -1;
    char path[1024];
    snprintf(path, sizeof path, "%s/differential/farcall/worlds.tsv", data);
    char *worlds = corpus_read_text(path);
    snprintf(path, sizeof path, "%s/differential/farcall/expected.tsv", data);
    char *exp = corpus_read_text(path);
    CASE_BEGIN();
    EXPECT(worlds && exp, "cannot read the far-call corpus under %s", data);
    if (!worlds || !exp) {
        CASE_END("far-call corpus");
        return check_exit();
    }
    char dir[] = "/tmp/eravm-farcall-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char *erows[2000] = {0};
    for (char *line = strtok(exp, "\n"); line; line = strtok(NULL, "\n"))
        if (line[0] != '#' && strncmp(line, "id\t", 3) && atol(line) < 2000)
            erows[atol(line)] = line;
    int total = 0, matched = 0, skipped = 0;
    char *save = NULL;
    for (char *line = strtok_r(worlds, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !strncmp(line, "id\t", 3))
            continue;
        char *f[8];
        if (split(line, '\t', f, 8) < 6)
            continue;
        long id = atol(f[0]);
        if (only >= 0 && id != only)
            continue;
        if (id < 0 || id >= 2000 || !erows[id])
            continue;
        char *erow = strdup(erows[id]);
        char *e[20];
        int ne = split(erow, '\t', e, 20);
        if (ne < 16 || !strcmp(e[2], "vm2_crash")) {
            skipped++;
            free(erow);
            continue;
        }
        json_t *sc = json_object(), *contracts = json_array(), *storage = json_object();
        char *cs = strdup(f[5]);
        char *save2 = NULL;
        for (char *c = strtok_r(cs, ";", &save2); c; c = strtok_r(NULL, ";", &save2)) {
            char *eq = strchr(c, '=');
            if (!eq)
                continue;
            *eq = 0;
            char *bytecode = hx(eq + 1);
            json_array_append_new(contracts, json_pack("{s:s,s:s}", "address", c, "bytecode", bytecode));
            if (!strcmp(f[4], c)) {
                /* stored as "being constructed": marker byte 1 = 1 */
                uint8_t *code;
                size_t len;
                char err[128];
                if (eravm_hex_decode(eq + 1, strlen(eq + 1), &code, &len, err, sizeof err) == 0) {
                    u256 h = eravm_code_hash(code, len);
                    h.w[3] |= 1ull << 48;
                    char hs[80];
                    u256_to_hex(h, hs, sizeof hs);
                    json_object_set_new(storage, "0x8002", json_pack("{s:s}", c, hs));
                    free(code);
                }
            }
            free(bytecode);
        }
        free(cs);
        char *calldata = hx(f[3]);
        json_t *expect = json_pack("{s:s,s:I,s:I}", "status", e[2], "ergs_left",
                                   (json_int_t)atoll(e[3]), "instructions", (json_int_t)atoll(e[4]));
        char *rd = strcmp(e[5], "-") ? (strncmp(e[5], "sha256:", 7) ? hx(e[5]) : strdup(e[5])) : strdup("0x");
        json_object_set_new(expect, "returndata", json_string(rd));
        free(rd);
        json_object_set_new(expect, "storage_writes", slot_map(e[6]));
        json_object_set_new(expect, "transient", slot_map(e[7]));
        json_object_set_new(expect, "events", log_list(e[9], false));
        json_object_set_new(expect, "l2_l1_logs", log_list(e[11], true));
        json_t *step = json_pack("{s:s,s:s,s:I,s:o}", "to", f[2], "calldata", calldata, "ergs",
                                 (json_int_t)4000000, "expect", expect);
        free(calldata);
        json_object_set_new(sc, "contracts", contracts);
        json_object_set_new(sc, "storage", storage);
        json_object_set_new(sc, "steps", json_pack("[o]", step));
        char file[1100];
        snprintf(file, sizeof file, "%s/world-%ld.json", dir, id);
        json_dump_file(sc, file, JSON_INDENT(1));
        json_decref(sc);
        char cmd[8000];
        /* every world on each engine in turn: all three must match vm2 */
        snprintf(cmd, sizeof cmd,
                 "%s scenario %s > %s.out 2>&1 && ERAVM_ENGINE=simple %s scenario %s >> %s.out 2>&1 "
                 "&& ERAVM_ENGINE=counting %s scenario %s >> %s.out 2>&1",
                 eravm, file, file, eravm, file, file, eravm, file, file);
        int rc = system(cmd);
        bool ok = rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
        if (!ok) {
            char out[1200], *txt;
            snprintf(out, sizeof out, "%s.out", file);
            txt = corpus_read_text(out);
            EXPECT(ok, "world %ld: %.600s", id, txt ? txt : "(no output)");
            free(txt);
        } else {
            remove(file);
            snprintf(cmd, sizeof cmd, "%s.out", file);
            remove(cmd);
        }
        total++;
        matched += ok;
        free(erow);
    }
    if (only < 0)
        EXPECT(total >= 199, "ran only %d worlds", total);
    if (check_case_failures == 0)
        rmdir(dir);
    CASE_END("far-call worlds via eravm scenario: %d/%d match vm2 (status, ergs, instructions, "
             "returndata, storage, transient, events, L2->L1 logs) on all three engines; "
             "%d vm2_crash skipped",
             matched, total, skipped);
    free(worlds);
    free(exp);
    return check_exit();
}
