/* bench/flame.c — EraVM-level flamegraphs: runs a workload once under a
 * tracer and folds the EraVM call stack at every instruction — far frames by
 * contract address (system contracts by name), near calls by their target
 * pc — weighted by instructions and, separately, by ergs. Ergs are charged
 * to the stack that paid them: the drop in the frame's ergs between two
 * instructions of the same stack; an instruction that opens or closes a
 * frame is charged its base cost (the ergs handed to a callee are spent by
 * the callee's own stack). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "flamesvg.h"
#include "opcode.h"

typedef struct {
    char *key;
    uint64_t instr, ergs;
} flame_entry;

typedef struct {
    flame_entry *e;
    size_t n, cap;
    /* the stack of the previous instruction */
    char key[4096];
    size_t cur;
    unsigned depth, nnear;
    uint32_t ergs;
    uint64_t word;
    bool started;
} flame_state;

static const struct {
    uint32_t addr;
    const char *name;
} system_names[] = {
    {0x01, "Ecrecover"},         {0x02, "SHA256"},          {0x04, "Identity"},
    {0x05, "Modexp"},            {0x06, "EcAdd"},           {0x07, "EcMul"},
    {0x08, "EcPairing"},         {0x100, "P256Verify"},     {0x8001, "Bootloader"},
    {0x8002, "AccountCodeStorage"}, {0x8003, "NonceHolder"}, {0x8004, "KnownCodesStorage"},
    {0x8005, "ImmutableSimulator"}, {0x8006, "ContractDeployer"}, {0x8008, "L1Messenger"},
    {0x8009, "MsgValueSimulator"}, {0x800a, "L2BaseToken"},  {0x800b, "SystemContext"},
    {0x800c, "BootloaderUtilities"}, {0x800d, "EventWriter"}, {0x800e, "Compressor"},
    {0x800f, "ComplexUpgrader"}, {0x8010, "Keccak256"},     {0x8012, "CodeOracle"},
    {0x8013, "EvmGasManager"},   {0x8015, "EvmHashesStorage"},
};

static void frame_label(u256 a, char *buf, size_t n)
{
    if (a.w[3] == 0 && a.w[2] == 0 && a.w[1] == 0 && a.w[0] < 65536) {
        for (size_t i = 0; i < sizeof system_names / sizeof system_names[0]; i++)
            if (system_names[i].addr == a.w[0]) {
                snprintf(buf, n, "%s", system_names[i].name);
                return;
            }
        snprintf(buf, n, "kernel:0x%llx", (unsigned long long)a.w[0]);
        return;
    }
    char hex[80];
    u256_to_hex(a, hex, sizeof hex);
    snprintf(buf, n, "%s", hex);
}

static size_t entry_for(flame_state *s, const char *key)
{
    for (size_t i = s->n; i-- > 0;)
        if (!strcmp(s->e[i].key, key))
            return i;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->e = realloc(s->e, s->cap * sizeof *s->e);
    }
    s->e[s->n].key = strdup(key);
    s->e[s->n].instr = s->e[s->n].ergs = 0;
    return s->n++;
}

static void build_key(flame_state *s, const eravm_vm *vm)
{
    size_t k = 0;
    unsigned depth = eravm_vm_depth(vm);
    s->key[0] = 0;
    for (unsigned d = 0; d <= depth && k < sizeof s->key - 200; d++) {
        char label[96];
        frame_label(eravm_vm_frame_address(vm, d, NULL), label, sizeof label);
        k += (size_t)snprintf(s->key + k, sizeof s->key - k, "%s%s", k ? ";" : "", label);
        unsigned nn = eravm_vm_near_count(vm, d);
        for (unsigned i = 0; i < nn && k < sizeof s->key - 64; i++)
            k += (size_t)snprintf(s->key + k, sizeof s->key - k, ";near@%u",
                                  eravm_vm_near_target(vm, d, i));
    }
}

static void trace(void *ctx, const eravm_vm *vm, uint16_t pc, uint64_t word, uint32_t ergs, int depth)
{
    flame_state *s = ctx;
    (void)pc;
    unsigned nnear = eravm_vm_near_count(vm, (unsigned)depth);
    bool same = s->started && s->depth == (unsigned)depth && s->nnear == nnear;
    if (s->started) {
        /* charge the previous instruction to the previous stack */
        uint64_t spent;
        if (same && s->ergs >= ergs)
            spent = s->ergs - ergs;
        else
            spent = eravm_families[eravm_decode(s->word).op].ergs % 4294967295u;
        s->e[s->cur].ergs += spent;
    }
    if (!same) {
        build_key(s, vm);
        s->cur = entry_for(s, s->key);
    }
    s->e[s->cur].instr++;
    s->depth = (unsigned)depth;
    s->nnear = nnear;
    s->ergs = ergs;
    s->word = word;
    s->started = true;
}

static int write_folded(const flame_state *s, const char *path, bool ergs)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        uint64_t v = ergs ? s->e[i].ergs : s->e[i].instr;
        if (v)
            fprintf(f, "%s %llu\n", s->e[i].key, (unsigned long long)v);
    }
    return fclose(f);
}

int bench_flamegraph(const bench_workload *w, const uint8_t *code, size_t len, const char *dir)
{
    mkdir(dir, 0755);
    flame_state s;
    memset(&s, 0, sizeof s);
    bench_run *r = bench_prepare(w, code, len, ERAVM_ENGINE_SIMPLE);
    eravm_vm_set_trace(bench_vm(r), trace, &s);
    const eravm_result *res = bench_execute(r);
    if (s.started && s.e) /* the last instruction: charge its base cost */
        s.e[s.cur].ergs += eravm_families[eravm_decode(s.word).op].ergs % 4294967295u;
    char base[1024], safe[64];
    snprintf(safe, sizeof safe, "%s", w->name);
    for (char *p = safe; *p; p++)
        if (*p == '/')
            *p = '_';
    snprintf(base, sizeof base, "%s/eravm-%s-%s", dir, safe, w->mode);
    int rc = 0;
    for (int pass = 0; pass < 2; pass++) {
        char folded[1100], svg[1100], title[256];
        snprintf(folded, sizeof folded, "%s.%s.folded", base, pass ? "ergs" : "instr");
        snprintf(svg, sizeof svg, "%s.%s.svg", base, pass ? "ergs" : "instr");
        snprintf(title, sizeof title, "EraVM %s (%s): %s by frame, %s, %llu instructions", w->name, w->mode,
                 pass ? "ergs" : "instructions", eravm_status_name(res->status),
                 (unsigned long long)res->instructions);
        if (write_folded(&s, folded, pass) || flamesvg_render(folded, svg, title, pass ? "ergs" : "instructions"))
            rc = -1;
        else
            fprintf(stderr, "eravm-bench: wrote %s and %s\n", folded, svg);
    }
    bench_release(r);
    for (size_t i = 0; i < s.n; i++)
        free(s.e[i].key);
    free(s.e);
    return rc;
}
