/* tests/test_snapshot.c — external (transaction) snapshots restore the
 * bootloader's heap whatever wrote to it after the snapshot: its own stores,
 * the host, code that `dcmt` materialises there, precompile output (vm2
 * journals every write to the bootloader heap and aux heap: Heaps::write_u256
 * and write_bytes). Each case runs a kernel program as the initial frame:
 * start, snapshot, run to the hook (a store at 4096), roll back, then the
 * heap must read as it did at the snapshot. And the bootloader's stack comes
 * back whole, in every chunk of it. On every engine. */
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "check.h"
#include "eravm.h"
#include "world_mem.h"

#define HOOK 4096

static uint8_t *assemble(const char *src, size_t *len)
{
    eravm_asm_result r;
    char err[512];
    if (eravm_asm(src, strlen(src), "test_snapshot", &r, err, sizeof err) != 0) {
        EXPECT(0, "%s", err);
        return NULL;
    }
    uint8_t *code = r.code;
    *len = r.len;
    r.code = NULL;
    eravm_asm_free(&r);
    return code;
}

static const char *const names[] = {"fast", "counting", "simple"};

/* A VM on `engine` with hooks at HOOK, set up (not run) to run `code`,
 * deployed in `w` at `address`, with a million ergs. */
static eravm_vm *hooked_vm(eravm_memworld *w, const uint8_t *code, size_t len, uint64_t address, int engine)
{
    u256 h = eravm_memworld_deploy(w, u256_from_u64(address), code, len, false);
    eravm_world iface = eravm_memworld_iface(w);
    eravm_settings settings;
    memset(&settings, 0, sizeof settings);
    settings.hooks_enabled = true;
    settings.hook_address = HOOK;
    eravm_vm *vm = eravm_vm_new(&iface, &settings);
    eravm_vm_set_engine(vm, engine);
    eravm_call call;
    memset(&call, 0, sizeof call);
    call.address = u256_from_u64(address);
    call.ergs = 1000000;
    eravm_vm_start(vm, eravm_memworld_program(w, h), &call);
    return vm;
}

/* Runs `body` (then the hook store) at `address` on one engine; returns the
 * first 64 bytes of the heap at the hook in `before`, after the rollback in
 * `heap`. */
static void run_case(const char *body, uint64_t address, int engine, uint8_t before[64], uint8_t heap[64],
                     bool *suspended)
{
    static const char target[] = "\t.text\n\tadd\tr0, r0, r1\n\tret\n";
    size_t tlen, len;
    uint8_t *tcode = assemble(target, &tlen);
    eravm_memworld *w = eravm_memworld_new();
    u256 th = eravm_memworld_deploy(w, u256_from_u64(0x10001), tcode, tlen, false);
    char hash[80], src[2048];
    u256_to_hex(th, hash, sizeof hash);
    snprintf(src, sizeof src,
             "\t.text\n%s\tadd\t%d, r0, r9\n\tstm.h\tr9, r0\n\tret\n\t.rodata\nH:\n\t.cell\t%s\n", body,
             HOOK, hash);
    uint8_t *code = assemble(src, &len);
    eravm_vm *vm = hooked_vm(w, code, len, address, engine);
    EXPECT(eravm_vm_snapshot(vm), "snapshot refused");
    eravm_result res;
    memset(&res, 0, sizeof res);
    *suspended = eravm_vm_continue(vm, &res) == ERAVM_SUSPENDED;
    eravm_vm_read_memory(vm, eravm_vm_heap_page(vm), 0, before, 64);
    EXPECT(eravm_vm_rollback(vm), "rollback refused");
    eravm_vm_read_memory(vm, eravm_vm_heap_page(vm), 0, heap, 64);
    eravm_vm_free(vm);
    eravm_memworld_free(w);
    free(code);
    free(tcode);
}

