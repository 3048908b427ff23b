/* vm/interp.h — the dispatch loop, included three times by vm.c to make
 * the three engines from one source: fast (pre-decoded), counting (fast plus
 * per-opcode counts, ergs, host cycles and opcode pairs; the hooks compile to
 * nothing elsewhere) and simple (decodes each word as it goes, and traces).
 * ENGINE_FN names the function; ENGINE_COUNTING / ENGINE_SIMPLE select. */

/* Leaving the loop: the counting engine tells the profiler (vm/prof.h). */
#if ENGINE_COUNTING
#define ENGINE_RETURN(x)                                                     \
    do {                                                                     \
        prof_leave(&P, vm->counters);                                        \
        return (x);                                                          \
    } while (0)
#else
#define ENGINE_RETURN(x) return (x)
#endif

static int ENGINE_FN(eravm_vm *vm, eravm_result *res)
{
    vm_frame *f = cur(vm);
#if ENGINE_COUNTING
    prof_state P;
    prof_enter(&P, vm->counters);
#endif
    for (;;) {
#if ENGINE_SIMPLE
        /* decode as we go: no pre-decoded table, the obviously-correct loop */
        vm_insn decoded;
        if (f->pc < f->prog->ndec && f->insns[f->pc].op != VOP_PANIC) {
            decoded = insn_from_word(eravm_fetch_word(f->prog->code, f->pc));
        } else {
            decoded = f->insns[f->pc];
        }
        const vm_insn *I = &decoded;
        if (vm->trace)
            vm->trace(vm->trace_ctx, vm, (uint16_t)f->pc,
                      f->pc < f->prog->ndec ? eravm_fetch_word(f->prog->code, f->pc) : 0, f->ergs,
                      (int)vm->depth);
#else
        const vm_insn *I = &f->insns[f->pc];
#endif
#if ENGINE_COUNTING
        prof_dispatch(&P, vm->counters, I->idx, I->op, I->ergs, f->ergs, vm->depth);
#endif
        vm->instructions++;
        /* the invalid opcode (cost 2^32-1) and the wrap (cost 0, always) are
         * handled in the switch: one test fewer on the common path */
        if (f->ergs < I->ergs) {
            f->ergs = 0;
            goto free_panic;
        }
        f->ergs -= I->ergs;
        if (I->mode_req && (((I->mode_req & 1) && !f->is_kernel) ||
                            ((I->mode_req & 2) && f->is_static)))
            goto free_panic;
        if (!cond_ok(I->cond, vm->flags)) {
            vm->skipped++;
            f->pc++;
            continue;
        }
        f->pc++;
        if (I->dst1_rule == DST1_UNLESS_WRITTEN)
            vm->dst1_written = false;
        {
            int rc;
            u256 a, b, r, hi;
            bool ta, tb, carry;
            switch (I->op) {
            case EOP_INVALID:
                f->ergs = 0; /* burns everything, even 2^32-1 ergs that could pay */
                goto free_panic;
            case VOP_WRAP:
                vm->instructions--; /* vm2's wrap handler is not an instruction */
                f->pc = 0;
                continue;
            case EOP_NOP:
                if (I->src_mode == SRC_POP)
                    f->sp = (uint16_t)(f->sp - (uint16_t)(low16(vm->regs[I->src0]) + I->imm0));
                if (I->dst_mode == DST_PUSH)
                    f->sp = (uint16_t)(f->sp + (uint16_t)(low16(vm->regs[I->dst0]) + I->imm1));
                break;
            case EOP_ADD:
            case EOP_SUB:
            case EOP_AND:
            case EOP_OR:
            case EOP_XOR:
            case EOP_SHL:
            case EOP_SHR:
            case EOP_ROL:
            case EOP_ROR: {
                a = src_val(vm, f, I);
                b = reg_val(vm, f, I->src1);
                if (I->flags & OPF_SWAP) {
                    u256 t = a;
                    a = b;
                    b = t;
                }
                /* flags only when asked for: most ALU ops have no `!` */
                bool sf = I->flags & OPF_SET_FLAGS;
                switch (I->op) {
                case EOP_ADD:
                case EOP_SUB: {
                    r = I->op == EOP_ADD ? u256_add(a, b, &carry) : u256_sub(a, b, &carry);
                    dst_write(vm, f, I, r, false);
                    if (sf) {
                        bool z = u256_is_zero(r);
                        vm->flags = (uint8_t)((carry ? F_LT : 0) | (z ? F_EQ : 0) | (!carry && !z ? F_GT : 0));
                    }
                    break;
                }
                default:
                    switch (I->op) {
                    case EOP_AND: r = u256_and(a, b); break;
                    case EOP_OR: r = u256_or(a, b); break;
                    case EOP_XOR: r = u256_xor(a, b); break;
                    case EOP_SHL: r = u256_shl(a, u256_shift_amount(b)); break;
                    case EOP_SHR: r = u256_shr(a, u256_shift_amount(b)); break;
                    case EOP_ROL: r = u256_rol(a, u256_shift_amount(b)); break;
                    default: r = u256_ror(a, u256_shift_amount(b)); break;
                    }
                    dst_write(vm, f, I, r, false);
                    if (sf)
                        vm->flags = u256_is_zero(r) ? F_EQ : 0;
                    break;
                }
                break;
            }
            case EOP_MUL:
            case EOP_DIV: {
                a = src_val(vm, f, I);
                b = reg_val(vm, f, I->src1);
                if (I->flags & OPF_SWAP) {
                    u256 t = a;
                    a = b;
                    b = t;
                }
                uint8_t fl;
                if (I->op == EOP_MUL) {
                    r = u256_mul(a, b, &hi);
                    fl = (!u256_is_zero(hi) ? F_LT : 0) | (u256_is_zero(r) ? F_EQ : 0) |
                         (u256_is_zero(hi) && !u256_is_zero(r) ? F_GT : 0);
                } else if (u256_is_zero(b)) {
                    r = hi = u256_zero();
                    fl = F_LT;
                } else {
                    u256_divmod(a, b, &r, &hi);
                    fl = (u256_is_zero(r) ? F_EQ : 0) | (u256_is_zero(hi) ? F_GT : 0);
                }
                dst_write(vm, f, I, r, false);
                set_reg(vm, I->dst1, hi);
                vm->dst1_written = true;
                if (I->flags & OPF_SET_FLAGS)
                    vm->flags = fl;
                break;
            }
            case EOP_JUMP: {
                a = src_val(vm, f, I);
                set_reg(vm, I->dst0, u256_from_u64((uint16_t)f->pc));
                set_pc(f, low16(a));
                break;
            }
            case EOP_PTR_ADD:
            case EOP_PTR_SUB:
            case EOP_PTR_PACK:
            case EOP_PTR_SHRINK: {
                if (I->flags & OPF_SWAP) {
                    a = vm->regs[I->src1];
                    ta = (vm->tags >> I->src1) & 1;
                    b = src_raw(vm, f, I, &tb);
                } else {
                    a = src_raw(vm, f, I, &ta);
                    b = vm->regs[I->src1];
                    tb = (vm->tags >> I->src1) & 1;
                }
                if (tb && !f->is_kernel) {
                    erase(&b);
                    tb = false;
                }
                if (!ta || tb) {
                    panic_next(f);
                    break;
                }
                fatptr p = fp_of(a);
                bool ok = true;
                r = a;
                switch (I->op) {
                case EOP_PTR_ADD:
                case EOP_PTR_SUB: {
                    if (!u256_fits_u32(b)) {
                        ok = false;
                        break;
                    }
                    uint32_t x = u256_low32(b);
                    if (I->op == EOP_PTR_ADD)
                        ok = !__builtin_add_overflow(p.offset, x, &p.offset);
                    else
                        ok = !__builtin_sub_overflow(p.offset, x, &p.offset);
                    r.w[0] = p.offset | (r.w[0] & 0xFFFFFFFF00000000ull);
                    break;
                }
                case EOP_PTR_PACK:
                    if (b.w[0] || b.w[1]) {
                        ok = false;
                        break;
                    }
                    r.w[2] = b.w[2];
                    r.w[3] = b.w[3];
                    break;
                default: /* shrink */
                    ok = !__builtin_sub_overflow(p.length, u256_low32(b), &p.length);
                    r.w[1] = (r.w[1] & 0xFFFFFFFFull) | (uint64_t)p.length << 32;
                    break;
                }
                if (!ok) {
                    panic_next(f);
                    break;
                }
                dst_write(vm, f, I, r, true);
                break;
            }
            case EOP_NEAR_CALL: {
                uint32_t pass = u256_low32(reg_val(vm, f, I->src0));
                uint32_t g = pass == 0 ? f->ergs : (pass < f->ergs ? pass : f->ergs);
                if (f->nnear == f->capnear) {
                    f->capnear = f->capnear ? f->capnear * 2 : 16;
                    f->near = xrealloc(f->near, f->capnear * sizeof *f->near);
                }
                vm_near *n = &f->near[f->nnear++];
                n->handler = I->imm1;
                n->sp = f->sp;
                n->saved_ergs = f->ergs - g;
                n->ret_pc = (uint16_t)f->pc;
                n->target = I->imm0;
                n->snap = wd_snapshot_take(&vm->diff);
                f->ergs = g;
                vm->flags = 0;
                set_pc(f, I->imm0);
                break;
            }
            case EOP_CTX_THIS: set_reg(vm, I->dst0, f->address); break;
            case EOP_CTX_CALLER: set_reg(vm, I->dst0, f->caller); break;
            case EOP_CTX_CODE_ADDR: set_reg(vm, I->dst0, f->code_address); break;
            case EOP_CTX_ERGS_LEFT: set_reg(vm, I->dst0, u256_from_u64(f->ergs)); break;
            case EOP_CTX_SP: set_reg(vm, I->dst0, u256_from_u64(f->sp)); break;
            case EOP_CTX_GET_U128: set_reg(vm, I->dst0, f->context); break;
            case EOP_CTX_META: {
                r = u256_zero();
                r.w[0] = f->is_kernel ? (uint32_t)vm->diff.pubdata : 0;
                r.w[1] = f->heap_bound | (uint64_t)f->aux_bound << 32;
                set_reg(vm, I->dst0, r);
                break;
            }
            case EOP_CTX_SET_U128:
                a = reg_val(vm, f, I->src0);
                a.w[2] = a.w[3] = 0;
                vm->context_pending = a;
                break;
            case EOP_CTX_AUX_MUT0:
                break;
            case EOP_CTX_INC_TX:
                vm->tx_number++;
                wd_map_clear(&vm->diff.transient);
                break;
            case EOP_SLOAD: {
                bool warm;
                a = reg_val(vm, f, I->src0);
                r = storage_read(vm, f->address, a, &warm);
                if (warm || is_free_slot(vm, f->address, a))
                    f->ergs += WARM_READ_REFUND;
                set_reg(vm, I->dst0, r);
                break;
            }
            case EOP_SSTORE:
                a = reg_val(vm, f, I->src0);
                b = reg_val(vm, f, I->src1);
                f->ergs += storage_write(vm, f->address, a, b);
                break;
            case EOP_TLOAD: {
                a = reg_val(vm, f, I->src0);
                wd_entry *e = wd_lookup(&vm->diff.transient, &f->address, &a, false);
                set_reg(vm, I->dst0, e && e->has_write ? e->value : u256_zero());
                break;
            }
            case EOP_TSTORE: {
                a = reg_val(vm, f, I->src0);
                b = reg_val(vm, f, I->src1);
                wd_entry *e = wd_lookup(&vm->diff.transient, &f->address, &a, true);
                wd_map_set(&vm->diff.transient, e, b, 0, true);
                break;
            }
            case EOP_EVENT:
                if (u256_eq(f->address, u256_from_u64(ERAVM_ADDR_EVENT_WRITER))) {
                    eravm_log l = {f->address, reg_val(vm, f, I->src0), reg_val(vm, f, I->src1),
                                   (I->flags & OPF_VARIANT) != 0, vm->tx_number};
                    wd_log_push(&vm->diff.events, &l);
                }
                break;
            case EOP_TO_L1: {
                eravm_log l = {f->address, reg_val(vm, f, I->src0), reg_val(vm, f, I->src1),
                               (I->flags & OPF_VARIANT) != 0, vm->tx_number};
                wd_log_push(&vm->diff.l2l1, &l);
                break;
            }
            case EOP_PRECOMPILE: {
                b = reg_val(vm, f, I->src1);
                if (!use_gas(f, (uint32_t)b.w[0])) {
                    set_reg(vm, I->dst0, u256_zero());
                    break;
                }
                vm->diff.pubdata += (int32_t)(uint32_t)(b.w[0] >> 32);
                a = reg_val(vm, f, I->src0);
                eravm_precompile_abi abi = {(uint32_t)a.w[0], (uint32_t)(a.w[0] >> 32),
                                            (uint32_t)a.w[1], (uint32_t)(a.w[1] >> 32),
                                            (uint32_t)a.w[2], (uint32_t)(a.w[2] >> 32), a.w[3]};
                if (!abi.read_page)
                    abi.read_page = f->heap;
                if (!abi.write_page)
                    abi.write_page = f->heap;
                u256 out[ERAVM_PRECOMPILE_MAX_OUT];
                int nout = -1;
                if (vm->world.call_precompile)
                    nout = vm->world.call_precompile(vm->world.ctx, (uint16_t)f->address.w[0],
                                                     &abi, precompile_read, vm, out);
                if (nout < 0)
                    nout = eravm_precompile_run((uint16_t)f->address.w[0], &abi, precompile_read,
                                                vm, out);
                uint64_t off = (uint64_t)abi.output_offset * 32;
                for (int i = 0; i < nout && (uint32_t)i < abi.output_length; i++) {
                    mem_write_word(vm, abi.write_page, (uint32_t)off, out[i]);
                    off += 32;
                }
                set_reg(vm, I->dst0, u256_from_u64(1));
                break;
            }
            case EOP_DECOMMIT: {
                a = reg_val(vm, f, I->src0);
                uint32_t extra = u256_low32(reg_val(vm, f, I->src1));
                uint8_t hb[32];
                u256_to_be(a, hb);
                if (!use_gas(f, extra) || (hb[0] != 1 && hb[0] != 2) || hb[1] > 1) {
                    set_reg(vm, I->dst0, u256_zero());
                    break;
                }
                wd_decommit *st = wd_decommit_find(&vm->diff, a);
                bool fresh = !(st && st->page);
                const eravm_program *p = world_program(vm, a);
                if (!fresh)
                    f->ergs += extra;
                uint32_t page = materialize(vm, a, p, f->heap);
                fatptr fp = {0, page, 0, KERNEL_STIPEND};
                set_reg_ptr(vm, I->dst0, fp_word(fp));
                break;
            }
            case EOP_FAR_CALL:
            case EOP_FAR_DELEGATE:
            case EOP_FAR_MIMIC: {
                unsigned dst1 = I->dst1_rule ? I->dst1 : 0;
                far_call(vm, I);
                f = cur(vm);
                set_reg(vm, dst1, u256_zero()); /* clears in the callee's registers */
                continue;
            }
            case EOP_RET_OK:
            case EOP_RET_REVERT:
            case EOP_RET_PANIC: {
                unsigned dst1 = I->dst1_rule ? I->dst1 : 0;
                int kind = I->op == EOP_RET_OK ? RET_OK : I->op == EOP_RET_REVERT ? RET_REVERT
                                                                                : RET_PANIC;
                rc = do_ret(vm, kind, (I->flags & OPF_VARIANT) != 0, I->imm0, I->src0);
                /* clears in the caller's registers, and also when the run
                 * ends (vm2 full_boilerplate clears after any handler) */
                set_reg(vm, dst1, u256_zero());
                if (rc != RUN_ON)
                    ENGINE_RETURN(rc);
                f = cur(vm);
                continue;
            }
            case VOP_PANIC:
                rc = do_ret(vm, RET_PANIC, false, 0, 0);
                if (rc != RUN_ON)
                    ENGINE_RETURN(rc);
                f = cur(vm);
                continue;
            case EOP_HEAP_READ:
            case EOP_AUX_READ: {
                a = src_raw(vm, f, I, &ta);
                bool aux = I->op == EOP_AUX_READ;
                uint32_t addr;
                if (!heap_offset(f, a, aux, &addr)) {
                    panic_next(f);
                    break;
                }
                set_reg(vm, I->dst0, page_read_word(aux ? f->aux_pg : f->heap_pg, addr));
                if (I->flags & OPF_VARIANT)
                    load_inc_result(vm, I, a, ta);
                break;
            }
            case EOP_HEAP_WRITE:
            case EOP_AUX_WRITE: {
                a = src_raw(vm, f, I, &ta);
                bool aux = I->op == EOP_AUX_WRITE;
                uint32_t addr;
                if (!heap_offset(f, a, aux, &addr)) {
                    panic_next(f);
                    break;
                }
                b = reg_val(vm, f, I->src1);
                if (vm->has_ext && vm->depth == 0)
                    snapshot_journal_heap(vm, aux, addr);
                page_write_word(aux ? f->aux_pg : f->heap_pg, addr, b);
                if (I->flags & OPF_VARIANT)
                    set_reg(vm, I->dst0, u256_add(a, u256_from_u64(32), NULL));
                if (!aux && vm->settings.hooks_enabled && vm->depth == 0 &&
                    addr == vm->settings.hook_address) {
                    if (I->dst1_rule)
                        set_reg(vm, I->dst1, u256_zero());
                    res->hook_value = u256_low32(b);
                    ENGINE_RETURN(RUN_SUSPENDED);
                }
                break;
            }
            case EOP_FAT_READ: {
                a = vm->regs[I->src0];
                ta = (vm->tags >> I->src0) & 1;
                if (!ta) {
                    panic_next(f);
                    break;
                }
                fatptr p = fp_of(a);
                if (p.offset > LAST_ADDRESS) {
                    panic_next(f);
                    break;
                }
                uint32_t start = p.start + (p.offset < p.length ? p.offset : p.length);
                uint32_t lim = p.start + p.length;
                uint32_t end = start > 0xFFFFFFFFu - 32 ? 0xFFFFFFFFu : start + 32;
                if (end > lim)
                    end = lim;
                uint8_t buf[32] = {0};
                if (end > start)
                    page_read(pages_get(&vm->pages, p.page), start, buf, end - start);
                set_reg(vm, I->dst0, u256_from_be(buf));
                if (I->flags & OPF_VARIANT) {
                    set_reg_ptr(vm, I->dst1, u256_add(a, u256_from_u64(32), NULL));
                    vm->dst1_written = true;
                }
                break;
            }
            case EOP_STATIC_READ: {
                a = src_raw(vm, f, I, &ta);
                if (above_last_address(a)) {
                    panic_next(f);
                    break;
                }
                set_reg(vm, I->dst0, mem_read_word(vm, 1, (uint32_t)a.w[0]));
                if (I->flags & OPF_VARIANT)
                    load_inc_result(vm, I, a, ta);
                break;
            }
            case EOP_STATIC_WRITE: {
                a = src_raw(vm, f, I, &ta);
                if (above_last_address(a)) {
                    panic_next(f);
                    break;
                }
                b = reg_val(vm, f, I->src1);
                mem_write_word(vm, 1, (uint32_t)a.w[0], b);
                if (I->flags & OPF_VARIANT)
                    set_reg(vm, I->dst0, u256_add(a, u256_from_u64(32), NULL));
                break;
            }
            default:
                break;
            }
            if (I->dst1_rule == DST1_CLEAR ||
                (I->dst1_rule == DST1_UNLESS_WRITTEN && !vm->dst1_written))
                set_reg(vm, I->dst1, u256_zero());
        }
        continue;
    free_panic: {
        int rc = do_ret(vm, RET_PANIC, false, 0, 0);
        if (rc != RUN_ON)
            ENGINE_RETURN(rc);
        f = cur(vm);
    }
    }
}


#undef ENGINE_RETURN
