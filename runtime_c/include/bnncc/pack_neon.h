/* bnncc runtime: NEON packing kernels (aarch64 and armv7 with NEON, one source: pack_neon.c).
 *
 * Same contracts as pack.h, bit for bit with the portable kernels for every input (NaN, signed
 * zeros, infinities and subnormals included, also under armv7 NEON's flush-to-zero). */
#ifndef BNNCC_PACK_NEON_H
#define BNNCC_PACK_NEON_H

#include "common.h"

void bnn_pack_threshold_range_f32__neon(const float *x, int C, int HW, int p_begin, int p_end, const float *thr,
                                        const int8_t *dir, bnn_word *out);

void bnn_affine_pack_range_f32__neon(int C, int HW, int p_begin, int p_end, const float *x, const float *scale,
                                     const float *bias, const float *residual, float *y, const float *thr,
                                     const int8_t *dir, bnn_word *bits);

void bnn_binarize_f32__neon(const float *x, int C, int HW, const float *thr, const int8_t *dir, float *out);

#endif /* BNNCC_PACK_NEON_H */
