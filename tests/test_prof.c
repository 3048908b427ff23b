/* tests/test_prof.c — the counting engine's profiler (vm/eravm_prof.h):
 * ergs charged per opcode add up to the ergs used on the 500 random
 * programs of the differential corpus (counting alone and with call
 * stacks); the invalid opcode is charged what it burnt and the VM's
 * spontaneous panic its own 5 ergs; counts, pairs and triples by variant,
 * in code order and not across far frames;
 * a run suspended on a hook and resumed is profiled as one run; counters
 * shared by VMs see every count (suspended, freed, reset); call-stack
 * memory grows with distinct (frame, opcode) cells, not with runs; with
 * rdtsc forbidden the profiler counts without timing and says why. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asm.h"
#include "bytecode.h"
#include "check.h"
#include "corpus.h"
#include "eravm.h"
#include "eravm_prof.h"
#include "opcode.h"
#include "world_mem.h"

#define WRAP_SLOT (ERAVM_COUNTER_SLOTS - 1)
#define PANIC_SLOT (ERAVM_COUNTER_SLOTS - 2)
#define ADDRESS 0x1234567890abcdefull

typedef struct {
    eravm_memworld *world;
    const eravm_program *prog;
    uint8_t *code;
} prog_t;

static prog_t assemble(const char *src)
{
    prog_t p = {0};
    eravm_asm_result r;
    char err[256];
    if (eravm_asm(src, strlen(src), "test", &r, err, sizeof err)) {
        printf("  # cannot assemble: %s\n", err);
        return p;
    }
    p.world = eravm_memworld_new();
    eravm_memworld_deploy(p.world, u256_from_u64(ADDRESS), r.code, r.len, false);
    p.prog = eravm_memworld_program(p.world, eravm_code_hash(r.code, r.len));
    eravm_asm_free(&r);
    return p;
}

static eravm_vm *vm_for(prog_t *p, unsigned options, const eravm_settings *settings)
{
    eravm_world iface = eravm_memworld_iface(p->world);
    eravm_settings none;
    memset(&none, 0, sizeof none);
    eravm_vm *vm = eravm_vm_new(&iface, settings ? settings : &none);
    eravm_vm_set_profile(vm, options);
    return vm;
}

static eravm_call call_with(uint32_t ergs)
{
    eravm_call c;
    memset(&c, 0, sizeof c);
    c.address = u256_from_u64(ADDRESS);
    c.ergs = ergs;
    return c;
}

static int64_t ergs_sum(const eravm_counters *c)
{
    int64_t e = 0;
    for (unsigned s = 0; s < ERAVM_COUNTER_SLOTS; s++)
        e += eravm_counters_ergs(c, s);
    return e;
}

static unsigned slot_of(const char *name)
{
    char buf[64];
    for (unsigned s = 0; s < 2048; s++) {
        eravm_index_name((int)s, buf, sizeof buf);
        if (!strcmp(buf, name))
            return s;
    }
    return ERAVM_NO_SLOT;
}

/* ---- ergs add up on the differential corpus -------------------------------------- */

