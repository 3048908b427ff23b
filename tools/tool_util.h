/* tools/tool_util.h — small helpers shared by the command-line tools
 * (eravm and eravm-bench): error exits, hex formatting, number, address and
 * size parsing, the engine switch, the memory cap and checked output. */
#ifndef ERAVM_TOOL_UTIL_H
#define ERAVM_TOOL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "u256.h"

/* The name errors start with ("eravm" unless a tool sets it). */
extern const char *tool_prog;

/* Prints "<tool_prog>: <message>" on stderr; returns exit status 2. */
int tool_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "0x" + lowercase hex of n bytes; malloc'd. */
char *tool_hex(const uint8_t *p, size_t n);
/* Decimal or 0x-hex. */
bool tool_parse_u256(const char *s, u256 *out);
/* 0x-hex or decimal, at most 160 bits. */
bool tool_parse_address(const char *s, u256 *out);
/* A byte count: digits with an optional K, M, G or T suffix (powers of 1024). */
bool tool_parse_size(const char *s, uint64_t *out);

/* Engines by name: fast, counting, simple (ERAVM_ENGINE_*), or -1. */
int tool_engine(const char *name);
const char *tool_engine_name(int engine);
/* The engine when no --engine is given: $ERAVM_ENGINE if set, else fast.
 * Returns -1 after printing one line when $ERAVM_ENGINE is not a name. */
int tool_engine_default(void);

/* The default memory cap: 4 GiB, or half the machine's memory if that is less. */
uint64_t tool_default_memory_limit(void);
/* Sets the VM's memory cap (--max-memory; "0" = none) and an out-of-memory
 * line that names the tool and the option. Returns false on a bad value. */
bool tool_set_memory_limit(const char *arg);

/* Flushes and closes f (stdout included); on a write error prints one line
 * naming `what` and returns 1, else rc. */
int tool_close_output(FILE *f, const char *what, int rc);
/* Exits with status 3 after one line: for allocations outside the VM. */
_Noreturn void tool_out_of_memory(void);
void *tool_xmalloc(size_t n);

#endif
