/* tests/test_snapshot_stack.c — an external snapshot restores the
 * bootloader frame's whole stack, slots past the first chunk included (the
 * restore once put every saved chunk back at chunk 0). A program writes
 * stack[5] and stack[300], stops on a hook (snapshot), overwrites both and
 * stops again (rollback: pc, stack and heap go back); the host then sets a
 * heap flag that sends the rerun down the other path, which stores both
 * slots to storage, where they must hold the values from before the
 * snapshot. On every engine. */
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "check.h"
#include "eravm.h"
#include "world_mem.h"

#define HOOK 1024 /* heap offset of the hook word */
#define FLAG 2048 /* heap offset the host sets after the rollback */

static const char *source =
    "\t.text\n"
    "\tadd\t7, r0, stack[300]\n"
    "\tadd\t11, r0, stack[5]\n"
    "\tadd\t1, r0, r2\n"
    "\tstm.h\t1024, r2\n"       /* hook 1: the host takes a snapshot */
    "\tldm.h\t2048, r3\n"       /* the flag: 0 the first time, 1 after the rollback */
    "\tsub!\tr3, r0, r0\n"
    "\tjump.ne\t@check\n"
    "\tadd\t99, r0, stack[300]\n"
    "\tadd\t99, r0, stack[5]\n"
    "\tstm.h\t1024, r2\n"       /* hook 2: the host rolls back */
    "\tret.panic\n"
    "check:\n"
    "\tadd\tstack[300], r0, r4\n"
    "\tsts\tr0, r4\n"
    "\tadd\tstack[5], r0, r5\n"
    "\tsts\tr2, r5\n"
    "\tadd\tr0, r0, r1\n"
    "\tret\n";

int main(void)
{
    eravm_asm_result a;
    char err[512];
    CASE_BEGIN();
    EXPECT(eravm_asm(source, strlen(source), "snapshot", &a, err, sizeof err) == 0, "%s", err);
    static const char *const names[3] = {"fast", "counting", "simple"};
    for (int eng = 0; eng < 3 && a.code; eng++) {
        u256 self = u256_from_u64(0x8001);
        eravm_memworld *w = eravm_memworld_new();
        eravm_memworld_deploy(w, self, a.code, a.len, false);
        eravm_world iface = eravm_memworld_iface(w);
        eravm_settings settings;
        memset(&settings, 0, sizeof settings);
        settings.hooks_enabled = true;
        settings.hook_address = HOOK;
        eravm_vm *vm = eravm_vm_new(&iface, &settings);
        eravm_vm_set_engine(vm, eng);
        eravm_call call;
        memset(&call, 0, sizeof call);
        call.address = self;
        call.ergs = 1000000;
        eravm_result r;
        eravm_vm_run(vm, eravm_memworld_program(w, eravm_code_hash(a.code, a.len)), &call, &r);
        EXPECT(r.status == ERAVM_SUSPENDED, "%s: first hook: %s", names[eng], eravm_status_name(r.status));
        EXPECT(eravm_vm_snapshot(vm), "%s: no snapshot", names[eng]);
        eravm_vm_continue(vm, &r);
        EXPECT(r.status == ERAVM_SUSPENDED, "%s: second hook: %s", names[eng], eravm_status_name(r.status));
        EXPECT(eravm_vm_rollback(vm), "%s: no rollback", names[eng]);
        uint8_t one[32] = {0};
        one[31] = 1;
        eravm_vm_write_memory(vm, eravm_vm_heap_page(vm), FLAG, one, 32);
        eravm_vm_continue(vm, &r);
        EXPECT(r.status == ERAVM_OK, "%s: end: %s", names[eng], eravm_status_name(r.status));
        size_t n;
        eravm_slot *s = eravm_vm_storage_writes(vm, &n);
        EXPECT(n == 2 && u256_eq(s[0].value, u256_from_u64(7)) && u256_eq(s[1].value, u256_from_u64(11)),
               "%s: after the rollback stack[300], stack[5] = %llu, %llu (want 7, 11)", names[eng],
               n > 0 ? (unsigned long long)s[0].value.w[0] : 0ull,
               n > 1 ? (unsigned long long)s[1].value.w[0] : 0ull);
        free(s);
        eravm_vm_free(vm);
        eravm_memworld_free(w);
    }
    eravm_asm_free(&a);
    CASE_END("external snapshot: a rollback restores every stack chunk of the bootloader frame (fast, counting, simple)");
    return check_exit();
}
