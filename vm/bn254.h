/* vm/bn254.h — the alt_bn128 (BN254) curve arithmetic behind EraVM's ecadd,
 * ecmul and ecpairing precompiles, with the reference VM's validation rules:
 * coordinates must be < p, (0, 0) stands for the point at infinity, other
 * points must lie on the curve, and G2 points must pass the subgroup test.
 * Values cross this interface as plain (non-Montgomery) u256 integers. */
#ifndef BN254_H
#define BN254_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "u256.h"

/* in = {x1, y1, x2, y2}; out = {x, y} of the sum, (0, 0) for infinity.
 * Returns false (out untouched) when an input is not a valid G1 point. */
bool bn254_g1_add(const u256 in[4], u256 out[2]);

/* in = {x, y, scalar}; the scalar is any 256-bit integer (taken mod r). */
bool bn254_g1_mul(const u256 in[3], u256 out[2]);

/* A running product of Miller loops, so a pairing check can consume its
 * input pair by pair instead of buffering an unbounded list. The twelve
 * Fp limbs are the Fp12 accumulator in Montgomery form. */
typedef struct {
    uint64_t f[12][4];
} bn254_pairing_acc;

void bn254_pairing_begin(bn254_pairing_acc *acc);

/* in = one pair in the EIP-197 word order {g1.x, g1.y, g2.x.im, g2.x.re,
 * g2.y.im, g2.y.re}. Returns false when a coordinate is >= p, a point is off
 * its curve, or the G2 point fails the subgroup test; acc is then unchanged. */
bool bn254_pairing_add(bn254_pairing_acc *acc, const u256 in[6]);

/* True when the product of the pairings added so far is one (the empty
 * product counts, as EIP-197 says). */
bool bn254_pairing_end(const bn254_pairing_acc *acc);

/* The reduced pairing e(g1, g2) itself, for tests against published values:
 * out = Fp12 coefficients c0.c0.c0, c0.c0.c1, c0.c1.c0, ..., c1.c2.c1 of the
 * tower Fp2 = Fp[u]/(u^2+1), Fp6 = Fp2[v]/(v^3-(9+u)), Fp12 = Fp6[w]/(w^2-v).
 * Same input and validation as bn254_pairing_add. */
bool bn254_pairing_value(const u256 in[6], u256 out[12]);

#endif
