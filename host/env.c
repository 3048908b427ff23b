/* host/env.c — the default batch environment and the fee values derived
 * from it (zksync-era's L1-pegged fee model, bootloader.md §1.1). */
#include "env.h"

#include "keccak.h"

#define L1_GAS_PER_PUBDATA_BYTE 17u
#define MAX_GAS_PER_PUBDATA 50000u

void host_env_default(host_env *e)
{
    *e = (host_env){0};
    e->chain_id = 270;
    e->batch_number = 1;
    e->timestamp = 1700000000000ull;
    for (int i = 0; i < 20; i++) /* 0x4242…42 */
        e->fee_account.w[i / 8] |= (uint64_t)0x42 << (8 * (i % 8));
    e->l1_gas_price = 50000000000ull;
    e->fair_l2_gas_price = 250000000ull;
    e->first_block_number = 1;
    e->first_block_timestamp = e->timestamp;
    uint8_t be[4] = {0, 0, 0, 0}, h[32];
    keccak256(be, 4, h); /* the legacy hash of block 0 */
    e->first_block_prev_hash = u256_from_be(h);
    e->max_virtual_blocks = 100;
    e->bootloader_gas_limit = 0xFFFFFFFFu;
    e->validation_gas_limit = 0xFFFFFFFFu;
    uint64_t spill;
    e->sender_balance = u256_mul_u64(u256_from_u64(10000000000000000ull), 10000000000000000ull,
                                     &spill); /* 10^32 wei */
}

host_fees host_env_fees(const host_env *e)
{
    host_fees f;
    f.fair_pubdata_price = e->l1_gas_price * L1_GAS_PER_PUBDATA_BYTE;
    uint64_t from_pubdata = (f.fair_pubdata_price + MAX_GAS_PER_PUBDATA - 1) / MAX_GAS_PER_PUBDATA;
    f.base_fee = e->fair_l2_gas_price > from_pubdata ? e->fair_l2_gas_price : from_pubdata;
    f.gas_per_pubdata = (f.fair_pubdata_price + f.base_fee - 1) / f.base_fee;
    return f;
}
