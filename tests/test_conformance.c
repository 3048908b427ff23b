/* tests/test_conformance.c — the decoder, disassembler and assembler against
 * real compiler output in $ERAVM_DATA/conformance: the LLVM MC encodings, the
 * 30,281 zksolc instruction pairs, byte-exact assembly of the 22 contracts,
 * and disassemble→assemble round trips over every bytecode in the data. */
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "bytecode.h"
#include "check.h"
#include "disasm.h"
#include "opcode.h"

static const char *data_dir;

static char *read_file(const char *path, size_t *n)
{
    uint8_t *buf;
    char err[256];
    return eravm_read_file(path, &buf, n, err, sizeof err) == 0 ? (char *)buf : NULL;
}

/* ---- text normalisation for comparing printed instructions -------------- */

/* Canonical bracket body: "imm + rX" style terms summed; kind 'c' for code[]. */
static void norm_bracket(const char *s, size_t n, char kind, char *out, size_t on)
{
    long imm = 0;
    int reg = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && (isspace((unsigned char)s[i]) || s[i] == '+'))
            i++;
        size_t j = i;
        while (j < n && !isspace((unsigned char)s[j]) && s[j] != '+')
            j++;
        if (j > i) {
            if (s[i] == 'r')
                reg = atoi(s + i + 1);
            else
                imm += strtol(s + i, NULL, 0);
        }
        i = j;
    }
    eravm_disasm_addr(kind, (unsigned)reg, (unsigned)imm, NULL, out, on);
}

/* Older LLVM spellings → zksolc 1.5 (this list is the test's own). */
static const char *const mnemonic_aliases[][2] = {
    {"far_call.delegate", "calld"}, {"far_call.mimic", "callm"}, {"far_call", "callf"},
    {"near_call", "call"},          {"ret.ok.to_label", "retl"}, {"ret.revert.to_label", "revl"},
    {"ret.panic.to_label", "pncl"}, {"revert", "rev"},           {"panic", "pnc"},
};

static void norm_mnemonic(char *m)
{
    char buf[64];
    for (size_t k = 0; k < sizeof mnemonic_aliases / sizeof mnemonic_aliases[0]; k++) {
        size_t l = strlen(mnemonic_aliases[k][0]);
        if (!strncmp(m, mnemonic_aliases[k][0], l) && (m[l] == 0 || m[l] == '.')) {
            snprintf(buf, sizeof buf, "%s%s", mnemonic_aliases[k][1], m + l);
            strcpy(m, buf);
            break;
        }
    }
    /* .static/.shard → .st/.sh */
    char *p;
    while ((p = strstr(m, ".static")))
        memmove(p + 3, p + 7, strlen(p + 7) + 1);
    while ((p = strstr(m, ".shard")))
        memmove(p + 3, p + 6, strlen(p + 6) + 1);
}

/* Normalises "mnemonic op, op, …": whitespace, bracket bodies, aliases and
 * the implicit registers of the short forms. */
static void normalize(const char *in, char *out, size_t on)
{
    char mn[64] = {0};
    size_t i = 0, k = 0;
    while (in[i] && isspace((unsigned char)in[i]))
        i++;
    while (in[i] && !isspace((unsigned char)in[i]) && k < sizeof mn - 1)
        mn[k++] = in[i++];
    norm_mnemonic(mn);
    char ops[8][96];
    int nops = 0;
    while (in[i] && nops < 8) {
        while (in[i] && (isspace((unsigned char)in[i]) || in[i] == ','))
            i++;
        if (!in[i])
            break;
        size_t j = i;
        int depth = 0;
        while (in[j] && (depth || in[j] != ',')) {
            depth += in[j] == '[';
            depth -= in[j] == ']';
            j++;
        }
        size_t e = j;
        while (e > i && isspace((unsigned char)in[e - 1]))
            e--;
        const char *lb = memchr(in + i, '[', e - i);
        if (lb && in[e - 1] == ']') {
            size_t pl = (size_t)(lb - (in + i));
            char kind = 'a';
            if (pl == 7 && !strncmp(in + i, "stack-=", 7)) kind = 'p';
            else if (pl == 7 && !strncmp(in + i, "stack+=", 7)) kind = 'q';
            else if (pl == 6 && !strncmp(in + i, "stack-", 6)) kind = 'r';
            else if (pl == 4 && !strncmp(in + i, "code", 4)) kind = 'c';
            norm_bracket(lb + 1, (size_t)(in + e - lb - 2), kind, ops[nops], sizeof ops[nops]);
        } else {
            snprintf(ops[nops], sizeof ops[nops], "%.*s", (int)(e - i), in + i);
        }
        nops++;
        i = j;
    }
    /* implicit registers: call @a, @b = call r0, @a, @b; retl/revl r1, pncl without */
    int first = 0;
    if (!strncmp(mn, "call", 4) && (mn[4] == 0 || mn[4] == '.') && nops == 2) {
        memmove(ops[1], ops[0], sizeof ops[0] * 2);
        strcpy(ops[0], "r0");
        nops = 3;
    }
    if ((!strncmp(mn, "retl", 4) || !strncmp(mn, "revl", 4)) && nops == 2 && !strcmp(ops[0], "r1"))
        first = 1;
    if (!strncmp(mn, "ret.ok", 6) && nops == 1 && !strcmp(ops[0], "r1")) {
        memmove(mn, mn + 3, strlen(mn + 3) + 1); /* "ret.ok r1" is plain "ret" */
        memmove(mn, "ret", 3);
        nops = 0;
    }
    size_t o = (size_t)snprintf(out, on, "%s", mn);
    for (int q = first; q < nops && o < on; q++)
        o += (size_t)snprintf(out + o, on - o, "%s%s", q == first ? " " : ", ", ops[q]);
}

