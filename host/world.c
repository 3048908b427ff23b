/* host/world.c — the full tier's key-value world (see world.h). Two open-
 * addressing hash tables: slots keyed by (address, key), code keyed by
 * versioned hash; programs are decoded on first use and kept. */
#include "world.h"

#include <stdlib.h>
#include <string.h>

#include "keccak.h"
#include "precompile.h"
#include "xalloc.h"

typedef struct {
    u256 address, key, value;
    bool used;
} hw_slot;

typedef struct {
    u256 hash; /* marker byte cleared */
    uint8_t *code;
    size_t len;
    eravm_program *prog;
    bool used;
} hw_code_entry;

struct host_world {
    hw_slot *slots;
    size_t nslots, capslots;
    hw_code_entry *codes;
    size_t ncodes, capcodes;
    bool expect_ecrecover;
    uint8_t ecrecover_input[128];
    u256 ecrecover_address;
    hw_observer obs;
    u256 bootloader_balance_key; /* a free slot; asked on every storage access */
};

static uint64_t hw_mix(u256 a, u256 b)
{
    uint64_t h = a.w[0] * 0x9E3779B97F4A7C15ull ^ a.w[1] ^ (a.w[2] << 1);
    h ^= b.w[0] + 0xC2B2AE3D27D4EB4Full + (h << 6) + (h >> 2);
    h ^= b.w[1] * 0x165667B19E3779F9ull ^ b.w[2] ^ b.w[3];
    h ^= h >> 29;
    return h * 0xBF58476D1CE4E5B9ull;
}

static u256 code_key(u256 hash)
{
    hash.w[3] &= ~(0xFFull << 48); /* byte 1: the "being constructed" marker */
    return hash;
}

/* ---- slots ---- */

static hw_slot *slot_find(const host_world *w, u256 address, u256 key)
{
    if (!w->capslots)
        return NULL;
    size_t m = w->capslots - 1;
    for (size_t i = hw_mix(address, key) & m;; i = (i + 1) & m) {
        hw_slot *s = &w->slots[i];
        if (!s->used)
            return NULL;
        if (u256_eq(s->address, address) && u256_eq(s->key, key))
            return s;
    }
}

static void slot_grow(host_world *w)
{
    hw_slot *old = w->slots;
    size_t oldcap = w->capslots;
    w->capslots = oldcap ? oldcap * 2 : 1024;
    w->slots = xcalloc(w->capslots, sizeof *w->slots);
    w->nslots = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].used)
            hw_set(w, old[i].address, old[i].key, old[i].value);
    free(old);
}

void hw_set(host_world *w, u256 address, u256 key, u256 value)
{
    if ((w->nslots + 1) * 2 > w->capslots)
        slot_grow(w);
    size_t m = w->capslots - 1;
    for (size_t i = hw_mix(address, key) & m;; i = (i + 1) & m) {
        hw_slot *s = &w->slots[i];
        if (!s->used) {
            *s = (hw_slot){address, key, value, true};
            w->nslots++;
            return;
        }
        if (u256_eq(s->address, address) && u256_eq(s->key, key)) {
            s->value = value;
            return;
        }
    }
}

u256 hw_get(const host_world *w, u256 address, u256 key, bool *present)
{
    const hw_slot *s = slot_find(w, address, key);
    if (present)
        *present = s != NULL;
    return s ? s->value : u256_zero();
}

/* ---- code ---- */

static hw_code_entry *code_find(const host_world *w, u256 key)
{
    if (!w->capcodes)
        return NULL;
    size_t m = w->capcodes - 1;
    for (size_t i = hw_mix(key, key) & m;; i = (i + 1) & m) {
        hw_code_entry *c = &w->codes[i];
        if (!c->used)
            return NULL;
        if (u256_eq(c->hash, key))
            return c;
    }
}

static void code_insert(host_world *w, hw_code_entry e)
{
    size_t m = w->capcodes - 1;
    size_t i = hw_mix(e.hash, e.hash) & m;
    while (w->codes[i].used)
        i = (i + 1) & m;
    w->codes[i] = e;
    w->ncodes++;
}

