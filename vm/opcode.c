/* vm/opcode.c — generates the 2048-entry opcode-index table from
 * vm/opcodes.def and decodes/encodes single instruction words. The index
 * formulas are the only place the encoding of modes and flags is spelled out. */
#include "opcode.h"

#include <stdio.h>
#include <string.h>

const eravm_family eravm_families[EOP_COUNT] = {
#define X(ID, SHAPE, BASE, ERGS, K, S, OPS, CLASS, N, NV, L, LV) \
    [EOP_##ID] = {N, NV, L, LV, #ID, ERGS, BASE, SHAPE_##SHAPE, OPS, CLASS, K, S},
#include "opcodes.def"
#undef X
};

eravm_opinfo eravm_optab[ERAVM_OPCODE_SLOTS];

const char *const eravm_cond_names[8] = {"", "gt", "lt", "eq", "ge", "le", "ne", "gtlt"};

/* Number of src modes / dst modes / flag combinations each shape enumerates. */
static int shape_src_modes(int shape)
{
    switch (shape) {
    case SHAPE_NOP: case SHAPE_ARITH: case SHAPE_SWAP: case SHAPE_JUMP: case SHAPE_PTR:
        return SRC_MODES;
    case SHAPE_HEAP: case SHAPE_STMEM:
        return 2; /* register, immediate */
    default:
        return 1;
    }
}

int eravm_encode_index(int op, int src_mode, int dst_mode, int flags)
{
    if (op < 0 || op >= EOP_COUNT)
        return -1;
    const eravm_family *f = &eravm_families[op];
    int b = f->base;
    int sf = !!(flags & OPF_SET_FLAGS), sw = !!(flags & OPF_SWAP), v = !!(flags & OPF_VARIANT);
    int st = !!(flags & OPF_STATIC), sh = !!(flags & OPF_SHARD);
    int allowed; /* flag bits this shape can carry */
    int idx;
    bool has_src = shape_src_modes(f->shape) == SRC_MODES;
    bool has_dst = f->shape == SHAPE_NOP || f->shape == SHAPE_ARITH || f->shape == SHAPE_SWAP ||
                   f->shape == SHAPE_PTR;
    if (!has_src && f->shape != SHAPE_HEAP && f->shape != SHAPE_STMEM && src_mode != SRC_REG)
        return -1;
    if (has_src && (src_mode < 0 || src_mode >= SRC_MODES))
        return -1;
    if (!has_dst && dst_mode != DST_REG)
        return -1;
    if (has_dst && (dst_mode < 0 || dst_mode >= DST_MODES))
        return -1;
    switch (f->shape) {
    case SHAPE_ONE:   allowed = 0; idx = b; break;
    case SHAPE_NOP:   allowed = 0; idx = b + 4 * src_mode + dst_mode; break;
    case SHAPE_ARITH: allowed = OPF_SET_FLAGS; idx = b + 8 * src_mode + 2 * dst_mode + sf; break;
    case SHAPE_SWAP:
        allowed = OPF_SET_FLAGS | OPF_SWAP;
        idx = b + 16 * src_mode + 4 * dst_mode + 2 * sf + sw;
        break;
    case SHAPE_JUMP:  allowed = 0; idx = b + src_mode; break;
    case SHAPE_PTR:   allowed = OPF_SWAP; idx = b + 8 * src_mode + 2 * dst_mode + sw; break;
    case SHAPE_VAR:   allowed = OPF_VARIANT; idx = b + v; break;
    case SHAPE_FAR:   allowed = OPF_STATIC | OPF_SHARD; idx = b + 2 * st + sh; break;
    case SHAPE_HEAP:
    case SHAPE_STMEM:
        if (src_mode != SRC_REG && src_mode != SRC_IMM)
            return -1;
        allowed = OPF_VARIANT;
        idx = b + (f->shape == SHAPE_HEAP ? 10 : 2) * (src_mode == SRC_IMM) + v;
        break;
    default:
        return -1;
    }
    if (flags & ~allowed)
        return -1;
    return idx;
}

void eravm_optab_init(void)
{
    static bool done;
    if (done)
        return;
    memset(eravm_optab, 0, sizeof eravm_optab); /* EOP_INVALID == 0 */
    for (int op = 1; op < EOP_COUNT; op++) {
        int ns = shape_src_modes(eravm_families[op].shape);
        int shape = eravm_families[op].shape;
        int nd = (shape == SHAPE_NOP || shape == SHAPE_ARITH || shape == SHAPE_SWAP ||
                  shape == SHAPE_PTR) ? DST_MODES : 1;
        for (int s = 0; s < ns; s++) {
            int src = (shape == SHAPE_HEAP || shape == SHAPE_STMEM) ? (s ? SRC_IMM : SRC_REG) : s;
            for (int d = 0; d < nd; d++) {
                for (int fl = 0; fl < 32; fl++) {
                    int idx = eravm_encode_index(op, src, d, fl);
                    if (idx < 0)
                        continue;
                    eravm_optab[idx] = (eravm_opinfo){(uint8_t)op, (uint8_t)src, (uint8_t)d,
                                                      (uint8_t)fl};
                }
            }
        }
    }
    done = true;
}

eravm_insn eravm_decode(uint64_t w)
{
    eravm_insn in;
    in.index = (uint16_t)(w & 0x7FF);
    in.cond = (uint8_t)((w >> 13) & 7);
    in.src0 = (uint8_t)((w >> 16) & 15);
    in.src1 = (uint8_t)((w >> 20) & 15);
    in.dst0 = (uint8_t)((w >> 24) & 15);
    in.dst1 = (uint8_t)((w >> 28) & 15);
    in.imm0 = (uint16_t)(w >> 32);
    in.imm1 = (uint16_t)(w >> 48);
    const eravm_opinfo *oi = &eravm_optab[in.index];
    in.op = oi->op;
    in.src_mode = oi->src_mode;
    in.dst_mode = oi->dst_mode;
    in.flags = oi->flags;
    return in;
}

uint64_t eravm_encode(const eravm_insn *in)
{
    return (uint64_t)(in->index & 0x7FF) | (uint64_t)(in->cond & 7) << 13 |
           (uint64_t)(in->src0 & 15) << 16 | (uint64_t)(in->src1 & 15) << 20 |
           (uint64_t)(in->dst0 & 15) << 24 | (uint64_t)(in->dst1 & 15) << 28 |
           (uint64_t)in->imm0 << 32 | (uint64_t)in->imm1 << 48;
}

static const char *const src_mode_names[SRC_MODES] = {"reg", "pop", "stack_rel", "stack_abs",
                                                      "imm", "code"};
static const char *const dst_mode_names[DST_MODES] = {"reg", "push", "stack_rel", "stack_abs"};

void eravm_index_name(int index, char *buf, unsigned n)
{
    const eravm_opinfo *oi = &eravm_optab[index & 0x7FF];
    const eravm_family *f = &eravm_families[oi->op];
    const char *name = (oi->flags & OPF_VARIANT) && f->name_v ? f->name_v : f->name;
    int shape = f->shape;
    int k;
    if (shape == SHAPE_NOP || shape == SHAPE_ARITH || shape == SHAPE_SWAP || shape == SHAPE_PTR)
        k = snprintf(buf, n, "%s.%s.%s", name, src_mode_names[oi->src_mode],
                     dst_mode_names[oi->dst_mode]);
    else if (shape == SHAPE_JUMP || shape == SHAPE_HEAP || shape == SHAPE_STMEM)
        k = snprintf(buf, n, "%s.%s", name, src_mode_names[oi->src_mode]);
    else
        k = snprintf(buf, n, "%s", name);
    if (k < 0 || (unsigned)k >= n)
        return;
    snprintf(buf + k, n - (unsigned)k, "%s%s%s%s", oi->flags & OPF_SWAP ? ".s" : "",
             oi->flags & OPF_STATIC ? ".st" : "", oi->flags & OPF_SHARD ? ".sh" : "",
             oi->flags & OPF_SET_FLAGS ? "!" : "");
}