static void check(const char *what, const char *body, uint64_t address)
{
    CASE_BEGIN();
    for (int e = ERAVM_ENGINE_FAST; e <= ERAVM_ENGINE_SIMPLE; e++) {
        uint8_t before[64], heap[64], zero[64] = {0};
        bool suspended;
        run_case(body, address, e, before, heap, &suspended);
        EXPECT(suspended, "%s engine: the run did not reach the hook", names[e]);
        EXPECT(memcmp(before, zero, sizeof before), "%s engine: nothing was written", names[e]);
        EXPECT(!memcmp(heap, zero, sizeof heap), "%s engine: the heap is not restored", names[e]);
    }
    CASE_END("snapshot: rollback restores the bootloader heap after %s", what);
}

/* Stack slots 3 and 300 (two different chunks in any sparse layout) hold
 * 1234 and 5678 at the snapshot (first hook); then 1 and 2 (second hook,
 * where the host rolls back and sets heap word 0); after the rollback the
 * program returns the two slots. */
static void check_stack(void)
{
    static const char src[] = "\t.text\n"
                              "\tadd\t1234, r0, stack[3]\n"
                              "\tadd\t5678, r0, stack[300]\n"
                              "\tadd\t4096, r0, r9\n"
                              "\tstm.h\tr9, r0\n"
                              "\tldm.h\t0, r1\n"
                              "\tsub!\tr1, r0, r0\n"
                              "\tjump.ne\t@check\n"
                              "\tadd\t1, r0, stack[3]\n"
                              "\tadd\t2, r0, stack[300]\n"
                              "\tstm.h\tr9, r0\n"
                              "\tret\n"
                              "check:\n"
                              "\tadd\tstack[3], r0, r2\n"
                              "\tadd\tstack[300], r0, r3\n"
                              "\tstm.h\t0, r2\n"
                              "\tstm.h\t32, r3\n"
                              "\tadd\t64, r0, r1\n"
                              "\tshl.s\t96, r1, r1\n"
                              "\tret\n";
    CASE_BEGIN();
    size_t len;
    uint8_t *code = assemble(src, &len);
    for (int e = ERAVM_ENGINE_FAST; code && e <= ERAVM_ENGINE_SIMPLE; e++) {
        eravm_memworld *w = eravm_memworld_new();
        eravm_vm *vm = hooked_vm(w, code, len, 0x8001, e);
        eravm_result res;
        memset(&res, 0, sizeof res);
        bool ok = eravm_vm_continue(vm, &res) == ERAVM_SUSPENDED && eravm_vm_snapshot(vm) &&
                  eravm_vm_continue(vm, &res) == ERAVM_SUSPENDED && eravm_vm_rollback(vm);
        EXPECT(ok, "%s engine: the run did not reach both hooks", names[e]);
        uint8_t one[32] = {0};
        one[31] = 1;
        eravm_vm_write_memory(vm, eravm_vm_heap_page(vm), 0, one, 32);
        eravm_vm_continue(vm, &res);
        uint8_t want[64] = {0};
        want[30] = 1234 >> 8, want[31] = 1234 & 255, want[62] = 5678 >> 8, want[63] = 5678 & 255;
        EXPECT(res.status == ERAVM_OK && res.returndata_len == 64 && !memcmp(res.returndata, want, 64),
               "%s engine: after the rollback stack[3], stack[300] are not 1234, 5678", names[e]);
        eravm_vm_free(vm);
        eravm_memworld_free(w);
    }
    free(code);
    CASE_END("snapshot: rollback restores the bootloader's stack in every chunk");
}

int main(void)
{
    check_stack();
    check("its own store", "\tadd\t1234, r0, r1\n\tstm.h\t32, r1\n", 0x8001);
    /* dcmt writes the code into the running frame's heap at offset 0 */
    check("dcmt materialised code there", "\tadd\tcode[@H], r0, r1\n\tdcmt\tr1, r0, r2\n", 0x8001);
    /* at 0x8010 precompile_call is keccak256; write page 0 = the current heap,
     * output at word 1, one word: the hash of 0 bytes lands at byte 32 */
    check("a precompile wrote its output there",
          "\tadd\t1, r0, r1\n\tshl.s\t32, r1, r1\n\tadd\t1, r1, r1\n\tshl.s\t64, r1, r1\n"
          "\tcallp\tr1, r0, r2\n",
          0x8010);
    return check_exit();
}
