/* vm/mem.c — memory pages and far-frame stacks, both sparse.
 *
 * A page is conceptually 4 GiB of zeros. Storage grows in 256-byte chunks
 * on first write, under 64 KiB mid tables found through a top vector, so a
 * heap costs memory in proportion to the bytes the program paid to touch
 * (heap growth costs 1 erg/byte) and a lone write at a high offset (static
 * memory, which has no growth cost) costs a few KiB, not the offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_internal.h"
#include "xalloc.h"


static uint8_t *page_chunk(const vm_page *p, uint64_t chunk_index)
{
    uint64_t t = chunk_index >> PAGE_MID_BITS;
    if (t >= p->ntop || !p->top[t])
        return NULL;
    return p->top[t][chunk_index & ((1u << PAGE_MID_BITS) - 1)];
}

static uint8_t *page_chunk_w(vm_page *p, uint64_t chunk_index)
{
    uint64_t t = chunk_index >> PAGE_MID_BITS;
    if (t >= p->ntop) {
        uint32_t nt = p->ntop ? p->ntop : 1;
        while (nt <= t)
            nt *= 2;
        uint8_t ***top = xrealloc(p->top, nt * sizeof *top);
        memset(top + p->ntop, 0, (nt - p->ntop) * sizeof *top);
        p->top = top;
        p->ntop = nt;
    }
    if (!p->top[t])
        p->top[t] = xcalloc(1u << PAGE_MID_BITS, sizeof(uint8_t *));
    uint8_t **slot = &p->top[t][chunk_index & ((1u << PAGE_MID_BITS) - 1)];
    if (!*slot)
        *slot = xcalloc(1, PAGE_CHUNK);
    return *slot;
}

void page_read(const vm_page *p, uint64_t off, uint8_t *dst, size_t n)
{
    while (n) {
        uint64_t ci = off >> PAGE_CHUNK_BITS;
        size_t in = (size_t)(off & (PAGE_CHUNK - 1));
        size_t k = PAGE_CHUNK - in < n ? PAGE_CHUNK - in : n;
        const uint8_t *c = (p && off < (1ull << 32)) ? page_chunk(p, ci) : NULL;
        if (c)
            memcpy(dst, c + in, k);
        else
            memset(dst, 0, k);
        dst += k;
        off += k;
        n -= k;
    }
}

void page_write(vm_page *p, uint64_t off, const uint8_t *src, size_t n)
{
    while (n && off < (1ull << 32)) {
        uint64_t ci = off >> PAGE_CHUNK_BITS;
        size_t in = (size_t)(off & (PAGE_CHUNK - 1));
        size_t k = PAGE_CHUNK - in < n ? PAGE_CHUNK - in : n;
        uint8_t *c = page_chunk(p, ci);
        if (!c) {
            /* writing zeros to an absent chunk changes nothing */
            size_t z = 0;
            while (z < k && src[z] == 0)
                z++;
            if (z < k)
                c = page_chunk_w(p, ci);
        }
        if (c)
            memcpy(c + in, src, k);
        src += k;
        off += k;
        n -= k;
    }
}

void page_release(vm_page *p)
{
    for (uint32_t t = 0; t < p->ntop; t++) {
        if (!p->top[t])
            continue;
        for (uint32_t i = 0; i < (1u << PAGE_MID_BITS); i++)
            free(p->top[t][i]);
        free(p->top[t]);
    }
    free(p->top);
    memset(p, 0, sizeof *p);
}

/* ---- page registry ---- */