static void test_corpus(void)
{
    const char *data = getenv("ERAVM_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/differential/programs.tsv", data && *data ? data : "../shared/data");
    char *text = corpus_read_text(path);
    CASE_BEGIN();
    EXPECT(text, "cannot read %s", path);
    int programs = 0, exact = 0;
    char *save = NULL;
    for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !strncmp(line, "id\t", 3))
            continue;
        char *f[8];
        if (corpus_split_tabs(line, f, 8) < 6)
            continue;
        corpus_program cp;
        char err[256];
        if (corpus_program_open(&cp, f, err, sizeof err))
            continue;
        bool ok = true;
        for (int stacks = 0; stacks < 2; stacks++) {
            eravm_vm *vm = eravm_vm_new(&cp.iface, &cp.settings);
            eravm_vm_set_profile(vm, ERAVM_PROF_TIME | (stacks ? ERAVM_PROF_STACKS : 0));
            eravm_result res;
            eravm_vm_run(vm, cp.prog, &cp.call, &res); /* times blocks */
            eravm_vm_run(vm, cp.prog, &cp.call, &res); /* counts */
            const eravm_counters *c = eravm_vm_counters(vm);
            int64_t used = (int64_t)cp.call.ergs - res.ergs_left, got = ergs_sum(c);
            uint64_t n = 0;
            for (unsigned s = 0; s < WRAP_SLOT; s++)
                n += eravm_counters_count(c, s);
            bool good = got == used && n == res.instructions && eravm_counters_resyncs(c) == 0;
            EXPECT(good, "program %s%s: ergs %lld of %lld used, %llu of %llu instructions counted, %llu resyncs",
                   f[0], stacks ? " (stacks)" : "", (long long)got, (long long)used, (unsigned long long)n,
                   (unsigned long long)res.instructions, (unsigned long long)eravm_counters_resyncs(c));
            ok = ok && good;
            eravm_vm_free(vm);
        }
        programs++;
        exact += ok;
        corpus_program_close(&cp);
    }
    EXPECT(programs == 500, "ran %d programs", programs);
    CASE_END("profiler: ergs per opcode add up to the ergs used and counts to the instructions on %d/%d random "
             "programs (counting alone and with call stacks)",
             exact, programs);
    free(text);
}

/* ---- the invalid opcode and the spontaneous panic --------------------------------- */

static void test_invalid_and_panic(void)
{
    CASE_BEGIN();
    /* two adds (6 each), then the invalid opcode burns the 988 left */
    prog_t p = assemble("\t.text\n\tadd\tr0, r0, r1\n\tadd\tr0, r0, r1\n"); /* padding: invalid */
    eravm_vm *vm = vm_for(&p, 0, NULL);
    eravm_call call = call_with(1000);
    eravm_result res;
    eravm_vm_run(vm, p.prog, &call, &res);
    const eravm_counters *c = eravm_vm_counters(vm);
    unsigned add = slot_of("add.reg.reg");
    EXPECT(res.status == ERAVM_PANIC && res.ergs_left == 0, "status %d ergs_left %u", res.status, res.ergs_left);
    EXPECT(eravm_counters_ergs(c, add) == 12, "add charged %lld, want 12", (long long)eravm_counters_ergs(c, add));
    EXPECT(eravm_counters_count(c, 0) == 1 && eravm_counters_ergs(c, 0) == 988,
           "invalid: %llu executions charged %lld, want 1 charged 988 (all it burnt)",
           (unsigned long long)eravm_counters_count(c, 0), (long long)eravm_counters_ergs(c, 0));
    EXPECT(eravm_counters_count(c, PANIC_SLOT) == 0, "no spontaneous panic here");
    eravm_vm_free(vm);
    eravm_memworld_free(p.world);

    /* addp on a non-pointer panics: the VM's panic slot costs its own 5 ergs */
    p = assemble("\t.text\n\tadd\t1, r0, r1\n\taddp\tr1, r0, r2\n\tret\n");
    vm = vm_for(&p, 0, NULL);
    eravm_vm_run(vm, p.prog, &call, &res);
    c = eravm_vm_counters(vm);
    unsigned addp = slot_of("addp.reg.reg");
    EXPECT(res.status == ERAVM_PANIC, "status %d", res.status);
    EXPECT(eravm_counters_count(c, PANIC_SLOT) == 1 && eravm_counters_ergs(c, PANIC_SLOT) == 5,
           "spontaneous panic: %llu executions charged %lld, want 1 charged 5",
           (unsigned long long)eravm_counters_count(c, PANIC_SLOT), (long long)eravm_counters_ergs(c, PANIC_SLOT));
    EXPECT(eravm_counters_ergs(c, addp) == 6, "addp charged %lld, want 6", (long long)eravm_counters_ergs(c, addp));
    EXPECT(eravm_counters_count(c, 0) == 0 && eravm_counters_ergs(c, 0) == 0, "nothing charged to opcode 0");
    EXPECT(ergs_sum(c) == 1000 - (int64_t)res.ergs_left, "sum %lld, used %u", (long long)ergs_sum(c),
           1000 - res.ergs_left);
    eravm_vm_free(vm);
    eravm_memworld_free(p.world);

    /* out of ergs in the middle of a loop: the last add is charged what was left */
    p = assemble("\t.text\nl:\n\tadd\tr0, r0, r1\n\tjump\t@l\n");
    vm = vm_for(&p, 0, NULL);
    call = call_with(100); /* 8 x (add 6 + jump 6) = 96, then add with 4 left */
    eravm_vm_run(vm, p.prog, &call, &res);
    c = eravm_vm_counters(vm);
    EXPECT(eravm_counters_ergs(c, add) == 8 * 6 + 4 && eravm_counters_count(c, add) == 9,
           "add: %llu executions charged %lld, want 9 charged 52", (unsigned long long)eravm_counters_count(c, add),
           (long long)eravm_counters_ergs(c, add));
    eravm_vm_free(vm);
    eravm_memworld_free(p.world);
    CASE_END("profiler: the invalid opcode is charged the ergs it burnt, the VM's spontaneous panic its 5 ergs "
             "(not opcode 0), an instruction that runs out what was left");
}

