/* vm/program.c — programs: their code (a copy, or the host's own bytes)
 * and their records, which the engine decodes a block at a time when it
 * first runs there (vm/predecode.c), and the buffers both live in.
 *
 * With cold code (every transaction decodes the contracts it calls, as
 * upstream does per VM) a transaction through the bootloader allocates and
 * frees about half a megabyte of code and records. Fresh memory costs a
 * page fault per 4 KiB first touched, which was most of what decoding cost,
 * so the buffers go back to a process-wide pool in power-of-two classes:
 * record arrays come back zeroed (only the blocks that were decoded are
 * cleared again), code buffers as they are (each new program overwrites its
 * code whole). Nothing decoded outlives its program. */
#include <pthread.h>
#include <string.h>

#include "engine.h"
#include "vm_internal.h"
#include "xalloc.h"

#define POOL_MIN_BITS 10 /* 1 KiB */
#define POOL_MAX_BITS 22 /* 4 MiB: a full 65,536-word program's records fit */
#define POOL_CLASSES (POOL_MAX_BITS - POOL_MIN_BITS + 1)
#define POOL_KEEP 16     /* buffers kept per class */

typedef struct {
    void *buf[POOL_CLASSES][POOL_KEEP];
    unsigned n[POOL_CLASSES];
} buf_pool;

static buf_pool rec_pool, code_pool;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

/* The class of an n-byte buffer, or -1 for one too big to pool. */
static int pool_class(size_t n)
{
    int k = POOL_MIN_BITS;
    while (k <= POOL_MAX_BITS && ((size_t)1 << k) < n)
        k++;
    return k <= POOL_MAX_BITS ? k - POOL_MIN_BITS : -1;
}

static void *pool_take(buf_pool *bp, size_t n, bool zeroed)
{
    int k = pool_class(n);
    void *b = NULL;
    if (k >= 0) {
        pthread_mutex_lock(&pool_lock);
        if (bp->n[k])
            b = bp->buf[k][--bp->n[k]];
        pthread_mutex_unlock(&pool_lock);
        n = (size_t)1 << (k + POOL_MIN_BITS);
    }
    if (!b)
        b = zeroed ? xcalloc(1, n) : xmalloc(n);
    return b;
}

static void pool_give(buf_pool *bp, void *b, size_t n)
{
    int k = pool_class(n);
    if (k >= 0) {
        pthread_mutex_lock(&pool_lock);
        if (bp->n[k] < POOL_KEEP) {
            bp->buf[k][bp->n[k]++] = b;
            b = NULL;
        }
        pthread_mutex_unlock(&pool_lock);
    }
    free(b);
}

static eravm_program *program_make(const uint8_t *code, size_t len, bool copy)
{
    eravm_program *p = xmalloc(sizeof *p);
    if (copy) {
        uint8_t *c = pool_take(&code_pool, len, false);
        if (len)
            memcpy(c, code, len);
        p->code = c;
    } else {
        p->code = code;
    }
    p->owns_code = copy;
    p->len = len;
    p->nwords = (uint32_t)(len / 32 > 65536 ? 65536 : len / 32);
    size_t n8 = len / 8;
    p->ndec = (uint32_t)(n8 > 65536 ? 65536 : n8);
    /* zeroed: H_DECODE until the engine first enters a block */
    p->recs = pool_take(&rec_pool, sizeof(vm_rec) * (p->ndec + 2), true);
    p->blocks = xcalloc((p->ndec + PREDECODE_BLOCK - 1) / PREDECODE_BLOCK + 1, 1);
    predecode_program(p, predecode_default_passes());
    return p;
}

eravm_program *eravm_program_new(const uint8_t *code, size_t len)
{
    return program_make(code, len, true);
}

eravm_program *eravm_program_new_borrowed(const uint8_t *code, size_t len)
{
    return program_make(code, len, false);
}

void eravm_program_free(eravm_program *p)
{
    if (!p)
        return;
    for (uint32_t first = 0; first < p->ndec; first += PREDECODE_BLOCK) {
        uint32_t n = p->ndec - first < PREDECODE_BLOCK ? p->ndec - first : PREDECODE_BLOCK;
        if (p->blocks[first / PREDECODE_BLOCK] != PREDECODE_FRESH)
            memset(p->recs + first, 0, n * sizeof(vm_rec));
    }
    memset(p->recs + p->ndec, 0, 2 * sizeof(vm_rec));
    pool_give(&rec_pool, p->recs, sizeof(vm_rec) * (p->ndec + 2));
    if (p->owns_code)
        pool_give(&code_pool, (void *)p->code, p->len);
    free(p->blocks);
    free(p);
}

size_t eravm_program_len(const eravm_program *p)
{
    return p->len;
}

const uint8_t *eravm_program_code(const eravm_program *p)
{
    return p->code;
}
