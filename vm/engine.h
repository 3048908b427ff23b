/* vm/engine.h — what the predecoder and the engine share: handler ids
 * (the not-yet-decoded record, generic per class, pseudo-instructions, then the specialised and fused
 * handlers listed in the generated vm/engine.gen.h, then the fused ones' erasing twins), the per-index const
 * table, the fused-sequence table and the keyed twins' table. */
#ifndef ERAVM_ENGINE_H
#define ERAVM_ENGINE_H

#include "vm_internal.h"
#include "engine_bits.h"
#include "engine.gen.h"

enum {
    H_DECODE,         /* 0: a record whose block is not decoded yet (vm/predecode.c) */
    H_GENERIC_FIRST,  /* H_GENERIC(c): the generic handler of class c (enum eravm_hclass) */
    H_END = H_GENERIC_FIRST + HC_COUNT, /* the invalid instruction after the program (cost 0) */
    H_WRAP,           /* pc 65536 -> 0, not an instruction */
    H_PANIC,          /* the spontaneous panic failing instructions go to */
    H_SPECIALISED_FIRST,
    H_SPECIALISED_BEFORE_ = H_SPECIALISED_FIRST - 1,
#define ENG_X(NAME, ...) H_##NAME,
    ENGINE_SPECIALISED(ENG_X)
    H_FUSED_FIRST,
    H_FUSED_BEFORE_ = H_FUSED_FIRST - 1,
    ENGINE_FUSED(ENG_X)
#undef ENG_X
    /* a fused record's erasing twin: the engine gives it to a record whose
     * first component met a pointer read as an integer (vm/interp.h) */
    H_TWIN_FIRST,
    H_TWIN_BEFORE_ = H_TWIN_FIRST - 1,
#define ENG_X(NAME, ...) H_##NAME##_e,
    ENGINE_FUSED(ENG_X)
#undef ENG_X
    H_COUNT
};

#define H_GENERIC(c) (H_GENERIC_FIRST + (c))

/* What an opcode index means to the engine. */
typedef struct {
    uint8_t op, src_mode, dst_mode;     /* as eravm_optab */
    uint8_t fl;                         /* eravm_optab's OPF bits, RB_KERNEL, RB_NOSTATIC */
    uint8_t hclass;                     /* eravm_families[op].hclass */
    uint8_t nfused;                     /* fused sequences starting with this index */
    uint8_t slow;                       /* ENG_SLOW_*: what vm_rec.slow is made of */
    uint16_t spec;                      /* specialised handler, 0 = none */
    uint32_t ergs;                      /* eravm_families[op].ergs */
} eng_index_entry;

extern const eng_index_entry eng_index_tab[ERAVM_OPCODE_SLOTS];

#define ENG_NONE 0xFFFF /* after a fused sequence's last index */

typedef struct {
    /* opcode indices, then ENG_NONE: the table is sorted by them, so a
     * sequence comes before the shorter ones it extends */
    uint16_t idx[ENG_SEQ_MAX];
    uint16_t h; /* the fused handler */
    /* its keyed twins: eng_keyed_tab[keyed - 1] on, while their `fused` is
     * h (0: none; one test where most sequences have none) */
    uint16_t keyed;
} eng_fused_seq;

extern const eng_fused_seq eng_fused_tab[];
extern const size_t eng_fused_count;

/* A keyed twin (tools/gen-engine): fused handler `fused` compiled for one
 * sequence of instruction words, whose records it reads from the const
 * key rather than from the program. */
typedef struct {
    uint16_t fused, h; /* the fused handler; its keyed twin */
    uint16_t n;        /* components */
    uint64_t words[ENG_SEQ_MAX]; /* the code words (tests/test_predecode.c: the key is their records) */
    const vm_rec *recs; /* the key */
} eng_keyed_seq;

extern const eng_keyed_seq eng_keyed_tab[];
extern const size_t eng_keyed_count;

/* What the decoder needs of an index, in one word (vm/predecode.c packs
 * it, ENG_DEC; the generator lists the facts). */
extern const uint64_t eng_dec_tab[ERAVM_OPCODE_SLOTS];

/* The decoder finds the sequences that start with a record and the next
 * one in one probe: a slot per distinct first two indices, under a
 * multiplicative hash the generator picked to have no collision (a scan of
 * the first index's sequences mispredicted its way through a third of
 * deploy_simple's decoding). */
typedef struct {
    uint32_t key;   /* ENG_PAIR_KEY of the two indices; n 0: an empty slot */
    uint16_t first; /* the first of their sequences in eng_fused_tab */
    uint16_t n;     /* how many (consecutive, the longest first) */
} eng_pair;
#define ENG_PAIR_SLOT(key) ENG_PAIR_HASH(key, ENG_PAIR_MUL, ENG_PAIR_BITS)

extern const eng_pair eng_pair_tab[1u << ENG_PAIR_BITS];

#endif
