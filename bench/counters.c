/* bench/counters.c — CPU counters around the timed runs: cycles,
 * instructions, branch misses and cache misses through libpfm4 and
 * perf_event_open where the machine has a PMU; otherwise (these VMs have
 * none) it says so once and counts software events instead: task-clock,
 * context switches and page faults. ERAVM_BENCH_NO_PMU=1 takes the no-PMU
 * path on a machine that has one (its test runs anywhere). */
#include <linux/perf_event.h>
#include <perfmon/pfmlib_perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

static int fds[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
static const char *names[8];
static int nfds;
static bool hardware;

static int open_attr(struct perf_event_attr *attr)
{
    attr->size = sizeof *attr;
    attr->disabled = 1;
    attr->exclude_kernel = 1;
    attr->exclude_hv = 1;
    return (int)syscall(SYS_perf_event_open, attr, 0, -1, -1, 0);
}

/* Encodes a named event with libpfm4 and opens it. */
static int open_pfm(const char *event)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    pfm_perf_encode_arg_t arg;
    memset(&arg, 0, sizeof arg);
    arg.attr = &attr;
    arg.size = sizeof arg;
    if (pfm_get_os_event_encoding(event, PFM_PLM3, PFM_OS_PERF_EVENT, &arg) != PFM_SUCCESS)
        return -1;
    return open_attr(&attr);
}

void bench_counters_open(void)
{
    static const char *hw[] = {"cycles", "instructions", "branch-misses", "cache-misses"};
    static const char *hw_pfm[] = {"PERF_COUNT_HW_CPU_CYCLES", "PERF_COUNT_HW_INSTRUCTIONS",
                                   "PERF_COUNT_HW_BRANCH_MISSES", "PERF_COUNT_HW_CACHE_MISSES"};
    nfds = 0;
    const char *no_pmu = getenv("ERAVM_BENCH_NO_PMU");
    if (!(no_pmu && *no_pmu && strcmp(no_pmu, "0")) && pfm_initialize() == PFM_SUCCESS) {
        for (int i = 0; i < 4; i++) {
            int fd = open_pfm(hw_pfm[i]);
            if (fd < 0)
                break;
            fds[nfds] = fd;
            names[nfds++] = hw[i];
        }
    }
    hardware = nfds == 4;
    if (!hardware) {
        for (int i = 0; i < nfds; i++)
            close(fds[i]);
        nfds = 0;
        fprintf(stderr, "eravm-bench: no hardware performance counters on this machine (no PMU); "
                        "reporting software counters instead\n");
        static const struct { uint64_t config; const char *name; } sw[] = {
            {PERF_COUNT_SW_TASK_CLOCK, "task-clock-ns"},
            {PERF_COUNT_SW_CONTEXT_SWITCHES, "context-switches"},
            {PERF_COUNT_SW_PAGE_FAULTS, "page-faults"},
        };
        for (int i = 0; i < 3; i++) {
            struct perf_event_attr attr;
            memset(&attr, 0, sizeof attr);
            attr.type = PERF_TYPE_SOFTWARE;
            attr.config = sw[i].config;
            int fd = open_attr(&attr);
            if (fd < 0)
                continue;
            fds[nfds] = fd;
            names[nfds++] = sw[i].name;
        }
        if (nfds == 0)
            fprintf(stderr, "eravm-bench: perf_event_open is not permitted here; no counters\n");
    }
}

void bench_counters_start(void)
{
    for (int i = 0; i < nfds; i++) {
        ioctl(fds[i], PERF_EVENT_IOC_RESET, 0);
        ioctl(fds[i], PERF_EVENT_IOC_ENABLE, 0);
    }
}

void bench_counters_pause(void)
{
    for (int i = 0; i < nfds; i++)
        ioctl(fds[i], PERF_EVENT_IOC_DISABLE, 0);
}

void bench_counters_resume(void)
{
    for (int i = 0; i < nfds; i++)
        ioctl(fds[i], PERF_EVENT_IOC_ENABLE, 0);
}

void bench_counters_stop(bench_counter_set *out)
{
    memset(out, 0, sizeof *out);
    out->hardware = hardware;
    for (int i = 0; i < nfds; i++) {
        ioctl(fds[i], PERF_EVENT_IOC_DISABLE, 0);
        uint64_t v = 0;
        if (read(fds[i], &v, sizeof v) != sizeof v)
            v = 0;
        out->names[out->n] = names[i];
        out->values[out->n++] = v;
    }
}

void bench_counters_close(void)
{
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
    nfds = 0;
}
