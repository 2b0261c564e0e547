/* bnncc runtime: packing kernels for Cortex-M cores (ARMv7E-M with an FPU: Cortex-M4F, M7; source
 * pack_cm.c). Same contracts as pack.h, bit for bit with the portable kernels for every input (NaN,
 * signed zeros, infinities, subnormals, every dir; under any FPSCR.FZ setting, since both compare on
 * the same FPU). */
#ifndef BNNCC_PACK_CM_H
#define BNNCC_PACK_CM_H

#include "common.h"

void bnn_pack_threshold_range_f32__cm(const float *x, int C, int HW, int p_begin, int p_end, const float *thr,
                                      const int8_t *dir, bnn_word *out);

void bnn_affine_pack_range_f32__cm(int C, int HW, int p_begin, int p_end, const float *x, const float *scale,
                                   const float *bias, const float *residual, float *y, const float *thr,
                                   const int8_t *dir, bnn_word *bits);

#endif /* BNNCC_PACK_CM_H */