/* ---- MC encodings ----------------------------------------------------------- */

static void test_mc(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/conformance/era-compiler-llvm/mc-encodings.tsv", data_dir);
    size_t n;
    char *text = read_file(path, &n);
    CASE_BEGIN();
    EXPECT(text != NULL, "cannot read %s", path);
    int rows = 0, fixups = 0;
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        char *f[6];
        int nf = 0;
        for (char *p = line; nf < 6; nf++) {
            f[nf] = p;
            char *t = strchr(p, '\t');
            if (!t) {
                nf++;
                break;
            }
            *t = 0;
            p = t + 1;
        }
        if (nf < 4)
            continue;
        if (strcmp(f[3], "exact")) {
            fixups++;
            continue;
        }
        rows++;
        uint64_t w = strtoull(f[1], NULL, 16);
        char got[160], want[160], mine[160];
        eravm_disasm_insn(w, NULL, NULL, mine, sizeof mine);
        normalize(mine, got, sizeof got);
        normalize(f[2], want, sizeof want);
        EXPECT(!strcmp(got, want), "%s %s: printed '%s', expected '%s'", f[0], f[1], got, want);
        eravm_asm_result r;
        char err[256];
        int rc = eravm_asm(f[2], strlen(f[2]), "mc", &r, err, sizeof err);
        EXPECT(rc == 0, "assemble '%s': %s", f[2], err);
        if (rc == 0) {
            uint64_t a = eravm_fetch_word(r.code, 0);
            EXPECT(a == w, "assemble '%s' = %016llx, want %s", f[2], (unsigned long long)a, f[1]);
            eravm_asm_free(&r);
        }
    }
    EXPECT(rows >= 340, "only %d exact rows", rows);
    CASE_END("LLVM MC encodings: %d exact rows decode to their text and assemble to their bytes "
             "(%d fixup rows skipped)", rows, fixups);
    free(text);
}

/* ---- zksolc contracts ----------------------------------------------------- */

/* Replaces each @label in s with its value from the assembled contract. */
static void subst_labels(const char *s, const eravm_asm_result *r, char *out, size_t on, int *bad)
{
    size_t o = 0;
    while (*s && o + 1 < on) {
        if (*s == '@') {
            const char *e = s + 1;
            while (*e && (isalnum((unsigned char)*e) || *e == '_' || *e == '.' || *e == '$'))
                e++;
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)(e - s - 1), s + 1);
            long v = eravm_asm_lookup(r, name);
            if (v < 0)
                (*bad)++;
            o += (size_t)snprintf(out + o, on - o, "%ld", v);
            s = e;
        } else {
            out[o++] = *s++;
        }
    }
    out[o] = 0;
}

static const char *const contracts[] = {
    "AccountCodeStorage", "CodeOracle",        "ContractDeployer", "DefaultAccount",
    "EcAdd",              "EcMul",             "Ecrecover",        "EmptyContract",
    "EventWriter",        "EvmEmulator",       "EvmGasManager",    "EvmHashesStorage",
    "Identity",           "ImmutableSimulator","Keccak256",        "KnownCodesStorage",
    "L1Messenger",        "L2BaseToken",       "MsgValueSimulator","NonceHolder",
    "SHA256",             "SystemContext",
};
#define NCONTRACTS (sizeof contracts / sizeof contracts[0])

