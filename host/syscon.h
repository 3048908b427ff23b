/* host/syscon.h — the protocol-v29 code the full tier runs: the proved-
 * batch bootloader, the 40 genesis system contracts (host/syscon.def), the
 * DefaultAccount and the EVM emulator, loaded from $ERAVM_DATA with every
 * versioned hash checked (bootloader.md §0, §4.1, §6). */
#ifndef HOST_SYSCON_H
#define HOST_SYSCON_H

#include <stddef.h>
#include <stdint.h>

#include "u256.h"

typedef struct {
    const char *name;
    u256 address;
    u256 hash;          /* versioned hash */
    uint8_t *code;
    size_t len;
} syscon_code;

/* A custom error a system contract can revert with (from its ABI). */
typedef struct {
    uint32_t selector;
    char signature[120];  /* e.g. "NonceAlreadyUsed(address,uint256)" */
} syscon_error;

typedef struct {
    syscon_code bootloader;      /* zksync-era vm_interop proved_batch (bootloader.md §0 (A)) */
    syscon_code default_account;
    syscon_code evm_emulator;
    syscon_code *contracts;      /* genesis rows, in syscon.def order */
    size_t ncontracts;
    syscon_error *errors;        /* every custom error in their ABIs, for revert reasons */
    size_t nerrors;
} syscon_set;

/* Loads everything from data_dir (the shared data folder). Returns 0, or -1
 * with one line in err naming the missing or mismatched file. */
int syscon_load(syscon_set *s, const char *data_dir, char *err, size_t errn);
void syscon_free(syscon_set *s);

/* The name of the system contract at `address` ("bootloader" for 0x8001
 * when it runs the bootloader), or NULL for any other address. */
const char *syscon_name(const syscon_set *s, u256 address);

/* The signature of a custom error by selector, or NULL. */
const char *syscon_error_signature(const syscon_set *s, uint32_t selector);

#define SYSCON_BOOTLOADER 0x8001u
#define SYSCON_ACCOUNT_CODE_STORAGE 0x8002u
#define SYSCON_NONCE_HOLDER 0x8003u
#define SYSCON_KNOWN_CODES 0x8004u
#define SYSCON_CONTRACT_DEPLOYER 0x8006u
#define SYSCON_L1_MESSENGER 0x8008u
#define SYSCON_BASE_TOKEN 0x800au
#define SYSCON_SYSTEM_CONTEXT 0x800bu
#define SYSCON_EVENT_WRITER 0x800du

#endif
