/* vm/mem.c — memory pages and far-frame stacks, both sparse.
 *
 * A page is conceptually 4 GiB of zeros. Storage grows in 256-byte chunks
 * on first write, under 64 KiB mid tables found through a top vector, so a
 * heap costs memory in proportion to the bytes the program paid to touch
 * (heap growth costs 1 erg/byte) and a lone write at a high offset (static
 * memory, which has no growth cost) costs a few KiB, not the offset. */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vm_internal.h"
#include "xalloc.h"


static uint8_t *page_chunk(const vm_page *p, uint64_t chunk_index)
{
    uint64_t t = chunk_index >> PAGE_MID_BITS;
    if (t >= p->ntop || !p->top[t])
        return NULL;
    return p->top[t]->chunk[chunk_index & ((1u << PAGE_MID_BITS) - 1)];
}

/* k bytes at off from where no chunk exists: the backing, then zeros */
static void backing_read(const vm_page *p, uint64_t off, uint8_t *dst, size_t k)
{
    size_t b = p && off < p->backing_len ? p->backing_len - (size_t)off : 0;
    if (b > k)
        b = k;
    if (b)
        memcpy(dst, p->backing + off, b);
    memset(dst + b, 0, k - b);
}

static uint8_t *chunk_take(vm_pages *ps)
{
    uint8_t *c = ps->free_chunks;
    if (c)
        memcpy(&ps->free_chunks, c, sizeof(void *));
    else
        c = xmalloc(PAGE_CHUNK);
    return c;
}

static uint8_t *page_chunk_w(vm_pages *ps, vm_page *p, uint64_t chunk_index)
{
    uint64_t t = chunk_index >> PAGE_MID_BITS;
    if (t >= p->ntop) {
        uint32_t nt = p->ntop ? p->ntop : 1;
        while (nt <= t)
            nt *= 2;
        vm_mid **top = xrealloc(p->top, nt * sizeof *top);
        memset(top + p->ntop, 0, (nt - p->ntop) * sizeof *top);
        p->top = top;
        p->ntop = nt;
    }
    vm_mid *m = p->top[t];
    if (!m) {
        if ((m = ps->free_mids))
            ps->free_mids = (vm_mid *)m->chunk[0], m->chunk[0] = NULL;
        else
            m = xcalloc(1, sizeof *m);
        p->top[t] = m;
    }
    unsigned i = (unsigned)(chunk_index & ((1u << PAGE_MID_BITS) - 1));
    if (!m->chunk[i]) {
        uint8_t *c = chunk_take(ps);
        backing_read(p, chunk_index << PAGE_CHUNK_BITS, c, PAGE_CHUNK); /* copy on write */
        m->chunk[i] = c;
        m->present[i / 64] |= 1ull << (i % 64);
    }
    return m->chunk[i];
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
            backing_read(off < (1ull << 32) ? p : NULL, off, dst, k);
        dst += k;
        off += k;
        n -= k;
    }
}

void page_write(vm_pages *ps, vm_page *p, uint64_t off, const uint8_t *src, size_t n)
{
    while (n && off < (1ull << 32)) {
        uint64_t ci = off >> PAGE_CHUNK_BITS;
        size_t in = (size_t)(off & (PAGE_CHUNK - 1));
        size_t k = PAGE_CHUNK - in < n ? PAGE_CHUNK - in : n;
        uint8_t *c = page_chunk(p, ci);
        if (!c) {
            /* writing zeros to an absent chunk past the backing changes nothing */
            size_t z = 0;
            if ((ci << PAGE_CHUNK_BITS) >= p->backing_len)
                while (z < k && src[z] == 0)
                    z++;
            if (z < k)
                c = page_chunk_w(ps, p, ci);
        }
        if (c)
            memcpy(c + in, src, k);
        src += k;
        off += k;
        n -= k;
    }
}

/* Everything p holds goes to the pools; p keeps its top vector, cleared. */
static void page_release(vm_pages *ps, vm_page *p)
{
    for (uint32_t t = 0; t < p->ntop; t++) {
        vm_mid *m = p->top[t];
        if (!m)
            continue;
        for (unsigned w = 0; w < (1u << PAGE_MID_BITS) / 64; w++) {
            for (uint64_t bits = m->present[w]; bits; bits &= bits - 1) {
                uint8_t **slot = &m->chunk[w * 64 + (unsigned)__builtin_ctzll(bits)];
                memcpy(*slot, &ps->free_chunks, sizeof(void *));
                ps->free_chunks = *slot;
                *slot = NULL;
            }
            m->present[w] = 0;
        }
        m->chunk[0] = (uint8_t *)ps->free_mids;
        ps->free_mids = m;
        p->top[t] = NULL;
    }
    p->backing = NULL;
    p->backing_len = 0;
    p->refs = 0;
    p->pinned = false;
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
    if (!*s) {
        vm_page *p = ps->free_pages;
        if (p)
            ps->free_pages = p->next_free;
        else
            p = xcalloc(1, sizeof(vm_page));
        p->next_free = NULL;
        *s = p;
    }
    return *s;
}

static void page_drop(vm_pages *ps, vm_page **s)
{
    if (*s) {
        page_release(ps, *s);
        (*s)->next_free = ps->free_pages;
        ps->free_pages = *s;
        *s = NULL;
    }
}

void pages_free(vm_pages *ps, uint32_t id)
{
    vm_page **s = page_slot(ps, id, false);
    if (s)
        page_drop(ps, s);
}