/* ---- counts, pairs and triples by variant ------------------------------------------ */

static void test_sequences(void)
{
    CASE_BEGIN();
    /* 10 x (sub.s! imm; jump.ne), then ret */
    prog_t p = assemble("\t.text\n\tadd\t10, r0, r1\nl:\n\tsub.s!\t1, r1, r1\n\tjump.ne\t@l\n\tret\n");
    eravm_vm *vm = vm_for(&p, ERAVM_PROF_PAIRS | ERAVM_PROF_TRIPLES, NULL);
    eravm_call call = call_with(100000);
    eravm_result res;
    for (int run = 0; run < 3; run++)
        eravm_vm_run(vm, p.prog, &call, &res);
    const eravm_counters *c = eravm_vm_counters(vm);
    unsigned sub = slot_of("sub.imm.reg.s!"), jump = slot_of("jump.imm");
    EXPECT(sub != ERAVM_NO_SLOT && eravm_counters_count(c, sub) == 30, "sub.s! imm ran %llu times, want 30",
           (unsigned long long)eravm_counters_count(c, sub));
    eravm_sequence *seq;
    size_t n = eravm_counters_sequences(c, 2, &seq);
    uint64_t sj = 0, js = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        total += seq[i].count;
        if (seq[i].a == sub && seq[i].b == jump)
            sj = seq[i].count;
        if (seq[i].a == jump && seq[i].b == sub)
            js = seq[i].count;
    }
    /* per run: add -> sub.s! 1, sub.s! -> jump 10, jump -> ret 1; the jump
     * back to the loop is no sequence a fused record could stand for */
    EXPECT(sj == 30 && js == 0, "sub.s! -> jump %llu (want 30), jump -> sub.s! %llu (want 0)",
           (unsigned long long)sj, (unsigned long long)js);
    EXPECT(total == 3 * 12, "%llu pairs in 3 runs, want 36", (unsigned long long)total);
    free(seq);
    n = eravm_counters_sequences(c, 3, &seq);
    uint64_t asj = 0, sjr = 0, tri = 0;
    for (size_t i = 0; i < n; i++) {
        tri += seq[i].count;
        if (seq[i].b == sub && seq[i].c == jump)
            asj = seq[i].count;
        if (seq[i].a == sub && seq[i].b == jump)
            sjr = seq[i].count;
    }
    EXPECT(asj == 3 && sjr == 3 && tri == 6, "add -> sub.s! -> jump %llu, sub.s! -> jump -> ret %llu, %llu triples",
           (unsigned long long)asj, (unsigned long long)sjr, (unsigned long long)tri);
    free(seq);
    eravm_vm_free(vm);
    eravm_memworld_free(p.world);
    CASE_END("profiler: pairs and triples by variant, in code order (sub.s! imm -> jump), across runs");
}

/* A far return to the pc after the callee's last one is no sequence: the
 * callee's ret sits at pc 2, the caller goes on at pc 3. */
