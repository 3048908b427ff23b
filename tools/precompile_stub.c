/* tools/precompile_stub.c — stands in for vm/precompile.c while it is absent:
 * every precompile returns no output words. */
#include "precompile.h"

int eravm_precompile_run(uint16_t address_low, const eravm_precompile_abi *abi,
                         eravm_mem_read_fn rd, void *ctx, u256 out[ERAVM_PRECOMPILE_MAX_OUT])
{
    (void)address_low;
    (void)abi;
    (void)rd;
    (void)ctx;
    (void)out;
    return 0;
}