void pages_free_from(vm_pages *ps, uint32_t first_id)
{
    uint32_t g0 = first_id <= FIRST_PAGE_GROUP_ID ? 0 : (first_id - FIRST_PAGE_GROUP_ID + 7) / 8;
    for (uint32_t g = g0; g < ps->ngroups; g++)
        for (int k = 0; k < 4; k++)
            page_drop(ps, &ps->groups[g].slot[k]);
    if (ps->ngroups > g0)
        ps->ngroups = g0;
}

void pages_release_all(vm_pages *ps)
{
    for (int i = 0; i < 12; i++)
        page_drop(ps, &ps->fixed[i]);
    pages_free_from(ps, FIRST_PAGE_GROUP_ID);
}

void pages_destroy(vm_pages *ps)
{
    pages_release_all(ps);
    while (ps->free_chunks) {
        void *c = ps->free_chunks;
        memcpy(&ps->free_chunks, c, sizeof(void *));
        free(c);
    }
    while (ps->free_mids) {
        vm_mid *m = ps->free_mids;
        ps->free_mids = (vm_mid *)m->chunk[0];
        free(m);
    }
    while (ps->free_pages) {
        vm_page *p = ps->free_pages;
        ps->free_pages = p->next_free;
        free(p->top);
        free(p);
    }
    free(ps->groups);
    memset(ps, 0, sizeof *ps);
}

/* ---- stacks ---- */

/* Stacks a freed VM left, zeroed, for the next VM (a process that runs a
 * VM per transaction would otherwise map and fault in its stacks again every
 * time); a far call takes its stack from its own VM's pool, lock-free. */
#define STACK_SPARE_MAX 64
static pthread_mutex_t stack_spare_lock = PTHREAD_MUTEX_INITIALIZER;
static vm_stack *stack_spare;
static uint32_t stack_nspare;

static vm_stack *stack_map(void)
{
    /* MAP_NORESERVE: 2 MiB a frame is address space; only what the frame
     * writes becomes memory, a page at a time */
    void *p = mmap(NULL, sizeof(vm_stack), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        xalloc_fail(sizeof(vm_stack));
#ifdef MADV_NOHUGEPAGE
    /* a huge page would make the first write to a frame's stack zero 2 MiB */
    (void)madvise(p, sizeof(vm_stack), MADV_NOHUGEPAGE);
#endif
    xalloc_count(sizeof(vm_stack) - offsetof(vm_stack, written)); /* the header's pages */
    return p;
}

vm_stack *stack_get(vm_stack **pool)
{
    vm_stack *s = *pool;
    if (s) {
        *pool = s->next_free;
        s->next_free = NULL;
        return s;
    }
    pthread_mutex_lock(&stack_spare_lock);
    s = stack_spare;
    if (s) {
        stack_spare = s->next_free;
        stack_nspare--;
    }
    pthread_mutex_unlock(&stack_spare_lock);
    if (!s)
        s = stack_map(); /* all zero: nothing written, no tags */
    s->next_free = NULL;
    return s;
}

void stack_clear(vm_stack *s)
{
    /* the chunks stay marked, zeroed: the next frame likely writes the
     * same slots, and marking them again would cost it a call each */
    for (uint32_t i = 0; i < s->nused; i++) {
        uint32_t c = s->used[i];
        memset(&s->slot[c * STACK_CHUNK], 0, STACK_CHUNK * sizeof(u256));
        memset(&s->tag[c * STACK_CHUNK], 0, STACK_CHUNK);
    }
    s->has_tags = false;
}

void stack_chunk_save(const vm_stack *s, uint32_t c, vm_stack_chunk *out)
{
    memcpy(out->slot, &s->slot[c * STACK_CHUNK], sizeof out->slot);
    memcpy(out->tag, &s->tag[c * STACK_CHUNK], sizeof out->tag);
}

void stack_chunk_restore(vm_stack *s, uint32_t c, const vm_stack_chunk *in)
{
    stack_mark_written(s, (uint16_t)(c * STACK_CHUNK)); /* it takes a slot */
    memcpy(&s->slot[c * STACK_CHUNK], in->slot, sizeof in->slot);
    memcpy(&s->tag[c * STACK_CHUNK], in->tag, sizeof in->tag);
}

void stack_recycle(vm_stack **pool, vm_stack *s)
{
    stack_clear(s);
    s->next_free = *pool;
    *pool = s;
}

U256_COLD_CC void stack_mark_written(vm_stack *s, uint16_t slot)
{
    uint32_t c = slot / STACK_CHUNK;
    if (!s->written[c]) {
        xalloc_count(STACK_CHUNK * (sizeof(u256) + 1));
        s->written[c] = 1;
        s->used[s->nused++] = (uint16_t)c;
    }
}

void stack_destroy_pool(vm_stack **pool)
{
    while (*pool) {
        vm_stack *s = *pool;
        *pool = s->next_free;
        /* zeroed when it was recycled; unmarked, so that the next VM's
         * recycling zeroes what that VM writes, not what all of them did */
        for (uint32_t i = 0; i < s->nused; i++)
            s->written[s->used[i]] = 0;
        s->nused = 0;
        pthread_mutex_lock(&stack_spare_lock);
        bool keep = stack_nspare < STACK_SPARE_MAX;
        if (keep) {
            s->next_free = stack_spare;
            stack_spare = s;
            stack_nspare++;
        }
        pthread_mutex_unlock(&stack_spare_lock);
        if (!keep)
            munmap(s, sizeof(vm_stack));
    }
}
