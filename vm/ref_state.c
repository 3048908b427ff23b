/* vm/ref_state.c — the reference interpreter's data structures: sparse
 * memory pages, per-frame stacks, and the journaled world diff (storage,
 * transient storage, events, L2->L1 logs, pubdata, warm flags, decommits).
 * Written for the reference engine alone (see vm/ref.h); nothing here is
 * shared with the fast engine's mem.c or wdiff.c. */
#include <stdlib.h>
#include <string.h>

#include "ref_internal.h"
#include "xalloc.h"

/* Grows an array of `*cap` elements of `size` bytes so index `need - 1` fits. */
static void *ref_grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    *cap = c;
    return xrealloc(p, c * size);
}

/* ---- pages ---------------------------------------------------------------------- */

static uint32_t ref_page_hash(uint32_t id, uint32_t cap)
{
    return (id * 2654435761u) & (cap - 1);
}

ref_page *ref_page_find(const ref_pages *ps, uint32_t id)
{
    if (!ps->cap)
        return NULL;
    for (uint32_t h = ref_page_hash(id, ps->cap);; h = (h + 1) & (ps->cap - 1)) {
        ref_page *p = ps->slot[h];
        if (!p || p->id == id)
            return p;
    }
}

static void ref_pages_insert(ref_page **slot, uint32_t cap, ref_page *p)
{
    uint32_t h = ref_page_hash(p->id, cap);
    while (slot[h])
        h = (h + 1) & (cap - 1);
    slot[h] = p;
}

ref_page *ref_page_get(ref_pages *ps, uint32_t id)
{
    ref_page *p = ref_page_find(ps, id);
    if (p)
        return p;
    if ((ps->n + 1) * 2 > ps->cap) {
        uint32_t cap = ps->cap ? ps->cap * 2 : 64;
        ref_page **slot = xcalloc(cap, sizeof *slot);
        for (uint32_t i = 0; i < ps->cap; i++)
            if (ps->slot[i])
                ref_pages_insert(slot, cap, ps->slot[i]);
        free(ps->slot);
        ps->slot = slot;
        ps->cap = cap;
    }
    p = xcalloc(1, sizeof *p);
    p->id = id;
    ref_pages_insert(ps->slot, ps->cap, p);
    ps->n++;
    return p;
}

/* The chunk holding byte `offset`, or NULL if it was never written. */
static uint8_t *ref_chunk_at(const ref_page *p, uint64_t offset)
{
    uint64_t r = offset / REF_REGION;
    if (!p || r >= p->nregion || !p->region[r])
        return NULL;
    return p->region[r]->chunk[offset % REF_REGION / REF_CHUNK];
}

static uint8_t *ref_chunk_for_write(ref_page *p, uint64_t offset)
{
    uint32_t r = (uint32_t)(offset / REF_REGION);
    if (r >= p->nregion) {
        uint32_t n = r + 1;
        p->region = xrealloc(p->region, n * sizeof *p->region);
        memset(p->region + p->nregion, 0, (n - p->nregion) * sizeof *p->region);
        p->nregion = n;
    }
    if (!p->region[r])
        p->region[r] = xcalloc(1, sizeof(ref_region));
    uint8_t **c = &p->region[r]->chunk[offset % REF_REGION / REF_CHUNK];
    if (!*c)
        *c = xcalloc(1, REF_CHUNK);
    return *c;
}

/* Bytes at or past 2^32 are outside every page: they read as zero. */
void ref_page_read(const ref_page *p, uint64_t offset, uint8_t *dst, size_t n)
{
    while (n) {
        size_t in = offset % REF_CHUNK;
        size_t k = REF_CHUNK - in < n ? REF_CHUNK - in : n;
        const uint8_t *c = offset < ((uint64_t)1 << 32) ? ref_chunk_at(p, offset) : NULL;
        if (c)
            memcpy(dst, c + in, k);
        else
            memset(dst, 0, k);
        dst += k;
        offset += k;
        n -= k;
    }
}

void ref_page_write(ref_page *p, uint64_t offset, const uint8_t *src, size_t n)
{
    while (n && offset < ((uint64_t)1 << 32)) {
        size_t in = offset % REF_CHUNK;
        size_t k = REF_CHUNK - in < n ? REF_CHUNK - in : n;
        memcpy(ref_chunk_for_write(p, offset) + in, src, k);
        src += k;
        offset += k;
        n -= k;
    }
}

