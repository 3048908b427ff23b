/* host/compress.c — bytecode compression and the compressed-bytecode heap
 * entry (see compress.h). */
#include "compress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "bytecode.h"
#include "eravm.h"

typedef struct {
    uint64_t chunk;
    uint32_t count;
    uint32_t first; /* position of the first occurrence, in chunks */
    uint32_t index; /* dictionary index once sorted */
    uint32_t used;
} compress_slot;

/* An open-addressing table keyed by chunk value: bytecodes have up to
 * 262,140 chunks, so sorting copies or a tree would cost more than this. */
typedef struct {
    compress_slot *slots;
    size_t mask;
} compress_table;

static size_t compress_hash(uint64_t x, size_t mask)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)x & mask;
}

static compress_slot *compress_find(compress_table *t, uint64_t chunk)
{
    size_t i = compress_hash(chunk, t->mask);
    while (t->slots[i].used && t->slots[i].chunk != chunk)
        i = (i + 1) & t->mask;
    return &t->slots[i];
}

static uint64_t compress_load64(const uint8_t *p)
{
    return u256_load_be64(p);
}

compress_status compress_bytecode(const uint8_t *code, size_t len, uint8_t **out, size_t *out_len,
                                  char *err, size_t errn)
{
    *out = NULL;
    *out_len = 0;
    size_t checked = len;
    if (!code) {
        snprintf(err, errn, "no bytecode to compress");
        return COMPRESS_INVALID;
    }
    if (eravm_check_container(&checked, 0, err, errn))
        return COMPRESS_INVALID;
    size_t nchunks = len / 8;
    compress_table t;
    size_t cap = 16;
    while (cap < 2 * nchunks)
        cap *= 2;
    t.mask = cap - 1;
    t.slots = calloc(cap, sizeof *t.slots);
    compress_slot **dict = malloc(COMPRESS_MAX_DICT * sizeof *dict);
    compress_status st = COMPRESS_NOMEM;
    if (!t.slots || !dict) {
        snprintf(err, errn, "out of memory compressing %zu bytes", len);
        goto done;
    }
    size_t ndict = 0;
    for (size_t i = 0; i < nchunks; i++) {
        uint64_t c = compress_load64(code + 8 * i);
        compress_slot *s = compress_find(&t, c);
        if (!s->used) {
            if (ndict == COMPRESS_MAX_DICT) {
                snprintf(err, errn, "bytecode has more than %u distinct 8-byte chunks",
                         COMPRESS_MAX_DICT);
                st = COMPRESS_TOO_MANY;
                goto done;
            }
            s->used = 1;
            s->chunk = c;
            s->first = (uint32_t)i;
            dict[ndict++] = s;
        }
        s->count++;
    }
    /* The dictionary's order: most frequent first, and of equal counts the
     * later first occurrence first. dict[] is in order of first occurrence,
     * so a counting sort by count (descending), placing from dict's end,
     * gives it in one pass: deploys compress their code every transaction,
     * and qsort's comparisons through a pointer were most of the time. */
    uint32_t maxc = 0;
    for (size_t k = 0; k < ndict; k++)
        maxc = dict[k]->count > maxc ? dict[k]->count : maxc;
    uint32_t *at = calloc((size_t)maxc + 2, sizeof *at); /* bucket maxc - count */
    if (!at) {
        snprintf(err, errn, "out of memory compressing %zu bytes", len);
        goto done;
    }
    for (size_t k = 0; k < ndict; k++)
        at[maxc - dict[k]->count + 1]++;
    for (uint32_t b = 1; b <= maxc + 1; b++)
        at[b] += at[b - 1];
    for (size_t k = ndict; k-- > 0;)
        dict[k]->index = at[maxc - dict[k]->count]++;
    free(at);

    size_t n = 2 + 8 * ndict + 2 * nchunks;
    uint8_t *buf = malloc(n);
    if (!buf) {
        snprintf(err, errn, "out of memory compressing %zu bytes", len);
        goto done;
    }
    buf[0] = (uint8_t)(ndict >> 8);
    buf[1] = (uint8_t)ndict;
    for (size_t k = 0; k < ndict; k++)
        u256_store_be64(buf + 2 + 8 * dict[k]->index, dict[k]->chunk);
    uint8_t *idx = buf + 2 + 8 * ndict;
    for (size_t i = 0; i < nchunks; i++) {
        uint32_t v = compress_find(&t, compress_load64(code + 8 * i))->index;
        idx[2 * i] = (uint8_t)(v >> 8);
        idx[2 * i + 1] = (uint8_t)v;
    }
    *out = buf;
    *out_len = n;
    st = COMPRESS_OK;
done:
    free(t.slots);
    free(dict);
    return st;
}

int compress_decompress(const uint8_t *c, size_t n, uint8_t **out, size_t *out_len, char *err,
                        size_t errn)
{
    *out = NULL;
    *out_len = 0;
    if (!c || n < 2) {
        snprintf(err, errn, "compressed bytecode shorter than its 2-byte dictionary size");
        return -1;
    }
    size_t ndict = (size_t)c[0] << 8 | c[1];
    if (2 + 8 * ndict > n) {
        snprintf(err, errn, "dictionary of %zu chunks runs past the %zu compressed bytes", ndict,
                 n);
        return -1;
    }
    const uint8_t *dict = c + 2, *idx = c + 2 + 8 * ndict;
    size_t nidx = n - 2 - 8 * ndict;
    if (nidx % 2 || ndict > nidx / 2) {
        snprintf(err, errn, "%zu index bytes do not fit a dictionary of %zu chunks", nidx, ndict);
        return -1;
    }
    uint8_t *buf = malloc(nidx * 4 + 1);
    if (!buf) {
        snprintf(err, errn, "out of memory decompressing %zu bytes", n);
        return -1;
    }
    for (size_t i = 0; i < nidx / 2; i++) {
        size_t k = (size_t)idx[2 * i] << 8 | idx[2 * i + 1];
        if (k >= ndict) {
            snprintf(err, errn, "index %zu at chunk %zu is outside the %zu-chunk dictionary", k, i,
                     ndict);
            free(buf);
            return -1;
        }
        memcpy(buf + 8 * i, dict + 8 * k, 8);
    }
    *out = buf;
    *out_len = nidx * 4;
    return 0;
}

size_t compress_entry_words(size_t code_len, size_t comp_len)
{
    /* hash, selector slot, two offsets, two lengths, two padded payloads */
    return 2 + 2 + 1 + (code_len + 31) / 32 + 1 + (comp_len + 31) / 32;
}

compress_status compress_entry(const uint8_t *code, size_t len, u256 hash, u256 **out,
                               size_t *nwords, char *err, size_t errn)
{
    *out = NULL;
    *nwords = 0;
    uint8_t *comp, *enc = NULL;
    size_t clen, elen;
    compress_status st = compress_bytecode(code, len, &comp, &clen, err, errn);
    if (st != COMPRESS_OK)
        return st;
    abi_arg args[2] = {abi_bytes(code, len), abi_bytes(comp, clen)};
    st = COMPRESS_NOMEM;
    if (abi_encode(NULL, args, 2, &enc, &elen, err, errn))
        goto done;
    size_t n = 2 + elen / 32;
    u256 *w = malloc(n * sizeof *w);
    if (!w) {
        snprintf(err, errn, "out of memory building a %zu-word bytecode entry", n);
        goto done;
    }
    w[0] = hash;
    w[1] = u256_zero();
    abi_bytes_to_words(enc, elen, w + 2);
    *out = w;
    *nwords = n;
    st = COMPRESS_OK;
done:
    free(comp);
    free(enc);
    return st;
}