static void test_far_break(void)
{
    CASE_BEGIN();
    prog_t p = assemble("\t.text\n\tadd\tcode[@ABI], r0, r1\n\tadd\tcode[@CALLEE], r0, r2\n"
                        "\tcallf\tr1, r2, @h\n\tadd\tr0, r0, r1\n\tret\nh:\n\tpnc\n\t.rodata\nABI:\n"
                        "\t.cell\t0x4e20000000000000000000000000000000000000000000000000\nCALLEE:\n\t.cell\t0x10001\n");
    eravm_asm_result r;
    char err[256];
    const char *callee = "\t.text\n\tadd\t1, r0, r3\n\tadd\tr0, r0, r1\n\tret\n";
    EXPECT(p.world && eravm_asm(callee, strlen(callee), "callee", &r, err, sizeof err) == 0, "cannot assemble");
    if (p.world) {
        eravm_memworld_deploy(p.world, u256_from_u64(0x10001), r.code, r.len, false);
        eravm_asm_free(&r);
    }
    eravm_vm *vm = vm_for(&p, ERAVM_PROF_PAIRS | ERAVM_PROF_TRIPLES, NULL);
    eravm_call call = call_with(100000);
    eravm_result res;
    eravm_status st = eravm_vm_run(vm, p.prog, &call, &res);
    const eravm_counters *c = eravm_vm_counters(vm);
    unsigned after = slot_of("add.reg.reg");
    eravm_sequence *seq;
    size_t n = eravm_counters_sequences(c, 2, &seq);
    uint64_t across = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        total += seq[i].count;
        if (seq[i].b == after && eravm_index_family((int)seq[i].a) == EOP_RET_OK)
            across += seq[i].count;
    }
    /* add -> add -> callf in the caller, add -> add -> ret in the callee,
     * add -> ret in the caller */
    EXPECT(st == ERAVM_OK && res.instructions == 8, "status %d, %llu instructions", st,
           (unsigned long long)res.instructions);
    EXPECT(across == 0 && total == 5, "ret -> add across the far return %llu (want 0), %llu pairs (want 5)",
           (unsigned long long)across, (unsigned long long)total);
    free(seq);
    eravm_vm_free(vm);
    eravm_memworld_free(p.world);
    CASE_END("profiler: pairs do not run across a far return, even to the pc after the callee's last one");
}

/* ---- a run suspended on a hook ------------------------------------------------------- */

/* 7 instructions; the two writes to the hook word (heap byte 64) suspend
 * the run under settings *s (hooks on), then it returns */
static prog_t hook_program(eravm_settings *s)
{
    memset(s, 0, sizeof *s);
    s->hooks_enabled = true;
    s->hook_address = 64;
    return assemble("\t.text\n\tadd\t7, r0, r1\n\tstm.h\t64, r1\n\tadd\tr1, r1, r1\n\tstm.h\t64, r1\n"
                    "\tadd\tr1, r1, r1\n\tadd\tr0, r0, r1\n\tret\n");
}

static void test_hooks(void)
{
    CASE_BEGIN();
    eravm_settings s;
    prog_t p = hook_program(&s);
    eravm_vm *vm = vm_for(&p, ERAVM_PROF_TIME | ERAVM_PROF_PAIRS | ERAVM_PROF_STACKS, &s);
    eravm_call call = call_with(10000);
    eravm_result res;
    int suspensions = 0;
    eravm_status st = ERAVM_OK;
    for (int run = 0; run < 2; run++) { /* a timing run, then its counting run */
        suspensions = 0;
        st = eravm_vm_run(vm, p.prog, &call, &res);
        while (st == ERAVM_SUSPENDED && suspensions < 10) {
            suspensions++;
            st = eravm_vm_continue(vm, &res);
        }
    }
    const eravm_counters *c = eravm_vm_counters(vm);
    EXPECT(st == ERAVM_OK && suspensions == 2, "status %d after %d suspensions", st, suspensions);
    EXPECT(ergs_sum(c) == 10000 - (int64_t)res.ergs_left, "ergs %lld, used %u", (long long)ergs_sum(c),
           10000 - res.ergs_left);
    uint64_t n = 0;
    for (unsigned k = 0; k < WRAP_SLOT; k++)
        n += eravm_counters_count(c, k);
    EXPECT(n == res.instructions && n == 7, "%llu counted, %llu instructions", (unsigned long long)n,
           (unsigned long long)res.instructions);
    eravm_sequence *seq;
    size_t np = eravm_counters_sequences(c, 2, &seq);
    uint64_t pairs = 0;
    for (size_t i = 0; i < np; i++)
        pairs += seq[i].count;
    EXPECT(pairs == 6, "%llu pairs: a resumed run continues its sequence", (unsigned long long)pairs);
    free(seq);
    const eravm_stack_frame *fr;
    size_t nf = eravm_counters_frames(c, &fr);
    EXPECT(nf == 2 && fr[1].far && fr[1].address.w[0] == ADDRESS, "%zu frames", nf);
    EXPECT(eravm_counters_runs(c) == 1, "%llu counting runs", (unsigned long long)eravm_counters_runs(c));
    eravm_vm_free(vm);
    eravm_memworld_free(p.world);
    CASE_END("profiler: a run suspended twice on a hook and resumed is profiled as one run (timing and counting)");
}

