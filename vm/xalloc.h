/* vm/xalloc.h — allocation that cannot fail quietly, and the memory cap.
 * The VM cannot continue without the memory it asks for, so a failed
 * allocation, or one that would take the process past the limit set with
 * eravm_set_memory_limit, ends the process with one line on stderr and exit
 * status ERAVM_EXIT_OUT_OF_MEMORY (vm/xalloc.c). Every byte the VM allocates
 * is counted here; the resident size is checked against the limit whenever
 * XALLOC_CHECK_STEP more bytes were asked for, so the check costs nothing on
 * the hot path and the process overshoots the limit by at most one step. */
#ifndef ERAVM_XALLOC_H
#define ERAVM_XALLOC_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "eravm.h"

#define XALLOC_CHECK_STEP ((size_t)16 << 20)

/* Bytes asked for since the cap was last checked. Relaxed atomics: with VMs
 * on several threads an update may be lost, which only delays a check. */
extern size_t xalloc_unchecked __attribute__((visibility("hidden")));
/* Checks the cap before `n` more bytes are taken; does not return if they
 * would pass it. */
void xalloc_check_cap(size_t n);
/* The host refused `n` bytes. */
_Noreturn void xalloc_fail(size_t n);

/* Inline and lock-free: allocation sits on the far-call path. */
static inline void xalloc_count(size_t n)
{
    size_t u = __atomic_load_n(&xalloc_unchecked, __ATOMIC_RELAXED) + n;
    __atomic_store_n(&xalloc_unchecked, u, __ATOMIC_RELAXED);
    if (__builtin_expect(u >= XALLOC_CHECK_STEP, 0))
        xalloc_check_cap(n);
}

static inline void *xalloc_check(void *p, size_t n)
{
    if (__builtin_expect(!p, 0))
        xalloc_fail(n);
    return p;
}

static inline void *xmalloc(size_t n)
{
    xalloc_count(n);
    return xalloc_check(malloc(n ? n : 1), n);
}

/* An overflowing n * size is counted wrapped, but calloc refuses it. */
static inline void *xcalloc(size_t n, size_t size)
{
    xalloc_count(n * size);
    return xalloc_check(calloc(n ? n : 1, size ? size : 1), n * size);
}

/* Cache-line aligned, for what the engine reads as 32-byte words at
 * random (stack chunks): from malloc's 16-byte alignment every other word
 * straddles two lines, and a random access then misses twice. (Not the
 * VM itself: its register file aligned so measured 7 % slower on
 * synth/mix; nor 256-byte heap chunks: the alignment costs them a quarter
 * more memory, past the static memory bound of tests/test_memory.sh.)
 * Freed with free(). */
#define XALLOC_LINE 64
static inline void *xmalloc_lines(size_t n)
{
    size_t r = (n + XALLOC_LINE - 1) & ~(size_t)(XALLOC_LINE - 1);
    xalloc_count(r);
    return xalloc_check(aligned_alloc(XALLOC_LINE, r ? r : XALLOC_LINE), n);
}

static inline void *xcalloc_lines(size_t n)
{
    return memset(xmalloc_lines(n), 0, n);
}

/* Counts the whole new size: growth by doubling asks for about as much
 * again. Out of line: arrays grow rarely, and inlined growth paths cost
 * their hot callers registers (page_slot, wd_add_flag). */
void *xrealloc(void *p, size_t n);

#endif
