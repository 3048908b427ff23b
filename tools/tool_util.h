/* tools/tool_util.h — small helpers shared by the command-line tools:
 * error exits, hex formatting, number and address parsing. */
#ifndef ERAVM_TOOL_UTIL_H
#define ERAVM_TOOL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "u256.h"

/* Prints "eravm: <message>" on stderr; returns exit status 2. */
int tool_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "0x" + lowercase hex of n bytes; malloc'd. */
char *tool_hex(const uint8_t *p, size_t n);
/* "0x" + 40 hex digits. */
void tool_addr_hex(u256 a, char out[43]);
/* Decimal or 0x-hex. */
bool tool_parse_u256(const char *s, u256 *out);
/* 0x-hex or decimal, at most 160 bits. */
bool tool_parse_address(const char *s, u256 *out);

#endif
