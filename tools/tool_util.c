/* tools/tool_util.c — helpers shared by the command-line tools. */
#include "tool_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eravm.h"

const char *tool_prog = "eravm";

int tool_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", tool_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

void tool_out_of_memory(void)
{
    fprintf(stderr, "%s: out of memory\n", tool_prog);
    exit(ERAVM_EXIT_OUT_OF_MEMORY);
}

void *tool_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        tool_out_of_memory();
    return p;
}

char *tool_hex(const uint8_t *p, size_t n)
{
    char *s = tool_xmalloc(2 * n + 3);
    static const char digits[] = "0123456789abcdef";
    s[0] = '0';
    s[1] = 'x';
    for (size_t i = 0; i < n; i++) {
        s[2 + 2 * i] = digits[p[i] >> 4];
        s[3 + 2 * i] = digits[p[i] & 15];
    }
    s[2 + 2 * n] = 0;
    return s;
}


bool tool_parse_u256(const char *s, u256 *out)
{
    return s && u256_parse(s, strlen(s), out);
}

bool tool_parse_address(const char *s, u256 *out)
{
    if (!tool_parse_u256(s, out))
        return false;
    return out->w[3] == 0 && (out->w[2] >> 32) == 0;
}

bool tool_parse_size(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return false;
    int shift = 0;
    if (*end) {
        const char *units = "KMGT";
        const char *u = strchr(units, *end >= 'a' ? *end - 32 : *end);
        if (!u || !*u)
            return false;
        shift = 10 * (int)(u - units + 1);
        end++;
        if (*end == 'i' || *end == 'I')
            end++;
        if (*end == 'B' || *end == 'b')
            end++;
        if (*end)
            return false;
    }
    if (shift && v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

static const char *const engine_names[] = {"fast", "counting", "simple"};

int tool_engine(const char *name)
{
    for (int e = 0; name && e < 3; e++)
        if (!strcmp(name, engine_names[e]))
            return e == 0 ? ERAVM_ENGINE_FAST : e == 1 ? ERAVM_ENGINE_COUNTING : ERAVM_ENGINE_SIMPLE;
    return -1;
}

const char *tool_engine_name(int engine)
{
    return engine == ERAVM_ENGINE_COUNTING ? "counting" : engine == ERAVM_ENGINE_SIMPLE ? "simple" : "fast";
}

int tool_engine_default(void)
{
    const char *env = getenv("ERAVM_ENGINE");
    if (!env || !*env)
        return ERAVM_ENGINE_FAST;
    int e = tool_engine(env);
    if (e < 0)
        tool_die("ERAVM_ENGINE is fast, counting or simple, not '%s'", env);
    return e;
}

uint64_t tool_default_memory_limit(void)
{
    uint64_t cap = (uint64_t)4 << 30;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0 && (uint64_t)pages * (uint64_t)page / 2 < cap)
        cap = (uint64_t)pages * (uint64_t)page / 2;
    return cap;
}

static void oom_line(const char *message)
{
    fprintf(stderr, "%s: %s%s\n", tool_prog, message,
            strstr(message, "limit") ? " (raise it with --max-memory)" : "");
}

bool tool_set_memory_limit(const char *arg)
{
    uint64_t limit = tool_default_memory_limit();
    if (arg && !tool_parse_size(arg, &limit))
        return false;
    eravm_set_memory_limit(limit);
    eravm_set_oom_handler(oom_line);
    return true;
}

int tool_close_output(FILE *f, const char *what, int rc)
{
    errno = 0;
    bool bad = fflush(f) != 0 || ferror(f);
    int saved = errno;
    if (fclose(f) != 0 && !bad) {
        bad = true;
        saved = errno;
    }
    if (bad) {
        fprintf(stderr, "%s: cannot write %s: %s\n", tool_prog, what,
                saved ? strerror(saved) : "write error");
        return rc ? rc : 1;
    }
    return rc;
}
