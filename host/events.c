/* host/events.c — merging EventWriter's (key, value) pairs into events. */
#include "events.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

typedef struct {
    host_event ev;
    size_t data_left;
    unsigned topics_left; /* counting the address as the first "topic" */
    bool address_set;
    bool open;
} ev_acc;

static void acc_take(ev_acc *a, u256 word)
{
    uint8_t b[32];
    u256_to_be(word, b);
    if (a->topics_left) {
        if (!a->address_set) {
            a->ev.address = word;
            a->address_set = true;
        } else if (a->ev.ntopics < 4) {
            a->ev.topics[a->ev.ntopics++] = word;
        }
        a->topics_left--;
    } else if (a->data_left) {
        size_t k = a->data_left < 32 ? a->data_left : 32;
        /* grows with the pairs that arrive, not with the length claimed */
        a->ev.data = xrealloc(a->ev.data, a->ev.len + k);
        memcpy(a->ev.data + a->ev.len, b, k);
        a->ev.len += k;
        a->data_left -= k;
    }
}

static void acc_close(ev_acc *a, host_event **out, size_t *n, size_t *cap)
{
    if (!a->open)
        return;
    a->open = false;
    if (a->data_left || a->topics_left || !a->address_set) {
        free(a->ev.data);
        return;
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *out = xrealloc(*out, *cap * sizeof **out);
    }
    (*out)[(*n)++] = a->ev;
}

host_event *host_events_merge(const eravm_log *raw, size_t n, size_t *nout)
{
    host_event *out = NULL;
    size_t cnt = 0, cap = 0;
    ev_acc a = {0};
    for (size_t i = 0; i < n; i++) {
        const eravm_log *r = &raw[i];
        if (r->first) {
            acc_close(&a, &out, &cnt, &cap);
            memset(&a, 0, sizeof a);
            a.open = true;
            a.ev.tx_number = r->tx_number;
            a.topics_left = (uint32_t)r->key.w[0];
            a.data_left = (uint32_t)(r->key.w[0] >> 32);
            if (a.topics_left == 0 && a.data_left == 0) {
                a.address_set = true; /* an empty event: no address either */
            } else {
                acc_take(&a, r->value);
            }
        } else if (a.open) {
            if (r->tx_number != a.ev.tx_number) { /* upstream drops the event */
                free(a.ev.data);
                a.open = false;
                continue;
            }
            acc_take(&a, r->key);
            acc_take(&a, r->value);
        }
        if (a.open && !a.data_left && !a.topics_left)
            acc_close(&a, &out, &cnt, &cap);
    }
    acc_close(&a, &out, &cnt, &cap);
    *nout = cnt;
    return out;
}

void host_events_free(host_event *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].data);
    free(e);
}
