/* tests/corpus.h — what the C tests that read the data's text corpora share:
 * a whole file as text, a row split at tabs, and a row of the differential
 * corpus ($ERAVM_DATA/differential/programs.tsv: id, mode, address,
 * calldata, name, code) deployed in a fresh in-memory world with the call
 * its README prescribes. */
#ifndef TESTS_CORPUS_H
#define TESTS_CORPUS_H

#include <stdlib.h>
#include <string.h>

#include "bytecode.h"
#include "eravm.h"
#include "world_mem.h"

/* The file at path, NUL-terminated, or NULL. */
static inline char *corpus_read_text(const char *path)
{
    uint8_t *buf;
    size_t n;
    char err[256];
    return eravm_read_file(path, &buf, &n, err, sizeof err) == 0 ? (char *)buf : NULL;
}

/* Splits line in place at tabs into at most max fields; returns how many. */
static inline int corpus_split_tabs(char *line, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == '\t') {
            *p = 0;
            f[n++] = p + 1;
        }
    return n;
}

typedef struct {
    eravm_memworld *world;
    eravm_world iface;
    eravm_settings settings; /* all zero */
    eravm_call call;         /* at the row's address, its calldata, 2,000,000 ergs */
    const eravm_program *prog;
    uint8_t *code, *calldata;
} corpus_program;

/* Deploys the program of row f (at least 6 fields): 0, or -1 with a reason
 * in err (bad hex) and nothing to close. */
static inline int corpus_program_open(corpus_program *p, char **f, char *err, size_t errn)
{
    memset(p, 0, sizeof *p);
    size_t len, cdlen;
    if (eravm_hex_decode(f[5], strlen(f[5]), &p->code, &len, err, errn))
        return -1;
    if (eravm_hex_decode(f[3], strlen(f[3]), &p->calldata, &cdlen, err, errn)) {
        free(p->code);
        return -1;
    }
    u256 addr;
    u256_parse(f[2], strlen(f[2]), &addr);
    p->world = eravm_memworld_new();
    eravm_memworld_deploy(p->world, addr, p->code, len, false);
    p->iface = eravm_memworld_iface(p->world);
    p->call.address = addr;
    p->call.calldata = p->calldata;
    p->call.calldata_len = cdlen;
    p->call.ergs = 2000000;
    p->prog = eravm_memworld_program(p->world, eravm_code_hash(p->code, len));
    return 0;
}

static inline void corpus_program_close(corpus_program *p)
{
    eravm_memworld_free(p->world);
    free(p->code);
    free(p->calldata);
}

#endif
