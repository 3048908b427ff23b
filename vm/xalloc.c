/* vm/xalloc.c — the memory cap behind vm/xalloc.h: the limit, the resident
 * size it is checked against (/proc/self/statm, which counts everything the
 * process holds, as the peak RSS a user sees does), and the one way a run
 * ends when memory runs out: a line on stderr and exit status
 * ERAVM_EXIT_OUT_OF_MEMORY. exit() rather than abort(): stdio buffers hold
 * only whole lines written before the run ran out (traces, earlier steps),
 * and embedders' atexit handlers remove files they had not finished. */
#include "xalloc.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

size_t xalloc_unchecked;
static uint64_t memory_limit;
static eravm_oom_fn oom_handler;

void eravm_set_memory_limit(uint64_t bytes)
{
    memory_limit = bytes;
}

uint64_t eravm_memory_limit(void)
{
    return memory_limit;
}

void eravm_set_oom_handler(eravm_oom_fn fn)
{
    oom_handler = fn;
}

uint64_t eravm_resident_bytes(void)
{
    static int fd = -2;
    if (fd == -2)
        fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    char buf[128];
    ssize_t n = fd >= 0 ? pread(fd, buf, sizeof buf - 1, 0) : -1;
    if (n <= 0)
        return 0;
    buf[n] = 0;
    unsigned long long size, resident;
    if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
        return 0;
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static _Noreturn void out_of_memory(const char *message)
{
    if (oom_handler)
        oom_handler(message);
    else
        fprintf(stderr, "eravm: %s\n", message);
    exit(ERAVM_EXIT_OUT_OF_MEMORY);
}

void xalloc_check_cap(size_t n)
{
    __atomic_store_n(&xalloc_unchecked, 0, __ATOMIC_RELAXED);
    if (!memory_limit)
        return;
    uint64_t resident = eravm_resident_bytes();
    if (resident + n > memory_limit) {
        char msg[160];
        snprintf(msg, sizeof msg, "out of memory: the run needs more than the memory limit of %llu MiB",
                 (unsigned long long)(memory_limit >> 20));
        out_of_memory(msg);
    }
}

void xalloc_fail(size_t n)
{
    char msg[160];
    snprintf(msg, sizeof msg, "out of memory: the host refused %zu more bytes", n);
    out_of_memory(msg);
}

void *xrealloc(void *p, size_t n)
{
    xalloc_count(n);
    return xalloc_check(realloc(p, n ? n : 1), n);
}
