/* tools/tool_util.c — helpers shared by the command-line tools. */
#include "tool_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tool_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("eravm: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

char *tool_hex(const uint8_t *p, size_t n)
{
    char *s = malloc(2 * n + 3);
    if (!s) {
        fprintf(stderr, "eravm: out of memory\n");
        exit(1);
    }
    s[0] = '0';
    s[1] = 'x';
    for (size_t i = 0; i < n; i++)
        snprintf(s + 2 + 2 * i, 3, "%02x", p[i]);
    s[2 + 2 * n] = 0;
    return s;
}

void tool_addr_hex(u256 a, char out[43])
{
    uint8_t b[32];
    u256_to_be(a, b);
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 20; i++)
        snprintf(out + 2 + 2 * i, 3, "%02x", b[12 + i]);
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
