/* tests/test_opcodes.c — checks the generated opcode table against the spec:
 * all 2048 indices (1..1103 valid, each family's range and count), the §3.6
 * verification vectors (decode, print, re-encode), costs and mode rules.
 * The expected values here are written out from ../shared/spec/eravm-isa.md
 * independently of vm/opcodes.def. */
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "check.h"
#include "disasm.h"
#include "opcode.h"

/* §3.3: first index, last index, number of indices per family. */
static const struct {
    const char *name;
    int first, last, count;
    unsigned ergs;
    int kernel, nostatic;
} spec_families[] = {
    {"nop", 1, 24, 24, 6, 0, 0},          {"add", 25, 72, 48, 6, 0, 0},
    {"sub", 73, 168, 96, 6, 0, 0},        {"mul", 169, 216, 48, 6, 0, 0},
    {"div", 217, 312, 96, 6, 0, 0},       {"jump", 313, 318, 6, 6, 0, 0},
    {"xor", 319, 366, 48, 6, 0, 0},       {"and", 367, 414, 48, 6, 0, 0},
    {"or", 415, 462, 48, 6, 0, 0},        {"shl", 463, 558, 96, 6, 0, 0},
    {"shr", 559, 654, 96, 6, 0, 0},       {"rol", 655, 750, 96, 6, 0, 0},
    {"ror", 751, 846, 96, 6, 0, 0},       {"addp", 847, 894, 48, 6, 0, 0},
    {"subp", 895, 942, 48, 6, 0, 0},      {"pack", 943, 990, 48, 6, 0, 0},
    {"shrnk", 991, 1038, 48, 6, 0, 0},    {"call", 1039, 1039, 1, 25, 0, 0},
    {"this", 1040, 1040, 1, 5, 0, 0},     {"par", 1041, 1041, 1, 5, 0, 0},
    {"code", 1042, 1042, 1, 5, 0, 0},     {"meta", 1043, 1043, 1, 5, 0, 0},
    {"ergs", 1044, 1044, 1, 5, 0, 0},     {"sp", 1045, 1045, 1, 5, 0, 0},
    {"ldvl", 1046, 1046, 1, 5, 0, 0},     {"stvl", 1047, 1047, 1, 5, 1, 1},
    {"stpub", 1048, 1048, 1, 5, 1, 1},    {"inctx", 1049, 1049, 1, 5, 1, 1},
    {"lds", 1050, 1050, 1, 2008, 0, 0},   {"sts", 1051, 1051, 1, 5511, 0, 1},
    {"logL1", 1052, 1053, 2, 109, 1, 1},  {"log", 1054, 1055, 2, 34, 1, 1},
    {"callp", 1056, 1056, 1, 6, 1, 0},    {"callf", 1057, 1060, 4, 183, 0, 0},
    {"calld", 1061, 1064, 4, 183, 0, 0},  {"callm", 1065, 1068, 4, 183, 1, 0},
    {"ret", 1069, 1070, 2, 5, 0, 0},      {"rev", 1071, 1072, 2, 5, 0, 0},
    {"pnc", 1073, 1074, 2, 5, 0, 0},      {"ldp", 1083, 1084, 2, 7, 0, 0},
    {"dcmt", 1093, 1093, 1, 6, 1, 0},     {"ldt", 1094, 1094, 1, 38, 0, 0},
    {"stt", 1095, 1095, 1, 71, 0, 1},     {"ldm.st", 1096, 1099, 4, 7, 1, 0},
    {"stm.st", 1100, 1103, 4, 13, 1, 0},
};

/* Heap UMA: base, base+1 (register), base+10, base+11 (immediate). */
static const struct {
    const char *name;
    int base;
    unsigned ergs;
} spec_heap[] = {{"ldm.h", 1075, 7}, {"stm.h", 1077, 13}, {"ldm.ah", 1079, 7}, {"stm.ah", 1081, 13}};

