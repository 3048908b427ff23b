/* vm/asm.h — assembles zksolc's `.zasm` dialect (both mnemonic generations)
 * into EraVM bytecode laid out as the compiler does. */
#ifndef ERAVM_ASM_H
#define ERAVM_ASM_H

#include <stddef.h>
#include <stdint.h>

enum { ASM_SYM_CODE, ASM_SYM_CONST, ASM_SYM_DATA };

typedef struct {
    char *name;
    uint32_t value; /* instruction index, word index, or .data cell index */
    int kind;       /* ASM_SYM_* */
} eravm_asm_sym;

typedef struct {
    uint8_t *code;       /* the bytecode: code words, constants, odd-count padding */
    size_t len;
    uint32_t ninsn;      /* instructions in .text */
    uint32_t code_words; /* ninsn rounded up to whole words */
    uint32_t ncells;     /* .rodata cells */
    eravm_asm_sym *syms;
    size_t nsyms;
} eravm_asm_result;

/* Assembles src (n bytes). On error returns -1 and writes one line
 * "FILE:LINE:COL: error: what" (no newline) into err. */
int eravm_asm(const char *src, size_t n, const char *filename, eravm_asm_result *res, char *err,
              size_t errn);
void eravm_asm_free(eravm_asm_result *res);

/* Looks a symbol up in a result; returns its value or -1. */
long eravm_asm_lookup(const eravm_asm_result *res, const char *name);

#endif