u256 hw_add_code(host_world *w, const uint8_t *code, size_t len)
{
    return hw_add_code_hashed(w, code, len, eravm_code_hash(code, len));
}

u256 hw_add_code_hashed(host_world *w, const uint8_t *code, size_t len, u256 hash)
{
    u256 key = code_key(hash);
    if (code_find(w, key))
        return key;
    if ((w->ncodes + 1) * 2 > w->capcodes) {
        hw_code_entry *old = w->codes;
        size_t oldcap = w->capcodes;
        w->capcodes = oldcap ? oldcap * 2 : 128;
        w->codes = xcalloc(w->capcodes, sizeof *w->codes);
        w->ncodes = 0;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].used)
                code_insert(w, old[i]);
        free(old);
    }
    hw_code_entry e = {key, xmalloc(len ? len : 1), len, NULL, true};
    memcpy(e.code, code, len);
    code_insert(w, e);
    return key;
}

const uint8_t *hw_code(const host_world *w, u256 hash, size_t *len)
{
    const hw_code_entry *c = code_find(w, code_key(hash));
    if (!c)
        return NULL;
    *len = c->len;
    return c->code;
}

const eravm_program *hw_program(host_world *w, u256 hash)
{
    hw_code_entry *c = code_find(w, code_key(hash));
    if (!c)
        return NULL;
    if (!c->prog)
        c->prog = eravm_program_new_borrowed(c->code, c->len); /* the entry keeps the code */
    return c->prog;
}

void hw_drop_programs(host_world *w, const u256 *keep, size_t nkeep)
{
    for (size_t i = 0; i < w->capcodes; i++) {
        hw_code_entry *c = &w->codes[i];
        if (!c->used || !c->prog)
            continue;
        bool kept = false;
        for (size_t k = 0; k < nkeep; k++)
            kept |= u256_eq(c->hash, code_key(keep[k]));
        if (!kept) {
            eravm_program_free(c->prog);
            c->prog = NULL;
        }
    }
}

/* ---- lifetime ---- */

host_world *hw_new(void)
{
    host_world *w = xcalloc(1, sizeof(host_world));
    w->bootloader_balance_key = hw_address_key(u256_from_u64(SYSCON_BOOTLOADER));
    return w;
}

void hw_free(host_world *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->capcodes; i++)
        if (w->codes[i].used) {
            eravm_program_free(w->codes[i].prog); /* it borrows the code */
            free(w->codes[i].code);
        }
    free(w->codes);
    free(w->slots);
    free(w);
}

void hw_commit(host_world *w, const eravm_slot *writes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hw_set(w, writes[i].address, writes[i].key, writes[i].value);
}

void hw_observe(host_world *w, const hw_observer *o)
{
    if (o)
        w->obs = *o;
    else
        memset(&w->obs, 0, sizeof w->obs);
}

/* ---- genesis ---- */

u256 hw_address_key(u256 address)
{
    uint8_t buf[64] = {0}, h[32];
    u256_to_be(address, buf);
    keccak256(buf, 64, h);
    return u256_from_be(h);
}

void hw_fund(host_world *w, u256 address, u256 wei)
{
    hw_set(w, u256_from_u64(SYSCON_BASE_TOKEN), hw_address_key(address), wei);
}

void hw_genesis(host_world *w, const syscon_set *s, const host_env *env)
{
    for (size_t i = 0; i < s->ncontracts; i++) {
        const syscon_code *c = &s->contracts[i];
        u256 hash = hw_add_code(w, c->code, c->len);
        hw_set(w, u256_from_u64(SYSCON_ACCOUNT_CODE_STORAGE), c->address, hash);
        hw_set(w, u256_from_u64(SYSCON_KNOWN_CODES), hash, u256_from_u64(1));
    }
    hw_add_code(w, s->default_account.code, s->default_account.len);
    hw_add_code(w, s->evm_emulator.code, s->evm_emulator.len);
    /* SystemContext: the chain id, and what its constructor would have set
     * (constructors do not run at genesis) */
    u256 ctx = u256_from_u64(SYSCON_SYSTEM_CONTEXT);
    hw_set(w, ctx, u256_from_u64(0), u256_from_u64(env->chain_id));
    hw_set(w, ctx, u256_from_u64(3), u256_from_u64(1ull << 50));
    hw_set(w, ctx, u256_from_u64(4), u256_from_u64(SYSCON_BOOTLOADER));
    hw_set(w, ctx, u256_from_u64(5), u256_from_u64(2500000000000000ull));
}

