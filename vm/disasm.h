/* vm/disasm.h — prints EraVM instructions in zksolc 1.5's assembly syntax. */
#ifndef ERAVM_DISASM_H
#define ERAVM_DISASM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "opcode.h"

enum { DISASM_SYM_CODE, DISASM_SYM_CONST };

/* Optional symbol names: return the label for a code index (jump/call/handler
 * targets) or a constant word index (code[...] reads), or NULL for a number. */
typedef const char *(*eravm_disasm_symfn)(void *ctx, int kind, unsigned value);

/* True when the printed form carries every bit of the word (unused fields zero,
 * reserved bits zero, defined opcode); otherwise the printer emits `.inst`. */
int eravm_insn_is_canonical(uint64_t word);

/* Writes one instruction ("add\tr1, r2, r3"; a tab between mnemonic and
 * operands) into buf. Returns the length, or -1 if buf is too small. */
int eravm_disasm_insn(uint64_t word, eravm_disasm_symfn sym, void *ctx, char *buf, size_t n);

/* The mnemonic alone (with .s, .st/.sh, ! and condition), e.g. "sub.s!.gt". */
int eravm_disasm_mnemonic(const eravm_insn *in, char *buf, size_t n);

/* Formats an address operand: kind is 'p' (stack-=), 'q' (stack+=), 'r'
 * (stack-), 'a' (stack), 'c' (code); sym replaces the immediate when non-NULL. */
int eravm_disasm_addr(char kind, unsigned reg, unsigned imm, const char *sym, char *buf,
                      size_t n);

enum { DISASM_RAW = 1, DISASM_NO_LABELS = 2 };

/* Disassembles a whole bytecode (len a multiple of 8) to out as an assembly
 * file that `eravm asm` turns back into the same bytes (DISASM_RAW: an
 * objdump-like listing with index and bytes instead). */
void eravm_disasm_file(FILE *out, const uint8_t *code, size_t len, int flags);

/* Prints the engine's pre-decoded records of a bytecode's first `count`
 * instructions and the two it appends (vm/predecode.c): handler (G_ generic,
 * S_ specialised, F_ fused, named by opcode indices), opcode index,
 * predicate mask, OPF/mode bits, the registers read as values, operands
 * (r0 destinations print as "-", the sink), then the instruction. */
void eravm_disasm_predecoded(FILE *out, const uint8_t *code, size_t len, uint32_t count);

#endif
