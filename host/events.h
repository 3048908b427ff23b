/* host/events.h — Solidity-like events from the VM's raw event stream.
 * EventWriter emits each event as (key, value) pairs: the first pair says
 * how many topics and data bytes follow and carries the emitter's address;
 * later pairs carry topics, then data (zksync-era vm_fast/events.rs). */
#ifndef HOST_EVENTS_H
#define HOST_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "eravm.h"

typedef struct {
    u256 address;     /* the contract that emitted it */
    u256 topics[4];
    unsigned ntopics;
    uint8_t *data;
    size_t len;
    uint16_t tx_number;
} host_event;

/* Merges raw[0..n) into events (malformed tails are dropped, as upstream
 * does); returns a malloc'd array and its count in *nout. */
host_event *host_events_merge(const eravm_log *raw, size_t n, size_t *nout);
void host_events_free(host_event *e, size_t n);

#endif
