/* vm/opcode.h — EraVM instruction words: fields, the 2048-entry opcode-index
 * table generated from vm/opcodes.def, and decode/encode of one 64-bit word. */
#ifndef ERAVM_OPCODE_H
#define ERAVM_OPCODE_H

#include <stdbool.h>
#include <stdint.h>

enum eravm_op {
#define X(ID, SHAPE, BASE, ERGS, K, S, OPS, CLASS, N, NV, L, LV) EOP_##ID,
#include "opcodes.def"
#undef X
    EOP_COUNT
};

enum eravm_shape { SHAPE_ONE, SHAPE_NOP, SHAPE_ARITH, SHAPE_SWAP, SHAPE_JUMP, SHAPE_PTR,
                   SHAPE_VAR, SHAPE_FAR, SHAPE_HEAP, SHAPE_STMEM };

/* Operand signatures: which fields an instruction's assembly operands fill. */
enum eravm_ops {
    OPS_NONE,    /* inctx, invalid */
    OPS_NOP,     /* nop / incsp / decsp */
    OPS_ABD,     /* A, rB, D */
    OPS_ABDD,    /* A, rB, D, rD1 (mul, div) */
    OPS_JUMP,    /* A[, rD0] */
    OPS_NEAR,    /* rE, @callee(imm0), @handler(imm1) */
    OPS_FAR,     /* rABI, rDest, @handler(imm0) */
    OPS_RET,     /* (r1/r0 implied) or @label with the variant bit */
    OPS_OUT,     /* rD0 */
    OPS_IN,      /* rS0 */
    OPS_KEY_OUT, /* rS0, rD0 */
    OPS_KEY_VAL, /* rS0, rS1 */
    OPS_3R,      /* rS0, rS1, rD0 */
    OPS_LOAD,    /* A(reg|imm), rD0[, rD1 with inc] */
    OPS_STORE,   /* A(reg|imm), rS1[, rD0 with inc] */
};

/* Handler classes: the engine runs every family of a class with one body
 * (vm/handlers.h); the class also says what the engine may assume. */
enum eravm_hclass {
    HC_INVALID,    /* burns all ergs, panics */
    HC_NOP,        /* sp arithmetic only */
    HC_BINOP,      /* add sub and or xor shl shr rol ror: A op rB -> D */
    HC_MULDIV,     /* mul div: two outputs, dst1 always written */
    HC_JUMP,       /* pc <- A, dst0 <- return address */
    HC_PTR,        /* fat-pointer arithmetic; may panic */
    HC_NEAR_CALL,
    HC_CTX_READ,   /* one frame field -> dst0 */
    HC_WORLD,      /* storage, logs, precompiles, decommit, static memory,
                      context writes: out of line, with the state saved */
    HC_FAR_CALL,
    HC_RET,
    HC_HEAP_READ,  /* heap and aux heap; .inc writes dst1 */
    HC_HEAP_WRITE, /* heap and aux heap; may suspend on the VM hook */
    HC_FAT_READ,
    HC_COUNT
};

/* Source addressing modes (src0 only) and destination modes (dst0 only). */
enum { SRC_REG, SRC_POP, SRC_STACK_REL, SRC_STACK_ABS, SRC_IMM, SRC_CODE, SRC_MODES };
enum { DST_REG, DST_PUSH, DST_STACK_REL, DST_STACK_ABS, DST_MODES };

/* Variant bits of a decoded index. VARIANT is first / to_label / inc by family. */
enum {
    OPF_SET_FLAGS = 1 << 0,
    OPF_SWAP = 1 << 1,
    OPF_VARIANT = 1 << 2,
    OPF_STATIC = 1 << 3,
    OPF_SHARD = 1 << 4,
};

enum { COND_ALWAYS, COND_GT, COND_LT, COND_EQ, COND_GE, COND_LE, COND_NE, COND_GTLT };

#define ERAVM_OPCODE_SLOTS 2048
#define ERAVM_VALID_INDICES 1104 /* 0 (invalid) .. 1103 */

typedef struct {
    const char *name;      /* zksolc 1.5 mnemonic */
    const char *name_v;    /* with the variant bit, or NULL */
    const char *long_names;   /* '|'-separated older spellings, or NULL */
    const char *long_names_v;
    const char *id;        /* "ADD", used for counter names */
    uint32_t ergs;
    uint16_t base;
    uint8_t shape;
    uint8_t ops;
    uint8_t hclass; /* enum eravm_hclass */
    bool kernel_only;
    bool static_forbidden;
} eravm_family;

extern const eravm_family eravm_families[EOP_COUNT];

/* One row of the 2048-entry table: what an 11-bit index means. */
typedef struct {
    uint8_t op;       /* enum eravm_op; EOP_INVALID for undefined indices */
    uint8_t src_mode; /* SRC_*; HEAP/STMEM immediate forms use SRC_IMM */
    uint8_t dst_mode; /* DST_* */
    uint8_t flags;    /* OPF_* */
} eravm_opinfo;

extern eravm_opinfo eravm_optab[ERAVM_OPCODE_SLOTS];

/* Builds eravm_optab from the table; idempotent, cheap, thread-unsafe on first call. */
void eravm_optab_init(void);

/* Index for a family with modes and flags, or -1 if that combination does not exist. */
int eravm_encode_index(int op, int src_mode, int dst_mode, int flags);

/* A decoded instruction word (fields as in ../shared/spec/eravm-isa.md §3.1). */
typedef struct {
    uint16_t index; /* 11-bit opcode index */
    uint8_t op, src_mode, dst_mode, flags;
    uint8_t cond;
    uint8_t src0, src1, dst0, dst1;
    uint16_t imm0, imm1;
} eravm_insn;

eravm_insn eravm_decode(uint64_t word);
uint64_t eravm_encode(const eravm_insn *in); /* uses in->index, ignores op/modes/flags */

/* Reads instruction i (0-based) of a bytecode as a big-endian u64. */
static inline uint64_t eravm_fetch_word(const uint8_t *code, uint32_t i)
{
    const uint8_t *p = code + 8 * (uint64_t)i;
    uint64_t w = 0;
    for (int k = 0; k < 8; k++)
        w = (w << 8) | p[k];
    return w;
}

extern const char *const eravm_cond_names[8]; /* "", "gt", "lt", ... */

/* Counter slots: the 2048 opcode indices, then the VM's spontaneous panic
 * and the pc wrap; families likewise end with those two. */
#define ERAVM_SLOT_PANIC 2048
#define ERAVM_SLOT_WRAP 2049
#define ERAVM_SLOTS 2050
#define ERAVM_FAMILY_WRAP EOP_COUNT /* = the VM's pseudo-op numbers (vm_internal.h) */
#define ERAVM_FAMILY_PANIC (EOP_COUNT + 1)
#define ERAVM_FAMILIES (EOP_COUNT + 2)

static inline unsigned eravm_index_family(unsigned slot)
{
    return slot < 2048 ? eravm_optab[slot].op : slot == ERAVM_SLOT_PANIC ? ERAVM_FAMILY_PANIC
                                                                          : ERAVM_FAMILY_WRAP;
}

/* "add.imm.stack_rel!" style name of an index, for counters and histograms. */
void eravm_index_name(int index, char *buf, unsigned n);

#endif
