/* vm/world_mem.c — the in-memory world: a slot map and a code table keyed
 * by versioned hash (byte 1 cleared), decoded once when added; the table is
 * open-addressed, since every far call decommits through it. */
#include "world_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_internal.h"
#include "xalloc.h"

typedef struct {
    u256 key;
    eravm_program *prog;
} mw_code;

struct eravm_memworld {
    wd_map slots;
    mw_code *code; /* capcode slots, a power of two (or 0); prog NULL: empty */
    size_t ncode, capcode;
};

eravm_memworld *eravm_memworld_new(void)
{
    return xcalloc(1, sizeof(eravm_memworld));
}

void eravm_memworld_free(eravm_memworld *w)
{
    if (!w)
        return;
    free(w->slots.e);
    free(w->slots.index);
    free(w->slots.undo);
    for (size_t i = 0; i < w->capcode; i++)
        eravm_program_free(w->code[i].prog);
    free(w->code);
    free(w);
}

static u256 mw_read(void *ctx, u256 address, u256 key, bool *is_write_initial)
{
    eravm_memworld *w = ctx;
    wd_entry *e = wd_lookup(&w->slots, &address, &key, false);
    *is_write_initial = !e;
    return e ? e->value : u256_zero();
}

static u256 code_key(u256 hash)
{
    hash.w[3] &= ~(0xFFull << 48); /* byte 1 of the big-endian hash */
    return hash;
}

/* key's slot, or the empty one where it would go (the table is never full) */
static mw_code *code_slot(mw_code *tab, size_t cap, u256 key)
{
    size_t m = cap - 1, i = (size_t)key.w[0] & m; /* hash bytes: uniform */
    while (tab[i].prog && !u256_eq(tab[i].key, key))
        i = (i + 1) & m;
    return &tab[i];
}

const eravm_program *eravm_memworld_program(eravm_memworld *w, u256 hash)
{
    return w->capcode ? code_slot(w->code, w->capcode, code_key(hash))->prog : NULL;
}

static const eravm_program *mw_decommit(void *ctx, u256 key)
{
    return eravm_memworld_program(ctx, key);
}

eravm_world eravm_memworld_iface(eravm_memworld *w)
{
    eravm_world x = {.ctx = w, .read_storage = mw_read, .decommit = mw_decommit};
    return x;
}

void eravm_memworld_set_storage(eravm_memworld *w, u256 address, u256 key, u256 value)
{
    wd_entry *e = wd_lookup(&w->slots, &address, &key, true);
    e->value = value;
    e->has_write = 1;
}

u256 eravm_memworld_get_storage(eravm_memworld *w, u256 address, u256 key)
{
    wd_entry *e = wd_lookup(&w->slots, &address, &key, false);
    return e ? e->value : u256_zero();
}

u256 eravm_memworld_add_code(eravm_memworld *w, const uint8_t *code, size_t len)
{
    u256 h = eravm_code_hash(code, len);
    if (eravm_memworld_program(w, h))
        return h;
    if (2 * (w->ncode + 1) > w->capcode) {
        size_t cap = w->capcode ? 2 * w->capcode : 16;
        mw_code *tab = xcalloc(cap, sizeof *tab);
        for (size_t i = 0; i < w->capcode; i++)
            if (w->code[i].prog)
                *code_slot(tab, cap, w->code[i].key) = w->code[i];
        free(w->code);
        w->code = tab;
        w->capcode = cap;
    }
    mw_code *c = code_slot(w->code, w->capcode, code_key(h));
    c->key = code_key(h);
    c->prog = eravm_program_new(code, len);
    w->ncode++;
    return h;
}

u256 eravm_memworld_deploy(eravm_memworld *w, u256 address, const uint8_t *code, size_t len,
                           bool constructing)
{
    u256 h = eravm_memworld_add_code(w, code, len);
    u256 stored = h;
    if (constructing)
        stored.w[3] |= 1ull << 48;
    eravm_memworld_set_storage(w, u256_from_u64(ERAVM_ADDR_ACCOUNT_CODE_STORAGE), address, stored);
    return h;
}

void eravm_memworld_commit(eravm_memworld *w, const eravm_vm *vm)
{
    size_t n;
    eravm_slot *s = eravm_vm_storage_writes(vm, &n);
    for (size_t i = 0; i < n; i++)
        eravm_memworld_set_storage(w, s[i].address, s[i].key, s[i].value);
    free(s);
}

static int slot_cmp(const void *x, const void *y)
{
    const eravm_slot *a = x, *b = y;
    int c = u256_cmp(a->address, b->address);
    return c ? c : u256_cmp(a->key, b->key);
}

eravm_slot *eravm_memworld_dump(eravm_memworld *w, size_t *n)
{
    eravm_slot *out = malloc(sizeof *out * (w->slots.n ? w->slots.n : 1));
    size_t k = 0;
    for (uint32_t i = 0; out && i < w->slots.n; i++) {
        if (u256_is_zero(w->slots.e[i].value))
            continue;
        out[k].address = w->slots.e[i].address;
        out[k].key = w->slots.e[i].key;
        out[k].value = w->slots.e[i].value;
        k++;
    }
    if (out)
        qsort(out, k, sizeof *out, slot_cmp);
    *n = k;
    return out;
}
