/* host/syscon.c — loading the v29 bootloader and system contracts from the
 * data folder, each checked against the hash this project expects. */
#include "syscon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bytecode.h"
#include "keccak.h"

#define ANVIL_DIR "system-contracts/anvil-zksync/builtin-contracts-v29/contracts/"
#define BOOTLOADER_FILE "system-contracts/zksync-era-multivm_bootloaders/vm_interop/proved_batch.yul/Bootloader.zbin"
#define BOOTLOADER_HASH "0x01000911c4db4fe62c98e180cfa7e9b3a22fb15f505905d4bf36192f481551e6"
#define DEFAULT_ACCOUNT_FILE ANVIL_DIR "system-contracts/zkout/DefaultAccount.sol/DefaultAccount.json"
#define DEFAULT_ACCOUNT_HASH "0x010005f74935e95e527d18ea9bfc82906fb20903a5683c528ee7af404e9bd531"
#define EVM_EMULATOR_FILE ANVIL_DIR "system-contracts/zkout/EvmEmulator.yul/EvmEmulator.json"
#define EVM_EMULATOR_HASH "0x01000d8bae37b82f311186426184866498b357f41d7a02ced11f3e3fbfbacd63"

typedef struct {
    uint32_t address;
    const char *name, *artifact, *hash;
} syscon_row;

static const syscon_row syscon_rows[] = {
#define X(ADDR, NAME, ARTIFACT, HASH) {ADDR, #NAME, ANVIL_DIR ARTIFACT, HASH},
#include "syscon.def"
#undef X
};

static u256 parse_hash(const char *hex)
{
    u256 v = u256_zero();
    if (!u256_parse(hex, strlen(hex), &v))
        abort(); /* the table is ours: a typo is a build-time mistake */
    return v;
}

/* Reads one file and checks its versioned hash; names the file on error. */
static int load_one(syscon_code *c, const char *data_dir, const char *rel, const char *name,
                    const char *want_hex, char *err, size_t errn)
{
    char path[4096], why[512];
    snprintf(path, sizeof path, "%s/%s", data_dir, rel);
    if (eravm_load_bytecode(path, &c->code, &c->len, why, sizeof why) != 0) {
        snprintf(err, errn, "%s: %s", path, why);
        return -1;
    }
    if (eravm_check_container(&c->len, 0, why, sizeof why) != 0) {
        snprintf(err, errn, "%s: %s", path, why);
        return -1;
    }
    uint8_t h[32];
    eravm_versioned_hash(c->code, c->len, h);
    c->hash = u256_from_be(h);
    c->name = name;
    if (!u256_eq(c->hash, parse_hash(want_hex))) {
        char got[67];
        u256_to_hex(c->hash, got, sizeof got);
        snprintf(err, errn, "%s: versioned hash %s, expected %s for %s (wrong or corrupt file)",
                 path, got, want_hex, name);
        return -1;
    }
    return 0;
}

/* Collects the custom errors of an artifact's ABI (a failure to read them
 * costs only nicer revert reasons, so it is silent). */
static void load_errors(syscon_set *s, const char *path)
{
    json_t *root = json_load_file(path, 0, NULL);
    json_t *abi = json_object_get(root, "abi");
    size_t i;
    json_t *e;
    json_array_foreach(abi, i, e)
    {
        const char *type = json_string_value(json_object_get(e, "type"));
        const char *name = json_string_value(json_object_get(e, "name"));
        if (!type || strcmp(type, "error") || !name)
            continue;
        syscon_error x = {0};
        size_t n = (size_t)snprintf(x.signature, sizeof x.signature, "%s(", name);
        json_t *in = json_object_get(e, "inputs"), *a;
        size_t j;
        json_array_foreach(in, j, a)
        {
            const char *t = json_string_value(json_object_get(a, "type"));
            if (n < sizeof x.signature)
                n += (size_t)snprintf(x.signature + n, sizeof x.signature - n, "%s%s", j ? "," : "",
                                      t ? t : "?");
        }
        if (n + 1 >= sizeof x.signature)
            continue;
        strcat(x.signature, ")");
        uint8_t h[32];
        keccak256((const uint8_t *)x.signature, strlen(x.signature), h);
        x.selector = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        if (syscon_error_signature(s, x.selector))
            continue;
        syscon_error *grown = realloc(s->errors, (s->nerrors + 1) * sizeof *grown);
        if (!grown)
            break;
        s->errors = grown;
        s->errors[s->nerrors++] = x;
    }
    json_decref(root);
}

const char *syscon_error_signature(const syscon_set *s, uint32_t selector)
{
    for (size_t i = 0; i < s->nerrors; i++)
        if (s->errors[i].selector == selector)
            return s->errors[i].signature;
    return NULL;
}

int syscon_load(syscon_set *s, const char *data_dir, char *err, size_t errn)
{
    memset(s, 0, sizeof *s);
    size_t n = sizeof syscon_rows / sizeof syscon_rows[0];
    s->contracts = calloc(n, sizeof *s->contracts);
    if (!s->contracts) {
        snprintf(err, errn, "out of memory");
        return -1;
    }
    if (load_one(&s->bootloader, data_dir, BOOTLOADER_FILE, "bootloader", BOOTLOADER_HASH, err,
                 errn) != 0 ||
        load_one(&s->default_account, data_dir, DEFAULT_ACCOUNT_FILE, "DefaultAccount",
                 DEFAULT_ACCOUNT_HASH, err, errn) != 0 ||
        load_one(&s->evm_emulator, data_dir, EVM_EMULATOR_FILE, "EvmEmulator", EVM_EMULATOR_HASH,
                 err, errn) != 0)
        goto fail;
    s->bootloader.address = u256_from_u64(SYSCON_BOOTLOADER);
    for (size_t i = 0; i < n; i++) {
        syscon_code *c = &s->contracts[i];
        s->ncontracts = i + 1;
        if (load_one(c, data_dir, syscon_rows[i].artifact, syscon_rows[i].name,
                     syscon_rows[i].hash, err, errn) != 0)
            goto fail;
        c->address = u256_from_u64(syscon_rows[i].address);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", data_dir, syscon_rows[i].artifact);
        load_errors(s, path);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", data_dir, DEFAULT_ACCOUNT_FILE);
    load_errors(s, path);
    return 0;
fail:
    syscon_free(s);
    return -1;
}

void syscon_free(syscon_set *s)
{
    free(s->bootloader.code);
    free(s->default_account.code);
    free(s->evm_emulator.code);
    for (size_t i = 0; i < s->ncontracts; i++)
        free(s->contracts[i].code);
    free(s->contracts);
    free(s->errors);
    memset(s, 0, sizeof *s);
}

const char *syscon_name(const syscon_set *s, u256 address)
{
    if (u256_eq(address, u256_from_u64(SYSCON_BOOTLOADER)))
        return "bootloader";
    for (size_t i = 0; i < s->ncontracts; i++)
        if (u256_eq(s->contracts[i].address, address))
            return s->contracts[i].name;
    return NULL;
}
