/* vm/engine_bits.h — the bits tools/gen-engine writes into vm/engine.gen.h's
 * tables and handler lists and the engine reads back: one definition for
 * both (the generator cannot include vm/engine.h, which includes what it
 * generates). */
#ifndef ERAVM_ENGINE_BITS_H
#define ERAVM_ENGINE_BITS_H

/* The most instructions a fused handler stands for (eng_fused_seq.idx) */
#define ENG_SEQ_MAX 4

/* The decoder's pair table (vm/engine.h eng_pair_tab): the key of a
 * record's index and the next one's, and its slot in a table of 2^bits
 * under the multiplier the generator picked to have no collision */
#define ENG_PAIR_KEY(a, b) ((uint32_t)(a) << 16 | (uint32_t)(b))
#define ENG_PAIR_HASH(key, mul, bits) ((uint32_t)((uint32_t)(key) * (uint32_t)(mul)) >> (32 - (bits)))

/* Mode requirements, kept in eng_index_entry.fl beside the OPF_* bits. */
enum { RB_KERNEL = 1 << 5, RB_NOSTATIC = 1 << 6 };

/* In a specialised handler's flags only: an add without flags whose rB is
 * r0, which compiled code uses to move a value (the M_ handlers; the
 * handler id follows its S_ twin's, and the index has ENG_SLOW_MOVE) */
#define ENG_MOVE 0x100
/* In a specialised handler's flags only: every stack or code operand it
 * has is addressed by its immediate alone (the register is r0, as in all
 * of compiled code's `stack-[N]`), so the register is not read (the Z_
 * and MZ_ handlers; ids after the S_ and M_ twins: ENG_SLOW_ZSRC/ZDST) */
#define ENG_ZADDR 0x200

/* eng_index_entry.slow: the body reads src1 / src0 as integers (their tags
 * go into vm_rec.slow's REC_TAGS), the dst1 rule clears dst1 (REC_DST1) */
#define ENG_SLOW_SRC1 1u
#define ENG_SLOW_SRC0 2u
#define ENG_SLOW_DST1 4u
#define ENG_SLOW_MOVE 8u /* its specialised handler has a move twin (ENG_MOVE) */
/* its specialised handler has ENG_ZADDR twins, for a source (stack or
 * code) addressed through src0, a stack destination through dst0, or both:
 * the decoder picks them when those registers are r0 */
#define ENG_SLOW_ZSRC 16u
#define ENG_SLOW_ZDST 32u
/* a stack operand (source or destination): its tag is read, or cleared,
 * only in a frame whose stack has held a tagged word (REC_STACK) */
#define ENG_SLOW_STACK 64u

#endif
