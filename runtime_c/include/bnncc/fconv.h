/* bnncc runtime: float 2-D convolution (ONNX Conv), zero padding, groups.
 *
 * in [C][H][W], w [M][C/G][KH][KW], bias [M] or NULL, out [M][OH][OW].
 * Output channel m belongs to group g = m / (M/G) and reads input channels g*(C/G) ...
 * out[m][oy][ox] = (sum over c', kh, kw of in[g*C/G + c'][iy][ix] * w[m][c'][kh][kw]) + bias[m]
 * with iy = oy*SH - PT + kh*DH, ix = ox*SW - PL + kw*DW; out-of-bounds taps are 0.
 * Accumulation order: c', kh, kw ascending, each product rounded then added (no FMA); the
 * bias is added last. Preconditions: C % G == 0, M % G == 0, out does not overlap the inputs.
 */
#ifndef BNNCC_FCONV_H
#define BNNCC_FCONV_H

#include "common.h"

typedef struct {
    int C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, G;
} bnn_conv_params;

void bnn_conv2d_f32(const bnn_conv_params *p, const float *in, const float *w,
                    const float *bias, float *out);

#endif /* BNNCC_FCONV_H */
