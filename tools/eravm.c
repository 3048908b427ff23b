/* tools/eravm.c — the `eravm` command: asm, disasm, hash, keccak, and run and
 * scenario (tools/run.c, tools/scenario.c). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asm.h"
#include "bytecode.h"
#include "disasm.h"
#include "full.h"
#include "eravm.h"
#include "keccak.h"
#include "opcode.h"
#include "run.h"
#include "tool_util.h"

static const char *usage_text =
    "usage: eravm <command> [options]\n"
    "\n"
    "commands:\n"
    "  asm FILE.zasm [-o OUT.zbin] [--hex]   assemble zksolc assembly to bytecode\n"
    "  disasm FILE [--raw] [--no-labels] [--truncate] [--predecoded]\n"
    "                                         print bytecode as zksolc assembly (--predecoded:\n"
    "                                         the engine's records; FILE may be .zasm)\n"
    "  hash FILE [--truncate]                 print the versioned bytecode hash\n"
    "  run FILE [--calldata HEX] [--ergs N] [--constructor] [--address A] [--caller A]\n"
    "      [--value N] [--truncate] [--format text|json] [--trace] [--engine fast|counting|simple]\n"
    "      [--max-memory SIZE]                run FILE as the single frame of an empty world\n"
    "  scenario FILE.json [--engine fast|counting|simple] [--max-memory SIZE]\n"
    "                                         run a multi-step scenario and check its expectations\n"
    "  keccak TEXT | --hex HEX                keccak256 of a string (e.g. an ABI signature) or of bytes\n"
    "  deploy FILE [--args HEX] [--value WEI] [--format text|json] [--record DIR]\n"
    "      [--no-signatures] [--trace-hooks] [--engine E]\n"
    "                                         one deploy transaction through the real v29 bootloader\n"
    "  batch FILE.json [--format text|json] [--record DIR] [--no-signatures] [--no-finish]\n"
    "      [--trace-hooks] [--engine E]      transactions in one batch, with expectations\n"
    "  replay DIR [--engine E]                re-run a recording (--record) on the VM alone\n"
    "\n"
    "FILE may be raw bytecode, hex text, or a foundry/hardhat JSON artifact.\n"
    "--truncate cuts a bytecode to the largest odd number of 32-byte words.\n"
    "--engine defaults to $ERAVM_ENGINE for run and scenario, else fast. --max-memory caps\n"
    "the process's memory for run and scenario\n"
    "(K/M/G suffixes; 0 = none; default 4G or half the machine's memory); a run that\n"
    "needs more ends with exit status 3.\n";

#define die(fmt, a) tool_die(fmt, a)

static int load_checked(const char *path, int truncate, uint8_t **code, size_t *len)
{
    char err[512];
    if (eravm_load_code_or_source(path, code, len, err, sizeof err) != 0) {
        fprintf(stderr, "eravm: %s\n", err);
        return -1;
    }
    if (eravm_check_container(len, truncate, err, sizeof err) != 0) {
        fprintf(stderr, "eravm: %s: %s\n", path, err);
        free(*code);
        return -1;
    }
    return 0;
}

static int cmd_hash(int argc, char **argv)
{
    const char *file = NULL;
    int truncate = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--truncate"))
            truncate = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return die("hash: unknown option '%s' (see eravm --help)", argv[i]);
        else if (file)
            return die("hash: more than one file given ('%s')", argv[i]);
        else
            file = argv[i];
    }
    if (!file)
        return die("hash: no file given%s", "");
    uint8_t *code;
    size_t len;
    if (load_checked(file, truncate, &code, &len) != 0)
        return 1;
    uint8_t h[32];
    eravm_versioned_hash(code, len, h);
    printf("0x");
    for (int i = 0; i < 32; i++)
        printf("%02x", h[i]);
    printf("\n");
    free(code);
    return 0;
}

/* `disasm --predecoded` reads an assembly snippet too: the records of its
 * instructions, not of the padding and constants after them. */
static int load_snippet(const char *path, int truncate, uint8_t **code, size_t *len,
                        uint32_t *count)
{
    size_t pl = strlen(path);
    if (pl > 5 && !strcmp(path + pl - 5, ".zasm")) {
        char err[512];
        uint8_t *src;
        size_t sn;
        eravm_asm_result r;
        if (eravm_read_file(path, &src, &sn, err, sizeof err) ||
            eravm_asm((const char *)src, sn, path, &r, err, sizeof err)) {
            fprintf(stderr, "eravm: %s\n", err);
            return -1;
        }
        free(src);
        *code = r.code;
        *len = r.len;
        *count = r.ninsn;
        r.code = NULL;
        eravm_asm_free(&r);
        return 0;
    }
    if (load_checked(path, truncate, code, len) != 0)
        return -1;
    *count = (uint32_t)(*len / 8);
    return 0;
}