/* §3.6 vectors: bytes as stored, and the current-syntax text. */
static const struct {
    const char *hex, *text;
    int index;
} vectors[] = {
    {"0000000000000019", "add\tr0, r0, r0", 25},
    {"000000000f000019", "add\tr0, r0, r15", 25},
    {"0000000000002019", "add.gt\tr0, r0, r0", 25},
    {"000000000000e019", "add.gtlt\tr0, r0, r0", 25},
    {"0000432103200039", "add\t17185, r2, r3", 57},
    {"0000432103210041", "add\tcode[r1+17185], r2, r3", 65},
    {"0000432103210031", "add\tstack[17185 + r1], r2, r3", 49},
    {"432100000321001f", "add\tr1, r2, stack[17185 + r3]", 31},
    {"0001002a01110023", "add\tstack-=[42 + r1], r1, stack+=[1 + r1]", 35},
    {"0000000002100049", "sub\tr0, r1, r2", 73},
    {"000000000210004a", "sub.s\tr0, r1, r2", 74},
    {"000000000210004b", "sub!\tr0, r1, r2", 75},
    {"0000000a02100089", "sub\t10, r1, r2", 137},
    {"003f000f0321007d", "sub\tstack[15 + r1], r2, stack+=[63 + r3]", 125},
    {"00000000432100d9", "div\tr1, r2, r3, r4", 217},
    {"00000000432100dc", "div.s!\tr1, r2, r3, r4", 220},
    {"007b002a4321012d", "div\tcode[r1+42], r2, stack+=[123 + r3], r4", 301},
    {"0000000000010139", "jump\tr1", 313},
    {"0000002a0201013e", "jump\tcode[r1+42], r2", 318},
    {"0000000000000001", "nop", 1},
    {"002a000001000002", "incsp\tr1+42", 2},
    {"0000002a00010005", "decsp\tr1+42", 5},
    {"000000000321034f", "addp\tr1, r2, r3", 847},
    {"0000002a03200400", "shrnk.s\t42, r2, r3", 1024},
    {"abcd10010003040f", "call\tr3, 4097, 43981", 1039},
    {"0000000003000410", "this\tr3", 1040},
    {"0000000000030417", "stvl\tr3", 1047},
    {"0000000000000419", "inctx", 1049},
    {"000000000403041a", "lds\tr3, r4", 1050},
    {"000000000043041b", "sts\tr3, r4", 1051},
    {"000000000043041c", "logL1\tr3, r4", 1052},
    {"000000000043041f", "log.i\tr3, r4", 1055},
    {"0000000005430420", "callp\tr3, r4, r5", 1056},
    {"0000000000430421", "callf\tr3, r4, 0", 1057},
    {"0000000000430424", "callf.st.sh\tr3, r4, 0", 1060},
    {"000000000043042b", "callm.st\tr3, r4, 0", 1067},
    {"000000000001042d", "ret", 1069},
    {"0000ffff00000432", "pncl\t65535", 1074},
    {"0000000004030433", "ldm.h\tr3, r4", 1075},
    {"0000002a0400043d", "ldm.h\t42, r4", 1085},
    {"0000000005430436", "stmi.h\tr3, r4, r5", 1078},
    {"000000005403043c", "ldpi\tr3, r4, r5", 1084},
    {"0000000005430445", "dcmt\tr3, r4, r5", 1093},
    {"0000000004030446", "ldt\tr3, r4", 1094},
    {"0000000000430447", "stt\tr3, r4", 1095},
    {"0000000054030449", "ldmi.st\tr3, r4, r5", 1097},
    {"0000002a0540044f", "stmi.st\t42, r4, r5", 1103},
};

static uint64_t hex64(const char *s)
{
    return strtoull(s, NULL, 16);
}

static int find_family(const char *name)
{
    for (int op = 0; op < EOP_COUNT; op++)
        if (!strcmp(eravm_families[op].name, name))
            return op;
    return -1;
}

