/* host/batchfile.h — transactions described in JSON (the `eravm batch`
 * format, README "Batches"): parsed with every key and type checked,
 * built, run on a chain, reported as JSON and checked against their
 * expectations. Shared by `eravm batch` and eravm-bench's scripted
 * full-tier workloads (the .json files in workloads/full/), so both read
 * one format. */
#ifndef HOST_BATCHFILE_H
#define HOST_BATCHFILE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "chain.h"

typedef struct bf_ctx bf_ctx;

/* A contract to deploy: raw, hex, a JSON artifact or a .zasm source, cut
 * to an odd word count as upstream cuts its benchmark files. */
int bf_load_code(const char *path, uint8_t **code, size_t *len, char *err, size_t errn);

/* Reads a JSON file whose top level is an object with only the keys in
 * `allowed` (space-separated), and its "keys": how many funded keys (1 to
 * 16, default 1). NULL with one line in err. */
json_t *bf_load(const char *file, const char *allowed, unsigned *nkeys, char *err, size_t errn);

/* `file` names the JSON file: relative bytecode paths start there (then
 * $ERAVM_DATA), and error messages name it. */
bf_ctx *bf_new(chain *c, const char *file);
void bf_free(bf_ctx *b);
/* The last error: "FILE: JSON.PATH: what is wrong". */
const char *bf_error(const bf_ctx *b);

/* A variable "$NAME" that numbers and addresses in the transactions may
 * use (the bench sets "$i", the transaction's index in its batch). */
void bf_set_var(bf_ctx *b, const char *name, u256 value);

/* The nonce entries that do not give one get (CHAIN_AUTO_NONCE: the
 * account's current nonce): the bench builds a batch before running it. */
void bf_set_nonce(bf_ctx *b, uint64_t nonce);

/* Builds a transaction entry (deploy, execute or transfer) without running
 * it. A named deploy's name is bound to its address by bf_after_run. */
int bf_build(bf_ctx *b, json_t *tx, const char *path, chain_tx **out);
/* The address a name stands for (a named deploy or call). */
bool bf_lookup(const bf_ctx *b, const char *name, u256 *address);

/* The name bound to an address, if any (into buf). */
bool bf_name_of(const bf_ctx *b, u256 address, char *buf, size_t n);

/* Binds a named deploy's name once it succeeded. */
void bf_after_run(bf_ctx *b, json_t *tx, const chain_result *r);

/* Runs one entry (a transaction or a read-only call), appends its result
 * object to `results` and checks its expectations: each mismatch is one
 * line on stderr and counts in *bad. Returns -1 (bf_error) if the entry is
 * malformed or cannot run. */
int bf_run(bf_ctx *b, json_t *tx, const char *path, json_t *results, int *bad);

/* Checks one transaction's result against an "expect" object. */
void bf_check(bf_ctx *b, json_t *expect, const char *path, const chain_result *r, json_t *out,
              int *bad);

/* The per-transaction object every full-tier command prints; `before` is
 * the storage written before it (its writes are the difference). */
json_t *bf_tx_json(chain *c, const chain_result *r, const eravm_slot *before, size_t nb);

#endif
