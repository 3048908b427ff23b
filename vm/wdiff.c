/* vm/wdiff.c — the journaled world diff: storage writes, transient storage,
 * events, L2->L1 logs, the pubdata counter, warm-slot flags and the decommit
 * cache. A frame snapshot is a tuple of journal lengths (O(1)); rolling back
 * replays the undo entries newer than it (vm2 world_diff.rs / rollback.rs).
 * Warm flags and decommits are only undone by transaction snapshots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_internal.h"
#include "xalloc.h"


static uint64_t slot_hash(const u256 *a, const u256 *k)
{
    uint64_t h = a->w[0] * 0x9E3779B97F4A7C15ull ^ a->w[1] * 0xC2B2AE3D27D4EB4Full;
    h ^= k->w[0] * 0x165667B19E3779F9ull;
    h ^= k->w[1] * 0xD6E8FEB86659FD93ull;
    h ^= k->w[2] * 0x9E3779B97F4A7C15ull;
    h ^= k->w[3] * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 32);
}

static void map_reindex(wd_map *m, uint32_t icap)
{
    free(m->index);
    m->index = xcalloc(icap, sizeof *m->index);
    m->icap = icap;
    for (uint32_t i = 0; i < m->n; i++) {
        uint32_t h = (uint32_t)slot_hash(&m->e[i].address, &m->e[i].key) & (icap - 1);
        while (m->index[h])
            h = (h + 1) & (icap - 1);
        m->index[h] = i + 1;
    }
}

wd_entry *wd_lookup(wd_map *m, const u256 *addr, const u256 *key, bool create)
{
    if (m->icap) {
        uint32_t h = (uint32_t)slot_hash(addr, key) & (m->icap - 1);
        while (m->index[h]) {
            wd_entry *e = &m->e[m->index[h] - 1];
            if (u256_eq(e->key, *key) && u256_eq(e->address, *addr))
                return e;
            h = (h + 1) & (m->icap - 1);
        }
    }
    if (!create)
        return NULL;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->e = xrealloc(m->e, m->cap * sizeof *m->e);
    }
    if ((m->n + 1) * 2 > m->icap)
        map_reindex(m, m->icap ? m->icap * 2 : 128);
    wd_entry *e = &m->e[m->n];
    memset(e, 0, sizeof *e);
    e->address = *addr;
    e->key = *key;
    uint32_t h = (uint32_t)slot_hash(addr, key) & (m->icap - 1);
    while (m->index[h])
        h = (h + 1) & (m->icap - 1);
    m->index[h] = ++m->n;
    return e;
}

void wd_map_set(wd_map *m, wd_entry *e, u256 value, uint32_t paid, bool has)
{
    if (m->nundo == m->capundo) {
        m->capundo = m->capundo ? m->capundo * 2 : 256;
        m->undo = xrealloc(m->undo, m->capundo * sizeof *m->undo);
    }
    wd_undo *u = &m->undo[m->nundo++];
    u->entry = (uint32_t)(e - m->e);
    u->prev_has_write = e->has_write;
    u->prev_paid = e->paid;
    u->prev_value = e->value;
    e->value = value;
    e->paid = paid;
    e->has_write = has;
}

void wd_map_rollback(wd_map *m, size_t to)
{
    while (m->nundo > to) {
        wd_undo *u = &m->undo[--m->nundo];
        wd_entry *e = &m->e[u->entry];
        e->has_write = u->prev_has_write;
        e->paid = u->prev_paid;
        e->value = u->prev_value;
    }
}

/* vm2 replaces the transient map wholesale: history is gone with it. */
void wd_map_clear(wd_map *m)
{
    m->n = 0;
    m->nundo = 0;
    if (m->index)
        memset(m->index, 0, m->icap * sizeof *m->index);
}

