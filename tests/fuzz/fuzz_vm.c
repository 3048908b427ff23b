/* tests/fuzz/fuzz_vm.c — libFuzzer target over (bytecode, calldata, flags).
 *
 * Input layout: byte 0 = flags (bit 0 constructor, bit 1 kernel address,
 * bit 2 static, bits 3..4 choose the ergs budget), bytes 1..2 = calldata
 * length (BE, capped by what remains), then the calldata, then the bytecode
 * (padded with zero bytes to an odd number of words). The same code is also
 * deployed at a user and a kernel address so far calls find code. Each
 * input also goes through disassemble -> assemble, which must give the same
 * bytes back. Each input runs on the fast engine and on the simple one (an
 * independent implementation, vm/ref.c); any difference in what they report
 * aborts. Built with -fsanitize=fuzzer,address,undefined by `make fuzz`;
 * tests/fuzz/driver.c replays saved inputs in plain builds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "disasm.h"
#include "eravm.h"
#include "world_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const uint8_t *code, size_t len)
{
    char *text = NULL;
    size_t tn = 0;
    FILE *m = open_memstream(&text, &tn);
    if (!m)
        return;
    eravm_disasm_file(m, code, len, 0);
    fclose(m);
    eravm_asm_result r;
    char err[512];
    if (eravm_asm(text, tn, "fuzz", &r, err, sizeof err) != 0) {
        fprintf(stderr, "round trip failed to assemble: %s\n", err);
        abort();
    }
    if (r.len != len || memcmp(r.code, code, len) != 0) {
        fprintf(stderr, "round trip changed the bytes\n");
        abort();
    }
    eravm_asm_free(&r);
    free(text);
}

static void differ(const char *what)
{
    fprintf(stderr, "the fast and simple engines differ in %s\n", what);
    abort();
}

static void same_slots(eravm_slot *a, size_t na, eravm_slot *b, size_t nb, const char *what)
{
    if (na != nb || (na && memcmp(a, b, na * sizeof *a)))
        differ(what);
    free(a);
    free(b);
}

static void same_logs(const eravm_log *a, size_t na, const eravm_log *b, size_t nb, const char *what)
{
    if (na != nb)
        differ(what);
    for (size_t i = 0; i < na; i++)
        if (!u256_eq(a[i].address, b[i].address) || !u256_eq(a[i].key, b[i].key) ||
            !u256_eq(a[i].value, b[i].value) || a[i].first != b[i].first ||
            a[i].tx_number != b[i].tx_number)
            differ(what);
}

/* Everything a run reports through the public interface. */
static void same_outcome(eravm_vm *f, const eravm_result *rf, eravm_vm *s, const eravm_result *rs)
{
    if (rf->status != rs->status || rf->ergs_left != rs->ergs_left)
        differ("status or ergs");
    if (rf->instructions != rs->instructions || rf->skipped != rs->skipped)
        differ("instruction counts");
    if (rf->returndata_len != rs->returndata_len ||
        (rf->returndata_len && memcmp(rf->returndata, rs->returndata, rf->returndata_len)))
        differ("returndata");
    size_t na, nb;
    eravm_slot *a = eravm_vm_storage_writes(f, &na), *b = eravm_vm_storage_writes(s, &nb);
    same_slots(a, na, b, nb, "storage writes");
    a = eravm_vm_transient(f, &na);
    b = eravm_vm_transient(s, &nb);
    same_slots(a, na, b, nb, "transient storage");
    const eravm_log *la = eravm_vm_events(f, &na), *lb = eravm_vm_events(s, &nb);
    same_logs(la, na, lb, nb, "events");
    la = eravm_vm_l2l1_logs(f, &na);
    lb = eravm_vm_l2l1_logs(s, &nb);
    same_logs(la, na, lb, nb, "L2->L1 logs");
    if (eravm_vm_pubdata(f) != eravm_vm_pubdata(s))
        differ("pubdata");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    uint8_t flags = data[0];
    size_t cdlen = (size_t)data[1] << 8 | data[2];
    data += 3;
    size -= 3;
    if (cdlen > size)
        cdlen = size;
    const uint8_t *calldata = data;
    const uint8_t *body = data + cdlen;
    size_t blen = size - cdlen;
    size_t words = (blen + 31) / 32;
    if (words % 2 == 0)
        words++;
    if (words > 2047)
        return 0; /* keep inputs small; the container limit is tested elsewhere */
    uint8_t *code = calloc(words, 32);
    if (!code)
        return 0;
    memcpy(code, body, blen);
    check_round_trip(code, words * 32);

    static const uint32_t budgets[4] = {5000, 60000, 400000, 2000000};
    eravm_memworld *w = eravm_memworld_new();
    u256 self = (flags & 2) ? u256_from_u64(0x8001) : u256_from_u64(0x1234567890abcdefull);
    eravm_memworld_deploy(w, self, code, words * 32, (flags & 1) != 0);
    eravm_memworld_deploy(w, u256_from_u64(0x10001), code, words * 32, false);
    eravm_memworld_deploy(w, u256_from_u64(0x800d), code, words * 32, false);
    eravm_world iface = eravm_memworld_iface(w);
    eravm_settings settings;
    memset(&settings, 0, sizeof settings);
    eravm_vm *vm = eravm_vm_new(&iface, &settings);
    eravm_call call;
    memset(&call, 0, sizeof call);
    call.address = self;
    call.calldata = calldata;
    call.calldata_len = cdlen;
    call.ergs = budgets[(flags >> 3) & 3];
    call.constructor = flags & 1;
    call.is_static = (flags & 4) != 0;
    const eravm_program *prog = eravm_memworld_program(w, eravm_code_hash(code, words * 32));
    eravm_result res, res_simple;
    eravm_vm_run(vm, prog, &call, &res);
    if (res.ergs_left > call.ergs) {
        fprintf(stderr, "ergs grew from %u to %u\n", call.ergs, res.ergs_left);
        abort();
    }
    eravm_vm *simple = eravm_vm_new(&iface, &settings);
    eravm_vm_set_engine(simple, ERAVM_ENGINE_SIMPLE);
    eravm_vm_run(simple, prog, &call, &res_simple);
    same_outcome(vm, &res, simple, &res_simple);
    eravm_vm_free(simple);
    eravm_vm_free(vm);
    eravm_memworld_free(w);
    free(code);
    return 0;
}
