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

/* n bytes at a multiple of align (a power of two), rounded up to one */
static inline void *xaligned(size_t align, size_t n)
{
    n = (n + align - 1) & ~(align - 1);
    xalloc_count(n);
    return xalloc_check(aligned_alloc(align, n ? n : align), n);
}

/* An overflowing n * size is counted wrapped, but calloc refuses it. */
static inline void *xcalloc(size_t n, size_t size)
{
    xalloc_count(n * size);
    return xalloc_check(calloc(n ? n : 1, size ? size : 1), n * size);
}

/* Counts the whole new size: growth by doubling asks for about as much
 * again. Out of line: arrays grow rarely, and inlined growth paths cost
 * their hot callers registers (page_slot, wd_add_flag). */
void *xrealloc(void *p, size_t n);

#endif