void ref_page_release(ref_page *p)
{
    for (uint32_t r = 0; r < p->nregion; r++) {
        if (!p->region[r])
            continue;
        for (uint32_t c = 0; c < REF_CHUNKS_PER_REGION; c++)
            free(p->region[r]->chunk[c]);
        free(p->region[r]);
    }
    free(p->region);
    p->region = NULL;
    p->nregion = 0;
}

void ref_pages_free(ref_pages *ps)
{
    for (uint32_t i = 0; i < ps->cap; i++) {
        if (ps->slot[i]) {
            ref_page_release(ps->slot[i]);
            free(ps->slot[i]);
        }
    }
    free(ps->slot);
    memset(ps, 0, sizeof *ps);
}

/* ---- stacks ---------------------------------------------------------------------- */

u256 ref_stack_read(const ref_stack *s, uint16_t slot, bool *tag)
{
    const ref_stack_chunk *c = s->chunk[slot / REF_STACK_CHUNK];
    if (!c) {
        *tag = false;
        return u256_zero();
    }
    *tag = c->tag[slot % REF_STACK_CHUNK];
    return c->value[slot % REF_STACK_CHUNK];
}

void ref_stack_write(ref_stack *s, uint16_t slot, u256 value, bool tag)
{
    ref_stack_chunk **c = &s->chunk[slot / REF_STACK_CHUNK];
    if (!*c) {
        *c = xcalloc(1, sizeof **c);
        s->nchunks++;
    }
    (*c)->value[slot % REF_STACK_CHUNK] = value;
    (*c)->tag[slot % REF_STACK_CHUNK] = tag;
}

void ref_stack_clear(ref_stack *s)
{
    for (size_t i = 0; s->nchunks && i < sizeof s->chunk / sizeof s->chunk[0]; i++) {
        if (s->chunk[i]) {
            free(s->chunk[i]);
            s->chunk[i] = NULL;
            s->nchunks--;
        }
    }
}

/* ---- slot maps (storage, transient storage) --------------------------------------- */

static uint32_t ref_slot_hash(u256 a, u256 k, uint32_t cap)
{
    uint64_t h = a.w[0] * 0x9E3779B97F4A7C15ull ^ a.w[1] * 0xD1B54A32D192ED03ull ^ a.w[2];
    h ^= k.w[0] * 0x94D049BB133111EBull ^ k.w[1] * 0xBF58476D1CE4E5B9ull;
    h ^= k.w[2] * 0x9E3779B97F4A7C15ull ^ k.w[3];
    h ^= h >> 31;
    h *= 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h >> 32) & (cap - 1);
}

static void ref_slots_reindex(ref_slots *m, uint32_t icap)
{
    free(m->index);
    m->index = xcalloc(icap, sizeof *m->index);
    m->icap = icap;
    for (uint32_t i = 0; i < m->n; i++) {
        uint32_t h = ref_slot_hash(m->v[i].address, m->v[i].key, icap);
        while (m->index[h])
            h = (h + 1) & (icap - 1);
        m->index[h] = i + 1;
    }
}

ref_slot *ref_slot_find(ref_slots *m, u256 address, u256 key, bool create)
{
    if (m->icap) {
        for (uint32_t h = ref_slot_hash(address, key, m->icap); m->index[h]; h = (h + 1) & (m->icap - 1)) {
            ref_slot *s = &m->v[m->index[h] - 1];
            if (u256_eq(s->address, address) && u256_eq(s->key, key))
                return s;
        }
    }
    if (!create)
        return NULL;
    size_t cap = m->cap;
    m->v = ref_grow(m->v, &cap, (size_t)m->n + 1, sizeof *m->v);
    m->cap = (uint32_t)cap;
    if ((m->n + 1) * 2 > m->icap)
        ref_slots_reindex(m, m->icap ? m->icap * 2 : 256);
    ref_slot *s = &m->v[m->n];
    memset(s, 0, sizeof *s);
    s->address = address;
    s->key = key;
    uint32_t h = ref_slot_hash(address, key, m->icap);
    while (m->index[h])
        h = (h + 1) & (m->icap - 1);
    m->index[h] = ++m->n;
    return s;
}