static vm_page **page_slot(vm_pages *ps, uint32_t id, bool grow)
{
    if (id < 12)
        return (id == 1 || id == 7 || id == 8 || id == 10 || id == 11) ? &ps->fixed[id] : NULL;
    if (id < FIRST_PAGE_GROUP_ID)
        return NULL;
    uint32_t g = (id - FIRST_PAGE_GROUP_ID) / 8, k = (id - FIRST_PAGE_GROUP_ID) % 8;
    if (k == 1 || k > 3)
        return NULL;
    if (g >= ps->ngroups) {
        if (!grow)
            return NULL;
        if (g >= ps->capgroups) {
            uint32_t nc = ps->capgroups ? ps->capgroups : 64;
            while (nc <= g)
                nc *= 2;
            ps->groups = xrealloc(ps->groups, nc * sizeof *ps->groups);
            ps->capgroups = nc;
        }
        memset(ps->groups + ps->ngroups, 0, (g + 1 - ps->ngroups) * sizeof *ps->groups);
        ps->ngroups = g + 1;
    }
    return &ps->groups[g].slot[k];
}

vm_page *pages_get(vm_pages *ps, uint32_t id)
{
    vm_page **s = page_slot(ps, id, false);
    return s ? *s : NULL;
}

vm_page *pages_get_or_create(vm_pages *ps, uint32_t id)
{
    vm_page **s = page_slot(ps, id, true);
    if (!s)
        return NULL;
    if (!*s)
        *s = xcalloc(1, sizeof(vm_page));
    return *s;
}

void pages_free(vm_pages *ps, uint32_t id)
{
    vm_page **s = page_slot(ps, id, false);
    if (s && *s) {
        page_release(*s);
        free(*s);
        *s = NULL;
    }
}

void pages_free_from(vm_pages *ps, uint32_t first_id)
{
    uint32_t g0 = first_id <= FIRST_PAGE_GROUP_ID ? 0 : (first_id - FIRST_PAGE_GROUP_ID + 7) / 8;
    for (uint32_t g = g0; g < ps->ngroups; g++)
        for (int k = 0; k < 4; k++)
            if (ps->groups[g].slot[k]) {
                page_release(ps->groups[g].slot[k]);
                free(ps->groups[g].slot[k]);
                ps->groups[g].slot[k] = NULL;
            }
    if (ps->ngroups > g0)
        ps->ngroups = g0;
}

void pages_release_all(vm_pages *ps)
{
    for (int i = 0; i < 12; i++)
        pages_free(ps, (uint32_t)i);
    for (uint32_t g = 0; g < ps->ngroups; g++)
        for (int k = 0; k < 4; k++)
            if (ps->groups[g].slot[k]) {
                page_release(ps->groups[g].slot[k]);
                free(ps->groups[g].slot[k]);
            }
    free(ps->groups);
    memset(ps, 0, sizeof *ps);
}

/* ---- stacks ---- */

const vm_stack_chunk stack_zero_chunk;

vm_stack *stack_get(vm_stack **pool)
{
    vm_stack *s = *pool;
    if (s) {
        *pool = s->next_free;
        s->next_free = NULL;
        return s;
    }
    s = xmalloc(sizeof(vm_stack));
    for (uint32_t i = 0; i < 65536 / STACK_CHUNK; i++)
        s->chunk[i] = (vm_stack_chunk *)&stack_zero_chunk; /* only read through */
    s->nused = 0;
    s->next_free = NULL;
    return s;
}

void stack_recycle(vm_stack **pool, vm_stack *s)
{
    /* keep the chunks, zeroed: the next frame likely touches the same slots */
    for (uint32_t i = 0; i < s->nused; i++)
        memset(s->chunk[s->used[i]], 0, sizeof(vm_stack_chunk));
    s->next_free = *pool;
    *pool = s;
}

vm_stack_chunk *stack_chunk_for_write(vm_stack *s, uint16_t slot)
{
    uint32_t c = slot / STACK_CHUNK;
    if (s->chunk[c] == &stack_zero_chunk) {
        s->chunk[c] = xcalloc(1, sizeof(vm_stack_chunk));
        s->used[s->nused++] = (uint16_t)c;
    }
    return s->chunk[c];
}

void stack_destroy_pool(vm_stack **pool)
{
    while (*pool) {
        vm_stack *s = *pool;
        *pool = s->next_free;
        for (uint32_t i = 0; i < s->nused; i++)
            free(s->chunk[s->used[i]]);
        free(s);
    }
}
