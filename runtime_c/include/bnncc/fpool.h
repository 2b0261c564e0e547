/* bnncc runtime: float pooling. in [C][H][W] -> out [C][OH][OW] (geometry: bnn_pool_params,
 * see common.h; bottom/right padding is implied by OH/OW).
 *
 * max    : pads are -inf, i.e. out-of-bounds taps are skipped; an empty window gives -inf.
 *          NaN inputs are ignored (comparison v > max is false) unless every tap is NaN.
 * max + affine: max-pool of x, then y = (m * scale[c]) + bias[c] (two roundings), which equals
 *          max-pooling the affine map of x exactly: the rounded map is monotone (non-increasing
 *          when scale[c] < 0, then the window minimum is taken). scale/bias NULL: plain max-pool.
 *          This lets a BatchNormalization before a max-pool run on the pooled (smaller) tensor.
 * average: sum of the in-bounds taps (column sums over kh first, then over kw) divided by
 *          count_include_pad ? KH*KW : number of in-bounds taps (an empty window gives 0).
 *          Note: with count_include_pad, every tap of the window counts, including any that
 *          fall beyond the ONNX pads (ceil_mode overhang); onnxruntime does not count those.
 *          The compiler must only use count_include_pad=1 when the window never overhangs.
 * global average: sum over HW (sequential float sum) then divide by HW.
 */
#ifndef BNNCC_FPOOL_H
#define BNNCC_FPOOL_H

#include "common.h"

void bnn_maxpool_f32(const bnn_pool_params *p, const float *in, float *out);
void bnn_maxpool_affine_f32(const bnn_pool_params *p, const float *in, const float *scale, const float *bias,
                            float *out);
/* One output row of bnn_maxpool_affine_f32 for C channels: rows[0..nrows) are the in-bounds input
 * rows of channel 0's window (top to bottom), channel c's are at rows[kh] + c*in_cs; scale/bias
 * point at channel 0's pair (or both NULL); channel c's OW outputs go to out + c*out_cs. work:
 * scratch of BNN_MAXPOOL_WORK(p) floats. p->C, H, OH and PT are not read. */
#define BNN_MAXPOOL_WORK(p) (16 * (size_t)((p)->W + (p)->OW))
void bnn_maxpool_affine_rows_f32(const bnn_pool_params *p, int C, const float *const *rows, int nrows, size_t in_cs,
                                 const float *scale, const float *bias, float *work, float *out, size_t out_cs);
void bnn_avgpool_f32(const bnn_pool_params *p, int count_include_pad, const float *in, float *out);
void bnn_global_avgpool_f32(int C, int HW, const float *in, float *out);

#endif /* BNNCC_FPOOL_H */
