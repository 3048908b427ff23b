/* tools/run.c — `eravm run`: one bytecode as the single frame of an empty
 * in-memory world, with text or JSON results and an optional trace. */
#include "run.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
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

/* ---- output ----
 * Written as it goes, never built in memory first: a run may leave millions
 * of events, and a JSON tree of them took ~30 bytes per erg paid. */

static void put_hex(FILE *f, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    fputs("0x", f);
    for (size_t i = 0; i < n; i++) {
        putc(digits[p[i] >> 4], f);
        putc(digits[p[i] & 15], f);
    }
}

static void put_u256(FILE *f, u256 v)
{
    char b[80];
    u256_to_hex(v, b, sizeof b);
    fputs(b, f);
}

static void put_addr(FILE *f, u256 a)
{
    char b[43];
    abi_address_hex(a, b);
    fwrite(b, 1, 42, f);
}

/* The layout is jansson's JSON_INDENT(2), as it was when this was a json_t. */
void tool_result_json_write(FILE *f, const eravm_vm *vm, const eravm_result *res)
{
    fprintf(f, "{\n  \"status\": \"%s\",\n  \"ergs_left\": %u,\n  \"instructions\": %llu,\n"
               "  \"skipped\": %llu,\n  \"returndata\": \"",
            eravm_status_name(res->status), res->ergs_left, (unsigned long long)res->instructions,
            (unsigned long long)res->skipped);
    put_hex(f, res->returndata, res->returndata_len);
    fputs("\",\n  \"storage_writes\": {", f);
    size_t n;
    eravm_slot *s = eravm_vm_storage_writes(vm, &n);
    for (size_t i = 0; i < n; i++) {
        bool first_of_addr = i == 0 || !u256_eq(s[i].address, s[i - 1].address);
        if (first_of_addr) {
            fputs(i ? "\n    },\n    \"" : "\n    \"", f);
            put_addr(f, s[i].address);
            fputs("\": {\n      \"", f);
        } else {
            fputs(",\n      \"", f);
        }
        put_u256(f, s[i].key);
        fputs("\": \"", f);
        put_u256(f, s[i].value);
        putc('"', f);
    }
    fputs(n ? "\n    }\n  },\n" : "},\n", f);
    free(s);
    for (int which = 0; which < 2; which++) {
        const eravm_log *l = which ? eravm_vm_l2l1_logs(vm, &n) : eravm_vm_events(vm, &n);
        fprintf(f, "  \"%s\": [", which ? "l2_l1_logs" : "events");
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ",\n    {\n      \"address\": \"" : "\n    {\n      \"address\": \"", f);
            put_addr(f, l[i].address);
            fputs("\",\n      \"key\": \"", f);
            put_u256(f, l[i].key);
            fputs("\",\n      \"value\": \"", f);
            put_u256(f, l[i].value);
            fprintf(f, "\",\n      \"%s\": %s,\n      \"tx_number\": %u\n    }",
                    which ? "is_service" : "first", l[i].first ? "true" : "false", l[i].tx_number);
        }
        fputs(n ? "\n  ]" : "]", f);
        fputs(which ? "\n}\n" : ",\n", f);
    }
}

json_t *tool_result_json(const eravm_vm *vm, const eravm_result *res)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        tool_out_of_memory();
    tool_result_json_write(m, vm, res);
    if (fclose(m) != 0)
        tool_out_of_memory();
    json_t *o = json_loadb(text, len, 0, NULL);
    free(text);
    return o;
}

/* "<label>: [address ]key = value<suffix>" */
static void put_entry(FILE *f, const char *label, const u256 *address, u256 key, u256 value,
                      const char *suffix)
{
    fprintf(f, "%s: ", label);
    if (address) {
        put_addr(f, *address);
        putc(' ', f);
    }
    put_u256(f, key);
    fputs(" = ", f);
    put_u256(f, value);
    fputs(suffix, f);
    putc('\n', f);
}

static void print_text(FILE *f, const eravm_vm *vm, const eravm_result *res)
{
    fprintf(f, "status: %s\nergs_left: %u\ninstructions: %llu (skipped %llu)\nreturndata: ",
            eravm_status_name(res->status), res->ergs_left, (unsigned long long)res->instructions,
            (unsigned long long)res->skipped);
    put_hex(f, res->returndata, res->returndata_len);
    putc('\n', f);
    size_t n;
    eravm_slot *s = eravm_vm_storage_writes(vm, &n);
    for (size_t i = 0; i < n; i++)
        put_entry(f, "storage", &s[i].address, s[i].key, s[i].value, "");
    free(s);
    const eravm_log *l = eravm_vm_events(vm, &n);
    for (size_t i = 0; i < n; i++)
        put_entry(f, "event", NULL, l[i].key, l[i].value, l[i].first ? " (first)" : "");
    l = eravm_vm_l2l1_logs(vm, &n);
    for (size_t i = 0; i < n; i++)
        put_entry(f, "l2_l1_log", &l[i].address, l[i].key, l[i].value, l[i].first ? " (service)" : "");
}

int tool_run(int argc, char **argv)
{
    const char *file = NULL, *calldata_hex = NULL, *format = "text";
    uint32_t ergs = DEFAULT_ERGS;
    bool constructor = false, truncate = false, trace = false;
    int engine = tool_engine_default();
    const char *max_memory = NULL;
    if (engine < 0)
        return 2;
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
            if ((engine = tool_engine(v)) < 0)
                return tool_die("run: --engine is fast, counting or simple, not '%s'", v);
        } else if (!strcmp(a, "--max-memory")) {
            NEED_VALUE();
            max_memory = v;
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
    if (!tool_set_memory_limit(max_memory))
        return tool_die("run: --max-memory wants a size such as 512M or 4G (0 = no limit), not '%s'",
                        max_memory);
    uint8_t *code;
    size_t len;
    char err[512];
    if (eravm_load_code_or_source(file, &code, &len, err, sizeof err) != 0) {
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
    if (!strcmp(format, "json"))
        tool_result_json_write(stdout, vm, &res);
    else
        print_text(stdout, vm, &res);
    eravm_vm_free(vm);
    eravm_memworld_free(w);
    free(code);
    free(calldata);
    return 0;
}