/* ---- memory: distinct cells, not runs -------------------------------------------------- */

static void test_bounded(void)
{
    CASE_BEGIN();
    /* near-call recursion 20 deep: the root, the contract and 20 near frames */
    prog_t p = assemble("\t.text\n\tadd\t20, r0, r1\n\tcall\tr0, @f, @h\n\tret\nh:\n\tpnc\n"
                        "f:\n\tsub.s!\t1, r1, r1\n\tjump.eq\t@done\n\tcall\tr0, @f, @h\ndone:\n\tret\n");
    eravm_vm *vm = vm_for(&p, ERAVM_PROF_TIME | ERAVM_PROF_STACKS, NULL);
    eravm_call call = call_with(1000000);
    eravm_result res;
    eravm_vm_run(vm, p.prog, &call, &res); /* a timing run and its counting run */
    eravm_vm_run(vm, p.prog, &call, &res);
    const eravm_stack_frame *fr;
    size_t frames1 = eravm_counters_frames(eravm_vm_counters(vm), &fr);
    eravm_stack_cell *cells;
    size_t cells1 = eravm_counters_cells(eravm_vm_counters(vm), &cells);
    free(cells);
    for (int i = 0; i < 50; i++)
        eravm_vm_run(vm, p.prog, &call, &res);
    size_t frames2 = eravm_counters_frames(eravm_vm_counters(vm), &fr);
    size_t cells2 = eravm_counters_cells(eravm_vm_counters(vm), &cells);
    EXPECT(res.status == ERAVM_OK, "status %d", res.status);
    EXPECT(frames1 == 22 && frames2 == frames1 && cells2 == cells1, "frames %zu -> %zu, cells %zu -> %zu after 50 more runs",
           frames1, frames2, cells1, cells2);
    uint64_t deepest = 0;
    for (size_t i = 0; i < cells2; i++)
        if (cells[i].frame == frames2 - 1)
            deepest += cells[i].count;
    EXPECT(deepest == 26 * 3, "the deepest frame ran %llu instructions in 26 counting runs, want 78",
           (unsigned long long)deepest);
    free(cells);
    eravm_vm_free(vm);
    eravm_memworld_free(p.world);
    CASE_END("profiler: call-stack memory is bounded by distinct (frame, function, opcode) cells, not by runs");
}

/* ---- no timer ---------------------------------------------------------------------------- */

static void test_no_timer(void)
{
    CASE_BEGIN();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* rdtsc now raises SIGSEGV: a profiler that read it would die */
        if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0)
            _exit(3);
        const eravm_timer *t = eravm_timer_get();
        if (t->usable || !strstr(t->why, "PR_SET_TSC"))
            _exit(4);
        prog_t p = assemble("\t.text\n\tadd\t1000, r0, r1\nl:\n\tsub.s!\t1, r1, r1\n\tjump.ne\t@l\n\tret\n");
        eravm_vm *vm = vm_for(&p, ERAVM_PROF_TIME, NULL);
        eravm_call call = call_with(1000000);
        eravm_result res;
        eravm_vm_run(vm, p.prog, &call, &res);
        eravm_opcost *cost = calloc(ERAVM_COUNTER_SLOTS, sizeof *cost);
        eravm_timing tm;
        int rc = eravm_counters_timing(eravm_vm_counters(vm), cost, &tm);
        _exit(res.status == ERAVM_OK && rc == -1 && tm.blocks == 0 && tm.instructions == res.instructions ? 0 : 5);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: %s %d",
           WIFSIGNALED(status) ? "signal" : "exit", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    CASE_END("profiler: with rdtsc forbidden (prctl PR_SET_TSC) it says why, counts, and never reads the clock");
}

