/* bnncc runtime: packing float tensors to +-1 bits and back.
 *
 * Decision used by pack_threshold and binarize, per channel c:
 *   +1 (bit 0)  iff  dir[c] > 0 ? x >= thr[c] : x <= thr[c]
 *   -1 (bit 1)  otherwise, including x = NaN (every comparison with NaN is false).
 * A Sign-style binarizer (x >= 0 -> +1) is thr = 0, dir = +1; a BatchNorm folded into the
 * threshold with a negative scale flips the comparison, hence dir = -1.
 */
#ifndef BNNCC_PACK_H
#define BNNCC_PACK_H

#include "common.h"

/* x: float [C][HW]; out: packed [HW][words(C)], tail bits 0. */
void bnn_pack_threshold_f32(const float *x, int C, int HW, const float *thr, const int8_t *dir, bnn_word *out);

/* Same, for pixels [p_begin, p_end) only (x and out are the whole tensors): lets threads split
 * the work by pixels. */
void bnn_pack_threshold_range_f32(const float *x, int C, int HW, int p_begin, int p_end, const float *thr,
                                  const int8_t *dir, bnn_word *out);

/* Fused output transform of a layer (BatchNormalization, then a residual Add, then binarize):
 *   y[c][p] = (x[c][p] * scale[c] + bias[c]) + residual[c][p]   (each step rounded: no FMA)
 * for pixels [p_begin, p_end) of every channel; residual may be NULL (no Add). When bits is not
 * NULL, y is also packed as bnn_pack_threshold_range_f32 would pack it (thr, dir), in the same
 * pass. x, residual, y: [C][HW]; bits: [HW][words(C)]. y may alias x or residual. */
void bnn_affine_pack_range_f32(int C, int HW, int p_begin, int p_end, const float *x, const float *scale,
                               const float *bias, const float *residual, float *y, const float *thr,
                               const int8_t *dir, bnn_word *bits);

/* in: packed [HW][words(C)] -> out: float +-1 [C][HW]. Tail bits of `in` are ignored. */
void bnn_unpack_f32(const bnn_word *in, int C, int HW, float *out);

/* Same decision as bnn_pack_threshold_f32 but writes float +-1 [C][HW]. */
void bnn_binarize_f32(const float *x, int C, int HW, const float *thr, const int8_t *dir, float *out);

#endif /* BNNCC_PACK_H */