bool wd_add_flag(wdiff *d, wd_entry *e, uint8_t flag)
{
    if (e->flags & flag)
        return false;
    if (d->recording_external) {
        if (d->nflag_undo == d->capflag_undo) {
            d->capflag_undo = d->capflag_undo ? d->capflag_undo * 2 : 256;
            d->flag_undo = xrealloc(d->flag_undo, d->capflag_undo * sizeof *d->flag_undo);
        }
        d->flag_undo[d->nflag_undo].entry = (uint32_t)(e - d->storage.e);
        d->flag_undo[d->nflag_undo].prev = e->flags;
        d->nflag_undo++;
    }
    e->flags |= flag;
    return true;
}

U256_COLD_CC void wd_rollback(wdiff *d, const wd_snapshot *s)
{
    wd_map_rollback(&d->storage, s->storage);
    wd_map_rollback(&d->transient, s->transient);
    if (d->events.n > s->events)
        d->events.n = s->events;
    if (d->l2l1.n > s->l2l1)
        d->l2l1.n = s->l2l1;
    d->pubdata = s->pubdata;
}

void wd_log_push(wd_logs *l, const eravm_log *x)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = *x;
}

/* Decommits by code hash: every far call asks, so a hash index rather than
 * a scan of a list a long batch keeps growing. */
static bool dec_slot_live(const wdiff *d, uint32_t v, const u256 *key)
{
    return v && v - 1 < d->ndec && u256_eq(d->dec[v - 1].key, *key);
}

/* The slot of key, or where it would go (the first empty or dead slot). */
static uint32_t *dec_slot(wdiff *d, const u256 *key)
{
    size_t mask = d->dec_slots - 1, i = (size_t)key->w[0] & mask;
    uint32_t *free_slot = NULL;
    for (;; i = (i + 1) & mask) {
        uint32_t *s = &d->dec_index[i];
        if (!*s)
            return free_slot ? free_slot : s;
        if (dec_slot_live(d, *s, key))
            return s;
        /* another key's entry, or one a rollback dropped: dead slots are
         * reusable only if their key is not further along */
        if (!free_slot && !(*s - 1 < d->ndec))
            free_slot = s;
    }
}

/* A fresh index at most a quarter full: a rollback's leftovers can only fill
 * slots, so this is also how they are swept. */
static void dec_reindex(wdiff *d)
{
    size_t slots = 64;
    while (slots < 4 * (d->ndec + 1))
        slots *= 2;
    free(d->dec_index);
    d->dec_slots = slots;
    d->dec_used = d->ndec;
    d->dec_index = xcalloc(slots, sizeof *d->dec_index);
    for (size_t i = 0; i < d->ndec; i++)
        *dec_slot(d, &d->dec[i].key) = (uint32_t)i + 1;
}

wd_decommit *wd_decommit_find(wdiff *d, u256 key)
{
    if (!d->dec_slots)
        return NULL;
    uint32_t v = *dec_slot(d, &key);
    return dec_slot_live(d, v, &key) ? &d->dec[v - 1] : NULL;
}

void wd_decommit_set(wdiff *d, u256 key, uint32_t page)
{
    wd_decommit *x = wd_decommit_find(d, key);
    if (!x) {
        if (d->ndec == d->capdec) {
            d->capdec = d->capdec ? d->capdec * 2 : 16;
            d->dec = xrealloc(d->dec, d->capdec * sizeof *d->dec);
        }
        if (4 * (d->dec_used + 1) > 3 * d->dec_slots)
            dec_reindex(d);
        x = &d->dec[d->ndec++];
        x->key = key;
        uint32_t *s = dec_slot(d, &key);
        d->dec_used += !*s;
        *s = (uint32_t)d->ndec;
    }
    x->page = page;
}

void wd_init(wdiff *d)
{
    memset(d, 0, sizeof *d);
}

static void map_free(wd_map *m)
{
    free(m->e);
    free(m->index);
    free(m->undo);
}

void wd_free(wdiff *d)
{
    map_free(&d->storage);
    map_free(&d->transient);
    free(d->events.v);
    free(d->l2l1.v);
    free(d->dec);
    free(d->dec_index);
    free(d->flag_undo);
    memset(d, 0, sizeof *d);
}