int main(void)
{
    eravm_optab_init();

    CASE_BEGIN();
    int valid = 0;
    for (int i = 0; i < ERAVM_OPCODE_SLOTS; i++) {
        const eravm_opinfo *oi = &eravm_optab[i];
        bool is_valid = oi->op != EOP_INVALID;
        valid += is_valid;
        EXPECT(is_valid == (i >= 1 && i <= 1103), "index %d valid=%d", i, is_valid);
        if (is_valid) {
            int back = eravm_encode_index(oi->op, oi->src_mode, oi->dst_mode, oi->flags);
            EXPECT(back == i, "index %d re-encodes to %d", i, back);
        }
    }
    EXPECT(valid == 1103, "valid indices %d", valid);
    CASE_END("opcode table: all 2048 indices, exactly 1..1103 valid, encode(decode(i)) == i");

    CASE_BEGIN();
    for (size_t k = 0; k < sizeof spec_families / sizeof spec_families[0]; k++) {
        int op = find_family(spec_families[k].name);
        EXPECT(op > 0, "family %s missing", spec_families[k].name);
        if (op <= 0)
            continue;
        int n = 0, lo = 9999, hi = -1;
        for (int i = 0; i < ERAVM_OPCODE_SLOTS; i++) {
            if (eravm_optab[i].op != op)
                continue;
            n++;
            lo = i < lo ? i : lo;
            hi = i > hi ? i : hi;
        }
        EXPECT(n == spec_families[k].count && lo == spec_families[k].first &&
                   hi == spec_families[k].last,
               "%s: %d indices %d..%d", spec_families[k].name, n, lo, hi);
        const eravm_family *f = &eravm_families[op];
        EXPECT(f->ergs == spec_families[k].ergs, "%s ergs %u", f->name, f->ergs);
        EXPECT(f->kernel_only == spec_families[k].kernel, "%s kernel", f->name);
        EXPECT(f->static_forbidden == spec_families[k].nostatic, "%s static", f->name);
    }
    for (size_t k = 0; k < 4; k++) {
        int op = find_family(spec_heap[k].name);
        int b = spec_heap[k].base;
        EXPECT(op > 0 && eravm_optab[b].op == op && eravm_optab[b + 1].op == op &&
                   eravm_optab[b + 10].op == op && eravm_optab[b + 11].op == op,
               "%s at %d,%d,%d,%d", spec_heap[k].name, b, b + 1, b + 10, b + 11);
        EXPECT(eravm_optab[b].src_mode == SRC_REG && eravm_optab[b + 10].src_mode == SRC_IMM &&
                   (eravm_optab[b + 1].flags & OPF_VARIANT),
               "%s modes", spec_heap[k].name);
        EXPECT(op > 0 && eravm_families[op].ergs == spec_heap[k].ergs, "%s ergs", spec_heap[k].name);
    }
    EXPECT(eravm_families[EOP_INVALID].ergs == 4294967295u, "invalid costs 2^32-1");
    CASE_END("opcode table: every family's index range, count, ergs, kernel and static rules (spec 3.3, 8.1, 9)");

    CASE_BEGIN();
    /* Formula spot checks across modes and flags (spec 3.3). */
    EXPECT(eravm_encode_index(EOP_SUB, SRC_CODE, DST_STACK_ABS, OPF_SET_FLAGS | OPF_SWAP) ==
               73 + 16 * 5 + 4 * 3 + 2 + 1, "sub formula");
    EXPECT(eravm_encode_index(EOP_ADD, SRC_IMM, DST_PUSH, OPF_SET_FLAGS) == 25 + 32 + 2 + 1,
           "add formula");
    EXPECT(eravm_encode_index(EOP_ADD, SRC_REG, DST_REG, OPF_SWAP) == -1, "add has no swap");
    EXPECT(eravm_encode_index(EOP_PTR_ADD, SRC_REG, DST_REG, OPF_SET_FLAGS) == -1,
           "ptr has no set-flags");
    EXPECT(eravm_encode_index(EOP_FAR_MIMIC, SRC_REG, DST_REG, OPF_STATIC | OPF_SHARD) == 1068,
           "far mimic static shard");
    EXPECT(eravm_encode_index(EOP_FAT_READ, SRC_IMM, DST_REG, 0) == -1, "ldp has no immediate");
    EXPECT(eravm_encode_index(EOP_JUMP, SRC_CODE, DST_PUSH, 0) == -1, "jump has no dst mode");
    for (int s = 0; s < SRC_MODES; s++)
        for (int d = 0; d < DST_MODES; d++)
            EXPECT(eravm_encode_index(EOP_NOP, s, d, 0) == 1 + 4 * s + d, "nop %d %d", s, d);
    CASE_END("opcode table: index formulas and refused combinations");

    CASE_BEGIN();
    for (size_t k = 0; k < sizeof vectors / sizeof vectors[0]; k++) {
        uint64_t w = hex64(vectors[k].hex);
        eravm_insn in = eravm_decode(w);
        EXPECT(in.index == vectors[k].index, "%s index %d", vectors[k].text, in.index);
        EXPECT(eravm_encode(&in) == w, "%s re-encode", vectors[k].text);
        char buf[128];
        eravm_disasm_insn(w, NULL, NULL, buf, sizeof buf);
        EXPECT(!strcmp(buf, vectors[k].text), "%s printed as '%s'", vectors[k].text, buf);
        eravm_asm_result r;
        char err[256];
        int rc = eravm_asm(vectors[k].text, strlen(vectors[k].text), "vec", &r, err, sizeof err);
        EXPECT(rc == 0, "assemble '%s': %s", vectors[k].text, err);
        if (rc == 0) {
            EXPECT(eravm_fetch_word(r.code, 0) == w, "assemble '%s' -> %016llx", vectors[k].text,
                   (unsigned long long)eravm_fetch_word(r.code, 0));
            eravm_asm_free(&r);
        }
    }
    CASE_END("spec 3.6 verification vectors: decode, print, assemble (%zu vectors)",
             sizeof vectors / sizeof vectors[0]);

    CASE_BEGIN();
    /* Field extraction: every bit position lands in its field (spec 3.1). */
    for (int bit = 0; bit < 64; bit++) {
        uint64_t w = 1ull << bit;
        eravm_insn in = eravm_decode(w);
        uint64_t back = eravm_encode(&in);
        if (bit == 11 || bit == 12)
            EXPECT(back == 0, "reserved bit %d ignored", bit);
        else
            EXPECT(back == w, "bit %d round trip", bit);
    }
    eravm_insn in = eravm_decode(0xabcd10010003040full);
    EXPECT(in.imm1 == 0xabcd && in.imm0 == 0x1001 && in.src0 == 3 && in.src1 == 0 &&
               in.dst0 == 0 && in.cond == 0 && in.index == 1039,
           "near_call fields");
    in = eravm_decode(0x0000000054030449ull);
    EXPECT(in.dst1 == 5 && in.dst0 == 4 && in.src0 == 3, "ldmi.st fields");
    CASE_END("instruction word fields: bit layout and reserved bits");

    CASE_BEGIN();
    /* Non-canonical words print as .inst and still reassemble exactly. */
    uint64_t odd[] = {0x0000000000000000ull, 0x00000000000007ffull, 0x0000000000000800ull | 25,
                      0x0000000100210019ull /* add r1 with imm0 set */, 0x00000000f3210019ull};
    for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
        char buf[128];
        eravm_disasm_insn(odd[k], NULL, NULL, buf, sizeof buf);
        EXPECT(!strncmp(buf, ".inst", 5), "%016llx printed '%s'", (unsigned long long)odd[k], buf);
        eravm_asm_result r;
        char err[256];
        int rc = eravm_asm(buf, strlen(buf), "odd", &r, err, sizeof err);
        EXPECT(rc == 0 && eravm_fetch_word(r.code, 0) == odd[k], "reassemble %s", buf);
        if (rc == 0)
            eravm_asm_free(&r);
    }
    CASE_END("non-canonical words print as .inst and reassemble byte-exactly");

    CASE_BEGIN();
    char name[64];
    eravm_index_name(eravm_encode_index(EOP_SUB, SRC_IMM, DST_REG, OPF_SWAP | OPF_SET_FLAGS), name,
                     sizeof name);
    EXPECT(!strcmp(name, "sub.imm.reg.s!"), "name %s", name);
    eravm_index_name(1060, name, sizeof name);
    EXPECT(!strcmp(name, "callf.st.sh"), "name %s", name);
    eravm_index_name(1086, name, sizeof name);
    EXPECT(!strcmp(name, "ldmi.h.imm"), "name %s", name);
    CASE_END("counter names derived from the table");

    return check_exit();
}
