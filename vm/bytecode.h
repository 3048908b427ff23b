/* vm/bytecode.h — loading EraVM bytecode from files (raw, hex text, foundry/
 * hardhat JSON artifacts), the container rules, and the versioned hash. */
#ifndef ERAVM_BYTECODE_H
#define ERAVM_BYTECODE_H

#include <stddef.h>
#include <stdint.h>

#define ERAVM_MAX_CODE_WORDS 65535u

/* Reads a whole file ("-" = stdin) into a malloc'd, NUL-terminated buffer;
 * returns 0, or -1 with one line in err. */
int eravm_read_file(const char *path, uint8_t **out, size_t *len, char *err, size_t errn);

/* Reads FILE; returns 0 and a malloc'd buffer, or -1 with one line in err.
 * Format is detected after an optional UTF-8 byte order mark: a JSON
 * artifact ('{'; a file that is wholly JSON but not an object is refused),
 * hex text (optional 0x, hex digits and whitespace), otherwise raw bytes. */
int eravm_load_bytecode(const char *path, uint8_t **out, size_t *len, char *err, size_t errn);

/* As eravm_load_bytecode, and a `.zasm` file is assembled on the fly (so
 * tests and workloads can ship readable sources). */
int eravm_load_code_or_source(const char *path, uint8_t **out, size_t *len, char *err, size_t errn);

/* Decodes hex text (optional 0x prefix, whitespace ignored). */
int eravm_hex_decode(const char *s, size_t n, uint8_t **out, size_t *len, char *err, size_t errn);

/* Checks the container rules: whole 32-byte words, an odd count, at most
 * 65,535 words. With truncate, *len is cut to the largest odd word count
 * instead of failing on the first two. Returns 0 or -1 with err. */
int eravm_check_container(size_t *len, int truncate, char *err, size_t errn);

/* Versioned hash: 0x01, 0x00, word count (BE u16), sha256(code)[4..32). */
void eravm_versioned_hash(const uint8_t *code, size_t len, uint8_t out[32]);

#endif