/* ---- counters shared between VMs ---------------------------------------------------- */

static uint64_t count_all(const eravm_counters *c)
{
    uint64_t n = 0;
    for (unsigned k = 0; k < WRAP_SLOT; k++)
        n += eravm_counters_count(c, k);
    return n;
}

/* The counting engine counts in the VM it runs on; the counters must see
 * those counts whenever they are read (a suspended run too), keep them when
 * the VM is freed or given other counters, and drop them when reset. */
static void test_shared(void)
{
    CASE_BEGIN();
    eravm_settings s;
    prog_t p = hook_program(&s);
    eravm_counters *c = eravm_counters_new(0), *c2 = eravm_counters_new(0);
    eravm_vm *a = vm_for(&p, 0, &s), *b = vm_for(&p, 0, &s);
    eravm_vm_attach_counters(a, c);
    eravm_vm_attach_counters(b, c);
    eravm_call call = call_with(10000);
    eravm_result res;
    eravm_status st = eravm_vm_run(a, p.prog, &call, &res);
    EXPECT(st == ERAVM_SUSPENDED && count_all(c) == 2, "a suspended (%d) after %llu counted, want 2", st,
           (unsigned long long)count_all(c));
    int k = 0;
    for (st = eravm_vm_run(b, p.prog, &call, &res); st == ERAVM_SUSPENDED && k < 10; k++)
        st = eravm_vm_continue(b, &res);
    EXPECT(st == ERAVM_OK && count_all(c) == 9, "b ran while a was suspended: %llu counted, want 9",
           (unsigned long long)count_all(c));
    for (st = eravm_vm_continue(a, &res); st == ERAVM_SUSPENDED && k < 20; k++)
        st = eravm_vm_continue(a, &res);
    EXPECT(st == ERAVM_OK && count_all(c) == 14, "a resumed: %llu counted, want 14", (unsigned long long)count_all(c));
    eravm_counters_reset(c);
    EXPECT(count_all(c) == 0, "reset: %llu counted", (unsigned long long)count_all(c));
    for (st = eravm_vm_run(b, p.prog, &call, &res); st == ERAVM_SUSPENDED && k < 30; k++)
        st = eravm_vm_continue(b, &res);
    eravm_vm_attach_counters(b, c2);
    for (st = eravm_vm_run(b, p.prog, &call, &res); st == ERAVM_SUSPENDED && k < 40; k++)
        st = eravm_vm_continue(b, &res);
    EXPECT(count_all(c) == 7 && count_all(c2) == 7, "b given other counters: %llu and %llu counted, want 7 and 7",
           (unsigned long long)count_all(c), (unsigned long long)count_all(c2));
    for (st = eravm_vm_run(a, p.prog, &call, &res); st == ERAVM_SUSPENDED && k < 50; k++)
        st = eravm_vm_continue(a, &res);
    eravm_vm_free(a);
    EXPECT(count_all(c) == 14, "a freed after its run: %llu counted, want 14", (unsigned long long)count_all(c));
    eravm_counters_free(c2); /* before the VM that counts for it (ASan: nothing reads them after) */
    eravm_vm_free(b);
    eravm_counters_free(c);
    eravm_memworld_free(p.world);
    CASE_END("profiler: counters shared by two VMs see every count, suspended or freed; reset drops them");
}

int main(void)
{
    test_corpus();
    test_invalid_and_panic();
    test_sequences();
    test_far_break();
    test_hooks();
    test_shared();
    test_bounded();
    test_no_timer();
    return check_exit();
}