/* Changes the live write of a slot, remembering what it was. */
void ref_slot_set(ref_slots *m, ref_slot *s, bool present, u256 value, uint32_t paid)
{
    m->undo = ref_grow(m->undo, &m->capundo, m->nundo + 1, sizeof *m->undo);
    ref_undo *u = &m->undo[m->nundo++];
    u->slot = (uint32_t)(s - m->v);
    u->present = s->present;
    u->value = s->value;
    u->paid = s->paid;
    s->present = present;
    s->value = value;
    s->paid = paid;
}

void ref_slots_rollback(ref_slots *m, size_t nundo)
{
    while (m->nundo > nundo) {
        ref_undo *u = &m->undo[--m->nundo];
        ref_slot *s = &m->v[u->slot];
        s->present = u->present;
        s->value = u->value;
        s->paid = u->paid;
    }
}

void ref_slots_free(ref_slots *m)
{
    free(m->v);
    free(m->index);
    free(m->undo);
    memset(m, 0, sizeof *m);
}

/* ---- logs, snapshots, decommits -------------------------------------------------------- */

void ref_log_push(ref_logs *l, eravm_log x)
{
    l->v = ref_grow(l->v, &l->cap, l->n + 1, sizeof *l->v);
    l->v[l->n++] = x;
}

ref_snap ref_wd_snap(const ref_wd *w)
{
    ref_snap s = {w->storage.nundo, w->transient.nundo, w->events.n, w->l2l1.n, w->pubdata};
    return s;
}

void ref_wd_rollback(ref_wd *w, const ref_snap *s)
{
    ref_slots_rollback(&w->storage, s->storage);
    ref_slots_rollback(&w->transient, s->transient);
    if (w->events.n > s->events)
        w->events.n = s->events;
    if (w->l2l1.n > s->l2l1)
        w->l2l1.n = s->l2l1;
    w->pubdata = s->pubdata;
}

/* increment_tx_number (isa §6.8) starts a fresh transient map, history and
 * all, as vm2 does (model §1.10): a later revert to a snapshot taken before
 * the clear finds nothing of the new map's journal to undo. */
void ref_wd_clear_transient(ref_wd *w)
{
    ref_slots_free(&w->transient);
}

bool ref_wd_warm(ref_wd *w, ref_slot *s, bool written)
{
    bool *flag = written ? &s->warm_written : &s->warm_read;
    if (*flag)
        return false;
    w->flag_undo = ref_grow(w->flag_undo, &w->capflag_undo, w->nflag_undo + 1, sizeof *w->flag_undo);
    ref_flag_undo *u = &w->flag_undo[w->nflag_undo++];
    u->slot = (uint32_t)(s - w->storage.v);
    u->was_read = s->warm_read;
    u->was_written = s->warm_written;
    *flag = true;
    return true;
}

ref_decommit *ref_wd_decommit(ref_wd *w, u256 hash)
{
    for (size_t i = 0; i < w->ndec; i++)
        if (u256_eq(w->dec[i].hash, hash))
            return &w->dec[i];
    return NULL;
}

void ref_wd_set_decommit(ref_wd *w, u256 hash, bool succeeded, uint32_t page)
{
    ref_decommit *d = ref_wd_decommit(w, hash);
    w->dec_undo = ref_grow(w->dec_undo, &w->capdec_undo, w->ndec_undo + 1, sizeof *w->dec_undo);
    ref_dec_undo *u = &w->dec_undo[w->ndec_undo++];
    u->existed = d != NULL;
    if (!d) {
        w->dec = ref_grow(w->dec, &w->capdec, w->ndec + 1, sizeof *w->dec);
        d = &w->dec[w->ndec++];
        d->hash = hash;
        d->succeeded = false;
        d->page = 0;
    }
    u->index = (uint32_t)(d - w->dec);
    u->succeeded = d->succeeded;
    u->page = d->page;
    d->succeeded = succeeded;
    d->page = page;
}

void ref_wd_free(ref_wd *w)
{
    ref_slots_free(&w->storage);
    ref_slots_free(&w->transient);
    free(w->events.v);
    free(w->l2l1.v);
    free(w->dec);
    free(w->flag_undo);
    free(w->dec_undo);
    memset(w, 0, sizeof *w);
}
