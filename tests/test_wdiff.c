/* tests/test_wdiff.c — the world diff's decommit index (vm/wdiff.c): every
 * far call asks whether a code hash was decommitted, so the answer comes
 * from a hash index, which must agree with a plain list through appends,
 * rollbacks (a transaction snapshot shrinks the list) and reuse of the
 * dropped positions by other hashes, for as long as a batch runs. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vm_internal.h"

/* a code hash: distinct per i, with low bits that collide often */
static u256 key_of(uint32_t i)
{
    u256 k = u256_zero();
    k.w[0] = (uint64_t)(i % 7) << 3; /* seven buckets' worth of low bits */
    k.w[1] = i;
    k.w[3] = 0x0100000000000000ull;
    return k;
}

typedef struct {
    u256 key;
    uint32_t page;
} model_entry;

static const model_entry *model_find(const model_entry *m, size_t n, u256 key)
{
    for (size_t i = 0; i < n; i++)
        if (u256_eq(m[i].key, key))
            return &m[i];
    return NULL;
}

int main(void)
{
    CASE_BEGIN();
    wdiff d;
    wd_init(&d);
    model_entry *m = calloc(4096, sizeof *m);
    size_t n = 0;
    uint32_t next_key = 0, rng = 12345;
    unsigned bad = 0;
    for (int round = 0; round < 400 && !bad; round++) {
        /* append a few new hashes and update a few old ones */
        for (int k = 0; k < 6; k++) {
            rng = rng * 1103515245u + 12345u;
            u256 key = (rng >> 16) % 3 == 0 && n ? m[(rng >> 8) % n].key : key_of(next_key++);
            uint32_t page = rng >> 20;
            wd_decommit_set(&d, key, page);
            model_entry *e = (model_entry *)model_find(m, n, key);
            if (e)
                e->page = page;
            else if (n < 4096)
                m[n++] = (model_entry){key, page};
        }
        /* a rollback now and then: the list shrinks, as snapshot.c does */
        rng = rng * 1103515245u + 12345u;
        if ((rng >> 16) % 4 == 0 && n > 2) {
            size_t to = n - 1 - (rng >> 8) % (n / 2);
            n = to;
            d.ndec = to;
        }
        EXPECT(d.ndec == n, "round %d: %zu entries, the model %zu", round, d.ndec, n);
        /* every hash ever used: found exactly when the model has it */
        for (uint32_t i = 0; i < next_key; i++) {
            u256 key = key_of(i);
            const model_entry *want = model_find(m, n, key);
            wd_decommit *got = wd_decommit_find(&d, key);
            if (!want != !got || (got && (got->page != want->page || !u256_eq(got->key, key))))
                bad++;
        }
        EXPECT(!bad, "round %d: %u hashes answered unlike the list", round, bad);
    }
    EXPECT(d.dec_slots <= 4 * 4096, "%zu index slots for at most %zu entries", d.dec_slots, n);
    wd_free(&d);
    free(m);
    CASE_END("decommit index: agrees with a plain list through 400 rounds of appends, updates and "
             "rollbacks (%u hashes)", next_key);
    return check_exit();
}
