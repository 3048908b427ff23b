/* tools/run.c — `eravm run`: one bytecode as the single frame of an empty
 * in-memory world, with text or JSON results and an optional trace. */
#include "run.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytecode.h"
#include "disasm.h"
#include "eravm.h"
#include "tool_util.h"
#include "world_mem.h"

#define DEFAULT_ERGS 30000000u

/* ---- trace ---- */

typedef struct {
    u256 regs[16];
    uint16_t tags;
    unsigned flags;
    bool started;
    FILE *out;
} trace_state;

static void trace_changes(trace_state *t, const eravm_vm *vm)
{
    char buf[100];
    bool any = false;
    for (int r = 1; r < 16; r++) {
        bool tag;
        u256 v = eravm_vm_register(vm, r, &tag);
        bool old_tag = (t->tags >> r) & 1;
        if (!u256_eq(v, t->regs[r]) || tag != old_tag) {
            u256_to_hex(v, buf, sizeof buf);
            if (t->out)
                fprintf(t->out, "%s r%d=%s%s", any ? "" : "    ->", r, buf, tag ? "(ptr)" : "");
            any = true;
            t->regs[r] = v;
            t->tags = (uint16_t)(tag ? t->tags | (1u << r) : t->tags & ~(1u << r));
        }
    }
    unsigned fl = eravm_vm_flags(vm);
    if (fl != t->flags) {
        if (t->out)
            fprintf(t->out, "%s flags=%s%s%s%s", any ? "" : "    ->", fl & 1 ? "LT" : "",
                    fl & 2 ? "EQ" : "", fl & 4 ? "GT" : "", fl ? "" : "-");
        any = true;
        t->flags = fl;
    }
    if (any && t->out)
        fputc('\n', t->out);
}

static void trace_fn(void *ctx, const eravm_vm *vm, uint16_t pc, uint64_t word, uint32_t ergs,
                     int depth)
{
    trace_state *t = ctx;
    if (t->started) {
        trace_changes(t, vm);
    } else {
        FILE *out = t->out;
        t->out = NULL; /* the initial registers are not a change */
        trace_changes(t, vm);
        t->out = out;
    }
    t->started = true;
    char text[160];
    eravm_disasm_insn(word, NULL, NULL, text, sizeof text);
    for (char *p = text; *p; p++)
        if (*p == '\t')
            *p = ' ';
    fprintf(t->out, "%*s%5u  %-44s ergs=%u\n", depth * 2, "", pc, text, ergs);
}

/* ---- output ---- */

json_t *tool_result_json(const eravm_vm *vm, const eravm_result *res)
{
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string(eravm_status_name(res->status)));
    json_object_set_new(o, "ergs_left", json_integer(res->ergs_left));
    json_object_set_new(o, "instructions", json_integer((json_int_t)res->instructions));
    json_object_set_new(o, "skipped", json_integer((json_int_t)res->skipped));
    char *hex = tool_hex(res->returndata, res->returndata_len);
    json_object_set_new(o, "returndata", json_string(hex));
    free(hex);
    size_t n;
    eravm_slot *s = eravm_vm_storage_writes(vm, &n);
    json_t *sw = json_object();
    for (size_t i = 0; i < n; i++) {
        char a[80], k[80], v[80];
        tool_addr_hex(s[i].address, a);
        u256_to_hex(s[i].key, k, sizeof k);
        u256_to_hex(s[i].value, v, sizeof v);
        json_t *m = json_object_get(sw, a);
        if (!m) {
            m = json_object();
            json_object_set_new(sw, a, m);
        }
        json_object_set_new(m, k, json_string(v));
    }
    free(s);
    json_object_set_new(o, "storage_writes", sw);
    for (int which = 0; which < 2; which++) {
        const eravm_log *l = which ? eravm_vm_l2l1_logs(vm, &n) : eravm_vm_events(vm, &n);
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            char a[80], k[80], v[80];
            tool_addr_hex(l[i].address, a);
            u256_to_hex(l[i].key, k, sizeof k);
            u256_to_hex(l[i].value, v, sizeof v);
            json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:b,s:i}", "address", a, "key", k,
                                                 "value", v, which ? "is_service" : "first",
                                                 l[i].first, "tx_number", l[i].tx_number));
        }
        json_object_set_new(o, which ? "l2_l1_logs" : "events", arr);
    }
    return o;
}

static void print_text(const eravm_vm *vm, const eravm_result *res)
{
    printf("status: %s\n", eravm_status_name(res->status));
    printf("ergs_left: %u\n", res->ergs_left);
    printf("instructions: %llu (skipped %llu)\n", (unsigned long long)res->instructions,
           (unsigned long long)res->skipped);
    char *hex = tool_hex(res->returndata, res->returndata_len);
    printf("returndata: %s\n", hex);
    free(hex);
    size_t n;
    eravm_slot *s = eravm_vm_storage_writes(vm, &n);
    for (size_t i = 0; i < n; i++) {
        char a[80], k[80], v[80];
        tool_addr_hex(s[i].address, a);
        u256_to_hex(s[i].key, k, sizeof k);
        u256_to_hex(s[i].value, v, sizeof v);
        printf("storage: %s %s = %s\n", a, k, v);
    }
    free(s);
    const eravm_log *l = eravm_vm_events(vm, &n);
    for (size_t i = 0; i < n; i++) {
        char k[80], v[80];
        u256_to_hex(l[i].key, k, sizeof k);
        u256_to_hex(l[i].value, v, sizeof v);
        printf("event: %s = %s%s\n", k, v, l[i].first ? " (first)" : "");
    }
    l = eravm_vm_l2l1_logs(vm, &n);
    for (size_t i = 0; i < n; i++) {
        char a[80], k[80], v[80];
        tool_addr_hex(l[i].address, a);
        u256_to_hex(l[i].key, k, sizeof k);
        u256_to_hex(l[i].value, v, sizeof v);
        printf("l2_l1_log: %s %s = %s%s\n", a, k, v, l[i].first ? " (service)" : "");
    }
}