void hw_expect_ecrecover(host_world *w, const uint8_t input[128], u256 address)
{
    w->expect_ecrecover = input != NULL;
    if (input)
        memcpy(w->ecrecover_input, input, 128);
    w->ecrecover_address = address;
}

/* ---- the VM's callbacks ---- */

static unsigned value_bytes(u256 v)
{
    int bits = 0;
    for (int i = 3; i >= 0; i--)
        if (v.w[i]) {
            bits = 64 * i + 64 - __builtin_clzll(v.w[i]);
            break;
        }
    return (unsigned)(bits + 7) / 8;
}

uint32_t hw_write_cost(u256 initial, bool is_write_initial, u256 value)
{
    if (u256_eq(initial, value))
        return 0;
    /* the cheapest of add, sub and plain new value whose operand fits 30
     * bytes, plus the metadata byte; else the whole word */
    unsigned best = 32;
    u256 cands[3] = {u256_sub(value, initial, NULL), u256_sub(initial, value, NULL), value};
    for (int i = 0; i < 3; i++) {
        unsigned n = value_bytes(cands[i]);
        if (n < 31 && n < best)
            best = n;
    }
    return (is_write_initial ? 32u : 4u) + 1u + best;
}

static u256 cb_read(void *ctx, u256 address, u256 key, bool *is_write_initial)
{
    host_world *w = ctx;
    bool present;
    u256 v = hw_get(w, address, key, &present);
    *is_write_initial = !present;
    if (w->obs.storage)
        w->obs.storage(w->obs.ctx, address, key, v, !present);
    return v;
}

static uint32_t cb_cost(void *ctx, u256 initial, bool is_write_initial, u256 value)
{
    host_world *w = ctx;
    uint32_t c = hw_write_cost(initial, is_write_initial, value);
    if (w->obs.cost)
        w->obs.cost(w->obs.ctx, initial, is_write_initial, value, c);
    return c;
}

static bool cb_free(void *ctx, u256 address, u256 key)
{
    host_world *w = ctx;
    bool f = u256_eq(address, u256_from_u64(SYSCON_SYSTEM_CONTEXT)) ||
             (u256_eq(address, u256_from_u64(SYSCON_BASE_TOKEN)) &&
              u256_eq(key, w->bootloader_balance_key));
    if (w->obs.free_slot)
        w->obs.free_slot(w->obs.ctx, address, key, f);
    return f;
}

static const eravm_program *cb_decommit(void *ctx, u256 key)
{
    host_world *w = ctx;
    const eravm_program *p = hw_program(w, key);
    if (w->obs.code)
        w->obs.code(w->obs.ctx, key, p != NULL);
    return p;
}

static int cb_precompile(void *ctx, uint16_t address_low, const eravm_precompile_abi *abi,
                         void (*read)(void *, uint32_t, uint64_t, uint8_t *, size_t), void *rctx,
                         u256 out[4])
{
    host_world *w = ctx;
    if (!w->expect_ecrecover || address_low != 1 || abi->input_length != 4)
        return -1;
    uint8_t in[128];
    read(rctx, abi->read_page, (uint64_t)abi->input_offset * 32, in, sizeof in);
    if (memcmp(in, w->ecrecover_input, sizeof in) != 0)
        return -1;
    out[0] = u256_from_u64(1);
    out[1] = w->ecrecover_address;
    return 2;
}

eravm_world hw_iface(host_world *w)
{
    return (eravm_world){.ctx = w,
                         .read_storage = cb_read,
                         .cost_of_writing_storage = cb_cost,
                         .is_free_storage_slot = cb_free,
                         .decommit = cb_decommit,
                         .call_precompile = cb_precompile};
}