static int cmd_disasm(int argc, char **argv)
{
    const char *file = NULL;
    int truncate = 0, flags = 0, predecoded = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--truncate"))
            truncate = 1;
        else if (!strcmp(argv[i], "--raw"))
            flags |= DISASM_RAW;
        else if (!strcmp(argv[i], "--no-labels"))
            flags |= DISASM_NO_LABELS;
        else if (!strcmp(argv[i], "--predecoded"))
            predecoded = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return die("disasm: unknown option '%s' (see eravm --help)", argv[i]);
        else if (file)
            return die("disasm: more than one file given ('%s')", argv[i]);
        else
            file = argv[i];
    }
    if (!file)
        return die("disasm: no file given%s", "");
    uint8_t *code;
    size_t len;
    if (predecoded) {
        uint32_t count;
        if (load_snippet(file, truncate, &code, &len, &count) != 0)
            return 1;
        eravm_disasm_predecoded(stdout, code, len, count);
    } else {
        if (load_checked(file, truncate, &code, &len) != 0)
            return 1;
        eravm_disasm_file(stdout, code, len, flags);
    }
    free(code);
    return 0;
}

/* True if `out` names the same file as `in` (so writing would destroy the source). */
static bool same_file(const char *in, const char *out)
{
    struct stat a, b;
    return !strcmp(in, out) ||
           (stat(in, &a) == 0 && stat(out, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino);
}

static int cmd_asm(int argc, char **argv)
{
    const char *file = NULL, *out = NULL;
    int hex = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-o")) {
            if (++i >= argc || !argv[i][0])
                return die("asm: -o needs a file name%s", "");
            out = argv[i];
        } else if (!strcmp(argv[i], "--hex")) {
            hex = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return die("asm: unknown option '%s' (see eravm --help)", argv[i]);
        } else if (file) {
            return die("asm: more than one file given ('%s')", argv[i]);
        } else {
            file = argv[i];
        }
    }
    if (!file)
        return die("asm: no file given%s", "");
    if (out && strcmp(out, "-") && strcmp(file, "-") && same_file(file, out))
        return die("asm: -o '%s' is the source file; refusing to overwrite it", out);
    size_t n;
    uint8_t *src;
    char err[512];
    if (eravm_read_file(file, &src, &n, err, sizeof err) != 0) {
        fprintf(stderr, "eravm: %s\n", err);
        return 1;
    }
    eravm_asm_result res;
    int rc = eravm_asm((const char *)src, n, strcmp(file, "-") ? file : "<stdin>", &res, err, sizeof err);
    free(src);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    FILE *f = stdout;
    bool to_file = out && strcmp(out, "-");
    if (to_file) {
        f = fopen(out, "wb");
        if (!f) {
            eravm_asm_free(&res);
            return tool_die("asm: cannot write '%s': %s", out, strerror(errno));
        }
    } else if (!hex && isatty(1)) {
        eravm_asm_free(&res);
        return die("asm: refusing to write binary to a terminal; use -o FILE or --hex%s", "");
    }
    if (hex) {
        fprintf(f, "0x");
        for (size_t i = 0; i < res.len; i++)
            fprintf(f, "%02x", res.code[i]);
        fprintf(f, "\n");
    } else {
        fwrite(res.code, 1, res.len, f);
    }
    eravm_asm_free(&res);
    if (!to_file)
        return 0; /* stdout is checked once, in main */
    char what[1100];
    snprintf(what, sizeof what, "'%s'", out);
    struct stat st;
    bool regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    rc = tool_close_output(f, what, 0);
    if (rc && regular)
        remove(out); /* nothing half-written (but never a device such as /dev/full) */
    return rc;
}

static int cmd_keccak(int argc, char **argv)
{
    const uint8_t *data;
    uint8_t *bytes = NULL;
    size_t len;
    if (argc == 2 && !strcmp(argv[0], "--hex")) {
        char err[256];
        if (eravm_hex_decode(argv[1], strlen(argv[1]), &bytes, &len, err, sizeof err) != 0)
            return die("keccak: %s", err);
        data = bytes;
    } else if (argc == 1 && strcmp(argv[0], "--hex")) {
        data = (const uint8_t *)argv[0];
        len = strlen(argv[0]);
    } else {
        return die("keccak: want TEXT or --hex HEX%s", "");
    }
    uint8_t h[32];
    keccak256(data, len, h);
    printf("0x");
    for (int i = 0; i < 32; i++)
        printf("%02x", h[i]);
    printf("\n");
    free(bytes);
    return 0;
}

static int dispatch(int argc, char **argv)
{
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!strcmp(cmd, "asm"))
        return cmd_asm(argc - 2, argv + 2);
    if (!strcmp(cmd, "disasm"))
        return cmd_disasm(argc - 2, argv + 2);
    if (!strcmp(cmd, "hash"))
        return cmd_hash(argc - 2, argv + 2);
    if (!strcmp(cmd, "keccak"))
        return cmd_keccak(argc - 2, argv + 2);
    if (!strcmp(cmd, "run"))
        return tool_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "scenario"))
        return tool_scenario(argc - 2, argv + 2);
    if (!strcmp(cmd, "deploy"))
        return tool_deploy(argc - 2, argv + 2);
    if (!strcmp(cmd, "batch"))
        return tool_batch(argc - 2, argv + 2);
    if (!strcmp(cmd, "replay"))
        return tool_replay(argc - 2, argv + 2);
    return die("unknown command '%s' (see eravm --help)", cmd);
}

int main(int argc, char **argv)
{
    eravm_optab_init();
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    /* a report lost to a full disk or a closed pipe is an error, not a success */
    return tool_close_output(stdout, "standard output", dispatch(argc, argv));
}
