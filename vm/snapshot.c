/* vm/snapshot.c — transaction-level ("external") snapshots: what a host
 * needs to undo a transaction the bootloader halted on (vm2 make_snapshot /
 * rollback / pop_snapshot). The world diff has its own journal (wdiff.c);
 * this file adds the bootloader's state, which only a snapshot can undo:
 * registers, flags, its frame, its stack and every heap word written since. */
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "vm_internal.h"
#include "xalloc.h"

typedef struct {
    uint16_t index;
    vm_stack_chunk data;
} ext_stack_chunk;

struct vm_ext_snapshot {
    /* world diff */
    wd_snapshot diff;
    size_t flag_undo, ndec;
    /* VM-global state */
    u256 regs[16];
    uint16_t tags;
    uint8_t flags;
    uint16_t tx_number;
    u256 context_pending;
    uint32_t next_base_page;
    /* the bootloader frame (its struct, then the parts it points to) */
    vm_frame frame;
    vm_near *near;
    ext_stack_chunk *stack;
    uint32_t nstack;
    bool stack_has_tags;
    /* heap words written since (the journal grows while the snapshot is open) */
    vm_heap_undo *undo;
    size_t nundo, capundo;
};

static void ext_release(struct vm_ext_snapshot *x)
{
    free(x->near);
    free(x->stack);
    free(x->undo);
    free(x);
}

void snapshot_free(eravm_vm *vm)
{
    if (vm->ext)
        ext_release(vm->ext);
    vm->ext = NULL;
    vm->has_ext = false;
    vm->diff.recording_external = false;
    vm->diff.nflag_undo = 0;
}

U256_COLD_CC void snapshot_journal_heap(eravm_vm *vm, bool aux, uint32_t off)
{
    struct vm_ext_snapshot *x = vm->ext;
    if (x->nundo == x->capundo) {
        x->capundo = x->capundo ? x->capundo * 2 : 256;
        x->undo = xrealloc(x->undo, x->capundo * sizeof *x->undo);
    }
    vm_heap_undo *u = &x->undo[x->nundo++];
    u->off = off;
    u->aux = aux;
    vm_frame *f = &vm->frames[0];
    page_read(aux ? f->aux_pg : f->heap_pg, off, u->old, 32);
}

bool eravm_vm_snapshot(eravm_vm *vm)
{
    if (vm->on_ref) /* the simple engine keeps its own (vm/ref.c) */
        return ref_snapshot(vm->ref);
    if (vm->has_ext || vm->depth != 0 || !vm->frames[0].stack)
        return false;
    struct vm_ext_snapshot *x = xcalloc(1, sizeof *x);
    x->diff = wd_snapshot_take(&vm->diff);
    x->flag_undo = vm->diff.nflag_undo;
    x->ndec = vm->diff.ndec;
    memcpy(x->regs, vm->regs, sizeof x->regs);
    x->tags = vm->tags;
    x->flags = vm->flags;
    x->tx_number = vm->tx_number;
    x->context_pending = vm->context_pending;
    x->next_base_page = vm->next_base_page;
    vm_frame *f = &vm->frames[0];
    x->frame = *f;
    if (f->nnear) {
        x->near = xmalloc(f->nnear * sizeof *x->near);
        memcpy(x->near, f->near, f->nnear * sizeof *x->near);
    }
    /* the bootloader's stack is a few chunks; copying them beats journaling
     * every stack write on the hot path */
    vm_stack *st = f->stack;
    if (st->nused) {
        x->stack = xmalloc(st->nused * sizeof *x->stack);
        for (uint32_t i = 0; i < st->nused; i++) {
            x->stack[i].index = st->used[i];
            stack_chunk_save(st, st->used[i], &x->stack[i].data);
        }
        x->nstack = st->nused;
        x->stack_has_tags = st->has_tags;
    }
    vm->ext = x;
    vm->has_ext = true;
    vm->diff.recording_external = true;
    return true;
}

static void restore_stack(vm_stack *st, const struct vm_ext_snapshot *x)
{
    stack_clear(st);
    for (uint32_t i = 0; i < x->nstack; i++)
        stack_chunk_restore(st, x->stack[i].index, &x->stack[i].data);
    st->has_tags = x->stack_has_tags;
}

bool eravm_vm_rollback(eravm_vm *vm)
{
    if (vm->on_ref)
        return ref_rollback(vm->ref);
    struct vm_ext_snapshot *x = vm->ext;
    if (!x || vm->depth != 0)
        return false;
    /* world diff: values and logs, then warm flags and decommits, which a
     * frame revert never undoes; transient storage starts the next
     * transaction empty (vm2 records it as empty in the snapshot) */
    wd_rollback(&vm->diff, &x->diff);
    while (vm->diff.nflag_undo > x->flag_undo) {
        vm->diff.nflag_undo--;
        vm->diff.storage.e[vm->diff.flag_undo[vm->diff.nflag_undo].entry].flags =
            vm->diff.flag_undo[vm->diff.nflag_undo].prev;
    }
    vm->diff.ndec = x->ndec;
    wd_map_clear(&vm->diff.transient);
    /* heap words, newest first */
    vm_frame *f = &vm->frames[0];
    for (size_t i = x->nundo; i-- > 0;) {
        const vm_heap_undo *u = &x->undo[i];
        page_write(&vm->pages, u->aux ? f->aux_pg : f->heap_pg, u->off, u->old, 32);
    }
    /* the frame; pages allocated since die (their ids will be handed out
     * again), including returndata the bootloader kept meanwhile */
    restore_stack(f->stack, x);
    vm_near *near = f->near;
    uint32_t capnear = f->capnear;
    uint32_t *keep = f->keep;
    uint32_t capkeep = f->capkeep;
    vm_stack *stack = f->stack;
    *f = x->frame;
    if (x->frame.nnear > capnear) {
        capnear = x->frame.nnear;
        near = xrealloc(near, capnear * sizeof *near);
    }
    if (x->frame.nnear)
        memcpy(near, x->near, x->frame.nnear * sizeof *near);
    f->near = near;
    f->capnear = capnear;
    f->keep = keep;
    f->capkeep = capkeep; /* nkeep came back with the frame: later kept pages are dropped */
    f->stack = stack;
    pages_free_from(&vm->pages, x->next_base_page);
    memcpy(vm->regs, x->regs, sizeof x->regs); /* r0..r15; the engine derives the rest */
    vm->tags = x->tags;
    vm->flags = x->flags;
    vm->tx_number = x->tx_number;
    vm->context_pending = x->context_pending;
    vm->next_base_page = x->next_base_page;
    vm->running = true; /* a bootloader that halted runs on from the snapshot */
    snapshot_free(vm);
    return true;
}

bool eravm_vm_pop_snapshot(eravm_vm *vm)
{
    if (vm->on_ref)
        return ref_pop_snapshot(vm->ref);
    if (!vm->ext || vm->depth != 0)
        return false;
    snapshot_free(vm);
    /* the transaction is committed: returndata pages the bootloader kept
     * for its calls are dead (vm2 reclaim_bootloader_returndata_heaps);
     * decommitted code pages stay, other transactions reuse them by hash */
    vm_frame *f = &vm->frames[0];
    for (uint32_t i = 0; i < f->nkeep; i++)
        page_unref(vm, f->keep[i]);
    f->nkeep = 0;
    return true;
}