int tool_run(int argc, char **argv)
{
    const char *file = NULL, *calldata_hex = NULL, *format = "text";
    uint32_t ergs = DEFAULT_ERGS;
    bool constructor = false, truncate = false, trace = false;
    int engine = ERAVM_ENGINE_FAST;
    u256 address = u256_from_u64(0x1234567890abcdefull), caller = u256_zero(), value = u256_zero();
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE()                                                                        \
    do {                                                                                    \
        if (!v)                                                                             \
            return tool_die("run: %s needs a value", a);                                    \
        i++;                                                                                \
    } while (0)
        if (!strcmp(a, "--calldata")) {
            NEED_VALUE();
            calldata_hex = v;
        } else if (!strcmp(a, "--ergs")) {
            NEED_VALUE();
            u256 e;
            if (!tool_parse_u256(v, &e) || !u256_fits_u32(e))
                return tool_die("run: --ergs wants a number below 2^32, not '%s'", v);
            ergs = u256_low32(e);
        } else if (!strcmp(a, "--address") || !strcmp(a, "--caller")) {
            NEED_VALUE();
            u256 x;
            if (!tool_parse_address(v, &x))
                return tool_die("run: bad address '%s' (want 0x + up to 40 hex digits)", v);
            if (!strcmp(a, "--address"))
                address = x;
            else
                caller = x;
        } else if (!strcmp(a, "--value")) {
            NEED_VALUE();
            if (!tool_parse_u256(v, &value) || value.w[2] || value.w[3])
                return tool_die("run: --value wants a number below 2^128, not '%s'", v);
        } else if (!strcmp(a, "--format")) {
            NEED_VALUE();
            if (strcmp(v, "text") && strcmp(v, "json"))
                return tool_die("run: --format is text or json, not '%s'", v);
            format = v;
        } else if (!strcmp(a, "--engine")) {
            NEED_VALUE();
            if (!strcmp(v, "fast"))
                engine = ERAVM_ENGINE_FAST;
            else if (!strcmp(v, "counting"))
                engine = ERAVM_ENGINE_COUNTING;
            else if (!strcmp(v, "simple"))
                engine = ERAVM_ENGINE_SIMPLE;
            else
                return tool_die("run: --engine is fast, counting or simple, not '%s'", v);
        } else if (!strcmp(a, "--constructor")) {
            constructor = true;
        } else if (!strcmp(a, "--truncate")) {
            truncate = true;
        } else if (!strcmp(a, "--trace")) {
            trace = true;
        } else if (a[0] == '-' && a[1]) {
            return tool_die("run: unknown option '%s' (see eravm --help)", a);
        } else if (file) {
            return tool_die("run: more than one file given ('%s')", a);
        } else {
            file = a;
        }
#undef NEED_VALUE
    }
    if (!file)
        return tool_die("run: no file given%s", "");
    uint8_t *code;
    size_t len;
    char err[512];
    if (eravm_load_bytecode(file, &code, &len, err, sizeof err) != 0) {
        fprintf(stderr, "eravm: %s\n", err);
        return 1;
    }
    if (eravm_check_container(&len, truncate, err, sizeof err) != 0) {
        fprintf(stderr, "eravm: %s: %s\n", file, err);
        free(code);
        return 1;
    }
    uint8_t *calldata = NULL;
    size_t cdlen = 0;
    if (calldata_hex && eravm_hex_decode(calldata_hex, strlen(calldata_hex), &calldata, &cdlen,
                                         err, sizeof err) != 0) {
        fprintf(stderr, "eravm: run: --calldata: %s\n", err);
        free(code);
        return 1;
    }
    eravm_memworld *w = eravm_memworld_new();
    eravm_memworld_deploy(w, address, code, len, constructor);
    const eravm_program *prog = eravm_memworld_program(w, eravm_code_hash(code, len));
    eravm_world iface = eravm_memworld_iface(w);
    eravm_settings settings;
    memset(&settings, 0, sizeof settings);
    eravm_vm *vm = eravm_vm_new(&iface, &settings);
    eravm_vm_set_engine(vm, engine);
    trace_state ts;
    memset(&ts, 0, sizeof ts);
    ts.out = stdout;
    if (trace)
        eravm_vm_set_trace(vm, trace_fn, &ts);
    eravm_call call;
    memset(&call, 0, sizeof call);
    call.address = address;
    call.caller = caller;
    call.context_value = value;
    call.calldata = calldata;
    call.calldata_len = cdlen;
    call.ergs = ergs;
    call.constructor = constructor;
    eravm_result res;
    eravm_vm_run(vm, prog, &call, &res);
    if (trace)
        trace_changes(&ts, vm);
    if (!strcmp(format, "json")) {
        json_t *o = tool_result_json(vm, &res);
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        print_text(vm, &res);
    }
    eravm_vm_free(vm);
    eravm_memworld_free(w);
    free(code);
    free(calldata);
    return 0;
}
