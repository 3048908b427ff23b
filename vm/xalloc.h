/* vm/xalloc.h — allocation that cannot fail quietly: the VM has no way to
 * continue without the memory, so running out is one line and an abort. */
#ifndef ERAVM_XALLOC_H
#define ERAVM_XALLOC_H

#include <stdio.h>
#include <stdlib.h>

static inline void *xalloc_check(void *p)
{
    if (!p) {
        fprintf(stderr, "eravm: out of memory\n");
        abort();
    }
    return p;
}

static inline void *xmalloc(size_t n)
{
    return xalloc_check(malloc(n ? n : 1));
}

static inline void *xcalloc(size_t n, size_t size)
{
    return xalloc_check(calloc(n ? n : 1, size ? size : 1));
}

static inline void *xrealloc(void *p, size_t n)
{
    return xalloc_check(realloc(p, n ? n : 1));
}

#endif