static void test_contracts(void)
{
    int total_pairs = 0, byte_exact = 0;
    int pair_fail_before;
    CASE_BEGIN();
    int asm_cases = check_case_failures;
    (void)asm_cases;
    for (size_t c = 0; c < NCONTRACTS; c++) {
        char path[1024];
        size_t n, zn;
        snprintf(path, sizeof path, "%s/conformance/era-compiler-tester/contracts/%s.zasm", data_dir,
                 contracts[c]);
        char *src = read_file(path, &n);
        snprintf(path, sizeof path, "%s/conformance/era-compiler-tester/contracts/%s.zbin", data_dir,
                 contracts[c]);
        char *zbin = read_file(path, &zn);
        EXPECT(src && zbin, "cannot read %s", contracts[c]);
        if (!src || !zbin) {
            free(src);
            free(zbin);
            continue;
        }
        eravm_asm_result r;
        char err[512];
        int rc = eravm_asm(src, n, contracts[c], &r, err, sizeof err);
        EXPECT(rc == 0, "%s: %s", contracts[c], err);
        if (rc == 0) {
            size_t cmp = 32 * ((size_t)r.code_words + r.ncells);
            EXPECT(cmp <= zn && memcmp(r.code, zbin, cmp) == 0,
                   "%s: assembled bytes differ from .zbin in the first %zu bytes", contracts[c], cmp);
            EXPECT(r.len % 64 == 32, "%s: even word count", contracts[c]);
            byte_exact += cmp <= zn && memcmp(r.code, zbin, cmp) == 0;

            /* the instruction pairs of the same contract */
            snprintf(path, sizeof path, "%s/conformance/era-compiler-tester/pairs/%s.pairs.tsv",
                     data_dir, contracts[c]);
            size_t pn;
            char *pairs = read_file(path, &pn);
            EXPECT(pairs != NULL, "cannot read %s", path);
            pair_fail_before = check_case_failures;
            for (char *line = pairs ? strtok(pairs, "\n") : NULL; line; line = strtok(NULL, "\n")) {
                if (line[0] == '#')
                    continue;
                char *t1 = strchr(line, '\t');
                char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
                if (!t2)
                    continue;
                *t1 = *t2 = 0;
                long idx = atol(line);
                uint64_t w = strtoull(t1 + 1, NULL, 16);
                int bad = 0;
                char subst[256], want[256], mine[160], got[256];
                subst_labels(t2 + 1, &r, subst, sizeof subst, &bad);
                EXPECT(!bad, "%s[%ld]: unknown label in '%s'", contracts[c], idx, t2 + 1);
                normalize(subst, want, sizeof want);
                eravm_disasm_insn(w, NULL, NULL, mine, sizeof mine);
                normalize(mine, got, sizeof got);
                EXPECT(!strcmp(got, want), "%s[%ld] %016llx: printed '%s', compiler '%s'",
                       contracts[c], idx, (unsigned long long)w, got, want);
                EXPECT(idx < r.ninsn && eravm_fetch_word(r.code, (uint32_t)idx) == w,
                       "%s[%ld]: assembler word differs", contracts[c], idx);
                total_pairs++;
            }
            (void)pair_fail_before;
            free(pairs);
            eravm_asm_free(&r);
        }
        free(src);
        free(zbin);
    }
    EXPECT(total_pairs == 30281, "pairs seen %d", total_pairs);
    EXPECT(byte_exact == (int)NCONTRACTS, "byte-exact %d", byte_exact);
    CASE_END("zksolc contracts: %d/%zu assemble byte-exact up to the constants; %d instruction "
             "pairs decode to the compiler's text",
             byte_exact, NCONTRACTS, total_pairs);
}

/* ---- round trips over every bytecode in the data ------------------------- */

static int round_trip(const char *path, int truncate, char *why, size_t wn)
{
    uint8_t *code;
    size_t len;
    if (eravm_load_bytecode(path, &code, &len, why, wn) != 0)
        return -1;
    if (eravm_check_container(&len, truncate, why, wn) != 0) {
        free(code);
        return -1;
    }
    char *text = NULL;
    size_t tn = 0;
    FILE *m = open_memstream(&text, &tn);
    eravm_disasm_file(m, code, len, 0);
    fclose(m);
    eravm_asm_result r;
    int rc = eravm_asm(text, tn, path, &r, why, wn);
    if (rc == 0) {
        rc = (r.len == len && memcmp(r.code, code, len) == 0) ? 0 : -1;
        if (rc)
            snprintf(why, wn, "reassembled bytes differ (%zu vs %zu bytes)", r.len, len);
        eravm_asm_free(&r);
    }
    free(text);
    free(code);
    return rc;
}

static void walk(const char *dir, int *files, int *ok, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > 8) {
        if (d)
            closedir(d);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t l = strlen(e->d_name);
        if (e->d_type == DT_DIR) {
            walk(path, files, ok, depth + 1);
            continue;
        }
        bool zbin = l > 5 && !strcmp(e->d_name + l - 5, ".zbin");
        bool json = l > 5 && !strcmp(e->d_name + l - 5, ".json") && strstr(path, "zkout");
        bool bench = strstr(path, "vm-benchmark") && !strchr(e->d_name, '.');
        if (!zbin && !json && !bench)
            continue;
        char why[512];
        (*files)++;
        int rc = round_trip(path, bench, why, sizeof why);
        EXPECT(rc == 0, "%s: %s", path, why);
        *ok += rc == 0;
    }
    closedir(d);
}

static void test_round_trips(void)
{
    CASE_BEGIN();
    int files = 0, ok = 0;
    char path[1024];
    const char *dirs[] = {"conformance", "vm-benchmark", "system-contracts"};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", data_dir, dirs[k]);
        walk(path, &files, &ok, 0);
    }
    EXPECT(files >= 90, "only %d files found", files);
    CASE_END("disasm -> asm round trip is byte-exact on %d/%d bytecodes (contracts, bootloaders, "
             "system-contract artifacts, benchmarks)", ok, files);
}

int main(void)
{
    data_dir = getenv("ERAVM_DATA");
    if (!data_dir || !*data_dir)
        data_dir = "../shared/data";
    eravm_optab_init();
    test_mc();
    test_contracts();
    test_round_trips();
    return check_exit();
}
